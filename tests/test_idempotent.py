"""Rebuilding changes nothing; loading in two halves gives the same database as loading at once."""

import shutil

import pytest
import sqlite_utils

from form4db.build import build

from .conftest import CORPUS_XML, in_load_order

pytestmark = pytest.mark.usefixtures("corpus")

TABLES = ["filings", "issuers", "owners", "filing_owners", "nonderiv_transactions",
          "nonderiv_holdings", "deriv_transactions", "deriv_holdings", "footnotes",
          "footnote_refs", "signatures", "build_errors"]


def dump(db_path):
    """Every row of the tables; footnotes without text_id, the storage key of their text, which
    numbers the texts in the order first loaded (the text itself is compared)."""
    db = sqlite_utils.Database(db_path)
    selected = {table: "*" for table in TABLES} | {"footnotes": "id, accession_number, footnote_id, text"}
    return {t: sorted(map(tuple, db.execute(f"select {selected[t]} from {t}").fetchall()), key=repr) for t in TABLES}


def test_loading_twice_changes_nothing(tmp_path, corpus_db_path):
    db_path = tmp_path / "twice.db"
    build([str(CORPUS_XML)], str(db_path))
    first = dump(db_path)
    report = build([str(CORPUS_XML)], str(db_path))
    assert (report.new, report.replaced, report.unchanged, report.rows) == (0, 0, 441, 0)
    assert dump(db_path) == first
    assert dump(corpus_db_path) == first  # and the same as any other build of the same files


def test_two_halves_equal_all_at_once(tmp_path, corpus_db_path):
    files = sorted(CORPUS_XML.glob("*.xml"))
    halves = [tmp_path / "xml" / "a", tmp_path / "xml" / "b"]
    for half, chunk in zip(halves, (files[::2], files[1::2])):
        half.mkdir(parents=True)
        for path in chunk:
            shutil.copy(path, half / path.name)
    db_path = tmp_path / "halves.db"
    report = build([str(halves[1])], str(db_path))
    assert report.new == 220
    report = build([str(halves[0])], str(db_path))
    assert report.new == 221
    halves_dump, whole_dump = dump(db_path), dump(corpus_db_path)
    # Only the recorded source path differs (xml/a/x.xml vs xml/x.xml).
    columns = list(sqlite_utils.Database(db_path)["filings"].columns_dict)
    index = columns.index("source_path")
    strip = lambda rows: sorted((r[:index] + r[index + 1:] for r in rows), key=repr)
    assert strip(halves_dump.pop("filings")) == strip(whole_dump.pop("filings"))
    assert halves_dump == whole_dump


def test_worker_processes_build_the_same_database(tmp_path, corpus_db_path, monkeypatch):
    monkeypatch.setattr("form4db.build.BATCH_SIZE", 40)  # many batches in flight at once
    db_path = tmp_path / "jobs.db"
    report = build([str(CORPUS_XML)], str(db_path), jobs=2)
    assert (report.files, report.new, report.rows) == (441, 441, 2983)
    jobs, serial = sqlite_utils.Database(db_path), sqlite_utils.Database(corpus_db_path)
    for table in TABLES:  # the same rows with the same rowids: the load order is deterministic
        loaded = in_load_order(serial, table)
        assert jobs.execute(loaded).fetchall() == serial.execute(loaded).fetchall(), table


def test_a_changed_file_replaces_its_filing_whole(tmp_path):
    source = CORPUS_XML / "afrm_4_0001628280-24-030951.xml"
    folder = tmp_path / "in"
    folder.mkdir()
    target = folder / source.name
    target.write_bytes(source.read_bytes())
    db_path = str(tmp_path / "f.db")
    build([str(folder)], db_path)
    target.write_bytes(source.read_bytes().replace(b"<value>9276</value>", b"<value>9277</value>"))
    report = build([str(folder)], db_path)
    assert (report.new, report.replaced) == (0, 1)
    db = sqlite_utils.Database(db_path)
    assert [r["shares"] for r in db.query("select shares from nonderiv_transactions")] == [9277]
    assert db["footnote_refs"].count == 2 and db["footnotes"].count == 2
