"""`form4db publish`: a release folder made from a database, the same bytes from the same inputs.

A release holds:

- form4.db: the database, compacted (VACUUM INTO), with its statistics;
- form4.db.gz: the same, gzip-compressed (every system opens gzip, Python's standard library
  included; zstd would be smaller and faster but needs a tool most users lack);
- form4-recent.db: the filings of the last RECENT_MONTHS calendar months (the newest filing's
  month included) with everything derived from them, for casual use and for hosts that serve a few gigabytes at most;
- inspect-data.json and inspect-data-recent.json: Datasette's counts of each, so either is
  served immutable without counting at start-up (both as form4.db, the name metadata.yml
  configures);
- release.json: counts, the newest filing and acceptance time, the source quarters, the build
  version and the content hash;
- SHA256SUMS, in the format `sha256sum -c` reads.

Nothing in a release depends on the clock, so publishing the same database twice gives the
same bytes. The content hash covers what the data is made from, every filing's content and
sources, the files that failed, and the code that derives (CODE_VERSION): equal hashes mean
equal data, so a refresh publishes only when its hash differs from the last release's.
"""

import gzip
import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path

import sqlite_utils

from .loader import CHILD_TABLES
from .schema import DERIVED_FULL_TEXT, FOOTNOTE_TABLES, FULL_TEXT, WIDE_TABLES, ensure_schema

DATABASE = "form4.db"
COMPRESSED = "form4.db.gz"
RECENT = "form4-recent.db"
INSPECT = "inspect-data.json"
INSPECT_RECENT = "inspect-data-recent.json"
MANIFEST = "release.json"
CHECKSUMS = "SHA256SUMS"
RECENT_MONTHS = 24
# The tables whose rows a release counts (and a refresh checks only grow).
COUNTED = ("filings", "filing_owners", "nonderiv_transactions", "nonderiv_holdings", "deriv_transactions",
           "deriv_holdings", "filing_footnotes", "footnote_marks", "signatures", "issuers", "owners")


def code_version() -> str:
    """The package version and a digest of the code that reads and derives (form4db/**/*.py)."""
    digest = hashlib.sha256()
    package = Path(__file__).parent
    for path in sorted(package.rglob("*.py")):
        digest.update(path.relative_to(package).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return f"{version('form4db')}+{digest.hexdigest()[:12]}"


def content_hash(conn: sqlite3.Connection, code: str) -> str:
    """sha256 of what the data is made from: each filing's accession, content hash, sources and
    filing date, each failed file, and the code version."""
    digest = hashlib.sha256(code.encode() + b"\n")
    for query in ("SELECT accession_number, content_sha256, sources, filing_date FROM filings ORDER BY 1",
                  "SELECT source_path, error, content_sha256 FROM build_errors ORDER BY 1"):
        for row in conn.execute(query):
            digest.update(json.dumps(row).encode() + b"\n")
    return digest.hexdigest()


def counts(conn: sqlite3.Connection) -> dict[str, int]:
    """The rows of each counted table."""
    return {table: conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0] for table in COUNTED}


def describe(conn: sqlite3.Connection) -> dict:
    """The counts and dates release.json gives of a database."""
    newest_filing, newest_acceptance = conn.execute(
        "SELECT max(filing_date), max(acceptance_datetime) FROM filings").fetchone()
    quarters = [row[0] for row in conn.execute(
        "SELECT DISTINCT substr(filing_date, 1, 4) || 'q' || ((substr(filing_date, 6, 2) + 2) / 3) FROM filings "
        "WHERE filing_date IS NOT NULL ORDER BY 1")]
    return {
        "counts": counts(conn),
        "newest_filing_date": newest_filing,
        "newest_acceptance_datetime": newest_acceptance,
        "source_quarters": quarters,
    }


@dataclass
class Release:
    folder: Path
    manifest: dict

    @classmethod
    def read(cls, folder: Path, only: tuple[str, ...] | None = None) -> "Release":
        """A release folder, its checksums verified (of the files named in ``only``, else all)."""
        verify_checksums(folder, only)
        return cls(folder, json.loads((folder / MANIFEST).read_text()))

    @property
    def content_hash(self) -> str:
        return self.manifest["content_hash"]


def publish(db_path: Path, out: Path, recent_months: int = RECENT_MONTHS, on_step=lambda step: None) -> Release:
    """Make the release folder ``out`` from a database: written beside it as OUT.partial and
    renamed when complete, so a folder named OUT is always whole."""
    out = Path(out)
    work = work_folder(out, ".partial")
    code = code_version()
    on_step("compact")
    compact(db_path, work / DATABASE)
    on_step("recent")
    conn = sqlite3.connect(work / DATABASE)
    try:
        manifest = {"content_hash": content_hash(conn, code), "form4db_version": code, **describe(conn)}
        cutoff = recent_cutoff(conn, recent_months)
    finally:
        conn.close()
    manifest["recent"] = {"months": recent_months, **make_recent(work / DATABASE, work / RECENT, cutoff)}
    on_step("compress")
    compress(work / DATABASE, work / COMPRESSED)
    on_step("inspect")
    inspect(work / DATABASE, work / INSPECT)
    inspect(work / RECENT, work / INSPECT_RECENT)
    files = [DATABASE, COMPRESSED, RECENT, INSPECT, INSPECT_RECENT]
    manifest["files"] = {name: {"bytes": (work / name).stat().st_size} for name in files}
    (work / MANIFEST).write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    write_checksums(work, [*files, MANIFEST])
    os.replace(work, out)
    return Release(out, manifest)


def work_folder(out: Path, suffix: str) -> Path:
    """A new, empty folder beside ``out`` named OUT + suffix, to make ``out`` in (what a killed run
    left there is removed); FileExistsError if ``out`` exists."""
    if out.exists():
        raise FileExistsError(f"{out}: already exists; choose a new folder")
    work = out.with_name(out.name + suffix)
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    return work


def compact(source: Path, target: Path) -> None:
    """A compacted copy of a database, its pages in key order (the same content, the same bytes),
    in the current layout (a database built by an earlier version is moved to it)."""
    conn = sqlite3.connect(source)
    try:
        conn.execute("VACUUM INTO ?", [str(target)])
    finally:
        conn.close()
    conn = sqlite3.connect(target)
    try:
        with conn:
            ensure_schema(sqlite_utils.Database(conn))
        if conn.execute("PRAGMA freelist_count").fetchone()[0]:
            conn.execute("VACUUM")
    finally:
        conn.close()


def recent_cutoff(conn: sqlite3.Connection, months: int) -> str | None:
    """The first filing date a recent database keeps: the first day of the ``months`` calendar
    months that end with the newest filing's."""
    return conn.execute(f"SELECT date(max(filing_date), 'start of month', '-{int(months) - 1} months') "
                        "FROM filings").fetchone()[0]


def make_recent(full: Path, target: Path, cutoff: str | None) -> dict:
    """A database of the filings filed on or after ``cutoff``, with what is derived from them.

    Derived facts are kept as the full history computed them (a trade's insider class looks back
    three years), not recomputed on the shorter span; the tables of history (an insider's first
    filing, the months of activity) keep the rows of the recent span."""
    with tempfile.TemporaryDirectory(dir=target.parent) as scratch:
        work = Path(scratch) / "recent.db"
        shutil.copyfile(full, work)
        conn = sqlite3.connect(work)
        try:
            with conn:
                drop_before(conn, cutoff or "0000-00-00")
            for table in (*FULL_TEXT, *DERIVED_FULL_TEXT):
                conn.execute(f"INSERT INTO {table}_fts ({table}_fts) VALUES ('rebuild')")
            conn.execute("PRAGMA analysis_limit = 1000")  # approximate statistics, as the build's
            conn.execute("ANALYZE")
            conn.commit()
            conn.execute("VACUUM INTO ?", [str(target)])
            filings = conn.execute("SELECT count(*) FROM filings").fetchone()[0]
        finally:
            conn.close()
    return {"since": cutoff, "filings": filings}


def drop_before(conn: sqlite3.Connection, cutoff: str) -> None:
    """Delete the filings filed before ``cutoff`` (or with no filing date) and every row of them."""
    conn.execute("CREATE TEMP TABLE dropped AS SELECT accession_number FROM filings "
                 "WHERE filing_date IS NULL OR filing_date < ?", [cutoff])
    conn.execute("CREATE UNIQUE INDEX temp.dropped_accession ON dropped (accession_number)")
    dropped = "accession_number IN (SELECT accession_number FROM temp.dropped)"
    for table in FOOTNOTE_TABLES:
        conn.execute(f"DELETE FROM {table} WHERE filing_rowid IN (SELECT rowid FROM filings WHERE {dropped})")
    for table in (*CHILD_TABLES, *WIDE_TABLES, "exercise_sales", "filings"):
        conn.execute(f"DELETE FROM {table} WHERE {dropped}")
    conn.execute("DELETE FROM amendments WHERE amendment_accession IN (SELECT accession_number FROM temp.dropped)")
    conn.execute("DELETE FROM footnote_texts WHERE id NOT IN (SELECT text_id FROM filing_footnotes)")
    month, year = cutoff[:7], cutoff[:4]
    conn.execute("DELETE FROM monthly_activity WHERE month < ?", [month])
    conn.execute("DELETE FROM cluster_windows WHERE last_buy < ?", [cutoff])
    conn.execute("DELETE FROM insider_classes WHERE year < ?", [int(year)])
    conn.execute("DELETE FROM issuer_insiders WHERE last_filed < ?", [cutoff])
    conn.execute("DELETE FROM issuers WHERE issuer_cik NOT IN (SELECT issuer_cik FROM filings WHERE issuer_cik IS NOT NULL)")
    conn.execute("DELETE FROM owners WHERE owner_cik NOT IN "
                 "(SELECT owner_cik FROM filing_owners WHERE owner_cik IS NOT NULL)")
    conn.execute("DROP TABLE temp.dropped")


def compress(source: Path, target: Path) -> None:
    """gzip, with no name or time in the header, so the same file gives the same bytes."""
    with open(source, "rb") as raw, open(target, "wb") as out:
        with gzip.GzipFile(filename="", mode="wb", fileobj=out, mtime=0, compresslevel=6) as packed:
            shutil.copyfileobj(raw, packed, 1 << 20)


def inspect(db: Path, target: Path) -> None:
    """Datasette's inspect data of a database, as served under the name form4.db."""
    with tempfile.TemporaryDirectory(dir=db.parent) as scratch:
        link = Path(scratch) / DATABASE
        link.symlink_to(db.resolve())
        subprocess.run([sys.executable, "-m", "datasette", "inspect", DATABASE, "--inspect-file", str(target.resolve())],
                       cwd=scratch, check=True, stdout=subprocess.DEVNULL)


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as file:
        while chunk := file.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def write_checksums(folder: Path, names: list[str]) -> None:
    lines = [f"{sha256_of(folder / name)}  {name}\n" for name in sorted(names)]
    (folder / CHECKSUMS).write_text("".join(lines))


def verify_checksums(folder: Path, only: tuple[str, ...] | None = None) -> None:
    """Raise ValueError naming the first file of SHA256SUMS (or of those in ``only``) that is
    missing or differs."""
    sums = folder / CHECKSUMS
    if not sums.exists():
        raise ValueError(f"{sums}: missing; not a release folder")
    for line in sums.read_text().splitlines():
        expected, name = line.split(maxsplit=1)
        name = name.lstrip("*")
        if only is not None and name not in only:
            continue
        path = folder / name
        if not path.exists():
            raise ValueError(f"{path}: listed in {CHECKSUMS} but missing")
        if sha256_of(path) != expected:
            raise ValueError(f"{path}: its sha256 differs from {CHECKSUMS}'s (a damaged or partial download)")
