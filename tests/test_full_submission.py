"""EDGAR full submissions (.txt and dissemination .nc): the header's facts, the XML inside."""

import shutil

import pytest
import sqlite_utils

from form4db.build import build
from form4db.model import ReadError
from form4db.readers.full_submission import read_full_submission

from .conftest import CORPUS, CORPUS_XML

pytestmark = pytest.mark.usefixtures("corpus")
TXT = CORPUS / "txt"


def read(name):
    return read_full_submission((TXT / name).read_bytes(), name, name)


def test_every_full_submission_in_the_corpus_loads(tmp_path):
    report = build([str(TXT)], str(tmp_path / "f.db"))
    assert (report.files, report.new, report.errors) == (15, 15, [])
    db = sqlite_utils.Database(tmp_path / "f.db")
    assert db.execute("select count(*) from filings where filing_date is null").fetchone()[0] == 0
    assert {r[0] for r in db.execute("select distinct source_format from filings")} == {"full-submission"}


def test_the_header_of_a_txt_submission():
    filing = read("air_4_0001127602-25-001055.txt")
    assert (filing.accession_number, filing.accession_source) == ("0001127602-25-001055", "header")
    assert filing.header == {"submission_type": "4", "filing_date": "2025-01-10",
                             "acceptance_datetime": "2025-01-10T16:07:30-05:00"}
    owner, issuer = filing.entities
    assert owner == {"entity_seq": 1, "role": "reporting-owner", "name": "Garascia Jessica A.", "cik": 1806647,
                     "sec_file_number": "001-06263", "film_number": "25522924", "sic": None, "industry": None}
    assert issuer == {"entity_seq": 2, "role": "issuer", "name": "AAR CORP", "cik": 1750, "sic": 3720,
                      "industry": "AIRCRAFT & PARTS", "state_of_incorporation": "DE", "fiscal_year_end": "0531"}  # not its former name
    assert filing.issuer["issuer_trading_symbol"] == "AIR" and filing.rows["nonderiv_transactions"]


def test_summer_acceptance_times_carry_the_daylight_saving_offset():
    assert read("amzn_4_0001018724-24-000077.txt").header["acceptance_datetime"] == "2024-04-12T17:11:35-04:00"


def test_a_dissemination_file_with_cr_line_ends():
    filing = read("arw_4_0001127602-25-004598.nc")
    assert b"\r" in (TXT / "arw_4_0001127602-25-004598.nc").read_bytes()
    assert filing.header == {"submission_type": "4", "filing_date": "2025-02-13", "acceptance_datetime": None}
    assert filing.document["period_of_report"] == "2025-02-12"
    owner, issuer = filing.entities
    assert (owner["name"], owner["cik"], owner["sec_file_number"], owner["film_number"]) == (
        "Jean-Claude Carine Lamercie", 1870985, "001-04482", "25619631")
    assert (issuer["name"], issuer["cik"], issuer["sic"], issuer["industry"], issuer["fiscal_year_end"]) == (
        "ARROW ELECTRONICS, INC.", 7536, 5065, None, "1231")  # a dissemination file gives the code alone


def test_an_indented_header():
    filing = read("tsla_4_0001790565-23-000009.txt")
    assert filing.header["filing_date"] == "2023-07-31"
    assert [e["role"] for e in filing.entities] == ["reporting-owner", "issuer"]


def test_a_filing_met_as_bare_xml_and_as_full_submission_is_one_filing_with_the_header(tmp_path):
    name = "0001610717-23-000035"
    xml, txt = tmp_path / "xml", tmp_path / "txt"
    xml.mkdir(), txt.mkdir()
    [bare] = CORPUS_XML.glob(f"*{name}*")
    shutil.copy(bare, xml), shutil.copy(TXT / f"txg_4_{name}.txt", txt)
    dumps = []
    for order in ([xml, txt], [txt, xml], [tmp_path]):  # XML first, submission first, one batch
        db_path = tmp_path / f"{len(dumps)}.db"
        for folder in order:
            build([str(folder)], str(db_path))
        db = sqlite_utils.Database(db_path)
        [filing] = db.query("select filing_date, source_format, sources from filings")
        assert filing == {"filing_date": "2023-05-15", "source_format": "full-submission",
                          "sources": "full-submission xml"}
        dumps.append(db.execute("select * from nonderiv_transactions order by id").fetchall())
    solo = tmp_path / "solo.db"
    build([str(bare)], str(solo))
    assert dumps[0] == dumps[1] == dumps[2]
    assert [r[:18] for r in dumps[0]] == [r[:18] for r in sqlite_utils.Database(solo).execute(
        "select * from nonderiv_transactions order by id").fetchall()]  # the same as-filed rows
    assert sqlite_utils.Database(tmp_path / "0.db")["filings"].get(name)["filing_date"] == "2023-05-15"


def test_the_filing_date_feeds_the_filing_delay(tmp_path):
    build([str(TXT / "air_4_0001127602-25-001055.txt")], str(tmp_path / "f.db"))
    rows = sqlite_utils.Database(tmp_path / "f.db").query(
        "select transaction_date, filing_delay_bd, is_late from nonderiv_transactions")
    assert {tuple(r.values()) for r in rows} == {("2025-01-10", 0, 0)}


@pytest.mark.parametrize("cut, reason", [
    (lambda d: d[: len(d) // 2], "truncated: the submission does not end with </SEC-DOCUMENT>"),
    (lambda d: b"hello", "not an EDGAR full submission"),
    (lambda d: d.replace(b"<XML>", b"<XHTML>"), "no ownership XML document of type '4'"),
    (lambda d: d.replace(b"ACCESSION NUMBER:", b"ACCESSION NO:"), "the header gives no accession number"),
])
def test_broken_submissions_are_refused_with_the_reason(cut, reason):
    data = (TXT / "air_4_0001127602-25-001055.txt").read_bytes()
    with pytest.raises(ReadError, match=reason):
        read_full_submission(cut(data), "x.txt", "x.txt")
