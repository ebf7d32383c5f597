"""Reader for a Form 3, 4 or 5 rendered as text: EDGAR's view of the form, printed (to PDF, say)
and converted to text, like the document this project started from.

Such text is Markdown-like: **bold** labels, escaped \\$ and \\*, table rows as tab-separated
cells, footnote markers as <sup>(1)</sup>, checkboxes as "____" blanks. The rendering loses
things: empty cells, sometimes whole cells or columns, the X in a checked box. So a row is read
cell by cell into the form's columns by what each value is (a date, a $ price, a number, a
code letter) in the form's column order, and a column the rendering lost stays NULL: the
filing's warnings name every such cell. The document gives no CIKs: issuer and owners get
surrogate keys (negative numbers, from the name) that never collide with a CIK.
"""

import hashlib
import re

from ..model import Filing, FootnoteRef, ReadError
from ..schema import PRINTED_TRANSACTION_CODES
from .ownership_xml import content_key, to_number
from .rendered_html import US_DATE, to_iso_date  # the same view, the same dates

# What the printed form never shows, so a rendering cannot carry it (besides the cells it lost).
RENDERING_CANNOT_CARRY = {
    "filings": ["schema_version", "filing_date", "acceptance_datetime", "aff10b5one (on forms before 2023)"],
    "issuer and owners": ["issuer_cik", "owner_cik: surrogate keys stand in for them"],
    "rows": ["transaction_form_type", "equity_swap_involved"],
}
MARKER = re.compile(r"<sup>\s*\((\w+)\)\s*</sup>|\((\d+)\)(?=\s|$)")
NUMBER = r"-?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?|-?\.\d+"
VALUE = re.compile(rf"\$\s*(?:({NUMBER}))?|(\d{{1,2}}/\d{{1,2}}/\d{{4}})|({NUMBER})|([A-Z])(?![\w.])")
SECTION_LABELS = (  # the form's numbered boxes, by their words: the numbers differ between forms
    "Name and Address of Reporting Person", "Issuer Name and Ticker or Trading Symbol",
    "Date of Earliest Transaction", "Date of Event Requiring Statement",
    "Statement for Issuer's Fiscal Year Ended", "If Amendment, Date", "Relationship of Reporting Person",
    "Individual or Joint/Group Filing", "I.R.S. Identification Number", "Table I", "Table II",
)
PERIOD_LABELS = ("Date of Earliest Transaction", "Date of Event Requiring Statement",
                 "Statement for Issuer's Fiscal Year Ended")
RELATIONSHIPS = {"Director": "is_director", "10% Owner": "is_ten_percent_owner", "Officer": "is_officer",
                 "Other": "is_other"}

# Each table's columns in the form's order: (column, kind). A value goes into the next column
# of its kind; "code", "v", "ad" and "di" take one letter each (a transaction code, V, A/D, D/I).
TRANSACTION_COLUMNS = {
    "nonderiv_transactions": [
        ("security_title", "text"), ("transaction_date", "date"), ("deemed_execution_date", "date"),
        ("transaction_code", "code"), ("transaction_timeliness", "v"), ("shares", "number"),
        ("acquired_disposed", "ad"), ("price_per_share", "price"), ("shares_owned_after", "number"),
        ("direct_indirect", "di"), ("nature_of_ownership", "text"),
    ],
    # Column 5 splits the number into (A) and (D) subcolumns: the rendering keeps the number, not
    # which subcolumn it stood in, so acquired_disposed stays NULL.
    "deriv_transactions": [
        ("security_title", "text"), ("conversion_or_exercise_price", "price"), ("transaction_date", "date"),
        ("deemed_execution_date", "date"), ("transaction_code", "code"), ("transaction_timeliness", "v"),
        ("shares", "number"), ("exercise_date", "date"), ("expiration_date", "date"),
        ("underlying_security_title", "text"), ("underlying_shares", "number"), ("price_per_share", "price"),
        ("shares_owned_after", "number"), ("direct_indirect", "di"), ("nature_of_ownership", "text"),
    ],
}
HOLDING_COLUMNS = {
    "nonderiv_holdings": [
        ("security_title", "text"), ("shares_owned", "number"), ("direct_indirect", "di"),
        ("nature_of_ownership", "text"),
    ],
    "deriv_holdings": [
        ("security_title", "text"), ("conversion_or_exercise_price", "price"), ("exercise_date", "date"),
        ("expiration_date", "date"), ("underlying_security_title", "text"), ("underlying_shares", "number"),
        ("shares_owned", "number"), ("direct_indirect", "di"), ("nature_of_ownership", "text"),
    ],
}
LETTERS = {"code": PRINTED_TRANSACTION_CODES, "v": {"V"}, "ad": {"A", "D"}, "di": {"D", "I"}}
# The columns a row of each table normally fills: one the rendering lost is named in a warning.
EXPECTED = {
    "nonderiv_transactions": ("shares", "acquired_disposed", "price_per_share", "shares_owned_after",
                              "direct_indirect"),
    "deriv_transactions": ("shares", "acquired_disposed", "shares_owned_after", "direct_indirect"),
    "nonderiv_holdings": ("shares_owned", "direct_indirect"),
    "deriv_holdings": ("shares_owned", "direct_indirect"),
}


def read_rendered_text(data: bytes, source_path: str, file_name: str) -> Filing:
    """Read one rendered form into a Filing; raise ReadError saying why when the text is not one."""
    sha256 = hashlib.sha256(data).hexdigest()
    raw = decode(data)
    text = unescape(raw)
    document_type = form_type(text)
    filing = Filing(
        accession_number=content_key(sha256),
        accession_source="content_hash",
        source_format="rendered-text",
        source_path=source_path,
        content_sha256=sha256,
        parse_quality="best-effort",
    )
    reader = RenderedForm(filing, text.splitlines())
    reader.read(document_type)
    filing.texts.append({"text_seq": 1, "document_type": filing.document["document_type"], "text": raw})
    return filing


def decode(data: bytes) -> str:
    if b"\0" in data[:4096]:
        raise ReadError("binary data, not a form rendered as text")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def unescape(text: str) -> str:
    """Markdown to plain text: no bold, no backslash escapes, one kind of line end."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("**", "")
    return re.sub(r"\\([$*_#\[\]()-])", r"\1", text)


def form_type(text: str) -> str:
    """3, 4 or 5, from the form's title; a text without one is not a rendered form."""
    found = re.search(r"^\s*FORM ([345])\s*$", text, re.MULTILINE)
    if not found or "Name and Address of Reporting Person" not in text or "Table I" not in text:
        raise ReadError("not a Form 3, 4 or 5 rendered as text (no form title, reporting person or Table I)")
    return found.group(1)


def surrogate_key(name: str) -> int:
    """A negative key for a filer known only by name: the same name gives the same key, and it
    never equals a CIK (CIKs are positive)."""
    normalized = " ".join(re.sub(r"[^A-Z0-9]+", " ", name.upper()).split())
    return -int(hashlib.sha256(normalized.encode()).hexdigest()[:12], 16)


def split_markers(text: str) -> tuple[str, list[tuple[int, str]]]:
    """Text without its footnote markers, and each marker's id with the offset it stood at."""
    markers, kept, last = [], [], 0
    for match in MARKER.finditer(text):
        kept.append(text[last:match.start()])
        markers.append((sum(map(len, kept)), match.group(1) or match.group(2)))
        last = match.end()
    kept.append(text[last:])
    return "".join(kept), markers


def cell_tokens(cell: str) -> list[tuple[str, object]]:
    """A cell as (kind, value) tokens in order: marker, price, date, number, letter or text.

    A cell that is not wholly typed values ("Class A Common Stock") is one text token.
    """
    plain, markers = split_markers(cell)
    values, position = [], 0
    for match in VALUE.finditer(plain):
        if plain[position:match.start()].strip():
            values = None
            break
        price, day, number, letter = match.groups()
        if match.group(0).startswith("$"):
            values.append((match.end(), "price", to_number(price.replace(",", "")) if price else None))
        elif day:
            values.append((match.end(), "date", to_iso_date(day)))
        elif number:
            values.append((match.end(), "number", to_number(number.replace(",", ""))))
        else:
            values.append((match.end(), "letter", letter))
        position = match.end()
    if values is None or plain[position:].strip():
        values = [(len(plain), "text", " ".join(plain.split()))] if plain.strip() else []
    # Markers go where they stood: after the value they follow, or first when they lead.
    tokens = [(end, 0, kind, value) for end, kind, value in values]
    tokens += [(offset, 1 if offset > 0 else -1, "marker", marker) for offset, marker in markers]
    return [(kind, value) for _, _, kind, value in sorted(tokens, key=lambda t: (t[0], t[1]))]


def fill_row(cells: list[str], columns: list[tuple[str, str]]) -> tuple[dict, list[tuple[str, str]], list[str]]:
    """Read a row's cells into the table's columns by kind, in column order.

    Returns the values, the (footnote id, column) of each marker, and notes on what was ambiguous.
    A marker after a value belongs to that value's column; a marker leading a cell belongs to the
    column the cell's next value would have filled, which it then closes (a footnote standing in
    for the value, as in "(3) 04/28/2021" under Date Exercisable and Expiration Date).
    """
    values, refs, notes = {}, [], []
    position, last = 0, None  # the next column to fill; the column filled last

    def next_column(kind: str, value, start: int) -> int | None:
        for index in range(start, len(columns)):
            column_kind = columns[index][1]
            if column_kind == kind or (kind == "letter" and value in LETTERS.get(column_kind, ())):
                return index
        return None

    for cell in cells:
        leading, after_value = [], False
        for kind, value in cell_tokens(cell):
            if kind == "marker":
                if after_value:
                    refs.append((value, columns[last][0]))
                else:
                    leading.append(value)
                continue
            index = next_column(kind, value, position)
            if index is not None and leading:  # the markers stood in this column, without a value
                refs.extend((marker, columns[index][0]) for marker in leading)
                leading, index = [], next_column(kind, value, index + 1)
            if index is None:
                notes.append(f"{value!r} fits no column left")
                continue
            values[columns[index][0]] = "E" if columns[index][1] == "v" else value
            position, last, after_value = index + 1, index, True
        if leading and position < len(columns):  # a cell of markers only: they stand in the next column
            refs.extend((marker, columns[position][0]) for marker in leading)
            position += 1
    return values, refs, notes


class RenderedForm:
    """Reads the parts of one rendered form, in the form's order, into a Filing."""

    def __init__(self, filing: Filing, lines: list[str]):
        self.filing = filing
        self.lines = [line.rstrip() for line in lines]
        self.lost: list[str] = []

    def read(self, document_type: str) -> None:
        document = self.filing.document
        original = to_iso_date(self.section_value("If Amendment, Date") or "")
        document["document_type"] = document_type + ("/A" if original else "")
        if original:
            document["date_of_original_submission"] = original
        for label in PERIOD_LABELS:
            if period := to_iso_date(self.section_value(label) or ""):
                document["period_of_report"] = period
                break
        self.read_issuer()
        self.read_owners()
        self.read_tables()
        self.read_footnotes()
        self.read_signatures()
        self.read_remarks()
        if self.lost:
            self.filing.warnings.append("not in the rendering, stored as NULL: " + "; ".join(self.lost))

    # --- the boxes at the top of the form

    def find(self, label: str, start: int = 0) -> int | None:
        for number in range(start, len(self.lines)):
            if label in self.lines[number]:
                return number
        return None

    def section_lines(self, label: str) -> list[str]:
        """The non-empty lines under a box's label, up to the next box or table."""
        start = self.find(label)
        if start is None:
            return []
        found = []
        for line in self.lines[start + 1:]:
            if any(other in line for other in SECTION_LABELS):
                break
            if line.strip():
                found.append(line.strip())
        return found

    def section_value(self, label: str) -> str | None:
        """The first line under a box's label."""
        lines = self.section_lines(label)
        return lines[0] if lines else None

    def read_issuer(self) -> None:
        lines = self.section_lines("Issuer Name and Ticker or Trading Symbol")
        if not lines:
            raise ReadError("the rendered form gives no issuer name")
        plain, markers = split_markers(lines[0])
        name, ticker = re.fullmatch(r"(.*?)\s*(?:\[\s*([^\]]*?)\s*\])?", plain.strip()).groups()
        self.filing.issuer = {"issuer_cik": surrogate_key(name), "issuer_name": name}
        if ticker:
            self.filing.issuer["issuer_trading_symbol"] = ticker
        self.add_refs(markers, "issuer_name")

    def read_owners(self) -> None:
        lines = self.section_lines("Name and Address of Reporting Person")
        if not lines:
            raise ReadError("the rendered form gives no reporting person")
        name, markers = split_markers(lines[0].rstrip("*").strip())
        owner = {"owner_seq": 1, "owner_cik": surrogate_key(name), "owner_name": name.strip(" *")}
        self.add_refs(markers, "owner_name")
        street = [line for line in lines[1:lines.index("(Street)")] if not line.startswith("(Last)")] \
            if "(Street)" in lines else []
        if street:
            owner["street1"] = street[0]
            if len(street) > 1:
                owner["street2"] = " ".join(street[1:])
        city_line = lines[lines.index("(Street)") + 1] if "(Street)" in lines[:-1] else ""
        if place := re.fullmatch(r"(.+?),?\s+([A-Z]{2})\s+(\d{5}(?:-\d{4})?)", city_line):
            owner["city"], owner["state"], owner["zip_code"] = place.groups()
        owner.update(self.relationship(owner["owner_name"]))
        self.filing.owners.append(owner)

    def relationship(self, owner_name: str) -> dict:
        """The owner's relationship flags and title: from the Reporting Owners table where the
        rendering has one (a column per relationship), else from the checkboxes of box 5,
        where a box the rendering shows without its "____" blank was the one checked."""
        flags = dict.fromkeys(RELATIONSHIPS.values(), 0)
        header = self.find("Reporting Owner Name / Address")
        rows = [line.split("\t") for line in self.lines[(header or 0) + 2:] if "\t" in line] if header else []
        for cells in rows:
            if cells[0].startswith(owner_name) and len(cells) >= 5:
                director, ten_percent, officer, other = (cell.strip() for cell in cells[1:5])
                flags.update(is_director=int(bool(director)), is_ten_percent_owner=int(bool(ten_percent)),
                             is_officer=int(bool(officer)), is_other=int(bool(other)))
                if officer:
                    flags["officer_title"] = officer
                if other:
                    flags["other_text"] = other
                return flags
        box = self.section_lines("Relationship of Reporting Person")
        boxes = " ".join(box)
        for label, flag in RELATIONSHIPS.items():
            before = re.search(rf"(_*)\s*{re.escape(label)}", boxes)
            flags[flag] = int(bool(before) and not before.group(1))
        title_lines = [line for line in box
                       if not any(label in line for label in RELATIONSHIPS) and not line.startswith("(")]
        if title_lines and flags["is_officer"]:
            flags["officer_title"] = title_lines[0]
        return flags

    # --- Tables I and II

    def read_tables(self) -> None:
        for label, header, transactions, holdings in (
            ("Table I -", "1. Title of Security", "nonderiv_transactions", "nonderiv_holdings"),
            ("Table II -", "1. Title of Derivative Security", "deriv_transactions", "deriv_holdings"),
        ):
            for cells in self.table_rows(label, header):
                self.read_row(cells, transactions, holdings)

    def table_rows(self, label: str, header: str) -> list[list[str]]:
        start = self.find(label)
        header_line = self.find(header, start) if start is not None else None
        if header_line is None:
            return []
        rows = []
        for line in self.lines[header_line + 1:]:
            if "\t" not in line:
                if line.strip():
                    break
                continue
            rows.append(line.split("\t"))
        return rows

    def read_row(self, cells: list[str], transactions: str, holdings: str) -> None:
        values, refs, notes = fill_row(cells, TRANSACTION_COLUMNS[transactions])
        table = transactions
        if not values.get("transaction_code") and not values.get("transaction_date"):
            table = holdings
            values, refs, notes = fill_row(cells, HOLDING_COLUMNS[holdings])
        rows = self.filing.rows[table]
        values["row_seq"] = len(rows) + 1
        rows.append(values)
        where = f"{table} row {values['row_seq']}"
        for marker, column in refs:
            self.filing.footnote_refs.append(FootnoteRef("F" + marker, table, values["row_seq"], column))
        for note in notes:
            self.filing.warnings.append(f"{where}: {note}")
        self.lost.extend(f"{where} {column}" for column in EXPECTED[table] if values.get(column) is None)
        if table == "deriv_transactions" and values.get("exercise_date") and not values.get("expiration_date") \
                and not any(column == "exercise_date" for _, column in refs):
            self.filing.warnings.append(f"{where}: one date under Date Exercisable and Expiration Date, "
                                        "read as the date exercisable")

    # --- what follows the tables

    def read_footnotes(self) -> None:
        """The numbered notes of the Explanation of Responses; the form's own notes (*, **) are
        boilerplate, not footnotes. A note's continuation lines (line breaks of the rendering) join it."""
        start = self.find("Explanation of Responses")
        if start is None:
            return
        notes: list[list[str]] = []
        for line in self.lines[start + 1:]:
            item = re.match(r"\s*-\s+(.*)", line)
            if item:
                notes.append([item.group(1).strip()])
            elif line.startswith(("Note:", "Remarks")):
                break
            elif notes and line.strip():
                notes[-1].append(line.strip())
        numbers = []
        for lines in notes:
            numbered = re.match(r"\((\d+)\)\s*(.*)", lines[0])
            if numbered:
                numbers.append(int(numbered.group(1)))
                text = " ".join([numbered.group(2), *lines[1:]]).strip()
                self.filing.footnotes.append(("F" + numbered.group(1), text or None))
        skipped = sorted(set(range(1, max(numbers, default=0) + 1)) - set(numbers))
        if skipped:
            self.filing.warnings.append(
                "footnote numbers skip " + ", ".join(f"({n})" for n in skipped)
                + ": the rendering lost them or ran them into a neighbour")

    def read_signatures(self) -> None:
        start = self.find("Signatures")
        if start is None:
            return
        lines = []
        for line in self.lines[start + 1:]:
            if "Signature of Reporting Person" in line:
                break
            if line.strip():
                lines.append(line.strip())
        name = next((line for line in lines if not US_DATE.fullmatch(line)), None)
        signed = next((to_iso_date(line) for line in lines if US_DATE.fullmatch(line)), None)
        if name:
            self.filing.signatures.append({"signature_seq": 1, "signature_name": name, "signature_date": signed})

    def read_remarks(self) -> None:
        start = self.find("Remarks:")
        if start is None:
            return
        lines = []
        for line in self.lines[start + 1:]:
            if line.startswith(("Note:", "##")) or "Signature" in line:
                break
            lines.append(line.strip())
        remarks = "\n".join(lines).strip()
        if remarks:
            self.filing.document["remarks"] = remarks

    def add_refs(self, markers: list[tuple[int, str]], column: str) -> None:
        for _, marker in markers:
            self.filing.footnote_refs.append(FootnoteRef("F" + marker, None, None, column))
