"""The screener's wide tables, kept from the normalized ones like every other derived fact.

- trades: one row per Table I and Table II transaction as it stands after amendments (a row an
  amendment restates, or a copy's row, gives way to the row that replaces it), with who traded
  what on the row: ticker, issuer, the first-listed insider and every insider of a joint filing
  (one row, never one per owner), their roles, and the row's derived facts.
- trades_by_filing: one row per filing and Table I transaction code, as OpenInsider lists trades:
  first and last trade date, total shares and value, the weighted average price, the holding
  after the last row and the change from before the first.

filing_flags is OpenInsider's X column: A the filing is an amendment, D it reports a derivative
transaction, E a quality flag on the row (or the group's rows) or the filing, M several
transactions in the filing (in trades_by_filing: in the group).
"""

import sqlite3

from ..schema import INSIDER_ROLES, WIDE_TABLES
from .insiders import insider_class_rows
from .own_facts import EXACT_DECIMALS
from .scope import TRANSACTION_TABLES, Scope

SEARCHED = ("ticker", "issuer_name", "insider_names")


def derive_trades(conn: sqlite3.Connection, scope: Scope) -> None:
    """Refill trades and trades_by_filing: whole, or the rows whose facts the pass recomputed
    (those of the affected filings and of the issuer-months and insider-years they touch)."""
    refreshed = refreshed_rows(conn, scope)
    if scope.everything:
        indexes = drop_indexes(conn)  # refilled whole, they are faster built once than kept row by row
        conn.execute("DELETE FROM trades")
        conn.execute("DELETE FROM trades_by_filing")
    else:
        # Found through their filings' index: trades has none on id.
        refreshed_trades = ("accession_number IN (SELECT accession_number FROM temp.refreshed) "
                            "AND id IN (SELECT id FROM temp.refreshed)")
        conn.execute(f"""INSERT INTO trades_fts (trades_fts, rowid, {', '.join(SEARCHED)})
            SELECT 'delete', rowid, {', '.join(SEARCHED)} FROM trades WHERE {refreshed_trades}""")
        conn.execute(f"DELETE FROM trades WHERE {refreshed_trades}")
        conn.execute("DELETE FROM trades_by_filing WHERE accession_number IN "
                     "(SELECT DISTINCT accession_number FROM temp.refreshed)")
    people_of_filings(conn, scope)
    first = conn.execute("SELECT coalesce(max(rowid), 0) + 1 FROM trades").fetchone()[0]
    for table in TRANSACTION_TABLES:
        insert_trades(conn, table, refreshed.get(table, "1"))
    if scope.everything:
        conn.execute("INSERT INTO trades_fts (trades_fts) VALUES ('rebuild')")
    else:
        conn.execute(f"""INSERT INTO trades_fts (rowid, {', '.join(SEARCHED)})
            SELECT rowid, {', '.join(SEARCHED)} FROM trades WHERE rowid >= ?""", [first])
    insert_trades_by_filing(conn, "1" if scope.everything else
                            "t.accession_number IN (SELECT DISTINCT accession_number FROM temp.refreshed)")
    if scope.everything:
        conn.execute("PRAGMA analysis_limit = 1000")  # approximate statistics, in bounded time, as the loader's
        for name, statement in indexes:
            conn.execute(statement)
            conn.execute(f"ANALYZE [{name}]")  # the statistics DROP INDEX took with it
    for temporary in ("trade_filings", "refreshed"):
        conn.execute(f"DROP TABLE IF EXISTS temp.{temporary}")


def drop_indexes(conn: sqlite3.Connection) -> list[tuple[str, str]]:
    """Drop the wide tables' indexes; their names and the statements that create them again."""
    indexes = conn.execute(f"""SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL
        AND tbl_name IN ({', '.join(f"'{table}'" for table in WIDE_TABLES)})""").fetchall()
    for name, _ in indexes:
        conn.execute(f"DROP INDEX [{name}]")
    return indexes


def refreshed_rows(conn: sqlite3.Connection, scope: Scope) -> dict[str, str]:
    """For an incremental pass, temp.refreshed (id, accession) of the transaction rows whose facts
    it may have changed, and a condition on t selecting them in each table; nothing when whole."""
    conn.execute("DROP TABLE IF EXISTS temp.refreshed")
    if scope.everything:
        return {}
    conn.execute("CREATE TEMP TABLE refreshed (id TEXT PRIMARY KEY, accession_number TEXT)")
    for table in TRANSACTION_TABLES:
        classes = f" OR {insider_class_rows(scope)}" if table == "nonderiv_transactions" else ""
        conn.execute(f"""INSERT OR IGNORE INTO temp.refreshed SELECT t.id, t.accession_number FROM {table} t
            WHERE {scope.rows(table)}{classes}""")
    return {table: "t.id IN (SELECT id FROM temp.refreshed)" for table in TRANSACTION_TABLES}


def people_of_filings(conn: sqlite3.Connection, scope: Scope) -> None:
    """temp.trade_filings: per filing whose rows are refilled, its first-listed insider, every
    insider's name in order, their role flags (any owner's), and how many transactions of each
    table it reports."""
    conn.execute("DROP TABLE IF EXISTS temp.trade_filings")
    chosen = "1" if scope.everything else "accession_number IN (SELECT accession_number FROM temp.refreshed)"
    conn.execute(f"""CREATE TEMP TABLE trade_filings AS
        SELECT accession_number,
               max(CASE WHEN owner_seq = 1 THEN owner_cik END) AS insider_cik,
               max(CASE WHEN owner_seq = 1 THEN owner_name END) AS insider_name,
               max(CASE WHEN owner_seq = 1 THEN coalesce(officer_title, other_text) END) AS title,
               count(*) AS insider_count,
               CASE WHEN count(*) > 1 THEN group_concat(owner_name, '; ') END AS joint_insider_names,
               {', '.join(f'max({role}) AS {role}' for role in INSIDER_ROLES)},
               (SELECT count(*) FROM nonderiv_transactions n WHERE n.accession_number = o.accession_number)
                   AS stock_rows,
               (SELECT count(*) FROM deriv_transactions d WHERE d.accession_number = o.accession_number)
                   AS derivative_rows
        FROM (SELECT * FROM filing_owners WHERE {chosen} ORDER BY accession_number, owner_seq) o
        GROUP BY accession_number""")
    conn.execute("CREATE UNIQUE INDEX temp.trade_filings_by_accession ON trade_filings (accession_number)")


def filing_flags(flagged: str, several: str) -> str:
    """filing_flags as SQL on the filing f and its people p, given when the rows are flagged (E,
    with the filing's own flags) and when there are several (M)."""
    return f"""nullif(CASE WHEN f.document_type LIKE '%/A' THEN 'A' ELSE '' END
        || CASE WHEN p.derivative_rows > 0 THEN 'D' ELSE '' END
        || CASE WHEN {flagged} OR f.quality_flags IS NOT NULL THEN 'E' ELSE '' END
        || CASE WHEN {several} THEN 'M' ELSE '' END, '')"""


def insert_trades(conn: sqlite3.Connection, table: str, rows: str) -> None:
    """The rows of ``table`` that ``rows`` selects and no row supersedes, as trades."""
    derivative = int(table == "deriv_transactions")
    table_i_only = "NULL" if derivative else "t.{}"
    conn.execute(f"""INSERT INTO trades
        SELECT NULL AS rowid,  -- the next
               t.accession_number, t.row_seq, f.document_type, f.filing_date, f.acceptance_datetime,
               t.transaction_date, f.issuer_ticker_clean, f.issuer_cik, f.issuer_name, p.insider_cik, p.insider_name,
               p.insider_count, p.joint_insider_names, p.title, {', '.join(f'p.{role}' for role in INSIDER_ROLES)},
               t.security_title, {derivative}, t.transaction_code, t.acquired_disposed, t.shares, t.price_per_share,
               t.value_usd, t.shares_owned_after, {table_i_only.format('owned_change_pct')}, t.direct_indirect,
               {'0' if derivative else 't.is_open_market'}, t.is_10b5_1, t.plan_adopted_on, t.price_low,
               t.price_high, t.filing_delay_bd, t.is_late, {table_i_only.format('insider_class')}, t.quality_flags,
               {filing_flags("t.quality_flags IS NOT NULL", "p.stock_rows + p.derivative_rows > 1")}
        FROM {table} t JOIN filings f ON f.accession_number = t.accession_number
        LEFT JOIN temp.trade_filings p ON p.accession_number = t.accession_number
        WHERE t.superseded_by IS NULL AND {rows}
        ORDER BY t.accession_number, t.row_seq""")


def insert_trades_by_filing(conn: sqlite3.Connection, filings: str) -> None:
    """One row per filing and Table I transaction code among the Table I rows (t) of the filings
    chosen, after amendments: summed, with the holding before the first and after the last (the
    rows found by their filing and position)."""
    conn.execute(f"""INSERT INTO trades_by_filing
        WITH groups AS (
            SELECT t.accession_number, t.transaction_code, count(*) AS trades,
                   min(t.transaction_date) AS first_trade_date, max(t.transaction_date) AS last_trade_date,
                   round(sum(t.shares), {EXACT_DECIMALS}) AS shares,
                   round(sum(CASE WHEN t.price_per_share IS NOT NULL THEN t.shares * t.price_per_share END)
                         / nullif(sum(CASE WHEN t.price_per_share IS NOT NULL THEN t.shares END), 0), 4)
                       AS average_price,
                   round(sum(t.value_usd), 2) AS value_usd, max(t.is_open_market) AS is_open_market,
                   max(t.is_10b5_1) AS is_10b5_1, max(t.quality_flags IS NOT NULL) AS flagged,
                   min(t.row_seq) AS first_seq, max(t.row_seq) AS last_seq
            FROM nonderiv_transactions t
            WHERE t.superseded_by IS NULL AND t.transaction_code IS NOT NULL AND {filings}
            GROUP BY t.accession_number, t.transaction_code),
        ends AS (
            SELECT g.*, b.owned_before, l.shares_owned_after AS owned_after FROM groups g
            JOIN nonderiv_transactions b ON b.accession_number = g.accession_number AND b.row_seq = g.first_seq
            JOIN nonderiv_transactions l ON l.accession_number = g.accession_number AND l.row_seq = g.last_seq)
        SELECT NULL AS rowid,  -- the next
               g.accession_number, f.document_type, f.filing_date, f.acceptance_datetime, g.transaction_code,
               g.first_trade_date, g.last_trade_date, f.issuer_ticker_clean, f.issuer_cik, f.issuer_name, p.insider_cik,
               p.insider_name, p.insider_count, p.joint_insider_names, p.title,
               {', '.join(f'p.{role}' for role in INSIDER_ROLES)}, g.trades, g.shares,
               g.average_price, g.value_usd, g.owned_after,
               CASE WHEN g.owned_before > 0
                    THEN round(100.0 * (g.owned_after - g.owned_before) / g.owned_before, 2) END,
               g.is_open_market, g.is_10b5_1,
               {filing_flags("g.flagged", "g.trades > 1")}
        FROM ends g JOIN filings f ON f.accession_number = g.accession_number
        LEFT JOIN temp.trade_filings p ON p.accession_number = g.accession_number
        ORDER BY g.accession_number, g.transaction_code""")
