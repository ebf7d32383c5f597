"""Reader for EDGAR full submissions: the `.txt` file (<SEC-DOCUMENT>, a "KEY: value" header)
and the dissemination `.nc` file (<SUBMISSION>, a tagged header, often CR-only line ends).

The header gives what the ownership XML does not: the accession number, the filing date, the
acceptance time, and the issuer and reporting owners as EDGAR lists them. The ownership XML is
the document whose <TYPE> is the submission type; the ownership XML reader reads it (the Form 144
reader, a Form 144's). A filing
from before ownership XML was required (mid-2003) has none: the legacy text reader reads it.
"""

import hashlib
import re
from datetime import datetime
from zoneinfo import ZoneInfo

from ..model import Filing, ReadError
from .form144_xml import xml_reader
from .legacy_text import read_legacy_text
from .ownership_xml import ascii_digits

EDGAR_TIME_ZONE = ZoneInfo("America/New_York")  # acceptance times are US Eastern wall-clock time
ACCESSION = re.compile(r"\d{10}-\d{2}-\d{6}", re.ASCII)
ENDINGS = {b"<SEC-DOCUMENT>": b"</SEC-DOCUMENT>", b"<SUBMISSION>": b"</SUBMISSION>"}
# Filings from before mid-2003 came signed, in a privacy-enhanced message around the submission.
PEM_BEGIN, PEM_END = b"-----BEGIN PRIVACY-ENHANCED MESSAGE-----", b"-----END PRIVACY-ENHANCED MESSAGE-----"
# Ownership XML became mandatory on 30 June 2003; a filing before without it is a text filing.
XML_REQUIRED_FROM = "2003-06-30"

# Both header dialects, line by line: "KEY:<tabs>value" and "<KEY>value".
HEADER_LINE = re.compile(r"^\s*(?:<([A-Z0-9-]+)>(.*)|([A-Z][A-Z0-9 -]*):(.*))$")
# Header keys, in either dialect, and what they mean here.
SUBMISSION_KEYS = {
    "ACCESSION NUMBER": "accession_number", "ACCESSION-NUMBER": "accession_number",
    "CONFORMED SUBMISSION TYPE": "submission_type", "TYPE": "submission_type",
    "CONFORMED PERIOD OF REPORT": "period", "PERIOD": "period",
    "FILED AS OF DATE": "filing_date", "FILING-DATE": "filing_date",
    "ACCEPTANCE-DATETIME": "acceptance",
}
ENTITY_STARTS = {"REPORTING-OWNER": "reporting-owner", "ISSUER": "issuer", "SUBJECT COMPANY": "issuer"}
ENTITY_KEYS = {
    "COMPANY CONFORMED NAME": "name", "CONFORMED-NAME": "name",
    "CENTRAL INDEX KEY": "cik", "CIK": "cik",
    "SEC FILE NUMBER": "sec_file_number", "FILE-NUMBER": "sec_file_number",
    "FILM NUMBER": "film_number", "FILM-NUMBER": "film_number",
    "STANDARD INDUSTRIAL CLASSIFICATION": "sic", "ASSIGNED-SIC": "sic",
    "STATE OF INCORPORATION": "state_of_incorporation", "STATE-OF-INCORPORATION": "state_of_incorporation",
    "FISCAL YEAR END": "fiscal_year_end", "FISCAL-YEAR-END": "fiscal_year_end",
}


def is_full_submission(data: bytes) -> bool:
    """Whether the bytes start as an EDGAR full submission does (else a .txt is a rendered form)."""
    start = data.lstrip()[:len(PEM_BEGIN)]
    return start.startswith(PEM_BEGIN) or any(start.startswith(opening) for opening in ENDINGS)


def read_full_submission(data: bytes, source_path: str, file_name: str) -> Filing:
    """Read one full submission into a Filing; raise ReadError saying why when it is not one."""
    submission, entities, documents = read_header(data)
    accession, submission_type = submission["accession_number"], submission.get("submission_type")
    filing_date = to_iso_date(submission.get("filing_date"))
    sha256 = hashlib.sha256(data).hexdigest()
    if b"<XML>" not in documents and filing_date and filing_date < XML_REQUIRED_FROM:
        filing = read_legacy_text(submission, entities, typed_documents(documents), Filing(
            accession, "header", "legacy-text", source_path, sha256), data.decode("latin-1"))
    else:
        xml = ownership_xml(documents, submission_type)
        filing = xml_reader(xml)(xml, source_path, file_name)
        filing.accession_number, filing.accession_source = accession, "header"
        filing.source_format, filing.content_sha256 = "full-submission", sha256
        filing.entities = entities
    filing.header = {
        "submission_type": submission_type,
        "filing_date": filing_date,
        "acceptance_datetime": to_eastern_iso(submission.get("acceptance")),
    }
    if not filing.document.get("period_of_report") and submission.get("period"):
        filing.document["period_of_report"] = to_iso_date(submission["period"])
    if submission_type != filing.document.get("document_type"):
        filing.warnings.append(f"header submission type {submission_type!r} differs from documentType "
                               f"{filing.document.get('document_type')!r}")
    return filing


def read_header(data: bytes) -> tuple[dict, list[dict], bytes]:
    """A whole submission's own fields (with a valid accession number), its entities, and the
    bytes of its documents (none in some pre-2003 submissions, which are their header only)."""
    body = check_complete(data)
    header_end = body.find(b"<DOCUMENT>")
    if header_end < 0:
        header_end = len(body)
    submission, entities = parse_header(body[:header_end].decode("latin-1"))
    accession = submission.get("accession_number")
    if not accession or not ACCESSION.fullmatch(accession):
        raise ReadError(f"the header gives no accession number (found {accession!r})")
    return submission, entities, body[header_end:]


def check_complete(data: bytes) -> bytes:
    """The submission from its opening tag, outside any privacy-enhanced message around it; a
    file cut short (no closing tag) is refused."""
    if data.lstrip().startswith(PEM_BEGIN):
        first = min((found for found in map(data.find, ENDINGS) if found >= 0), default=-1)
        if first < 0:
            raise ReadError("a privacy-enhanced message without a submission in it")
        data = data[first:].rstrip().removesuffix(PEM_END)
    start = data.lstrip()[:20]
    for opening, closing in ENDINGS.items():
        if start.startswith(opening):
            if data.rstrip().endswith(closing):
                return data
            raise ReadError(f"truncated: the submission does not end with {closing.decode()}")
    raise ReadError("not an EDGAR full submission (no <SEC-DOCUMENT> or <SUBMISSION> at the start)")


def parse_header(text: str) -> tuple[dict, list[dict]]:
    """The submission's own fields, and its entities (reporting owners, issuer) in order."""
    submission, entities, entity = {}, [], None
    for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        match = HEADER_LINE.match(line)
        if not match:
            continue
        key = (match.group(1) or match.group(3)).strip()
        value = (match.group(2) if match.group(1) else match.group(4)).strip()
        if key in ENTITY_STARTS:
            entity = {"entity_seq": len(entities) + 1, "role": ENTITY_STARTS[key]}
            entities.append(entity)
        elif entity is not None and key == "RELATIONSHIP" and value:  # pre-2003 headers; may repeat
            entity["relationships"] = (*entity.get("relationships", ()), value)
        elif entity is not None and key in ENTITY_KEYS and value:
            entity.setdefault(ENTITY_KEYS[key], value)  # the first value: not a former name's
        elif entity is None and key in SUBMISSION_KEYS and value:
            submission.setdefault(SUBMISSION_KEYS[key], value)
    for entity in entities:
        entity["cik"] = int(entity["cik"]) if ascii_digits(entity.get("cik", "")) else None
        written = entity.get("sic", "")  # "AIRCRAFT & PARTS [3720]" (.txt headers) or "3720" (.nc)
        sic = re.search(r"([0-9]{4})\]?$", written)
        entity["sic"] = int(sic.group(1)) if sic else None
        entity["industry"] = written[:written.rfind("[")].strip() or None if sic and "[" in written else None
    return submission, entities


def typed_documents(documents: bytes) -> list[tuple[str | None, bytes]]:
    """Each document of a submission, with its <TYPE>."""
    found = []
    for document in documents.split(b"<DOCUMENT>")[1:]:
        type_match = re.search(rb"<TYPE>([^\r\n<]*)", document)
        found.append((type_match.group(1).strip().decode("latin-1") if type_match else None, document))
    return found


def ownership_xml(documents: bytes, submission_type: str | None) -> bytes:
    """The bytes between <XML> and </XML> of the first document whose <TYPE> is the submission's."""
    for document_type, document in typed_documents(documents):
        start, end = document.find(b"<XML>"), document.find(b"</XML>")
        if document_type == submission_type and 0 <= start < end:
            return document[start + len(b"<XML>"):end]
    raise ReadError(f"no ownership XML document of type {submission_type!r} in the submission")


def to_iso_date(text: str | None) -> str | None:
    """20250110 -> 2025-01-10; None when absent or not a date."""
    try:
        return datetime.strptime(text, "%Y%m%d").date().isoformat() if text else None
    except ValueError:
        return None


def to_eastern_iso(text: str | None) -> str | None:
    """20250110160730 (US Eastern wall-clock) -> 2025-01-10T16:07:30-05:00."""
    try:
        moment = datetime.strptime(text, "%Y%m%d%H%M%S") if text else None
    except ValueError:
        return None
    return moment.replace(tzinfo=EDGAR_TIME_ZONE).isoformat() if moment else None
