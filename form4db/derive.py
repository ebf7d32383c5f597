"""Derived facts, computed in one place from the facts the filings state.

`form4db build` runs `derive` after loading; `form4db derive` reruns it on a database without
re-parsing anything. Every step recomputes its columns whole, so running it twice gives the same
database (and most steps write only the rows whose values change). The rules, and the choices
where a rule is open, are in each column's description in metadata.yml; the reasoning is in the
reference (edgar-ownership.md §§3, 6, 7).
"""

import json
import re
import sqlite3
from collections.abc import Collection
from datetime import date, timedelta
from functools import lru_cache
from itertools import groupby
from operator import itemgetter
from statistics import median

TRANSACTION_TABLES = ("nonderiv_transactions", "deriv_transactions")
GIFTS_DUE_ON_FORM_4_FROM = "2023-02-27"  # before, bona fide gifts could wait for Form 5
CALENDAR_YEARS = range(1990, 2041)


def derive(conn: sqlite3.Connection, accessions: Collection[str] | None = None) -> None:
    """Recompute the derived columns and tables, in one transaction: all of them, or, given the
    accessions a build just added (none replaced), what those filings can change."""
    with conn:
        conn.create_function("is_common_stock", 1, is_common_stock, deterministic=True)
        scope = Scope(conn, accessions)
        fill_calendar(conn)
        derive_filings(conn, scope)
        derive_amendments(conn, scope)
        scope.widen(conn)
        derive_insider_classes(conn, scope)
        derive_rows(conn, scope)
        derive_monthly_activity(conn, scope)
        derive_cluster_windows(conn, scope)
        derive_exercise_sales(conn, scope)
        record_freshness(conn)
        scope.drop(conn)


MAX_MONTHS = 36  # an update whose filings reach over more months derives the rest whole


class Scope:
    """What a pass recomputes: everything, or what the filings just added can change.

    The filings added (temp.scope_filings) get their own rows' facts. Facts that depend on other
    filings are recomputed where those filings can move them: amendments that may now link
    elsewhere; then (widen) every filing whose rows an amendment re-marked joins the added ones
    (temp.affected), and the issuer-months, owner-issuer pairs and purchase days of their rows
    bound the flags, insider classes, monthly totals and cluster windows recomputed. When widen
    makes those whole, the rows' own facts are still the added filings' alone.
    """

    TABLES = ("scope_filings", "affected", "scope_months", "scope_pairs", "scope_days",
              *(f"scope_{table}" for table in TRANSACTION_TABLES))

    def __init__(self, conn: sqlite3.Connection, accessions: Collection[str] | None):
        self.everything = self.all_added = accessions is None
        self.drop(conn)
        if not self.everything:
            conn.execute("CREATE TEMP TABLE scope_filings (accession_number TEXT PRIMARY KEY)")
            conn.executemany("INSERT OR IGNORE INTO temp.scope_filings VALUES (?)", ((a,) for a in accessions))
            conn.execute("CREATE TEMP TABLE affected (accession_number TEXT PRIMARY KEY)")
            conn.execute("INSERT INTO temp.affected SELECT accession_number FROM temp.scope_filings")

    def filings(self, column: str, which: str = "scope_filings") -> str:
        """A SQL condition: the accession in ``column`` is among the filings recomputed."""
        return "1" if self.everything else f"{column} IN (SELECT accession_number FROM temp.{which})"

    def added(self, column: str) -> str:
        """A SQL condition: the accession in ``column`` is among the filings added, even once the
        rest of the pass is whole."""
        return "1" if self.all_added else f"{column} IN (SELECT accession_number FROM temp.scope_filings)"

    def months(self, issuer: str, day: str) -> str:
        """A SQL condition: the issuer and the month of the day are among those recomputed."""
        return "1" if self.everything else \
            f"({issuer}, substr({day}, 1, 7)) IN (SELECT issuer_cik, month FROM temp.scope_months)"

    def pairs(self, owner: str, issuer: str) -> str:
        """A SQL condition: the owner and issuer are a pair recomputed."""
        return "1" if self.everything else f"({owner}, {issuer}) IN (SELECT owner_cik, issuer_cik FROM temp.scope_pairs)"

    def widen(self, conn: sqlite3.Connection) -> None:
        """After the amendments step: the issuer-months, pairs and days the affected filings touch.

        Filings reaching over more than MAX_MONTHS months (history, not a day's news) make the
        rest of the pass whole: by then that is faster. (CROSS JOIN keeps SQLite starting from the
        few affected filings: it knows nothing of the size of a temporary table.)
        """
        if self.everything:
            return
        rows = " UNION ALL ".join(
            f"SELECT f.issuer_cik, t.transaction_date, t.accession_number FROM temp.affected a "
            f"CROSS JOIN filings f ON f.accession_number = a.accession_number "
            f"CROSS JOIN {table} t ON t.accession_number = a.accession_number "
            f"WHERE f.issuer_cik IS NOT NULL AND t.transaction_date IS NOT NULL" for table in TRANSACTION_TABLES)
        conn.execute(f"CREATE TEMP TABLE scope_months AS SELECT DISTINCT issuer_cik, substr(transaction_date, 1, 7) "
                     f"AS month FROM ({rows})")
        if conn.execute("SELECT count(DISTINCT month) FROM temp.scope_months").fetchone()[0] > MAX_MONTHS:
            self.everything = True
            return
        conn.execute("CREATE TEMP TABLE scope_days (issuer_cik INTEGER PRIMARY KEY, first_day TEXT, last_day TEXT)")
        conn.execute(f"INSERT INTO temp.scope_days SELECT issuer_cik, min(transaction_date), max(transaction_date) "
                     f"FROM ({rows}) GROUP BY issuer_cik")
        # Insider classes come from open-market trades only; a year's trades classify the three after.
        conn.execute("""CREATE TEMP TABLE scope_pairs (owner_cik INTEGER, issuer_cik INTEGER, first_year INTEGER,
            last_year INTEGER, PRIMARY KEY (owner_cik, issuer_cik))""")
        conn.execute(f"""INSERT INTO temp.scope_pairs SELECT o.owner_cik, f.issuer_cik,
                min(CAST(substr(t.transaction_date, 1, 4) AS INTEGER)) AS first_year,
                max(CAST(substr(t.transaction_date, 1, 4) AS INTEGER)) + 3 AS last_year
            FROM temp.affected a CROSS JOIN filings f ON f.accession_number = a.accession_number
            CROSS JOIN filing_owners o ON o.accession_number = a.accession_number
            CROSS JOIN nonderiv_transactions t ON t.accession_number = a.accession_number
            WHERE o.owner_cik IS NOT NULL AND f.issuer_cik IS NOT NULL
              AND {open_market_before_rows(self)} AND t.transaction_date IS NOT NULL
            GROUP BY o.owner_cik, f.issuer_cik""")
        for table in TRANSACTION_TABLES:  # the rows of each month touched, through the date index
            conn.execute(f"""CREATE TEMP TABLE scope_{table} AS
                SELECT t.id FROM temp.affected a CROSS JOIN {table} t ON t.accession_number = a.accession_number
                UNION SELECT t.id FROM (SELECT DISTINCT month FROM temp.scope_months) m
                CROSS JOIN {table} t ON t.transaction_date >= m.month || '-01' AND t.transaction_date < m.month || '-32'
                CROSS JOIN filings f ON f.accession_number = t.accession_number
                WHERE {self.months("f.issuer_cik", "t.transaction_date")}""")

    def rows(self, table: str) -> str:
        """A SQL condition: the row t is among those whose flags and monthly totals are recomputed:
        the affected filings' rows and every row of an issuer-month they touch."""
        return "1" if self.everything else f"t.id IN (SELECT id FROM temp.scope_{table})"

    def read(self, table: str) -> str:
        """``table`` as t in a FROM clause: in a whole pass read in the order it is stored, not
        through an index of a column the query filters on, as SQLite would (fetching a million
        filings' rows in the order of their dates takes two to four times as long)."""
        return f"{table} t NOT INDEXED" if self.everything else f"{table} t"

    def drop(self, conn: sqlite3.Connection) -> None:
        for table in self.TABLES:
            conn.execute(f"DROP TABLE IF EXISTS temp.{table}")


def update_changed(conn: sqlite3.Connection, table: str, columns: dict[str, str], source: str, where: str) -> None:
    """Set each of ``columns`` to its SQL expression on the rows of ``table`` (``t`` in ``source``,
    the table with whatever it joins) that ``where`` selects, writing only the rows where a value
    changes: computing a row's values is cheap, rewriting the row and its index entries is not.
    (LIMIT -1 keeps SQLite from merging the computed values into the update, which would compute
    them again for the comparison; MATERIALIZED would say so too, but needs SQLite 3.35.)"""
    computed = ", ".join(f"{expression} AS {name}" for name, expression in columns.items())
    old, new = (", ".join(f"{prefix}.{name}" for name in columns) for prefix in (table, "new"))
    conn.execute(f"""WITH new AS (SELECT t.rowid AS rid, {computed} FROM {source} WHERE {where} LIMIT -1)
        UPDATE {table} SET {", ".join(f"{name} = new.{name}" for name in columns)} FROM new
        WHERE {table}.rowid = new.rid AND ({old}) IS NOT ({new})""")


# ---- the SEC's business-day calendar -------------------------------------------------------

# Days EDGAR was closed beyond the federal holidays: national days of mourning.
CLOSURES = {
    date(2004, 6, 11): "National day of mourning (Ronald Reagan)",
    date(2007, 1, 2): "National day of mourning (Gerald Ford)",
    date(2018, 12, 5): "National day of mourning (George H. W. Bush)",
    date(2025, 1, 9): "National day of mourning (Jimmy Carter)",
}


def federal_holidays(year: int) -> dict[date, str]:
    """US federal holidays observed in ``year`` (5 U.S.C. 6103: Saturday -> Friday, Sunday -> Monday)."""

    def nth(month: int, weekday: int, n: int) -> date:
        first = date(year, month, 1)
        return first + timedelta(days=(weekday - first.weekday()) % 7 + 7 * (n - 1))

    def last(month: int, weekday: int) -> date:
        end = date(year, month + 1, 1) - timedelta(days=1)
        return end - timedelta(days=(end.weekday() - weekday) % 7)

    def observed(day: date) -> date:
        return day + timedelta(days={5: -1, 6: 1}.get(day.weekday(), 0))

    monday, thursday = 0, 3
    holidays = {
        observed(date(year, 1, 1)): "New Year's Day",
        nth(1, monday, 3): "Martin Luther King Jr. Day",
        nth(2, monday, 3): "Washington's Birthday",
        last(5, monday): "Memorial Day",
        observed(date(year, 7, 4)): "Independence Day",
        nth(9, monday, 1): "Labor Day",
        nth(10, monday, 2): "Columbus Day",
        observed(date(year, 11, 11)): "Veterans Day",
        nth(11, thursday, 4): "Thanksgiving Day",
        observed(date(year, 12, 25)): "Christmas Day",
    }
    if year >= 2021:
        holidays[observed(date(year, 6, 19))] = "Juneteenth"
    if date(year + 1, 1, 1).weekday() == 5:  # next New Year's Day, observed on this 31 December
        holidays[date(year, 12, 31)] = "New Year's Day"
    return {day: name for day, name in holidays.items() if day.year == year}


def calendar_rows():
    """(day, is_business_day, business_day_seq, closed_for) for every day of CALENDAR_YEARS.

    business_day_seq counts business days up to and including the day, so a weekend or holiday
    carries the previous business day's number and delays are differences of two numbers.
    """
    closed = dict(CLOSURES)
    for year in CALENDAR_YEARS:
        closed.update(federal_holidays(year))
    day, seq = date(CALENDAR_YEARS.start, 1, 1), 0
    while day.year < CALENDAR_YEARS.stop:
        reason = "Weekend" if day.weekday() >= 5 else closed.get(day)
        seq += reason is None
        yield day.isoformat(), int(reason is None), seq, reason
        day += timedelta(days=1)


@lru_cache(maxsize=1)
def business_day_numbers() -> dict[str, int]:
    """day -> business_day_seq, the same numbers as the calendar table."""
    return {day: seq for day, _, seq, _ in calendar_rows()}


def business_days(start: str | None, end: str | None) -> int | None:
    """Business days from ``start`` to ``end`` (ISO dates) on the SEC's calendar; a Saturday trade
    filed Tuesday is 2. None outside the calendar's years. The site offers it as a SQL function."""
    numbers = business_day_numbers()
    if start not in numbers or end not in numbers:
        return None
    return numbers[end] - numbers[start]


def fill_calendar(conn: sqlite3.Connection) -> None:
    days = (date(CALENDAR_YEARS.stop, 1, 1) - date(CALENDAR_YEARS.start, 1, 1)).days
    if conn.execute("SELECT count(*) FROM calendar").fetchone()[0] != days:
        conn.execute("DELETE FROM calendar")
        conn.executemany("INSERT INTO calendar VALUES (?, ?, ?, ?)", calendar_rows())


# ---- filings: amendments and tickers ---------------------------------------------------------

TICKER_PLACEHOLDERS = {"", "NONE", "N/A", "NA", "N.A.", "NOT APPLICABLE", "NOTAPPLICABLE", "NULL",
                       "-", "--", "---", "0", "?", "TBD", "NOT LISTED", "NO SYMBOL", "NOSYMBOL"}
TICKER = re.compile(r"[A-Z][A-Z0-9]{0,6}(?:[.\-][A-Z0-9]{1,3})?")
VENUE_SUFFIX = re.compile(r"\.(OB|PK|OTC|OTCBB|QB|QX)$")
EXCHANGE_PREFIX = re.compile(r"^(NYSE|NASDAQ|AMEX|OTC|OTCBB|NYSEARCA|NYSE AMERICAN|NYSEMKT|TSX)\s*[:\-]\s*")


@lru_cache(maxsize=4096)  # the same ticker is on every filing of its issuer
def clean_ticker(raw: str | None) -> tuple[str | None, str | None]:
    """(cleaned ticker, quality flag) for a ticker as filed.

    Upper-cases, drops brackets, an exchange prefix (NYSE:NYCB) and an OTC venue suffix (.OB, .PK);
    a placeholder (NONE, N/A, …) gives (None, 'ticker_placeholder'), a list of several classes or
    anything that is not one plausible symbol gives (None, 'ticker_ambiguous').
    """
    if raw is None:
        return None, "ticker_placeholder"
    ticker = raw.strip().upper().strip("[]()").strip()
    if ticker in TICKER_PLACEHOLDERS:
        return None, "ticker_placeholder"
    ticker = VENUE_SUFFIX.sub("", EXCHANGE_PREFIX.sub("", ticker)).strip()
    if TICKER.fullmatch(ticker):
        return ticker, None
    return None, "ticker_ambiguous"


def derive_filings(conn: sqlite3.Connection, scope: Scope) -> None:
    conn.create_function("clean_ticker", 1, lambda raw: clean_ticker(raw)[0], deterministic=True)
    conn.create_function("ticker_flag", 1, lambda raw: clean_ticker(raw)[1], deterministic=True)
    update_changed(conn, "filings", {
        "is_amendment": "t.document_type LIKE '%/A'",
        "issuer_ticker_clean": "clean_ticker(t.issuer_trading_symbol)",
        "quality_flags": "ticker_flag(t.issuer_trading_symbol)",
    }, "filings t", scope.filings("t.accession_number"))


# ---- what a transaction row takes from itself, its filing and its footnotes ---------------

def derive_rows(conn: sqlite3.Connection, scope: Scope) -> None:
    """Every derived column of the transaction rows: value, holding before and its change,
    open-market flag, filing delay, Rule 10b5-1 and price range of the added filings' rows, quality
    flags of the rows in scope, and the insider class of the rows whose pair and year it may have
    changed. What footnotes, remarks and the other rows say is read first, into temporary tables.
    A whole pass writes each row once: rewriting rows costs far more than computing their facts."""
    read_footnotes(conn, scope)
    filing_10b5_1(conn, scope)
    for temporary in ("footnote_10b5_1", "footnote_ranges", "filing_10b5_1"):
        # Sized: taken for a million rows, a temporary table makes SQLite read every reference
        # or row it is joined to first, for a Bloom filter.
        conn.execute(f"ANALYZE temp.{temporary}")
    for table in TRANSACTION_TABLES:
        note_10b5_1(conn, table)
        note_price_ranges(conn, table)
        find_possible_duplicates(conn, table, scope)
        if table == "nonderiv_transactions":
            find_suspect_prices(conn, scope)
        update_in_groups(conn, table, row_facts(table, scope), f"""{table} t
            LEFT JOIN filings f ON f.accession_number = t.accession_number
            LEFT JOIN calendar filed ON filed.day = f.filing_date
            LEFT JOIN calendar traded ON traded.day = coalesce(t.deemed_execution_date, t.transaction_date)
            LEFT JOIN temp.said_10b5_1 s ON s.rid = t.rowid
            LEFT JOIN temp.price_range p ON p.rid = t.rowid""")
        for temporary in ("said_10b5_1", "price_range", "possible_duplicates", "suspect_prices"):
            conn.execute(f"DROP TABLE IF EXISTS temp.{temporary}")
    for temporary in ("footnote_10b5_1", "footnote_ranges", "filing_10b5_1"):
        conn.execute(f"DROP TABLE temp.{temporary}")


def row_facts(table: str, scope: Scope) -> list[tuple[dict[str, str], str]]:
    """(columns of ``table`` as SQL, condition on the rows they are computed for), in groups."""
    own = {**VALUE_FACTS, **DELAY_FACTS, **RULE_10B5_1_FACTS, **PRICE_RANGE_FACTS}
    if table != "nonderiv_transactions":
        return [(own, scope.added("t.accession_number")), (quality_flag_facts(table), scope.rows(table))]
    return [({**own, **HOLDING_FACTS}, scope.added("t.accession_number")),
            (quality_flag_facts(table), scope.rows(table)),
            (insider_class_facts(scope), insider_class_rows(scope))]


def update_in_groups(conn: sqlite3.Connection, table: str, facts_and_rows: list[tuple[dict[str, str], str]],
                     source: str) -> None:
    """update_changed for each group of columns on the rows its condition selects: the groups on
    the same rows in one update (a whole pass rewrites each row once). No group reads a column
    another writes."""
    facts_by_rows = {}
    for facts, rows in facts_and_rows:
        facts_by_rows.setdefault(rows, {}).update(facts)
    for rows, facts in facts_by_rows.items():
        update_changed(conn, table, facts, source, rows)


# ---- values, holdings change, open-market flag -------------------------------------------

COMMON = re.compile(r"common|ordinary|depositary|\bads\b|\badr\b")
NOT_COMMON = re.compile(
    r"preferred|warrant|option|right|\bunits?\b|note|debenture|convertible|phantom|\brsus?\b"
    r"|performance|deferred|swap|\bcall\b|\bput\b|restricted stock unit")


OWNED_BEFORE = """(CASE WHEN t.acquired_disposed = 'A' THEN t.shares_owned_after - t.shares
    WHEN t.acquired_disposed = 'D' THEN t.shares_owned_after + t.shares END)"""

# Columns of a row t, as SQL.
VALUE = "(CASE WHEN t.shares IS NOT NULL AND t.price_per_share IS NOT NULL " \
        "THEN round(t.shares * t.price_per_share, 2) END)"
VALUE_FACTS = {"value_usd": VALUE}
HOLDING_FACTS = {  # Table I only. A negative holding before is left empty (and flagged holding_inconsistent).
    "owned_before": f"CASE WHEN {OWNED_BEFORE} >= 0 THEN {OWNED_BEFORE} END",
    "owned_change_pct": f"""CASE WHEN {OWNED_BEFORE} > 0
        THEN round(100.0 * (t.shares_owned_after - {OWNED_BEFORE}) / {OWNED_BEFORE}, 2) END""",
    "is_open_market": """CASE WHEN t.transaction_code IN ('P', 'S') THEN is_common_stock(t.security_title)
        WHEN t.transaction_code IS NOT NULL THEN 0 END""",
}
# is_open_market = 1, for the steps that need it before the rows have it.
OPEN_MARKET = f"(({HOLDING_FACTS['is_open_market']}) = 1)"


def open_market_before_rows(scope: Scope) -> str:
    """is_open_market = 1 of a row t before derive_rows: computed on the added filings' rows,
    which do not have it yet, read on the others (a function call per trade costs a busy
    insider's every filing)."""
    if scope.all_added:
        return OPEN_MARKET
    return f"(CASE WHEN {scope.added('t.accession_number')} THEN {OPEN_MARKET} ELSE t.is_open_market = 1 END)"


@lru_cache(maxsize=4096)  # a few titles ("Common Stock") are on most rows
def is_common_stock(title: str | None) -> int | None:
    """1 when a security title names common or ordinary shares (or depositary shares of them)."""
    if title is None:
        return None
    lowered = title.lower()
    return int(bool(COMMON.search(lowered)) and not NOT_COMMON.search(lowered))


# ---- filing delay ------------------------------------------------------------------------

# Business days from trade (or deemed execution) date to filing date; late when over 2 on Form 4.
#
# Lateness applies to rows of original Forms 4 that belong on Form 4: not to Form 5-eligible
# rows, gifts before 27 February 2023, amendments (the original is what was due) or Forms 3
# and 5 (deadlines of their own). Without a filing date (bare XML) both stay NULL. (The row's
# filing is f, its filing and trade days in the calendar filed and traded.)
DELAY = "(CASE WHEN traded.day <= f.filing_date THEN filed.business_day_seq - traded.business_day_seq END)"
DELAY_FACTS = {
    "filing_delay_bd": DELAY,
    "is_late": f"""CASE
        WHEN {DELAY} IS NULL THEN NULL
        WHEN coalesce(t.transaction_form_type, '4') != '4' THEN NULL
        WHEN t.transaction_code = 'G' AND coalesce(t.deemed_execution_date, t.transaction_date)
             < '{GIFTS_DUE_ON_FORM_4_FROM}' THEN NULL
        WHEN f.document_type != '4' THEN NULL
        ELSE {DELAY} > 2 END""",
}


# ---- Rule 10b5-1 -------------------------------------------------------------------------

RULE_10B5_1 = re.compile(r"10b[\s\-\u2010-\u2015]?5[\s\-\u2010-\u2015]?1", re.IGNORECASE)
NEGATED = re.compile(r"\b(not|no longer|neither|nor|outside)\b[^.;]{0,80}$", re.IGNORECASE)
ADOPTED = re.compile(r"\b(adopt|enter)\w*\b", re.IGNORECASE)
MONTHS = {name: number for number, names in enumerate(
    [("jan", "january"), ("feb", "february"), ("mar", "march"), ("apr", "april"), ("may",),
     ("jun", "june"), ("jul", "july"), ("aug", "august"), ("sep", "sept", "september"),
     ("oct", "october"), ("nov", "november"), ("dec", "december")], start=1) for name in names}
DATE_IN_TEXT = re.compile(
    r"(?P<month>[A-Za-z]{3,9})\.?\s+(?P<day>\d{1,2}),?\s+(?P<year>\d{4})"
    r"|(?P<m>\d{1,2})/(?P<d>\d{1,2})/(?P<y>\d{4}|\d{2})\b"
    r"|(?P<iso>\d{4}-\d{2}-\d{2})")


def date_in(text: str) -> str | None:
    """The first date written in ``text`` ("August 28, 2013", "8/28/2013", "2013-08-28"), ISO."""
    for match in DATE_IN_TEXT.finditer(text):
        try:
            if match["iso"]:
                return date.fromisoformat(match["iso"]).isoformat()
            if match["month"]:
                month = MONTHS.get(match["month"].lower())
                if month:
                    return date(int(match["year"]), month, int(match["day"])).isoformat()
                continue
            year = int(match["y"]) + (2000 if len(match["y"]) == 2 else 0)
            return date(year, int(match["m"]), int(match["d"])).isoformat()
        except ValueError:
            continue
    return None


@lru_cache(maxsize=4096)  # the same footnote is read for each row it sits on
def read_10b5_1(text: str | None) -> tuple[int, str | None] | None:
    """What a footnote or remarks text says of Rule 10b5-1, or None when it does not mention it.

    (1, adoption date or None) when it says a trade was under a plan, (0, None) when the mention
    is negated just before it ("not pursuant to a Rule 10b5-1 plan").
    """
    if not text:
        return None
    match = RULE_10B5_1.search(text)
    if not match:
        return None
    before = text[:match.start()]
    sentence_start = max(before.rfind(". "), before.rfind("; "))
    if NEGATED.search(before[sentence_start + 1:]):
        return 0, None
    adopted = ADOPTED.search(text)
    return 1, date_in(text[adopted.end():adopted.end() + 160]) if adopted else None


# What the row's own footnotes or its filing's text say (s, from temp.said_10b5_1), else the
# filing's checkbox.
RULE_10B5_1_FACTS = {
    "is_10b5_1": "CASE WHEN s.rid IS NULL THEN f.aff10b5one ELSE s.is_10b5_1 END",
    "rule_10b5_1_evidence": """CASE WHEN s.rid IS NOT NULL THEN s.evidence
        WHEN f.aff10b5one = 1 THEN 'checkbox' WHEN f.aff10b5one = 0 THEN 'checkbox_unchecked' END""",
    "rule_10b5_1_footnote": "s.footnote",
    "plan_adopted_on": "s.adopted",
}


def read_footnotes(conn: sqlite3.Connection, scope: Scope) -> None:
    """Each footnote of the filings recomputed that may speak of Rule 10b5-1 or give a price range,
    read once (the same text once): temp.footnote_10b5_1 (footnote, accession, footnote id, flag,
    adoption date) for those that speak of the rule, temp.footnote_ranges (footnote, seq, low,
    high) for every range they give, in order."""
    conn.execute("DROP TABLE IF EXISTS temp.footnote_10b5_1")
    conn.execute("DROP TABLE IF EXISTS temp.footnote_ranges")
    conn.execute("CREATE TEMP TABLE footnote_10b5_1 (footnote, accession_number, footnote_id, is_10b5_1, adopted)")
    conn.execute("CREATE TEMP TABLE footnote_ranges (footnote, seq, low, high)")
    footnotes = conn.execute(f"""
        SELECT id, accession_number, footnote_id, text, text LIKE '%10%b%5%1%', text LIKE '%$%$%' FROM footnotes
        WHERE (text LIKE '%10%b%5%1%' OR text LIKE '%$%$%') AND {scope.added("accession_number")}""")
    while chunk := footnotes.fetchmany(10_000):  # in chunks: memory stays flat as the database grows
        said, ranges = [], []
        for footnote, accession, footnote_id, text, may_say_10b5_1, may_give_range in chunk:
            if may_say_10b5_1 and (found := read_10b5_1(text)):
                said.append((footnote, accession, footnote_id, *found))
            if may_give_range:
                ranges.extend((footnote, seq, low, high) for seq, (low, high) in enumerate(price_ranges_of(text)))
        conn.executemany("INSERT INTO temp.footnote_10b5_1 VALUES (?, ?, ?, ?, ?)", said)
        conn.executemany("INSERT INTO temp.footnote_ranges VALUES (?, ?, ?, ?)", ranges)


def filing_10b5_1(conn: sqlite3.Connection, scope: Scope) -> None:
    """temp.filing_10b5_1: what each filing's remarks, or a footnote no row points at, say of
    Rule 10b5-1: (accession, flag, evidence, footnote id, adoption date). Remarks come first,
    then the first such footnote."""
    conn.execute("DROP TABLE IF EXISTS temp.filing_10b5_1")
    conn.execute("CREATE TEMP TABLE filing_10b5_1 (accession_number TEXT PRIMARY KEY, is_10b5_1, evidence, footnote, "
                 "adopted)")
    remarks = conn.execute(f"SELECT accession_number, remarks FROM filings WHERE remarks LIKE '%10%b%5%1%' "
                           f"AND {scope.added('accession_number')}").fetchall()
    for accession, text in remarks:
        if said := read_10b5_1(text):
            conn.execute("INSERT INTO temp.filing_10b5_1 VALUES (?, ?, ?, NULL, ?)",
                         [accession, said[0], "remarks" if said[0] else "remarks_negative", said[1]])
    conn.execute("""INSERT OR IGNORE INTO temp.filing_10b5_1
        SELECT accession_number, is_10b5_1, CASE WHEN is_10b5_1 THEN 'filing_footnote' ELSE 'filing_footnote_negative' END,
               footnote_id, adopted
        FROM temp.footnote_10b5_1 n WHERE NOT EXISTS (SELECT 1 FROM footnote_refs r WHERE r.footnote = n.footnote)
        ORDER BY footnote""")


def note_10b5_1(conn: sqlite3.Connection, table: str) -> None:
    """temp.said_10b5_1: (rowid, flag, evidence, footnote id, adoption date) for the rows whose own
    footnotes speak of Rule 10b5-1 (a statement that the trade was under a plan wins over one that
    it was not, then the first footnote), then for the other rows of the filings whose text does.
    (INSERT OR IGNORE keeps a row's first, in the order of the SELECT.)"""
    conn.execute("DROP TABLE IF EXISTS temp.said_10b5_1")
    conn.execute("CREATE TEMP TABLE said_10b5_1 (rid INTEGER PRIMARY KEY, is_10b5_1, evidence, footnote, adopted)")
    conn.execute(f"""INSERT OR IGNORE INTO temp.said_10b5_1
        SELECT t.rowid, n.is_10b5_1, CASE WHEN n.is_10b5_1 THEN 'footnote' ELSE 'footnote_negative' END,
               n.footnote_id, n.adopted
        FROM temp.footnote_10b5_1 n CROSS JOIN footnote_refs r ON r.footnote = n.footnote
        CROSS JOIN {table} t ON t.id = r.row_id
        WHERE r.table_name = ?
        ORDER BY t.rowid, n.is_10b5_1 DESC, n.footnote_id""", [table])
    conn.execute(f"""INSERT OR IGNORE INTO temp.said_10b5_1
        SELECT t.rowid, s.is_10b5_1, s.evidence, s.footnote, s.adopted
        FROM temp.filing_10b5_1 s CROSS JOIN {table} t ON t.accession_number = s.accession_number""")


# ---- weighted-average price ranges -------------------------------------------------------

PRICE_RANGE = re.compile(
    r"\$\s?(\d[\d,]*(?:\.\d+)?)\s*(?:to|and|through|-|\u2013|\u2014)\s*\$\s?(\d[\d,]*(?:\.\d+)?)",
    re.IGNORECASE)


def price_ranges(text: str | None) -> list[tuple[float, float]]:
    """Every "$low to $high" a footnote gives (low <= high), in order."""
    ranges = []
    for low, high in PRICE_RANGE.findall(text or ""):
        low, high = float(low.replace(",", "")), float(high.replace(",", ""))
        if low <= high:
            ranges.append((low, high))
    return ranges


PRICE_RANGE_FACTS = {"price_low": "p.low", "price_high": "p.high"}  # p from temp.price_range


@lru_cache(maxsize=4096)  # the same footnote is read for each row it sits on
def price_ranges_of(text: str) -> tuple[tuple[float, float], ...]:
    return tuple(price_ranges(text))


def note_price_ranges(conn: sqlite3.Connection, table: str) -> None:
    """temp.price_range: (rowid, low, high) of the first range in a row's footnotes that holds its
    price, for the rows with one: the low and high of a weighted-average price."""
    conn.execute("DROP TABLE IF EXISTS temp.price_range")
    conn.execute("CREATE TEMP TABLE price_range (rid INTEGER PRIMARY KEY, low, high)")
    conn.execute(f"""INSERT OR IGNORE INTO temp.price_range
        SELECT t.rowid, n.low, n.high FROM temp.footnote_ranges n
        CROSS JOIN footnote_refs r ON r.footnote = n.footnote
        CROSS JOIN {table} t ON t.id = r.row_id
        WHERE r.table_name = ? AND t.price_per_share BETWEEN n.low AND n.high
        ORDER BY t.rowid, r.id, n.seq""", [table])


# ---- amendments --------------------------------------------------------------------------

OWNER_SET = "(SELECT group_concat(owner_cik) FROM (SELECT owner_cik FROM filing_owners o " \
            "WHERE o.accession_number = {} ORDER BY owner_cik))"


def find_original(conn: sqlite3.Connection, amendment: tuple) -> tuple[str | None, str, float | None, int]:
    """(original accession, method, confidence, candidates) for one amendment filing, among the
    filings in temp.amendable (see amendable_filings).

    Candidates share the issuer and the set of owners and are of the same form. A candidate
    whose filing date equals the amendment's dateOfOriginalSubmission matches by 'filing_date';
    one whose filing date is unknown (bare XML) but whose period of report is not after that
    date, within a year, matches by 'period'. Among several, the best is the one whose period
    equals the amendment's, then the latest period; confidence is shared among ties.
    """
    accession, issuer_cik, document_type, period, original_date = amendment
    if original_date is None:
        return None, "unmatched", None, 0
    owners = conn.execute(f"SELECT {OWNER_SET.format('?')}", [accession]).fetchone()[0]
    candidates = []
    for other, other_period, filing_date in conn.execute(
            """SELECT accession_number, period_of_report, filing_date FROM temp.amendable
            WHERE issuer_cik = :issuer AND owners = :owners AND form = :form AND accession_number != :accession
              AND filing_date = :original
            UNION ALL
            SELECT accession_number, period_of_report, filing_date FROM temp.amendable
            WHERE issuer_cik = :issuer AND owners = :owners AND form = :form AND accession_number != :accession
              AND filing_date IS NULL AND period_of_report BETWEEN date(:original, '-366 days') AND :original""",
            {"issuer": issuer_cik, "owners": owners, "form": document_type[0], "accession": accession,
             "original": original_date}):
        if filing_date == original_date:
            candidates.append((2, other_period == period, other_period or "", other))
        else:
            candidates.append((1, other_period == period, other_period, other))
    if not candidates:
        return None, "unmatched", None, 0
    best = max(candidates)
    ties = sum(1 for c in candidates if c[:3] == best[:3])
    method, base = ("filing_date", 1.0) if best[0] == 2 else ("period", 0.6)
    return best[3], method, round(base / ties, 2), len(candidates)


def amendable_filings(conn: sqlite3.Connection, amendments: list[str] | None) -> None:
    """temp.amendable: the filings the given amendments (None: all) may amend, as an amendment
    looks for its original: by issuer, set of owners, form and dates, through an index either
    way. A filing is there once for each time its first owner is listed, as the match has always
    counted them. (Matching each amendment against its owner's every filing instead took minutes
    at 1,000,000 filings: a busy insider has thousands.)"""
    some = "1" if amendments is None else f"""f.issuer_cik IN (
            SELECT issuer_cik FROM filings WHERE accession_number IN ({IN_JSON}))
        AND o.owner_cik IN (SELECT min(owner_cik) FROM filing_owners
            WHERE accession_number IN ({IN_JSON}) GROUP BY accession_number)"""
    conn.execute("DROP TABLE IF EXISTS temp.amendable")
    conn.execute(f"""CREATE TEMP TABLE amendable AS
        SELECT f.accession_number, f.issuer_cik, substr(f.document_type, 1, 1) AS form, f.filing_date,
               f.period_of_report, {OWNER_SET.format('f.accession_number')} AS owners
        FROM filing_owners o JOIN filings f ON f.accession_number = o.accession_number
        WHERE o.owner_cik = (SELECT min(owner_cik) FROM filing_owners m WHERE m.accession_number = f.accession_number)
          AND {some}""", [] if amendments is None else [json.dumps(amendments)] * 2)
    conn.execute("CREATE INDEX temp.amendable_by_filing_date ON amendable (issuer_cik, owners, form, filing_date)")
    conn.execute("CREATE INDEX temp.amendable_by_period ON amendable (issuer_cik, owners, form, period_of_report)")


def derive_amendments(conn: sqlite3.Connection, scope: Scope) -> None:
    """Link each amendment to the filing it amends and mark the rows it restates.

    Incrementally: the amendments added, and those an added filing may now be the original of,
    are matched again; every filing whose rows they marked or will mark is unmarked and marked
    again by every amendment linked to it, in the order of a whole pass, and joins the affected.
    """
    which = "1" if scope.everything else \
        f"{scope.filings('accession_number')} OR accession_number IN ({MAY_NOW_AMEND})"
    rematch = conn.execute(f"""SELECT accession_number, issuer_cik, document_type, period_of_report,
        date_of_original_submission FROM filings WHERE document_type LIKE '%/A' AND ({which})
        ORDER BY date_of_original_submission, accession_number""").fetchall()
    rematched = json.dumps([amendment[0] for amendment in rematch])
    linked = f"SELECT original_accession FROM amendments WHERE amendment_accession IN ({IN_JSON})"
    originals = {original for original, in conn.execute(linked, [rematched]) if original}
    conn.execute(f"DELETE FROM amendments WHERE amendment_accession IN ({IN_JSON})", [rematched])
    amendable_filings(conn, None if scope.everything else [amendment[0] for amendment in rematch])
    for amendment in rematch:
        conn.execute("INSERT INTO amendments VALUES (?, ?, ?, ?, ?)", [amendment[0], *find_original(conn, amendment)])
    conn.execute("DROP TABLE temp.amendable")
    originals |= {original for original, in conn.execute(linked, [rematched]) if original}
    remark_originals(conn, scope, originals)


# An added filing may be the original of an amendment of the same issuer and form whose date of
# original submission is its filing date or, the filing date unknown, within a year after its
# period (each found through the index on issuer and date of original submission).
MAY_NOW_AMEND = """SELECT a.accession_number FROM temp.scope_filings s
    CROSS JOIN filings c ON c.accession_number = s.accession_number
    CROSS JOIN filings a ON a.issuer_cik = c.issuer_cik AND a.date_of_original_submission = c.filing_date
    WHERE a.document_type LIKE '%/A' AND substr(a.document_type, 1, 1) = substr(c.document_type, 1, 1)
    UNION
    SELECT a.accession_number FROM temp.scope_filings s
    CROSS JOIN filings c ON c.accession_number = s.accession_number
    CROSS JOIN filings a ON a.issuer_cik = c.issuer_cik
        AND a.date_of_original_submission BETWEEN c.period_of_report AND date(c.period_of_report, '+366 days')
    WHERE c.filing_date IS NULL
      AND a.document_type LIKE '%/A' AND substr(a.document_type, 1, 1) = substr(c.document_type, 1, 1)"""


def remark_originals(conn: sqlite3.Connection, scope: Scope, originals: set[str]) -> None:
    """Unmark the rows of the given originals (of every filing, in a whole pass) and let every
    amendment linked to one of them mark the rows it restates, in the order of a whole pass."""
    where, linked = ("1", "1") if scope.everything else \
        (f"accession_number IN ({IN_JSON})", f"m.original_accession IN ({IN_JSON})")
    chosen = [] if scope.everything else [json.dumps(sorted(originals))]
    for table in TRANSACTION_TABLES:
        conn.execute(f"UPDATE {table} SET superseded_by = NULL WHERE superseded_by IS NOT NULL AND ({where})", chosen)
    links = conn.execute(f"""SELECT m.original_accession, m.amendment_accession FROM amendments m
        JOIN filings f ON f.accession_number = m.amendment_accession
        WHERE m.original_accession IS NOT NULL AND {linked}
        ORDER BY f.date_of_original_submission, f.accession_number""", chosen).fetchall()
    if not scope.everything:
        conn.executemany("INSERT OR IGNORE INTO temp.affected VALUES (?)",
                         [(accession,) for link in links for accession in link] + [(o,) for o in originals])
    for original, amendment in links:
        for table in TRANSACTION_TABLES:
            mark_superseded(conn, table, original, amendment)


IN_JSON = "SELECT value FROM json_each(?)"  # a SQL IN list of any length, given as one JSON array


def mark_superseded(conn: sqlite3.Connection, table: str, original: str, amendment: str) -> None:
    """Mark the original's rows that an amendment row restates: same date, code and direction,
    and the same security title, shares, price or holding after. Unmatched amendment rows are
    additions and supersede nothing."""
    columns = "id, lower(security_title), transaction_date, transaction_code, acquired_disposed, " \
              "shares, price_per_share, shares_owned_after"
    query = f"SELECT {columns} FROM {table} WHERE accession_number = ? ORDER BY row_seq"
    originals = conn.execute(query, [original]).fetchall()
    used = set()
    for row in conn.execute(query, [amendment]).fetchall():
        for old in originals:
            if old[0] in used or old[2:5] != row[2:5]:
                continue
            if any(a is not None and a == b for a, b in zip(old[1:2] + old[5:], row[1:2] + row[5:])):
                used.add(old[0])
                conn.execute(f"UPDATE {table} SET superseded_by = ? WHERE id = ?", [row[0], old[0]])
                break


# ---- quality flags ------------------------------------------------------------------------

SUSPECT_VALUE_USD = 10_000_000_000  # no single insider trade row is worth $10 billion
PRICE_RATIO = 10  # a price 10x away from the issuer's typical trade price that month


# Row flags: flag -> condition on a transaction row t and its filing f (a row without its filing
# gets none of these). Possible duplicates and suspect prices are found first, into temporary tables.
FLAG_CONDITIONS = {
    "date_after_filing": "t.transaction_date > f.filing_date",
    "date_before_1990": "t.transaction_date < '1990-01-01'",
    "date_far_from_period": "abs(julianday(t.transaction_date) - julianday(f.period_of_report)) > 365",
    # (Rounding is slow: only a product near the limit is rounded.)
    "price_suspect": f"t.shares * t.price_per_share > {SUSPECT_VALUE_USD - 1} AND {VALUE} > {SUSPECT_VALUE_USD}",
    "direction_mismatch": "(t.transaction_code = 'P' AND t.acquired_disposed = 'D')"
                          " OR (t.transaction_code = 'S' AND t.acquired_disposed = 'A')",
    "possible_duplicate": "t.rowid IN temp.possible_duplicates",
}


def quality_flag_facts(table: str) -> dict[str, str]:
    """quality_flags as SQL: a compact, comma-separated list of what looks wrong on a row of
    ``table`` (NULL if nothing)."""
    conditions = {flag: f"f.accession_number IS NOT NULL AND ({condition})"
                  for flag, condition in FLAG_CONDITIONS.items()}
    if table == "nonderiv_transactions":
        conditions["price_suspect"] = f"({conditions['price_suspect']}) OR t.rowid IN temp.suspect_prices"
        # From the shares, not owned_before: that is empty when negative.
        conditions["holding_inconsistent"] = f"{OWNED_BEFORE} < 0"
    # The flags in the order of their names, comma-separated (from ",a,b": "a,b"), or NULL.
    flags = " || ".join(f"CASE WHEN {conditions[flag]} THEN ',{flag}' ELSE '' END" for flag in sorted(conditions))
    return {"quality_flags": f"nullif(substr({flags}, 2), '')"}


def find_possible_duplicates(conn: sqlite3.Connection, table: str, scope: Scope) -> None:
    """temp.possible_duplicates: the rowids of rows with the same issuer, date, code, shares, price
    and holding after as a row of another filing (a co-owner's own filing of the same trade, a
    refiled or amended form): the groups of rows alike from more than one filing, unpacked."""
    conn.execute("DROP TABLE IF EXISTS temp.possible_duplicates")
    conn.execute("CREATE TEMP TABLE possible_duplicates (rid INTEGER PRIMARY KEY)")  # keyed: no index to build for IN
    conn.execute(f"""INSERT OR IGNORE INTO temp.possible_duplicates SELECT rowids.value FROM (
        SELECT json_group_array(t.rowid) AS alike
        FROM {scope.read(table)} JOIN filings f ON f.accession_number = t.accession_number
        WHERE t.shares IS NOT NULL AND t.transaction_date IS NOT NULL AND {scope.rows(table)}
        GROUP BY f.issuer_cik, t.transaction_date, t.transaction_code, t.shares, t.price_per_share,
                 t.shares_owned_after
        HAVING min(t.accession_number) != max(t.accession_number)) CROSS JOIN json_each(alike) rowids""")


def find_suspect_prices(conn: sqlite3.Connection, scope: Scope) -> None:
    """temp.suspect_prices: the rowids of Table I purchases and sales whose price is 10x above or
    below the median price of the issuer's purchases and sales that month (at least four of them)
    — a total typed as a per-share price, or a price per ADS against ordinary shares. Exercises are
    left out: their price is the exercise price, legitimately far from the market."""
    conn.execute("DROP TABLE IF EXISTS temp.suspect_prices")
    conn.execute("CREATE TEMP TABLE suspect_prices (rid INTEGER PRIMARY KEY)")
    priced = conn.execute(f"""
        SELECT f.issuer_cik, substr(t.transaction_date, 1, 7), t.rowid, t.price_per_share
        FROM {scope.read("nonderiv_transactions")} JOIN filings f ON f.accession_number = t.accession_number
        WHERE t.price_per_share > 0 AND t.transaction_code IN ('P', 'S') AND {scope.rows("nonderiv_transactions")}
        ORDER BY 1, 2""")
    conn.executemany("INSERT INTO temp.suspect_prices VALUES (?)", ((rid,) for rid in suspect_prices(priced)))


def suspect_prices(priced):
    """The rowids among (issuer, month, rowid, price) rows, sorted by issuer and month, whose price
    is PRICE_RATIO times above or below the month's median (when there are at least four)."""
    for _, month in groupby(priced, key=itemgetter(0, 1)):
        month = list(month)
        if len(month) < 4:
            continue
        typical = median(row[3] for row in month)  # one outlier among four or more barely moves it
        yield from (rid for _, _, rid, price in month
                    if price > typical * PRICE_RATIO or price * PRICE_RATIO < typical)


# ---- routine and opportunistic insiders (Cohen, Malloy and Pomorski 2012) -----------------

def classify(months_by_year: dict[int, set[int]], year: int) -> tuple[str, str]:
    """(class, evidence) of an insider's trading in an issuer for ``year``, from the three years before.

    Routine: traded in the same calendar month in each of the three preceding years.
    Opportunistic: traded in each of those years, but never in one month common to all three.
    Unclassified: missed one of the three years.
    """
    prior = [months_by_year.get(year - back, set()) for back in (3, 2, 1)]
    evidence = ";".join(f"{year - back}:{','.join(f'{m:02d}' for m in sorted(months))}"
                        for back, months in zip((3, 2, 1), prior))
    if not all(prior):
        return "unclassified", evidence
    return ("routine" if set.intersection(*prior) else "opportunistic"), evidence


def derive_insider_classes(conn: sqlite3.Connection, scope: Scope) -> None:
    """Classify each owner in each issuer and year from open-market trades (amendment-aware);
    derive_rows puts the class on the rows."""
    if scope.everything:
        conn.execute("DELETE FROM insider_classes")
        trades = f"""{scope.read("nonderiv_transactions")} JOIN filings f ON f.accession_number = t.accession_number
            JOIN filing_owners o ON o.accession_number = t.accession_number"""
    else:
        conn.execute(f"DELETE FROM insider_classes WHERE {scope.pairs('owner_cik', 'issuer_cik')}")
        # From each pair's owner: an owner has few filings, an issuer may have many. (Without
        # INDEXED BY, SQLite builds an index of every filing owner for the purpose, every time.)
        trades = """temp.scope_pairs p CROSS JOIN filing_owners o INDEXED BY idx_filing_owners_owner_cik
            ON o.owner_cik = p.owner_cik
            JOIN filings f ON f.accession_number = o.accession_number
            JOIN nonderiv_transactions t ON t.accession_number = o.accession_number"""
    traded = conn.execute(f"""
        SELECT DISTINCT o.owner_cik, f.issuer_cik, CAST(substr(t.transaction_date, 1, 4) AS INTEGER),
               CAST(substr(t.transaction_date, 6, 2) AS INTEGER)
        FROM {trades}
        WHERE t.superseded_by IS NULL AND {open_market_before_rows(scope)} AND t.transaction_date IS NOT NULL
          AND o.owner_cik IS NOT NULL AND f.issuer_cik IS NOT NULL AND {scope.pairs("o.owner_cik", "f.issuer_cik")}
        ORDER BY 1, 2, 3, 4""")
    conn.executemany("INSERT INTO insider_classes VALUES (?, ?, ?, ?, ?, ?)", classified(traded))


def insider_class_facts(scope: Scope) -> dict[str, str]:
    """insider_class as SQL: the class of the row's year for its filing's first-listed owner in
    its issuer, on open-market rows."""
    return {"insider_class": f"""CASE WHEN {open_market_before_rows(scope)} THEN (
        SELECT c.class FROM insider_classes c
        JOIN filing_owners o ON o.accession_number = t.accession_number AND o.owner_seq = 1
        WHERE c.owner_cik = o.owner_cik AND c.issuer_cik = f.issuer_cik
          AND c.year = CAST(substr(t.transaction_date, 1, 4) AS INTEGER)) END"""}


def insider_class_rows(scope: Scope) -> str:
    """A SQL condition: the row t is in a year its pair's new trades can reclassify (found through
    the date index)."""
    return "1" if scope.everything else """t.id IN (SELECT t.id FROM nonderiv_transactions t
        CROSS JOIN filing_owners o ON o.accession_number = t.accession_number AND o.owner_seq = 1
        CROSS JOIN filings f ON f.accession_number = t.accession_number
        CROSS JOIN temp.scope_pairs p ON p.owner_cik = o.owner_cik AND p.issuer_cik = f.issuer_cik
        WHERE t.transaction_date >= (SELECT min(first_year) FROM temp.scope_pairs) || '-01-01'
          AND CAST(substr(t.transaction_date, 1, 4) AS INTEGER) BETWEEN p.first_year AND p.last_year)"""


def classified(traded):
    """insider_classes rows from (owner, issuer, year, month) rows sorted in that order."""
    for (owner, issuer), trades in groupby(traded, key=itemgetter(0, 1)):
        months_by_year = {}
        for _, _, year, month in trades:
            months_by_year.setdefault(year, set()).add(month)
        for year in months_by_year:
            yield (f"{owner}_{issuer}_{year}", owner, issuer, year, *classify(months_by_year, year))


# ---- monthly aggregates for the charts ---------------------------------------------------

def derive_monthly_activity(conn: sqlite3.Connection, scope: Scope) -> None:
    """Open-market buying and selling per issuer and month (amendment-aware, joint filings once),
    so that the chart screens read a small table instead of every trade. A month's trades are
    summed in date order, whole or incrementally (a floating-point sum depends on the order)."""
    conn.execute(f"DELETE FROM monthly_activity WHERE {scope.months('issuer_cik', 'month')}")
    conn.execute(f"""
        INSERT INTO monthly_activity
        SELECT t.issuer_cik || '_' || strftime('%Y-%m', t.transaction_date),
               t.issuer_cik,
               strftime('%Y-%m-01', t.transaction_date) AS month,
               round(coalesce(sum(CASE WHEN t.transaction_code = 'P' THEN t.value_usd END), 0), 2),
               round(coalesce(sum(CASE WHEN t.transaction_code = 'S' THEN t.value_usd END), 0), 2),
               sum(t.transaction_code = 'P'),
               sum(t.transaction_code = 'S'),
               count(DISTINCT CASE WHEN t.transaction_code = 'P' THEN t.accession_number END),
               count(DISTINCT CASE WHEN t.transaction_code = 'S' THEN t.accession_number END),
               round(coalesce(sum(CASE WHEN t.transaction_code = 'S' AND t.is_10b5_1 = 1 THEN t.value_usd END), 0), 2),
               round(coalesce(sum(CASE WHEN t.transaction_code = 'S' AND t.is_10b5_1 = 0 THEN t.value_usd END), 0), 2),
               round(coalesce(sum(CASE WHEN t.transaction_code = 'S' AND t.is_10b5_1 IS NULL THEN t.value_usd END), 0), 2),
               sum(t.transaction_code = 'S' AND t.is_10b5_1 = 1),
               sum(t.transaction_code = 'S' AND t.is_10b5_1 = 0),
               sum(t.transaction_code = 'S' AND t.is_10b5_1 IS NULL)
        FROM (SELECT f.issuer_cik, t.transaction_date, t.transaction_code, t.value_usd, t.accession_number,
                     t.is_10b5_1
              FROM {scope.read("nonderiv_transactions")} JOIN filings f ON f.accession_number = t.accession_number
              WHERE t.superseded_by IS NULL AND t.is_open_market = 1 AND t.transaction_date IS NOT NULL
                AND f.issuer_cik IS NOT NULL AND {scope.rows("nonderiv_transactions")}
              ORDER BY f.issuer_cik, t.transaction_date, t.rowid) t
        GROUP BY t.issuer_cik, month
        ORDER BY t.issuer_cik, month""")


# ---- cluster buys and exercises with sales, precomputed for their screens ----------------

CLUSTER_WINDOWS = (7, 14, 30, 60, 90)  # the window lengths, in days, the cluster screen offers


def derive_cluster_windows(conn: sqlite3.Connection, scope: Scope) -> None:
    """For each issuer, window length and day with an open-market purchase: the distinct insiders
    (a joint filing is its first-listed owner), purchases and dollars of the window ending that day.
    A sliding window over each issuer's purchases in date order: linear, however busy the issuer.

    Incrementally, per touched issuer: the windows ending from its first touched day to 90 days
    after its last, from its purchases since 90 days before the first."""
    widest = max(CLUSTER_WINDOWS)
    if scope.everything:
        conn.execute("DELETE FROM cluster_windows")
        purchases = f"{scope.read('nonderiv_transactions')} JOIN filings f ON f.accession_number = t.accession_number"
        kept = "1"
    else:
        conn.execute(f"""DELETE FROM cluster_windows WHERE id IN (SELECT c.id FROM temp.scope_days d
            CROSS JOIN cluster_windows c ON c.issuer_cik = d.issuer_cik
            WHERE c.last_buy BETWEEN d.first_day AND date(d.last_day, '+{widest} days'))""")
        # Through the date index: the days from 90 before the first touched to 90 after the last.
        purchases = """nonderiv_transactions t CROSS JOIN filings f ON f.accession_number = t.accession_number
            CROSS JOIN temp.scope_days d ON d.issuer_cik = f.issuer_cik"""
        kept = (f"t.transaction_date BETWEEN date(d.first_day, '-{widest} days') AND date(d.last_day, '+{widest} days') "
                f"AND t.transaction_date BETWEEN (SELECT date(min(first_day), '-{widest} days') FROM temp.scope_days) "
                f"AND (SELECT date(max(last_day), '+{widest} days') FROM temp.scope_days)")
    buys = conn.execute(f"""
        SELECT f.issuer_cik, t.transaction_date, o.owner_cik, o.owner_name, t.value_usd
        FROM {purchases}
        JOIN filing_owners o ON o.accession_number = t.accession_number AND o.owner_seq = 1
        WHERE t.superseded_by IS NULL AND t.is_open_market = 1 AND t.transaction_code = 'P'
          AND t.acquired_disposed = 'A' AND t.transaction_date IS NOT NULL AND f.issuer_cik IS NOT NULL
          AND o.owner_cik IS NOT NULL AND {kept}
        ORDER BY f.issuer_cik, t.transaction_date, t.rowid""")
    first_days = {} if scope.everything else dict(conn.execute("SELECT issuer_cik, first_day FROM temp.scope_days"))
    conn.executemany("INSERT INTO cluster_windows VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                     (row for issuer, issuer_buys in groupby(buys, key=itemgetter(0))
                      for row in windows_of(issuer, list(issuer_buys))
                      if row[4] >= first_days.get(issuer, "")))  # a window ending earlier lacks older buys


def windows_of(issuer: int, buys: list[tuple]):
    """cluster_windows rows for one issuer's purchases (sorted by day, then as stored): for each
    window length, each purchase joins the window once and leaves it once; an insider's name is
    the one on their latest purchase in the window."""
    values = [0 if value is None else value for *_, value in buys]  # 0 adds nothing to a sum
    for window in CLUSTER_WINDOWS:
        start, purchases_of, name_of, valued = 0, {}, {}, 0
        for end, (_, day, owner, name, value) in enumerate(buys):
            purchases_of[owner] = purchases_of.get(owner, 0) + 1
            name_of[owner] = name
            valued += value is not None
            if end + 1 < len(buys) and buys[end + 1][1] == day:
                continue  # the window ends after the day's last purchase
            earliest = days_before(day, window)
            while buys[start][1] < earliest:
                _, _, gone, _, gone_value = buys[start]
                purchases_of[gone] -= 1
                if not purchases_of[gone]:
                    del purchases_of[gone], name_of[gone]
                valued -= gone_value is not None
                start += 1
            yield (f"{issuer}_{window}_{day}", issuer, window, buys[start][1], day, len(name_of),
                   "; ".join(sorted(name_of.values())), end + 1 - start,
                   round(sum(values[start:end + 1]), 2) if valued else None)


@lru_cache(maxsize=65536)  # the same days recur across issuers
def days_before(day: str, days: int) -> str:
    return (date.fromisoformat(day) - timedelta(days=days)).isoformat()


def derive_exercise_sales(conn: sqlite3.Connection, scope: Scope) -> None:
    """Per filing and day: options exercised (M, X, O in Table II) and shares sold (S in Table I)
    on the same day, with shares withheld for tax (F) and what the insider kept."""
    affected = scope.filings("accession_number", "affected")
    conn.execute(f"DELETE FROM exercise_sales WHERE {affected}")
    conn.execute(f"""
        INSERT INTO exercise_sales
        WITH exercised AS (
            SELECT accession_number, transaction_date, sum(shares) AS shares FROM deriv_transactions
            WHERE transaction_code IN ('M', 'X', 'O') AND superseded_by IS NULL AND transaction_date IS NOT NULL
              AND {affected}
            GROUP BY accession_number, transaction_date),
        sold AS (
            SELECT accession_number, transaction_date,
                   sum(CASE WHEN transaction_code = 'S' THEN shares END) AS shares,
                   sum(CASE WHEN transaction_code = 'F' THEN shares END) AS withheld,
                   round(sum(CASE WHEN transaction_code = 'S' THEN value_usd END), 2) AS value_usd,
                   max(CASE WHEN transaction_code = 'S' THEN is_10b5_1 END) AS is_10b5_1
            FROM nonderiv_transactions_amended WHERE transaction_code IN ('S', 'F') AND {affected}
            GROUP BY accession_number, transaction_date)
        SELECT e.accession_number || '_' || e.transaction_date, e.accession_number, e.transaction_date,
               e.shares, s.shares, coalesce(s.withheld, 0), e.shares - s.shares - coalesce(s.withheld, 0),
               s.value_usd, s.is_10b5_1
        FROM exercised e JOIN sold s USING (accession_number, transaction_date)
        WHERE s.shares IS NOT NULL
        ORDER BY e.accession_number, e.transaction_date""")


# ---- what the home page says of the data --------------------------------------------------

def record_freshness(conn: sqlite3.Connection) -> None:
    """Counts and the newest filing, computed at build time for the home page (no clock time,
    so that the same filings always give the same database)."""
    conn.execute("DELETE FROM build_info")
    conn.executemany("INSERT INTO build_info VALUES (?, ?)", [
        ("filings", conn.execute("SELECT count(*) FROM filings").fetchone()[0]),
        ("transactions", conn.execute("SELECT (SELECT count(*) FROM nonderiv_transactions)"
                                      " + (SELECT count(*) FROM deriv_transactions)").fetchone()[0]),
        ("issuers", conn.execute("SELECT count(*) FROM issuers").fetchone()[0]),
        ("owners", conn.execute("SELECT count(*) FROM owners").fetchone()[0]),
        ("newest_filing", conn.execute("SELECT day FROM as_of").fetchone()[0]),
    ])
