"""Reader for the SEC's quarterly Insider Transactions Data Sets ({YYYY}q{N}_form345.zip, or a
folder of its TSV files): the same Forms 3, 4 and 5 as the XML, already split into tables.

Columns are read by header name (the sets drift between quarters, and the published names have
misspellings); a table missing from a quarter, or a column nobody knows, is reported. The data
sets cannot carry everything the XML does: DATASET_CANNOT_CARRY lists what stays empty.
"""

import csv
import hashlib
import io
import itertools
import re
import sqlite3
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from ..model import Filing, FootnoteRef, ReadError
from .ownership_xml import to_boolean, to_number

MONTHS = {m: i for i, m in enumerate(
    ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"), start=1)}
FOOTNOTE_IDS = re.compile(r"[^\s,;]+")
RELATIONSHIPS = {"Director": "is_director", "Officer": "is_officer", "TenPercentOwner": "is_ten_percent_owner",
                 "Other": "is_other"}

# What the XML gives and the data sets do not: these stay empty for filings imported from them.
DATASET_CANNOT_CARRY = {
    "filings": ["schema_version", "issuer_foreign_trading_symbol", "acceptance_datetime", "submission_type",
                "aff10b5one (only in quarters whose SUBMISSION.tsv has AFF10B5ONE)"],
    "filing_owners": ["owner_ccc", "non_us_address_flag", "non_us_state_territory", "country", "good_address"],
    "precision": ["numbers beyond two decimal places: the data sets round them (224.048 shares become 224.05)"],
    "row order": ["row_seq follows the data set's row keys, not the order of the rows in the document"],
    "owner order": ["owner_seq follows the data set's file, not the order of the owners in the document"],
}


def text(value: str) -> str | None:
    return value.strip() or None


def to_date(value: str) -> str | None:
    """31-JAN-2024 -> 2024-01-31, whatever the locale."""
    parts = value.strip().split("-")
    if len(parts) != 3 or parts[1].upper() not in MONTHS or not (parts[0].isdigit() and parts[2].isdigit()):
        return None
    return f"{int(parts[2]):04d}-{MONTHS[parts[1].upper()]:02d}-{int(parts[0]):02d}"


def to_cik(value: str) -> int | None:
    return int(value) if value.strip().isdigit() else None


def typed(convert):
    """A converter of raw cells: empty is absent (None), otherwise the value converted."""
    return lambda value: convert(value.strip()) if value.strip() else None


NUMBER, BOOLEAN = typed(to_number), typed(to_boolean)

SUBMISSION_COLUMNS = {
    "FILING_DATE": ("filing_date", to_date),
    "PERIOD_OF_REPORT": ("period_of_report", to_date),
    "DATE_OF_ORIG_SUB": ("date_of_original_submission", to_date),
    "NO_SECURITIES_OWNED": ("no_securities_owned", BOOLEAN),
    "NOT_SUBJECT_SEC16": ("not_subject_to_section16", BOOLEAN),
    "FORM3_HOLDINGS_REPORTED": ("form3_holdings_reported", BOOLEAN),
    "FORM4_TRANS_REPORTED": ("form4_transactions_reported", BOOLEAN),
    "DOCUMENT_TYPE": ("document_type", text),
    "ISSUERCIK": ("issuer_cik", to_cik),
    "ISSUERNAME": ("issuer_name", text),
    "ISSUERTRADINGSYMBOL": ("issuer_trading_symbol", text),
    "REMARKS": ("remarks", text),
    "AFF10B5ONE": ("aff10b5one", BOOLEAN),
}
OWNER_COLUMNS = {
    "RPTOWNERCIK": ("owner_cik", to_cik),
    "RPTOWNERNAME": ("owner_name", text),
    "RPTOWNER_RELATIONSHIP": ("relationship", text),
    "RPTOWNER_TITLE": ("officer_title", text),
    "RPTOWNER_TXT": ("other_text", text),
    "RPTOWNER_STREET1": ("street1", text),
    "RPTOWNER_STREET2": ("street2", text),
    "RPTOWNER_CITY": ("city", text),
    "RPTOWNER_STATE": ("state", text),
    "RPTOWNER_ZIPCODE": ("zip_code", text),
    "RPTOWNER_STATE_DESC": ("state_description", text),
    "FILE_NUMBER": ("sec_file_number", text),
}
# Table I and II columns; a NAME_FN column holds the footnote ids on NAME's field.
ROW_COLUMNS = {
    "SECURITY_TITLE": ("security_title", text),
    "CONV_EXERCISE_PRICE": ("conversion_or_exercise_price", NUMBER),
    "TRANS_DATE": ("transaction_date", to_date),
    "DEEMED_EXECUTION_DATE": ("deemed_execution_date", to_date),
    "TRANS_FORM_TYPE": ("transaction_form_type", text),
    "TRANS_CODE": ("transaction_code", text),
    "EQUITY_SWAP_INVOLVED": ("equity_swap_involved", BOOLEAN),
    "TRANS_TIMELINESS": ("transaction_timeliness", text),
    "TRANS_SHARES": ("shares", NUMBER),
    "TRANS_TOTAL_VALUE": ("total_value", NUMBER),
    "TRANS_PRICEPERSHARE": ("price_per_share", NUMBER),
    "TRANS_ACQUIRED_DISP_CD": ("acquired_disposed", text),
    "EXERCISE_DATE": ("exercise_date", to_date),
    "EXCERCISE_DATE": ("exercise_date", to_date),  # so spelled in DERIV_TRANS
    "EXPIRATION_DATE": ("expiration_date", to_date),
    "UNDLYNG_SEC_TITLE": ("underlying_security_title", text),
    "UNDLYNG_SEC_SHARES": ("underlying_shares", NUMBER),
    "UNDLYNG_SEC_VALUE": ("underlying_value", NUMBER),
    "SHRS_OWND_FOLWNG_TRANS": ("shares_owned_after", NUMBER),
    "VALU_OWND_FOLWNG_TRANS": ("value_owned_after", NUMBER),
    "DIRECT_INDIRECT_OWNERSHIP": ("direct_indirect", text),
    "NATURE_OF_OWNERSHIP": ("nature_of_ownership", text),
}
# Footnotes on transactionCoding belong to the code (as in the XML reader); both spellings occur.
CODING_FOOTNOTES = {"EQUITY_SWAP_TRANS_CD_FN", "EQUITY_SWAP_INVOLVED_FN"}
HOLDING_RENAMES = {"shares_owned_after": "shares_owned", "value_owned_after": "value_owned"}
ROW_FILES = {
    "NONDERIV_TRANS": ("nonderiv_transactions", "NONDERIV_TRANS_SK"),
    "NONDERIV_HOLDING": ("nonderiv_holdings", "NONDERIV_HOLDING_SK"),
    "DERIV_TRANS": ("deriv_transactions", "DERIV_TRANS_SK"),
    "DERIV_HOLDING": ("deriv_holdings", "DERIV_HOLDING_SK"),
}
TABLE_FILES = ("SUBMISSION", "REPORTINGOWNER", *ROW_FILES, "FOOTNOTES", "OWNER_SIGNATURE")
# The columns of the tables whose header does not vary in spelling (AFF10B5ONE: 2023 on).
EXPECTED_COLUMNS = {
    "SUBMISSION": ["ACCESSION_NUMBER", *SUBMISSION_COLUMNS],
    "REPORTINGOWNER": ["ACCESSION_NUMBER", *OWNER_COLUMNS],
    "FOOTNOTES": ["ACCESSION_NUMBER", "FOOTNOTE_ID", "FOOTNOTE_TXT"],
    "OWNER_SIGNATURE": ["ACCESSION_NUMBER", "OWNERSIGNATURENAME", "OWNERSIGNATUREDATE"],
}
KNOWN_COLUMNS = {
    "SUBMISSION": {"ACCESSION_NUMBER", *SUBMISSION_COLUMNS},
    "REPORTINGOWNER": {"ACCESSION_NUMBER", *OWNER_COLUMNS},
    "FOOTNOTES": {"ACCESSION_NUMBER", "FOOTNOTE_ID", "FOOTNOTE_TXT"},
    "OWNER_SIGNATURE": {"ACCESSION_NUMBER", "OWNERSIGNATURENAME", "OWNERSIGNATUREDATE"},
    **{name: {"ACCESSION_NUMBER", key, *ROW_COLUMNS, *(f"{c}_FN" for c in ROW_COLUMNS), *CODING_FOOTNOTES}
       for name, (_, key) in ROW_FILES.items()},
}


@dataclass
class Quarter:
    """One quarter's data set, staged in a private SQLite file so that its tables can be walked
    together in accession order without holding them in memory."""

    name: str
    source_path: str
    conn: sqlite3.Connection
    tables: dict[str, list[str]] = field(default_factory=dict)  # file name -> its columns
    notes: list[tuple[str, str]] = field(default_factory=list)  # (table file, what is wrong)

    def close(self) -> None:
        self.conn.close()


def read_quarter(path: Path, source_path: str) -> Quarter:
    """Stage a quarter's zip or folder; a missing table or unknown column becomes a note."""
    quarter = Quarter(path.name.removesuffix(".zip"), source_path, sqlite3.connect(""))
    try:
        for name in TABLE_FILES:
            data = member(path, f"{name}.tsv")
            if data is None:
                quarter.notes.append((f"{name}.tsv", "missing from the quarter: its rows are not imported"))
                continue
            stage(quarter, name, data)
        if "SUBMISSION" not in quarter.tables:
            raise ReadError("no SUBMISSION.tsv, so no filings")
    except BaseException:
        quarter.close()
        raise
    return quarter


def stage(quarter: Quarter, name: str, data: bytes) -> None:
    """Copy one TSV into the staging database, indexed by accession. No quoting: a stray " in a
    name must not swallow the lines after it."""
    rows = csv.reader(io.StringIO(data.decode("utf-8-sig", errors="replace")), delimiter="\t",
                      quoting=csv.QUOTE_NONE)
    columns = [column.strip() for column in next(rows, [])]
    if "ACCESSION_NUMBER" not in columns:
        raise ReadError(f"{name}.tsv has no ACCESSION_NUMBER column")
    unknown = sorted(set(columns) - KNOWN_COLUMNS[name])
    missing = [column for column in EXPECTED_COLUMNS.get(name, ()) if column not in columns]
    problems = [f"columns nobody knows, not imported: {', '.join(unknown)}" if unknown else "",
                f"columns missing, left empty: {', '.join(missing)}" if missing else ""]
    if unknown or missing:
        quarter.notes.append((f"{name}.tsv", "; ".join(filter(None, problems))))
    width = len(columns)
    quarter.conn.execute(f"CREATE TABLE [{name}] ({', '.join(f'[{c}]' for c in columns)}, seq INTEGER)")
    quarter.conn.executemany(
        f"INSERT INTO [{name}] VALUES ({', '.join('?' * (width + 1))})",
        ((*map(unquote, (row + [""] * width)[:width]), seq) for seq, row in enumerate(rows) if row),
    )
    quarter.conn.execute(f"CREATE INDEX [{name}_accession] ON [{name}] (ACCESSION_NUMBER, seq)")
    quarter.tables[name] = columns


def unquote(cell: str) -> str:
    """A cell as written, or unwrapped when the SEC quoted it ("a ""quoted"" word")."""
    if len(cell) > 1 and cell[0] == '"' and cell[-1] == '"':
        return cell[1:-1].replace('""', '"')
    return cell


def member(path: Path, name: str) -> bytes | None:
    """A table file from a quarter's zip or folder, or None when it is not there."""
    if path.is_dir():
        file = path / name
        return file.read_bytes() if file.exists() else None
    try:
        with zipfile.ZipFile(path) as archive:
            names = {Path(n).name: n for n in archive.namelist()}
            return archive.read(names[name]) if name in names else None
    except zipfile.BadZipFile:
        raise ReadError("not a zip file") from None


def filings(quarter: Quarter) -> Iterator[Filing]:
    """One Filing per accession of the quarter's SUBMISSION table, with its rows from the others,
    walking every table once in accession order."""
    cursors = {name: rows_by_accession(quarter, name) for name in quarter.tables if name != "SUBMISSION"}
    pending = {name: next(cursor, None) for name, cursor in cursors.items()}
    for accession, submissions in rows_by_accession(quarter, "SUBMISSION"):
        submission = submissions[-1]  # listed twice: the later row
        parts = {}
        for name, cursor in cursors.items():
            while pending[name] is not None and pending[name][0] < accession:  # rows of no filing
                pending[name] = next(cursor, None)
            if pending[name] is not None and pending[name][0] == accession:
                parts[name] = pending[name][1]
                pending[name] = next(cursor, None)
        yield to_filing(accession, submission, parts, quarter.source_path)


def rows_by_accession(quarter: Quarter, name: str) -> Iterator[tuple[str, list[dict]]]:
    """(accession, its rows as dicts by column name), in accession order."""
    columns = quarter.tables[name]
    position = columns.index("ACCESSION_NUMBER")
    query = quarter.conn.execute(f"SELECT * FROM [{name}] ORDER BY ACCESSION_NUMBER, seq")
    for accession, rows in itertools.groupby(query, key=lambda row: row[position]):
        yield accession.strip(), [dict(zip(columns, row)) for row in rows]


def to_filing(accession: str, submission: dict, parts: dict[str, list[dict]], source_path: str) -> Filing:
    fingerprint = hashlib.sha256(repr((submission, sorted(parts.items()))).encode()).hexdigest()
    filing = Filing(accession, "dataset", "dataset", source_path, fingerprint)
    header = {column: convert(submission[name]) for name, (column, convert) in SUBMISSION_COLUMNS.items()
              if name in submission}
    filing.header = {"filing_date": header.pop("filing_date", None)}
    filing.issuer = {k: header.pop(k) for k in ("issuer_cik", "issuer_name", "issuer_trading_symbol") if k in header}
    filing.document = {k: v for k, v in header.items() if v is not None}
    for row in parts.get("REPORTINGOWNER", []):
        filing.owners.append(to_owner(row, len(filing.owners) + 1))
    for name, (table, key) in ROW_FILES.items():
        for row in sorted(parts.get(name, []), key=lambda r: int(r[key]) if r[key].strip().isdigit() else 0):
            add_row(filing, table, row, key)
    for row in parts.get("FOOTNOTES", []):
        filing.footnotes.append((row["FOOTNOTE_ID"].strip(), text(row["FOOTNOTE_TXT"])))
    for row in parts.get("OWNER_SIGNATURE", []):
        filing.signatures.append({"signature_seq": len(filing.signatures) + 1,
                                  "signature_name": text(row["OWNERSIGNATURENAME"]),
                                  "signature_date": to_date(row["OWNERSIGNATUREDATE"])})
    return filing


def to_owner(row: dict, seq: int) -> dict:
    owner = {"owner_seq": seq}
    for name, (column, convert) in OWNER_COLUMNS.items():
        if name in row and (value := convert(row[name])) is not None:
            owner[column] = value
    relationship = owner.pop("relationship", "") or ""
    for token, flag in RELATIONSHIPS.items():  # "Director,Officer", also run together or spaced
        owner[flag] = int(token.lower() in relationship.lower())
    return owner


def add_row(filing: Filing, table: str, row: dict, key: str) -> None:
    rows = filing.rows[table]
    values = {"row_seq": len(rows) + 1, "source_row_key": to_cik(row[key])}
    holding = table.endswith("holdings")
    for name, raw in row.items():
        if name in ROW_COLUMNS:
            column, convert = ROW_COLUMNS[name]
            column = HOLDING_RENAMES.get(column, column) if holding else column
            if (value := convert(raw)) is not None:
                values[column] = value
        elif name.endswith("_FN") and raw and raw.strip():
            field_name = "transaction_code" if name in CODING_FOOTNOTES else ROW_COLUMNS.get(name[:-3], (None,))[0]
            if field_name is None:
                continue
            field_name = HOLDING_RENAMES.get(field_name, field_name) if holding else field_name
            if holding and field_name == "transaction_code":
                field_name = "transaction_form_type"
            for footnote_id in FOOTNOTE_IDS.findall(raw):
                filing.footnote_refs.append(FootnoteRef(footnote_id, table, values["row_seq"], field_name))
    rows.append(values)

