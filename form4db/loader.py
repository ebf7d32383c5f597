"""The one loader: Filing records into the SQLite database, idempotently.

A filing already in the database with the same content is left alone; with other content it
is replaced whole (its rows, owners, footnotes and signatures go with it). Ids derive from the
accession number and document order, so they are the same on every rebuild.
"""

import json
import sqlite3

import sqlite_utils

from .model import ROW_TABLES, Filing
from .schema import FULL_TEXT, ROW_ID_CODES, ensure_schema, table_columns

CHILD_TABLES = ("filing_owners", *ROW_TABLES, "footnotes", "footnote_refs", "signatures")


class Loader:
    """Writes filings and build errors into one database, a batch per transaction."""

    def __init__(self, db_path: str):
        self.conn = sqlite3.connect(db_path)
        self.db = sqlite_utils.Database(self.conn)
        self.conn.execute("PRAGMA journal_mode = WAL")
        self.conn.execute("PRAGMA synchronous = NORMAL")
        with self.conn:
            ensure_schema(self.db)
        self.defer_indexes_if_empty()
        self.columns = {t: table_columns(self.db, t) for t in ("filings", *CHILD_TABLES)}
        self.column_sets = {t: set(columns) for t, columns in self.columns.items()}
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
                    columns = self.columns[table]
                    self.conn.executemany(
                        self.inserts[table], [tuple(map(row.get, columns)) for row in rows])
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

    def defer_indexes_if_empty(self) -> None:
        """Load a new database without its secondary indexes; close() builds them in one pass each.

        Only for an empty database: replacing filings needs the accession indexes to delete fast.
        """
        if self.conn.execute("SELECT 1 FROM filings LIMIT 1").fetchone():
            return
        with self.conn:
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
        """Append the filing's rows, as tuples in column order, to the pending inserts."""
        accession = filing.accession_number
        warnings = list(filing.warnings)

        def add(table: str, values: dict, row_id: str | None = None) -> None:
            values["accession_number"] = accession
            if row_id is not None:
                values["id"] = row_id
            for column in values.keys() - self.column_sets[table]:
                warnings.append(f"{table}: no column {column} for value {values[column]!r}")
            pending[table].append(values)

        for owner in filing.owners:
            add("filing_owners", dict(owner), f"{accession}_o{owner['owner_seq']}")
        for table in ROW_TABLES:
            for row in filing.rows[table]:
                add(table, dict(row), row_id(accession, table, row["row_seq"]))
        for footnote_id, text in filing.footnotes:
            add("footnotes", {"footnote_id": footnote_id, "text": text}, f"{accession}_{footnote_id}")
        for seq, ref in enumerate(filing.footnote_refs, start=1):
            values = {
                "footnote": f"{accession}_{ref.footnote_id}",
                "footnote_id": ref.footnote_id,
                "table_name": ref.table,
                "row_id": row_id(accession, ref.table, ref.row_seq) if ref.table else None,
                "row_seq": ref.row_seq,
                "field": ref.field,
            }
            add("footnote_refs", values, f"{accession}_r{seq}")
        for signature in filing.signatures:
            add("signatures", dict(signature), f"{accession}_s{signature['signature_seq']}")
        document = {
            **filing.document,
            **filing.issuer,
            "accession_source": filing.accession_source,
            "owner_count": len(filing.owners),
            "source_format": filing.source_format,
            "source_path": filing.source_path,
            "content_sha256": filing.content_sha256,
        }
        add("filings", document)
        # Filled in last, so that warnings from every table above are included.
        pending["filings"][-1]["parse_warnings"] = json.dumps(warnings) if warnings else None

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

    def close(self) -> None:
        """Build any deferred index, and checkpoint into one self-contained file ready to serve."""
        with self.conn:
            ensure_schema(self.db)
        self.conn.execute("PRAGMA optimize")
        self.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        self.conn.execute("PRAGMA journal_mode = DELETE")
        self.conn.close()


def row_id(accession: str, table: str, row_seq: int) -> str:
    """The stable id of row ``row_seq`` of ``table`` in a filing, e.g. 0001209191-21-003765_nt2."""
    return f"{accession}_{ROW_ID_CODES[table]}{row_seq}"
