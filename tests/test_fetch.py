"""`form4db fetch` and `update` against a fake EDGAR on 127.0.0.1: every filing once, within the
rate limit, through rate limiting, errors and a kill -9, and never without a User-Agent."""

import os
import random
import signal
import subprocess
import sys
import time
import zipfile
from datetime import date

import pytest
import sqlite_utils
from click.testing import CliRunner

from form4db.build import build
from form4db.cli import cli
from form4db.edgar import Cache, Edgar, FetchError, fetch, quarters
from form4db.readers.full_submission import check_complete, read_header

from .conftest import CORPUS
from .fake_edgar import FakeEdgar

pytestmark = pytest.mark.usefixtures("corpus")
AGENT = "form4db tests tests@example.com"
DAYS = ["2025-01-06", "2025-01-07", "2025-01-08"]  # a Monday to Wednesday
FORMS = {"3", "3/A", "4", "4/A", "5", "5/A"}


def corpus_filings():
    """accession -> (submission bytes, index entries: one per CIK in its header, as EDGAR lists it)."""
    filings = {}
    for path in sorted((CORPUS / "txt").iterdir()):
        data = path.read_bytes()
        header, entities, _ = read_header(data)
        accession = header["accession_number"]
        entries = [(e["cik"], e["name"], header["submission_type"], accession) for e in entities]
        filings[accession] = (data, entries)
    return filings


def fake_edgar(days=DAYS):
    filings = list(corpus_filings().items())
    submissions = {accession: data for accession, (data, _) in filings}
    listed = {day: [entry for _, (_, entries) in filings[i :: len(days)] for entry in entries]
              for i, day in enumerate(days)}
    return FakeEdgar(submissions, listed).start()


def archive_paths(edgar, accession):
    return {f"/Archives/edgar/data/{cik}/{accession}.txt"
            for entries in edgar.days.values() for cik, _, _, listed in entries if listed == accession}


def archive_requests(edgar):
    return [r for r in edgar.requests if r.path.startswith("/Archives/edgar/data/")]


def most_in_one_second(times):
    return max(sum(1 for t in times if start <= t < start + 1.0) for start in times)


def run_fetch(edgar, cache, **options):
    client = Edgar(AGENT, base_url=edgar.base_url, backoff=0.05, **options)
    try:
        return fetch(client, Cache(cache), date(2025, 1, 6), date(2025, 1, 8), FORMS, today=date(2025, 1, 20))
    finally:
        client.close()


def test_every_filing_arrives_once_within_the_rate_through_failures(tmp_path):
    with fake_edgar() as edgar:
        accessions = sorted(edgar.submissions)
        faults = [("429", 1), ("503",), ("drop",), ("truncate",), ("truncate-clean",), ("slow", 2.0)]
        for accession, fault in zip(accessions, faults):
            for path in archive_paths(edgar, accession):  # whichever CIK's path the fetch takes
                edgar.faults[path] = [fault]
        report = run_fetch(edgar, tmp_path / "cache", timeout=1.0)  # the slow answer times out
        assert (report.listed, report.downloaded, report.failed) == (15, 15, [])
        assert report.bytes == sum(len(data) for data, _ in corpus_filings().values())
        delivered = [r.path.rsplit("/", 1)[1][:-4] for r in archive_requests(edgar) if r.status == 200]
        # Each once, but those whose 200 came cut short (truncate, truncate-clean) or after the
        # client had given up waiting (slow): fetched again.
        assert sorted(delivered) == sorted([*accessions, *accessions[3:6]])
        slow = [r for r in archive_requests(edgar) if accessions[5] in r.path]
        assert len(slow) == 2  # timed out once, then fetched
        assert most_in_one_second([r.time for r in edgar.requests]) <= 10
        limited = [r for r in archive_requests(edgar) if accessions[0] in r.path]
        assert limited[0].status == 429 and limited[1].time - limited[0].time >= 1.0  # Retry-After
    files = sorted((tmp_path / "cache").rglob("*.txt"))
    assert len([f for f in files if "index" not in f.parts]) == 15
    for file in files:
        if "index" not in file.parts:
            check_complete(file.read_bytes())


def test_a_second_run_makes_no_archive_requests(tmp_path):
    with fake_edgar() as edgar:
        run_fetch(edgar, tmp_path / "cache")
        before = len(edgar.requests)
        report = run_fetch(edgar, tmp_path / "cache")
        assert (report.listed, report.cached, report.downloaded) == (15, 15, 0)
        assert edgar.requests[before:] == []  # past days' indexes are cached too


def test_a_filing_that_keeps_failing_is_recorded_and_the_rest_continue(tmp_path):
    with fake_edgar() as edgar:
        accession = min(edgar.submissions)
        edgar.fail_always.update(archive_paths(edgar, accession))
        report = run_fetch(edgar, tmp_path / "cache", attempts=3)
        assert report.downloaded == 14 and [a for a, _ in report.failed] == [accession]
        assert "HTTP 503" in report.failed[0][1] and "3 attempts" in report.failed[0][1]
        tried = [r for r in archive_requests(edgar) if accession in r.path]
        assert len(tried) == 3
    assert accession in (tmp_path / "cache" / "fetch-failures.tsv").read_text()


def test_a_body_holding_another_accession_is_not_cached(tmp_path):
    with fake_edgar() as edgar:
        first, second = sorted(edgar.submissions)[:2]
        edgar.submissions[first] = edgar.submissions[second]  # a mix-up on the server's side
        report = run_fetch(edgar, tmp_path / "cache", attempts=2)
        assert [a for a, _ in report.failed] == [first]
        assert f"holds accession '{second}', not {first}" in report.failed[0][1]
    assert not Cache(tmp_path / "cache").path(first).exists()


def test_a_refused_archive_request_is_a_failure_not_a_missing_filing(tmp_path):
    with fake_edgar() as edgar:
        accession = min(edgar.submissions)
        for path in archive_paths(edgar, accession):
            edgar.faults[path] = [("403",)]
        report = run_fetch(edgar, tmp_path / "cache")
        assert [a for a, _ in report.failed] == [accession] and "EDGAR refuses" in report.failed[0][1]
        assert report.downloaded == 14


def test_no_request_without_a_user_agent(tmp_path, monkeypatch):
    monkeypatch.delenv("FORM4DB_USER_AGENT", raising=False)
    with fake_edgar() as edgar:
        for agent in ([], ["--user-agent", "form4db"]):  # none, or one without a contact e-mail
            result = CliRunner().invoke(cli, ["fetch", "--since", "2025-01-06", "--base-url", edgar.base_url,
                                              "--cache", str(tmp_path / "cache"), *agent])
            assert result.exit_code == 2 and "contact e-mail" in result.output
        assert edgar.requests == []


def test_kill_9_mid_download_leaves_nothing_partial_and_a_rerun_completes(tmp_path):
    cache = tmp_path / "cache"
    with fake_edgar() as edgar:
        edgar.slow_seconds = 1.0  # each archive body trickles in over a second
        command = [sys.executable, "-m", "form4db.cli", "fetch", "--since", "2025-01-06", "--until", "2025-01-08",
                   "--base-url", edgar.base_url, "--cache", str(cache)]
        env = {**os.environ, "FORM4DB_USER_AGENT": AGENT}
        process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 30
        while len(archive_requests(edgar)) < 6 and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(0.3)  # mid-body for the downloads under way
        process.send_signal(signal.SIGKILL)
        process.wait()
        finished = [f for f in cache.rglob("*.txt") if "index" not in f.parts and ".partial" not in f.parts]
        assert len(finished) < 15
        for file in finished:
            check_complete(file.read_bytes())  # whole, or not there at all
        edgar.slow_seconds = 0.0
        rerun = subprocess.run(command, env=env, capture_output=True, text=True, timeout=60, check=False)
        assert rerun.returncode == 0, rerun.stderr
        assert f"{len(finished)} already cached, {15 - len(finished)} downloaded" in rerun.stdout
    report = build([str(cache)], str(tmp_path / "f.db"))
    assert (report.new, report.errors) == (15, [])


def test_update_loads_only_the_new_filings(tmp_path):
    db_path = tmp_path / "form4.db"
    filings = list(corpus_filings().items())
    first, later = filings[:10], filings[10:]
    days = {"2025-01-06": [e for _, (_, entries) in first for e in entries]}
    with FakeEdgar({a: d for a, (d, _) in first}, days).start() as edgar:
        options = ["--since", "2025-01-06", "--until", "2025-01-07", "--base-url", edgar.base_url,
                   "--cache", str(tmp_path / "cache"), "--user-agent", AGENT, "--db", str(db_path)]
        result = CliRunner().invoke(cli, ["update", *options])
        assert result.exit_code == 0, result.output
        assert "10 files, 10 filings (10 new" in result.output
        edgar.add_day("2025-01-07", [e for _, (_, entries) in later for e in entries],
                      {a: d for a, (d, _) in later})
        result = CliRunner().invoke(cli, ["update", *options])
        assert result.exit_code == 0, result.output
        assert "10 already cached, 5 downloaded" in result.output
        assert "5 files, 5 filings (5 new, 0 replaced, 0 unchanged)" in result.output
        result = CliRunner().invoke(cli, ["update", *options])
        assert "nothing new to load" in result.output
    assert sqlite_utils.Database(db_path)["filings"].count == 15


def test_fetch_datasets_downloads_each_quarter_once_and_import_reads_them(tmp_path, monkeypatch):
    monkeypatch.setenv("FORM4DB_USER_AGENT", AGENT)
    slice_zip = tmp_path / "slice.zip"
    with zipfile.ZipFile(slice_zip, "w") as archive:
        for path in (CORPUS / "insider-datasets" / "2024q3_form345_slice").glob("*.tsv"):
            archive.write(path, path.name)
    with fake_edgar() as edgar:
        current = "/files/structureddata/data/insider-transactions-data-sets/2024q3_form345.zip"
        newest = "/files/datastandardsinnovation/data/insider-transactions-data-sets/2024q4_form345.zip"
        edgar.files = {current: slice_zip.read_bytes(), newest: slice_zip.read_bytes()}
        edgar.faults[current] = [("truncate-clean",)]  # a cut zip is fetched again
        command = ["fetch-datasets", "--quarters", "2024q3..2025q1", "--base-url", edgar.base_url,
                   "--cache", str(tmp_path / "cache")]
        result = CliRunner().invoke(cli, command)
        assert result.exit_code == 0, result.output
        assert "2 quarters in the cache (2 downloaded now), 1 failed" in result.output
        assert "warning: 2025q1: not published (yet) by the SEC" in result.output
        assert [r.status for r in edgar.requests if r.path == current] == [200, 200]
        before = len(edgar.requests)
        result = CliRunner().invoke(cli, [*command[:2], "2024q3..2024q4", *command[3:]])
        assert "2 quarters in the cache (0 downloaded now), 0 failed" in result.output
        assert edgar.requests[before:] == []
    assert sorted(p.name for p in (tmp_path / "cache" / "datasets").iterdir()) == [
        "2024q3_form345.zip", "2024q4_form345.zip"]
    result = CliRunner().invoke(cli, ["import-datasets", str(tmp_path / "cache" / "datasets"),
                                      "--db", str(tmp_path / "f.db")])
    assert "760 filings (380 new, 0 replaced, 380 unchanged)" in result.output  # the same filings twice


def test_quarter_ranges():
    assert quarters("2023q3..2024q2") == ["2023q3", "2023q4", "2024q1", "2024q2"]
    assert quarters("2024Q3, 2006q1") == ["2024q3", "2006q1"]
    with pytest.raises(FetchError, match="not a quarter"):
        quarters("2024-q3")


def test_a_long_run_under_random_faults_loses_no_filing_and_keeps_the_rate(tmp_path):
    """120 filings, a third of whose requests meet a random fault: all arrive, whole, once in
    the cache, and no second ever sees more than 10 requests."""
    originals = list(corpus_filings().values())
    submissions, entries = {}, []
    for i in range(120):
        data, listed = originals[i % len(originals)]
        original = listed[0][3]
        accession = f"{9600000000 + i:010d}-25-{i:06d}"
        submissions[accession] = data.replace(original.encode(), accession.encode())
        entries += [(cik, name, form, accession) for cik, name, form, _ in listed]
    randomly = random.Random(5)
    faults = [("429", 1), ("503",), ("drop",), ("truncate",), ("truncate-clean",), ("slow", 1.5)]
    with FakeEdgar(submissions, {"2025-01-06": entries}).start() as edgar:
        for cik, _, _, accession in entries:
            path = f"/Archives/edgar/data/{cik}/{accession}.txt"
            edgar.faults[path] = [randomly.choice(faults) for _ in range(randomly.choice([0, 0, 1, 2]))]
        client = Edgar(AGENT, base_url=edgar.base_url, backoff=0.05, timeout=1.0, attempts=6)
        try:
            report = fetch(client, Cache(tmp_path / "cache"), date(2025, 1, 6), date(2025, 1, 6), FORMS,
                           today=date(2025, 1, 20))
        finally:
            client.close()
        assert (report.listed, report.downloaded, report.failed) == (120, 120, [])
        assert most_in_one_second([r.time for r in edgar.requests]) <= 10
        faulted = sum(1 for r in edgar.requests if r.status != 200)
        assert faulted > 20  # the faults did happen
    for accession, data in submissions.items():
        assert Cache(tmp_path / "cache").path(accession).read_bytes() == data
