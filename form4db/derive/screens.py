"""The screens' own tables: monthly totals for the charts, cluster-buy windows, exercises with
sales, each issuer's insiders, and what the home page says of the data."""

import sqlite3
from datetime import date, timedelta
from functools import lru_cache
from itertools import groupby
from operator import itemgetter

from ..schema import ROLES
from .own_facts import EXACT_DECIMALS
from .scope import Scope


def derive_monthly_activity(conn: sqlite3.Connection, scope: Scope) -> None:
    """Open-market buying and selling per issuer and month (amendment-aware, joint filings once),
    so that the chart screens read a small table instead of every trade. A month's trades are
    summed in date order, whole or incrementally (a floating-point sum depends on the order)."""
    conn.execute(f"DELETE FROM monthly_activity WHERE {scope.months('issuer_cik', 'month')}")
    conn.execute(f"""
        INSERT INTO monthly_activity
        SELECT t.issuer_cik,
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
        # Through the key, each window length's days from the first touched to 90 after the last.
        conn.execute(f"""DELETE FROM cluster_windows WHERE (window_days, last_buy, issuer_cik) IN (
            SELECT c.window_days, c.last_buy, c.issuer_cik FROM cluster_windows c
            JOIN temp.scope_days d ON d.issuer_cik = c.issuer_cik
            WHERE c.window_days IN ({', '.join(map(str, CLUSTER_WINDOWS))})
              AND c.last_buy BETWEEN (SELECT min(first_day) FROM temp.scope_days)
                                 AND (SELECT date(max(last_day), '+{widest} days') FROM temp.scope_days)
              AND c.last_buy BETWEEN d.first_day AND date(d.last_day, '+{widest} days'))""")
        # Through the date index: the days from 90 before the first touched to 90 after the last.
        purchases = """nonderiv_transactions t CROSS JOIN filings f ON f.accession_number = t.accession_number
            CROSS JOIN temp.scope_days d ON d.issuer_cik = f.issuer_cik"""
        kept = (f"t.transaction_date BETWEEN date(d.first_day, '-{widest} days') AND date(d.last_day, '+{widest} days') "
                f"AND t.transaction_date BETWEEN (SELECT date(min(first_day), '-{widest} days') FROM temp.scope_days) "
                f"AND (SELECT date(max(last_day), '+{widest} days') FROM temp.scope_days)")
    # A purchase is code P, as on every screen: a stray D beside it (flagged direction_mismatch) is
    # the filer's slip, as the holding after it shows.
    buys = conn.execute(f"""
        SELECT f.issuer_cik, t.transaction_date, o.owner_cik, o.owner_name, t.value_usd
        FROM {purchases}
        JOIN filing_owners o ON o.accession_number = t.accession_number AND o.owner_seq = 1
        WHERE t.superseded_by IS NULL AND t.is_open_market = 1 AND t.transaction_code = 'P'
          AND t.transaction_date IS NOT NULL AND f.issuer_cik IS NOT NULL
          AND o.owner_cik IS NOT NULL AND {kept}
        ORDER BY f.issuer_cik, t.transaction_date, t.rowid""")
    first_days = {} if scope.everything else dict(conn.execute("SELECT issuer_cik, first_day FROM temp.scope_days"))
    conn.executemany("INSERT INTO cluster_windows VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                     (row for issuer, issuer_buys in groupby(buys, key=itemgetter(0))
                      for row in windows_of(issuer, list(issuer_buys))
                      if row[3] >= first_days.get(issuer, "")))  # a window ending earlier lacks older buys


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
            yield (issuer, window, buys[start][1], day, len(name_of),
                   "; ".join(sorted(name_of.values())), end + 1 - start,
                   round(sum(values[start:end + 1]), 2) if valued else None)


@lru_cache(maxsize=65536)  # the same days recur across issuers
def days_before(day: str, days: int) -> str:
    return (date.fromisoformat(day) - timedelta(days=days)).isoformat()


def derive_exercise_sales(conn: sqlite3.Connection, scope: Scope) -> None:
    """Per filing and day: options exercised (M, X, O in Table II) and shares sold (S in Table I)
    on the same day, with shares withheld for tax (F) and what the insider kept (share counts to
    6 decimals: no floating-point tails)."""
    affected = scope.filings("accession_number", "affected")
    conn.execute(f"DELETE FROM exercise_sales WHERE {affected}")
    conn.execute(f"""
        INSERT INTO exercise_sales
        WITH exercised AS (
            SELECT accession_number, transaction_date, round(sum(shares), {EXACT_DECIMALS}) AS shares FROM deriv_transactions
            WHERE transaction_code IN ('M', 'X', 'O') AND superseded_by IS NULL AND transaction_date IS NOT NULL
              AND {affected}
            GROUP BY accession_number, transaction_date),
        sold AS (
            SELECT accession_number, transaction_date,
                   round(sum(CASE WHEN transaction_code = 'S' THEN shares END), {EXACT_DECIMALS}) AS shares,
                   round(sum(CASE WHEN transaction_code = 'F' THEN shares END), {EXACT_DECIMALS}) AS withheld,
                   round(sum(CASE WHEN transaction_code = 'S' THEN value_usd END), 2) AS value_usd,
                   max(CASE WHEN transaction_code = 'S' THEN is_10b5_1 END) AS is_10b5_1
            FROM nonderiv_transactions_amended WHERE transaction_code IN ('S', 'F') AND {affected}
            GROUP BY accession_number, transaction_date)
        SELECT e.accession_number, e.transaction_date,
               e.shares, s.shares, coalesce(s.withheld, 0), round(e.shares - s.shares - coalesce(s.withheld, 0), {EXACT_DECIMALS}),
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


# ---- insiders of each issuer, for the issuer and insider pages ------------------------------

def derive_issuer_insiders(conn: sqlite3.Connection, scope: Scope) -> None:
    """Each reporting owner of each issuer (every owner of a joint filing): the name and roles of
    their newest filing, how many filings and over which dates, and their newest trade with the
    holding after it. After the trades step (it reads trades_by_filing). Incrementally, the
    owner-issuer pairs of the affected filings."""
    affected = """SELECT f.issuer_cik, o.owner_cik FROM temp.affected a
        CROSS JOIN filings f ON f.accession_number = a.accession_number
        CROSS JOIN filing_owners o ON o.accession_number = a.accession_number"""
    pairs = "1" if scope.everything else f"(f.issuer_cik, o.owner_cik) IN ({affected})"
    conn.execute("DELETE FROM issuer_insiders" if scope.everything else
                 f"DELETE FROM issuer_insiders WHERE (issuer_cik, owner_cik) IN ({affected})")
    conn.execute(f"""
        INSERT INTO issuer_insiders
        WITH filed AS (
            SELECT f.issuer_cik, o.owner_cik, o.owner_name, {ROLES} AS roles,
                   coalesce(o.officer_title, o.other_text) AS title, f.accession_number,
                   coalesce(f.filing_date, f.period_of_report) AS filed
            FROM filing_owners o JOIN filings f ON f.accession_number = o.accession_number
            WHERE o.owner_cik IS NOT NULL AND f.issuer_cik IS NOT NULL AND f.copy_of IS NULL AND {pairs}),
        ranked AS (
            SELECT *, row_number() OVER pair_newest AS newest, count(*) OVER pair AS filings,
                   min(filed) OVER pair AS first_filed, max(filed) OVER pair AS last_filed
            FROM filed
            WINDOW pair AS (PARTITION BY issuer_cik, owner_cik),
                   pair_newest AS (PARTITION BY issuer_cik, owner_cik ORDER BY filed DESC, accession_number DESC)),
        traded AS (
            SELECT f.issuer_cik, o.owner_cik, b.last_trade_date, b.transaction_code, b.owned_after,
                   row_number() OVER (PARTITION BY f.issuer_cik, o.owner_cik
                                      ORDER BY b.last_trade_date DESC, b.filing_date DESC, b.id DESC) AS newest
            FROM trades_by_filing b JOIN filings f ON f.accession_number = b.accession_number
            JOIN filing_owners o ON o.accession_number = b.accession_number
            WHERE o.owner_cik IS NOT NULL AND f.issuer_cik IS NOT NULL AND b.last_trade_date IS NOT NULL AND {pairs})
        SELECT r.issuer_cik, r.owner_cik, r.owner_name, r.roles, r.title,
               r.first_filed, r.last_filed, r.filings, t.last_trade_date, t.transaction_code, t.owned_after,
               r.accession_number
        FROM ranked r LEFT JOIN traded t
          ON t.issuer_cik = r.issuer_cik AND t.owner_cik = r.owner_cik AND t.newest = 1
        WHERE r.newest = 1""")
