"""An update derives only what its filings can change, and ends with the same database as one build
of everything: every table, every derived column and row, whatever order the filings arrive in."""

import random
import shutil
import sys

import pytest
import sqlite_utils

from form4db.build import build
from form4db.schema import WIDE_TABLES

from .conftest import CORPUS_XML, REPO

sys.path.insert(0, str(REPO / "bench"))
from generate import generate

pytestmark = pytest.mark.usefixtures("corpus")
NOT_COMPARED = ("_fts", "_fts_data", "_fts_idx", "_fts_docsize", "_fts_config", "sqlite_")
# Footnote texts and the names of marked fields are numbered in the order first loaded: compare
# the texts and names, not their numbers.
BY_TEXT = {"footnote_texts": "select text, text_hash from footnote_texts",
           "filing_footnotes": "select accession_number, footnote_id, text from footnotes",
           "footnote_fields": "select field_name from footnote_fields",
           "footnote_marks": "select * from footnote_refs"}


def dump(db_path) -> dict:
    """Every row of every table (full-text shadow tables aside); filings without their source path,
    which names the chunk a file was copied into, and the screener's tables without the rowid they
    declare, which numbers rows in the order they were derived."""
    db = sqlite_utils.Database(db_path)
    tables = [t for t in db.table_names() if not t.endswith(NOT_COMPARED) and not t.startswith("sqlite_")]
    dumped = {}
    for table in tables:
        columns = [c for c in db[table].columns_dict
                   if not (table == "filings" and c == "source_path") and not (table in WIDE_TABLES and c == "rowid")]
        query = BY_TEXT.get(table, f"select {', '.join(columns)} from {table}")
        dumped[table] = sorted(db.execute(query).fetchall(), key=repr)
    return dumped


def build_in_chunks(files: list, sizes: list[int], tmp_path) -> tuple:
    """Build the files in chunks of the given sizes, each into the database the last one left;
    return the database and the reports."""
    db_path, reports, start = tmp_path / "chunks.db", [], 0
    for number, size in enumerate(sizes):
        folder = tmp_path / f"chunk{number}"
        folder.mkdir()
        for path in files[start:start + size]:
            shutil.copy(path, folder / path.name)
        reports.append(build([str(folder)], str(db_path)))
        start += size
    assert start == len(files)
    return db_path, reports


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory):
    """3,000 synthetic filings: amendments of earlier forms, cluster buys, 10b5-1 plans, repeat insiders."""
    folder = tmp_path_factory.mktemp("synthetic") / "xml"
    generate(folder, 3000, seed=7)
    return folder


@pytest.fixture(scope="module")
def synthetic_whole(tmp_path_factory, synthetic):
    path = tmp_path_factory.mktemp("whole") / "whole.db"
    build([str(synthetic)], str(path))
    return dump(path)


@pytest.mark.parametrize("seed, max_months", [(1, 10_000), (2, 10_000), (3, 36)])
def test_updates_in_shuffled_chunks_equal_one_build(tmp_path, synthetic, synthetic_whole, seed, max_months,
                                                    monkeypatch):
    # Shuffled, every chunk reaches over years: a high MAX_MONTHS keeps even those incremental.
    monkeypatch.setattr("form4db.derive.scope.MAX_MONTHS", max_months)
    files = sorted(synthetic.rglob("*.xml"))
    random.Random(seed).shuffle(files)  # amendments may now arrive before the filings they amend
    db_path, reports = build_in_chunks(files, [2000, 600, 390, 10], tmp_path)
    assert [report.loaded is not None for report in reports[1:]] == [True, True, True]  # incremental
    assert [len(report.loaded) for report in reports[1:]] == [600, 390, 10]
    chunks = dump(db_path)
    for table, rows in synthetic_whole.items():
        assert chunks[table] == rows, table


def test_real_filings_in_three_updates_equal_one_build(tmp_path, corpus_db_path):
    files = sorted(CORPUS_XML.glob("*.xml"))
    random.Random(4).shuffle(files)
    db_path, _ = build_in_chunks(files, [300, 100, 41], tmp_path)
    chunks, whole = dump(db_path), dump(corpus_db_path)
    for table, rows in whole.items():
        assert chunks[table] == rows, table


def test_an_update_that_replaces_a_filing_derives_everything(tmp_path):
    [path] = CORPUS_XML.glob("*0001628280-24-030951*.xml")  # the key is in the name
    folder = tmp_path / "in"
    folder.mkdir()
    shutil.copy(path, folder / path.name)
    db_path = str(tmp_path / "f.db")
    build([str(folder)], db_path)
    (folder / path.name).write_bytes(path.read_bytes().replace(b"</ownershipDocument>",
                                                               b"<remarks>changed</remarks></ownershipDocument>"))
    report = build([str(folder)], db_path)
    assert report.replaced == 1 and report.loaded is None
