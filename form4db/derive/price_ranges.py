"""Weighted-average price ranges: the lowest and highest price of the trades a row sums up, from
its footnotes, however filers state them: "$X to $Y", "ranging from $X per share to $Y per share",
"between $X and $Y", "$1.55-1.7108", "prices ranged from 110.33 to 110.74", "the lowest price ...
was $X and the highest price ... was $Y".

A footnote that gives several ranges gives each row its own: by date where it names the rows'
dates ("The transactions on February 16, 2023 and February 21, 2023 ... ranging from $2.00 to
$2.195 and $2.00 to $2.07, respectively"), by position where it gives one range to each row that
cites it, else the first range that holds the row's price (an overall range comes before its
parts).
"""

import re
import sqlite3
from functools import lru_cache

from ..schema import rows_marked
from .text_dates import DATE_IN_TEXT, iso_date

NUMBER = r"(\d[\d,]*(?:\.\d+)?|\.\d+)"
BETWEEN = r"\s*(?:per share\s*)?(?:to|and|through|-|\u2013|\u2014)\s*(?:a high of\s*)?(?:usd\s*)?\$?\s?"
RANGE = re.compile(
    rf"\$\s?{NUMBER}{BETWEEN}{NUMBER}"  # "$X to $Y", "$1.55-1.7108"
    rf"|\brang\w*\s+(?:from\s+|between\s+)?\$?\s?{NUMBER}{BETWEEN}{NUMBER}",  # "ranged from 110.33 to 110.74"
    re.IGNORECASE)
LOWEST = re.compile(rf"\blowest\b[^$\d.;]{{0,80}}\$\s?{NUMBER}", re.IGNORECASE)
HIGHEST = re.compile(rf"\bhighest\b[^$\d.;]{{0,80}}\$\s?{NUMBER}", re.IGNORECASE)


def number(text: str) -> float:
    return float(text.replace(",", "").rstrip("."))


def price_ranges(text: str | None) -> list[tuple[float, float, str | None]]:
    """Every range a footnote gives, in order: (lowest, highest, the date of the trades it covers when
    the footnote pairs dates with ranges "respectively", else None)."""
    text = text or ""
    matches = list(RANGE.finditer(text))
    found = [(number(match[1] or match[3]), number(match[2] or match[4])) for match in matches]
    if not found and (lowest := LOWEST.search(text)) and (highest := HIGHEST.search(text)):
        found = [(number(lowest[1]), number(highest[1]))]
    ranges = [(min(bounds), max(bounds)) for bounds in found]  # "$9.8202 to $9.79" too
    days = dated(text[:matches[0].start()], len(ranges), text) if len(matches) > 1 else [None] * len(ranges)
    return [(low, high, day) for (low, high), day in zip(ranges, days)]


def dated(before_ranges: str, count: int, text: str) -> list[str | None]:
    """The dates a footnote pairs with its ``count`` ranges ("on February 16 and February 21 ...
    at prices ranging from $X to $Y and $Z to $W, respectively"), read from the text before its
    first range, or None for each."""
    if "respectively" in text.lower():
        days = [day for match in DATE_IN_TEXT.finditer(before_ranges) if (day := iso_date(match))]
        if len(days) == count:
            return days
    return [None] * count


@lru_cache(maxsize=32768)  # the same footnote text recurs across filings
def price_ranges_of(text: str) -> tuple[tuple[float, float, str | None], ...]:
    return tuple(price_ranges(text))


def read_range_footnotes(chunk) -> list[tuple]:
    """temp.footnote_ranges rows (footnote, seq, low, high, day, ranges, accession, footnote id) from
    (footnote, accession, footnote id, text) rows."""
    read = []
    for footnote, accession, footnote_id, text in chunk:
        if ranges := price_ranges_of(text):
            count = len(ranges)
            read += [(footnote, seq, low, high, day, count, accession, footnote_id)
                     for seq, (low, high, day) in enumerate(ranges)]
    return read


def create_footnote_ranges(conn: sqlite3.Connection) -> None:
    conn.execute("DROP TABLE IF EXISTS temp.footnote_ranges")
    conn.execute("CREATE TEMP TABLE footnote_ranges (footnote, seq, low, high, day, ranges, accession_number, "
                 "footnote_id)")


def index_footnote_ranges(conn: sqlite3.Connection) -> None:
    """Once read (an index filled row by row costs more than one built at the end)."""
    conn.execute("CREATE INDEX temp.footnote_ranges_by_footnote ON footnote_ranges (footnote)")


PRICE_RANGE_FACTS = {"price_low": "p.low", "price_high": "p.high"}  # p from temp.price_range
ROUNDING = 0.005  # a weighted average rounded to the cent may stand half a cent outside its range


def note_price_ranges(conn: sqlite3.Connection, table: str) -> None:
    """temp.price_range: (rowid, low, high) of each row's own range among its footnotes' (see the
    module): of a footnote with several ranges, the range of the row's date, else of its position,
    else the first that holds its price; of a footnote with one, that range if it holds the price
    (a range that does not hold the row's price is not the row's)."""
    conn.execute("DROP TABLE IF EXISTS temp.price_range")
    conn.execute("CREATE TEMP TABLE price_range (rid INTEGER PRIMARY KEY, low, high)")
    holds = f"BETWEEN n.low - {ROUNDING} AND n.high + {ROUNDING}"
    conn.execute(f"""INSERT OR IGNORE INTO temp.price_range
        WITH cited AS (
            SELECT DISTINCT t.rowid AS rid, t.row_seq, t.transaction_date AS day, t.price_per_share AS price, n.footnote
            FROM (SELECT DISTINCT footnote, accession_number, footnote_id FROM temp.footnote_ranges WHERE ranges > 1) n
            {rows_marked('n', table)}),
        placed AS (
            SELECT *, dense_rank() OVER (PARTITION BY footnote ORDER BY row_seq) - 1 AS position,
                   count(*) OVER (PARTITION BY footnote) AS citing
            FROM cited)
        SELECT c.rid, n.low, n.high FROM placed c JOIN temp.footnote_ranges n ON n.footnote = c.footnote
        WHERE n.day = c.day
           OR (n.day IS NULL AND (c.price {holds} OR c.price IS NULL AND n.ranges = c.citing AND n.seq = c.position))
        ORDER BY c.rid, n.day IS NULL, n.ranges = c.citing AND n.seq = c.position DESC, c.footnote, n.seq""")
    conn.execute(f"""INSERT OR IGNORE INTO temp.price_range
        SELECT t.rowid, n.low, n.high FROM temp.footnote_ranges n
        {rows_marked('n', table)}
        WHERE n.ranges = 1 AND t.price_per_share {holds}
        ORDER BY t.rowid, r.seq""")
