"""Quality flags: what looks wrong on a transaction row."""

import sqlite3
from itertools import groupby
from operator import itemgetter
from statistics import median

from .own_facts import OWNED_BEFORE, VALUE
from .scope import Scope


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
