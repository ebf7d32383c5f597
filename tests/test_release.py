"""Releases and the nightly refresh, end to end on real filings: `form4db publish` makes the same
bytes from the same database; `form4db refresh` takes the last release (a folder or a URL),
fetches from a fake EDGAR on 127.0.0.1 what was filed since, and publishes only what changed;
killed at any step it leaves the last release as it was; the GitHub workflow's steps run here."""

import gzip
import json
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from form4db.cli import cli
from form4db.readers.full_submission import read_header
from form4db.release import verify_checksums

from .conftest import REPO, SAMPLE
from .fake_edgar import FakeEdgar

AGENT = "form4db tests tests@example.com"
FIRST_DAYS = "2023-03-29"  # the first release holds the sample's filings filed up to this day
NEW_DAYS = ["2023-03-30", "2023-03-31"]  # then EDGAR publishes these, one per refresh


def sample_submissions() -> dict[str, list[tuple[str, bytes, list]]]:
    """Filing date -> (accession, submission bytes, index entries) of the sample's real filings."""
    days = {}
    for path in sorted((SAMPLE / "edgar-2023q1").glob("*.txt.gz")):
        data = gzip.decompress(path.read_bytes())
        header, entities, _ = read_header(data)
        accession = header["accession_number"]
        entries = [(entity["cik"], entity["name"], header["submission_type"], accession) for entity in entities]
        filed = header["filing_date"]  # as the header gives it, 20230331
        days.setdefault(f"{filed[:4]}-{filed[4:6]}-{filed[6:]}", []).append((accession, data, entries))
    return days


@pytest.fixture(scope="module")
def days():
    return sample_submissions()


def accessions(release: Path) -> set[str]:
    conn = sqlite3.connect(release / "form4.db")
    try:
        return {row[0] for row in conn.execute("select accession_number from filings")}
    finally:
        conn.close()


def manifest(release: Path) -> dict:
    return json.loads((release / "release.json").read_text())


def invoke(*args) -> str:
    result = CliRunner().invoke(cli, [str(arg) for arg in args])
    assert result.exit_code == 0, result.output
    return result.output


@pytest.fixture(scope="module")
def first_release(tmp_path_factory, days):
    """A release of the sample's filings filed up to FIRST_DAYS."""
    root = tmp_path_factory.mktemp("first")
    for day, filings in days.items():
        if day <= FIRST_DAYS:
            for accession, data, _ in filings:
                (root / "filings").mkdir(exist_ok=True)
                (root / "filings" / f"{accession}.txt").write_bytes(data)
    invoke("build", root / "filings", "--db", root / "form4.db")
    invoke("publish", root / "form4.db", "--out", root / "release")
    return root / "release"


def fake_edgar(days: dict, listed: list[str]) -> FakeEdgar:
    """EDGAR listing the sample's filings of the given days (the last release's last day among them)."""
    edgar = FakeEdgar({}, {})
    for day in listed:
        add_day(edgar, days, day)
    return edgar.start()


def add_day(edgar: FakeEdgar, days: dict, day: str) -> None:
    edgar.add_day(day, [entry for _, _, entries in days[day] for entry in entries],
                  {accession: data for accession, data, _ in days[day]})


def refresh_args(last, out, edgar, cache, until) -> list:
    return ["refresh", "--last", last, "--out", out, "--until", until, "--base-url", edgar.base_url,
            "--cache", cache, "--user-agent", AGENT, "--site", REPO]


def test_publish_makes_the_same_bytes_from_the_same_database(first_release, tmp_path):
    again = tmp_path / "again"
    invoke("publish", first_release.parent / "form4.db", "--out", again)
    assert (again / "SHA256SUMS").read_text() == (first_release / "SHA256SUMS").read_text()
    verify_checksums(again)
    names = {line.split()[1] for line in (again / "SHA256SUMS").read_text().splitlines()}
    assert names == {"form4.db", "form4.db.gz", "form4-recent.db", "inspect-data.json", "inspect-data-recent.json",
                     "release.json"}
    assert gzip.decompress((again / "form4.db.gz").read_bytes()) == (again / "form4.db").read_bytes()
    described = manifest(again)
    newest = max(day for day in sample_submissions() if day <= FIRST_DAYS)
    assert described["newest_filing_date"] == newest and described["source_quarters"] == ["2023q1"]
    assert described["counts"]["filings"] == len(accessions(again))
    assert described["newest_acceptance_datetime"].startswith(newest[:8])
    inspected = json.loads((again / "inspect-data.json").read_text())
    assert inspected["form4"]["tables"]["filings"]["count"] == described["counts"]["filings"]
    with pytest.raises(ValueError, match="form4.db: its sha256 differs"):
        (again / "form4.db").write_bytes(b"damaged")
        verify_checksums(again)


def test_the_recent_database_holds_the_last_months_and_what_they_derive(first_release, tmp_path):
    invoke("publish", first_release.parent / "form4.db", "--out", tmp_path / "short", "--recent-months", 1)
    described = manifest(tmp_path / "short")
    assert described["recent"]["since"] == "2023-03-01"  # the month of the newest filing, 2023-03-29
    conn = sqlite3.connect(tmp_path / "short" / "form4-recent.db")
    assert conn.execute("select min(filing_date) from filings").fetchone()[0] == "2023-03-01"
    assert conn.execute("select count(*) from filings").fetchone()[0] == described["recent"]["filings"] > 0
    for table in ("trades", "trades_by_filing", "nonderiv_transactions"):
        orphans = conn.execute(f"select count(*) from {table} where accession_number not in "
                               "(select accession_number from filings)").fetchone()[0]
        assert orphans == 0, table
    for table in ("filing_footnotes", "footnote_marks"):
        orphans = conn.execute(f"select count(*) from {table} where filing_rowid not in (select rowid from filings)")
        assert orphans.fetchone()[0] == 0, table
    assert conn.execute("select count(*) from footnote_texts where id not in "
                        "(select text_id from filing_footnotes)").fetchone()[0] == 0
    # the full-text indexes hold exactly the rows kept
    assert conn.execute("select count(*) from footnote_texts_fts where footnote_texts_fts match 'price'").fetchone()[0] \
        == conn.execute("select count(*) from footnote_texts where text like '%price%'").fetchone()[0] > 0
    assert conn.execute("pragma integrity_check").fetchone()[0] == "ok"


def test_refresh_twice_then_nothing_new(first_release, tmp_path, days):
    first = accessions(first_release)
    cache = tmp_path / "cache"
    with fake_edgar(days, [FIRST_DAYS, NEW_DAYS[0]]) as edgar:
        # The last release by URL, as the workflow gives it, served over HTTP on 127.0.0.1.
        for name in ("form4.db", "release.json", "SHA256SUMS"):
            edgar.files[f"/releases/latest/download/{name}"] = (first_release / name).read_bytes()
        output = invoke(*refresh_args(edgar.base_url + "/releases/latest/download", tmp_path / "second", edgar, cache,
                                      NEW_DAYS[0]))
        assert "published" in output
        second = accessions(tmp_path / "second")
        assert second - first == {accession for accession, _, _ in days[NEW_DAYS[0]]} and first <= second

        add_day(edgar, days, NEW_DAYS[1])
        invoke(*refresh_args(tmp_path / "second", tmp_path / "third", edgar, cache, NEW_DAYS[1]))
        third = accessions(tmp_path / "third")
        assert third - second == {accession for accession, _, _ in days[NEW_DAYS[1]]} and second <= third
        assert manifest(tmp_path / "third")["newest_filing_date"] == NEW_DAYS[1]
        assert manifest(tmp_path / "third")["counts"]["filings"] == len(third)

        output = invoke(*refresh_args(tmp_path / "third", tmp_path / "fourth", edgar, cache, NEW_DAYS[1]))
        assert "nothing changed since the last release: nothing published" in output
        assert not (tmp_path / "fourth").exists() and not (tmp_path / "fourth.work").exists()
    assert first_release.exists() and accessions(first_release) == first
    verify_checksums(first_release)


def test_a_refresh_killed_at_any_step_leaves_the_last_release_and_the_next_run_completes(first_release, tmp_path, days):
    before = (first_release / "SHA256SUMS").read_text()
    cache = tmp_path / "cache"
    out = tmp_path / "next"
    command = [sys.executable, "-m", "form4db.cli"]
    steps = ["last release", "fetch", "update", "check", "publish", "compact", "recent", "compress", "inspect"]
    with fake_edgar(days, [FIRST_DAYS, NEW_DAYS[0]]) as edgar:
        args = [str(arg) for arg in refresh_args(first_release, out, edgar, cache, NEW_DAYS[0])]
        for step in steps:
            run = subprocess.Popen([*command, *args], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
                                   cwd=REPO)
            for line in run.stdout:
                if line.strip() == f"step: {step}":
                    run.kill()
                    break
            run.wait()
            run.stdout.close()
            assert run.returncode == -9, f"the run ended before step {step}"
            assert (first_release / "SHA256SUMS").read_text() == before
            verify_checksums(first_release)
            assert not out.exists(), step
        finished = subprocess.run([*command, *args], capture_output=True, text=True, cwd=REPO)
    assert finished.returncode == 0, finished.stderr
    verify_checksums(out)
    assert accessions(out) - accessions(first_release) == {accession for accession, _, _ in days[NEW_DAYS[0]]}
    assert not out.with_name("next.work").exists() and not out.with_name("next.partial").exists()


def test_a_refresh_that_fails_its_checks_publishes_nothing(first_release, tmp_path, days):
    """A release claiming more filings than the refreshed database holds: the count check fails."""
    inflated = tmp_path / "inflated"
    shutil.copytree(first_release, inflated)
    described = manifest(inflated)
    described["counts"]["filings"] += 1
    (inflated / "release.json").write_text(json.dumps(described))
    subprocess.run(["sha256sum", "release.json", "form4.db"], cwd=inflated, check=True,
                   stdout=open(inflated / "SHA256SUMS", "w"))
    with fake_edgar(days, [FIRST_DAYS]) as edgar:
        result = CliRunner().invoke(cli, [str(arg) for arg in refresh_args(inflated, tmp_path / "out", edgar,
                                                                          tmp_path / "cache", FIRST_DAYS)])
    assert result.exit_code == 1
    assert "fewer rows than the last release: filings" in result.output
    assert not (tmp_path / "out").exists()


def workflow_steps() -> list[dict]:
    return yaml.safe_load((REPO / ".github" / "workflows" / "refresh.yml").read_text())["jobs"]["refresh"]["steps"]


def test_the_workflow_runs_here_but_for_set_up_upload_and_deploy(first_release, tmp_path, days):
    """Each `run` step of the nightly workflow, in order, with the fake EDGAR and the last release
    served over HTTP, from a checkout-like folder (the site's configuration)."""
    checkout = tmp_path / "checkout"
    checkout.mkdir()
    for name in ("metadata.yml", "settings.json", "plugins", "templates"):
        (checkout / name).symlink_to(REPO / name)
    skipped = {"Check out", "Set up Python", "Install", "Keep the EDGAR downloads between runs",
               "Upload the release", "Deploy"}
    output = tmp_path / "github_output"
    output.touch()
    ran = []
    with fake_edgar(days, [FIRST_DAYS, NEW_DAYS[0]]) as edgar:
        for name in ("form4.db", "release.json", "SHA256SUMS"):
            edgar.files[f"/download/{name}"] = (first_release / name).read_bytes()
        env = {**os.environ, "FORM4DB_USER_AGENT": AGENT, "LAST_RELEASE": edgar.base_url + "/download",
               "EDGAR_URL": edgar.base_url, "GITHUB_OUTPUT": str(output),
               "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
        for step in workflow_steps():
            if step["name"] in skipped:
                continue
            assert "run" in step, step["name"]
            script = step["run"].replace("--cache edgar-cache", f"--cache edgar-cache --until {NEW_DAYS[0]}")
            subprocess.run(["bash", "-e", "-c", script], cwd=checkout, env=env, check=True)
            ran.append(step["name"])
    assert ran == ["Refresh", "Prepare the recent database for serving"]
    assert "published=true" in output.read_text()
    tag = dict(line.split("=", 1) for line in output.read_text().splitlines())["tag"]
    assert tag.startswith(f"data-{NEW_DAYS[0]}-")
    verify_checksums(checkout / "release")
    assert (checkout / "deploy" / "form4.db").read_bytes() == (checkout / "release" / "form4-recent.db").read_bytes()
    assert {step["name"] for step in workflow_steps()} - set(ran) == skipped
