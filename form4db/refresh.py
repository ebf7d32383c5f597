"""`form4db refresh`: the last release, plus what EDGAR published since, as a new release.

Steps: take the last release (a folder, or the URL its files are under), fetch the filings
EDGAR listed since the day of its newest acceptance time, load them into a copy of its
database and derive, check the result, and publish it only when its content hash differs.
Everything happens in OUT.work beside the new release's folder and is removed at the end; the
last release is only read. A run killed at any step leaves no OUT folder, and the next run
starts over (downloads already cached are not made again).
"""

import asyncio
import json
import shutil
import sqlite3
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import httpx
import yaml

from .build import load_fetched
from .derive import derive
from .edgar import Cache, Edgar, FetchReport, fetch
from .release import (CHECKSUMS, DATABASE, MANIFEST, Release, code_version, content_hash, counts, publish,
                      work_folder)


class CheckError(Exception):
    """The refreshed database failed a check; nothing was published."""


@dataclass
class Refreshed:
    release: Release | None  # None: nothing changed since the last release, nothing published
    last: dict
    fetched: FetchReport
    loaded: int


def refresh(last: str, out: Path, edgar: Edgar, cache: Cache, forms: set[str], until: date, today: date,
            site: Path, on_step=lambda step: None, on_error=lambda path, reason: None) -> Refreshed:
    work = work_folder(Path(out), ".work")
    try:
        on_step("last release")
        previous = take_release(last, work / "last")
        db = work / DATABASE
        shutil.copyfile(previous.folder / DATABASE, db)
        newest = previous.manifest["newest_acceptance_datetime"] or previous.manifest["newest_filing_date"]
        on_step("fetch")
        fetched = fetch(edgar, cache, date.fromisoformat(newest[:10]), until, forms, today)
        for accession, reason in fetched.failed:
            on_error(accession, reason)
        on_step("update")
        loaded = update(db, fetched.files, previous.manifest["form4db_version"] != code_version(), on_error)
        on_step("check")
        check(db, previous.manifest, site)
        on_step("publish")
        conn = sqlite3.connect(db)
        try:
            changed = content_hash(conn, code_version()) != previous.content_hash
        finally:
            conn.close()
        release = publish(db, out, on_step=on_step) if changed else None
        return Refreshed(release, previous.manifest, fetched, loaded)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def take_release(last: str, scratch: Path) -> Release:
    """The last release: a folder read in place, or its database, manifest and checksums
    downloaded from the URL they are under; checksums verified either way."""
    if not last.startswith(("http://", "https://")):
        return Release.read(Path(last))
    scratch.mkdir()
    base = last.rstrip("/") + "/"
    with httpx.Client(follow_redirects=True, timeout=httpx.Timeout(60.0)) as client:
        for name in (CHECKSUMS, MANIFEST, DATABASE):
            with client.stream("GET", base + name) as response:
                if response.status_code != 200:
                    raise FileNotFoundError(f"{base + name}: HTTP {response.status_code}")
                with open(scratch / name, "wb") as file:
                    for chunk in response.iter_bytes(1 << 20):
                        file.write(chunk)
    return Release.read(scratch, only=(MANIFEST, DATABASE))


def update(db: Path, files: list[Path], code_changed: bool, on_error) -> int:
    """Load the fetched files the database does not hold yet (deriving what they change); derive
    everything when the code that derives changed since the last release. Returns filings loaded."""
    report = load_fetched(files, str(db), on_error=on_error)
    if code_changed:
        conn = sqlite3.connect(db)
        try:
            derive(conn)
        finally:
            conn.close()
    return report.new + report.replaced if report else 0


def check(db: Path, last: dict, site: Path) -> None:
    """Raise CheckError unless the database is sound, holds at least what the last release held,
    and every screen (each canned query, the home page) answers through Datasette."""
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        problems = [row[0] for row in conn.execute("PRAGMA integrity_check")]
        if problems != ["ok"]:
            raise CheckError(f"{db}: integrity check failed: {'; '.join(problems[:5])}")
        now = counts(conn)
    finally:
        conn.close()
    shrunk = [f"{table} {before:,} -> {now.get(table, 0):,}" for table, before in last["counts"].items()
              if now.get(table, 0) < before]
    if shrunk:
        raise CheckError(f"{db}: fewer rows than the last release: {', '.join(shrunk)}")
    failed = asyncio.run(unanswered_screens(db, site))
    if failed:
        raise CheckError(f"{db}: screens that did not answer: {'; '.join(failed)}")


async def unanswered_screens(db: Path, site: Path) -> list[str]:
    """Each screen of the site in ``site`` (metadata.yml, plugins, templates) that does not answer
    200 with its rows, as "path: why"."""
    from datasette.app import Datasette

    metadata = yaml.safe_load((site / "metadata.yml").read_text())
    settings = json.loads((site / "settings.json").read_text())
    datasette = Datasette([str(db)], immutables=[], metadata=metadata, settings=settings,
                          plugins_dir=str(site / "plugins"), template_dir=str(site / "templates"))
    await datasette.invoke_startup()
    paths = ["/", *(f"/form4/{name}.json?_shape=objects" for name in metadata["databases"]["form4"]["queries"])]
    failed = []
    for path in paths:
        response = await datasette.client.get(path)
        if response.status_code != 200:
            failed.append(f"{path}: HTTP {response.status_code}")
        elif path.endswith("objects") and not response.json().get("ok", True):
            failed.append(f"{path}: {response.json().get('error')}")
    return failed
