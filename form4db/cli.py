"""The form4db command line."""

import datetime
import sqlite3
import sys
import time
from contextlib import contextmanager
from pathlib import Path
from types import SimpleNamespace

import click
import sqlite_utils

from .build import build as build_database
from .build import find_files, import_datasets, load_fetched
from .derive import derive as derive_facts
from .edgar import (
    DEFAULT_BASE_URL,
    USER_AGENT_ENV,
    Cache,
    Edgar,
    FetchError,
    fetch,
    fetch_datasets,
    ownership_forms,
    quarters,
    user_agent_or_fail,
)
from .refresh import CheckError
from .refresh import refresh as refresh_release
from .release import RECENT_MONTHS
from .release import publish as publish_release
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

    with progress_bar(paths) as bar:
        report = build_database(paths, db_path, on_error=warn, on_progress=bar.update, jobs=jobs)
    click.echo(report.summary())
    if strict and report.errors:
        sys.exit(1)


@cli.command("import-datasets")
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True))
@click.option("--db", "db_path", default="form4.db", show_default=True, help="SQLite database to create or update.")
@click.option("--strict", is_flag=True, help="Exit with status 1 if anything could not be imported.")
@click.option("--jobs", default=0, show_default=True, type=click.IntRange(min=0),
              help="Worker processes that turn a quarter's rows into filings while this one writes.")
def import_datasets_command(paths, db_path, strict, jobs):
    """Import the SEC's quarterly Insider Transactions Data Sets: {YYYY}q{N}_form345.zip files,
    folders of their TSV files, or folders of either.

    A filing also loaded from XML or a full submission keeps those rows; the data set adds its
    filing date when the XML gave none. A table missing from a quarter, or a column nobody
    knows, is reported (and listed in build_errors); the rest is imported.
    """
    report = import_datasets(paths, db_path, on_error=warn, jobs=jobs)
    click.echo(report.summary(unit="filings read"))
    if strict and report.errors:
        sys.exit(1)


def options(*decorators):
    """One decorator applying several click options, in the order given."""

    def apply(command):
        for decorator in reversed(decorators):
            command = decorator(command)
        return command

    return apply


# What every command asking EDGAR takes: who is asking, how fast, how stubbornly, where.
edgar_options = options(
    click.option("--cache", "cache_dir", default="edgar-cache", show_default=True, type=click.Path(file_okay=False),
                 help="Where downloads are kept: full submissions by accession, data sets in CACHE/datasets."),
    click.option("--user-agent", help=f"Who is asking, with a contact e-mail (or set {USER_AGENT_ENV})."),
    click.option("--rate", default=10.0, show_default=True, type=click.FloatRange(0.1, 10),
                 help="Requests per second in total, at most EDGAR's limit of 10."),
    click.option("--attempts", default=5, show_default=True, type=click.IntRange(min=1),
                 help="Tries per request before a filing or quarter is recorded as failed."),
    click.option("--base-url", default=DEFAULT_BASE_URL, show_default=True, help="EDGAR, or a mirror of it."),
)
forms_option = click.option("--forms", default="3,4,5,144", show_default=True,
                            help="Ownership forms, and 144 (notices of proposed sale); their /A come along.")
# The options fetch and update share.
fetch_options = options(
    click.option("--since", required=True, type=click.DateTime(["%Y-%m-%d"]), help="First filing date, YYYY-MM-DD."),
    click.option("--until", type=click.DateTime(["%Y-%m-%d"]), help="Last filing date (default: today)."),
    forms_option,
    edgar_options,
)


def edgar_client(user_agent, rate, attempts, base_url) -> Edgar:
    """The polite EDGAR client; a usage error (exit 2, no request made) without a User-Agent."""
    try:
        return Edgar(user_agent_or_fail(user_agent), base_url=base_url, rate=rate, attempts=attempts)
    except FetchError as error:
        raise click.UsageError(str(error)) from None


def warn(path, reason):
    click.echo(f"warning: {path}: {reason}", err=True)


def forms_and_client(forms, user_agent, rate, attempts, base_url) -> tuple[set[str], Edgar]:
    """The forms asked for and the EDGAR client; a usage error (exit 2, no request made) for either."""
    try:
        wanted = ownership_forms(forms)
    except FetchError as error:
        raise click.UsageError(str(error)) from None
    return wanted, edgar_client(user_agent, rate, attempts, base_url)


def run_fetch(since, until, forms, cache_dir, user_agent, rate, attempts, base_url):
    """Fetch with a progress bar on a terminal; print the summary; exit 2 on a usage error."""
    wanted, edgar = forms_and_client(forms, user_agent, rate, attempts, base_url)
    today = datetime.date.today()
    until = until.date() if until else today
    with fetch_progress() as (on_listed, on_progress):
        try:
            report = fetch(edgar, Cache(Path(cache_dir)), since.date(), until, wanted, today,
                           on_progress=on_progress, on_listed=on_listed)
        except FetchError as error:  # an index file could not be had: nothing to go on
            raise click.ClickException(str(error)) from None
        finally:
            edgar.close()
    click.echo(report.summary())
    for accession, reason in report.failed:
        warn(accession, reason)
    return report


@cli.command("fetch")
@fetch_options
def fetch_command(**options):
    """Download the full submissions of Forms 3, 4 and 5 filed in a date range from EDGAR.

    Reads EDGAR's daily indexes (a whole past quarter's full index where it can), keeps each
    filing once, and downloads what the cache does not hold yet, within EDGAR's fair-access
    rules. Filings that fail after their retries are listed in CACHE/fetch-failures.tsv and
    tried again by the next run.
    """
    run_fetch(**options)


@cli.command("fetch-datasets")
@click.option("--quarters", "spec", required=True, help="Quarters: 2006q1..2025q4, 2024q3, or a list: 2023q4,2024q1.")
@edgar_options
def fetch_datasets_command(spec, cache_dir, user_agent, rate, attempts, base_url):
    """Download the SEC's quarterly Insider Transactions Data Sets (2006 on) into the cache,
    through the same polite client as fetch; then `form4db import-datasets CACHE/datasets`."""
    try:
        wanted = quarters(spec)
    except FetchError as error:
        raise click.UsageError(str(error)) from None
    edgar = edgar_client(user_agent, rate, attempts, base_url)
    with progress_bar_of(len(wanted), "Data sets") as bar:
        try:
            report = fetch_datasets(edgar, Cache(Path(cache_dir)), wanted, on_progress=lambda quarter: bar.update(1))
        finally:
            edgar.close()
    click.echo(report.summary())
    for quarter, reason in report.failed:
        warn(quarter, reason)


@cli.command()
@fetch_options
@click.option("--db", "db_path", default="form4.db", show_default=True, help="SQLite database to create or update.")
@click.option("--jobs", default=0, show_default=True, type=click.IntRange(min=0), help="As for build.")
def update(db_path, jobs, **options):
    """Fetch, then load the fetched filings the database does not hold yet."""
    report = run_fetch(**options)
    summary = load_fetched(report.files, db_path, on_error=warn, jobs=jobs)
    click.echo(summary.summary() if summary else "nothing new to load")


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


@cli.command()
@click.argument("db_path", metavar="DB", type=click.Path(exists=True, dir_okay=False))
@click.option("--out", required=True, type=click.Path(file_okay=False), help="The release folder to create (must not exist).")
@click.option("--recent-months", default=RECENT_MONTHS, show_default=True, type=click.IntRange(min=1),
              help="How many months of filings the recent database holds.")
def publish(db_path, out, recent_months):
    """Make a release folder from a database: the database compacted, gzip-compressed, a recent
    database of the last months, Datasette's inspect data of both, release.json and SHA256SUMS.
    The same database gives the same bytes."""
    started = time.perf_counter()
    try:
        release = publish_release(Path(db_path), Path(out), recent_months, on_step=step)
    except FileExistsError as error:
        raise click.UsageError(str(error)) from None
    click.echo(release_summary(release.manifest, out, time.perf_counter() - started))


@cli.command()
@click.option("--last", required=True, help="The last release: its folder, or the URL its files are under.")
@click.option("--out", required=True, type=click.Path(file_okay=False),
              help="Where the new release goes, if anything changed (must not exist).")
@click.option("--until", type=click.DateTime(["%Y-%m-%d"]), help="Last filing date to fetch (default: today).")
@forms_option
@edgar_options
@click.option("--site", default=".", show_default=True, type=click.Path(exists=True, file_okay=False),
              help="The Datasette configuration directory whose screens the check runs.")
def refresh(last, out, until, forms, cache_dir, user_agent, rate, attempts, base_url, site):
    """Refresh the last release: fetch what EDGAR published since its newest acceptance time,
    load and derive it, check the database (integrity, no count shrinks, every screen answers),
    and publish a new release into OUT only when the content changed.

    Exits 0 whether or not it published (OUT exists only if it did), 1 when a check fails.
    """
    wanted, edgar = forms_and_client(forms, user_agent, rate, attempts, base_url)
    today = datetime.date.today()
    started = time.perf_counter()
    try:
        refreshed = refresh_release(last, Path(out), edgar, Cache(Path(cache_dir)), wanted,
                                    until.date() if until else today, today, Path(site), on_step=step, on_error=warn)
    except (FileExistsError, FileNotFoundError, ValueError) as error:
        raise click.UsageError(str(error)) from None
    except (CheckError, FetchError) as error:
        raise click.ClickException(str(error)) from None
    finally:
        edgar.close()
    click.echo(f"{refreshed.fetched.summary()}; {refreshed.loaded:,} filings loaded")
    if refreshed.release is None:
        click.echo("nothing changed since the last release: nothing published")
        return
    click.echo(release_summary(refreshed.release.manifest, out, time.perf_counter() - started))


def step(name: str) -> None:
    click.echo(f"step: {name}")


def release_summary(manifest: dict, out: str, seconds: float) -> str:
    files = ", ".join(f"{name} {details['bytes']:,} bytes" for name, details in manifest["files"].items())
    return (f"published {out} in {seconds:.1f}s: {manifest['counts']['filings']:,} filings, newest filed "
            f"{manifest['newest_filing_date']}, {manifest['recent']['filings']:,} in the recent database; {files}; "
            f"content hash {manifest['content_hash'][:16]}")


@contextmanager
def fetch_progress():
    """(on_listed, on_progress) callbacks drawing a bar with counts, bytes and ETA on a terminal."""
    if not sys.stderr.isatty():
        yield (lambda count: None), (lambda files, size: None)
        return
    state = {"bar": None, "bytes": 0}

    def on_listed(count):
        state["bar"] = click.progressbar(length=count, label="Downloading", file=sys.stderr, show_pos=True,
                                         show_eta=True, item_show_func=lambda _: f"{state['bytes'] / 2**20:,.1f} MiB")
        state["bar"].__enter__()

    def on_progress(files, size):
        state["bytes"] += size
        state["bar"].update(files, current_item=True)

    try:
        yield on_listed, on_progress
    finally:
        if state["bar"] is not None:
            state["bar"].__exit__(None, None, None)


@contextmanager
def progress_bar_of(length: int, label: str):
    """A progress bar of ``length`` steps on a terminal, nothing otherwise."""
    if not sys.stderr.isatty():
        yield SimpleNamespace(update=lambda steps: None)
        return
    with click.progressbar(length=length, label=label, file=sys.stderr, show_pos=True, show_eta=True) as bar:
        yield bar


@contextmanager
def progress_bar(paths):
    """A progress bar of files on a terminal (counting them first, quickly), nothing otherwise."""
    total = sum(1 for _ in find_files(paths)) if sys.stderr.isatty() else 0
    with progress_bar_of(total, "Loading") as bar:
        yield bar


if __name__ == "__main__":
    cli()
