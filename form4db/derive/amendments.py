"""Amendments: each linked to the filing it amends, and the rows it restates marked superseded."""

import json
import sqlite3

from .scope import IN_JSON, TRANSACTION_TABLES, Scope


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
        date_of_original_submission FROM filings
        WHERE document_type LIKE '%/A' AND document_type != '144/A' AND ({which})
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
