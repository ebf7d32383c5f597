"""Form 144 notices: every element of the SEC's samples and of Apple's real notice read into the
database, the samples valid against the SEC's schema, the link of a notice to the Form 4 sale
that carried it out (in one build and when either comes later), a 144/A replacing its original,
bad input, and a fetch of form type 144 through a fake EDGAR on 127.0.0.1."""

import shutil
import sys
from pathlib import Path

import pytest
import sqlite_utils
from click.testing import CliRunner
from lxml import etree

from form4db.build import build
from form4db.cli import cli

from .conftest import CORPUS, REPO
from .fake_edgar import FakeEdgar

sys.path.insert(0, str(REPO / "bench"))
from generate import generate  # noqa: E402

pytestmark = pytest.mark.usefixtures("corpus")
FORM144 = CORPUS / "form144"
MAESTRI_FORM4 = REPO / "tests" / "fixtures" / "form144" / "4_0000320193-23-000055.xml"
APPLE_NOTICE = "sha256-17c06ecc53c43d5d4988"  # bare XML without an accession in its name: keyed by its content
SAMPLE_ORIGINAL = "0001314805-22-201762"  # the accession the SEC's 144/A sample names as the one it amends
AGENT = "form4db tests tests@example.com"
# The schema imports eis_stateCodes.xsd, which is not in the spec folder: a stand-in takes EDGAR's
# two-character state and country codes.
STATE_CODES = b"""<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" targetNamespace="http://www.sec.gov/edgar/statecodes">
<xs:simpleType name="STATE_COUNTRY_CODE"><xs:restriction base="xs:token"><xs:pattern value="[A-Z][A-Z0-9]"/>
</xs:restriction></xs:simpleType></xs:schema>"""


def notices_folder(tmp_path: Path, *extra: Path) -> Path:
    """Apple's notice, the SEC's 144 sample under the accession its 144/A names, the 144/A sample."""
    folder = tmp_path / "notices"
    folder.mkdir()
    shutil.copy(FORM144 / "apple.144.xml", folder)
    shutil.copy(FORM144 / "Sample-144.xml", folder / f"144_{SAMPLE_ORIGINAL}.xml")
    shutil.copy(FORM144 / "Sample-144dashA.xml", folder)
    for path in extra:
        shutil.copy(path, folder)
    return folder


@pytest.fixture(scope="module")
def linked_db(tmp_path_factory) -> sqlite_utils.Database:
    tmp_path = tmp_path_factory.mktemp("form144")
    path = tmp_path / "form4.db"
    report = build([str(notices_folder(tmp_path, MAESTRI_FORM4))], str(path))
    assert (report.new, report.errors) == (4, [])
    return sqlite_utils.Database(path)


def row(db, table: str, key: str, column: str = "id") -> dict:
    return next(db.query(f"select * from {table} where {column} = ?", [key]))


def test_the_real_apple_notice_reads_element_by_element(linked_db):
    assert row(linked_db, "sale_notices", APPLE_NOTICE, "accession_number") == {
        "accession_number": APPLE_NOTICE, "submission_type": "144", "previous_accession_number": None,
        "filer_cik": 1513362, "filer_ccc": "XXXXXXXX", "live_test_flag": "LIVE",
        "contact_name": None, "contact_phone": None, "contact_email": None, "override_internet_flag": None,
        "notification_emails": None, "issuer_cik": 320193, "issuer_name": "Apple Inc.",
        "issuer_sec_file_number": "001-36743", "issuer_street1": "1 Apple Park Way", "issuer_street2": None,
        "issuer_city": "Cupertino", "issuer_state_or_country": "CA", "issuer_zip_code": "95014",
        "issuer_contact_phone": "1-408-996-1010", "seller_name": "Luca Maestri", "relationships": "Director",
        "nothing_to_report_past_sales": 0,
        "remarks": "The sales of shares set forth herein are made in connection with a selling plan dated 11-15-22 "
                   "that is intended to comply with Rule 10b5-1(c). The shares will be sold by The Maestri Living "
                   "Trust dtd 1/29/2016.",
        "notice_date": "2023-04-13", "plan_adoption_dates": "2022-11-15",
        "signature": "Goldman Sachs & Co. LLC on behalf of Luca Maestri",
        "expires_on": "2023-07-12", "superseded_by": None,
    }
    sale = row(linked_db, "proposed_sales", f"{APPLE_NOTICE}_ps1")
    assert {column: sale[column] for column in list(sale)[:15]} == {
        "id": f"{APPLE_NOTICE}_ps1", "accession_number": APPLE_NOTICE, "sale_seq": 1, "security_title": "Common",
        "broker_name": "Goldman Sachs & Co. LLC", "broker_street1": "200 West Street", "broker_street2": None,
        "broker_city": "New York", "broker_state_or_country": "NY", "broker_zip_code": "10282",
        "units_to_sell": 69996, "aggregate_market_value": 11588537.76, "units_outstanding": 15821946000,
        "approx_sale_date": "2023-04-13", "exchange": "NASD",
    }
    assert row(linked_db, "notice_acquisitions", f"{APPLE_NOTICE}_na1") == {
        "id": f"{APPLE_NOTICE}_na1", "accession_number": APPLE_NOTICE, "acquisition_seq": 1,
        "security_title": "Common", "acquired_date": "2023-03-31",
        "nature_of_acquisition": "Acquired as compensation Restricted Stock Units", "acquired_from": "The Issuer",
        "is_gift": 0, "donor_acquired_date": None, "amount_acquired": 69996, "payment_date": "2023-03-31",
        "nature_of_payment": "Compensation",
    }
    assert row(linked_db, "notice_past_sales", f"{APPLE_NOTICE}_np1") == {
        "id": f"{APPLE_NOTICE}_np1", "accession_number": APPLE_NOTICE, "sale_seq": 1, "seller_name": "Luca Maestri",
        "seller_street1": "1 Apple Park Way", "seller_street2": None, "seller_city": "Cupertino",
        "seller_state_or_country": "CA", "seller_zip_code": "95014", "security_title": "Common",
        "sale_date": "2023-04-06", "amount_sold": 200, "gross_proceeds": 32932,
    }
    filing = row(linked_db, "filings", APPLE_NOTICE, "accession_number")
    assert (filing["document_type"], filing["issuer_cik"], filing["issuer_name"], filing["parse_warnings"]) == (
        "144", 320193, "Apple Inc.", None)


def test_the_sec_samples_read_element_by_element(linked_db):
    sample = {
        "accession_number": SAMPLE_ORIGINAL, "submission_type": "144", "previous_accession_number": None,
        "filer_cik": 1161286, "filer_ccc": "#tech123", "live_test_flag": "LIVE", "contact_name": "Raj C",
        "contact_phone": "2025516129", "contact_email": "joe@gmail.com", "override_internet_flag": 0,
        "notification_emails": "joe1@gmail.com, joe2@gmail.com, joe3@gmail.com", "issuer_cik": 1118676,
        "issuer_name": "RUFUS TEST CO", "issuer_sec_file_number": "033-100039",
        "issuer_street1": "5601 N. MacArthur Blvd", "issuer_street2": None, "issuer_city": "Irving",
        "issuer_state_or_country": "TX", "issuer_zip_code": "75038", "issuer_contact_phone": "972-717-0300",
        "seller_name": "van der Velden Jan", "relationships": "Officer, Director, Stakeholder",
        "nothing_to_report_past_sales": 0, "remarks": "This is new 144 form", "notice_date": "2022-09-08",
        "plan_adoption_dates": "2022-08-15, 2022-08-15, 1933-01-02", "signature": "/s/ Jan van der Velden",
        "expires_on": "2022-12-07",
    }
    amendment = next(linked_db.query("select * from sale_notices where submission_type = '144/A'"))
    assert row(linked_db, "sale_notices", SAMPLE_ORIGINAL, "accession_number") == {
        **sample, "superseded_by": amendment["accession_number"]}
    assert amendment == {**sample, "accession_number": amendment["accession_number"], "submission_type": "144/A",
                         "previous_accession_number": SAMPLE_ORIGINAL, "contact_email": "joe@gmail.gov",
                         "superseded_by": None}
    for accession in (SAMPLE_ORIGINAL, amendment["accession_number"]):
        sales = [{column: sale[column] for column in list(sale)[2:15]} for sale in linked_db.query(
            "select * from proposed_sales where accession_number = ? order by sale_seq", [accession])]
        assert sales == [
            {"sale_seq": 1, "security_title": "Common stock", "broker_name": "Virtu Financial",
             "broker_street1": "One Liberty Plaza", "broker_street2": "165 Broadway", "broker_city": "New York",
             "broker_state_or_country": "NY", "broker_zip_code": "10006", "units_to_sell": 17087,
             "aggregate_market_value": 1282000, "units_outstanding": 161514066, "approx_sale_date": "2022-08-27",
             "exchange": "CHX"},
            {"sale_seq": 2, "security_title": "Common stock1", "broker_name": "Virtu Financial 1",
             "broker_street1": "One Liberty Plaza 1", "broker_street2": "165 Broadway 1", "broker_city": "New York",
             "broker_state_or_country": "NY", "broker_zip_code": "10006", "units_to_sell": 18000,
             "aggregate_market_value": 126500000, "units_outstanding": 161514066, "approx_sale_date": "2022-08-27",
             "exchange": "NYSE"},
        ]
        acquisitions = [dict(list(acquired.items())[2:]) for acquired in linked_db.query(
            "select * from notice_acquisitions where accession_number = ? order by acquisition_seq", [accession])]
        assert acquisitions == [
            {"acquisition_seq": 1, "security_title": "Common stock", "acquired_date": "2022-08-27",
             "nature_of_acquisition": "Employee Stock Award", "acquired_from": "Issuer", "is_gift": 1,
             "donor_acquired_date": "2022-08-14", "amount_acquired": 17087, "payment_date": "2022-08-27",
             "nature_of_payment": "CASH"},
            {"acquisition_seq": 2, "security_title": "Common stock - 2", "acquired_date": "1933-01-01",
             "nature_of_acquisition": "Employee Stock Award -1", "acquired_from": "Issuer-1", "is_gift": 1,
             "donor_acquired_date": "1933-01-01", "amount_acquired": 17087, "payment_date": "2021-08-15",
             "nature_of_payment": "CASH-25"},
        ]
        past = [dict(list(sold.items())[2:]) for sold in linked_db.query(
            "select * from notice_past_sales where accession_number = ?", [accession])]
        assert past == [{"sale_seq": 1, "seller_name": "Virtu Financial", "seller_street1": "One Liberty Plaza",
                         "seller_street2": "165 Broadway", "seller_city": "New York", "seller_state_or_country": "NY",
                         "seller_zip_code": "10006", "security_title": "Common Stock", "sale_date": "2022-08-27",
                         "amount_sold": 0, "gross_proceeds": 0}]
    # The attachments (<documents>) are EDGAR's upload only: it strips them from what it disseminates.
    assert row(linked_db, "filings", SAMPLE_ORIGINAL, "accession_number")["parse_warnings"] is None


def form144_schema() -> etree.XMLSchema:
    class StateCodes(etree.Resolver):
        def resolve(self, url, public_id, context):
            if url.endswith("eis_stateCodes.xsd"):
                return self.resolve_string(STATE_CODES, context)
            return None

    parser = etree.XMLParser(no_network=True, resolve_entities=False)
    parser.resolvers.add(StateCodes())
    return etree.XMLSchema(etree.parse(str(FORM144 / "spec" / "eis_Form_144_Ownership.xsd"), parser))


def test_the_samples_are_valid_against_the_sec_schema():
    schema = form144_schema()
    for sample in ("Sample-144.xml", "Sample-144dashA.xml"):
        assert schema.validate(etree.parse(str(FORM144 / sample))), schema.error_log


def test_the_benchmark_notices_are_valid_and_link_to_their_sales(tmp_path):
    generate(tmp_path / "synthetic", 2000, seed=3, notice_share=0.2)
    notices = sorted((tmp_path / "synthetic" / "notices").rglob("*.xml"))
    schema = form144_schema()
    assert len(notices) > 300 and all(schema.validate(etree.parse(str(path))) for path in notices), schema.error_log
    path = tmp_path / "form4.db"
    assert build([str(tmp_path / "synthetic")], str(path)).errors == []
    db = sqlite_utils.Database(path)
    assert db["sale_notices"].count == len(notices)
    linked = db.execute("select count(*) from proposed_sales where executed_rows > 0 and link_method = 'cik'").fetchone()[0]
    assert linked > len(notices) / 3  # the notices of Forms 4 with sales: the rest sell nothing and stay open or lapse


def test_the_apple_notice_links_to_the_form4_sale_that_carried_it_out(linked_db):
    sale = row(linked_db, "proposed_sales", f"{APPLE_NOTICE}_ps1")
    assert {key: sale[key] for key in ("issuer_cik", "notice_date", "status", "shares_executed", "executed_rows",
                                       "executed_row_ids", "first_executed_on", "last_executed_on", "link_method",
                                       "link_confidence")} == {
        "issuer_cik": 320193, "notice_date": "2023-04-13", "status": "executed", "shares_executed": 69996,
        "executed_rows": 1, "executed_row_ids": "0000320193-23-000055_nt1", "first_executed_on": "2023-04-13",
        "last_executed_on": "2023-04-13", "link_method": "cik", "link_confidence": 1.0,
    }
    sold = row(linked_db, "nonderiv_transactions", "0000320193-23-000055_nt1")
    assert (sold["sale_notice_id"], sold["is_10b5_1"], sold["rule_10b5_1_evidence"], sold["plan_adopted_on"]) == (
        f"{APPLE_NOTICE}_ps1", 1, "form144", "2022-11-15")
    trade = row(linked_db, "trades", "0000320193-23-000055_nt1")
    assert (trade["shares"], trade["price"], trade["is_10b5_1"], trade["plan_adopted_on"]) == (
        69996, 165.25, 1, "2022-11-15")


def test_a_144a_replaces_the_notice_it_amends(linked_db):
    original = row(linked_db, "sale_notices", SAMPLE_ORIGINAL, "accession_number")
    amendment = next(linked_db.query("select * from sale_notices where submission_type = '144/A'"))
    assert amendment["previous_accession_number"] == SAMPLE_ORIGINAL
    assert original["superseded_by"] == amendment["accession_number"]
    statuses = {(r["accession_number"], r["status"]) for r in linked_db.query(
        "select accession_number, status from proposed_sales where issuer_cik = 1118676")}
    # No Form 4 of the made-up issuer: the amendment's classes lapsed unsold (the newest data is 2023).
    assert statuses == {(SAMPLE_ORIGINAL, "amended"), (amendment["accession_number"], "lapsed")}
    assert linked_db.execute("select count(*) from amendments where amendment_accession = ?",
                             [amendment["accession_number"]]).fetchone()[0] == 0


def test_a_notice_without_its_sale_stays_open_and_links_when_the_form4_comes(tmp_path):
    path = tmp_path / "form4.db"
    assert build([str(notices_folder(tmp_path))], str(path)).errors == []
    db = sqlite_utils.Database(path)
    sale = row(db, "proposed_sales", f"{APPLE_NOTICE}_ps1")
    assert (sale["status"], sale["shares_executed"], sale["executed_row_ids"], sale["link_method"]) == (
        "open", 0, None, None)
    extra = tmp_path / "later"
    extra.mkdir()
    shutil.copy(MAESTRI_FORM4, extra)
    assert build([str(extra)], str(path)).new == 1  # an update: derives what the new filing can change
    sale = row(db, "proposed_sales", f"{APPLE_NOTICE}_ps1")
    assert (sale["status"], sale["shares_executed"], sale["link_method"]) == ("executed", 69996, "cik")
    assert row(db, "trades", "0000320193-23-000055_nt1")["plan_adopted_on"] == "2022-11-15"


def test_a_notice_filed_after_the_form4_links_to_it_and_the_trade_learns_its_plan(tmp_path):
    path = tmp_path / "form4.db"
    first = tmp_path / "first"
    first.mkdir()
    shutil.copy(MAESTRI_FORM4, first)
    assert build([str(first)], str(path)).errors == []
    db = sqlite_utils.Database(path)
    assert row(db, "trades", "0000320193-23-000055_nt1")["is_10b5_1"] is None
    assert build([str(notices_folder(tmp_path))], str(path)).new == 3
    assert row(db, "proposed_sales", f"{APPLE_NOTICE}_ps1")["status"] == "executed"
    trade = row(db, "trades", "0000320193-23-000055_nt1")
    assert (trade["is_10b5_1"], trade["plan_adopted_on"]) == (1, "2022-11-15")


def test_the_name_links_where_no_cik_does(tmp_path):
    """The same Form 4 filed under another CIK: the notice's "Luca Maestri" finds "Maestri Luca"."""
    other = tmp_path / "other"
    other.mkdir()
    (other / "4_0000320193-23-000055.xml").write_text(
        MAESTRI_FORM4.read_text().replace("<rptOwnerCik>0001513362<", "<rptOwnerCik>0009999999<"))
    path = tmp_path / "form4.db"
    assert build([str(notices_folder(tmp_path)), str(other)], str(path)).errors == []
    sale = row(sqlite_utils.Database(path), "proposed_sales", f"{APPLE_NOTICE}_ps1")
    assert (sale["link_method"], sale["link_confidence"], sale["shares_executed"]) == ("name", 0.8, 69996)


def test_a_sale_beyond_the_units_noticed_or_the_90_days_is_not_linked(tmp_path):
    later = tmp_path / "later"
    later.mkdir()
    text = MAESTRI_FORM4.read_text()
    (later / "4_0000320193-23-000055.xml").write_text(text.replace("<value>69996<", "<value>70000<"))
    (later / "4_0000320193-23-000099.xml").write_text(text.replace("2023-04-13", "2023-07-13"))
    path = tmp_path / "form4.db"
    assert build([str(notices_folder(tmp_path)), str(later)], str(path)).errors == []
    sale = row(sqlite_utils.Database(path), "proposed_sales", f"{APPLE_NOTICE}_ps1")
    assert (sale["status"], sale["shares_executed"], sale["executed_row_ids"]) == ("lapsed", 0, None)


def test_bad_notices_become_build_errors_and_nothing_else_is_lost(tmp_path):
    folder = notices_folder(tmp_path)
    apple = (FORM144 / "apple.144.xml").read_text()
    (folder / "wrong_type.xml").write_text(apple.replace(">144</ns2:submissionType>", ">145</ns2:submissionType>"))
    (folder / "entities.xml").write_text(apple.replace('<?xml version="1.0" encoding="UTF-8"?>',
                                         '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>'))
    (folder / "cut.xml").write_text(apple[:2000])
    path = tmp_path / "form4.db"
    report = build([str(folder)], str(path))
    errors = dict((Path(path).name, reason) for path, reason in report.errors)
    assert errors["wrong_type.xml"] == "submissionType '145' is not a Form 144 or 144/A"
    assert errors["entities.xml"] == "refused: the document declares a DTD or entities (never resolved)"
    assert errors["cut.xml"].startswith("not well-formed XML")
    assert report.new == 3
    assert sqlite_utils.Database(path)["sale_notices"].count == 3


def full_submission(accession: str, notice: bytes) -> bytes:
    """Apple's notice in the full submission EDGAR would serve (the accession made up for the test)."""
    header = f"""<SEC-DOCUMENT>{accession}.txt : 20230413
<SEC-HEADER>{accession}.hdr.sgml : 20230413
<ACCEPTANCE-DATETIME>20230413163207
ACCESSION NUMBER:\t\t{accession}
CONFORMED SUBMISSION TYPE:\t144
PUBLIC DOCUMENT COUNT:\t\t1
FILED AS OF DATE:\t\t20230413

SUBJECT COMPANY:\t

\tCOMPANY DATA:\t
\t\tCOMPANY CONFORMED NAME:\t\t\tApple Inc.
\t\tCENTRAL INDEX KEY:\t\t\t0000320193

REPORTING-OWNER:\t

\tOWNER DATA:\t
\t\tCOMPANY CONFORMED NAME:\t\t\tMaestri Luca
\t\tCENTRAL INDEX KEY:\t\t\t0001513362
</SEC-HEADER>
<DOCUMENT>
<TYPE>144
<SEQUENCE>1
<FILENAME>primary_doc.xml
<TEXT>
<XML>
"""
    return header.encode() + notice.strip() + b"\n</XML>\n</TEXT>\n</DOCUMENT>\n</SEC-DOCUMENT>\n"


def test_update_fetches_form_144_from_edgar(tmp_path):
    accession = "0009999999-23-000144"
    submission = full_submission(accession, (FORM144 / "apple.144.xml").read_bytes())
    days = {"2023-04-13": [(320193, "Apple Inc.", "144", accession), (1513362, "Maestri Luca", "144", accession),
                           (99, "Other Filer Inc", "8-K", "0000000099-23-000001")]}
    db_path = tmp_path / "form4.db"
    with FakeEdgar({accession: submission}, days).start() as edgar:
        options = ["--since", "2023-04-13", "--until", "2023-04-13", "--base-url", edgar.base_url,
                   "--cache", str(tmp_path / "cache"), "--user-agent", AGENT, "--db", str(db_path)]
        result = CliRunner().invoke(cli, ["update", "--forms", "4", *options])
        assert result.exit_code == 0, result.output
        assert "nothing new to load" in result.output  # a Form 144 is not a Form 4
        result = CliRunner().invoke(cli, ["update", "--forms", "144", *options])
        assert result.exit_code == 0, result.output
        assert "1 files, 1 filings (1 new" in result.output
    db = sqlite_utils.Database(db_path)
    filing = row(db, "filings", accession, "accession_number")
    assert (filing["document_type"], filing["filing_date"], filing["acceptance_datetime"], filing["source_format"]) == (
        "144", "2023-04-13", "2023-04-13T16:32:07-04:00", "full-submission")
    assert row(db, "sale_notices", accession, "accession_number")["seller_name"] == "Luca Maestri"
    assert row(db, "proposed_sales", f"{accession}_ps1")["units_to_sell"] == 69996
    assert [entity["cik"] for entity in db["filing_entities"].rows] == [320193, 1513362]
