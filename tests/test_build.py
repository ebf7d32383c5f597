"""Which files a build reads, and what a killed build leaves behind."""

import shutil

import pytest
import sqlite_utils

from form4db.build import build, find_files
from form4db.loader import Loader
from form4db.schema import ensure_schema

from .conftest import FICTIONAL


def test_folders_are_read_recursively_in_order(tmp_path):
    root = tmp_path / "filings"
    (root / "2024" / "q1").mkdir(parents=True)
    (root / ".cache").mkdir()
    for name, target in [("exrb_4_0099000002-24-000031.xml", "2024/q1/b.xml"),
                         ("exrb_4_0099000002-24-000034.xml", "2024/A.XML"),
                         ("exrb_3_0099000001-23-000101.xml", ".cache/hidden.xml"),
                         ("exrb_3_0099000001-23-000101.xml", "2024/.hidden.xml"),
                         ("exrb_3_0099000001-23-000101.xml", "2024/q1/c.xml.gz"),  # found, not read here
                         ("README.md", "2024/notes.md"), ("README.md", "2024/notes.md.gz")]:
        shutil.copy(FICTIONAL / name, root / target)
    found = [source for _, source in find_files([str(root)])]
    assert found == ["filings/2024/A.XML", "filings/2024/q1/b.xml", "filings/2024/q1/c.xml.gz"]
    single = root / "2024" / "q1" / "b.xml"
    assert [source for _, source in find_files([str(single)])] == ["b.xml"]


def test_a_new_database_appears_only_when_complete(tmp_path):
    db_path = tmp_path / "form4.db"
    loader = Loader(str(db_path))
    assert not db_path.exists() and (tmp_path / "form4.db.partial").exists()
    loader.abandon()  # what a build does when it is interrupted
    assert not db_path.exists() and not (tmp_path / "form4.db.partial").exists()
    report = build([str(FICTIONAL)], str(db_path))
    assert report.new == 15 and db_path.exists() and not (tmp_path / "form4.db.partial").exists()
    assert sqlite_utils.Database(db_path).execute("pragma journal_mode").fetchone()[0] == "delete"


def test_an_interrupted_update_keeps_what_was_loaded(tmp_path, monkeypatch):
    db_path = tmp_path / "form4.db"
    build([str(FICTIONAL / "exrb_3_0099000001-23-000101.xml")], str(db_path))

    def interrupt(*args):
        raise KeyboardInterrupt

    monkeypatch.setattr("form4db.build.read_file", interrupt)
    with pytest.raises(KeyboardInterrupt):
        build([str(FICTIONAL)], str(db_path))
    assert sqlite_utils.Database(db_path)["filings"].count == 1


def test_a_reader_failure_costs_one_file(tmp_path, monkeypatch):
    import form4db.readers.form144_xml as xml_readers

    real_reader = xml_readers.read_ownership_xml

    def flaky(data, source_path, name):
        if name.startswith("exrb_3"):
            raise ValueError("something nobody foresaw")
        return real_reader(data, source_path, name)

    monkeypatch.setattr(xml_readers, "read_ownership_xml", flaky)  # the reader xml_reader picks
    report = build([str(FICTIONAL)], str(tmp_path / "form4.db"))
    assert report.new == 14
    assert report.errors == [("fictional/exrb_3_0099000001-23-000101.xml",
                              "reader failed: ValueError: something nobody foresaw")]


def test_a_new_database_has_every_index_of_the_schema_with_statistics(corpus_db_path):
    """A new database is derived before the indexes on derived columns exist: they must be
    there when it is done, with the statistics the planner reads, like every other index."""
    declared = sqlite_utils.Database(memory=True)
    ensure_schema(declared)
    built = sqlite_utils.Database(corpus_db_path)
    indexes = "SELECT name, sql FROM sqlite_master WHERE type = 'index' ORDER BY name"
    assert built.execute(indexes).fetchall() == declared.execute(indexes).fetchall()
    analyzed = {index for (index,) in built.execute("SELECT idx FROM sqlite_stat1")}
    # (The index of late rows has no statistics: bare XML has no filing date, so no row is late.)
    for derived in ("idx_nonderiv_transactions_transaction_code_is_open_market_transaction_date",
                    "idx_filings_issuer_ticker_clean"):
        assert derived in analyzed
