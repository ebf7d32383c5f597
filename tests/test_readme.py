"""The README's quick start stays true: CI runs its test command, and its serve command works."""

import re
import shlex
import shutil
import subprocess
import sys
import urllib.request

from .conftest import REPO, serving


def quick_start_commands():
    readme = (REPO / "README.md").read_text()
    quick_start = readme.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```bash\n(.+?)\n```", quick_start)


def test_quick_start_is_two_commands_and_ci_runs_the_test_one():
    serve, test = quick_start_commands()
    assert "form4db build data/sample" in serve and "datasette serve" in serve
    assert test in (REPO / ".ci" / "run").read_text().splitlines()


def get(url: str) -> tuple[int, bytes, str]:
    """Status, body and final URL of a GET (redirects followed)."""
    with urllib.request.urlopen(url, timeout=30) as response:
        return response.status, response.read(), response.url


def test_serve_command_serves_the_sample(tmp_path):
    """The serve command's steps after the install, in a copy of the checkout, with this
    environment's programs: the pages of the sample answer, and the database downloads."""
    serve, _ = quick_start_commands()
    steps = [shlex.split(step) for step in serve.split(" && ")]
    assert steps[:2] == [["python3", "-m", "venv", ".venv"], [".venv/bin/pip", "install", "-e", "."]]
    *build, server = [[f"{sys.prefix}/bin/{words[0].removeprefix('.venv/bin/')}", *words[1:]] for words in steps[2:]]
    assert server[1:] == ["serve", "."]
    site = tmp_path / "site"
    shutil.copytree(REPO, site, ignore=shutil.ignore_patterns(".venv", ".git", "*.db", "inspect-data.json",
                                                              "__pycache__", "test-screenshots", "bench"))
    for command in build:
        subprocess.run(command, cwd=site, check=True, capture_output=True)
    with serving(site, server) as url:
        status, home, _ = get(url + "/")
        assert b"Search tickers, companies, insiders, footnotes and remarks" in home and b"Latest cluster buys" in home
        assert b"392 filings" in home and b"newest filing 2023-03-31" in home
        status, database, _ = get(url + "/form4.db")
        assert status == 200 and database.startswith(b"SQLite format 3\0")
        assert database == (site / "form4.db").read_bytes()
        for path in ["/robots.txt", "/screens", "/ticker/SCHW", "/insider/1296479", "/form4/cluster_buys",
                     "/form4/cluster_buys.atom", "/form4/latest_insider_trading.atom",
                     "/form4/filings.json?_shape=array&_size=1"]:
            status, body, _ = get(url + path)
            assert status == 200 and body, path
        assert get(url + "/search?q=schw")[2] == url + "/ticker/SCHW"
