"""The README's quick start stays true: CI runs its test command, and its serve command works."""

import re
import shutil
import subprocess
import sys

from .conftest import REPO


def quick_start_commands():
    readme = (REPO / "README.md").read_text()
    quick_start = readme.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```bash\n(.+?)\n```", quick_start)


def test_quick_start_is_two_commands_and_ci_runs_the_test_one():
    serve, test = quick_start_commands()
    assert "form4db build data/sample" in serve and "datasette serve" in serve
    assert test in (REPO / ".ci" / "run").read_text().splitlines()


def test_serve_command_serves_the_sample(tmp_path):
    serve, _ = quick_start_commands()
    assert serve.endswith(" && .venv/bin/datasette serve .")
    # The same configuration directory, with the sample built into it (a copy, to leave the checkout alone).
    site = tmp_path / "site"
    shutil.copytree(REPO, site, ignore=shutil.ignore_patterns(".venv", ".git", "*.db", "__pycache__"))
    bin_dir = f"{sys.prefix}/bin"
    subprocess.run([f"{bin_dir}/form4db", "build", str(site / "data" / "sample"), "--db", str(site / "form4.db")],
                   check=True, capture_output=True)
    for path in ["/form4/filings.json?_shape=array&_size=1", "/", "/robots.txt", "/form4/cluster_buys.atom?days=5000", "/screens", "/form4/latest_insider_trading.atom"]:
        result = subprocess.run([f"{bin_dir}/datasette", "serve", ".", "--get", path],
                                cwd=site, check=True, capture_output=True, text=True)
        assert result.stdout, path
    home = subprocess.run([f"{bin_dir}/datasette", "serve", ".", "--get", "/"], cwd=site, capture_output=True, text=True)
    assert "Search tickers, companies, insiders, footnotes and remarks" in home.stdout and "Latest cluster buys" in home.stdout
