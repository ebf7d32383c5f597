"""What a derive pass recomputes (everything, or what the added filings can change), and the
one way every step writes its columns: only the rows whose values change."""

import sqlite3
from collections.abc import Collection

from .open_market import open_market_before_rows

TRANSACTION_TABLES = ("nonderiv_transactions", "deriv_transactions")
IN_JSON = "SELECT value FROM json_each(?)"  # a SQL IN list of any length, given as one JSON array
MAX_MONTHS = 36  # an update whose filings reach over more months derives the rest whole


class Scope:
    """What a pass recomputes: everything, or what the filings just added can change.

    The filings added (temp.scope_filings) get their own rows' facts. Facts that depend on other
    filings are recomputed where those filings can move them: amendments that may now link
    elsewhere; then (widen) every filing whose rows an amendment re-marked joins the added ones
    (temp.affected), and the issuer-months, owner-issuer pairs and purchase days of their rows
    bound the flags, insider classes, monthly totals and cluster windows recomputed. When widen
    makes those whole, the rows' own facts are still the added filings' alone.
    """

    TABLES = ("scope_filings", "affected", "scope_months", "scope_pairs", "scope_days",
              *(f"scope_{table}" for table in TRANSACTION_TABLES))

    def __init__(self, conn: sqlite3.Connection, accessions: Collection[str] | None):
        self.everything = self.all_added = accessions is None
        self.drop(conn)
        if not self.everything:
            conn.execute("CREATE TEMP TABLE scope_filings (accession_number TEXT PRIMARY KEY)")
            conn.executemany("INSERT OR IGNORE INTO temp.scope_filings VALUES (?)", ((a,) for a in accessions))
            conn.execute("CREATE TEMP TABLE affected (accession_number TEXT PRIMARY KEY)")
            conn.execute("INSERT INTO temp.affected SELECT accession_number FROM temp.scope_filings")

    def filings(self, column: str, which: str = "scope_filings") -> str:
        """A SQL condition: the accession in ``column`` is among the filings recomputed."""
        return "1" if self.everything else f"{column} IN (SELECT accession_number FROM temp.{which})"

    def added(self, column: str) -> str:
        """A SQL condition: the accession in ``column`` is among the filings added, even once the
        rest of the pass is whole."""
        return "1" if self.all_added else f"{column} IN (SELECT accession_number FROM temp.scope_filings)"

    def months(self, issuer: str, day: str) -> str:
        """A SQL condition: the issuer and the month of the day are among those recomputed."""
        return "1" if self.everything else \
            f"({issuer}, substr({day}, 1, 7)) IN (SELECT issuer_cik, month FROM temp.scope_months)"

    def pairs(self, owner: str, issuer: str) -> str:
        """A SQL condition: the owner and issuer are a pair recomputed."""
        return "1" if self.everything else f"({owner}, {issuer}) IN (SELECT owner_cik, issuer_cik FROM temp.scope_pairs)"

    def widen(self, conn: sqlite3.Connection) -> None:
        """After the amendments step: the issuer-months, pairs and days the affected filings touch.

        Filings reaching over more than MAX_MONTHS months (history, not a day's news) make the
        rest of the pass whole: by then that is faster. (CROSS JOIN keeps SQLite starting from the
        few affected filings: it knows nothing of the size of a temporary table.)
        """
        if self.everything:
            return
        rows = " UNION ALL ".join(
            f"SELECT f.issuer_cik, t.transaction_date, t.accession_number FROM temp.affected a "
            f"CROSS JOIN filings f ON f.accession_number = a.accession_number "
            f"CROSS JOIN {table} t ON t.accession_number = a.accession_number "
            f"WHERE f.issuer_cik IS NOT NULL AND t.transaction_date IS NOT NULL" for table in TRANSACTION_TABLES)
        conn.execute(f"CREATE TEMP TABLE scope_months AS SELECT DISTINCT issuer_cik, substr(transaction_date, 1, 7) "
                     f"AS month FROM ({rows})")
        if conn.execute("SELECT count(DISTINCT month) FROM temp.scope_months").fetchone()[0] > MAX_MONTHS:
            self.everything = True
            return
        conn.execute("CREATE TEMP TABLE scope_days (issuer_cik INTEGER PRIMARY KEY, first_day TEXT, last_day TEXT)")
        conn.execute(f"INSERT INTO temp.scope_days SELECT issuer_cik, min(transaction_date), max(transaction_date) "
                     f"FROM ({rows}) GROUP BY issuer_cik")
        # Insider classes come from open-market trades only; a year's trades classify the three after.
        conn.execute("""CREATE TEMP TABLE scope_pairs (owner_cik INTEGER, issuer_cik INTEGER, first_year INTEGER,
            last_year INTEGER, PRIMARY KEY (owner_cik, issuer_cik))""")
        conn.execute(f"""INSERT INTO temp.scope_pairs SELECT o.owner_cik, f.issuer_cik,
                min(CAST(substr(t.transaction_date, 1, 4) AS INTEGER)) AS first_year,
                max(CAST(substr(t.transaction_date, 1, 4) AS INTEGER)) + 3 AS last_year
            FROM temp.affected a CROSS JOIN filings f ON f.accession_number = a.accession_number
            CROSS JOIN filing_owners o ON o.accession_number = a.accession_number
            CROSS JOIN nonderiv_transactions t ON t.accession_number = a.accession_number
            WHERE o.owner_cik IS NOT NULL AND f.issuer_cik IS NOT NULL
              AND {open_market_before_rows(self)} AND t.transaction_date IS NOT NULL
            GROUP BY o.owner_cik, f.issuer_cik""")
        for table in TRANSACTION_TABLES:  # the rows of each month touched, through the date index
            conn.execute(f"""CREATE TEMP TABLE scope_{table} AS
                SELECT t.id FROM temp.affected a CROSS JOIN {table} t ON t.accession_number = a.accession_number
                UNION SELECT t.id FROM (SELECT DISTINCT month FROM temp.scope_months) m
                CROSS JOIN {table} t ON t.transaction_date >= m.month || '-01' AND t.transaction_date < m.month || '-32'
                CROSS JOIN filings f ON f.accession_number = t.accession_number
                WHERE {self.months("f.issuer_cik", "t.transaction_date")}""")

    def rows(self, table: str) -> str:
        """A SQL condition: the row t is among those whose flags and monthly totals are recomputed:
        the affected filings' rows and every row of an issuer-month they touch."""
        return "1" if self.everything else f"t.id IN (SELECT id FROM temp.scope_{table})"

    def include_rows(self, conn: sqlite3.Connection, table: str, ids: set[str]) -> None:
        """Rows a step changed outside the added filings (a notice linked to an older sale): the
        steps after it recompute them as the affected filings' rows."""
        if not self.everything:
            conn.executemany(f"INSERT INTO temp.scope_{table} VALUES (?)", ((row_id,) for row_id in ids))

    def read(self, table: str) -> str:
        """``table`` as t in a FROM clause: in a whole pass read in the order it is stored, not
        through an index of a column the query filters on, as SQLite would (fetching a million
        filings' rows in the order of their dates takes two to four times as long)."""
        return f"{table} t NOT INDEXED" if self.everything else f"{table} t"

    def drop(self, conn: sqlite3.Connection) -> None:
        for table in self.TABLES:
            conn.execute(f"DROP TABLE IF EXISTS temp.{table}")


def update_changed(conn: sqlite3.Connection, table: str, columns: dict[str, str], source: str, where: str,
                   key: tuple[str, ...] = ("rowid",)) -> None:
    """Set each of ``columns`` to its SQL expression on the rows of ``table`` (``t`` in ``source``,
    the table with whatever it joins, found by the table's ``key``) that ``where`` selects,
    writing only the rows where a value changes: computing a row's values is cheap, rewriting the
    row and its index entries is not. (LIMIT -1 keeps SQLite from merging the computed values into
    the update, which would compute them again for the comparison; MATERIALIZED would say so too,
    but needs SQLite 3.35.)"""
    computed = ", ".join(f"{expression} AS {name}" for name, expression in columns.items())
    keys = ", ".join(f"t.{column} AS key_{column}" for column in key)
    same_row = " AND ".join(f"{table}.{column} = new.key_{column}" for column in key)
    old, new = (", ".join(f"{prefix}.{name}" for name in columns) for prefix in (table, "new"))
    conn.execute(f"""WITH new AS (SELECT {keys}, {computed} FROM {source} WHERE {where} LIMIT -1)
        UPDATE {table} SET {", ".join(f"{name} = new.{name}" for name in columns)} FROM new
        WHERE {same_row} AND ({old}) IS NOT ({new})""")


def update_in_groups(conn: sqlite3.Connection, table: str, facts_and_rows: list[tuple[dict[str, str], str]],
                     source: str) -> None:
    """update_changed for each group of columns on the rows its condition selects: the groups on
    the same rows in one update (a whole pass rewrites each row once). No group reads a column
    another writes."""
    facts_by_rows = {}
    for facts, rows in facts_and_rows:
        facts_by_rows.setdefault(rows, {}).update(facts)
    for rows, facts in facts_by_rows.items():
        update_changed(conn, table, facts, source, rows)
