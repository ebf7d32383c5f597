"""kill -9 at random moments of a build: the database is always the state before or after whole
filings, never corrupt, and the next run completes to the same database as an uninterrupted one."""

import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from contextlib import closing

import pytest

from .conftest import CORPUS_XML, SAMPLE

pytestmark = pytest.mark.usefixtures("corpus")
ROW_TABLES = ["filing_owners", "nonderiv_transactions", "nonderiv_holdings", "deriv_transactions",
              "deriv_holdings", "footnotes", "footnote_refs", "signatures"]


def rows_per_filing(db_path):
    """accession -> its row count in every child table, read in one transaction."""
    with closing(sqlite3.connect(db_path, isolation_level=None)) as conn:
        conn.execute("begin")
        counts = {accession: [] for (accession,) in conn.execute("select accession_number from filings")}
        for table in ROW_TABLES:
            found = dict(conn.execute(f"select accession_number, count(*) from {table} group by 1"))
            for accession, per_table in counts.items():
                per_table.append(found.get(accession, 0))
        conn.execute("commit")
    return counts


def dump(db_path):
    conn = sqlite3.connect(db_path)
    tables = [t for (t,) in conn.execute("select name from sqlite_master where type = 'table' "
                                          "and name not like 'sqlite_%' and name not like '%_fts%'")]
    dumped = {t: sorted(map(repr, conn.execute(f"select * from {t}"))) for t in tables if t != "build_info"}
    conn.close()
    return dumped


@pytest.fixture(scope="module")
def filings(tmp_path_factory):
    """The corpus six times over under new accession numbers: a build that takes a few seconds."""
    folder = tmp_path_factory.mktemp("filings")
    for copy in range(6):
        for i, path in enumerate(sorted(CORPUS_XML.glob("*.xml"))):
            shutil.copy(path, folder / f"{9700000000 + copy:010d}-99-{i:06d}.xml")
    return folder


def build_command(db_path, filings):
    return [sys.executable, "-m", "form4db.cli", "build", str(filings), "--db", str(db_path)]


def run_and_kill(db_path, filings, delay=None, at_least=None):
    """Build, and kill -9 the build after ``delay`` seconds, or once ``at_least`` filings are in."""
    process = subprocess.Popen(build_command(db_path, filings), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    started = time.monotonic()
    while process.poll() is None:
        if delay is not None and time.monotonic() - started >= delay:
            break
        if at_least is not None and count_filings(db_path) >= at_least:
            break
        time.sleep(0.005)
    process.send_signal(signal.SIGKILL)
    process.wait()


def count_filings(db_path):
    try:
        with closing(sqlite3.connect(f"file:{db_path}?mode=ro", uri=True, timeout=0.01)) as conn:
            return conn.execute("select count(*) from filings").fetchone()[0]
    except sqlite3.OperationalError:  # busy: try again
        return 0


@pytest.fixture(scope="module")
def reference(tmp_path_factory, filings):
    """The sample, then the filings, each built without interruption."""
    db_path = tmp_path_factory.mktemp("reference") / "form4.db"
    subprocess.run([sys.executable, "-m", "form4db.cli", "build", str(SAMPLE), "--db", str(db_path)], check=True,
                   capture_output=True)
    subprocess.run(build_command(db_path, filings), check=True, capture_output=True)
    return db_path


def test_kill_9_during_an_update_never_leaves_half_a_filing(tmp_path, filings, reference):
    expected = rows_per_filing(reference)
    db_path = tmp_path / "form4.db"
    subprocess.run([sys.executable, "-m", "form4db.cli", "build", str(SAMPLE), "--db", str(db_path)], check=True,
                   capture_output=True)
    randomly = random.Random(20261124)
    seen = []
    for _ in range(6):  # each time somewhat further, by the filings already in
        loaded = count_filings(db_path)
        run_and_kill(db_path, filings, at_least=randomly.randint(loaded + 1, loaded + 400))
        conn = sqlite3.connect(db_path)
        assert conn.execute("pragma integrity_check").fetchone() == ("ok",)
        conn.close()
        loaded = rows_per_filing(db_path)
        for accession, counts in loaded.items():
            assert counts == expected[accession], accession  # whole filings only
        seen.append(len(loaded))
    assert min(seen) < len(expected)  # some kills did land mid-build
    subprocess.run(build_command(db_path, filings), check=True, capture_output=True)
    assert dump(db_path) == dump(reference)


def test_kill_9_during_a_new_build_leaves_no_database(tmp_path, filings, reference):
    db_path = tmp_path / "new.db"
    randomly = random.Random(7)
    for _ in range(4):
        run_and_kill(db_path, filings, delay=randomly.uniform(0.3, 2.0))
        assert not db_path.exists() or sqlite3.connect(db_path).execute("pragma integrity_check").fetchone() == ("ok",)
    if db_path.exists():
        os.remove(db_path)  # a run finished before its kill: start over to compare from scratch
    subprocess.run([sys.executable, "-m", "form4db.cli", "build", str(SAMPLE), "--db", str(db_path)], check=True,
                   capture_output=True)
    subprocess.run(build_command(db_path, filings), check=True, capture_output=True)
    assert dump(db_path) == dump(reference)


def test_an_update_completes_while_the_database_is_being_read(tmp_path, filings, reference):
    """A Datasette serving the file reads it all along; the update still finishes, and no read
    ever sees half a filing."""
    db_path = tmp_path / "form4.db"
    subprocess.run([sys.executable, "-m", "form4db.cli", "build", str(SAMPLE), "--db", str(db_path)], check=True,
                   capture_output=True)
    expected, seen, stop = rows_per_filing(reference), [], threading.Event()

    def read_all_along():
        while not stop.is_set():
            try:
                loaded = rows_per_filing(db_path)
            except sqlite3.OperationalError:  # busy for a moment while the journal mode changes
                continue
            seen.append(all(counts == expected[accession] for accession, counts in loaded.items()))

    reader = threading.Thread(target=read_all_along)
    reader.start()
    try:
        update = subprocess.run(build_command(db_path, filings), capture_output=True, text=True, check=False)
    finally:
        stop.set()
        reader.join()
    assert update.returncode == 0, update.stderr[-2000:]
    assert len(seen) > 10 and all(seen)
    assert dump(db_path) == dump(reference)
