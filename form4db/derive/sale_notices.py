"""Form 144 notices linked to the Form 4 sales that carry them out.

A notice covers sales within 90 days of its date (Rule 144(h)): each proposed sale takes the
Form 4 sale rows (code S, not superseded) of the same issuer and the same person, dated on or
after the notice and within those 90 days, in date order, while their shares stay within the
units noticed. The person is matched by CIK (the notice's filer against the Form 4's owners) and,
for a notice no CIK links, by name: the same words in any order ("Luca Maestri", "MAESTRI LUCA"),
or one name's words all in the other's. Of two notices that could take a row, the earlier does.
A 144/A replaces the notice it names (previousAccessionNumber; else the same filer's latest
earlier notice of the issuer on the same date): the original is superseded and links nothing.

The plan adoption date a notice states feeds the 10b5-1 facts of the rows it links to, where the
Form 4 itself does not say: is_10b5_1 1 and rule_10b5_1_evidence form144 where nothing spoke; the
adoption date beside evidence that gave none ("checkbox" becomes "checkbox+form144").
"""

import json
import re
import sqlite3
from collections import defaultdict
from datetime import date, timedelta
from typing import NamedTuple

from .scope import Scope

NOTICE_DAYS = 90
CONFIDENCE = {"cik": 1.0, "name": 0.8, "name_part": 0.5}
FED_EVIDENCE = "form144"
NAME_WORD = re.compile(r"[a-z]+")
NOT_A_NAME = {"mr", "mrs", "ms", "dr", "jr", "sr", "ii", "iii", "iv", "the", "trust", "of"}


class ProposedSale(NamedTuple):
    """A class a notice proposes to sell, with what the link reads of its notice."""

    id: str
    issuer_cik: int | None
    filer_cik: int | None
    seller_name: str | None
    noticed_on: str | None  # the notice's date, else its approximate sale date, else its filing date
    units: float | None
    plan_adoption_dates: str | None
    superseded_by: str | None


def covered_until(noticed_on: str) -> str:
    """The last day a notice of that date covers."""
    return (date.fromisoformat(noticed_on) + timedelta(days=NOTICE_DAYS)).isoformat()


def name_words(name: str | None) -> frozenset[str]:
    """The words that make up a person's name, any case and order, without titles and initials."""
    return frozenset(word for word in NAME_WORD.findall((name or "").lower())
                     if len(word) > 1 and word not in NOT_A_NAME)


def name_match(notice_name: str | None, owner_name: str | None) -> str | None:
    """name when both names have the same words, name_part when one's are all in the other's
    (at least two of them), else None."""
    notice, owner = name_words(notice_name), name_words(owner_name)
    if len(notice) < 2 or len(owner) < 2:
        return None
    if notice == owner:
        return "name"
    return "name_part" if notice <= owner or owner <= notice else None


def derive_sale_notices(conn: sqlite3.Connection, scope: Scope) -> None:
    """Supersede amended notices, then link the proposed sales of the issuers in scope to their sales."""
    issuers = issuers_in_scope(scope, "issuer_cik")
    before = linked_rows(conn, issuers)
    supersede_amended(conn, issuers)
    # The newest data: the site's newest filing (as_of), or a newer notice's date (a bare XML notice has no filing date).
    as_of = conn.execute("SELECT max(day) FROM (SELECT day FROM as_of UNION ALL SELECT max(notice_date) FROM sale_notices)"
                         ).fetchone()[0]
    notices = [ProposedSale(*row) for row in conn.execute(f"""SELECT p.id, n.issuer_cik, n.filer_cik, n.seller_name,
            coalesce(n.notice_date, p.approx_sale_date, f.filing_date), p.units_to_sell, n.plan_adoption_dates,
            n.superseded_by
        FROM proposed_sales p JOIN sale_notices n ON n.accession_number = p.accession_number
        JOIN filings f ON f.accession_number = n.accession_number
        WHERE {issuers_in_scope(scope, "n.issuer_cik")} ORDER BY 5, n.accession_number, p.sale_seq""")]
    sales = sale_rows(conn, {notice.issuer_cik for notice in notices if notice.issuer_cik is not None})
    links = link(notices, sales)
    write_links(conn, issuers, notices, links, as_of)
    # The wide tables copy the rows' 10b5-1 facts: those of every row linked before or now are refreshed.
    scope.include_rows(conn, "nonderiv_transactions", before | linked_rows(conn, issuers))


def issuers_in_scope(scope: Scope, column: str) -> str:
    """A SQL condition: the issuer in ``column`` is one of the filings the pass recomputes."""
    return "1" if scope.everything else \
        f"{column} IN (SELECT issuer_cik FROM filings WHERE {scope.filings('accession_number', 'affected')})"


def rows_of(issuers: str) -> str:
    """A SQL condition: a Table I row is one of the issuers' (``issuers`` a condition on filings)."""
    return f"accession_number IN (SELECT accession_number FROM filings WHERE {issuers})"


def linked_rows(conn: sqlite3.Connection, issuers: str) -> set[str]:
    """The ids of the issuers' rows a notice links, or whose 10b5-1 facts one fed."""
    return {row_id for (row_id,) in conn.execute(f"""SELECT id FROM nonderiv_transactions
        WHERE (sale_notice_id IS NOT NULL OR rule_10b5_1_evidence LIKE '%{FED_EVIDENCE}') AND {rows_of(issuers)}""")}


def supersede_amended(conn: sqlite3.Connection, issuers: str) -> None:
    """Each 144/A's original notice, marked superseded_by the amendment (the latest, of several)."""
    conn.execute(f"UPDATE sale_notices SET superseded_by = NULL WHERE superseded_by IS NOT NULL AND {issuers}")
    amendments = conn.execute(f"""SELECT accession_number, previous_accession_number, issuer_cik, filer_cik, notice_date
        FROM sale_notices WHERE submission_type = '144/A' AND {issuers} ORDER BY accession_number""").fetchall()
    for amendment, previous, issuer_cik, filer_cik, notice_date in amendments:
        original = previous or conn.execute("""SELECT max(accession_number) FROM sale_notices
            WHERE issuer_cik = ? AND notice_date = ? AND filer_cik IS ? AND accession_number < ?""",
                                            [issuer_cik, notice_date, filer_cik, amendment]).fetchone()[0]
        conn.execute("UPDATE sale_notices SET superseded_by = ? WHERE accession_number = ?", [amendment, original])


def sale_rows(conn: sqlite3.Connection, issuer_ciks: set[int]) -> dict[int, list[tuple]]:
    """The Form 4 sale rows of the issuers, by issuer, in date order: (row id, date, shares,
    the filing's owners as [(cik, name)])."""
    found = defaultdict(list)
    if not issuer_ciks:
        return found
    rows = conn.execute("""SELECT t.id, t.transaction_date, t.shares, f.issuer_cik,
            json_group_array(json_array(o.owner_cik, o.owner_name))
        FROM filings f JOIN nonderiv_transactions t ON t.accession_number = f.accession_number
        JOIN filing_owners o ON o.accession_number = f.accession_number
        WHERE f.issuer_cik IN (SELECT value FROM json_each(?)) AND t.transaction_code = 'S'
          AND t.superseded_by IS NULL AND t.transaction_date IS NOT NULL
        GROUP BY t.id ORDER BY t.transaction_date, t.accession_number, t.row_seq""",
                        [json.dumps(sorted(issuer_ciks))])
    for row_id, day, shares, issuer_cik, owners in rows:
        found[issuer_cik].append((row_id, day, shares or 0, json.loads(owners)))
    return found


def link(notices: list[ProposedSale], sales: dict[int, list[tuple]]) -> dict[str, tuple[str, list[tuple]]]:
    """proposed sale id -> (method, [(row id, date, shares)]): the rows each proposed sale takes,
    earlier notices first, a row to one notice only."""
    taken, links = set(), {}
    for notice in notices:
        if notice.superseded_by or not notice.noticed_on:
            continue
        last_day = covered_until(notice.noticed_on)
        window = [row for row in sales.get(notice.issuer_cik, ())
                  if notice.noticed_on <= row[1] <= last_day and row[0] not in taken]
        method, chosen = choose(window, notice.filer_cik, notice.seller_name)
        executed, rows = 0, []
        for row_id, day, shares, _ in chosen:
            if notice.units is not None and executed + shares > notice.units:
                break
            executed += shares
            rows.append((row_id, day, shares))
        if rows:
            taken.update(row[0] for row in rows)
            links[notice.id] = (method, rows)
    return links


def choose(window: list[tuple], filer_cik: int | None, seller_name: str | None) -> tuple[str | None, list[tuple]]:
    """The rows of the same person: by CIK when any owner's is the filer's, else by name."""
    by_cik = [row for row in window if filer_cik is not None and any(cik == filer_cik for cik, _ in row[3])]
    if by_cik:
        return "cik", by_cik
    for method in ("name", "name_part"):
        by_name = [row for row in window if any(name_match(seller_name, name) == method for _, name in row[3])]
        if by_name:
            return method, by_name
    return None, []


def write_links(conn: sqlite3.Connection, issuers: str, notices: list[ProposedSale], links: dict,
                as_of: str | None) -> None:
    """The proposed sales' link columns and status, the rows' sale_notice_id, and the 10b5-1
    facts the notices' plan adoption dates give, for the issuers in scope."""
    conn.execute(f"""UPDATE sale_notices SET expires_on = date(notice_date, '+{NOTICE_DAYS} days')
        WHERE {issuers} AND expires_on IS NOT date(notice_date, '+{NOTICE_DAYS} days')""")
    clear_links(conn, issuers)
    updates, row_links = [], []
    for notice in notices:
        method, rows = links.get(notice.id, (None, []))
        executed = sum(shares for _, _, shares in rows)
        updates.append((notice.issuer_cik, notice.noticed_on, status(notice, executed, as_of),
                        executed, len(rows), ",".join(row_id for row_id, _, _ in rows) or None,
                        rows[0][1] if rows else None, rows[-1][1] if rows else None,
                        method, CONFIDENCE.get(method), notice.id))
        adoption = notice.plan_adoption_dates.split(", ") if notice.plan_adoption_dates else []
        for row_id, day, _ in rows:
            row_links.append((notice.id, adopted_before(adoption, day), row_id))
    conn.executemany("""UPDATE proposed_sales SET issuer_cik = ?, notice_date = ?, status = ?, shares_executed = ?,
        executed_rows = ?, executed_row_ids = ?, first_executed_on = ?, last_executed_on = ?, link_method = ?,
        link_confidence = ? WHERE id = ?""", updates)
    conn.executemany("UPDATE nonderiv_transactions SET sale_notice_id = ? WHERE id = ?",
                     [(sale_id, row_id) for sale_id, _, row_id in row_links])
    fed = [(adopted, row_id) for _, adopted, row_id in row_links if adopted]
    conn.executemany(f"""UPDATE nonderiv_transactions SET is_10b5_1 = 1, rule_10b5_1_evidence = '{FED_EVIDENCE}',
        plan_adopted_on = ? WHERE id = ? AND rule_10b5_1_evidence IS NULL""", fed)
    conn.executemany(f"""UPDATE nonderiv_transactions SET plan_adopted_on = ?,
        rule_10b5_1_evidence = rule_10b5_1_evidence || '+{FED_EVIDENCE}'
        WHERE id = ? AND is_10b5_1 = 1 AND plan_adopted_on IS NULL""", fed)


def clear_links(conn: sqlite3.Connection, issuers: str) -> None:
    """Undo what the last pass linked for these issuers' rows, the 10b5-1 facts it fed included."""
    rows = rows_of(issuers)
    conn.execute(f"""UPDATE nonderiv_transactions SET is_10b5_1 = NULL, rule_10b5_1_evidence = NULL,
        plan_adopted_on = NULL WHERE rule_10b5_1_evidence = '{FED_EVIDENCE}' AND {rows}""")
    conn.execute(f"""UPDATE nonderiv_transactions SET plan_adopted_on = NULL,
        rule_10b5_1_evidence = substr(rule_10b5_1_evidence, 1, length(rule_10b5_1_evidence) - {len(FED_EVIDENCE) + 1})
        WHERE rule_10b5_1_evidence LIKE '%+{FED_EVIDENCE}' AND {rows}""")
    conn.execute(f"UPDATE nonderiv_transactions SET sale_notice_id = NULL WHERE sale_notice_id IS NOT NULL AND {rows}")


def status(notice: ProposedSale, executed: float, as_of: str | None) -> str:
    """amended, executed (all units sold), partly executed, open (nothing sold yet, within the
    90 days of the newest data) or lapsed (nothing sold in the 90 days)."""
    if notice.superseded_by:
        return "amended"
    if executed and notice.units is not None and executed >= notice.units:
        return "executed"
    if executed:
        return "partly executed"
    expired = notice.noticed_on and as_of and as_of > covered_until(notice.noticed_on)
    return "lapsed" if expired else "open"


def adopted_before(adoption_dates: list[str], sold_on: str) -> str | None:
    """Of the plan adoption dates a notice states, the latest on or before the sale (else the first)."""
    before = [day for day in adoption_dates if day <= sold_on]
    return max(before) if before else (adoption_dates[0] if adoption_dates else None)
