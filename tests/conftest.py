import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from html.parser import HTMLParser
from pathlib import Path

import pytest
import sqlite_utils
import yaml
from datasette.app import Datasette

from form4db.build import build
from form4db.schema import has_rowid

REPO = Path(__file__).resolve().parent.parent
CORPUS = REPO.parent / "shared" / "corpus"
CORPUS_XML = CORPUS / "xml"
SAMPLE = REPO / "data" / "sample"  # real filings
FICTIONAL = REPO / "tests" / "fixtures" / "fictional"  # made-up filings for edge cases
METADATA = REPO / "metadata.yml"


@pytest.fixture(scope="session")
def corpus():
    """The real filings beside the checkout; tests that need them skip without them, but not in CI."""
    if not CORPUS_XML.is_dir():
        message = f"the corpus of real filings is not at {CORPUS_XML}"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    return CORPUS_XML


def site_for(db_path: Path) -> Datasette:
    """Datasette in this process, configured as the site, serving one database (named form4 by
    its file name, form4.db)."""
    return Datasette([str(db_path)], metadata=yaml.safe_load(METADATA.read_text()),
                     plugins_dir=str(REPO / "plugins"), template_dir=str(REPO / "templates"))


def build_once(tmp_path_factory, source: Path) -> Path:
    """A database built from ``source``, which must load without errors."""
    path = tmp_path_factory.mktemp(source.name) / "form4.db"
    assert build([str(source)], str(path)).errors == []
    return path


@pytest.fixture(scope="session")
def corpus_db_path(tmp_path_factory, corpus):
    return build_once(tmp_path_factory, corpus)


@pytest.fixture(scope="session")
def corpus_db(corpus_db_path):
    return sqlite_utils.Database(corpus_db_path)


@pytest.fixture(scope="session")
def real_db_path(tmp_path_factory, corpus):
    """Every real Form 3/4/5 of the corpus: the 2023 Q1 submissions, the XML files and the other
    full submissions (the filings the labelled rows and owners come from)."""
    path = tmp_path_factory.mktemp("real") / "form4.db"
    assert build([str(CORPUS / name) for name in ("edgar-2023q1", "xml", "txt-more", "txt")], str(path)).errors == []
    return path


@pytest.fixture(scope="session")
def real_db(real_db_path):
    return sqlite_utils.Database(real_db_path)


@pytest.fixture(scope="session")
def sample_db_path(tmp_path_factory):
    return build_once(tmp_path_factory, SAMPLE)


@pytest.fixture(scope="session")
def sample_db(sample_db_path):
    return sqlite_utils.Database(sample_db_path)


@pytest.fixture(scope="session")
def fictional_db(tmp_path_factory):
    return sqlite_utils.Database(build_once(tmp_path_factory, FICTIONAL))


class Links(HTMLParser):
    """The href of every link of a page."""

    def __init__(self):
        super().__init__()
        self.links = []

    def handle_starttag(self, tag, attrs):
        if tag == "a" and dict(attrs).get("href"):
            self.links.append(dict(attrs)["href"])


def links_of(html: str) -> list[str]:
    parser = Links()
    parser.feed(html)
    return parser.links


def in_load_order(db: sqlite_utils.Database, table: str) -> str:
    """SQL for a table's rows in the order they were loaded, with their rowids; a table without
    rowids by its key."""
    if not has_rowid(db, table):
        return f"select * from {table} order by {', '.join(db[table].pks)}"
    return f"select rowid, * from {table} order by rowid"


def rows(db, sql, params=()):
    """Query results as a list of dicts."""
    return [dict(row) for row in db.query(sql, params)]


@pytest.fixture(scope="session")
def site(site_server):
    """The URL of a real Datasette serving the configuration directory."""
    return site_server[0]


@contextmanager
def serving(folder: Path, command: list[str], env: dict | None = None):
    """A real server on a free port of 127.0.0.1 started by ``command + ["--port", PORT]`` in
    ``folder``; yields its URL once it answers."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen([*command, "--port", str(port)], cwd=folder, env={**os.environ, **(env or {})},
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(200):
            try:
                urllib.request.urlopen(url + "/-/versions.json", timeout=1)
                break
            except OSError:
                time.sleep(0.1)
        yield url
    finally:
        server.terminate()
        server.wait(timeout=10)


@pytest.fixture(scope="session")
def site_server(tmp_path_factory, corpus):
    """A real Datasette serving the configuration directory, with corpus and sample built in: (url, folder)."""
    folder = tmp_path_factory.mktemp("site")
    for name in ("metadata.yml", "settings.json", "plugins", "templates"):
        source = REPO / name
        (shutil.copytree if source.is_dir() else shutil.copy)(source, folder / name)
    assert build([str(CORPUS_XML), str(SAMPLE)], str(folder / "form4.db")).errors == []
    with serving(folder, [f"{sys.prefix}/bin/datasette", "serve", "."]) as url:
        yield url, folder
