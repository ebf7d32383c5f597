"""Filings that are not XML: the seed (a Form 4 rendered as text) and pre-2003 text filings."""

import contextlib
from pathlib import Path

import pytest
import sqlite_utils
import yaml
from datasette.app import Datasette

from form4db.build import build
from form4db.model import ReadError
from form4db.readers.ownership_xml import read_ownership_xml
from form4db.readers.rendered_text import (
    RENDERING_CANNOT_CARRY,
    read_rendered_text,
    surrogate_key,
)

from .conftest import CORPUS, METADATA, REPO, SAMPLE

SEED = CORPUS.parent / "seed" / "000_20df6d6f311adac3.txt"
LEGACY = CORPUS / "text"
HEADER_ONLY = LEGACY / "form4_0001012325-98-000004_header-only.txt"
FULL_TEXT = LEGACY / "form4_0001094891-00-000193_full.txt"
TRANSCRIPTION = SAMPLE / "qualys_4_seed-2013-11-22.xml"

pytestmark = pytest.mark.usefixtures("corpus")


@pytest.fixture(scope="module")
def seed_db(tmp_path_factory):
    path = tmp_path_factory.mktemp("seed") / "seed.db"
    report = build([str(SEED)], str(path))
    assert report.errors == [] and report.new == 1
    return sqlite_utils.Database(path)


@pytest.fixture(scope="module")
def legacy_db(tmp_path_factory):
    path = tmp_path_factory.mktemp("legacy") / "legacy.db"
    report = build([str(LEGACY)], str(path))
    assert report.errors == [] and report.new == 2
    return sqlite_utils.Database(path)


def one(db, sql, params=()):
    [row] = db.execute(sql, params).fetchall()
    return row


def test_the_seed_is_one_form_4_of_qualys(seed_db):
    filing = next(seed_db["filings"].rows)
    assert (filing["document_type"], filing["issuer_name"], filing["issuer_trading_symbol"],
            filing["period_of_report"]) == ("4", "QUALYS, INC.", "QLYS", "2013-11-22")
    assert (filing["source_format"], filing["parse_quality"], filing["accession_source"]) == (
        "rendered-text", "best-effort", "content_hash")
    assert filing["filing_date"] is None  # the rendering does not say when it was filed
    assert filing["date_of_original_submission"] is None and filing["schema_version"] is None


def test_the_seed_owner_is_albert_peter_vp_operations(seed_db):
    [owner] = seed_db["filing_owners"].rows
    assert (owner["owner_name"], owner["officer_title"]) == ("Albert Peter", "VP, OPERATIONS")
    assert (owner["is_officer"], owner["is_director"], owner["is_ten_percent_owner"], owner["is_other"]) == (1, 0, 0, 0)
    assert (owner["street1"], owner["city"], owner["state"], owner["zip_code"]) == (
        "C/O QUALYS, INC., 1600 BRIDGE PARKWAY", "REDWOOD CITY", "CA", "94065")


def test_the_seed_table_i_rows(seed_db):
    rows = seed_db.execute(
        "select security_title, transaction_date, transaction_code, shares, acquired_disposed, price_per_share, "
        "shares_owned_after, direct_indirect, nature_of_ownership, deemed_execution_date "
        "from nonderiv_transactions order by row_seq").fetchall()
    # The share amounts were lost in the rendering: NULL, not guessed.
    assert rows == [
        ("Common Stock", "2013-11-22", "M", None, "A", 4.8, 10000, "D", None, None),
        ("Common Stock", "2013-11-22", "S", None, "D", 22.5307, 0, "D", None, None),
    ]


def test_the_seed_table_ii_row(seed_db):
    row = one(seed_db, """select security_title, conversion_or_exercise_price, transaction_date, transaction_code,
        shares, acquired_disposed, exercise_date, expiration_date, underlying_security_title, underlying_shares,
        shares_owned_after, direct_indirect from deriv_transactions""")
    assert row == ("Stock Option (right to buy)", 4.8, "2013-11-22", "M", 10000, None, None, "2021-04-28",
                   "Common Stock", 10000, None, None)
    assert seed_db["nonderiv_holdings"].count == seed_db["deriv_holdings"].count == 0


def test_the_seed_footnotes_sit_where_their_markers_stand(seed_db):
    footnotes = dict(seed_db.execute("select footnote_id, text from footnotes").fetchall())
    assert set(footnotes) == {"F1", "F3"}  # the form's boilerplate notes (*, **) are not footnotes
    # (1) as rendered: run together with what was likely a separate weighted-average-price note.
    assert footnotes["F1"].startswith("The transactions reported on this Form 4 were effected pursuant to a Rule "
                                      "10b5-1 trading plan adopted by the Reporting Person on August 28, 2013.")
    assert "ranging from $22.50 to $22.71 per share" in footnotes["F1"]
    assert footnotes["F3"].startswith("The option is subject to an early exercise provision")
    refs = seed_db.execute("select footnote_id, table_name, row_seq, field_name from footnote_refs order by id").fetchall()
    assert sorted(refs) == sorted([
        ("F1", "nonderiv_transactions", 1, "transaction_code"),
        ("F1", "nonderiv_transactions", 2, "transaction_code"),
        ("F1", "deriv_transactions", 1, "transaction_code"),
        ("F3", "deriv_transactions", 1, "exercise_date"),
    ])


def test_the_seed_signature(seed_db):
    row = one(seed_db, "select signature_name, signature_date from signatures")
    assert row == ("/s/ Bruce Posey by power of attorney for Peter Albert", "2013-11-22")


def test_the_seed_says_what_the_rendering_lost(seed_db):
    warnings = one(seed_db, "select parse_warnings from filings")[0]
    for lost in ("nonderiv_transactions row 1 shares", "nonderiv_transactions row 2 shares",
                 "deriv_transactions row 1 acquired_disposed", "deriv_transactions row 1 shares_owned_after"):
        assert lost in warnings
    assert "footnote numbers skip (2)" in warnings


def test_the_seed_gets_surrogate_keys_never_merged_with_a_cik(tmp_path, seed_db):
    issuer_cik, owner_cik = one(seed_db, "select f.issuer_cik, o.owner_cik from filings f join filing_owners o "
                                "using (accession_number)")
    assert issuer_cik == surrogate_key("QUALYS, INC.") < 0 and owner_cik == surrogate_key("Albert Peter") < 0
    assert one(seed_db, "select issuer_name from issuers where issuer_cik = ?", [issuer_cik]) == ("QUALYS, INC.",)
    assert one(seed_db, "select owner_name from owners where owner_cik = ?", [owner_cik]) == ("Albert Peter",)
    # Beside a filing of the same issuer and owner that gives their CIKs, the two stay apart.
    with_ciks = TRANSCRIPTION.read_bytes().replace(
        b"<issuerName>", b"<issuerCik>0001107843</issuerCik><issuerName>").replace(
        b"<rptOwnerName>", b"<rptOwnerCik>0001577539</rptOwnerCik><rptOwnerName>")
    (tmp_path / "with-ciks.xml").write_bytes(with_ciks)
    path = tmp_path / "both.db"
    assert build([str(SEED), str(tmp_path / "with-ciks.xml")], str(path)).errors == []
    db = sqlite_utils.Database(path)
    assert db.execute("select issuer_cik from issuers where issuer_name = 'QUALYS, INC.' order by 1").fetchall() == [
        (issuer_cik,), (1107843,)]
    assert db.execute("select owner_cik from owners where owner_name = 'Albert Peter' order by 1").fetchall() == [
        (owner_cik,), (1577539,)]


def test_the_seed_text_is_kept_and_searchable(seed_db):
    [text] = seed_db["filing_texts"].rows
    assert text["text"] == SEED.read_text() and text["document_type"] == "4"
    found = seed_db.execute("select count(*) from filing_texts_fts where filing_texts_fts match 'Posey'").fetchone()
    assert found == (1,)


def test_the_seed_agrees_with_its_transcription_wherever_it_has_a_value():
    rendered = read_rendered_text(SEED.read_bytes(), SEED.name, SEED.name)
    transcribed = read_ownership_xml(TRANSCRIPTION.read_bytes(), TRANSCRIPTION.name, TRANSCRIPTION.name)
    cannot = set(RENDERING_CANNOT_CARRY["rows"])
    for table, rows in transcribed.rows.items():
        assert [{k: v for k, v in row.items() if k not in cannot} for row in rows] == rendered.rows[table]
        assert not any(column in row for row in rendered.rows[table] for column in cannot)
    assert rendered.footnotes == transcribed.footnotes and rendered.footnote_refs == transcribed.footnote_refs
    assert rendered.signatures == transcribed.signatures
    assert {k: v for k, v in rendered.owners[0].items() if k != "owner_cik"} == transcribed.owners[0]
    assert {k: v for k, v in rendered.issuer.items() if k != "issuer_cik"} == transcribed.issuer
    assert rendered.document == transcribed.document


def test_a_pre_2003_header_only_filing_lands_with_its_header_and_text(legacy_db):
    filing = legacy_db["filings"].get("0001012325-98-000004")
    assert (filing["source_format"], filing["parse_quality"], filing["document_type"]) == (
        "legacy-text", "header-only", "4")
    assert (filing["filing_date"], filing["period_of_report"]) == ("1998-11-20", "1998-10-31")
    assert (filing["issuer_cik"], filing["issuer_name"]) == (1035972, "MORTON INTERNATIONAL INC /IN/")
    owner = one(legacy_db, "select owner_cik, owner_name, is_director, is_officer from filing_owners "
                "where accession_number = '0001012325-98-000004'")
    assert owner == (1012325, "CANTALUPO JAMES R", 1, 0)
    assert one(legacy_db, "select count(*) from filing_texts_fts where filing_texts_fts match 'RIVERSIDE'") == (1,)
    assert legacy_db.execute("select count(*) from nonderiv_transactions where accession_number = "
                             "'0001012325-98-000004'").fetchone() == (0,)


def test_a_pre_2003_text_table_is_read_best_effort(legacy_db):
    accession = "0001094891-00-000193"
    filing = legacy_db["filings"].get(accession)
    assert (filing["source_format"], filing["parse_quality"], filing["issuer_trading_symbol"]) == (
        "legacy-text", "best-effort", "PRAC")
    assert (filing["issuer_cik"], filing["filing_date"], filing["period_of_report"]) == (911787, "2000-03-14",
                                                                                          "2000-02-29")
    row = one(legacy_db, """select security_title, conversion_or_exercise_price, transaction_date, transaction_code,
        transaction_timeliness, shares, acquired_disposed, exercise_date, expiration_date, underlying_security_title,
        underlying_shares, price_per_share, shares_owned_after, direct_indirect, nature_of_ownership
        from deriv_transactions where accession_number = ?""", [accession])
    # The wrapped cells are joined ("Co" + "mmon Stock", "2/7/0" + "0"); "A,D" is no A/D code.
    assert row == ("Options to Purchase Common Stock", 1.375, "2000-02-07", "A", "E", 12000, None, "2000-02-07",
                   "2005-02-07", "Common Stock", 12000, None, 12000, "D", None)
    assert "unreadable acquired_disposed 'A,D'" in filing["parse_warnings"]
    assert "shares '12,000 -' read as '12,000'" in filing["parse_warnings"]
    assert legacy_db.execute("select count(*) from nonderiv_transactions where accession_number = ?",
                             [accession]).fetchone() == (0,)  # Table I is empty in this filing
    assert one(legacy_db, "select signature_name, signature_date from signatures where accession_number = ?",
               [accession]) == ("/s/ Alan H. Foster", "2000-03-13")
    entities = legacy_db.execute("select role, cik, sic from filing_entities where accession_number = ?",
                                 [accession]).fetchall()
    assert entities == [("issuer", 911787, 3540), ("reporting-owner", 1050609, None)]


GARBAGE = {
    "notes.txt": b"Meeting notes\nNothing to see here.\n",
    "binary.txt": bytes(range(256)) * 4,
    "empty.txt": b"",
    "form-words.txt": b"FORM 4\nsome words but no table\n",
    "ten-k.txt": b"<SEC-DOCUMENT>\nACCESSION NUMBER: 0000000001-99-000001\nCONFORMED SUBMISSION TYPE: 10-K\n"
                 b"FILED AS OF DATE: 19990101\n</SEC-DOCUMENT>\n",
    "pem-without-submission.txt": b"-----BEGIN PRIVACY-ENHANCED MESSAGE-----\nProc-Type: 2001,MIC-CLEAR\n",
    "modern-without-xml.txt": b"<SEC-DOCUMENT>\nACCESSION NUMBER: 0000000001-10-000001\n"
                              b"CONFORMED SUBMISSION TYPE: 4\nFILED AS OF DATE: 20100104\n<DOCUMENT>\n<TYPE>4\n"
                              b"<TEXT>\nFORM 4\n</TEXT>\n</DOCUMENT>\n</SEC-DOCUMENT>\n",
}


def test_garbage_text_files_land_in_build_errors_beside_good_ones(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    for name, data in GARBAGE.items():
        (folder / name).write_bytes(data)
    (folder / "seed.txt").write_bytes(SEED.read_bytes())
    (folder / "legacy.txt").write_bytes(FULL_TEXT.read_bytes())
    report = build([str(folder)], str(tmp_path / "f.db"))
    errors = dict(report.errors)
    assert set(errors) == {f"in/{name}" for name in GARBAGE}
    assert report.new == 2
    assert "not a Form 3, 4 or 5 rendered as text" in errors["in/notes.txt"]
    assert "binary data" in errors["in/binary.txt"]
    assert "10-K" in errors["in/ten-k.txt"]
    assert "no ownership XML document" in errors["in/modern-without-xml.txt"]


def test_a_truncated_seed_keeps_what_it_shows_and_never_crashes():
    text = SEED.read_bytes()
    for end in range(0, len(text), 97):
        with contextlib.suppress(ReadError):  # any other exception fails the test
            read_rendered_text(text[:end], "cut.txt", "cut.txt")


def test_header_only_legacy_text_is_stored_whole(legacy_db):
    text = one(legacy_db, "select text from filing_texts where accession_number = '0001012325-98-000004'")[0]
    assert "MORTON INTERNATIONAL INC /IN/" in text and Path(HEADER_ONLY).read_text().startswith(text[:40])


def test_a_database_built_before_parse_quality_gets_it(tmp_path):
    path = tmp_path / "old.db"
    build([str(TRANSCRIPTION)], str(path))
    with sqlite_utils.Database(path).conn as conn:
        conn.execute("DROP INDEX idx_filings_parse_quality")
        conn.execute("ALTER TABLE filings DROP COLUMN parse_quality")
        conn.execute("DROP TABLE filing_texts")
    assert build([str(SEED)], str(path)).new == 1
    db = sqlite_utils.Database(path)
    assert db.execute("select source_format, parse_quality from filings order by 1").fetchall() == [
        ("rendered-text", "best-effort"), ("xml", "complete")]
    assert db["filing_texts"].count == 1


async def test_the_site_shows_provenance_and_no_edgar_link_for_a_surrogate_key(seed_db):
    metadata = yaml.safe_load(METADATA.read_text())
    datasette = Datasette([str(seed_db.conn.execute("pragma database_list").fetchone()[2])], metadata=metadata,
                          plugins_dir=str(REPO / "plugins"))
    accession = one(seed_db, "select accession_number from filings")[0]
    page = (await datasette.client.get(f"/seed/filings/{accession}")).text
    assert "rendered-text" in page and 'title="read from text laid out for people' in page
    assert ">surrogate</small>" in page and "getcompany&amp;CIK=-" not in page
    facets = (await datasette.client.get("/seed/filings.json?_facet=parse_quality")).json()
    assert facets["facet_results"]["parse_quality"]["results"][0]["value"] == "best-effort"
