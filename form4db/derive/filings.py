"""A filing's own facts: the amendment flag, the ticker as a clean symbol, and the filing a
content-keyed copy repeats."""

import re
import sqlite3
from functools import lru_cache

from .amendments import OWNER_SET
from .scope import TRANSACTION_TABLES, Scope, update_changed


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


# ---- copies of a filing under a file name without its accession number -------------------

ROW_FACTS = "lower(security_title), transaction_date, transaction_code, acquired_disposed, shares, price_per_share, " \
            "shares_owned_after"


def derive_copies(conn: sqlite3.Connection, scope: Scope) -> None:
    """Link each filing keyed by its content (sha256-…: a file whose name holds no accession
    number) that repeats an accession-keyed one — the same issuer, form, period and owners, and
    every transaction row one of the other's, as filed (a truncated copy has fewer) — to it, in
    filings.copy_of, and mark its rows superseded by the other's rows, so that no screen counts a
    trade twice. Runs after the amendments step, which unmarks every row in a whole pass; a copy
    marked joins the affected filings."""
    if scope.everything:
        conn.execute("UPDATE filings SET copy_of = NULL WHERE copy_of IS NOT NULL")
    pairs = conn.execute(f"""
        SELECT c.accession_number, a.accession_number FROM filings c
        JOIN filings a ON a.issuer_cik = c.issuer_cik AND a.period_of_report = c.period_of_report
                      AND a.document_type = c.document_type AND a.accession_source != 'content_hash'
        WHERE c.accession_source = 'content_hash' AND c.issuer_cik IS NOT NULL
          AND ({scope.added('c.accession_number')} OR {scope.added('a.accession_number')})
          AND {OWNER_SET.format('c.accession_number')} IS {OWNER_SET.format('a.accession_number')}
        ORDER BY c.accession_number, a.accession_number""").fetchall()
    for copy, original in pairs:
        matched = rows_repeated(conn, copy, original)
        if matched is None:
            continue
        conn.execute("UPDATE filings SET copy_of = ? WHERE accession_number = ?", [original, copy])
        for table, row, original_row in matched:
            conn.execute(f"UPDATE {table} SET superseded_by = ? WHERE id = ?", [original_row, row])
        if not scope.everything:
            conn.execute("INSERT OR IGNORE INTO temp.affected VALUES (?)", [copy])


def rows_repeated(conn: sqlite3.Connection, copy: str, original: str) -> list[tuple[str, str, str]] | None:
    """(table, row of the copy, the original's row it repeats) for every transaction row of the
    copy, or None when one of them is not among the original's rows."""
    matched = []
    for table in TRANSACTION_TABLES:
        query = f"SELECT id, {ROW_FACTS} FROM {table} WHERE accession_number = ? ORDER BY row_seq"
        unused = conn.execute(query, [original]).fetchall()
        for row_id, *facts in conn.execute(query, [copy]).fetchall():
            same = next((other for other in unused if list(other[1:]) == facts), None)
            if same is None:
                return None
            unused.remove(same)
            matched.append((table, row_id, same[0]))
    return matched
