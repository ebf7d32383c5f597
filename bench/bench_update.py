"""Benchmark a day's update of a large database: load a folder of new filings into a copy of the
database (with the incremental derive a build does), then check it against a whole derive.

    python bench/bench_update.py bench/out/synthetic.db bench/out/day

Prints the seconds of the update (load and derive) and of a whole derive of the same database,
and the rows in which the two disagree (there must be none).
"""

import shutil
import sqlite3
import time
from pathlib import Path

import click
from bench_queries import filing_count
from results import record

from form4db.build import build
from form4db.derive import derive
from form4db.schema import WIDE_TABLES

NOT_COMPARED = ("_fts", "_fts_data", "_fts_idx", "_fts_docsize", "_fts_config")


def differing_rows(updated: Path, whole: Path) -> dict[str, int]:
    """Rows of each table found in one database and not in the other."""
    conn = sqlite3.connect(updated)
    conn.execute("ATTACH DATABASE ? AS whole", [str(whole)])
    tables = [name for name, in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
              if not name.endswith(NOT_COMPARED) and not name.startswith("sqlite_")]
    differ = {}
    for table in tables:
        # The screener's tables number their rows in the order they were derived: rowid aside.
        columns = ", ".join(name for _, name, *_ in conn.execute(f"PRAGMA table_info({table})")
                            if not (table in WIDE_TABLES and name == "rowid"))
        count = conn.execute(f"SELECT (SELECT count(*) FROM (SELECT {columns} FROM main.{table} EXCEPT "
                             f"SELECT {columns} FROM whole.{table})) + (SELECT count(*) FROM (SELECT {columns} FROM "
                             f"whole.{table} EXCEPT SELECT {columns} FROM main.{table}))").fetchone()[0]
        if count:
            differ[table] = count
    conn.close()
    return differ


@click.command()
@click.argument("db", type=click.Path(exists=True, dir_okay=False))
@click.argument("day", type=click.Path(exists=True, file_okay=False))
@click.option("--check/--no-check", default=True, show_default=True,
              help="Also derive everything on a copy and compare every table.")
@click.option("--results", type=click.Path(dir_okay=False), help="Also append the figures to this file (bench/results.py).")
def main(db, day, check, results):
    db, work = Path(db), Path(db).with_name("update-bench.db")
    shutil.copyfile(db, work)
    filings = filing_count(work)
    report = build([day], str(work))
    print(f"database of {filings:,} filings; update of {report.new:,} new filings: {report.seconds:.1f} s "
          f"(derive {report.derive_seconds:.1f} s, incremental: {report.loaded is not None})")
    update = f"update: {report.new:,} new filings into {filings:,}"
    record(results, update, "seconds (derive)", f"{report.seconds:.1f} ({report.derive_seconds:.1f})", "seconds, not a rebuild")
    if check:
        whole = work.with_name("update-bench-whole.db")
        shutil.copyfile(work, whole)
        conn = sqlite3.connect(whole)
        started = time.perf_counter()
        derive(conn)
        seconds = time.perf_counter() - started
        conn.close()
        print(f"a whole derive of the updated database: {seconds:.1f} s "
              f"({seconds / report.derive_seconds:.0f}x the incremental one)")
        differ = differing_rows(work, whole)
        print("rows that differ from the whole derive:", differ or "none")
        record(results, update, "whole derive of the result, seconds", f"{seconds:.0f}")
        record(results, update, "rows that differ from the whole derive", str(sum(differ.values())), "0")
        whole.unlink()
    work.unlink()


if __name__ == "__main__":
    main()
