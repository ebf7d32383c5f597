"""Reader for EDGAR ownershipDocument XML (Forms 3, 4, 5 and amendments, every schema version).

One tolerant walk driven by element presence, not by schema version: every element the
specification defines lands in a column, anything else becomes a warning on the filing.
Entities are never resolved, no DTD is loaded and the network is never touched.
"""

import hashlib
import math
import re
from datetime import date

from lxml import etree

from ..model import Filing, FootnoteRef, ReadError

DOCUMENT_TYPES = {"3", "3/A", "4", "4/A", "5", "5/A"}
ACCESSION_IN_NAME = re.compile(r"(?<!\d)(\d{10})-?(\d{2})-?(\d{6})(?!\d)", re.ASCII)
DATE_WITH_OPTIONAL_ZONE = re.compile(r"(\d{4}-\d{2}-\d{2})(?:Z|[+-]\d{2}:\d{2})?", re.ASCII)

PARSER = etree.XMLParser(
    resolve_entities=False,
    no_network=True,
    load_dtd=False,
    dtd_validation=False,
    huge_tree=False,
    remove_blank_text=True,  # whitespace between elements only; halves parse time
)


BOOLEANS = {"1": 1, "true": 1, "0": 0, "false": 0}


# Converters take stripped, non-empty text and return the typed value, or None when unreadable.
def to_boolean(text: str) -> int | None:
    return BOOLEANS.get(text.lower())


def to_date(text: str) -> str | None:
    """YYYY-MM-DD, also when xs:date adds a zone (2021-09-30-05:00 keeps 2021-09-30)."""
    if len(text) == 10 and text[4] == "-" and text[7] == "-":  # the common case, quickly
        try:
            date.fromisoformat(text)  # checks the digits and the calendar
            return text
        except ValueError:
            return None
    match = DATE_WITH_OPTIONAL_ZONE.fullmatch(text)
    if not match:
        return None
    try:
        return date.fromisoformat(match.group(1)).isoformat()
    except ValueError:
        return None


def to_number(text: str) -> int | float | None:
    """A decimal as int when whole (10000.00 -> 10000), else float."""
    if not text.isascii():
        return None
    if text.isdigit():  # the common case, quickly
        return int(text)
    try:
        number = float(text)
    except ValueError:
        return None
    if not math.isfinite(number):
        return None
    return int(number) if number.is_integer() and abs(number) < 2**53 else number


def to_integer(text: str) -> int | None:
    return int(text) if ascii_digits(text) else None


def ascii_digits(text: str) -> bool:
    """Only 0-9 (str.isdigit alone also takes "¹" and "٣", which int() refuses or reads)."""
    return text.isascii() and text.isdigit()


TEXT = None  # text is kept as filed, stripped

DOCUMENT_FIELDS = {
    "schemaVersion": ("schema_version", TEXT),
    "documentType": ("document_type", TEXT),
    "periodOfReport": ("period_of_report", to_date),
    "dateOfOriginalSubmission": ("date_of_original_submission", to_date),
    "noSecuritiesOwned": ("no_securities_owned", to_boolean),
    "notSubjectToSection16": ("not_subject_to_section16", to_boolean),
    "form3HoldingsReported": ("form3_holdings_reported", to_boolean),
    "form4TransactionsReported": ("form4_transactions_reported", to_boolean),
    "aff10b5One": ("aff10b5one", to_boolean),
    "remarks": ("remarks", TEXT),
}

ISSUER_FIELDS = {
    "issuerCik": ("issuer_cik", to_integer),
    "issuerName": ("issuer_name", TEXT),
    "issuerTradingSymbol": ("issuer_trading_symbol", TEXT),
    "issuerForeignTradingSymbol": ("issuer_foreign_trading_symbol", TEXT),
}

OWNER_FIELDS = {
    "rptOwnerCik": ("owner_cik", to_integer),
    "rptOwnerCcc": ("owner_ccc", TEXT),
    "rptOwnerName": ("owner_name", TEXT),
    "rptOwnerNonUSAddressFlag": ("non_us_address_flag", to_boolean),
    "rptOwnerStreet1": ("street1", TEXT),
    "rptOwnerStreet2": ("street2", TEXT),
    "rptOwnerCity": ("city", TEXT),
    "rptOwnerNonUSStateTerritory": ("non_us_state_territory", TEXT),
    "rptOwnerState": ("state", TEXT),
    "rptOwnerCountry": ("country", TEXT),
    "rptOwnerZipCode": ("zip_code", TEXT),
    "rptOwnerStateDescription": ("state_description", TEXT),
    "rptOwnerGoodAddress": ("good_address", to_boolean),
    "isDirector": ("is_director", to_boolean),
    "isOfficer": ("is_officer", to_boolean),
    "isTenPercentOwner": ("is_ten_percent_owner", to_boolean),
    "isOther": ("is_other", to_boolean),
    "officerTitle": ("officer_title", TEXT),
    "otherText": ("other_text", TEXT),
}
OWNER_CONTAINERS = {"reportingOwnerId", "reportingOwnerAddress", "reportingOwnerRelationship"}
RELATIONSHIP_FLAGS = ("is_director", "is_officer", "is_ten_percent_owner", "is_other")

SIGNATURE_FIELDS = {
    "signatureName": ("signature_name", TEXT),
    "signatureDate": ("signature_date", to_date),
}

# Every leaf a table row can hold: XML element -> (column, converter). Almost all wrap their
# value in <value> beside their <footnoteId>s; the three in transactionCoding are bare text.
ROW_FIELDS = {
    "securityTitle": ("security_title", TEXT),
    "conversionOrExercisePrice": ("conversion_or_exercise_price", to_number),
    "transactionDate": ("transaction_date", to_date),
    "deemedExecutionDate": ("deemed_execution_date", to_date),
    "transactionFormType": ("transaction_form_type", TEXT),
    "transactionCode": ("transaction_code", TEXT),
    "equitySwapInvolved": ("equity_swap_involved", to_boolean),
    "transactionTimeliness": ("transaction_timeliness", TEXT),
    "transactionShares": ("shares", to_number),
    "transactionTotalValue": ("total_value", to_number),
    "transactionPricePerShare": ("price_per_share", to_number),
    "transactionAcquiredDisposedCode": ("acquired_disposed", TEXT),
    "exerciseDate": ("exercise_date", to_date),
    "expirationDate": ("expiration_date", to_date),
    "underlyingSecurityTitle": ("underlying_security_title", TEXT),
    "underlyingSecurityShares": ("underlying_shares", to_number),
    "underlyingSecurityValue": ("underlying_value", to_number),
    "sharesOwnedFollowingTransaction": ("shares_owned_after", to_number),
    "valueOwnedFollowingTransaction": ("value_owned_after", to_number),
    "directOrIndirectOwnership": ("direct_indirect", TEXT),
    "natureOfOwnership": ("nature_of_ownership", TEXT),
}
BARE_ROW_FIELDS = {"transactionFormType", "transactionCode", "equitySwapInvolved"}
DERIVATIVE_ONLY = {
    "conversionOrExercisePrice", "transactionTotalValue", "exerciseDate", "expirationDate",
    "underlyingSecurityTitle", "underlyingSecurityShares", "underlyingSecurityValue",
}
TRANSACTION_ONLY = {
    "transactionDate", "deemedExecutionDate", "transactionCode", "equitySwapInvolved",
    "transactionTimeliness", "transactionShares", "transactionTotalValue",
    "transactionPricePerShare", "transactionAcquiredDisposedCode",
}
# Holdings state a position, not a change: "owned following transaction" becomes "owned".
HOLDING_RENAMES = {
    "sharesOwnedFollowingTransaction": ("shares_owned", to_number),
    "valueOwnedFollowingTransaction": ("value_owned", to_number),
}


def fields_for(derivative: bool, transaction: bool) -> dict:
    """The leaves one kind of row may hold; any other element is reported, never dropped silently."""
    fields = {
        tag: field for tag, field in ROW_FIELDS.items()
        if (derivative or tag not in DERIVATIVE_ONLY) and (transaction or tag not in TRANSACTION_ONLY)
    }
    # Footnotes on transactionCoding belong to the code beside them; a holding's coding holds
    # only the form type (a Form 5 marking a late Form 3 holding).
    fields["transactionCoding"] = ("transaction_code" if transaction else "transaction_form_type", None)
    return fields if transaction else {**fields, **HOLDING_RENAMES}


ROW_CONTAINERS = {
    "transactionCoding",
    "transactionAmounts",
    "postTransactionAmounts",
    "ownershipNature",
    "underlyingSecurity",
}
TABLE_ROWS = {
    "nonDerivativeTable": {
        "nonDerivativeTransaction": ("nonderiv_transactions", fields_for(False, True)),
        "nonDerivativeHolding": ("nonderiv_holdings", fields_for(False, False)),
    },
    "derivativeTable": {
        "derivativeTransaction": ("deriv_transactions", fields_for(True, True)),
        "derivativeHolding": ("deriv_holdings", fields_for(True, False)),
    },
}


def accession_from_name(name: str) -> str | None:
    """The accession number a file name holds (dashed or 18 digits), or None."""
    match = ACCESSION_IN_NAME.search(name)
    return "-".join(match.groups()) if match else None


def content_key(sha256_hex: str) -> str:
    """The deterministic key of a filing whose file name gives no accession number."""
    return "sha256-" + sha256_hex[:20]


def read_ownership_xml(data: bytes, source_path: str, file_name: str) -> Filing:
    """Read one ownershipDocument into a Filing; raise ReadError saying why when it is not one."""
    root = parse_safely(data)
    filing = xml_filing(data, source_path, file_name)
    OwnershipDocumentReader(filing).read(root)
    document_type = filing.document.get("document_type")
    if document_type not in DOCUMENT_TYPES:
        raise ReadError(f"documentType {document_type!r} is not a Form 3, 4 or 5")
    return filing


def xml_filing(data: bytes, source_path: str, file_name: str) -> Filing:
    """The Filing an XML file starts: keyed by the accession number its name holds, else by its content."""
    sha256 = hashlib.sha256(data).hexdigest()
    accession = accession_from_name(file_name)
    return Filing(
        accession_number=accession or content_key(sha256),
        accession_source="file_name" if accession else "content_hash",
        source_format="xml",
        source_path=source_path,
        content_sha256=sha256,
    )


def parse_safely(data: bytes, root_name: str = "ownershipDocument") -> etree._Element:
    """Parse bytes as XML without DTDs or entities; the root must be ``root_name`` (in any namespace)."""
    if data[:1].isspace():  # libxml2 refuses space before the XML declaration
        data = data.lstrip()
    if not data:
        raise ReadError("empty file")
    # Ownership XML never has a DTD; one here can only serve entity tricks. (Testing for "!"
    # first, one memchr, spares both scans in the common case: a search for "<!" costs more
    # than the two together.)
    if b"!" in data and (b"<!DOCTYPE" in data or b"<!ENTITY" in data):
        raise ReadError("refused: the document declares a DTD or entities (never resolved)")
    try:
        root = etree.fromstring(data, PARSER)
    except etree.XMLSyntaxError as error:
        raise ReadError(f"not well-formed XML: {error}") from None
    if root.tag != root_name and not root.tag.endswith("}" + root_name):
        raise ReadError(f"root element is <{root.tag}>, not <{root_name}>")
    return root


class TreeReader:
    """What every reader of an XML tree into a Filing does: store typed values, warn."""

    def __init__(self, filing: Filing):
        self.filing = filing

    def set(self, into: dict, field: tuple, raw: str | None, tag: str) -> None:
        """Store an element's text under its column, typed; empty stays absent (NULL).

        Unreadable text is stored as NULL with a warning that keeps it.
        """
        if raw and (text := raw.strip()):
            column, convert = field
            value = into[column] = text if convert is None else convert(text)
            if value is None:
                self.warn(f"unreadable value in <{tag}>: {text!r}")

    def warn(self, message: str) -> None:
        self.filing.warnings.append(message)


class OwnershipDocumentReader(TreeReader):
    """Walks one ownershipDocument tree into a Filing.

    Children are visited as ``element[:]``, a list: lxml's child iterator costs more to set up
    than the list of the few children an ownership element has, and the walk creates dozens.
    """

    def __init__(self, filing: Filing):
        super().__init__(filing)
        self.footnote_ids: set[str] = set()

    def read(self, root) -> None:
        document = self.filing.document
        for child in root[:]:
            tag = child.tag
            if tag in DOCUMENT_FIELDS:
                self.set(document, DOCUMENT_FIELDS[tag], child.text, tag)
            elif tag == "issuer":
                self.read_flat(child, ISSUER_FIELDS, self.filing.issuer)
            elif tag == "reportingOwner":
                self.read_owner(child)
            elif tag in TABLE_ROWS:
                self.read_table(child, TABLE_ROWS[tag])
            elif tag == "footnotes":
                self.read_footnotes(child)
            elif tag == "ownerSignature":
                signature = {"signature_seq": len(self.filing.signatures) + 1}
                self.read_flat(child, SIGNATURE_FIELDS, signature)
                self.filing.signatures.append(signature)
            elif isinstance(tag, str):  # not a comment or processing instruction
                self.warn(f"unknown element <{tag}> ignored")

    def read_flat(self, parent, fields: dict, into: dict, containers=()) -> None:
        """Read bare-text leaves anywhere under ``parent`` (issuer, owner, signature)."""
        for element in parent.iterdescendants():
            tag = element.tag
            if tag in fields:
                self.set(into, fields[tag], element.text, tag)
            elif tag == "footnoteId":  # the specification allows none here; keep it anyway
                self.add_ref(element, None, None, element.getparent().tag)
            elif tag not in containers and isinstance(tag, str):
                self.warn(f"unknown element <{tag}> in <{parent.tag}> ignored")

    def read_owner(self, element) -> None:
        owner = {"owner_seq": len(self.filing.owners) + 1}
        self.read_flat(element, OWNER_FIELDS, owner, OWNER_CONTAINERS)
        for flag in RELATIONSHIP_FLAGS:  # filer software often writes only the true flags
            owner.setdefault(flag, 0)
        self.filing.owners.append(owner)

    def read_table(self, table, row_kinds: dict) -> None:
        for row in table[:]:
            if row.tag in row_kinds:
                name, fields = row_kinds[row.tag]
                rows = self.filing.rows[name]
                values = {"row_seq": len(rows) + 1}
                self.read_row(row, fields, values, name)
                rows.append(values)
            elif isinstance(row.tag, str):
                self.warn(f"unknown element <{row.tag}> in <{table.tag}> ignored")

    def read_row(self, parent, fields: dict, values: dict, table: str) -> None:
        """Read the leaves under a row, or under one of its containers, into ``values``."""
        for element in parent[:]:
            tag = element.tag
            field = fields.get(tag)
            if tag in ROW_CONTAINERS:
                self.read_row(element, fields, values, table)
            elif field is not None and tag not in BARE_ROW_FIELDS:
                for part in element[:]:  # <value>text</value><footnoteId id="F1"/>...
                    part_tag = part.tag
                    if part_tag == "value":
                        self.set(values, field, part.text, tag)
                    elif part_tag == "footnoteId":
                        self.add_ref(part, table, values["row_seq"], field[0])
                    elif isinstance(part_tag, str):
                        self.warn(f"unknown element <{part_tag}> in <{tag}> of {table} row {values['row_seq']} ignored")
                if not len(element) and element.text and not element.text.isspace():
                    self.warn(f"<{tag}> of {table} row {values['row_seq']} has text outside <value>: {element.text.strip()!r}")
            elif field is not None:
                self.set(values, field, element.text, tag)
            elif tag == "footnoteId":
                column = fields[parent.tag][0] if parent.tag in fields else parent.tag
                self.add_ref(element, table, values["row_seq"], column)
            elif isinstance(tag, str):
                self.warn(f"unknown element <{tag}> in {table} row {values['row_seq']} ignored")

    def add_ref(self, element, table: str | None, row_seq: int | None, column: str) -> None:
        footnote_id = (element.get("id") or "").strip()
        if not footnote_id:
            self.warn(f"footnoteId without id on {column} of {table} row {row_seq} ignored")
            return
        self.filing.footnote_refs.append(FootnoteRef(footnote_id, table, row_seq, column))

    def read_footnotes(self, footnotes) -> None:
        for footnote in footnotes[:]:
            if footnote.tag != "footnote":
                if isinstance(footnote.tag, str):
                    self.warn(f"unknown element <{footnote.tag}> in <footnotes> ignored")
                continue
            footnote_id = (footnote.get("id") or "").strip()
            text = footnote_text(footnote)
            if not footnote_id or footnote_id in self.footnote_ids:
                self.warn(f"footnote with missing or repeated id {footnote_id!r} not stored: {text!r}")
                continue
            self.footnote_ids.add(footnote_id)
            self.filing.footnotes.append((footnote_id, text))


def footnote_text(footnote) -> str | None:
    """All the text of a footnote, mixed content included; None when it has none."""
    if len(footnote):
        return "".join(footnote.itertext()).strip() or None
    return (footnote.text or "").strip() or None  # the common case, without itertext's high cost
