"""Reader for EDGAR's rendered HTML view of a Form 3, 4 or 5 (and amendments).

The page is what sec.gov serves under a filing's xslF345X0N/ folder: the ownership XML run
through the SEC's xslF345 stylesheet into the paper form's layout ("SEC Form 4", boxes 1 to 6,
"Table I - Non-Derivative Securities ...", "Table II - Derivative Securities ...", the
"Explanation of Responses", remarks and signatures). People save such pages; this reads them
back into the same Filing the XML reader makes, from the page's structure: boxes by their
labels, table columns by their headers, so the Form 3, 4 and 5 layouts and the stylesheet
versions read alike.

The page shows values as filed, reformatted (10/02/2015, 16,670, $634.4608) and footnote
markers as "(1)". It cannot show everything the XML holds: HTML_CANNOT_CARRY lists what stays
NULL. The page is parsed by lxml's HTML parser with the network off; nothing is fetched.
"""

import copy
import hashlib
import re

from lxml import etree

from ..model import Filing, FootnoteRef, ReadError
from .ownership_xml import (
    RELATIONSHIP_FLAGS,
    accession_from_name,
    ascii_digits,
    content_key,
    to_date,
    to_number,
)

# What the XML gives and the page does not: these stay empty for filings read from it. The
# first word of each entry in the first three lists is the column.
HTML_CANNOT_CARRY = {
    "filings": [
        "schema_version (not on the page)",
        "issuer_foreign_trading_symbol (not on any page seen)",
        # The page draws these as boxes, an X when true: an empty box is 0 or absent alike.
        "not_subject_to_section16 (only 1 shows: an empty box does not tell 0 from absent)",
        "form3_holdings_reported (only 1 shows, as for not_subject_to_section16)",
        "form4_transactions_reported (only 1 shows, as for not_subject_to_section16)",
        "aff10b5one (only 1 shows, as for not_subject_to_section16)",
        "no_securities_owned (only 1 shows, as the words 'No securities are beneficially owned')",
    ],
    "filing_owners": [
        "owner_ccc (not on the page)",
        "non_us_address_flag (not on any page seen)",
        "non_us_state_territory (not on any page seen)",
        "country (not on any page seen)",
        "state_description (not on the page)",
        "good_address (not on the page)",
    ],
    "rows": [
        "transaction_form_type (not on the page; a Form 5 row may be a late Form 3 or 4 one)",
        "equity_swap_involved (not on the page)",
        ("transaction_timeliness (the V column could only mark an early report, and late and on "
         "time look alike; a V shown is a warning, not stored)"),
        "total_value (amount columns are read as shares; a $ amount in one is a warning)",
        "underlying_value (as for total_value)",
        "value_owned_after (as for total_value)",
        "value_owned (as for total_value)",
    ],
    "joint filings": [
        ("is_director, is_officer, is_ten_percent_owner, is_other, officer_title and other_text "
         "when there are several owners: the page has one relationship box for all of them, so "
         "they stay NULL and a warning keeps what the box shows"),
    ],
    "numbers": [
        ("the page prints numbers formatted (134018.0 as 134,018; 16670 as 16,670, with a $ for "
         "prices); read back they equal the XML's in every twin in the corpus"),
    ],
    "whitespace": [
        ("a run of spaces and line breaks inside a name, title or table value reads as one space "
         "(as a browser shows it; saved pages get re-wrapped); footnotes and remarks keep the "
         "page's text, which may be wrapped differently from the XML's"),
    ],
    "accession": [
        ("the page does not state its accession: it comes from the sec.gov Archives address it "
         "was saved from (a saved page's 'saved from url' comment), else from the file name, else "
         "from the content hash"),
    ],
}

MAX_PAGE_BYTES = 2 << 20  # the pages are tens of kilobytes; this bounds the parse and the walk
MAX_TABLE_NESTING = 6
PARSER = etree.HTMLParser(
    no_network=True,
    remove_comments=True,
    remove_pis=True,
    default_doctype=False,
    huge_tree=False,
)
FORM_NAME = re.compile(r"FORM\s*([345])\s*(/\s*A)?", re.ASCII | re.IGNORECASE)
ARCHIVES_ADDRESS = re.compile(r"/Archives/edgar/data/\d{1,10}/(\d{10})(\d{2})(\d{6})(?!\d)", re.ASCII)
CIK_IN_LINK = re.compile(r"CIK=(\d{1,10})(?!\d)", re.ASCII | re.IGNORECASE)
US_DATE = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})", re.ASCII)
SHOWN_NUMBER = re.compile(r"(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?|\.\d+", re.ASCII)
MARKER = re.compile(r"\((\d{1,3})\)", re.ASCII)
MARKERS_ONLY = re.compile(r"(?:\s*\(\d{1,3}\))+\s*", re.ASCII)
NUMBERED_FOOTNOTE = re.compile(r"(\d{1,3})\.\s*(.*)", re.ASCII | re.DOTALL)
XML_DECLARATION = re.compile(r"\A\s*<\?xml[^>]*>")
HEADER_NOISE = re.compile(r"\((?:instr\.|month/day/year)[^)]*\)|^\d+[a-z]?\.")

PERIOD_LABELS = ("Date of Earliest Transaction", "Fiscal Year Ended", "Date of Event Requiring Statement")
AMENDMENT_LABEL = "If Amendment, Date of Original Filed"
SIGNATURE_LABEL = "Signature of Reporting Person"  # under the signatures, after both tables
CHECKBOXES = {  # the box's label (its start) -> the filings column an X in it sets to 1
    "Check this box if no longer subject to Section 16": "not_subject_to_section16",
    "Form 3 Holdings Reported": "form3_holdings_reported",
    "Form 4 Transactions Reported": "form4_transactions_reported",
    "Check this box to indicate that a transaction was made pursuant to a contract": "aff10b5one",
}
RELATIONSHIPS = {
    "Director": "is_director",
    "10% Owner": "is_ten_percent_owner",
    "Officer (give title below)": "is_officer",
    "Other (specify below)": "is_other",
}

# A table header's words (numbering, "(Instr. 3)" and "(Month/Day/Year)" removed) -> the column it
# stands for. "owned" is shares_owned_after in a transaction row and shares_owned in a holding;
# "acquired" and "disposed" are Table II's column 5 split in two: the number's place gives A or D.
HEADER_COLUMNS = [
    (re.compile(pattern), column) for pattern, column in (
        (r"title of (derivative )?security", "security_title"),
        (r"title", "underlying_security_title"),
        (r"conversion or exercise price of derivative security", "conversion_or_exercise_price"),
        (r"transaction date", "transaction_date"),
        (r"deemed execution date(, if any)?", "deemed_execution_date"),
        (r"(transaction )?code", "transaction_code"),
        (r"v", "v"),
        (r"amount", "shares"),
        (r"\(a\) or \(d\)", "acquired_disposed"),
        (r"\(a\)", "acquired"),
        (r"\(d\)", "disposed"),
        (r"price( of derivative security)?", "price_per_share"),
        (r"(amount|number) of (derivative )?securities beneficially owned.*", "owned"),
        (r"date exercisable", "exercise_date"),
        (r"expiration date", "expiration_date"),
        (r"amount or number of shares", "underlying_shares"),
        (r"ownership form.*", "direct_indirect"),
        (r"nature of indirect beneficial ownership", "nature_of_ownership"),
    )
]
DATE_COLUMNS = {"transaction_date", "deemed_execution_date", "exercise_date", "expiration_date"}
NUMBER_COLUMNS = {"shares", "price_per_share", "owned", "acquired", "disposed", "conversion_or_exercise_price",
                  "underlying_shares"}
SHARE_COLUMNS = {"shares", "owned", "acquired", "disposed", "underlying_shares"}  # a $ here is a value
TRANSACTION_COLUMNS = {"transaction_date", "deemed_execution_date", "transaction_code", "v", "shares",
                       "acquired_disposed", "acquired", "disposed", "price_per_share"}
ROW_TABLES = {  # (derivative, transaction) -> table
    (False, True): "nonderiv_transactions",
    (False, False): "nonderiv_holdings",
    (True, True): "deriv_transactions",
    (True, False): "deriv_holdings",
}


def read_rendered_html(data: bytes, source_path: str, file_name: str) -> Filing:
    """Read one rendered Form 3, 4 or 5 page into a Filing; raise ReadError saying why when it is not one."""
    sha256 = hashlib.sha256(data).hexdigest()
    text = decode(data)
    root = parse_page(text)
    accession, accession_source, warnings = find_accession(file_name, text, sha256)
    filing = Filing(
        accession_number=accession,
        accession_source=accession_source,
        source_format="rendered-html",
        source_path=source_path,
        content_sha256=sha256,
        parse_quality="partial",
        warnings=warnings,
    )
    PageReader(filing, root).read()
    return filing


def decode(data: bytes) -> str:
    if not data.strip():
        raise ReadError("empty file")
    if len(data) > MAX_PAGE_BYTES:
        raise ReadError(f"larger than {MAX_PAGE_BYTES >> 20} MiB: not a rendered ownership form")
    try:
        text = data.decode("utf-8-sig")  # the stylesheet writes UTF-8
    except UnicodeDecodeError:
        text = data.decode("cp1252", errors="replace")  # a page re-saved by an older browser
    return XML_DECLARATION.sub("", text)  # lxml refuses a declared encoding in text


def parse_page(text: str) -> etree._Element:
    if "Table I" not in text:  # cheap first look: spares parsing what cannot be a form
        raise ReadError("no 'Table I': not a rendered Form 3, 4 or 5")
    try:
        root = etree.fromstring(text, PARSER)
    except (etree.ParserError, etree.XMLSyntaxError, ValueError) as error:
        raise ReadError(f"not readable as HTML: {error}") from None
    if root is None:
        raise ReadError("not readable as HTML: nothing in it")
    # The form nests tables two deep; finding a box by its label costs a walk of every enclosing
    # cell, so deep nesting is refused rather than walked.
    deepest = max((int(table.xpath("count(ancestor::table)")) for table in root.iter("table")), default=0)
    if deepest > MAX_TABLE_NESTING:
        raise ReadError(f"tables nested {deepest} deep: not a rendered ownership form")
    return root


def find_accession(file_name: str, text: str, sha256: str) -> tuple[str, str, list[str]]:
    """(accession, where it came from, warnings): from the sec.gov Archives address the page was
    saved from (its "saved from url" comment), else from the file name, else from the content.

    The address wins over the file name: it is what EDGAR served, while a name is what someone
    called the file (the corpus holds a page named for one accession and saved from the next).
    """
    named = accession_from_name(file_name)
    on_page = list(dict.fromkeys("-".join(match.groups()) for match in ARCHIVES_ADDRESS.finditer(text)))
    warnings = []
    if len(on_page) > 1:
        warnings.append(f"the page names several accessions: {', '.join(on_page)}; none taken from it")
    elif len(on_page) == 1:
        if named and named != on_page[0]:
            warnings.append(f"the page was saved from accession {on_page[0]}, not the file name's {named}")
        return on_page[0], "page_url", warnings
    if named:
        return named, "file_name", warnings
    return content_key(sha256), "content_hash", warnings


# Cells -----------------------------------------------------------------------------------------

def visible_text(element) -> str:
    """The element's text as shown, footnote markers (<sup>) left out, whitespace runs as one space."""
    if not element.xpath("boolean(.//sup)"):
        return " ".join("".join(element.itertext()).split())
    element = copy.deepcopy(element)
    etree.strip_elements(element, "sup", with_tail=False)
    return " ".join("".join(element.itertext()).split())


def raw_markers(element) -> list[str]:
    """The text of each <sup> in the element: "(1)" for a footnote marker."""
    return [" ".join("".join(sup.itertext()).split()) for sup in element.iter("sup")]


def has_class(class_name: str) -> str:
    return f"contains(concat(' ', normalize-space(@class), ' '), ' {class_name} ')"


def form_data(element) -> list:
    """The spans that hold the filer's values in a box (class FormData; labels are other classes)."""
    return element.xpath(".//span[@class='FormData']")


def to_iso_date(text: str) -> str | None:
    match = US_DATE.fullmatch(text)
    if not match:
        return None
    month, day, year = match.groups()
    return to_date(f"{year}-{int(month):02d}-{int(day):02d}")


def to_plain_number(text: str) -> int | float | None:
    """16,670 -> 16670; $634.4608 -> 634.4608; None when not a number as the stylesheet prints one."""
    text = text.replace("$", "").strip()
    return to_number(text.replace(",", "")) if SHOWN_NUMBER.fullmatch(text) else None


def header_column(header: str) -> str | None:
    words = " ".join(HEADER_NOISE.sub(" ", header.lower()).split()).rstrip(".: ")
    for pattern, column in HEADER_COLUMNS:
        if pattern.fullmatch(words):
            return column
    return None


def colspan(cell) -> int:
    value = (cell.get("colspan") or "1").strip()
    return min(int(value), 64) if ascii_digits(value) and int(value) > 0 else 1


class PageReader:
    """Walks one rendered form page into a Filing."""

    def __init__(self, filing: Filing, root):
        self.filing = filing
        self.root = root
        self.footnote_ids: set[str] = set()

    def read(self) -> None:
        tables = self.find_tables()  # first: a page that is no form is refused before anything else
        self.read_form_type()
        self.read_checkboxes()
        self.read_dates()
        self.read_issuer()
        self.read_owners()
        for derivative, table in enumerate(tables):
            self.read_table(table, bool(derivative))
        self.read_footnotes_and_remarks()
        self.read_signatures()
        self.check_markers()

    # Finding things ----------------------------------------------------------------------------

    def boxes(self, label: str) -> list:
        """The innermost table cells whose shown text contains ``label``: the boxes labelled so."""
        return self.root.xpath("//td[contains(normalize-space(.), $label) and not(.//td[contains("
                               "normalize-space(.), $label)])]", label=label)

    def box(self, label: str):
        found = self.boxes(label)
        return found[0] if found else None

    def find_tables(self) -> list:
        """Tables I and II, whole: a page cut short (or no form at all) is refused here."""
        tables = []
        for title in ("Table I - ", "Table II - "):
            found = self.root.xpath("//th[contains(normalize-space(.), $title)]/ancestor::table[1]", title=title)
            if not found:
                raise ReadError(f"no '{title.strip(' -')}' table: not a rendered Form 3, 4 or 5, or cut short")
            if len(found) > 1:
                raise ReadError(f"{len(found)} '{title.strip(' -')}' tables: not a single rendered form")
            tables.append(found[0])
        if self.box(SIGNATURE_LABEL) is None:
            raise ReadError("no signature block after the tables: the page is cut short")
        return tables

    # Document ----------------------------------------------------------------------------------

    def read_form_type(self) -> None:
        names = self.root.xpath(f"//td[{has_class('FormName')}]")
        match = FORM_NAME.fullmatch(visible_text(names[0])) if names else None
        if not match:
            shown = visible_text(names[0]) if names else "nothing"
            raise ReadError(f"the form's name box shows {shown!r}, not FORM 3, 4 or 5")
        document_type = match.group(1)
        amendment = self.box(AMENDMENT_LABEL)
        original = self.read_box_date(amendment, "date_of_original_submission") if amendment is not None else None
        if original is not None:
            self.filing.document["date_of_original_submission"] = original
        self.filing.document["document_type"] = document_type + ("/A" if match.group(2) or original else "")

    def read_dates(self) -> None:
        for label in PERIOD_LABELS:
            box = self.box(label)
            if box is not None:
                period = self.read_box_date(box, "period_of_report")
                if period is not None:
                    self.filing.document["period_of_report"] = period
                return

    def read_box_date(self, box, column: str) -> str | None:
        values = [visible_text(span) for span in form_data(box)]
        self.add_box_markers(box, column)
        shown = " ".join(value for value in values if value)
        if not shown:
            return None
        value = to_iso_date(shown)
        if value is None:
            self.warn(f"unreadable date for {column}: {shown!r}")
        return value

    def read_checkboxes(self) -> None:
        for label, column in CHECKBOXES.items():
            for cell in self.root.xpath("//td[starts-with(normalize-space(.), $label) and not(.//td)]", label=label):
                mark = cell.getprevious()
                shown = visible_text(mark) if mark is not None else ""
                if shown.upper() == "X":
                    self.filing.document[column] = 1
                elif shown:
                    self.warn(f"the box '{label}' shows {shown!r}, not X: not stored")
        if self.root.xpath("//*[contains(normalize-space(text()), 'No securities are beneficially owned')]"):
            self.filing.document["no_securities_owned"] = 1

    # Issuer and owners -------------------------------------------------------------------------

    def read_issuer(self) -> None:
        box = self.box("Issuer Name and Ticker or Trading Symbol")
        if box is None:
            self.warn("no issuer box (Issuer Name and Ticker or Trading Symbol)")
            return
        issuer = self.filing.issuer
        self.read_link(box, issuer, "issuer_cik", "issuer_name")
        symbols = [visible_text(span) for span in form_data(box)]
        if symbols and symbols[0]:
            issuer["issuer_trading_symbol"] = symbols[0]
        self.add_box_markers(box, "issuer_name")

    def read_link(self, box, into: dict, cik_column: str, name_column: str) -> None:
        """The name and CIK a box shows as a link to EDGAR's company page."""
        links = [a for a in box.iter("a") if CIK_IN_LINK.search(a.get("href") or "")]
        if not links:
            self.warn(f"no {name_column} link (to EDGAR's company page) in its box")
            return
        into[cik_column] = int(CIK_IN_LINK.search(links[0].get("href")).group(1))
        name = visible_text(links[0])
        if name:
            into[name_column] = name

    def read_owners(self) -> None:
        """Box 1 shows the first owner; a joint filing lists every owner again after Table II."""
        seen = set()
        for box in self.boxes("Name and Address of Reporting Person"):
            owner = {}
            self.read_link(box, owner, "owner_cik", "owner_name")
            key = owner.get("owner_cik") or owner.get("owner_name")
            if key is None or key in seen:
                continue
            seen.add(key)
            owner = {"owner_seq": len(self.filing.owners) + 1, **owner}
            self.read_address(box, owner)
            self.add_box_markers(box, "owner_name")
            self.filing.owners.append(owner)
        if not self.filing.owners:
            self.warn("no reporting owner shown")
        self.read_relationship()
        self.check_joint_filing()

    def read_address(self, box, owner: dict) -> None:
        """Street lines, then a row of city, state and zip code."""
        place_rows = box.xpath(".//tr[count(td) = 3 and count(td/span[@class='FormData']) = 3]")
        place = [visible_text(span) for span in form_data(place_rows[0])] if place_rows else []
        in_place = set(form_data(place_rows[0])) if place_rows else set()
        streets = [visible_text(span) for span in form_data(box) if span not in in_place]
        if len(streets) > 2:
            self.warn(f"{len(streets)} street lines for owner {owner['owner_seq']}: the third on not stored")
        for column, value in [*zip(("street1", "street2"), streets), *zip(("city", "state", "zip_code"), place)]:
            if value:
                owner[column] = value

    def read_relationship(self) -> None:
        box = self.box("Relationship of Reporting Person(s) to Issuer")
        if box is None:
            self.warn("no relationship box (Relationship of Reporting Person(s) to Issuer)")
            return
        relationship = self.read_relationship_box(box)
        if len(self.filing.owners) == 1:
            self.filing.owners[0].update(relationship)
        elif self.filing.owners:
            shown = ", ".join(f"{column}={value!r}" for column, value in relationship.items())
            self.warn(f"one relationship box for {len(self.filing.owners)} owners, not stored: {shown}")

    def read_relationship_box(self, box) -> dict:
        relationship = {}
        title_rows = []
        for row in box.iter("tr"):
            cells = [cell for cell in row if cell.tag == "td"]
            labels = [visible_text(cell) for cell in cells]
            flags = [(index, RELATIONSHIPS[label]) for index, label in enumerate(labels) if label in RELATIONSHIPS]
            for index, column in flags:
                mark = labels[index - 1] if index else ""
                relationship[column] = 1 if mark.upper() == "X" else 0
                if mark and mark.upper() != "X":
                    self.warn(f"the relationship box shows {mark!r} for {column}, not X")
            if not flags and cells:
                title_rows.append(cells)
        for column in RELATIONSHIP_FLAGS:
            relationship.setdefault(column, 0)
        relationship.update(self.read_titles(title_rows, relationship))
        return relationship

    def read_titles(self, title_rows: list, relationship: dict) -> dict:
        """The officer's title and the other relationship's text, under the check boxes.

        Newer pages give each its cell (the 2nd and 4th of four); older ones one cell, holding a span
        for each, or one text that belongs to whichever of Officer and Other is checked.
        """
        titles = {}
        for cells in title_rows:
            if len(cells) == 4:
                texts = [visible_text(cells[1]), visible_text(cells[3])]
            else:
                spans = cells[0].xpath("span[@class='FormData']") if len(cells) == 1 else []
                texts = [visible_text(span) for span in spans] if spans else [visible_text(cell) for cell in cells]
            texts = texts if len(texts) == 2 else [text for text in texts if text]
            if len(texts) == 2:
                titles.update((column, text) for column, text in zip(("officer_title", "other_text"), texts) if text)
            elif len(texts) == 1:
                officer, other = relationship.get("is_officer"), relationship.get("is_other")
                if officer and not other:
                    titles["officer_title"] = texts[0]
                elif other and not officer:
                    titles["other_text"] = texts[0]
                else:
                    self.warn(f"relationship text {texts[0]!r} is neither clearly the officer's title nor "
                              f"the other relationship's: not stored")
            elif texts:
                self.warn(f"relationship texts not understood: {texts!r}")
        return titles

    def check_joint_filing(self) -> None:
        box = self.box("Form filed by More than One Reporting Person")
        mark = box.getprevious() if box is not None else None
        if mark is None:
            return
        joint = visible_text(mark).upper() == "X"
        count = len(self.filing.owners)
        if joint != (count > 1):
            self.warn(f"box 6 says {'more than one' if joint else 'one'} reporting person, the page shows {count}")

    # Tables ------------------------------------------------------------------------------------

    def read_table(self, table, derivative: bool) -> None:
        rows = table.xpath("./thead/tr | ./tbody/tr | ./tr | ./tfoot/tr")
        header_rows = [row for row in rows if row.find("th") is not None]
        data_rows = [row for row in rows if row.find("th") is None and row.find("td") is not None]
        columns = self.table_columns(header_rows[1:], derivative)
        for row in data_rows:
            self.read_row([cell for cell in row if cell.tag == "td"], columns, derivative)

    def table_columns(self, header_rows: list, derivative: bool) -> list:
        """Each column's name, from the header: a heading over several columns has its own row below."""
        if not header_rows:
            raise ReadError(f"Table {'II' if derivative else 'I'} has no column headings")
        below = [cell for row in header_rows[1:] for cell in row if cell.tag == "th"]
        headings = []
        for cell in (cell for cell in header_rows[0] if cell.tag == "th"):
            span = colspan(cell)
            if span > 1 and len(below) >= span:
                headings += [visible_text(sub) for sub in below[:span]]
                del below[:span]
            else:
                headings.append(visible_text(cell))
        columns = [header_column(heading) for heading in headings]
        for heading, column in zip(headings, columns):
            if column is None:
                self.warn(f"Table {'II' if derivative else 'I'} column {heading!r} not understood: not read")
        if "security_title" not in columns:
            raise ReadError(f"Table {'II' if derivative else 'I'} has no title column: not a rendered form")
        return columns

    def read_row(self, cells: list, columns: list, derivative: bool) -> None:
        table_name = "Table II" if derivative else "Table I"
        contents = [(visible_text(cell), raw_markers(cell)) for cell in cells]
        if not any(text or markers for text, markers in contents):
            return
        if len(cells) != len(columns):
            shown = " | ".join(text for text, _ in contents)
            self.warn(f"{table_name} row of {len(cells)} cells under {len(columns)} columns not read: {shown!r}")
            return
        # A holding shows neither a transaction date nor a code (the stylesheet leaves them empty).
        transaction = any(text or markers for column, (text, markers) in zip(columns, contents)
                          if column in ("transaction_date", "transaction_code"))
        table = ROW_TABLES[derivative, transaction]
        rows = self.filing.rows[table]
        values = {"row_seq": len(rows) + 1}
        for column, (text, markers) in zip(columns, contents):
            if column is not None:
                self.read_cell(column, text, markers, values, table, transaction)
        rows.append(values)

    def read_cell(self, column: str, text: str, markers: list, values: dict, table: str, transaction: bool) -> None:
        where = f"{table} row {values['row_seq']}"
        if not transaction and column in TRANSACTION_COLUMNS:
            if text or markers:
                self.warn(f"{where} (a holding) shows {text or markers!r} under {column}: not stored")
            return
        field = self.field_for(column, transaction)
        for marker in markers:
            self.add_marker(marker, table, values["row_seq"], field)
        if not text or (column in NUMBER_COLUMNS and not text.strip("$ ")):  # "$" alone: a footnote's value
            return
        if column == "v":
            self.warn(f"{where} shows {text!r} in the V column (an early report?): not stored")
        elif column in SHARE_COLUMNS and "$" in text:
            self.warn(f"{where} shows a dollar amount {text!r} under {field}: not stored")
        elif column in ("acquired", "disposed"):
            if "acquired_disposed" in values:
                self.warn(f"{where} shows numbers under both (A) and (D): the second, {text!r}, not stored")
                return
            values["acquired_disposed"] = "A" if column == "acquired" else "D"
            self.store(values, field, text, to_plain_number, where)
        elif column in DATE_COLUMNS:
            self.store(values, field, text, to_iso_date, where)
        elif column in NUMBER_COLUMNS:
            self.store(values, field, text, to_plain_number, where)
        else:
            values[field] = text

    @staticmethod
    def field_for(column: str, transaction: bool) -> str:
        if column == "owned":
            return "shares_owned_after" if transaction else "shares_owned"
        if column in ("acquired", "disposed"):
            return "shares"
        if column == "v":
            return "transaction_timeliness"
        return column

    def store(self, values: dict, field: str, text: str, convert, where: str) -> None:
        """Store a value typed; unreadable text is stored as NULL with a warning that keeps it."""
        value = values[field] = convert(text)
        if value is None:
            self.warn(f"unreadable {field} in {where}: {text!r}")

    # Footnotes, remarks, signatures ------------------------------------------------------------

    def read_footnotes_and_remarks(self) -> None:
        label = self.box("Explanation of Responses")
        if label is None:
            return
        in_remarks = False
        for cell in label.xpath("ancestor::table[1]//td"):
            shown = visible_text(cell)
            if shown.startswith("Remarks"):
                in_remarks = True
            elif "FootnoteData" in (cell.get("class") or "") and (text := "".join(cell.itertext()).strip()):
                if in_remarks:
                    self.filing.document["remarks"] = text
                else:
                    self.read_footnote(text)

    def read_footnote(self, text: str) -> None:
        match = NUMBERED_FOOTNOTE.fullmatch(text)
        if not match:
            self.warn(f"footnote without a number not stored: {text!r}")
            return
        footnote_id = "F" + str(int(match.group(1)))
        if footnote_id in self.footnote_ids:
            self.warn(f"footnote {footnote_id} repeated, not stored: {text!r}")
            return
        self.footnote_ids.add(footnote_id)
        self.filing.footnotes.append((footnote_id, match.group(2).strip() or None))

    def read_signatures(self) -> None:
        label = self.box(SIGNATURE_LABEL)
        rows = list(label.getparent().itersiblings(preceding=True))[::-1]  # the rows above the label
        for row in rows:
            name, when = ([visible_text(span) for span in form_data(row)] + ["", ""])[:2]
            if not (name or when):
                continue
            signature = {"signature_seq": len(self.filing.signatures) + 1}
            if name:
                signature["signature_name"] = name
            if when:
                self.store(signature, "signature_date", when, to_iso_date, "the signatures")
            self.filing.signatures.append(signature)

    # Markers and warnings ----------------------------------------------------------------------

    def add_box_markers(self, box, column: str) -> None:
        """Markers on a value outside the tables (the specification allows none; kept anyway)."""
        for marker in box.xpath(f".//span[{has_class('FootnoteData')}]//sup"):
            self.add_marker(" ".join("".join(marker.itertext()).split()), None, None, column)

    def add_marker(self, text: str, table: str | None, row_seq: int | None, field: str) -> None:
        """One <sup>'s text: "(1)" is footnote F1 on ``field``; several may share one <sup>."""
        if not MARKERS_ONLY.fullmatch(text):
            self.warn(f"marker {text!r} on {field} of {table} row {row_seq} not understood")
            return
        for number in MARKER.findall(text):
            self.filing.footnote_refs.append(FootnoteRef("F" + str(int(number)), table, row_seq, field))

    def check_markers(self) -> None:
        missing = sorted({ref.footnote_id for ref in self.filing.footnote_refs} - self.footnote_ids,
                         key=lambda footnote_id: int(footnote_id[1:]))
        if missing:
            self.warn(f"markers without a footnote on the page: {', '.join(missing)}")

    def warn(self, message: str) -> None:
        self.filing.warnings.append(message)
