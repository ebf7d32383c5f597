"""The one loader: Filing records into the SQLite database, idempotently.

A filing already in the database with the same content is left alone; with other content it
is replaced whole (its rows, owners, footnotes and signatures go with it). Ids derive from the
accession number and document order, so they are the same on every rebuild.
"""

import json
import os
import sqlite3
from pathlib import Path

import sqlite_utils

from .model import ROW_TABLES, Filing
from .schema import FULL_TEXT, ROW_ID_CODES, ensure_schema, table_columns

CHILD_TABLES = ("filing_owners", *ROW_TABLES, "footnotes", "footnote_refs", "signatures")


class Loader:
    """Writes filings and build errors into one database, a batch per transaction."""

    def __init__(self, db_path: str):
        self.db_path = Path(db_path)
        self.is_new = not self.db_path.exists()
        # A new database is written into a side file, fast (no fsync, no secondary indexes until
        # the end), and appears under its name only when complete.
        self.work_path = self.db_path.with_name(self.db_path.name + ".partial") if self.is_new else self.db_path
        if self.is_new:
            self.work_path.unlink(missing_ok=True)  # left by a run that was killed
        self.conn = sqlite3.connect(self.work_path)
        self.db = sqlite_utils.Database(self.conn)
        if self.is_new:
            self.conn.execute("PRAGMA journal_mode = TRUNCATE")  # on disk: full-text merges can be large
            self.conn.execute("PRAGMA synchronous = OFF")
        else:
            self.conn.execute("PRAGMA journal_mode = WAL")
            self.conn.execute("PRAGMA synchronous = NORMAL")
        with self.conn:
            ensure_schema(self.db)
            if self.is_new:
                self.drop_secondary_indexes()
        self.columns = {t: table_columns(self.db, t) for t in ("filings", *CHILD_TABLES)}
        self.value_columns = {t: columns[2:] for t, columns in self.columns.items()}
        self.inserts = {
            table: "INSERT INTO {} ({}) VALUES ({})".format(
                table, ", ".join(columns), ", ".join("?" * len(columns))
            )
            for table, columns in self.columns.items()
        }

    def load_batch(self, filings: list[Filing], errors=()) -> dict[str, str]:
        """Load filings and record errors in one transaction.

        Returns accession -> new | replaced | unchanged. ``errors`` are (source_path, reason,
        content_sha256) of files that could not be read.
        """
        latest = {filing.accession_number: filing for filing in filings}  # last file wins
        stored = self.stored_hashes(list(latest))
        outcome, pending = {}, {table: [] for table in self.columns}
        for accession, filing in latest.items():
            if stored.get(accession) == filing.content_sha256:
                outcome[accession] = "unchanged"
                continue
            outcome[accession] = "replaced" if accession in stored else "new"
            self.collect(filing, pending)
        with self.conn:
            self.delete_filings([a for a, o in outcome.items() if o == "replaced"])
            first_rowids = {table: self.next_rowid(table) for table in FULL_TEXT}
            for table, rows in pending.items():
                if rows:
                    self.conn.executemany(self.inserts[table], rows)
            for table, columns in FULL_TEXT.items():
                self.index_text(table, columns, first_rowids[table])
            self.upsert_dimensions(
                [f for f in latest.values() if outcome[f.accession_number] != "unchanged"])
            self.conn.executemany(
                "DELETE FROM build_errors WHERE source_path = ?",
                [(filing.source_path,) for filing in filings],
            )
            self.conn.executemany("INSERT OR REPLACE INTO build_errors VALUES (?, ?, ?)", errors)
        return outcome

    def drop_secondary_indexes(self) -> None:
        """Load without secondary indexes; close() builds each in one sorted pass, much faster."""
        for (name,) in self.conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL"
        ).fetchall():
            self.conn.execute(f"DROP INDEX [{name}]")

    def stored_hashes(self, accessions: list[str]) -> dict[str, str]:
        found = {}
        for start in range(0, len(accessions), 500):
            chunk = accessions[start : start + 500]
            sql = "SELECT accession_number, content_sha256 FROM filings WHERE accession_number IN ({})"
            found.update(self.conn.execute(sql.format(", ".join("?" * len(chunk))), chunk))
        return found

    def next_rowid(self, table: str) -> int:
        return self.conn.execute(f"SELECT coalesce(max(rowid), 0) + 1 FROM {table}").fetchone()[0]

    def index_text(self, table: str, columns: list[str], first_rowid: int) -> None:
        """Add the rows inserted from ``first_rowid`` on to the table's full-text index.

        One INSERT ... SELECT per batch is several times faster than a trigger per row.
        """
        names = ", ".join(columns)
        self.conn.execute(
            f"INSERT INTO {table}_fts (rowid, {names}) SELECT rowid, {names} FROM {table} WHERE rowid >= ?",
            [first_rowid],
        )

    def delete_filings(self, accessions: list[str]) -> None:
        keys = [(accession,) for accession in accessions]
        for table, columns in FULL_TEXT.items():
            names = ", ".join(columns)
            self.conn.executemany(
                f"INSERT INTO {table}_fts ({table}_fts, rowid, {names}) "
                f"SELECT 'delete', rowid, {names} FROM {table} WHERE accession_number = ?",
                keys,
            )
        for table in (*CHILD_TABLES, "filings"):
            self.conn.executemany(f"DELETE FROM {table} WHERE accession_number = ?", keys)

    def collect(self, filing: Filing, pending: dict[str, list]) -> None:
        """Append the filing's rows, as tuples in column order, to the pending inserts.

        Child tables start with (id, accession_number); the rest is read from each record by
        column name, so a column a record does not state is NULL.
        """
        accession = filing.accession_number

        def add(table: str, row_id: str, values: dict) -> None:
            pending[table].append((row_id, accession, *map(values.get, self.value_columns[table])))

        for owner in filing.owners:
            add("filing_owners", f"{accession}_o{owner['owner_seq']}", owner)
        for table in ROW_TABLES:
            for row in filing.rows[table]:
                add(table, row_id(accession, table, row["row_seq"]), row)
        for footnote_id, text in filing.footnotes:
            add("footnotes", f"{accession}_{footnote_id}", {"footnote_id": footnote_id, "text": text})
        refs = pending["footnote_refs"]
        for seq, (footnote_id, table, row_seq, field_name) in enumerate(filing.footnote_refs, start=1):
            refs.append((
                f"{accession}_r{seq}",
                accession,
                f"{accession}_{footnote_id}",
                footnote_id,
                table,
                row_id(accession, table, row_seq) if table else None,
                row_seq,
                field_name,
            ))
        for signature in filing.signatures:
            add("signatures", f"{accession}_s{signature['signature_seq']}", signature)
        document = {
            **filing.document,
            **filing.issuer,
            "accession_number": accession,
            "accession_source": filing.accession_source,
            "owner_count": len(filing.owners),
            "source_format": filing.source_format,
            "source_path": filing.source_path,
            "content_sha256": filing.content_sha256,
            "parse_warnings": json.dumps(filing.warnings) if filing.warnings else None,
        }
        pending["filings"].append(tuple(map(document.get, self.columns["filings"])))

    def upsert_dimensions(self, filings: list[Filing]) -> None:
        """Keep each issuer and owner at the name of its most recent filing (by period, then accession)."""
        issuers, owners = {}, {}
        for filing in filings:
            as_of = (filing.document.get("period_of_report") or "", filing.accession_number)
            issuer = filing.issuer
            if issuer.get("issuer_cik") is not None:
                row = (issuer.get("issuer_name"), issuer.get("issuer_trading_symbol"), *as_of)
                latest = issuers.get(issuer["issuer_cik"])
                if latest is None or as_of >= latest[2:]:
                    issuers[issuer["issuer_cik"]] = row
            for owner in filing.owners:
                if owner.get("owner_cik") is not None:
                    latest = owners.get(owner["owner_cik"])
                    if latest is None or as_of >= latest[1:]:
                        owners[owner["owner_cik"]] = (owner.get("owner_name"), *as_of)
        self.conn.executemany(
            """INSERT INTO issuers VALUES (?, ?, ?, ?, ?)
            ON CONFLICT (issuer_cik) DO UPDATE SET issuer_name = excluded.issuer_name,
                issuer_trading_symbol = excluded.issuer_trading_symbol,
                as_of_period = excluded.as_of_period, as_of_accession = excluded.as_of_accession
            WHERE (excluded.as_of_period, excluded.as_of_accession)
                >= (issuers.as_of_period, issuers.as_of_accession)""",
            [(cik, *row) for cik, row in issuers.items()],
        )
        self.conn.executemany(
            """INSERT INTO owners VALUES (?, ?, ?, ?)
            ON CONFLICT (owner_cik) DO UPDATE SET owner_name = excluded.owner_name,
                as_of_period = excluded.as_of_period, as_of_accession = excluded.as_of_accession
            WHERE (excluded.as_of_period, excluded.as_of_accession)
                >= (owners.as_of_period, owners.as_of_accession)""",
            [(cik, *row) for cik, row in owners.items()],
        )

    def build_indexes(self) -> None:
        """Build the indexes a new database was loaded without, and the statistics that let
        SQLite's planner use them well (derived facts and the site's queries depend on both)."""
        with self.conn:
            ensure_schema(self.db)
        self.conn.execute("PRAGMA analysis_limit = 1000")  # approximate statistics, in bounded time
        self.conn.execute("ANALYZE")

    def close(self) -> None:
        """Leave one self-contained file, ready to publish or serve (after build_indexes)."""
        self.conn.execute("PRAGMA optimize")
        if not self.is_new:
            self.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        self.conn.execute("PRAGMA journal_mode = DELETE")
        self.conn.close()
        if self.is_new:
            os.replace(self.work_path, self.db_path)

    def abandon(self) -> None:
        """Stop without finishing: an unfinished new database is removed, an existing one keeps
        what its committed batches loaded."""
        self.conn.close()
        if self.is_new:
            self.work_path.unlink(missing_ok=True)


def row_id(accession: str, table: str, row_seq: int) -> str:
    """The stable id of row ``row_seq`` of ``table`` in a filing, e.g. 0001209191-21-003765_nt2."""
    return f"{accession}_{ROW_ID_CODES[table]}{row_seq}"
