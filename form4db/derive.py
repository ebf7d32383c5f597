"""Derived facts, computed in one place from the facts the filings state.

`form4db build` runs `derive` after loading; `form4db derive` reruns it on a database without
re-parsing anything. Every step rewrites its columns whole, so running it twice gives the same
database. The rules, and the choices where a rule is open, are in each column's description in
metadata.yml; the reasoning is in the reference (edgar-ownership.md §§3, 6, 7).
"""

import json
import re
import sqlite3
from collections import defaultdict
from datetime import date, timedelta
from statistics import median

TRANSACTION_TABLES = ("nonderiv_transactions", "deriv_transactions")
GIFTS_DUE_ON_FORM_4_FROM = "2023-02-27"  # before, bona fide gifts could wait for Form 5
CALENDAR_YEARS = range(1990, 2041)


def derive(conn: sqlite3.Connection) -> None:
    """Recompute every derived column and table of the database, in one transaction."""
    with conn:
        fill_calendar(conn)
        derive_filings(conn)
        derive_values(conn)
        derive_filing_delays(conn)
        derive_10b5_1(conn)
        derive_price_ranges(conn)
        derive_amendments(conn)
        derive_quality_flags(conn)
        derive_insider_classes(conn)


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


def business_days_between(start: str, end: str, conn: sqlite3.Connection) -> int | None:
    """Business days from ``start`` to ``end`` on the calendar table (a Saturday trade filed Tuesday: 2)."""
    found = conn.execute(
        "SELECT (SELECT business_day_seq FROM calendar WHERE day = ?)"
        " - (SELECT business_day_seq FROM calendar WHERE day = ?)", [end, start]).fetchone()
    return found[0]


def fill_calendar(conn: sqlite3.Connection) -> None:
    rows = list(calendar_rows())
    if conn.execute("SELECT count(*) FROM calendar").fetchone()[0] != len(rows):
        conn.execute("DELETE FROM calendar")
        conn.executemany("INSERT INTO calendar VALUES (?, ?, ?, ?)", rows)


# ---- filings: amendments and tickers ---------------------------------------------------------

TICKER_PLACEHOLDERS = {"", "NONE", "N/A", "NA", "N.A.", "NOT APPLICABLE", "NOTAPPLICABLE", "NULL",
                       "-", "--", "---", "0", "?", "TBD", "NOT LISTED", "NO SYMBOL", "NOSYMBOL"}
TICKER = re.compile(r"[A-Z][A-Z0-9]{0,6}(?:[.\-][A-Z0-9]{1,3})?")
VENUE_SUFFIX = re.compile(r"\.(OB|PK|OTC|OTCBB|QB|QX)$")
EXCHANGE_PREFIX = re.compile(r"^(NYSE|NASDAQ|AMEX|OTC|OTCBB|NYSEARCA|NYSE AMERICAN|NYSEMKT|TSX)\s*[:\-]\s*")


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


def derive_filings(conn: sqlite3.Connection) -> None:
    rows = conn.execute("SELECT accession_number, issuer_trading_symbol, document_type FROM filings").fetchall()
    updates = []
    for accession, symbol, document_type in rows:
        ticker, flag = clean_ticker(symbol)
        is_amendment = int(document_type.endswith("/A")) if document_type else None
        updates.append((is_amendment, ticker, flag, accession))
    conn.executemany(
        "UPDATE filings SET is_amendment = ?, issuer_ticker_clean = ?, quality_flags = ? "
        "WHERE accession_number = ?", updates)


# ---- values, holdings change, open-market flag -------------------------------------------

COMMON = re.compile(r"common|ordinary|depositary|\bads\b|\badr\b")
NOT_COMMON = re.compile(
    r"preferred|warrant|option|right|\bunits?\b|note|debenture|convertible|phantom|\brsus?\b"
    r"|performance|deferred|swap|\bcall\b|\bput\b|restricted stock unit")


def is_common_stock(title: str | None) -> int | None:
    """1 when a security title names common or ordinary shares (or depositary shares of them)."""
    if title is None:
        return None
    lowered = title.lower()
    return int(bool(COMMON.search(lowered)) and not NOT_COMMON.search(lowered))


def derive_values(conn: sqlite3.Connection) -> None:
    for table in TRANSACTION_TABLES:
        conn.execute(f"""UPDATE {table} SET value_usd =
            CASE WHEN shares IS NOT NULL AND price_per_share IS NOT NULL
                 THEN round(shares * price_per_share, 2) END""")
    conn.execute("""UPDATE nonderiv_transactions SET owned_before =
        CASE WHEN acquired_disposed = 'A' THEN shares_owned_after - shares
             WHEN acquired_disposed = 'D' THEN shares_owned_after + shares END""")
    conn.execute("""UPDATE nonderiv_transactions SET
        owned_change_pct = CASE WHEN owned_before > 0
            THEN round(100.0 * (shares_owned_after - owned_before) / owned_before, 2) END""")
    conn.create_function("is_common_stock", 1, is_common_stock, deterministic=True)
    conn.execute("""UPDATE nonderiv_transactions SET is_open_market =
        CASE WHEN transaction_code IN ('P', 'S') THEN is_common_stock(security_title)
             WHEN transaction_code IS NOT NULL THEN 0 END""")


# ---- filing delay ------------------------------------------------------------------------

def derive_filing_delays(conn: sqlite3.Connection) -> None:
    """Business days from trade (or deemed execution) date to filing date; late when over 2 on Form 4.

    Lateness applies to rows of original Forms 4 that belong on Form 4: not to Form 5-eligible
    rows, gifts before 27 February 2023, amendments (the original is what was due) or Forms 3
    and 5 (deadlines of their own). Without a filing date (bare XML) both stay NULL.
    """
    for table in TRANSACTION_TABLES:
        conn.execute(f"""
            UPDATE {table} AS t SET filing_delay_bd = (
                SELECT filed.business_day_seq - traded.business_day_seq
                FROM filings f
                JOIN calendar filed ON filed.day = f.filing_date
                JOIN calendar traded ON traded.day = coalesce(t.deemed_execution_date, t.transaction_date)
                WHERE f.accession_number = t.accession_number AND traded.day <= f.filing_date)""")
        conn.execute(f"""
            UPDATE {table} AS t SET is_late = CASE
                WHEN filing_delay_bd IS NULL THEN NULL
                WHEN coalesce(transaction_form_type, '4') != '4' THEN NULL
                WHEN transaction_code = 'G' AND coalesce(deemed_execution_date, transaction_date)
                     < '{GIFTS_DUE_ON_FORM_4_FROM}' THEN NULL
                WHEN (SELECT document_type FROM filings f WHERE f.accession_number = t.accession_number)
                     != '4' THEN NULL
                ELSE filing_delay_bd > 2 END""")


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


def derive_10b5_1(conn: sqlite3.Connection) -> None:
    """A tri-state per transaction: the row's own footnotes first, then the filing's text, then the checkbox."""
    for table in TRANSACTION_TABLES:
        conn.execute(f"""UPDATE {table} AS t SET (is_10b5_1, rule_10b5_1_evidence,
                rule_10b5_1_footnote, plan_adopted_on) = (
            SELECT f.aff10b5one, CASE f.aff10b5one WHEN 1 THEN 'checkbox' WHEN 0 THEN 'checkbox_unchecked' END,
                   NULL, NULL
            FROM filings f WHERE f.accession_number = t.accession_number)""")
    footnote_says = {}
    for footnote, accession, footnote_id, text in conn.execute(
            "SELECT id, accession_number, footnote_id, text FROM footnotes WHERE text LIKE '%10%b%5%1%'"):
        said = read_10b5_1(text)
        if said:
            footnote_says[footnote] = (accession, footnote_id, *said)
    filing_says = {}
    for accession, remarks in conn.execute(
            "SELECT accession_number, remarks FROM filings WHERE remarks LIKE '%10%b%5%1%'"):
        said = read_10b5_1(remarks)
        if said:
            filing_says[accession] = ("remarks", None, *said)
    row_says = defaultdict(list)
    referenced = set()
    for footnote, table, row_id in conn.execute(
            "SELECT footnote, table_name, row_id FROM footnote_refs WHERE footnote IN "
            "(SELECT value FROM json_each(?))", [json_list(footnote_says)]):
        referenced.add(footnote)
        if table in TRANSACTION_TABLES:
            row_says[row_id].append(footnote_says[footnote])
    for footnote, (accession, footnote_id, flag, adopted) in footnote_says.items():
        if footnote not in referenced:  # a footnote no row points at speaks for the filing
            filing_says.setdefault(accession, ("filing_footnote", footnote_id, flag, adopted))
    for table in TRANSACTION_TABLES:
        updates = []
        for row_id, accession in conn.execute(
                f"SELECT id, accession_number FROM {table} WHERE accession_number IN "
                "(SELECT value FROM json_each(?)) OR id IN (SELECT value FROM json_each(?))",
                [json_list(filing_says), json_list(row_says)]):
            if row_id in row_says:
                said = sorted(row_says[row_id], key=lambda s: (-s[2], s[1]))[0]  # positive first
                evidence = "footnote" if said[2] else "footnote_negative"
                updates.append((said[2], evidence, said[1], said[3], row_id))
            else:
                source, footnote_id, flag, adopted = filing_says[accession]
                updates.append((flag, source if flag else source + "_negative", footnote_id, adopted, row_id))
        conn.executemany(
            f"UPDATE {table} SET is_10b5_1 = ?, rule_10b5_1_evidence = ?, rule_10b5_1_footnote = ?, "
            "plan_adopted_on = ? WHERE id = ?", updates)


def json_list(keys) -> str:
    """Keys as a JSON array, for `IN (SELECT value FROM json_each(?))` with any number of them."""
    return json.dumps(list(keys))


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


def derive_price_ranges(conn: sqlite3.Connection) -> None:
    """Low and high of a weighted-average price, on the rows whose price lies in a footnote's range."""
    for table in TRANSACTION_TABLES:
        conn.execute(f"UPDATE {table} SET price_low = NULL, price_high = NULL")
        found = conn.execute(f"""
            SELECT t.id, t.price_per_share, n.text FROM footnotes n
            JOIN footnote_refs r ON r.footnote = n.id AND r.table_name = '{table}'
            JOIN {table} t ON t.id = r.row_id
            WHERE n.text LIKE '%$%$%' AND t.price_per_share IS NOT NULL
            ORDER BY t.id, r.id""").fetchall()
        updates = {}
        for row_id, price, text in found:
            for low, high in price_ranges(text):
                if low <= price <= high and row_id not in updates:
                    updates[row_id] = (low, high, row_id)
        conn.executemany(f"UPDATE {table} SET price_low = ?, price_high = ? WHERE id = ?", updates.values())


# ---- amendments --------------------------------------------------------------------------

def owner_set(conn: sqlite3.Connection, accession: str) -> tuple:
    return tuple(sorted(cik for (cik,) in conn.execute(
        "SELECT owner_cik FROM filing_owners WHERE accession_number = ?", [accession])))


def find_original(conn: sqlite3.Connection, amendment: tuple) -> tuple[str | None, str, float | None, int]:
    """(original accession, method, confidence, candidates) for one amendment filing.

    Candidates share the issuer and the set of owners and are of the same form. A candidate
    whose filing date equals the amendment's dateOfOriginalSubmission matches by 'filing_date';
    one whose filing date is unknown (bare XML) but whose period of report is not after that
    date, within a year, matches by 'period'. Among several, the best is the one whose period
    equals the amendment's, then the latest period; confidence is shared among ties.
    """
    accession, issuer_cik, document_type, period, original_date = amendment
    owners = owner_set(conn, accession)
    candidates = []
    for other, other_period, filing_date in conn.execute(
            "SELECT accession_number, period_of_report, filing_date FROM filings "
            "WHERE issuer_cik IS ? AND accession_number != ? AND substr(document_type, 1, 1) = ?",
            [issuer_cik, accession, document_type[0]]):
        if owner_set(conn, other) != owners or original_date is None:
            continue
        if filing_date == original_date:
            candidates.append((2, other_period == period, other_period or "", other))
        elif filing_date is None and other_period and other_period <= original_date \
                and date.fromisoformat(original_date) - date.fromisoformat(other_period) <= timedelta(days=366):
            candidates.append((1, other_period == period, other_period, other))
    if not candidates:
        return None, "unmatched", None, 0
    best = max(candidates)
    ties = sum(1 for c in candidates if c[:3] == best[:3])
    method, base = ("filing_date", 1.0) if best[0] == 2 else ("period", 0.6)
    return best[3], method, round(base / ties, 2), len(candidates)


def derive_amendments(conn: sqlite3.Connection) -> None:
    conn.execute("DELETE FROM amendments")
    for table in TRANSACTION_TABLES:
        conn.execute(f"UPDATE {table} SET superseded_by = NULL")
    amendments = conn.execute(
        "SELECT accession_number, issuer_cik, document_type, period_of_report, date_of_original_submission "
        "FROM filings WHERE document_type LIKE '%/A' ORDER BY date_of_original_submission, accession_number"
    ).fetchall()
    for amendment in amendments:
        original, method, confidence, candidates = find_original(conn, amendment)
        conn.execute("INSERT INTO amendments VALUES (?, ?, ?, ?, ?)",
                     [amendment[0], original, method, confidence, candidates])
        if original:
            for table in TRANSACTION_TABLES:
                mark_superseded(conn, table, original, amendment[0])


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


def derive_quality_flags(conn: sqlite3.Connection) -> None:
    """A compact, comma-separated list of what looks wrong on each transaction row (NULL if nothing)."""
    for table in TRANSACTION_TABLES:
        flags = defaultdict(list)
        for row_id, in conn.execute(f"""
                SELECT t.id FROM {table} t JOIN filings f ON f.accession_number = t.accession_number
                WHERE t.transaction_date > f.filing_date"""):
            flags[row_id].append("date_after_filing")
        for row_id, in conn.execute(f"SELECT id FROM {table} WHERE transaction_date < '1990-01-01'"):
            flags[row_id].append("date_before_1990")
        for row_id, in conn.execute(f"""
                SELECT t.id FROM {table} t JOIN filings f ON f.accession_number = t.accession_number
                WHERE abs(julianday(t.transaction_date) - julianday(f.period_of_report)) > 365"""):
            flags[row_id].append("date_far_from_period")
        for row_id, in conn.execute(f"SELECT id FROM {table} WHERE value_usd > ?", [SUSPECT_VALUE_USD]):
            flags[row_id].append("price_suspect")
        for row_id, in conn.execute(f"""
                SELECT id FROM {table} WHERE (transaction_code = 'P' AND acquired_disposed = 'D')
                                          OR (transaction_code = 'S' AND acquired_disposed = 'A')"""):
            flags[row_id].append("direction_mismatch")
        for row_id in possible_duplicates(conn, table):
            flags[row_id].append("possible_duplicate")
        if table == "nonderiv_transactions":
            for row_id in suspect_prices(conn):
                if "price_suspect" not in flags[row_id]:
                    flags[row_id].append("price_suspect")
            for row_id, in conn.execute(
                    "SELECT id FROM nonderiv_transactions WHERE owned_before < 0"):
                flags[row_id].append("holding_inconsistent")
            conn.execute("UPDATE nonderiv_transactions SET owned_before = NULL, owned_change_pct = NULL "
                         "WHERE owned_before < 0")
        conn.execute(f"UPDATE {table} SET quality_flags = NULL")
        conn.executemany(f"UPDATE {table} SET quality_flags = ? WHERE id = ?",
                         [(",".join(sorted(f)), row_id) for row_id, f in flags.items() if f])


def possible_duplicates(conn: sqlite3.Connection, table: str) -> list[str]:
    """Rows with the same issuer, date, code, shares, price and holding after as a row of another
    filing (a co-owner's own filing of the same trade, a refiled or amended form)."""
    filings_by_key = defaultdict(set)
    keyed = conn.execute(f"""
        SELECT t.id, t.accession_number, f.issuer_cik, t.transaction_date, t.transaction_code,
               t.shares, t.price_per_share, t.shares_owned_after
        FROM {table} t JOIN filings f ON f.accession_number = t.accession_number
        WHERE t.shares IS NOT NULL AND t.transaction_date IS NOT NULL""").fetchall()
    for row in keyed:
        filings_by_key[row[2:]].add(row[1])
    return [row[0] for row in keyed if len(filings_by_key[row[2:]]) > 1]


def suspect_prices(conn: sqlite3.Connection) -> list[str]:
    """Table I purchases and sales whose price is 10x above or below the median price of the
    issuer's purchases and sales that month (at least four of them) — a total typed as a
    per-share price, or a price per ADS against ordinary shares. Exercises are left out: their
    price is the exercise price, legitimately far from the market."""
    by_month = defaultdict(list)
    for row_id, issuer, month, price in conn.execute("""
            SELECT t.id, f.issuer_cik, substr(t.transaction_date, 1, 7), t.price_per_share
            FROM nonderiv_transactions t JOIN filings f ON f.accession_number = t.accession_number
            WHERE t.price_per_share > 0 AND t.transaction_code IN ('P', 'S')"""):
        by_month[issuer, month].append((row_id, price))
    suspect = []
    for rows in by_month.values():
        if len(rows) < 4:
            continue
        typical = median(price for _, price in rows)  # one outlier among four or more barely moves it
        suspect.extend(row_id for row_id, price in rows
                       if price > typical * PRICE_RATIO or price * PRICE_RATIO < typical)
    return suspect


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


def derive_insider_classes(conn: sqlite3.Connection) -> None:
    """Classify each owner in each issuer and year from open-market trades (amendment-aware),
    and put the class of a filing's first-listed owner on its open-market rows."""
    conn.execute("DELETE FROM insider_classes")
    history = defaultdict(lambda: defaultdict(set))
    for owner, issuer, year, month in conn.execute("""
            SELECT DISTINCT o.owner_cik, f.issuer_cik, CAST(substr(t.transaction_date, 1, 4) AS INTEGER),
                   CAST(substr(t.transaction_date, 6, 2) AS INTEGER)
            FROM nonderiv_transactions_amended t
            JOIN filings f ON f.accession_number = t.accession_number
            JOIN filing_owners o ON o.accession_number = t.accession_number
            WHERE t.is_open_market = 1 AND t.transaction_date IS NOT NULL
              AND o.owner_cik IS NOT NULL AND f.issuer_cik IS NOT NULL"""):
        history[owner, issuer][year].add(month)
    rows = []
    for (owner, issuer), months_by_year in sorted(history.items()):
        for year in sorted(months_by_year):
            kind, evidence = classify(months_by_year, year)
            rows.append((f"{owner}_{issuer}_{year}", owner, issuer, year, kind, evidence))
    conn.executemany("INSERT INTO insider_classes VALUES (?, ?, ?, ?, ?, ?)", rows)
    conn.execute("""UPDATE nonderiv_transactions AS t SET insider_class = (
        SELECT c.class FROM insider_classes c
        JOIN filing_owners o ON o.accession_number = t.accession_number AND o.owner_seq = 1
        JOIN filings f ON f.accession_number = t.accession_number
        WHERE c.owner_cik = o.owner_cik AND c.issuer_cik = f.issuer_cik
          AND c.year = CAST(substr(t.transaction_date, 1, 4) AS INTEGER))
        WHERE t.is_open_market = 1 OR t.insider_class IS NOT NULL""")
