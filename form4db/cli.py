"""The form4db command line."""

import sys

import click

from .build import build as build_database
from .build import find_files


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


def _closing(bar):
    with bar:
        yield from bar
