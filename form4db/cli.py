"""The form4db command line."""

import sqlite3
import sys
import time

import click
import sqlite_utils

from .build import build as build_database
from .build import find_files
from .derive import derive as derive_facts
from .schema import ensure_schema


@click.group()
@click.version_option(package_name="form4db")
def cli():
    """Build and keep an open SQLite database of SEC insider-ownership filings (Forms 3, 4, 5)."""


@cli.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True))
@click.option("--db", "db_path", default="form4.db", show_default=True, help="SQLite database to create or update.")
@click.option("--strict", is_flag=True, help="Exit with status 1 if any file could not be loaded.")
def build(paths, db_path, strict):
    """Load ownership XML files (or folders of them, read recursively) into the database.

    Re-running is safe: filings already loaded with the same content are left alone, new ones
    are added. Files that cannot be read are listed in the build_errors table and reported here;
    they never stop the build.
    """

    def warn(path, reason):
        click.echo(f"warning: {path}: {reason}", err=True)

    def progress(files):
        if not sys.stderr.isatty():
            return files
        total = sum(1 for _ in find_files(paths))  # a quick first pass, for the bar's length
        return _closing(click.progressbar(files, length=total, label="Loading", file=sys.stderr, show_pos=True))

    report = build_database(paths, db_path, on_error=warn, progress=progress)
    click.echo(report.summary())
    if strict and report.errors:
        sys.exit(1)


@cli.command()
@click.option("--db", "db_path", default="form4.db", show_default=True, type=click.Path(exists=True, dir_okay=False),
              help="SQLite database built by `form4db build`.")
def derive(db_path):
    """Recompute the derived facts (values, delays, 10b5-1, amendments, flags, ...) without re-parsing."""
    started = time.perf_counter()
    conn = sqlite3.connect(db_path)
    ensure_schema(sqlite_utils.Database(conn))
    derive_facts(conn)
    conn.close()
    click.echo(f"derived facts recomputed in {time.perf_counter() - started:.1f}s")


def _closing(bar):
    with bar:
        yield from bar
