"""Reader for the SEC's quarterly Insider Transactions Data Sets ({YYYY}q{N}_form345.zip, or a
folder of its TSV files): the same Forms 3, 4 and 5 as the XML, already split into tables.

Columns are read by header name (the sets drift between quarters, and the published names have
misspellings); a table missing from a quarter, or a column nobody knows, is reported. The data
sets cannot carry everything the XML does: DATASET_CANNOT_CARRY lists what stays empty.
"""

import contextlib
import csv
import functools
import hashlib
import io
import itertools
import re
import shutil
import sqlite3
import tempfile
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import NamedTuple

from ..model import Filing, FootnoteRef, ReadError
from .ownership_xml import ascii_digits, to_boolean, to_number

csv.field_size_limit(2**31 - 1)  # remarks and footnotes may be long
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
    return unquote(value.strip()) or None


@functools.lru_cache(maxsize=8192)  # a quarter holds a few hundred distinct dates
def to_date(value: str) -> str | None:
    """31-JAN-2024 -> 2024-01-31, whatever the locale; None when not a date (31-FEB-2024)."""
    parts = value.strip().split("-")
    if len(parts) != 3 or parts[1].upper() not in MONTHS or not (ascii_digits(parts[0]) and ascii_digits(parts[2])):
        return None
    try:
        return date(int(parts[2]), MONTHS[parts[1].upper()], int(parts[0])).isoformat()
    except ValueError:
        return None


def to_cik(value: str) -> int | None:
    return int(value) if ascii_digits(value.strip()) else None


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
HOLDING_RENAMES = {"shares_owned_after": "shares_owned", "value_owned_after": "value_owned",
                   "transaction_code": "transaction_form_type"}  # a holding's coding holds the form type
HOLDING_COLUMNS = {name: (HOLDING_RENAMES.get(column, column), convert) for name, (column, convert) in ROW_COLUMNS.items()}
# NAME_FN -> the field its footnote ids sit on.
ROW_FOOTNOTES = {**{f"{name}_FN": column for name, (column, _) in ROW_COLUMNS.items()},
                 **{name: "transaction_code" for name in CODING_FOOTNOTES}}
HOLDING_FOOTNOTES = {name: HOLDING_RENAMES.get(column, column) for name, column in ROW_FOOTNOTES.items()}
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
    """One quarter's data set, staged table by table in private SQLite files, so that its tables
    can be walked together in accession order without holding them in memory (and by several
    processes at once, each walking a range of accessions)."""

    name: str
    source_path: str
    folder: Path  # a temporary folder of the staged tables, removed by close()
    tables: dict[str, list[str]] = field(default_factory=dict)  # file name -> its columns
    notes: list[tuple[str, str]] = field(default_factory=list)  # (table file, what is wrong)

    def chunks(self, size: int) -> Iterator["Chunk"]:
        """The quarter's filings as ranges of ``size`` accessions each, in accession order."""
        with contextlib.closing(connect(self.folder, ["SUBMISSION"])) as conn:
            accessions = [a for a, in conn.execute("SELECT DISTINCT accession FROM SUBMISSION.rows ORDER BY accession")]
        for start in range(0, len(accessions), size):
            last = accessions[min(start + size, len(accessions)) - 1]
            yield Chunk(str(self.folder), self.source_path, self.tables, accessions[start], last)

    def close(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)


class Chunk(NamedTuple):
    """A range of a staged quarter's accessions, to be read on its own (in a worker process)."""

    folder: str
    source_path: str
    tables: dict[str, list[str]]
    first: str
    last: str


def read_quarter(path: Path, source_path: str, read_ahead=map) -> Quarter:
    """Stage a quarter's zip or folder, a table at a time or, given a parallel ``read_ahead``
    (see build.reading), several at once; a missing table or unknown column becomes a note."""
    quarter = Quarter(path.name.removesuffix(".zip"), source_path, Path(tempfile.mkdtemp(prefix="form4db-quarter-")))
    try:
        staged = read_ahead(stage, [(path, name, quarter.folder) for name in TABLE_FILES])
        for name, (columns, notes) in zip(TABLE_FILES, staged):
            quarter.notes.extend((f"{name}.tsv", note) for note in notes)
            if columns is not None:
                quarter.tables[name] = columns
        if "SUBMISSION" not in quarter.tables:
            raise ReadError("no SUBMISSION.tsv, so no filings")
    except BaseException:
        quarter.close()
        raise
    return quarter


def stage(table: tuple[Path, str, Path]) -> tuple[list[str] | None, list[str]]:
    """Copy one TSV of a quarter, as it streams in, into FOLDER/NAME.db, clustered by accession;
    return its columns (None when the quarter lacks it) and what is wrong with it. No quoting:
    a stray " in a name must not swallow the lines after it (quoted cells are unwrapped when read)."""
    path, name, folder = table
    with open_member(path, f"{name}.tsv") as lines:
        if lines is None:
            return None, ["missing from the quarter: its rows are not imported"]
        try:
            return stage_rows(csv.reader(lines, delimiter="\t", quoting=csv.QUOTE_NONE), name, folder / f"{name}.db")
        except (csv.Error, OSError, zipfile.BadZipFile) as error:  # cut short, corrupt
            raise ReadError(f"{name}.tsv cannot be read: {error}") from None


def stage_rows(rows: Iterator[list[str]], name: str, staging: Path) -> tuple[list[str], list[str]]:
    columns = [column.strip() for column in next(rows, [])]
    if "ACCESSION_NUMBER" not in columns:
        raise ReadError(f"{name}.tsv has no ACCESSION_NUMBER column")
    unknown = sorted(set(columns) - KNOWN_COLUMNS[name])
    missing = [column for column in EXPECTED_COLUMNS.get(name, ()) if column not in columns]
    problems = [f"columns nobody knows, not imported: {', '.join(unknown)}" if unknown else "",
                f"columns missing, left empty: {', '.join(missing)}" if missing else ""]
    width = len(columns)
    cells = ", ".join(f"c{i}" for i in range(width))
    at = columns.index("ACCESSION_NUMBER")
    with contextlib.closing(sqlite3.connect(staging)) as conn, conn:
        conn.execute("PRAGMA journal_mode = OFF")  # a scratch file: nothing to recover
        conn.execute("PRAGMA synchronous = OFF")
        conn.execute(f"CREATE TABLE rows (accession TEXT, seq INTEGER, {cells}, PRIMARY KEY (accession, seq)) WITHOUT ROWID")
        conn.executemany(
            f"INSERT INTO rows VALUES (?, ?, {', '.join('?' * width)})",
            ((row[at].strip(), seq, *(row + [""] * width)[:width]) for seq, row in enumerate(rows) if len(row) > at),
        )
    return columns, ["; ".join(filter(None, problems))] if unknown or missing else []


def connect(folder: Path, tables: Iterable[str]) -> sqlite3.Connection:
    """A read-only connection to a staged quarter, each table at NAME.rows."""
    conn = sqlite3.connect("file::memory:", uri=True)  # uri: the attached files are opened read-only
    for name in tables:
        conn.execute("ATTACH ? AS ?", [f"{(Path(folder) / f'{name}.db').as_uri()}?mode=ro", name])
    return conn


def unquote(cell: str) -> str:
    """A cell as written, or unwrapped when the SEC quoted it ("a ""quoted"" word")."""
    if len(cell) > 1 and cell[0] == '"' and cell[-1] == '"':
        return cell[1:-1].replace('""', '"')
    return cell


@contextlib.contextmanager
def open_member(path: Path, name: str) -> Iterator[io.TextIOBase | None]:
    """A table file of a quarter's zip or folder as a stream of text, or None when it is not there."""
    if path.is_dir():
        file = path / name
        if not file.exists():
            yield None
            return
        with open(file, encoding="utf-8-sig", errors="replace", newline="") as lines:
            yield lines
        return
    try:
        archive = zipfile.ZipFile(path)
    except zipfile.BadZipFile:
        raise ReadError("not a zip file") from None
    with archive:
        names = {Path(n).name: n for n in archive.namelist()}
        if name not in names:
            yield None
            return
        with archive.open(names[name]) as raw:
            yield io.TextIOWrapper(raw, encoding="utf-8-sig", errors="replace", newline="")


def filings(quarter: Quarter) -> Iterator[Filing | ReadError]:
    """Every filing of the quarter, in accession order (or why it could not be read)."""
    with contextlib.closing(connect(quarter.folder, quarter.tables)) as conn:
        yield from walk(conn, quarter.tables, quarter.source_path)


def chunk_filings(chunk: Chunk) -> Iterator[Filing | ReadError]:
    """The filings of a range of a staged quarter's accessions, read through a connection of their own."""
    with contextlib.closing(connect(chunk.folder, chunk.tables)) as conn:
        yield from walk(conn, chunk.tables, chunk.source_path, (chunk.first, chunk.last))


def walk(conn: sqlite3.Connection, tables: dict[str, list[str]], source_path: str,
         between: tuple[str, str] | None = None) -> Iterator[Filing | ReadError]:
    """One Filing per accession of the SUBMISSION table (from the first ``between`` to the last,
    when given), with its rows from the others, walking every table once in accession order."""
    plans = {name: Plan(columns) for name, columns in tables.items()}
    cursors = {name: rows_by_accession(conn, name, between) for name in tables if name != "SUBMISSION"}
    pending = {name: next(cursor, None) for name, cursor in cursors.items()}
    for accession, submissions in rows_by_accession(conn, "SUBMISSION", between):
        parts = {"SUBMISSION": submissions[-1:]}  # listed twice: the later row
        for name, cursor in cursors.items():
            while pending[name] is not None and pending[name][0] < accession:  # rows of no filing
                pending[name] = next(cursor, None)
            if pending[name] is not None and pending[name][0] == accession:
                parts[name] = pending[name][1]
                pending[name] = next(cursor, None)
        try:
            yield to_filing(accession, parts, plans, source_path)
        except Exception as error:  # a reader bug must cost one filing, not the quarter
            yield ReadError(f"{accession}: reader failed: {type(error).__name__}: {error}")


def rows_by_accession(conn: sqlite3.Connection, name: str, between: tuple[str, str] | None
                      ) -> Iterator[tuple[str, list[tuple]]]:
    """(accession, its rows as tuples of cells), in accession order, each in file order."""
    where = "WHERE accession BETWEEN ? AND ?" if between else ""
    query = conn.execute(f"SELECT * FROM [{name}].rows {where} ORDER BY accession, seq", between or ())
    for accession, rows in itertools.groupby(query, key=lambda row: row[0]):
        yield accession, [row[2:] for row in rows]


class Plan:
    """Where each column of one table file goes, worked out once from its header."""

    def __init__(self, columns: list[str]):
        self.at = {column: i for i, column in enumerate(columns)}
        self.layouts: dict[int, list[tuple]] = {}

    def layout(self, mapping: dict) -> list[tuple]:
        """(position, *target) of each column of ``mapping`` this file has."""
        if id(mapping) not in self.layouts:
            self.layouts[id(mapping)] = [
                (self.at[name], *(target if isinstance(target, tuple) else (target,)))
                for name, target in mapping.items() if name in self.at
            ]
        return self.layouts[id(mapping)]

    def values(self, row: tuple, mapping: dict, warnings: list[str]) -> dict:
        """column -> value of the cells of ``mapping`` (file column -> (column, converter)) given;
        a cell that cannot be read is left out, with a warning keeping its text."""
        found = {}
        for i, column, convert in self.layout(mapping):
            if row[i] and row[i].strip():
                if (value := convert(row[i])) is not None:
                    found[column] = value
                else:
                    warnings.append(f"unreadable value for {column}: {row[i]!r}")
        return found

    def footnotes(self, row: tuple, mapping: dict) -> Iterator[tuple[str, str]]:
        """(field, footnote id) of the footnote cells of ``mapping`` (NAME_FN -> field) given."""
        for i, field_name in self.layout(mapping):
            if row[i]:
                for footnote_id in FOOTNOTE_IDS.findall(row[i]):
                    yield field_name, footnote_id

    def cell(self, row: tuple, name: str) -> str:
        i = self.at.get(name)
        return row[i] if i is not None else ""


def to_filing(accession: str, parts: dict[str, list[tuple]], plans: dict[str, Plan], source_path: str) -> Filing:
    fingerprint = hashlib.sha256("\n".join(
        f"{name}\t" + "\t".join(row) for name, rows in parts.items() for row in rows).encode()).hexdigest()
    filing = Filing(accession, "dataset", "dataset", source_path, fingerprint, parse_quality="partial")
    header = plans["SUBMISSION"].values(parts["SUBMISSION"][0], SUBMISSION_COLUMNS, filing.warnings)
    filing.header = {"filing_date": header.pop("filing_date", None)}
    filing.issuer = {k: header.pop(k) for k in ("issuer_cik", "issuer_name", "issuer_trading_symbol") if k in header}
    filing.document = header
    for row in parts.get("REPORTINGOWNER", []):
        owner = plans["REPORTINGOWNER"].values(row, OWNER_COLUMNS, filing.warnings)
        filing.owners.append(to_owner(owner, len(filing.owners) + 1))
    for name, (table, key) in ROW_FILES.items():
        if name in parts:
            plan = plans[name]
            for row in sorted(parts[name], key=lambda r: to_cik(plan.cell(r, key)) or 0):
                add_row(filing, table, plan, row, key)
    for row in parts.get("FOOTNOTES", []):
        plan = plans["FOOTNOTES"]
        filing.footnotes.append((plan.cell(row, "FOOTNOTE_ID").strip(), text(plan.cell(row, "FOOTNOTE_TXT"))))
    for row in parts.get("OWNER_SIGNATURE", []):
        plan = plans["OWNER_SIGNATURE"]
        filing.signatures.append({"signature_seq": len(filing.signatures) + 1,
                                  "signature_name": text(plan.cell(row, "OWNERSIGNATURENAME")),
                                  "signature_date": to_date(plan.cell(row, "OWNERSIGNATUREDATE"))})
    return filing


def to_owner(owner: dict, seq: int) -> dict:
    """An owner from its REPORTINGOWNER values; the relationship string becomes the four flags."""
    relationship = (owner.pop("relationship", None) or "").lower()
    for token, flag in RELATIONSHIPS.items():  # "Director,Officer", also run together or spaced
        owner[flag] = int(token.lower() in relationship)
    return {"owner_seq": seq, **owner}


def add_row(filing: Filing, table: str, plan: Plan, row: tuple, key: str) -> None:
    rows = filing.rows[table]
    seq = len(rows) + 1
    holding = table.endswith("holdings")
    rows.append({"row_seq": seq, "source_row_key": to_cik(plan.cell(row, key)),
                 **plan.values(row, HOLDING_COLUMNS if holding else ROW_COLUMNS, filing.warnings)})
    for field_name, footnote_id in plan.footnotes(row, HOLDING_FOOTNOTES if holding else ROW_FOOTNOTES):
        filing.footnote_refs.append(FootnoteRef(footnote_id, table, seq, field_name))
