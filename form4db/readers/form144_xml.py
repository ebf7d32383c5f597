"""Reader for Form 144 (notice of proposed sale of securities) XML, forms 144 and 144/A.

EDGAR has taken Form 144 in XML since April 2023: an <edgarSubmission> in the ownership namespace
(eis_Form_144_Ownership.xsd) naming the issuer, the person for whose account the securities are
to be sold, each class to be sold with its broker, how the securities were acquired, the sales of
the past three months, the Rule 10b5-1 plan adoption dates, the remarks and the signature.

The filing lands in `filings` (document_type 144 or 144/A, the issuer, the remarks) like any
other, its own facts in sale_notices and its rows in proposed_sales, notice_acquisitions and
notice_past_sales. Every element of the schema has a column; any other becomes a warning. As for
ownership XML, no DTD is loaded, no entity resolved, the network never touched.
"""

from datetime import date

from ..model import Filing, ReadError
from .ownership_xml import TEXT, TreeReader, parse_safely, read_ownership_xml, to_integer, to_number, xml_filing

SUBMISSION_TYPES = {"144", "144/A"}
ROOT = "edgarSubmission"


def is_form144(data: bytes) -> bool:
    """Whether an XML document is a Form 144 (its root edgarSubmission), not an ownershipDocument."""
    start = data[:1024]
    return b"edgarSubmission" in start and b"ownershipDocument" not in start


def xml_reader(data: bytes):
    """The reader of an XML document: this one for a Form 144, else the ownership document's."""
    return read_form144_xml if is_form144(data) else read_ownership_xml


def to_us_date(text: str) -> str | None:
    """MM/DD/YYYY (the schema's DATE_TYPE2) -> YYYY-MM-DD; None when not a date."""
    month, _, rest = text.partition("/")
    day, _, year = rest.partition("/")
    try:
        return date(int(year), int(month), int(day)).isoformat() if len(year) == 4 else None
    except ValueError:
        return None


def to_yes_no(text: str) -> int | None:
    return {"Y": 1, "N": 0}.get(text.upper())


def to_true_false(text: str) -> int | None:
    return {"true": 1, "false": 0}.get(text.lower())


def address(prefix: str) -> dict:
    """The leaves of a common ADDRESS_TYPE, under ``prefix`` + its own name."""
    return {tag: (prefix + column, TEXT) for tag, column in (
        ("street1", "street1"), ("street2", "street2"), ("city", "city"),
        ("stateOrCountry", "state_or_country"), ("zipCode", "zip_code"))}


# Element -> (column, converter), for each part of the form; containers hold leaves of the same part.
HEADER_FIELDS = {
    "submissionType": ("submission_type", TEXT),
    "previousAccessionNumber": ("previous_accession_number", TEXT),
    "cik": ("filer_cik", to_integer),
    "ccc": ("filer_ccc", TEXT),
    "liveTestFlag": ("live_test_flag", TEXT),
    "contactName": ("contact_name", TEXT),
    "contactPhoneNumber": ("contact_phone", TEXT),
    "contactEmailAddress": ("contact_email", TEXT),
    "overrideInternetFlag": ("override_internet_flag", to_true_false),
}
HEADER_CONTAINERS = {"filerInfo", "filer", "filerCredentials", "contact", "flags", "notifications"}
ISSUER_FIELDS = {
    "issuerCik": ("issuer_cik", to_integer),
    "issuerName": ("issuer_name", TEXT),
    "secFileNumber": ("issuer_sec_file_number", TEXT),
    **address("issuer_"),
    "issuerContactPhone": ("issuer_contact_phone", TEXT),
    "nameOfPersonForWhoseAccountTheSecuritiesAreToBeSold": ("seller_name", TEXT),
}
ISSUER_CONTAINERS = {"issuerAddress", "relationshipsToIssuer"}
PROPOSED_SALE_FIELDS = {
    "securitiesClassTitle": ("security_title", TEXT),
    "name": ("broker_name", TEXT),
    **address("broker_"),
    "noOfUnitsSold": ("units_to_sell", to_number),
    "aggregateMarketValue": ("aggregate_market_value", to_number),
    "noOfUnitsOutstanding": ("units_outstanding", to_number),
    "approxSaleDate": ("approx_sale_date", to_us_date),
    "securitiesExchangeName": ("exchange", TEXT),
}
ACQUISITION_FIELDS = {
    "securitiesClassTitle": ("security_title", TEXT),
    "acquiredDate": ("acquired_date", to_us_date),
    "natureOfAcquisitionTransaction": ("nature_of_acquisition", TEXT),
    "nameOfPersonfromWhomAcquired": ("acquired_from", TEXT),
    "isGiftTransaction": ("is_gift", to_yes_no),
    "donarAcquiredDate": ("donor_acquired_date", to_us_date),
    "amountOfSecuritiesAcquired": ("amount_acquired", to_number),
    "paymentDate": ("payment_date", to_us_date),
    "natureOfPayment": ("nature_of_payment", TEXT),
}
PAST_SALE_FIELDS = {
    "name": ("seller_name", TEXT),
    **address("seller_"),
    "securitiesClassTitle": ("security_title", TEXT),
    "saleDate": ("sale_date", to_us_date),
    "amountOfSecuritiesSold": ("amount_sold", to_number),
    "grossProceeds": ("gross_proceeds", to_number),
}
NAME_ADDRESS_CONTAINERS = {"brokerOrMarketmakerDetails", "sellerDetails", "address"}
SIGNATURE_FIELDS = {
    "noticeDate": ("notice_date", to_us_date),
    "signature": ("signature", TEXT),
}
ROW_PARTS = {  # element -> (table, its fields, the sequence column)
    "securitiesInformation": ("proposed_sales", PROPOSED_SALE_FIELDS, "sale_seq"),
    "securitiesToBeSold": ("notice_acquisitions", ACQUISITION_FIELDS, "acquisition_seq"),
    "securitiesSoldInPast3Months": ("notice_past_sales", PAST_SALE_FIELDS, "sale_seq"),
}


def read_form144_xml(data: bytes, source_path: str, file_name: str) -> Filing:
    """Read one Form 144 document into a Filing; raise ReadError saying why when it is not one."""
    root = parse_safely(data, ROOT)
    filing = xml_filing(data, source_path, file_name)
    Form144Reader(filing).read(root)
    submission_type = filing.notice.get("submission_type")
    if submission_type not in SUBMISSION_TYPES:
        raise ReadError(f"submissionType {submission_type!r} is not a Form 144 or 144/A")
    return filing


def local(tag) -> str | None:
    """An element's name without its namespace (the filings write ns2:, com: or none); None for a comment."""
    return tag.rpartition("}")[2] if isinstance(tag, str) else None


class Form144Reader(TreeReader):
    """Walks one Form 144 tree into a Filing: the notice's own facts, its rows, the filing's issuer."""

    def __init__(self, filing: Filing):
        super().__init__(filing)
        self.notice = filing.notice

    def read(self, root) -> None:
        for part in root:
            name = local(part.tag)
            if name == "headerData":
                self.read_leaves(part, HEADER_FIELDS, self.notice, HEADER_CONTAINERS, lists={
                    "notificationEmailAddress": ("notification_emails", TEXT)})
            elif name == "formData":
                self.read_form(part)
            elif name == "schemaVersion":
                self.set(self.filing.document, ("schema_version", TEXT), part.text, name)
            elif name not in (None, "documents"):  # the attachments EDGAR strips from what it publishes
                self.warn(f"unknown element <{name}> ignored")
        notice, issuer = self.notice, self.filing.issuer
        self.filing.document.update(document_type=notice.get("submission_type"), remarks=notice.get("remarks"))
        issuer.update(issuer_cik=notice.get("issuer_cik"), issuer_name=notice.get("issuer_name"))

    def read_form(self, form) -> None:
        for part in form:
            name = local(part.tag)
            if name == "issuerInfo":
                self.read_leaves(part, ISSUER_FIELDS, self.notice, ISSUER_CONTAINERS,
                                 lists={"relationshipToIssuer": ("relationships", TEXT)})
            elif name in ROW_PARTS:
                table, fields, seq_column = ROW_PARTS[name]
                rows = self.filing.notice_rows[table]
                row = {seq_column: len(rows) + 1}
                self.read_leaves(part, fields, row, NAME_ADDRESS_CONTAINERS)
                rows.append(row)
            elif name == "nothingToReportFlagOnSecuritiesSoldInPast3Months":
                self.set(self.notice, ("nothing_to_report_past_sales", to_yes_no), part.text, name)
            elif name == "remarks":
                self.set(self.notice, ("remarks", TEXT), part.text, name)
            elif name == "noticeSignature":
                self.read_leaves(part, SIGNATURE_FIELDS, self.notice, {"planAdoptionDates"},
                                 lists={"planAdoptionDate": ("plan_adoption_dates", to_us_date)})
            elif name is not None:
                self.warn(f"unknown element <{name}> in <formData> ignored")

    def read_leaves(self, parent, fields: dict, into: dict, containers: set, lists: dict | None = None) -> None:
        """Read the leaves anywhere under ``parent``; a leaf in ``lists`` (element -> (column,
        converter)) may repeat, its values joined with ", " in document order."""
        lists = lists or {}
        for element in parent.iterdescendants():
            name = local(element.tag)
            if name in fields:
                self.set(into, fields[name], element.text, name)
            elif name in lists:
                column = lists[name][0]
                found = {}
                self.set(found, lists[name], element.text, name)
                if found.get(column) is not None:
                    into[column] = f"{into[column]}, {found[column]}" if into.get(column) else found[column]
            elif name is not None and name not in containers:
                self.warn(f"unknown element <{name}> in <{local(parent.tag)}> ignored")
