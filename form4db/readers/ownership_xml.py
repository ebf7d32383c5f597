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
ACCESSION_IN_NAME = re.compile(r"(?<!\d)(\d{10})-?(\d{2})-?(\d{6})(?!\d)")
DATE_WITH_OPTIONAL_ZONE = re.compile(r"(\d{4}-\d{2}-\d{2})(?:Z|[+-]\d{2}:\d{2})?")

PARSER = etree.XMLParser(
    resolve_entities=False,
    no_network=True,
    load_dtd=False,
    dtd_validation=False,
    huge_tree=False,
    remove_blank_text=False,
)

TEXT, DATE, NUMBER, BOOLEAN, INTEGER = "text", "date", "number", "boolean", "integer"

DOCUMENT_FIELDS = {
    "schemaVersion": ("schema_version", TEXT),
    "documentType": ("document_type", TEXT),
    "periodOfReport": ("period_of_report", DATE),
    "dateOfOriginalSubmission": ("date_of_original_submission", DATE),
    "noSecuritiesOwned": ("no_securities_owned", BOOLEAN),
    "notSubjectToSection16": ("not_subject_to_section16", BOOLEAN),
    "form3HoldingsReported": ("form3_holdings_reported", BOOLEAN),
    "form4TransactionsReported": ("form4_transactions_reported", BOOLEAN),
    "aff10b5One": ("aff10b5one", BOOLEAN),
    "remarks": ("remarks", TEXT),
}

ISSUER_FIELDS = {
    "issuerCik": ("issuer_cik", INTEGER),
    "issuerName": ("issuer_name", TEXT),
    "issuerTradingSymbol": ("issuer_trading_symbol", TEXT),
    "issuerForeignTradingSymbol": ("issuer_foreign_trading_symbol", TEXT),
}

OWNER_FIELDS = {
    "rptOwnerCik": ("owner_cik", INTEGER),
    "rptOwnerCcc": ("owner_ccc", TEXT),
    "rptOwnerName": ("owner_name", TEXT),
    "rptOwnerNonUSAddressFlag": ("non_us_address_flag", BOOLEAN),
    "rptOwnerStreet1": ("street1", TEXT),
    "rptOwnerStreet2": ("street2", TEXT),
    "rptOwnerCity": ("city", TEXT),
    "rptOwnerNonUSStateTerritory": ("non_us_state_territory", TEXT),
    "rptOwnerState": ("state", TEXT),
    "rptOwnerCountry": ("country", TEXT),
    "rptOwnerZipCode": ("zip_code", TEXT),
    "rptOwnerStateDescription": ("state_description", TEXT),
    "rptOwnerGoodAddress": ("good_address", BOOLEAN),
    "isDirector": ("is_director", BOOLEAN),
    "isOfficer": ("is_officer", BOOLEAN),
    "isTenPercentOwner": ("is_ten_percent_owner", BOOLEAN),
    "isOther": ("is_other", BOOLEAN),
    "officerTitle": ("officer_title", TEXT),
    "otherText": ("other_text", TEXT),
}
OWNER_CONTAINERS = {"reportingOwnerId", "reportingOwnerAddress", "reportingOwnerRelationship"}
RELATIONSHIP_FLAGS = ("is_director", "is_officer", "is_ten_percent_owner", "is_other")

# Every leaf a table row can hold: XML element -> (column, type). transactionCoding has no
# value of its own; footnotes placed on it belong to the transaction code beside them.
ROW_FIELDS = {
    "securityTitle": ("security_title", TEXT),
    "conversionOrExercisePrice": ("conversion_or_exercise_price", NUMBER),
    "transactionDate": ("transaction_date", DATE),
    "deemedExecutionDate": ("deemed_execution_date", DATE),
    "transactionFormType": ("transaction_form_type", TEXT),
    "transactionCode": ("transaction_code", TEXT),
    "equitySwapInvolved": ("equity_swap_involved", BOOLEAN),
    "transactionCoding": ("transaction_code", None),
    "transactionTimeliness": ("transaction_timeliness", TEXT),
    "transactionShares": ("shares", NUMBER),
    "transactionTotalValue": ("total_value", NUMBER),
    "transactionPricePerShare": ("price_per_share", NUMBER),
    "transactionAcquiredDisposedCode": ("acquired_disposed", TEXT),
    "exerciseDate": ("exercise_date", DATE),
    "expirationDate": ("expiration_date", DATE),
    "underlyingSecurityTitle": ("underlying_security_title", TEXT),
    "underlyingSecurityShares": ("underlying_shares", NUMBER),
    "underlyingSecurityValue": ("underlying_value", NUMBER),
    "sharesOwnedFollowingTransaction": ("shares_owned_after", NUMBER),
    "valueOwnedFollowingTransaction": ("value_owned_after", NUMBER),
    "directOrIndirectOwnership": ("direct_indirect", TEXT),
    "natureOfOwnership": ("nature_of_ownership", TEXT),
}
# Leaves written as bare text rather than <value> (all inside transactionCoding).
BARE_ROW_FIELDS = {"transactionFormType", "transactionCode", "equitySwapInvolved"}
ROW_CONTAINERS = {
    "transactionCoding",
    "transactionAmounts",
    "postTransactionAmounts",
    "ownershipNature",
    "underlyingSecurity",
}
# Holdings state a position, not a change: "owned following transaction" becomes "owned".
HOLDING_COLUMNS = {"shares_owned_after": "shares_owned", "value_owned_after": "value_owned"}

TABLE_ROWS = {
    "nonDerivativeTable": {
        "nonDerivativeTransaction": "nonderiv_transactions",
        "nonDerivativeHolding": "nonderiv_holdings",
    },
    "derivativeTable": {
        "derivativeTransaction": "deriv_transactions",
        "derivativeHolding": "deriv_holdings",
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
    sha256 = hashlib.sha256(data).hexdigest()
    root = parse_safely(data)
    accession = accession_from_name(file_name)
    filing = Filing(
        accession_number=accession or content_key(sha256),
        accession_source="file_name" if accession else "content_hash",
        source_format="xml",
        source_path=source_path,
        content_sha256=sha256,
    )
    OwnershipDocumentReader(filing).read(root)
    document_type = filing.document.get("document_type")
    if document_type not in DOCUMENT_TYPES:
        raise ReadError(f"documentType {document_type!r} is not a Form 3, 4 or 5")
    return filing


def parse_safely(data: bytes) -> etree._Element:
    """Parse bytes as XML without DTDs or entities; the root must be ownershipDocument."""
    data = data.lstrip()
    if not data:
        raise ReadError("empty file")
    # Ownership XML never has a DTD; one here can only serve entity tricks.
    if b"<!DOCTYPE" in data or b"<!ENTITY" in data:
        raise ReadError("refused: the document declares a DTD or entities (never resolved)")
    try:
        root = etree.fromstring(data, PARSER)
    except etree.XMLSyntaxError as error:
        raise ReadError(f"not well-formed XML: {error}") from None
    if root.tag != "ownershipDocument":
        raise ReadError(f"root element is <{root.tag}>, not <ownershipDocument>")
    return root


class OwnershipDocumentReader:
    """Walks one ownershipDocument tree into a Filing."""

    def __init__(self, filing: Filing):
        self.filing = filing
        self.footnote_ids: set[str] = set()

    def read(self, root: etree._Element) -> None:
        for child in root:
            tag = child.tag
            if not isinstance(tag, str):
                continue  # comments and processing instructions
            if tag in DOCUMENT_FIELDS:
                column, kind = DOCUMENT_FIELDS[tag]
                self.filing.document[column] = self.convert(kind, child.text, tag)
            elif tag == "issuer":
                self.read_flat(child, ISSUER_FIELDS, self.filing.issuer, "issuer")
            elif tag == "reportingOwner":
                self.read_owner(child)
            elif tag in TABLE_ROWS:
                self.read_table(child, TABLE_ROWS[tag])
            elif tag == "footnotes":
                self.read_footnotes(child)
            elif tag == "ownerSignature":
                self.read_signature(child)
            else:
                self.warn(f"unknown element <{tag}> ignored")

    def read_flat(self, parent, fields: dict, into: dict, where: str, containers=()) -> None:
        for element in parent.iter():
            tag = element.tag
            if element is parent or not isinstance(tag, str) or tag in containers:
                continue
            if tag in fields:
                column, kind = fields[tag]
                into[column] = self.convert(kind, element.text, tag)
            elif tag == "footnoteId":  # the specification allows none here; keep it anyway
                self.add_ref(element, None, None, element.getparent().tag)
            else:
                self.warn(f"unknown element <{tag}> in {where} ignored")

    def read_owner(self, element) -> None:
        owner = {"owner_seq": len(self.filing.owners) + 1}
        self.read_flat(element, OWNER_FIELDS, owner, "reportingOwner", OWNER_CONTAINERS)
        for flag in RELATIONSHIP_FLAGS:  # filer software often writes only the true flags
            owner.setdefault(flag, 0)
        self.filing.owners.append(owner)

    def read_table(self, table, row_tables: dict) -> None:
        for row in table:
            if not isinstance(row.tag, str):
                continue
            name = row_tables.get(row.tag)
            if name is None:
                self.warn(f"unknown element <{row.tag}> in <{table.tag}> ignored")
                continue
            rows = self.filing.rows[name]
            rows.append(self.read_row(row, name, len(rows) + 1))

    def read_row(self, row, table: str, row_seq: int) -> dict:
        values = {"row_seq": row_seq}
        is_holding = table.endswith("holdings")
        for element in row.iter():
            tag = element.tag
            if element is row or not isinstance(tag, str):
                continue
            if tag == "value":
                field_tag = element.getparent().tag
                if field_tag in ROW_FIELDS and field_tag not in BARE_ROW_FIELDS:
                    column, kind = ROW_FIELDS[field_tag]
                    values[column] = self.convert(kind, element.text, field_tag)
                else:
                    self.warn(f"unexpected <value> in <{field_tag}> of {table} row {row_seq}")
            elif tag == "footnoteId":
                field_tag = element.getparent().tag
                column = ROW_FIELDS[field_tag][0] if field_tag in ROW_FIELDS else field_tag
                if is_holding:
                    column = HOLDING_COLUMNS.get(column, column)
                self.add_ref(element, table, row_seq, column)
            elif tag in BARE_ROW_FIELDS:
                column, kind = ROW_FIELDS[tag]
                values[column] = self.convert(kind, element.text, tag)
            elif tag in ROW_FIELDS or tag in ROW_CONTAINERS:
                if element.text and element.text.strip() and not len(element):
                    self.warn(f"<{tag}> of {table} row {row_seq} has text outside <value> ignored")
            else:
                self.warn(f"unknown element <{tag}> in {table} row {row_seq} ignored")
        if is_holding:
            for transaction_column, holding_column in HOLDING_COLUMNS.items():
                if transaction_column in values:
                    values[holding_column] = values.pop(transaction_column)
        return values

    def add_ref(self, element, table: str | None, row_seq: int | None, column: str) -> None:
        footnote_id = (element.get("id") or "").strip()
        if not footnote_id:
            self.warn(f"footnoteId without id on {column} of {table} row {row_seq} ignored")
            return
        self.filing.footnote_refs.append(FootnoteRef(footnote_id, table, row_seq, column))

    def read_footnotes(self, footnotes) -> None:
        for footnote in footnotes:
            if not isinstance(footnote.tag, str):
                continue
            if footnote.tag != "footnote":
                self.warn(f"unknown element <{footnote.tag}> in <footnotes> ignored")
                continue
            footnote_id = (footnote.get("id") or "").strip()
            text = "".join(footnote.itertext()).strip() or None  # mixed content: all text
            if not footnote_id or footnote_id in self.footnote_ids:
                self.warn(f"footnote with missing or repeated id {footnote_id!r} not stored: {text!r}")
                continue
            self.footnote_ids.add(footnote_id)
            self.filing.footnotes.append((footnote_id, text))

    def read_signature(self, element) -> None:
        signature = {"signature_seq": len(self.filing.signatures) + 1}
        fields = {
            "signatureName": ("signature_name", TEXT),
            "signatureDate": ("signature_date", DATE),
        }
        self.read_flat(element, fields, signature, "ownerSignature")
        self.filing.signatures.append(signature)

    def convert(self, kind: str | None, raw: str | None, tag: str):
        """The typed value of an element's text; NULL for empty, a warning for unreadable."""
        if raw is None:
            return None
        text = raw.strip()
        if not text or kind is None:
            return None
        if kind == TEXT:
            return text
        value = CONVERTERS[kind](text)
        if value is None:
            self.warn(f"unreadable {kind} in <{tag}>: {text!r}")
        return value

    def warn(self, message: str) -> None:
        self.filing.warnings.append(message)


def to_boolean(text: str) -> int | None:
    return BOOLEANS.get(text.lower())


def to_date(text: str) -> str | None:
    match = DATE_WITH_OPTIONAL_ZONE.fullmatch(text)
    if not match:
        return None
    try:
        return date.fromisoformat(match.group(1)).isoformat()
    except ValueError:
        return None


def to_number(text: str) -> int | float | None:
    try:
        number = float(text)
    except ValueError:
        return None
    if not math.isfinite(number):
        return None
    return int(number) if number.is_integer() and abs(number) < 2**53 else number


def to_integer(text: str) -> int | None:
    return int(text) if text.isdigit() else None


BOOLEANS = {"1": 1, "true": 1, "0": 0, "false": 0}
CONVERTERS = {BOOLEAN: to_boolean, DATE: to_date, NUMBER: to_number, INTEGER: to_integer}
