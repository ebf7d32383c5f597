"""Reader for pre-XML filings (before mid-2003): EDGAR's submission header and the form as plain text.

The header is exact: accession, form type, dates, and the issuer and reporting owners with
their CIKs (and the owners' relationships). The form itself was typed by the filer, usually as
the SEC's fixed-width text tables with "|" between columns, cells wrapping onto the next line.
Rows are read from those tables where their columns are the usual ones, best effort: a value
that does not read cleanly is NULL or cut to what reads, with a warning. A filing whose tables
cannot be read is still a filing: its header facts, and its text (searchable, in filing_texts).
"""

import re
from datetime import datetime

from ..model import Filing, FootnoteRef, ReadError
from ..schema import PRINTED_TRANSACTION_CODES
from .ownership_xml import to_number

FORM_TYPES = {"3", "3/A", "4", "4/A", "5", "5/A"}
RELATIONSHIPS = {"DIRECTOR": "is_director", "OFFICER": "is_officer", "10 PERCENT OWNER": "is_ten_percent_owner",
                 "OTHER": "is_other"}
# The SEC's text layout of each table, column by column (as counted by the <S> <C> marks).
LAYOUTS = {
    ("nonderiv", 10): ["security_title", "transaction_date", "transaction_code", "transaction_timeliness",
                       "shares", "acquired_disposed", "price_per_share", "shares_owned_after",
                       "direct_indirect", "nature_of_ownership"],
    ("deriv", 15): ["security_title", "conversion_or_exercise_price", "transaction_date", "transaction_code",
                    "transaction_timeliness", "shares", "acquired_disposed", "exercise_date", "expiration_date",
                    "underlying_security_title", "underlying_shares", "price_per_share", "shares_owned_after",
                    "direct_indirect", "nature_of_ownership"],
}
HOLDING_RENAMES = {"shares_owned_after": "shares_owned"}
TRANSACTION_ONLY = {"transaction_date", "transaction_code", "transaction_timeliness", "shares",
                    "acquired_disposed", "price_per_share"}
DATES = {"transaction_date", "exercise_date", "expiration_date"}
NUMBERS = {"conversion_or_exercise_price", "shares", "price_per_share", "shares_owned_after", "underlying_shares"}
LETTERS = {"transaction_code": PRINTED_TRANSACTION_CODES, "acquired_disposed": {"A", "D"},
           "direct_indirect": {"D", "I"}}
NONE = {"", "-", "--", "n/a", "N/A", "none", "None"}
LEADING_NUMBER = re.compile(r"\$?\s*(-?[\d,]*\.?\d+)")


def read_legacy_text(submission: dict, entities: list[dict], documents: list[tuple[str | None, bytes]],
                     filing: Filing, submission_text: str) -> Filing:
    """Fill ``filing`` (its key and provenance set by the full-submission reader) from the header's
    entities and the documents' text; a submission without documents keeps its whole text."""
    document_type = submission.get("submission_type")
    if document_type not in FORM_TYPES:
        raise ReadError(f"a text filing of type {document_type!r}, not a Form 3, 4 or 5")
    filing.entities = entities
    filing.document["document_type"] = document_type
    read_entities(filing, entities)
    texts = document_texts(documents) or [(None, submission_text)]
    filing.texts = [{"text_seq": seq, "document_type": kind, "text": text}
                    for seq, (kind, text) in enumerate(texts, start=1)]
    form = next((text for kind, text in texts if kind == document_type), texts[0][1])
    tables_read = read_tables(filing, form)
    filing.parse_quality = "best-effort" if tables_read else "header-only"
    if not tables_read:
        filing.warnings.append("no Table I or II in the SEC's text layout: only the header was read")
    read_ticker(filing, form)
    read_signature(filing, form)
    return filing


def read_entities(filing: Filing, entities: list[dict]) -> None:
    for entity in entities:
        if entity["role"] == "issuer" and not filing.issuer:
            filing.issuer = {"issuer_cik": entity.get("cik"), "issuer_name": entity.get("name")}
        elif entity["role"] == "reporting-owner":
            owner = {"owner_seq": len(filing.owners) + 1, "owner_cik": entity.get("cik"),
                     "owner_name": entity.get("name"), "sec_file_number": entity.get("sec_file_number")}
            owner.update(dict.fromkeys(RELATIONSHIPS.values(), 0))
            for relationship in entity.get("relationships", ()):
                if relationship.upper() in RELATIONSHIPS:
                    owner[RELATIONSHIPS[relationship.upper()]] = 1
            filing.owners.append(owner)


def document_texts(documents: list[tuple[str | None, bytes]]) -> list[tuple[str | None, str]]:
    """(type, text) of each document: what stands between <TEXT> and </TEXT>."""
    found = []
    for kind, document in documents:
        text = re.search(rb"<TEXT>(.*?)(?:</TEXT>|$)", document, re.DOTALL)
        body = (text.group(1) if text else document).decode("latin-1").replace("\r\n", "\n").replace("\r", "\n")
        found.append((kind, body.strip("\n")))
    return found


def read_tables(filing: Filing, form: str) -> bool:
    """Rows of Tables I and II laid out in the SEC's text columns; False when there is none."""
    read_any = False
    for block in re.findall(r"<TABLE>(.*?)</TABLE>", form, re.DOTALL | re.IGNORECASE):
        for part in re.split(r"<CAPTION>", block, flags=re.IGNORECASE)[1:]:
            kind = "deriv" if re.search(r"Table II\b", part) else "nonderiv" if re.search(r"Table I\b", part) else None
            marks = re.search(r"^\s*<S>.*$", part, re.MULTILINE)
            if kind is None or marks is None:
                continue
            columns = LAYOUTS.get((kind, marks.group(0).count("<")))
            if columns is None:
                filing.warnings.append(f"Table {'II' if kind == 'deriv' else 'I'} has "
                                       f"{marks.group(0).count('<')} columns, not the SEC's layout: not read")
                continue
            read_any = True
            for cells in records(part[marks.end():], len(columns)):
                add_row(filing, kind, dict(zip(columns, cells)))
    return read_any


def records(text: str, width: int) -> list[list[str]]:
    """Each row of a text table as its cells, the lines of a wrapped cell joined.

    A row ends at a rule (a line of "_" or "- -") or a line with no cell text.
    """
    rows, current = [], None
    for line in text.split("\n"):
        cells = line.split("|")
        if re.fullmatch(r"[\s_|-]*", line) or len(cells) < width:
            if current and any(cell.strip() for cell in current):
                rows.append(current)
            current = None
            continue
        cells = cells[:width]
        # A cell filled to its width was cut mid-word: its next line continues the word.
        current = cells if current is None else [
            before + ("" if len(before) == len(before.rstrip()) else " ") + after.lstrip()
            for before, after in zip(current, cells)]
    if current and any(cell.strip() for cell in current):
        rows.append(current)
    return [[" ".join(cell.split()) for cell in row] for row in rows]


def add_row(filing: Filing, kind: str, cells: dict) -> None:
    is_transaction = bool(cells.get("transaction_date", "").strip("- ") or cells.get("transaction_code", "").strip("- "))
    table = f"{kind}_{'transactions' if is_transaction else 'holdings'}"
    rows = filing.rows[table]
    values = {"row_seq": len(rows) + 1}
    where = f"{table} row {values['row_seq']}"
    for column, text in cells.items():
        if not is_transaction and column in TRANSACTION_ONLY:
            continue
        text, markers = footnote_markers(text)
        name = HOLDING_RENAMES.get(column, column) if not is_transaction else column
        for marker in markers:
            filing.footnote_refs.append(FootnoteRef(marker, table, values["row_seq"], name))
        if text in NONE:
            continue
        value = convert(column, text)
        if value is None:
            filing.warnings.append(f"{where}: unreadable {column} {text!r}, stored as NULL")
        elif isinstance(value, tuple):
            value, read = value
            filing.warnings.append(f"{where}: {column} {text!r} read as {read!r}")
        if value is not None:
            values[name] = value
    rows.append(values)


def footnote_markers(text: str) -> tuple[str, list[str]]:
    """A cell without its footnote marks "(1)", and the marks as footnote ids."""
    markers = re.findall(r"\((\d{1,2})\)", text)
    return " ".join(re.sub(r"\(\d{1,2}\)", " ", text).split()), [f"F{marker}" for marker in markers]


def convert(column: str, text: str):
    """A cell's value; (value, what was read) when only part of the cell reads; None when none does."""
    if column in DATES:
        return to_date(text)
    if column in NUMBERS:
        number = to_number(text.replace("$", "").replace(",", "").strip())
        if number is not None:
            return number
        leading = LEADING_NUMBER.match(text)
        return (to_number(leading.group(1).replace(",", "")), leading.group(0).strip()) if leading else None
    if column == "transaction_timeliness":
        return "E" if text.upper() == "V" else None  # V: voluntarily reported earlier than required
    if column in LETTERS:
        return text.upper() if text.upper() in LETTERS[column] else None
    return text


def to_date(text: str) -> str | None:
    """2/7/00, 02/07/2000 or February 7, 2000 -> 2000-02-07."""
    for layout in ("%m/%d/%y", "%m/%d/%Y", "%B %d, %Y", "%B %d,%Y", "%b %d, %Y"):
        try:
            return datetime.strptime(text.strip(), layout).date().isoformat()
        except ValueError:
            continue
    return None


def read_ticker(filing: Filing, form: str) -> None:
    """Box 2 gives the issuer's name, then its symbol on a line of its own."""
    box = re.search(r"Issuer Name and Ticker or Trading Symbol\s*\n((?:[ \t]+\S.*\n){1,3})", form)
    if box:
        last = box.group(1).strip().split("\n")[-1].strip()
        if re.fullmatch(r"[A-Z][A-Z.]{0,5}", last):
            filing.issuer["issuer_trading_symbol"] = last


def read_signature(filing: Filing, form: str) -> None:
    found = re.search(r"SIGNATURE OF REPORTING PERSON\s*\n(.*?)\n\s*DATE\s*\n\s*(.+)", form, re.IGNORECASE)
    if found:
        name = " ".join(found.group(1).split())
        if name:
            filing.signatures.append({"signature_seq": 1, "signature_name": name,
                                      "signature_date": to_date(found.group(2))})
