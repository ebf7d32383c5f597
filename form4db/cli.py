"""The form4db command line."""

import sqlite3
import sys
import time
from contextlib import contextmanager
from types import SimpleNamespace

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
@click.option("--jobs", default=0, show_default=True, type=click.IntRange(min=0),
              help="Worker processes that read files while this one writes (0: read here too).")
def build(paths, db_path, strict, jobs):
    """Load ownership XML files (or folders of them, read recursively) into the database.

    Re-running is safe: filings already loaded with the same content are left alone, new ones
    are added. Files that cannot be read are listed in the build_errors table and reported here;
    they never stop the build.
    """

    def warn(path, reason):
        click.echo(f"warning: {path}: {reason}", err=True)

    with progress_bar(paths) as bar:
        report = build_database(paths, db_path, on_error=warn, on_progress=bar.update, jobs=jobs)
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


@contextmanager
def progress_bar(paths):
    """A progress bar on a terminal (counting the files first, quickly), nothing otherwise."""
    if not sys.stderr.isatty():
        yield SimpleNamespace(update=lambda files: None)
        return
    total = sum(1 for _ in find_files(paths))
    with click.progressbar(length=total, label="Loading", file=sys.stderr, show_pos=True) as bar:
        yield bar
