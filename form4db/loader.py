"""The one loader: Filing records into the SQLite database, idempotently.

A filing already in the database with the same content is left alone; with other content it
is replaced whole (its rows, owners, footnotes and signatures go with it). Ids derive from the
accession number and document order, so they are the same on every rebuild.
"""

import functools
import json
import marshal
import os
import sqlite3
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path
from typing import NamedTuple

import sqlite_utils

from .model import NOTICE_TABLES, ROW_TABLES, SOURCE_FORMATS, Filing
from .schema import (FOOTNOTE_TABLES, FOOTNOTE_TEXT_LOOKUP, FULL_TEXT, ROW_ID_CODES, base_columns, create_indexes,
                     ensure_schema, store_footnote_marks, store_footnotes, text_hash)

# The tables holding a filing's rows, by accession_number (its footnotes, FOOTNOTE_TABLES, by its rowid).
CHILD_TABLES = ("filing_owners", *ROW_TABLES, "signatures", "filing_entities", "filing_texts", "sale_notices",
                *NOTICE_TABLES)
NOTICE_ID_CODES = {"proposed_sales": ("ps", "sale_seq"), "notice_acquisitions": ("na", "acquisition_seq"),
                   "notice_past_sales": ("np", "sale_seq")}
# A batch's footnotes travel as (accession_number, footnote_id, text, text_hash). The loader stores each distinct
# text once, in footnote_texts (indexed for search once), and the filing's footnote as filing_footnotes' key to it.
LOADED_FOOTNOTES = "loaded_footnotes"
LOADED_FOOTNOTE_COLUMNS = ["accession_number", "footnote_id", "text", "text_hash"]
# Its footnote marks travel with their field's name, which footnote_marks stores as its key in footnote_fields.
LOADED_MARKS = "loaded_marks"
LOADED_MARK_COLUMNS = ["accession_number", "seq", "footnote_id", "row_table", "row_seq", "field_name"]
# When one filing comes from several sources, the fuller one is kept: a full submission holds
# the ownership XML and EDGAR's header besides; the data sets carry less than the XML they were
# extracted from; renderings less than both.
SOURCE_RANK = {source_format: rank for rank, source_format in enumerate(SOURCE_FORMATS)}


def loaded_columns() -> dict[str, list[str]]:
    """The columns each table takes from filings, in table order (derived columns are not among
    them: derive fills those, and binding NULL for them costs more than the rest of the row)."""
    columns = base_columns()
    loaded = {table: [name for name, _ in columns[table]] for table in ("filings", *CHILD_TABLES)}
    return {**loaded, LOADED_FOOTNOTES: LOADED_FOOTNOTE_COLUMNS, LOADED_MARKS: LOADED_MARK_COLUMNS}


LOADED_COLUMNS = loaded_columns()
ACCESSION_POSITION = {table: columns.index("accession_number") for table, columns in LOADED_COLUMNS.items()}
# Child rows start with their id, unless computed (ROW_KEYS), and accession_number; the rest is
# read from a record by column name.
VALUE_COLUMNS = {table: columns[ACCESSION_POSITION[table] + 1:] for table, columns in LOADED_COLUMNS.items()}
# SQLite's limit on parameters in one statement (999 before version 3.32).
MAX_PARAMETERS = 32766 if sqlite3.sqlite_version_info >= (3, 32) else 999
ROWS_PER_INSERT = 128
# sqlite3 binds a None only after looking for a way to adapt it, among its adapters and then on
# the object: 400 ns, fifteen times a number's time, and a filing's rows hold some 50 NULLs. With
# an adapter registered for None (in the whole process; None still binds as NULL), the search
# ends at its first step, in 170 ns.
sqlite3.register_adapter(type(None), lambda none: none)


class Summary(NamedTuple):
    """What the loader needs to know of a filing besides its rows."""

    content_sha256: str
    source_path: str
    rows: int
    source_format: str
    filing_date: str | None
    sources: str  # every source met in the batch, e.g. "dataset xml"

    @property
    def rank(self) -> int:
        return SOURCE_RANK[self.source_format]


class Stored(NamedTuple):
    content_sha256: str
    rank: int
    filing_date: str | None
    sources: str | None


@dataclass
class Batch:
    """Filings turned into table rows, ready to load in one transaction.

    A table's rows are one flat list of values, row after row in column order (LOADED_COLUMNS):
    slices of it are what a multi-row INSERT binds, and a few lists of plain strings and numbers
    travel from a worker process to the writer faster than a tuple per row.
    """

    filings: dict[str, Summary] = field(default_factory=dict)
    values: dict[str, list] = field(default_factory=lambda: {t: [] for t in LOADED_COLUMNS})
    errors: list[tuple[str, str, str | None]] = field(default_factory=list)  # (path, reason, sha256)
    loaded_paths: list[str] = field(default_factory=list)  # files read without error

    def __len__(self) -> int:
        return len(self.loaded_paths) + len(self.errors)

    def __reduce__(self):
        """Pickle as marshal's bytes of the plain data inside: a quarter to a third less time both
        ways than pickle's own, and the writer's process, which a build waits on, unpickles every batch."""
        plain = ({accession: tuple(summary) for accession, summary in self.filings.items()},
                 self.values, self.errors, self.loaded_paths)
        try:
            return batch_from_marshal, (marshal.dumps(plain),)
        except ValueError:  # a value of a type marshal does not know (a str subclass): pickle it
            return batch_from_plain, plain

    def add(self, filing: Filing) -> None:
        """Add a filing's rows; of the same filing twice, the fuller source (else the later file) wins."""
        accession = filing.accession_number
        summary = Summary(filing.content_sha256, filing.source_path, filing.row_count, filing.source_format,
                          filing.header.get("filing_date"), filing.source_format)
        self.loaded_paths.append(filing.source_path)
        if accession in self.filings:
            earlier = self.filings[accession]
            sources = joined_sources(earlier.sources, filing.source_format)
            if earlier.rank > summary.rank:
                self.filings[accession] = earlier._replace(
                    sources=sources, filing_date=earlier.filing_date or summary.filing_date)
                return
            self.values = self.without({accession})
            summary = summary._replace(sources=sources, filing_date=summary.filing_date or earlier.filing_date)
        self.filings[accession] = summary
        add_rows(filing, self.values)

    def add_error(self, source_path: str, reason: str, content_sha256: str | None = None) -> None:
        self.errors.append((source_path, reason, content_sha256))

    def without(self, accessions: set[str]) -> dict[str, list]:
        """The batch's values (table -> flat list) without the rows of the given filings."""
        kept = {}
        for table, values in self.values.items():
            width = len(LOADED_COLUMNS[table])
            kept[table] = table_kept = []
            for row, accession in enumerate(values[ACCESSION_POSITION[table] :: width]):
                if accession not in accessions:
                    table_kept += values[row * width : (row + 1) * width]
        return kept

    def split(self) -> list["Batch"]:
        """One batch per filing (errors stay with none of them)."""
        singles = []
        for accession, details in self.filings.items():
            single = Batch(filings={accession: details}, loaded_paths=[details.source_path])
            single.values = self.without(set(self.filings) - {accession})
            singles.append(single)
        return singles


def batch_from_plain(filings: dict[str, tuple], values: dict[str, list], errors: list, loaded_paths: list) -> Batch:
    """The batch Batch.__reduce__ took apart."""
    return Batch({accession: Summary(*summary) for accession, summary in filings.items()}, values, errors,
                 loaded_paths)


def batch_from_marshal(data: bytes) -> Batch:
    """The batch Batch.__reduce__ marshalled."""
    return batch_from_plain(*marshal.loads(data))


def add_rows(filing: Filing, values: dict[str, list]) -> None:
    """Append the values of the filing's rows, in column order, to ``values`` (table -> list).

    A column a record does not state is NULL.
    """
    accession = filing.accession_number

    def add(table: str, records: list[dict], stored_id: tuple[str, str] | None = None) -> None:
        """The records' values; first their id, of a table that stores it: (code, position column)."""
        table_values, columns = values[table], VALUE_COLUMNS[table]
        for record in records:
            if stored_id:
                table_values.append(f"{accession}_{stored_id[0]}{record[stored_id[1]]}")
            table_values.append(accession)
            table_values += map(record.get, columns)

    add("filing_owners", filing.owners)
    for table in ROW_TABLES:
        add(table, filing.rows[table])
    footnotes = values[LOADED_FOOTNOTES]
    for footnote_id, text in filing.footnotes:
        footnotes += (accession, footnote_id, text, text_hash(text))
    marks = values[LOADED_MARKS]
    for seq, (footnote_id, table, row_seq, field_name) in enumerate(filing.footnote_refs, start=1):
        marks += (accession, seq, footnote_id, ROW_ID_CODES[table] if table else None, row_seq, field_name)
    add("signatures", filing.signatures)
    add("filing_entities", filing.entities)
    add("filing_texts", filing.texts, ("t", "text_seq"))
    if filing.notice:
        values["sale_notices"] += map({**filing.notice, "accession_number": accession}.get, LOADED_COLUMNS["sale_notices"])
    for table, stored_id in NOTICE_ID_CODES.items():
        add(table, filing.notice_rows[table], stored_id)
    document = {
        **filing.document,
        **filing.header,
        **filing.issuer,
        "accession_number": accession,
        "accession_source": filing.accession_source,
        "owner_count": len(filing.owners) or None,  # every filing has an owner: none read means unknown
        "source_format": filing.source_format,
        "parse_quality": filing.parse_quality,
        "sources": filing.source_format,
        "source_path": filing.source_path,
        "content_sha256": filing.content_sha256,
        "parse_warnings": json.dumps(filing.warnings) if filing.warnings else None,
    }
    values["filings"] += map(document.get, LOADED_COLUMNS["filings"])


class Loader:
    """Writes batches of filings and build errors into one database, a batch per transaction."""

    def __init__(self, db_path: str):
        self.db_path = Path(db_path)
        self.is_new = not self.db_path.exists()
        # A new database is written into a side file, fast (no fsync, no secondary indexes until
        # the end), and appears under its name only when complete.
        self.work_path = self.db_path.with_name(self.db_path.name + ".partial") if self.is_new else self.db_path
        if self.is_new:
            self.work_path.unlink(missing_ok=True)  # left by a run that was killed
        # Batches load in the build's writer thread, one at a time; the rest happens in its main one.
        self.conn = sqlite3.connect(self.work_path, check_same_thread=False, cached_statements=256)
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
        self.conn.execute(f"CREATE TEMP TABLE {LOADED_FOOTNOTES} ({', '.join(LOADED_FOOTNOTE_COLUMNS)})")
        self.conn.execute(f"CREATE TEMP TABLE {LOADED_MARKS} ({', '.join(LOADED_MARK_COLUMNS)})")
        self.conn.execute("CREATE TEMP TABLE deleted_texts (id INTEGER PRIMARY KEY)")  # by delete_filings

    def load_batch(self, batch: Batch) -> dict[str, str]:
        """Load a batch's filings and record its errors in one transaction.

        Returns accession -> new | replaced | unchanged.
        """
        stored = self.stored_versions(list(batch.filings))
        outcome = {accession: compare(stored.get(accession), summary)
                   for accession, summary in batch.filings.items()}
        unchanged = {accession for accession, result in outcome.items() if result == "unchanged"}
        values = batch.without(unchanged) if unchanged else batch.values
        with self.conn:
            self.delete_filings([accession for accession, result in outcome.items() if result == "replaced"])
            first_rowids = {table: self.next_rowid(table) for table in FULL_TEXT}
            for table, table_values in values.items():
                self.insert(table, table_values)
            self.store_footnotes()
            for table, columns in FULL_TEXT.items():
                self.index_text(table, columns, first_rowids[table])
            self.upsert_dimensions(first_rowids["filings"])
            self.merge_sources(batch.filings, stored)
            for chunk in batched(batch.loaded_paths, 500):  # a file read now has no error left
                self.conn.execute(f"DELETE FROM build_errors WHERE source_path IN ({', '.join('?' * len(chunk))})", chunk)
            self.conn.executemany("INSERT OR REPLACE INTO build_errors VALUES (?, ?, ?)", batch.errors)
        return outcome

    def insert(self, table: str, values: list) -> None:
        """Insert rows (a flat list of their values) many to a statement: SQLite then works long
        without Python's lock, so a build reading files in another thread goes on meanwhile (row
        by row, the two threads would mostly wait for each other). Chunks are of ROWS_PER_INSERT
        rows, then powers of two, so a few statement texts serve every batch. (Larger chunks were
        no faster and their prepared statements took tens of megabytes.)"""
        width = len(LOADED_COLUMNS[table])
        most = min(ROWS_PER_INSERT, MAX_PARAMETERS // width)
        rows = len(values) // width
        start = 0
        while start < rows:
            size = min(most, 1 << ((rows - start).bit_length() - 1))
            self.conn.execute(multi_row_insert(table, size), values[start * width : (start + size) * width])
            start += size

    def store_footnotes(self) -> None:
        """Store the batch's footnotes and their marks (see schema.store_footnotes and store_footnote_marks)."""
        store_footnotes(self.conn, f"temp.{LOADED_FOOTNOTES}")
        store_footnote_marks(self.conn, f"temp.{LOADED_MARKS}")
        self.conn.execute(f"DELETE FROM temp.{LOADED_FOOTNOTES}")
        self.conn.execute(f"DELETE FROM temp.{LOADED_MARKS}")

    def drop_secondary_indexes(self) -> None:
        """Load without secondary indexes; close() builds each in one sorted pass, much faster.
        (Not the one the loader looks footnote texts up by.)"""
        for (name,) in self.conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL AND name NOT IN (?)",
            [FOOTNOTE_TEXT_LOOKUP],
        ).fetchall():
            self.conn.execute(f"DROP INDEX [{name}]")

    def stored_versions(self, accessions: list[str]) -> dict[str, Stored]:
        found = {}
        for chunk in batched(accessions, 500):
            sql = ("SELECT accession_number, content_sha256, source_format, filing_date, sources "
                   "FROM filings WHERE accession_number IN ({})")
            for accession, sha256, source_format, filing_date, sources in self.conn.execute(
                    sql.format(", ".join("?" * len(chunk))), chunk):
                found[accession] = Stored(sha256, SOURCE_RANK.get(source_format, 0), filing_date, sources)
        return found

    def merge_sources(self, loaded: dict[str, Summary], stored: dict[str, Stored]) -> None:
        """A filing met in several sources keeps the rows of the fullest and what any of them
        told: the filing date (bare XML has none), and the list of its sources."""
        updates = []
        for accession, summary in loaded.items():
            before = stored.get(accession)
            if before is None and summary.sources == summary.source_format:
                continue  # one source: its row says all
            sources = joined_sources(summary.sources, before and before.sources)
            updates.append((summary.filing_date or (before and before.filing_date), sources, accession))
        self.conn.executemany(
            "UPDATE filings SET filing_date = coalesce(filing_date, ?), sources = ? WHERE accession_number = ?",
            updates)

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
        """Delete filings with their rows, and the footnote texts no other filing has."""
        keys = [(accession,) for accession in accessions]
        of_filing = "filing_rowid = (SELECT rowid FROM filings WHERE accession_number = ?)"
        self.conn.executemany(
            f"INSERT OR IGNORE INTO temp.deleted_texts SELECT text_id FROM filing_footnotes WHERE {of_filing}", keys)
        for table, columns in FULL_TEXT.items():
            if table == "footnote_texts":
                continue
            names = ", ".join(columns)
            self.conn.executemany(
                f"INSERT INTO {table}_fts ({table}_fts, rowid, {names}) "
                f"SELECT 'delete', rowid, {names} FROM {table} WHERE accession_number = ?",
                keys,
            )
        for table in FOOTNOTE_TABLES:
            self.conn.executemany(f"DELETE FROM {table} WHERE {of_filing}", keys)
        for table in (*CHILD_TABLES, "filings"):
            self.conn.executemany(f"DELETE FROM {table} WHERE accession_number = ?", keys)
        unused = ("id IN (SELECT id FROM temp.deleted_texts) "
                  "AND NOT EXISTS (SELECT 1 FROM filing_footnotes f WHERE f.text_id = footnote_texts.id)")
        self.conn.execute("INSERT INTO footnote_texts_fts (footnote_texts_fts, rowid, text) "
                          f"SELECT 'delete', id, text FROM footnote_texts WHERE {unused}")
        self.conn.execute(f"DELETE FROM footnote_texts WHERE {unused}")
        self.conn.execute("DELETE FROM temp.deleted_texts")

    def upsert_dimensions(self, first_filing: int) -> None:
        """Keep each issuer and owner at the name of its most recent filing (by period, then
        accession), from the filings inserted from the given rowid on and their owners."""
        self.conn.execute(
            """INSERT INTO issuers
            SELECT issuer_cik, issuer_name, issuer_trading_symbol, coalesce(period_of_report, ''), accession_number
            FROM filings WHERE rowid >= ? AND issuer_cik IS NOT NULL ORDER BY 4, 5
            ON CONFLICT (issuer_cik) DO UPDATE SET issuer_name = excluded.issuer_name,
                issuer_trading_symbol = excluded.issuer_trading_symbol,
                as_of_period = excluded.as_of_period, as_of_accession = excluded.as_of_accession
            WHERE (excluded.as_of_period, excluded.as_of_accession)
                >= (issuers.as_of_period, issuers.as_of_accession)""",
            [first_filing],
        )
        self.conn.execute(
            """INSERT INTO owners
            SELECT o.owner_cik, o.owner_name, coalesce(f.period_of_report, ''), f.accession_number
            FROM filings f JOIN filing_owners o ON o.accession_number = f.accession_number
            WHERE f.rowid >= ? AND o.owner_cik IS NOT NULL ORDER BY 3, 4
            ON CONFLICT (owner_cik) DO UPDATE SET owner_name = excluded.owner_name,
                as_of_period = excluded.as_of_period, as_of_accession = excluded.as_of_accession
            WHERE (excluded.as_of_period, excluded.as_of_accession)
                >= (owners.as_of_period, owners.as_of_accession)""",
            [first_filing],
        )

    def build_indexes(self) -> None:
        """Build the indexes a new database was loaded without, and the statistics that let
        SQLite's planner use them well (derived facts and the site's queries depend on both).

        In a new database, the indexes on derived columns wait for index_derived_columns: derive
        fills those columns on nearly every row, and moving each row's entries in these indexes
        costs more than the rest of the derive."""
        with self.conn:
            create_indexes(self.db, derived_indexes=not self.is_new)
        self.conn.execute("PRAGMA analysis_limit = 1000")  # approximate statistics, in bounded time
        self.conn.execute("ANALYZE")

    def index_derived_columns(self) -> None:
        """Build the indexes on derived columns a new database was derived without, with their statistics."""
        if not self.is_new:
            return  # an existing database kept them
        before = self.index_names()
        with self.conn:
            create_indexes(self.db)
        for name in sorted(self.index_names() - before):
            self.conn.execute(f"ANALYZE [{name}]")

    def index_names(self) -> set[str]:
        return {name for (name,) in self.conn.execute("SELECT name FROM sqlite_master WHERE type = 'index'")}

    def close(self) -> None:
        """Leave one self-contained file, ready to publish or serve (after build_indexes)."""
        self.conn.execute("PRAGMA optimize")
        if not self.is_new:
            self.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        try:
            self.conn.execute("PRAGMA journal_mode = DELETE")
        except sqlite3.OperationalError:
            pass  # another process (a Datasette serving it) has the file open: it stays in WAL mode
        self.conn.close()
        if self.is_new:
            os.replace(self.work_path, self.db_path)

    def abandon(self) -> None:
        """Stop without finishing: an unfinished new database is removed, an existing one keeps
        what its committed batches loaded."""
        self.conn.close()
        if self.is_new:
            self.work_path.unlink(missing_ok=True)


def joined_sources(*sources: str | None) -> str:
    """Source lists ("dataset xml") joined into one, each source once, sorted."""
    return " ".join(sorted({source for listed in sources if listed for source in listed.split()}))


def batched(items: Iterable, size: int) -> Iterator[list]:
    """The items in lists of ``size`` (the last one shorter), taken as they come."""
    iterator = iter(items)
    while chunk := list(islice(iterator, size)):
        yield chunk


@functools.cache
def multi_row_insert(table: str, rows: int) -> str:
    """INSERT of ``rows`` rows into ``table``, all columns the loader fills."""
    columns = LOADED_COLUMNS[table]
    values = "({})".format(", ".join("?" * len(columns)))
    return f"INSERT INTO {table} ({', '.join(columns)}) VALUES {', '.join([values] * rows)}"


def compare(stored: Stored | None, summary: Summary) -> str:
    """What loading a filing does, given the version stored: new, replaced or unchanged (the same
    file, or a sparser source of a filing stored from a fuller one)."""
    if stored is None:
        return "new"
    if stored.content_sha256 == summary.content_sha256 or stored.rank > summary.rank:
        return "unchanged"
    return "replaced"
