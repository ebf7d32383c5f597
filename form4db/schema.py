"""The database schema: tables, keys, indexes, full-text search and the code list.

Column descriptions live in metadata.yml (one place for what the site publishes); a test
checks that every column below has one.
"""

import hashlib
import sqlite3

import sqlite_utils
from sqlite_utils.db import DescIndex

ROW_ID_CODES = {
    "nonderiv_transactions": "nt",
    "nonderiv_holdings": "nh",
    "deriv_transactions": "dt",
    "deriv_holdings": "dh",
}
# A filing's rows, owners, signatures and header entities have a stable id (accession number,
# code, position) computed, not stored: stored, its 24 bytes took a place in each row and again in
# the index of the key. The transactions are keyed by rowid, which derive reads them by, and a
# unique index on (accession_number, position) keeps the ids unique and finds a filing's rows; their
# ids are indexed as well: trades.id points to them, and derive looks rows up by them. The owners,
# holdings, signatures and header entities are keyed by (accession_number, position) itself, without
# a rowid (KEYED_BY_POSITION): no index beside the table. (Keyed so, the transactions would grow:
# each of their other indexes would carry that key instead of a rowid.)
ROW_KEYS = {**{table: (code, "row_seq") for table, code in ROW_ID_CODES.items()},
            "filing_owners": ("o", "owner_seq"), "signatures": ("s", "signature_seq"),
            "filing_entities": ("e", "entity_seq")}
KEYED_BY_POSITION = ("filing_owners", "nonderiv_holdings", "deriv_holdings", "signatures", "filing_entities")
# The derived tables keyed by the columns their id joins with "_" (WITHOUT ROWID, the id computed):
# stored, the id took a place in each row and again in an index beside the table, and an index of
# the key's first column was a third copy. (Two are keyed in the order their screens read them:
# monthly_activity by (month, issuer_cik), the market's months, its issuers' indexed beside;
# cluster_windows by (window_days, last_buy, issuer_cik), a window length's newest windows, with no
# index beside, nor a foreign key to issuers, whose row pages would then count an issuer's windows
# by reading them all.)
KEYED_BY_COLUMNS = {"issuer_insiders": ("issuer_cik", "owner_cik"),
                    "insider_classes": ("owner_cik", "issuer_cik", "year"),
                    "monthly_activity": ("issuer_cik", "month"),  # the id gives the month as YYYY-MM
                    "cluster_windows": ("issuer_cik", "window_days", "last_buy"),
                    "exercise_sales": ("accession_number", "transaction_date")}
# A filing's footnotes and footnote marks, under the filing's rowid (see FOOTNOTE_VIEWS).
FOOTNOTE_TABLES = ("filing_footnotes", "footnote_marks")


def computed_id(table: str) -> str:
    """The definition of a ROW_KEYS table's id column."""
    code, position = ROW_KEYS[table]
    return f"id TEXT GENERATED ALWAYS AS (accession_number || '_{code}' || {position}) VIRTUAL"


# Numbers are NUMERIC so that 10000 reads back as 10000 and 22.5307 as 22.5307.
TABLES = f"""
CREATE TABLE IF NOT EXISTS transaction_codes (
    code TEXT PRIMARY KEY,
    meaning TEXT,
    category TEXT,
    in_xml INTEGER
);
CREATE TABLE IF NOT EXISTS issuers (
    issuer_cik INTEGER PRIMARY KEY,
    issuer_name TEXT,
    issuer_trading_symbol TEXT,
    as_of_period TEXT,
    as_of_accession TEXT
);
CREATE TABLE IF NOT EXISTS owners (
    owner_cik INTEGER PRIMARY KEY,
    owner_name TEXT,
    as_of_period TEXT,
    as_of_accession TEXT
);
CREATE TABLE IF NOT EXISTS filings (
    accession_number TEXT PRIMARY KEY,
    accession_source TEXT,
    submission_type TEXT,
    document_type TEXT,
    period_of_report TEXT,
    date_of_original_submission TEXT,
    filing_date TEXT,
    acceptance_datetime TEXT,
    issuer_cik INTEGER REFERENCES issuers(issuer_cik),
    issuer_name TEXT,
    issuer_trading_symbol TEXT,
    issuer_foreign_trading_symbol TEXT,
    owner_count INTEGER,
    no_securities_owned INTEGER,
    not_subject_to_section16 INTEGER,
    form3_holdings_reported INTEGER,
    form4_transactions_reported INTEGER,
    aff10b5one INTEGER,
    remarks TEXT,
    schema_version TEXT,
    source_format TEXT,
    parse_quality TEXT,
    sources TEXT,
    source_path TEXT,
    content_sha256 TEXT,
    parse_warnings TEXT
);
CREATE TABLE IF NOT EXISTS filing_owners (
    {computed_id("filing_owners")},
    accession_number TEXT REFERENCES filings(accession_number),
    owner_seq INTEGER,
    owner_cik INTEGER REFERENCES owners(owner_cik),
    owner_name TEXT,
    is_director INTEGER,
    is_officer INTEGER,
    is_ten_percent_owner INTEGER,
    is_other INTEGER,
    officer_title TEXT,
    other_text TEXT,
    street1 TEXT,
    street2 TEXT,
    city TEXT,
    state TEXT,
    zip_code TEXT,
    state_description TEXT,
    non_us_address_flag INTEGER,
    non_us_state_territory TEXT,
    country TEXT,
    good_address INTEGER,
    owner_ccc TEXT,
    sec_file_number TEXT,
    PRIMARY KEY (accession_number, owner_seq)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS nonderiv_transactions (
    {computed_id("nonderiv_transactions")},
    accession_number TEXT REFERENCES filings(accession_number),
    row_seq INTEGER,
    security_title TEXT,
    transaction_date TEXT,
    deemed_execution_date TEXT,
    transaction_form_type TEXT,
    transaction_code TEXT REFERENCES transaction_codes(code),
    equity_swap_involved INTEGER,
    transaction_timeliness TEXT,
    shares NUMERIC,
    price_per_share NUMERIC,
    acquired_disposed TEXT,
    shares_owned_after NUMERIC,
    value_owned_after NUMERIC,
    direct_indirect TEXT,
    nature_of_ownership TEXT,
    source_row_key INTEGER
);
CREATE TABLE IF NOT EXISTS nonderiv_holdings (
    {computed_id("nonderiv_holdings")},
    accession_number TEXT REFERENCES filings(accession_number),
    row_seq INTEGER,
    security_title TEXT,
    transaction_form_type TEXT,
    shares_owned NUMERIC,
    value_owned NUMERIC,
    direct_indirect TEXT,
    nature_of_ownership TEXT,
    source_row_key INTEGER,
    PRIMARY KEY (accession_number, row_seq)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS deriv_transactions (
    {computed_id("deriv_transactions")},
    accession_number TEXT REFERENCES filings(accession_number),
    row_seq INTEGER,
    security_title TEXT,
    conversion_or_exercise_price NUMERIC,
    transaction_date TEXT,
    deemed_execution_date TEXT,
    transaction_form_type TEXT,
    transaction_code TEXT REFERENCES transaction_codes(code),
    equity_swap_involved INTEGER,
    transaction_timeliness TEXT,
    shares NUMERIC,
    total_value NUMERIC,
    price_per_share NUMERIC,
    acquired_disposed TEXT,
    exercise_date TEXT,
    expiration_date TEXT,
    underlying_security_title TEXT,
    underlying_shares NUMERIC,
    underlying_value NUMERIC,
    shares_owned_after NUMERIC,
    value_owned_after NUMERIC,
    direct_indirect TEXT,
    nature_of_ownership TEXT,
    source_row_key INTEGER
);
CREATE TABLE IF NOT EXISTS deriv_holdings (
    {computed_id("deriv_holdings")},
    accession_number TEXT REFERENCES filings(accession_number),
    row_seq INTEGER,
    security_title TEXT,
    conversion_or_exercise_price NUMERIC,
    transaction_form_type TEXT,
    exercise_date TEXT,
    expiration_date TEXT,
    underlying_security_title TEXT,
    underlying_shares NUMERIC,
    underlying_value NUMERIC,
    shares_owned NUMERIC,
    value_owned NUMERIC,
    direct_indirect TEXT,
    nature_of_ownership TEXT,
    source_row_key INTEGER,
    PRIMARY KEY (accession_number, row_seq)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS footnote_texts (
    id INTEGER PRIMARY KEY,
    text TEXT,
    text_hash INTEGER
);
CREATE TABLE IF NOT EXISTS filing_footnotes (
    filing_rowid INTEGER,
    footnote_id TEXT,
    text_id INTEGER REFERENCES footnote_texts(id),
    PRIMARY KEY (filing_rowid, footnote_id)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS footnote_fields (
    id INTEGER PRIMARY KEY,
    field_name TEXT UNIQUE
);
CREATE TABLE IF NOT EXISTS footnote_marks (
    filing_rowid INTEGER,
    seq INTEGER,
    footnote_id TEXT,
    row_table INTEGER,
    row_seq INTEGER,
    field_id INTEGER REFERENCES footnote_fields(id),
    PRIMARY KEY (filing_rowid, seq)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS signatures (
    {computed_id("signatures")},
    accession_number TEXT REFERENCES filings(accession_number),
    signature_seq INTEGER,
    signature_name TEXT,
    signature_date TEXT,
    PRIMARY KEY (accession_number, signature_seq)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS filing_entities (
    {computed_id("filing_entities")},
    accession_number TEXT REFERENCES filings(accession_number),
    entity_seq INTEGER,
    role TEXT,
    cik INTEGER,
    name TEXT,
    sec_file_number TEXT,
    film_number TEXT,
    sic INTEGER,
    industry TEXT,
    state_of_incorporation TEXT,
    fiscal_year_end TEXT,
    PRIMARY KEY (accession_number, entity_seq)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS filing_texts (
    id TEXT PRIMARY KEY,
    accession_number TEXT REFERENCES filings(accession_number),
    text_seq INTEGER,
    document_type TEXT,
    text TEXT
);
CREATE TABLE IF NOT EXISTS sale_notices (
    accession_number TEXT PRIMARY KEY REFERENCES filings(accession_number),
    submission_type TEXT,
    previous_accession_number TEXT,
    filer_cik INTEGER,
    filer_ccc TEXT,
    live_test_flag TEXT,
    contact_name TEXT,
    contact_phone TEXT,
    contact_email TEXT,
    override_internet_flag INTEGER,
    notification_emails TEXT,
    issuer_cik INTEGER REFERENCES issuers(issuer_cik),
    issuer_name TEXT,
    issuer_sec_file_number TEXT,
    issuer_street1 TEXT,
    issuer_street2 TEXT,
    issuer_city TEXT,
    issuer_state_or_country TEXT,
    issuer_zip_code TEXT,
    issuer_contact_phone TEXT,
    seller_name TEXT,
    relationships TEXT,
    nothing_to_report_past_sales INTEGER,
    remarks TEXT,
    notice_date TEXT,
    plan_adoption_dates TEXT,
    signature TEXT
);
CREATE TABLE IF NOT EXISTS proposed_sales (
    id TEXT PRIMARY KEY,
    accession_number TEXT REFERENCES sale_notices(accession_number),
    sale_seq INTEGER,
    security_title TEXT,
    broker_name TEXT,
    broker_street1 TEXT,
    broker_street2 TEXT,
    broker_city TEXT,
    broker_state_or_country TEXT,
    broker_zip_code TEXT,
    units_to_sell NUMERIC,
    aggregate_market_value NUMERIC,
    units_outstanding NUMERIC,
    approx_sale_date TEXT,
    exchange TEXT
);
CREATE TABLE IF NOT EXISTS notice_acquisitions (
    id TEXT PRIMARY KEY,
    accession_number TEXT REFERENCES sale_notices(accession_number),
    acquisition_seq INTEGER,
    security_title TEXT,
    acquired_date TEXT,
    nature_of_acquisition TEXT,
    acquired_from TEXT,
    is_gift INTEGER,
    donor_acquired_date TEXT,
    amount_acquired NUMERIC,
    payment_date TEXT,
    nature_of_payment TEXT
);
CREATE TABLE IF NOT EXISTS notice_past_sales (
    id TEXT PRIMARY KEY,
    accession_number TEXT REFERENCES sale_notices(accession_number),
    sale_seq INTEGER,
    seller_name TEXT,
    seller_street1 TEXT,
    seller_street2 TEXT,
    seller_city TEXT,
    seller_state_or_country TEXT,
    seller_zip_code TEXT,
    security_title TEXT,
    sale_date TEXT,
    amount_sold NUMERIC,
    gross_proceeds NUMERIC
);
CREATE TABLE IF NOT EXISTS build_errors (
    source_path TEXT PRIMARY KEY,
    error TEXT,
    content_sha256 TEXT
);
"""

# The roles derive reads from an owner's title (form4db.derive.roles), and the wide tables' role
# flags: the relationships as filed, then those roles (each 1 when any owner of the filing has it).
OWNER_ROLES = ("is_ceo", "is_cfo", "is_coo", "is_president", "is_chair", "is_general_counsel")
INSIDER_ROLES = ("is_director", "is_officer", "is_ten_percent_owner", *OWNER_ROLES)
# The roles column, as OpenInsider's title column reads: the officer roles first, "Officer" only
# for an officer of none of them.
ROLE_LABELS = [("is_ceo", "CEO"), ("is_cfo", "CFO"), ("is_coo", "COO"), ("is_president", "President"),
               ("is_general_counsel", "General Counsel"),
               ("is_officer AND NOT (is_ceo OR is_cfo OR is_coo OR is_president OR is_general_counsel)", "Officer"),
               ("is_chair", "Chair"), ("is_director", "Director"), ("is_ten_percent_owner", "10% owner")]
ROLES = "nullif(rtrim({}, ', '), '')".format(
    " || ".join(f"CASE WHEN {flag} THEN '{label}, ' ELSE '' END" for flag, label in ROLE_LABELS))

# Derived facts, beside the as-filed columns: form4db.derive computes them from stored facts
# (`form4db derive` recomputes them without re-parsing). Added to existing tables when missing.
TRANSACTION_DERIVED = [
    ("value_usd", "NUMERIC"),
    ("filing_delay_bd", "INTEGER"),
    ("is_late", "INTEGER"),
    ("is_10b5_1", "INTEGER"),
    ("rule_10b5_1_evidence", "TEXT"),
    ("rule_10b5_1_footnote", "TEXT"),
    ("plan_adopted_on", "TEXT"),
    ("price_low", "NUMERIC"),
    ("price_high", "NUMERIC"),
    ("quality_flags", "TEXT"),
    ("superseded_by", "TEXT"),
]
DERIVED_COLUMNS = {
    "filings": [("is_amendment", "INTEGER"), ("issuer_ticker_clean", "TEXT"), ("quality_flags", "TEXT"),
                ("copy_of", "TEXT REFERENCES filings(accession_number)")],
    "nonderiv_transactions": [
        ("is_open_market", "INTEGER"),
        ("owned_before", "NUMERIC"),
        ("owned_change_pct", "REAL"),
        *TRANSACTION_DERIVED,
        ("insider_class", "TEXT"),
        ("sale_notice_id", "TEXT REFERENCES proposed_sales(id)"),
    ],
    "deriv_transactions": TRANSACTION_DERIVED,
    "filing_owners": [(role, "INTEGER") for role in OWNER_ROLES],
    "sale_notices": [("expires_on", "TEXT"), ("superseded_by", "TEXT REFERENCES sale_notices(accession_number)")],
    "proposed_sales": [("issuer_cik", "INTEGER REFERENCES issuers(issuer_cik)"), ("notice_date", "TEXT"),
                       ("status", "TEXT"), ("shares_executed", "NUMERIC"), ("executed_rows", "INTEGER"),
                       ("executed_row_ids", "TEXT"), ("first_executed_on", "TEXT"), ("last_executed_on", "TEXT"),
                       ("link_method", "TEXT"), ("link_confidence", "REAL")],
}
# Filled whole by derive, like the derived columns. Each declares its rowid (rowid INTEGER PRIMARY
# KEY is the rowid itself, under the same name): an index can then order by it before the columns
# it carries (see INDEXES). Datasette pages them by it as before; the row pages keep their address.
WIDE_TABLES = ("trades", "trades_by_filing")
DERIVED_COLUMN_NAMES = {table: {name for name, _ in columns} for table, columns in DERIVED_COLUMNS.items()}

# The wide tables' columns on who traded: the issuer, the insiders of the filing and their roles
# (computed from the role flags beside them, like each row's id: see ROW_KEYS). Every insider's
# name is computed too: the first-listed insider's, stored only for a joint filing's (one trade in 30).
WHO_TRADED = f"""ticker TEXT,
    issuer_cik INTEGER REFERENCES issuers(issuer_cik),
    issuer_name TEXT,
    insider_cik INTEGER REFERENCES owners(owner_cik),
    insider_name TEXT,
    insider_count INTEGER,
    insider_names TEXT GENERATED ALWAYS AS (CASE WHEN insider_count > 1 THEN joint_insider_names ELSE insider_name END)
        VIRTUAL,
    joint_insider_names TEXT,
    title TEXT,
    roles TEXT GENERATED ALWAYS AS ({ROLES}) VIRTUAL,
    """ + "\n    ".join(f"{role} INTEGER," for role in INSIDER_ROLES)

DERIVED_TABLES = f"""
CREATE TABLE IF NOT EXISTS calendar (
    day TEXT PRIMARY KEY,
    is_business_day INTEGER,
    business_day_seq INTEGER,
    closed_for TEXT
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS amendments (
    amendment_accession TEXT PRIMARY KEY REFERENCES filings(accession_number),
    original_accession TEXT REFERENCES filings(accession_number),
    method TEXT,
    confidence REAL,
    candidates INTEGER
);
CREATE TABLE IF NOT EXISTS insider_classes (
    id TEXT GENERATED ALWAYS AS (owner_cik || '_' || issuer_cik || '_' || year) VIRTUAL,
    owner_cik INTEGER REFERENCES owners(owner_cik),
    issuer_cik INTEGER REFERENCES issuers(issuer_cik),
    year INTEGER,
    class TEXT,
    prior_trade_months TEXT,
    PRIMARY KEY (owner_cik, issuer_cik, year)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS monthly_activity (
    id TEXT GENERATED ALWAYS AS (issuer_cik || '_' || substr(month, 1, 7)) VIRTUAL,
    issuer_cik INTEGER REFERENCES issuers(issuer_cik),
    month TEXT,
    buys_usd NUMERIC,
    sells_usd NUMERIC,
    buy_trades INTEGER,
    sell_trades INTEGER,
    buyers INTEGER,
    sellers INTEGER,
    plan_sales_usd NUMERIC,
    discretionary_sales_usd NUMERIC,
    unknown_sales_usd NUMERIC,
    plan_sales INTEGER,
    discretionary_sales INTEGER,
    unknown_sales INTEGER,
    PRIMARY KEY (month, issuer_cik)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS cluster_windows (
    id TEXT GENERATED ALWAYS AS (issuer_cik || '_' || window_days || '_' || last_buy) VIRTUAL,
    issuer_cik INTEGER,
    window_days INTEGER,
    first_buy TEXT,
    last_buy TEXT,
    insiders INTEGER,
    insider_names TEXT,
    purchases INTEGER,
    total_usd NUMERIC,
    PRIMARY KEY (window_days, last_buy, issuer_cik)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS issuer_insiders (
    id TEXT GENERATED ALWAYS AS (issuer_cik || '_' || owner_cik) VIRTUAL,
    issuer_cik INTEGER REFERENCES issuers(issuer_cik),
    owner_cik INTEGER REFERENCES owners(owner_cik),
    owner_name TEXT,
    roles TEXT,
    title TEXT,
    first_filed TEXT,
    last_filed TEXT,
    filings INTEGER,
    last_trade_date TEXT,
    last_trade_code TEXT,
    owned_after NUMERIC,
    last_accession TEXT,
    PRIMARY KEY (issuer_cik, owner_cik)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS exercise_sales (
    id TEXT GENERATED ALWAYS AS (accession_number || '_' || transaction_date) VIRTUAL,
    accession_number TEXT REFERENCES filings(accession_number),
    transaction_date TEXT,
    exercised NUMERIC,
    sold NUMERIC,
    withheld NUMERIC,
    kept NUMERIC,
    sold_usd NUMERIC,
    is_10b5_1 INTEGER,
    PRIMARY KEY (accession_number, transaction_date)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS trades (
    rowid INTEGER PRIMARY KEY,
    id TEXT GENERATED ALWAYS AS (accession_number || CASE is_derivative WHEN 1 THEN '_dt' ELSE '_nt' END || row_seq)
        VIRTUAL,
    accession_number TEXT REFERENCES filings(accession_number),
    row_seq INTEGER,
    form_type TEXT,
    filing_date TEXT,
    acceptance_datetime TEXT,
    trade_date TEXT,
    {WHO_TRADED}
    security_title TEXT,
    is_derivative INTEGER,
    transaction_code TEXT REFERENCES transaction_codes(code),
    acquired_disposed TEXT,
    shares NUMERIC,
    price NUMERIC,
    value_usd NUMERIC,
    owned_after NUMERIC,
    owned_change_pct REAL,
    direct_indirect TEXT,
    is_open_market INTEGER,
    is_10b5_1 INTEGER,
    plan_adopted_on TEXT,
    price_low NUMERIC,
    price_high NUMERIC,
    filing_delay_bd INTEGER,
    is_late INTEGER,
    insider_class TEXT,
    quality_flags TEXT,
    filing_flags TEXT
);
CREATE TABLE IF NOT EXISTS trades_by_filing (
    rowid INTEGER PRIMARY KEY,
    id TEXT GENERATED ALWAYS AS (accession_number || '_' || transaction_code) VIRTUAL,
    accession_number TEXT REFERENCES filings(accession_number),
    form_type TEXT,
    filing_date TEXT,
    acceptance_datetime TEXT,
    transaction_code TEXT REFERENCES transaction_codes(code),
    first_trade_date TEXT,
    last_trade_date TEXT,
    {WHO_TRADED}
    trades INTEGER,
    shares NUMERIC,
    average_price NUMERIC,
    value_usd NUMERIC,
    owned_after NUMERIC,
    owned_change_pct REAL,
    is_open_market INTEGER,
    is_10b5_1 INTEGER,
    filing_flags TEXT
);
CREATE TABLE IF NOT EXISTS build_info (
    key TEXT PRIMARY KEY,
    value TEXT
);
CREATE VIEW IF NOT EXISTS as_of AS
    SELECT coalesce((SELECT max(filing_date) FROM filings), (SELECT max(period_of_report) FROM filings)) AS day;
CREATE VIEW IF NOT EXISTS nonderiv_transactions_amended AS
    SELECT * FROM nonderiv_transactions WHERE superseded_by IS NULL;
"""

# Every foreign key, plus the columns the site filters or sorts on.
INDEXES = {
    "filings": [
        ["issuer_cik", "date_of_original_submission"],  # also the amendments a new filing may be the original of
        [DescIndex("period_of_report"), "accession_number"],  # the table page's order, newest first
        ["filing_date"],
        ["document_type"],
        ["schema_version"],
        ["issuer_ticker_clean"],
        ["source_format"],
        ["parse_quality"],
    ],
    "issuers": [["issuer_name"]],
    "owners": [["owner_name"]],
    "filing_owners": [["owner_cik"]],
    "nonderiv_transactions": [  # (transaction_date, rowid): the table page's order, newest first
        [DescIndex("transaction_date")],
        ["transaction_code", "is_open_market", "transaction_date"],  # purchases or sales in a period; a code's rows
    ],
    "deriv_transactions": [["transaction_code"], [DescIndex("transaction_date")]],
    "footnote_texts": [["text_hash"]],  # FOOTNOTE_TEXT_LOOKUP
    "filing_footnotes": [["text_id"]],  # the filings of a text the search found
    "sale_notices": [["issuer_cik", DescIndex("notice_date")], ["filer_cik"], [DescIndex("notice_date")],
                     ["superseded_by"]],
    "proposed_sales": [["accession_number"], [DescIndex("notice_date")], ["status", DescIndex("notice_date")],
                       ["issuer_cik", DescIndex("notice_date")]],
    "notice_acquisitions": [["accession_number"]],
    "notice_past_sales": [["accession_number"]],
    "filing_texts": [["accession_number"]],
    "amendments": [["original_accession"]],
    "insider_classes": [["issuer_cik"]],  # KEYED_BY_COLUMNS: the other ways in than their key
    "monthly_activity": [["issuer_cik"]],
    "exercise_sales": [["transaction_date"]],
    "issuer_insiders": [["owner_cik", DescIndex("last_filed")]],  # keyed by issuer: a company's insiders
    # The screener and the presets. The wide tables are keyed by rowid, which every index ends
    # with, so an index of the filters and the sort column descending orders a page as Datasette
    # does (the sort column, then rowid): the page walks the index and stops, where an index that
    # orders only part of it lets SQLite sort every match (a keyset page's OR defeats it). The
    # columns a count or a period's total reads come after rowid, which the tables declare so that
    # an index can name it (see WIDE_TABLES): they would break that order before it. None leads
    # with value_usd, which would lure a value filter into sorting every match rather than walking
    # the newest first.
    "trades": [["accession_number"], [DescIndex("filing_date")], [DescIndex("trade_date")],
               ["transaction_code", DescIndex("filing_date"), "rowid", "value_usd", "is_officer", "is_ceo", "is_cfo"],
               ["ticker", DescIndex("trade_date")], ["insider_cik", DescIndex("trade_date")],
               ["issuer_cik", DescIndex("trade_date")],
               ["is_open_market", DescIndex("trade_date"), "rowid", "transaction_code"]],  # also a period's sales
    "trades_by_filing": [["accession_number"], [DescIndex("filing_date")],
                         ["transaction_code", DescIndex("filing_date")],
                         ["ticker", DescIndex("last_trade_date")],
                         ["insider_cik", DescIndex("last_trade_date")],
                         ["issuer_cik", DescIndex("filing_date")],
                         ["is_open_market", "filing_date", "acceptance_datetime", "transaction_code"],
                         ["is_open_market", "transaction_code", DescIndex("filing_date"), "rowid", "value_usd",
                          "is_officer", "is_ceo", "is_cfo", "average_price"]],
}

# Indexes of earlier versions that no screen, no derive and no load uses any more: dropped from
# a database built with them.
OBSOLETE_INDEXES = ["idx_issuers_issuer_trading_symbol", "idx_issuers_as_of_accession", "idx_owners_as_of_accession",
                    "idx_nonderiv_transactions_transaction_code", "idx_nonderiv_transactions_acquired_disposed",
                    "idx_nonderiv_transactions_is_open_market_transaction_date",
                    "idx_nonderiv_transactions_transaction_code_transaction_date",
                    "idx_deriv_transactions_acquired_disposed",
                    # a footnote by the footnotes view's id: row_ids filters ?id= on the accession number too
                    "idx_filing_footnotes_id",
                    "idx_filing_entities_cik",  # its issuers' entries: idx_filing_entities_issuer_cik
                    "idx_issuer_insiders_issuer_cik_last_filed",  # the table is keyed by issuer and owner
                    # KEYED_BY_COLUMNS: a key's first column, or the order a table is keyed in now
                    "idx_insider_classes_owner_cik", "idx_monthly_activity_issuer_cik_month", "idx_monthly_activity_month",
                    "idx_cluster_windows_issuer_cik", "idx_cluster_windows_window_days_last_buy",
                    "idx_exercise_sales_accession_number",
                    "idx_filing_owners_accession_number_owner_seq"]  # keyed by (accession_number, owner_seq)

# Indexes sqlite-utils does not declare: partial ones for the rows a screen looks for (late
# filings, copies, issuers' header entries), which plain indexes on a mostly-NULL column would not
# make the planner use, or would hold rows no screen reads: (table, columns read, statement).
PARTIAL_INDEXES = [
    ("nonderiv_transactions", ["filing_delay_bd", "is_late"], """CREATE INDEX IF NOT EXISTS idx_nonderiv_transactions_late
    ON nonderiv_transactions (filing_delay_bd) WHERE is_late = 1"""),
    ("nonderiv_transactions", ["transaction_date", "transaction_timeliness"],
     """CREATE INDEX IF NOT EXISTS idx_nonderiv_transactions_marked_late
    ON nonderiv_transactions (transaction_date) WHERE transaction_timeliness = 'L'"""),
    ("nonderiv_transactions", ["sale_notice_id"], """CREATE INDEX IF NOT EXISTS idx_nonderiv_transactions_sale_notice_id
    ON nonderiv_transactions (sale_notice_id) WHERE sale_notice_id IS NOT NULL"""),  # a notice's sales
    ("trades", ["issuer_cik", "trade_date", "is_late"], """CREATE INDEX IF NOT EXISTS idx_trades_late
    ON trades (issuer_cik, trade_date DESC) WHERE is_late = 1"""),  # a company page's late filings and their count
    ("filings", ["copy_of"], """CREATE INDEX IF NOT EXISTS idx_filings_copy_of
    ON filings (copy_of) WHERE copy_of IS NOT NULL"""),  # a filing's copies, for its page's links
    # An issuer's header entries, for its company page's industry; an owner's filings are found
    # through filing_owners.owner_cik. (Of every entry, the index took 65 bytes a filing.)
    ("filing_entities", ["cik", "role"], """CREATE INDEX IF NOT EXISTS idx_filing_entities_issuer_cik
    ON filing_entities (cik) WHERE role = 'issuer'"""),
]

FULL_TEXT = {"footnote_texts": ["text"], "filings": ["remarks"], "filing_texts": ["text"]}
FOOTNOTE_TEXT_LOOKUP = "idx_footnote_texts_text_hash"  # the loader finds a text by its hash, also while loading

# footnote_marks numbers the table of a marked row (1 nonderiv_transactions … 4 deriv_holdings), in
# a byte, where the code in the row's id took two.
ROW_TABLE_NUMBERS = {code: number for number, code in enumerate(ROW_ID_CODES.values(), start=1)}
TABLE_OF_ROW_TABLE = " ".join(f"WHEN {ROW_TABLE_NUMBERS[code]} THEN '{table}'" for table, code in ROW_ID_CODES.items())
CODE_OF_ROW_TABLE = " ".join(f"WHEN {number} THEN '{code}'" for code, number in ROW_TABLE_NUMBERS.items())


def row_table_number(code: str) -> str:
    """SQL for the number footnote_marks gives the table of a row, from ``code``, the code in its id."""
    numbers = " ".join(f"WHEN '{code_in_id}' THEN {number}" for code_in_id, number in ROW_TABLE_NUMBERS.items())
    return f"CASE {code} {numbers} END"


def rows_marked(footnote: str, table: str) -> str:
    """SQL joining to each footnote ``footnote`` (a row with accession_number and footnote_id) its
    marks r on rows of ``table`` and those rows t, found by their key (accession_number, row_seq),
    not by the id both would have to spell out."""
    return f"""CROSS JOIN filings r_filing ON r_filing.accession_number = {footnote}.accession_number
        CROSS JOIN footnote_marks r ON r.filing_rowid = r_filing.rowid AND r.footnote_id = {footnote}.footnote_id
            AND r.row_table = {ROW_TABLE_NUMBERS[ROW_ID_CODES[table]]}
        CROSS JOIN {table} t ON t.accession_number = {footnote}.accession_number AND t.row_seq = r.row_seq"""


# The footnotes and footnote references as published since the first release, over the tables
# that store each text once and each reference without the keys it repeats: they name their
# filing by its rowid (as its full-text index does), not by the 20 characters of its accession
# number, which took 178 bytes a filing in them and the index of the texts' filings.
FOOTNOTE_VIEWS = f"""
CREATE VIEW IF NOT EXISTS footnotes AS
    SELECT f.accession_number || '_' || n.footnote_id AS id, f.accession_number, n.footnote_id, t.text, n.text_id
    FROM filings f JOIN filing_footnotes n ON n.filing_rowid = f.rowid JOIN footnote_texts t ON t.id = n.text_id;
CREATE VIEW IF NOT EXISTS footnote_refs AS
    SELECT f.accession_number || '_r' || m.seq AS id, f.accession_number,
           f.accession_number || '_' || m.footnote_id AS footnote, m.footnote_id,
           CASE m.row_table {TABLE_OF_ROW_TABLE} END AS table_name,
           f.accession_number || '_' || CASE m.row_table {CODE_OF_ROW_TABLE} END || m.row_seq AS row_id, m.row_seq,
           k.field_name
    FROM filings f JOIN footnote_marks m ON m.filing_rowid = f.rowid LEFT JOIN footnote_fields k ON k.id = m.field_id;
"""
# Kept by the derive step, not the loader; names and tickers are searched as written (no stemming).
# No full-text index keeps the size of each row's columns (columnsize=0): only ranking reads them,
# and then tokenizes the matches' texts instead (footnotes and remarks are ranked among the newest
# 5,000 matches); they took 26 bytes a filing here, 24 in the texts' and remarks' indexes.
DERIVED_FULL_TEXT = {"trades": ["ticker", "issuer_name", "insider_names"]}

# Reference §3.1: (code, meaning, SEC group, can appear as transactionCode in XML).
TRANSACTION_CODES = [
    ("P", "Open market or private purchase of a non-derivative or derivative security", "General", 1),
    ("S", "Open market or private sale of a non-derivative or derivative security", "General", 1),
    ("V", "Transaction voluntarily reported earlier than required", "General", 0),
    ("A", "Grant, award or other acquisition pursuant to Rule 16b-3(d)", "Rule 16b-3", 1),
    ("D", "Disposition to the issuer of issuer equity securities pursuant to Rule 16b-3(e)", "Rule 16b-3", 1),
    ("F", "Payment of exercise price or tax liability by delivering or withholding securities incident to the receipt, exercise or vesting of a security issued in accordance with Rule 16b-3", "Rule 16b-3", 1),
    ("I", "Discretionary transaction in accordance with Rule 16b-3(f) resulting in acquisition or disposition of issuer securities", "Rule 16b-3", 1),
    ("M", "Exercise or conversion of derivative security exempted pursuant to Rule 16b-3", "Rule 16b-3", 1),
    ("C", "Conversion of derivative security", "Derivative", 1),
    ("E", "Expiration of short derivative position", "Derivative", 1),
    ("H", "Expiration (or cancellation) of long derivative position with value received", "Derivative", 1),
    ("O", "Exercise of out-of-the-money derivative security", "Derivative", 1),
    ("X", "Exercise of in-the-money or at-the-money derivative security", "Derivative", 1),
    ("G", "Bona fide gift", "Exempt or small", 1),
    ("L", "Small acquisition under Rule 16a-6", "Exempt or small", 1),
    ("W", "Acquisition or disposition by will or the laws of descent and distribution", "Exempt or small", 1),
    ("Z", "Deposit into or withdrawal from voting trust", "Exempt or small", 1),
    ("J", "Other acquisition or disposition (described in a footnote)", "Other", 1),
    ("K", "Transaction in equity swap or instrument with similar characteristics", "Other", 0),
    ("U", "Disposition pursuant to a tender of shares in a change of control transaction", "Other", 1),
]
# The codes a printed form's code column can show: V has a column of its own.
CODE_MEANINGS = {code: meaning for code, meaning, _, _ in TRANSACTION_CODES}
PRINTED_TRANSACTION_CODES = frozenset(code for code, *_ in TRANSACTION_CODES) - {"V"}


# Columns added since the first release whose value for the rows already stored is known.
BACKFILL = {
    ("filings", "parse_quality"): "UPDATE filings SET parse_quality = "
                                  "CASE source_format WHEN 'dataset' THEN 'partial' ELSE 'complete' END",
}


def ensure_schema(db: sqlite_utils.Database) -> None:
    """Create whatever of the schema is missing; safe to run on an existing database, also one
    built by an earlier version (a column added since is added to it, at the end)."""
    db.conn.executescript(TABLES)
    migrate_footnotes(db)
    rehash_footnote_texts(db)
    key_footnote_fields(db)
    key_footnotes_by_filing(db)
    add_missing_columns(db)
    compute_stored_ids(db)
    for name in OBSOLETE_INDEXES:
        db.conn.execute(f"DROP INDEX IF EXISTS {name}")
    create_indexes(db)
    analyze_new_indexes(db)
    create_full_text_indexes(db)
    db.conn.executescript(FOOTNOTE_VIEWS)
    db.conn.executemany(
        "INSERT OR REPLACE INTO transaction_codes VALUES (?, ?, ?, ?)", TRANSACTION_CODES
    )


def create_full_text_indexes(db: sqlite_utils.Database) -> None:
    """Create the full-text indexes that are missing, and again those of a database built when
    they kept the size of each row's columns; each then reads its table. (No triggers: the loader
    indexes each batch in one statement, see Loader.index_text, and derive its tables.)"""
    for table, columns in {**FULL_TEXT, **DERIVED_FULL_TEXT}.items():
        if db[f"{table}_fts_docsize"].exists():
            db.conn.execute(f"DROP TABLE {table}_fts")
        if not db[table].detect_fts():
            stemmed = ", tokenize='porter'" if table in FULL_TEXT else ""
            db.conn.execute(f"""CREATE VIRTUAL TABLE {table}_fts USING FTS5 ({', '.join(columns)}{stemmed},
                content="{table}", columnsize=0)""")
            db.conn.execute(f"INSERT INTO {table}_fts ({table}_fts) VALUES ('rebuild')")


def analyze_new_indexes(db: sqlite_utils.Database) -> None:
    """Statistics for the indexes created since their table was analyzed, by a newer version or a
    move (compute_stored_ids), and none for the indexes dropped since. Without them the planner
    guesses, and at a million filings sorted every open-market row for a preset's page (1.4 s)
    rather than walk the index that orders it. A table never analyzed is left to the build."""
    if not db["sqlite_stat1"].exists():
        return
    stats = db.conn.execute("SELECT tbl, idx FROM sqlite_stat1 WHERE idx IS NOT NULL").fetchall()
    analyzed_tables, analyzed = {table for table, _ in stats}, {index for _, index in stats}
    indexes = db.conn.execute("SELECT name, tbl_name FROM sqlite_master WHERE type = 'index'").fetchall()
    # The key of a WITHOUT ROWID table, which sqlite_master does not list, is analyzed under its name.
    indexes += [(name, name) for name in db.table_names() if not has_rowid(db, name)]
    db.conn.executemany("DELETE FROM sqlite_stat1 WHERE idx = ?",
                        [(gone,) for gone in analyzed - {name for name, _ in indexes}])
    db.conn.execute("PRAGMA analysis_limit = 1000")  # approximate statistics, in bounded time, as the build's
    for name, table in indexes:
        if table in analyzed_tables and name not in analyzed:
            db.conn.execute(f"ANALYZE [{name}]")


def migrate_footnotes(db: sqlite_utils.Database) -> None:
    """Move a database built before footnote_texts (footnotes and footnote_refs were tables) to
    the tables that store each text once; the views then read the same as those tables did."""
    if db.conn.execute("SELECT type FROM sqlite_master WHERE name = 'footnotes'").fetchone() != ("table",):
        return
    db.conn.create_function("text_hash", 1, text_hash, deterministic=True)
    db["footnote_texts"].create_index(["text_hash"], if_not_exists=True)
    db.conn.execute("""CREATE TEMP TABLE old_footnotes AS
        SELECT accession_number, footnote_id, text, text_hash(text) AS text_hash FROM footnotes ORDER BY rowid""")
    store_footnotes(db.conn, "temp.old_footnotes")
    db.conn.execute(f"""CREATE TEMP TABLE old_marks AS
        SELECT accession_number, CAST(substr(id, length(accession_number) + 3) AS INTEGER) AS seq, footnote_id,
               CASE table_name {" ".join(f"WHEN '{table}' THEN '{code}'" for table, code in ROW_ID_CODES.items())} END
                   AS row_table,
               row_seq, field_name
        FROM footnote_refs ORDER BY rowid""")
    store_footnote_marks(db.conn, "temp.old_marks")
    db.conn.executescript("""
        DROP TABLE temp.old_marks;
        DROP TABLE temp.old_footnotes;
        DROP TABLE IF EXISTS footnotes_fts;
        DROP TABLE footnote_refs;
        DROP TABLE footnotes;""")  # ensure_schema then indexes the texts


def key_footnote_fields(db: sqlite_utils.Database) -> None:
    """Move the footnote marks of a database that spelled out each marker's field name to the key
    of the name in footnote_fields. A move that was stopped is finished."""
    if "field_name" in table_columns(db, "footnote_marks"):
        db.conn.executescript("""
            DROP VIEW IF EXISTS footnote_refs;
            ALTER TABLE footnote_marks RENAME TO footnote_marks_named;""")
        db.conn.executescript(TABLES)
    if db["footnote_marks_named"].exists():
        with db.conn:  # the copy and the old table's drop at once
            db.conn.execute("DELETE FROM footnote_marks")
            store_footnote_marks(db.conn, "footnote_marks_named")
            db.conn.execute("DROP TABLE footnote_marks_named")


def key_footnotes_by_filing(db: sqlite_utils.Database) -> None:
    """Move the footnotes and marks of a database that filed them under the accession number to
    the filing's rowid (and named a marked row's table by the code in its id, not its number), with
    statistics if the database has them. A move that was stopped is finished."""
    stored_by_accession = [table for table in FOOTNOTE_TABLES if "accession_number" in table_columns(db, table)]
    for table in stored_by_accession:
        db.conn.executescript(f"""
            DROP VIEW IF EXISTS footnotes;
            DROP VIEW IF EXISTS footnote_refs;
            ALTER TABLE {table} RENAME TO {table}_by_accession;""")
    if stored_by_accession:
        db.conn.executescript(TABLES)
    for table in FOOTNOTE_TABLES:
        old = f"{table}_by_accession"
        if not db[old].exists():
            continue
        names = ", ".join(row_table_number("o.row_table") if name == "row_table" else f"o.[{name}]"
                          for name in table_columns(db, table) if name != "filing_rowid")
        with db.conn:  # the copy and the old table's drop at once
            db.conn.execute(f"DELETE FROM {table}")
            db.conn.execute(f"""INSERT INTO {table} SELECT f.rowid, {names}
                FROM {old} o JOIN filings f ON f.accession_number = o.accession_number ORDER BY 1, 2""")
            db.conn.execute(f"DROP TABLE {old}")
            if db["sqlite_stat1"].exists():
                db.conn.execute("PRAGMA analysis_limit = 1000")
                db.conn.execute(f"ANALYZE [{table}]")


def add_missing_columns(db: sqlite_utils.Database) -> None:
    """Add the columns a table of an earlier version lacks, at its end."""
    for table, columns in base_columns().items():
        existing = set(table_columns(db, table))
        for name, kind in columns:
            if name not in existing:
                db.conn.execute(f"ALTER TABLE {table} ADD COLUMN {name} {kind}")
                if (table, name) in BACKFILL:
                    db.conn.execute(BACKFILL[table, name])
    for table, columns in DERIVED_COLUMNS.items():
        existing = set(table_columns(db, table))
        for column, kind in columns:
            if column not in existing:
                db.conn.execute(f"ALTER TABLE {table} ADD COLUMN {column} {kind}")


# The columns computed now that a database of an earlier version stores, and the stored columns a
# table moved by compute_stored_ids gained, worked out from the columns it had.
COMPUTED_SINCE = {"id", "roles", "insider_names"}
JOINT_INSIDER_NAMES = {"joint_insider_names": "CASE WHEN insider_count > 1 THEN insider_names END"}
FILLED_WHEN_MOVED = {"trades": {"row_seq": "CAST(substr(id, length(accession_number) + 4) AS INTEGER)",
                                **JOINT_INSIDER_NAMES},
                     "trades_by_filing": JOINT_INSIDER_NAMES}


def stored_before(db: sqlite_utils.Database, table: str) -> bool:
    """Whether a table of this layout is stored as an earlier version stored it: with a column
    computed now, a wide table with its rowid undeclared, or keyed by rowid where it is keyed by
    position now."""
    columns = table_columns(db, table)
    return (bool(COMPUTED_SINCE & set(columns)) or (table in WIDE_TABLES and "rowid" not in columns)
            or (table in KEYED_BY_POSITION and has_rowid(db, table)))


def has_rowid(db: sqlite_utils.Database, table: str) -> bool:
    """Whether a table has a rowid: it is not declared WITHOUT ROWID."""
    return "WITHOUT ROWID" not in (db[table].schema or "").upper()


def compute_stored_ids(db: sqlite_utils.Database) -> None:
    """Create the derived tables that are missing, moving first the tables of a database built
    when they stored their id or were keyed by rowid (and the wide tables their roles and every
    insider's name, or left their rowid undeclared; the tables KEYED_BY_COLUMNS, their id): each is
    created anew and its rows copied with the same rowids, if it has them (trades_fts reads trades
    by them), the computed columns then computed. A move that was stopped is finished."""
    moved = [*ROW_KEYS, *WIDE_TABLES, *KEYED_BY_COLUMNS]
    db.conn.execute("PRAGMA legacy_alter_table = ON")  # the views go on naming the table, not the old one
    for table in moved:
        if db[table].exists() and stored_before(db, table):
            db.conn.execute(f"ALTER TABLE {table} RENAME TO {table}_stored_id")
    db.conn.execute("PRAGMA legacy_alter_table = OFF")
    db.conn.executescript(TABLES + DERIVED_TABLES)
    add_missing_columns(db)
    for table in moved:
        old = f"{table}_stored_id"
        if not db[old].exists():
            continue
        old_columns = set(table_columns(db, old))
        filled = {name: value for name, value in FILLED_WHEN_MOVED.get(table, {}).items() if name not in old_columns}
        copied = [name for name in table_columns(db, table) if name in old_columns]
        names = ", ".join(f"[{name}]" for name in [*copied, *filled])
        values = ", ".join([*(f"[{name}]" for name in copied), *filled.values()])
        rowid = "rowid, " if has_rowid(db, table) else ""
        with db.conn:  # the copy and the old table's drop at once
            db.conn.execute(f"DELETE FROM {table}")
            db.conn.execute(f"INSERT INTO {table} ({rowid}{names}) SELECT {rowid}{values} FROM {old}")
            db.conn.execute(f"DROP TABLE {old}")


def store_footnotes(conn: sqlite3.Connection, staged: str) -> None:
    """Store the footnotes in the table ``staged`` (accession_number, footnote_id, text, text_hash):
    each text not stored yet into footnote_texts, in the order first met, then each filing's
    footnote, under the filing's rowid, as the key of its text."""
    conn.execute(f"""INSERT INTO footnote_texts (text, text_hash)
        SELECT text, text_hash FROM {staged} n
        WHERE NOT EXISTS (SELECT 1 FROM footnote_texts t WHERE t.text_hash = n.text_hash AND t.text IS n.text)
        GROUP BY text_hash, text ORDER BY min(rowid)""")
    conn.execute(f"""INSERT INTO filing_footnotes (filing_rowid, footnote_id, text_id)
        SELECT f.rowid, n.footnote_id,
               (SELECT t.id FROM footnote_texts t WHERE t.text_hash = n.text_hash AND t.text IS n.text)
        FROM {staged} n JOIN filings f ON f.accession_number = n.accession_number""")


def store_footnote_marks(conn: sqlite3.Connection, staged: str) -> None:
    """Store the footnote marks in the table ``staged`` (accession_number, seq, footnote_id,
    row_table, row_seq, field_name), each filing by its rowid and each field name as its key in
    footnote_fields: a name met for the first time is added there (18 names mark 4.6 markers a
    filing)."""
    conn.execute(f"""INSERT OR IGNORE INTO footnote_fields (field_name)
        SELECT DISTINCT field_name FROM {staged} WHERE field_name IS NOT NULL ORDER BY field_name""")
    conn.execute(f"""INSERT INTO footnote_marks (filing_rowid, seq, footnote_id, row_table, row_seq, field_id)
        SELECT f.rowid, m.seq, m.footnote_id, {row_table_number("m.row_table")}, m.row_seq, k.id
        FROM {staged} m JOIN filings f ON f.accession_number = m.accession_number
        LEFT JOIN footnote_fields k ON k.field_name = m.field_name""")


def text_hash(text: str | None) -> int:
    """The 32-bit hash footnote_texts finds a text by (a signed integer, which SQLite stores in 4
    bytes; texts that share a hash are told apart by their text)."""
    digest = hashlib.blake2b((text or "").encode("utf-8", "surrogatepass"), digest_size=4).digest()
    return int.from_bytes(digest, "big", signed=True)


def rehash_footnote_texts(db: sqlite_utils.Database) -> None:
    """Hash again the footnote texts of a database that hashed them to 64 bits (8 bytes a text in
    the table and again in the index the loader finds them by)."""
    if db.conn.execute("SELECT 1 FROM footnote_texts WHERE text_hash > 2147483647 OR text_hash < -2147483648 "
                       "LIMIT 1").fetchone():
        db.conn.create_function("text_hash", 1, text_hash, deterministic=True)
        db.conn.execute("UPDATE footnote_texts SET text_hash = text_hash(text)")


def create_indexes(db: sqlite_utils.Database, derived_indexes: bool = True) -> None:
    """Create the schema's indexes that are missing; without ``derived_indexes``, all but those
    that read a derived column (see Loader.build_indexes)."""
    for table, indexes in INDEXES.items():
        for columns in indexes:
            if derived_indexes or not reads_derived(table, columns):
                db[table].create_index(columns, if_not_exists=True)
    for table, (_, position) in ROW_KEYS.items():
        if table not in KEYED_BY_POSITION:
            db[table].create_index(["accession_number", position], unique=True, if_not_exists=True)
    for table in ROW_ID_CODES:
        if table not in KEYED_BY_POSITION:
            db[table].create_index(["id"], unique=True, if_not_exists=True)
    for table, columns, statement in PARTIAL_INDEXES:
        if derived_indexes or not reads_derived(table, columns):
            db.conn.execute(statement)


def reads_derived(table: str, columns: list[str]) -> bool:
    """Whether any of a table's columns is a derived one (every column of a wide table is)."""
    return table in WIDE_TABLES or not DERIVED_COLUMN_NAMES.get(table, set()).isdisjoint(columns)


def base_columns() -> dict[str, list[tuple[str, str]]]:
    """(name, type) of every column in TABLES, per table, in table order."""
    conn = sqlite3.connect(":memory:")
    conn.executescript(TABLES)
    tables = [row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
    return {table: [(row[1], row[2]) for row in conn.execute(f"PRAGMA table_info({table})")] for table in tables}


def table_columns(db: sqlite_utils.Database, table: str) -> list[str]:
    """Column names of a table, in table order."""
    return [column.name for column in db[table].columns]
