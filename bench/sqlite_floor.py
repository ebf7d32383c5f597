"""What SQLite alone takes to write a built database: the yardstick for the loader, as lxml alone
is for the reader.

The loaded columns of every table of a built database are copied into a new one with SQL alone,
then its full-text and secondary indexes and statistics are built, all as a build does before
derive: same schema, settings and rows, no Python per row. No build that writes these rows into
one SQLite file can spend less time in SQLite, so filings/s here bound what `form4db build` (or
import-datasets) can reach without derive, however fast it reads.

    python bench/sqlite_floor.py built.db
"""

import tempfile
import time
from pathlib import Path

import click
from results import record

from form4db.loader import CHILD_TABLES, Loader
from form4db.schema import FOOTNOTE_TABLES, FULL_TEXT, base_columns


def sqlite_floor(built: Path, scratch: Path) -> tuple[int, float]:
    """(filings, seconds) of writing ``built``'s loaded rows, full text and indexes into a new
    database at ``scratch`` (removed after)."""
    loader = Loader(str(scratch))
    conn = loader.conn
    conn.execute("ATTACH DATABASE ? AS built", [str(built)])
    filings = conn.execute("SELECT count(*) FROM built.filings").fetchone()[0]
    started = time.perf_counter()
    with conn:
        columns = base_columns()
        for table in ("filings", *CHILD_TABLES, *FOOTNOTE_TABLES, "footnote_texts"):  # in key order
            names = ", ".join(name for name, _ in columns[table])
            rowid = "rowid, " if table == "filings" else ""  # which the footnotes are filed under
            conn.execute(f"INSERT INTO main.{table} ({rowid}{names}) SELECT {rowid}{names} FROM built.{table}")
        for table, columns in FULL_TEXT.items():
            loader.index_text(table, columns, 1)
    conn.execute("DETACH DATABASE built")
    loader.build_indexes()
    seconds = time.perf_counter() - started
    loader.abandon()
    return filings, seconds


def report_sqlite_floor(built: Path, scratch: Path, results: str | None, benchmark: str, what: str) -> None:
    """Measure the yardstick on ``built``, print it, and record it under ``benchmark`` (bench/results.py)."""
    filings, seconds = sqlite_floor(built, scratch)
    print(f"SQLite alone writes their rows, full text and indexes at {filings / seconds:,.0f} filings/s")
    record(results, benchmark, f"SQLite alone, {what}", f"{filings / seconds:,.0f} filings/s")


@click.command()
@click.argument("built", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def main(built):
    with tempfile.TemporaryDirectory(prefix="form4db-floor-") as tmp:
        filings, seconds = sqlite_floor(built, Path(tmp) / "floor.db")
    print(f"SQLite alone writes {filings:,} filings' rows, full text and indexes in {seconds:.2f} s: "
          f"{filings / seconds:,.0f} filings/s")


if __name__ == "__main__":
    main()
