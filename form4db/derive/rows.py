"""Every derived column of the transaction rows, written in one pass per table."""

import sqlite3

from .insiders import insider_class_facts, insider_class_rows
from .open_market import OPEN_MARKET_FACTS
from .own_facts import DELAY_FACTS, HOLDING_FACTS, VALUE_FACTS
from .price_ranges import (PRICE_RANGE_FACTS, create_footnote_ranges, index_footnote_ranges, note_price_ranges,
                           read_range_footnotes)
from .quality import find_possible_duplicates, find_suspect_prices, quality_flag_facts
from .rule_10b5_1 import create_footnote_10b5_1, filing_10b5_1, note_10b5_1, read_10b5_1_footnotes, rule_10b5_1_facts
from .scope import TRANSACTION_TABLES, Scope, update_in_groups

FOOTNOTES_READ = ("footnote_10b5_1", "footnote_ranges", "filing_10b5_1")
# The footnotes that may mention Rule 10b5-1 ("10b5-1", "105b-1") or give a price range ("$X to $Y",
# "ranged from 110.33 to 110.74"): a cheap test in SQL before the readers' own.
MAY_SPEAK = "(text LIKE '%$%$%' OR text LIKE '%10%b%' OR text LIKE '%rang%')"


def derive_rows(conn: sqlite3.Connection, scope: Scope) -> None:
    """Every derived column of the transaction rows: value, holding before and its change,
    open-market flag, filing delay, Rule 10b5-1 and price range of the added filings' rows, quality
    flags of the rows in scope, and the insider class of the rows whose pair and year it may have
    changed. What footnotes, remarks and the other rows say is read first, into temporary tables.
    A whole pass writes each row once: rewriting rows costs far more than computing their facts."""
    read_footnotes(conn, scope)
    filing_10b5_1(conn, scope)
    for temporary in FOOTNOTES_READ:
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
    for temporary in FOOTNOTES_READ:
        conn.execute(f"DROP TABLE temp.{temporary}")


def read_footnotes(conn: sqlite3.Connection, scope: Scope) -> None:
    """Each footnote of the added filings that may speak of Rule 10b5-1 or give a price range,
    read once, into temp.footnote_10b5_1 and temp.footnote_ranges."""
    create_footnote_10b5_1(conn)
    create_footnote_ranges(conn)
    footnotes = conn.execute(f"""SELECT id, accession_number, footnote_id, text FROM footnotes
        WHERE {MAY_SPEAK} AND {scope.added("accession_number")}""")
    while chunk := footnotes.fetchmany(10_000):  # in chunks: memory stays flat as the database grows
        conn.executemany("INSERT INTO temp.footnote_10b5_1 VALUES (?, ?, ?, ?, ?, ?, ?)",
                         read_10b5_1_footnotes(chunk))
        conn.executemany("INSERT INTO temp.footnote_ranges VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                         read_range_footnotes(chunk))
    index_footnote_ranges(conn)


def row_facts(table: str, scope: Scope) -> list[tuple[dict[str, str], str]]:
    """(columns of ``table`` as SQL, condition on the rows they are computed for), in groups."""
    own = {**VALUE_FACTS, **DELAY_FACTS, **rule_10b5_1_facts(table), **PRICE_RANGE_FACTS}
    if table != "nonderiv_transactions":
        return [(own, scope.added("t.accession_number")), (quality_flag_facts(table), scope.rows(table))]
    return [({**own, **HOLDING_FACTS, **OPEN_MARKET_FACTS}, scope.added("t.accession_number")),
            (quality_flag_facts(table), scope.rows(table)),
            (insider_class_facts(scope), insider_class_rows(scope))]
