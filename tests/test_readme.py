"""The README's quick start stays true: CI runs its test command, and its serve command works."""

import re
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
    build, datasette = serve.split(" && .venv/bin/datasette serve ")
    bin_dir = f"{sys.prefix}/bin"
    db = tmp_path / "form4.db"
    subprocess.run([f"{bin_dir}/form4db", "build", str(REPO / "data" / "sample"), "--db", str(db)],
                   check=True, capture_output=True)
    args = datasette.replace("form4.db", str(db)).split()
    result = subprocess.run(
        [f"{bin_dir}/datasette", *args, "--get", "/form4/filings.json?_shape=array&_size=1"],
        cwd=REPO, check=True, capture_output=True, text=True)
    assert '"accession_number"' in result.stdout
