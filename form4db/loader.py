"""The one loader: Filing records into the SQLite database, idempotently.

A filing already in the database with the same content is left alone; with other content it
is replaced whole (its rows, owners, footnotes and signatures go with it). Ids derive from the
accession number and document order, so they are the same on every rebuild.
"""

import json

import sqlite_utils

from .model import ROW_TABLES, Filing
from .schema import ROW_ID_CODES, ensure_schema, table_columns

CHILD_TABLES = ("filing_owners", *ROW_TABLES, "footnotes", "footnote_refs", "signatures")


class Loader:
    """Writes filings and build errors into one database, a batch per transaction."""

    def __init__(self, db_path: str):
        self.db = sqlite_utils.Database(db_path)
        self.conn = self.db.conn
        self.conn.execute("PRAGMA journal_mode = WAL")
        self.conn.execute("PRAGMA synchronous = NORMAL")
        with self.conn:
            ensure_schema(self.db)
        self.columns = {t: table_columns(self.db, t) for t in ("filings", *CHILD_TABLES)}
        self.inserts = {
            table: "INSERT INTO {} ({}) VALUES ({})".format(
                table, ", ".join(columns), ", ".join("?" * len(columns))
            )
            for table, columns in self.columns.items()
        }

    def load_batch(self, filings: list[Filing]) -> dict[str, str]:
        """Load filings in one transaction; return accession -> new | replaced | unchanged."""
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
            for table, rows in pending.items():
                if rows:
                    self.conn.executemany(self.inserts[table], rows)
            for filing in latest.values():
                if outcome[filing.accession_number] != "unchanged":
                    self.upsert_dimensions(filing)
            self.conn.executemany(
                "DELETE FROM build_errors WHERE source_path = ?",
                [(filing.source_path,) for filing in filings],
            )
        return outcome

    def record_errors(self, errors: list[tuple[str, str, str | None]]) -> None:
        """Store (source_path, reason, content_sha256) for files that could not be loaded."""
        with self.conn:
            self.conn.executemany("INSERT OR REPLACE INTO build_errors VALUES (?, ?, ?)", errors)

    def stored_hashes(self, accessions: list[str]) -> dict[str, str]:
        found = {}
        for start in range(0, len(accessions), 500):
            chunk = accessions[start : start + 500]
            sql = "SELECT accession_number, content_sha256 FROM filings WHERE accession_number IN ({})"
            found.update(self.conn.execute(sql.format(", ".join("?" * len(chunk))), chunk))
        return found

    def delete_filings(self, accessions: list[str]) -> None:
        keys = [(accession,) for accession in accessions]
        for table in (*CHILD_TABLES, "filings"):
            self.conn.executemany(f"DELETE FROM {table} WHERE accession_number = ?", keys)

    def collect(self, filing: Filing, pending: dict[str, list]) -> None:
        """Append the filing's rows, as tuples in column order, to the pending inserts."""
        accession = filing.accession_number
        warnings = list(filing.warnings)

        def add(table: str, values: dict, row_id: str | None = None) -> None:
            columns = self.columns[table]
            values = {**values, "accession_number": accession}
            if row_id is not None:
                values["id"] = row_id
            for column in values.keys() - set(columns):
                warnings.append(f"{table}: no column {column} for value {values[column]!r}")
            pending[table].append(tuple(values.get(c) for c in columns))

        for owner in filing.owners:
            add("filing_owners", owner, f"{accession}_o{owner['owner_seq']}")
        for table in ROW_TABLES:
            for row in filing.rows[table]:
                add(table, row, row_id(accession, table, row["row_seq"]))
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
            add("signatures", signature, f"{accession}_s{signature['signature_seq']}")

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
        if warnings:  # filled in last so warnings from every table above are included
            row = list(pending["filings"][-1])
            row[self.columns["filings"].index("parse_warnings")] = json.dumps(warnings)
            pending["filings"][-1] = tuple(row)

    def upsert_dimensions(self, filing: Filing) -> None:
        """Keep issuers and owners at the name of their most recent filing (by period, then accession)."""
        period = filing.document.get("period_of_report") or ""
        accession = filing.accession_number
        issuer = filing.issuer
        if issuer.get("issuer_cik") is not None:
            self.conn.execute(
                """INSERT INTO issuers VALUES (?, ?, ?, ?, ?)
                ON CONFLICT (issuer_cik) DO UPDATE SET issuer_name = excluded.issuer_name,
                    issuer_trading_symbol = excluded.issuer_trading_symbol,
                    as_of_period = excluded.as_of_period, as_of_accession = excluded.as_of_accession
                WHERE (excluded.as_of_period, excluded.as_of_accession)
                    >= (issuers.as_of_period, issuers.as_of_accession)""",
                (issuer["issuer_cik"], issuer.get("issuer_name"),
                 issuer.get("issuer_trading_symbol"), period, accession),
            )
        for owner in filing.owners:
            if owner.get("owner_cik") is not None:
                self.conn.execute(
                    """INSERT INTO owners VALUES (?, ?, ?, ?)
                    ON CONFLICT (owner_cik) DO UPDATE SET owner_name = excluded.owner_name,
                        as_of_period = excluded.as_of_period,
                        as_of_accession = excluded.as_of_accession
                    WHERE (excluded.as_of_period, excluded.as_of_accession)
                        >= (owners.as_of_period, owners.as_of_accession)""",
                    (owner["owner_cik"], owner.get("owner_name"), period, accession),
                )

    def close(self) -> None:
        """Checkpoint into one self-contained file, ready to publish or serve immutable."""
        self.conn.execute("PRAGMA optimize")
        self.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        self.conn.execute("PRAGMA journal_mode = DELETE")
        self.conn.close()


def row_id(accession: str, table: str, row_seq: int) -> str:
    """The stable id of row ``row_seq`` of ``table`` in a filing, e.g. 0001209191-21-003765_nt2."""
    return f"{accession}_{ROW_ID_CODES[table]}{row_seq}"
