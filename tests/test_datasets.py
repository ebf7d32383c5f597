"""The SEC's Insider Transactions Data Sets: the same filings as the XML, in the same tables."""

import shutil
import zipfile
from collections import Counter

import pytest
import sqlite_utils
from click.testing import CliRunner

from form4db.build import build, import_datasets
from form4db.cli import cli
from form4db.loader import CHILD_TABLES, LOADED_COLUMNS
from form4db.readers.insider_datasets import DATASET_CANNOT_CARRY, to_date, to_owner
from form4db.schema import FOOTNOTE_TABLES

from .conftest import CORPUS, CORPUS_XML, in_load_order

pytestmark = pytest.mark.usefixtures("corpus")
SLICE = CORPUS / "insider-datasets" / "2024q3_form345_slice"
IN_SLICE_TABLES = ["nonderiv_holdings", "deriv_transactions", "deriv_holdings", "signatures"]
NOT_COMPARED = {"id", "row_seq", "source_row_key", "accession_source", "source_format", "sources", "source_path",
                "content_sha256", "parse_warnings", "parse_quality", "filing_date", "owner_count", "quality_flags"}


def overlap():
    """Corpus XML files whose accession is in the slice."""
    accessions = set((SLICE / "accessions.txt").read_text().split())
    return [p for p in sorted(CORPUS_XML.glob("*.xml")) if p.stem.split("_")[-1] in accessions]


def rows(db, table, accessions, digits=None):
    """Each accession's as-filed rows of a table as a multiset of their values (numbers rounded
    to ``digits`` when given)."""
    columns = [c for c in LOADED_COLUMNS[table] if c not in NOT_COMPARED]
    found = {}
    for accession in accessions:
        records = db.execute(f"select {', '.join(columns)} from {table} where accession_number = ?", [accession])
        found[accession] = Counter(tuple(rounded(v, digits) for v in row) for row in records.fetchall())
    return columns, found


def rounded(value, digits):
    return round(value, digits) if digits is not None and isinstance(value, float) else value


@pytest.fixture(scope="module")
def both(tmp_path_factory):
    """The overlapping filings built from XML, and the slice imported."""
    folder = tmp_path_factory.mktemp("both")
    xml = folder / "xml"
    xml.mkdir()
    for path in overlap():
        shutil.copy(path, xml)
    build([str(xml)], str(folder / "xml.db"))
    report = import_datasets([str(SLICE)], str(folder / "dataset.db"))
    assert report.new == 380
    return sqlite_utils.Database(folder / "xml.db"), sqlite_utils.Database(folder / "dataset.db")


def test_the_slice_imports_and_its_missing_tables_are_reported(both):
    _, dataset = both
    assert {r["source_path"]: r["error"] for r in dataset.query("select * from build_errors")} == {
        "2024q3_form345_slice/FOOTNOTES.tsv": "missing from the quarter: its rows are not imported",
        "2024q3_form345_slice/NONDERIV_TRANS.tsv": "missing from the quarter: its rows are not imported",
        "2024q3_form345_slice/REPORTINGOWNER.tsv": "missing from the quarter: its rows are not imported",
        "2024q3_form345_slice/SUBMISSION.tsv": "columns missing, left empty: AFF10B5ONE"}
    assert dataset["filings"].count == 380 and dataset["deriv_transactions"].count == 141
    assert dataset.execute("select count(*) from filings where filing_date is null").fetchone()[0] == 0


def test_the_same_rows_and_values_both_ways(both):
    xml, dataset = both
    accessions = [p.stem.split("_")[-1] for p in overlap()]
    assert len(accessions) == 10
    for table in IN_SLICE_TABLES:
        _, from_xml = rows(xml, table, accessions, digits=2)
        _, from_dataset = rows(dataset, table, accessions, digits=2)
        assert from_dataset == from_xml, table
    assert sum(len(c) for c in rows(xml, "deriv_transactions", accessions)[1].values()) > 0
    # The data sets round numbers to two decimals (224.048 shares become 224.05): listed.
    assert rows(dataset, "deriv_transactions", accessions)[1] != rows(xml, "deriv_transactions", accessions)[1]
    assert "precision" in DATASET_CANNOT_CARRY


def test_the_filing_facts_are_the_same_but_for_what_the_data_sets_cannot_carry(both):
    xml, dataset = both
    accessions = [p.stem.split("_")[-1] for p in overlap()]
    cannot = {column.split()[0] for column in DATASET_CANNOT_CARRY["filings"]}
    differ = set()
    for accession in accessions:
        a, b = xml["filings"].get(accession), dataset["filings"].get(accession)
        differ |= {column for column in a if column not in NOT_COMPARED and a[column] != b[column]}
        assert all(b[column] is None for column in cannot)
    # The others in the list are empty in these XML files too; this slice has no AFF10B5ONE.
    assert differ == {"schema_version", "aff10b5one"}
    assert "AFF10B5ONE" not in (SLICE / "SUBMISSION.tsv").read_text().splitlines()[0]


def test_footnote_markers_sit_on_the_same_fields(both):
    xml, dataset = both
    accessions = [p.stem.split("_")[-1] for p in overlap()]
    query = ("select footnote_id, table_name, field_name from footnote_refs where accession_number = ? "
             "and table_name in ('nonderiv_holdings', 'deriv_transactions', 'deriv_holdings')")
    for accession in accessions:
        assert Counter(xml.execute(query, [accession]).fetchall()) == Counter(
            dataset.execute(query, [accession]).fetchall()), accession


@pytest.mark.parametrize("order", ["xml first", "data set first"])
def test_a_filing_from_both_is_one_filing_whichever_comes_first(tmp_path, both, order):
    [first] = overlap()[:1]
    accession = first.stem.split("_")[-1]
    db_path = str(tmp_path / "f.db")
    steps = [lambda: build([str(first)], db_path), lambda: import_datasets([str(SLICE)], db_path)]
    for step in steps if order == "xml first" else steps[::-1]:
        step()
    db = sqlite_utils.Database(db_path)
    filing = db["filings"].get(accession)
    assert (filing["source_format"], filing["sources"]) == ("xml", "dataset xml")
    assert filing["filing_date"] == both[1]["filings"].get(accession)["filing_date"]  # from the data set
    assert filing["schema_version"] == both[0]["filings"].get(accession)["schema_version"]  # from the XML
    for table in IN_SLICE_TABLES:
        assert rows(db, table, [accession])[1] == rows(both[0], table, [accession])[1]  # the XML's, unrounded
        assert db.execute(f"select count(*) from {table} where accession_number = ?", [accession]).fetchone()[0] \
            == both[0].execute(f"select count(*) from {table} where accession_number = ?", [accession]).fetchone()[0]
    assert db["filings"].count == 380


def test_a_zip_with_an_extra_and_a_renamed_column(tmp_path):
    folder = tmp_path / "2024q3_form345"
    shutil.copytree(SLICE, folder)
    submission = (folder / "SUBMISSION.tsv").read_text().splitlines()
    header = submission[0].replace("REMARKS", "REMARK") + "\tNEW_COLUMN"
    (folder / "SUBMISSION.tsv").write_text("\n".join([header, *(line + "\tx" for line in submission[1:])]) + "\n")
    archive = tmp_path / "2024q3_form345.zip"
    with zipfile.ZipFile(archive, "w") as zipped:
        for path in folder.iterdir():
            zipped.write(path, path.name)
    result = CliRunner().invoke(cli, ["import-datasets", str(archive), "--db", str(tmp_path / "f.db")])
    assert result.exit_code == 0, result.output
    assert "380 filings (380 new" in result.output
    assert ("warning: 2024q3_form345.zip/SUBMISSION.tsv: columns nobody knows, not imported: NEW_COLUMN, REMARK; "
            "columns missing, left empty: REMARKS, AFF10B5ONE") in result.output
    db = sqlite_utils.Database(tmp_path / "f.db")
    assert db.execute("select count(*) from filings where remarks is not null").fetchone()[0] == 0


def test_importing_twice_changes_nothing(tmp_path):
    db_path = str(tmp_path / "f.db")
    import_datasets([str(SLICE)], db_path)
    report = import_datasets([str(SLICE)], db_path)
    assert (report.new, report.replaced, report.unchanged) == (0, 0, 380)


def test_dates_and_relationships():
    assert to_date("31-JAN-2024") == "2024-01-31" and to_date("09-sep-2024") == "2024-09-09"
    assert to_date("2024-01-31") is None and to_date("31-FOO-2024") is None and to_date("31-FEB-2024") is None
    for text, flags in [("Director,Officer", (1, 1, 0, 0)), ("DirectorTenPercentOwner", (1, 0, 1, 0)),
                        ("Other", (0, 0, 0, 1)), ("", (0, 0, 0, 0))]:
        owner = to_owner({"owner_cik": 1214156, "relationship": text}, 1)
        assert owner["owner_cik"] == 1214156 and "relationship" not in owner
        assert (owner["is_director"], owner["is_officer"], owner["is_ten_percent_owner"], owner["is_other"]) == flags


def test_a_broken_quarter_is_an_error_and_the_next_imports(tmp_path):
    (tmp_path / "quarters").mkdir()
    (tmp_path / "quarters" / "2024q2_form345.zip").write_bytes(b"PK\x03\x04 cut short")
    shutil.copytree(SLICE, tmp_path / "quarters" / "2024q3_form345")
    report = import_datasets([str(tmp_path / "quarters")], str(tmp_path / "f.db"))
    assert report.new == 380
    assert ("quarters/2024q2_form345.zip", "not a zip file") in report.errors


def test_worker_processes_import_the_same_database(tmp_path, monkeypatch):
    """Tables staged and rows converted on two workers, many chunks in flight: the same rows with
    the same rowids, the same errors, and no staging file left behind."""
    (tmp_path / "quarters").mkdir()
    (tmp_path / "quarters" / "2024q2_form345.zip").write_bytes(b"PK\x03\x04 cut short")
    shutil.copytree(SLICE, tmp_path / "quarters" / "2024q3_form345")
    monkeypatch.setattr("form4db.build.BATCH_SIZE", 40)
    monkeypatch.setattr("tempfile.tempdir", str(tmp_path / "scratch"))
    (tmp_path / "scratch").mkdir()
    databases = []
    for jobs in (0, 2):
        databases.append(sqlite_utils.Database(tmp_path / f"jobs{jobs}.db"))
        result = CliRunner().invoke(cli, ["import-datasets", str(tmp_path / "quarters"), "--db",
                                          str(tmp_path / f"jobs{jobs}.db"), "--jobs", str(jobs)])
        assert result.exit_code == 0, result.output
        assert "380 filings (380 new" in result.output and "2024q2_form345.zip: not a zip file" in result.output
    serial, parallel = databases
    for table in ["build_errors", "filings", *CHILD_TABLES, *FOOTNOTE_TABLES, "footnote_texts"]:
        loaded = in_load_order(serial, table)
        assert parallel.execute(loaded).fetchall() == serial.execute(loaded).fetchall(), table
    assert serial["deriv_transactions"].count == 141
    assert list((tmp_path / "scratch").iterdir()) == []


def test_an_unreadable_cell_is_empty_with_a_warning(tmp_path):
    folder = tmp_path / "2024q3_form345"
    shutil.copytree(SLICE, folder)
    lines = (folder / "SUBMISSION.tsv").read_text().splitlines()
    cells = lines[1].split("\t")
    cells[1] = "31-FEB-2024"  # FILING_DATE
    (folder / "SUBMISSION.tsv").write_text("\n".join([lines[0], "\t".join(cells), *lines[2:]]) + "\n")
    import_datasets([str(folder)], str(tmp_path / "f.db"))
    filing = sqlite_utils.Database(tmp_path / "f.db")["filings"].get(cells[0])
    assert filing["filing_date"] is None
    assert filing["parse_warnings"] == '["unreadable value for filing_date: \'31-FEB-2024\'"]'
