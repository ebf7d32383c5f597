"""Who the insiders are: routine and opportunistic traders (Cohen, Malloy and Pomorski 2012)."""

import sqlite3
from itertools import groupby
from operator import itemgetter

from .open_market import open_market_before_rows
from .scope import Scope


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
    conn.executemany("INSERT INTO insider_classes VALUES (?, ?, ?, ?, ?)", classified(traded))


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
            yield (owner, issuer, year, *classify(months_by_year, year))
