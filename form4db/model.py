"""The one model every reader produces and the loader consumes.

Records are plain data. Column-bearing parts are dicts keyed by the database column
names of ``form4db.schema``, so a reader fills in what its format states and leaves
everything else absent (stored as NULL).
"""

from dataclasses import dataclass, field
from typing import NamedTuple

ROW_TABLES = (
    "nonderiv_transactions",
    "nonderiv_holdings",
    "deriv_transactions",
    "deriv_holdings",
)
# A Form 144 notice's rows: each class to be sold, how the securities were acquired, the sales of
# the past three months.
NOTICE_TABLES = ("proposed_sales", "notice_acquisitions", "notice_past_sales")


# Every format a filing can be read from, from the least to the most complete: of one filing met
# in several, the database keeps the rows of the most complete.
SOURCE_FORMATS = ("legacy-text", "rendered-text", "rendered-html", "dataset", "xml", "full-submission")
PARSE_QUALITIES = {
    "complete": "read from the ownership XML as filed: every value as the filer stated it",
    "partial": "read from a structured extraction or rendering that lacks some fields by design "
               "(the SEC data sets, EDGAR's HTML view); the values it has are as filed",
    "best-effort": "read from text laid out for people (a rendered form, a pre-2003 text table): "
                   "a cell the layout lost is NULL, and values deserve a check against the source",
    "header-only": "only EDGAR's header could be read (a pre-2003 filing without a readable table); "
                   "its text is searchable in filing_texts",
}


class FootnoteRef(NamedTuple):
    """One footnote marker: footnote ``footnote_id`` sits on ``field`` of row ``row_seq`` of ``table``.

    ``table`` and ``row_seq`` are None for a marker outside any table row.
    """

    footnote_id: str
    table: str | None
    row_seq: int | None
    field: str


@dataclass
class Filing:
    """One ownership filing (one accession), whatever format it was read from: a Form 3, 4 or 5,
    or a Form 144 notice of proposed sale (its own facts in ``notice`` and ``notice_rows``)."""

    accession_number: str
    accession_source: str  # file_name | content_hash | header | dataset | page_url
    source_format: str  # one of SOURCE_FORMATS
    source_path: str
    content_sha256: str
    parse_quality: str = "complete"  # one of PARSE_QUALITIES
    document: dict = field(default_factory=dict)  # filings columns stated by the document
    header: dict = field(default_factory=dict)  # filings columns stated by EDGAR's submission header
    entities: list[dict] = field(default_factory=list)  # filing_entities columns: the header's owners, issuer
    issuer: dict = field(default_factory=dict)  # issuer_cik, issuer_name, issuer_trading_symbol, ...
    owners: list[dict] = field(default_factory=list)  # filing_owners columns, in document order
    rows: dict[str, list[dict]] = field(default_factory=lambda: {t: [] for t in ROW_TABLES})
    footnotes: list[tuple[str, str]] = field(default_factory=list)  # (footnote_id, text)
    footnote_refs: list[FootnoteRef] = field(default_factory=list)
    signatures: list[dict] = field(default_factory=list)  # signature_name, signature_date
    texts: list[dict] = field(default_factory=list)  # filing_texts columns: a text filing's documents
    notice: dict = field(default_factory=dict)  # sale_notices columns: a Form 144's own facts (else empty)
    notice_rows: dict[str, list[dict]] = field(default_factory=lambda: {t: [] for t in NOTICE_TABLES})
    warnings: list[str] = field(default_factory=list)

    @property
    def row_count(self) -> int:
        return sum(len(rows) for rows in self.rows.values())


class ReadError(Exception):
    """A file that cannot be read as a filing; the message says why."""
