"""Each rule of issue 20 on the real sentences and filings it was written for: Rule 10b5-1 scope
and negation, plan adoption dates, price ranges, open market by security class, EDGAR's closed
days, owner roles, copies, exact decimals and unknown owner counts."""

import sqlite3

import pytest

from form4db.build import build, import_datasets
from form4db.derive import business_days, is_common_equity, price_ranges, read_10b5_1
from form4db.derive.calendar import CLOSURES, calendar_rows
from form4db.derive.roles import owner_roles
from form4db.derive.rule_10b5_1 import adoption_date

from .conftest import CORPUS, rows

pytestmark = pytest.mark.usefixtures("corpus")


# ---- Rule 10b5-1 ---------------------------------------------------------------------------

def test_a_remark_on_the_sales_marks_the_sales_only(real_db):
    # Microsoft, 2 Sep 2025: an award (A), a tax withholding (F) and six sales (S); the remarks
    # say "The sales reported on this Form 4 were made pursuant to a Rule 10b5-1 trading plan
    # adopted on March 7, 2025".
    found = rows(real_db, """select t.transaction_code, t.is_10b5_1, t.plan_adopted_on, t.rule_10b5_1_evidence
        from nonderiv_transactions t join filings f using (accession_number)
        where f.source_path = 'xml/msft_4_2025-09-02_1513142_c2b0be.xml' order by t.row_seq""")
    assert [tuple(r.values()) for r in found[:3]] == [
        ("A", None, None, None), ("F", None, None, None), ("S", 1, "2025-03-07", "remarks")]
    assert {tuple(r.values()) for r in found[2:]} == {("S", 1, "2025-03-07", "remarks")}


def test_negation_an_ended_plan_and_a_plan_to_come_never_give_1():
    said = read_10b5_1("The transaction reported on this Form 4 was not made pursuant to a contract, instruction "
                       "or written plan for the purchase or sale of equity securities of the issuer that is intended "
                       "to satisfy the affirmative defense conditions of Rule 10b5-1(c).")
    assert said == ((("all", 0),), None)  # "The transaction reported on this Form 4": every row
    assert read_10b5_1("On May 1, 2023, the reporting person terminated his Rule 10b5-1 trading plan.") is None
    assert read_10b5_1("On March 1, 2023, the reporting person adopted a Rule 10b5-1 trading plan under which "
                       "sales may begin in June 2023.") is None
    # A conversion made for sales still to come under a plan (Bentley Systems): not itself under it.
    assert read_10b5_1("Represents the conversion of Class B Common Stock into Class A Common Stock held of record "
                       "by the Reporting Person in connection with sales to be effected pursuant to a Rule 10b5-1 "
                       "trading plan adopted by the reporting person on February 14, 2022.") is None


def test_the_rows_a_text_on_no_row_covers():
    def covers(text):
        return read_10b5_1(text)[0][0][0]
    assert covers("The sales reported on this Form 4 were made pursuant to a Rule 10b5-1 trading plan.") == ",S,"
    assert covers("This purchase was made pursuant to a previously adopted plan complying with "
                  "Rule 10b5-1(c).") == ",P,"
    assert covers("The option exercise and sales reported in this Form 4 were effected pursuant to a Rule 10b5-1 "
                  "trading plan adopted by the reporting person.") == ",S,M,X,O,"
    assert covers("All transactions reported in this Form 4 were effected pursuant to a Rule 10b5-1 Trading Plan "
                  "adopted by the Reporting Person on May 28, 2022.") == "all"
    assert covers("Effected pursuant to a pre-arranged trading plan established in accordance with Rule 10b5-1 of "
                  "the Securities Exchange Act of 1934, as amended.") == "open_market"


def test_the_checkbox_alone_marks_open_market_trades_and_leaves_the_rest_unknown(real_db):
    by_kind = rows(real_db, """select t.is_open_market, t.is_10b5_1, t.rule_10b5_1_evidence, count(*) as n
        from nonderiv_transactions t join filings f using (accession_number)
        where f.aff10b5one = 1 and coalesce(t.rule_10b5_1_evidence, 'checkbox') = 'checkbox'
        group by 1, 2, 3""")
    assert {(r["is_open_market"], r["is_10b5_1"], r["rule_10b5_1_evidence"]) for r in by_kind} == {
        (1, 1, "checkbox"), (0, None, None)}
    unchecked = real_db.execute("""select distinct t.is_10b5_1 from nonderiv_transactions t join filings f
        using (accession_number) where f.aff10b5one = 0 and t.rule_10b5_1_evidence = 'checkbox_unchecked'""")
    assert unchecked.fetchall() == [(0,)]


def test_adoption_dates_only_where_the_text_ties_them_to_the_adoption():
    assert adoption_date("This sale was executed pursuant to a Rule 10b5-1 Plan that was entered into by the "
                         "Reporting Person during an open trading window and disclosed by the Issuer on Form 8-K on "
                         "March 17, 2025.") is None
    assert adoption_date("As of October 2, 2015, pursuant to a merger agreement, the shares were converted; sales "
                         "are made under a Rule 10b5-1 plan.") is None
    assert adoption_date("The transactions were effected under a Rule 10b5-1 plan on April 13, 2022.") is None
    assert adoption_date("Sales under a Rule 10b5-1 plan adopted prior to January 1, 2023.") is None
    assert adoption_date("On December 15, 2021, Mr. Dolan adopted a 10b5-1 Plan which was amended on "
                         "December 6, 2022.") == "2021-12-15"
    assert adoption_date("Represents shares of Class A common stock sold in the open market pursuant to a Rule "
                         "10b5-1 plan adopted by the Reporting Person on June 15, 2022, and modified on "
                         "September 14, 2022.") == "2022-06-15"
    assert adoption_date("Sale pursuant to 10b5-1 plan dated November 12, 2022.") == "2022-11-12"
    assert adoption_date("Rule 10b5-1 plan; adoption date: 03-13-2023.") == "2023-03-13"
    assert adoption_date("The sales were effectuated pursuant to a Rule 10b5-1 trading plan adopted by the "
                         "reporting person on 12/05/2022.") == "2022-12-05"
    assert adoption_date("The sales reported on this Form 4 were effected pursuant to a Rule 10b5-1 trading plan "
                         "adopted by the Still Family Trust, DTD 3/12/1996 (the \"Still Family Trust\") on "
                         "January 17, 2018.") == "2018-01-17"


# ---- price ranges ----------------------------------------------------------------------------

def test_price_ranges_in_the_ways_filers_write_them():
    assert price_ranges("sold at prices ranging from $1.55-1.7108") == [(1.55, 1.7108, None)]
    assert price_ranges("Represents the weighted average sale price. The highest price at which shares were sold "
                        "was $172.17 and the lowest price at which shares were sold was $172.04.") == [
        (172.04, 172.17, None)]
    assert price_ranges("the sale prices ranged from 110.3300 to 110.7400 per share") == [(110.33, 110.74, None)]
    assert price_ranges("The actual sale prices ranged from a low of $17.85 to a high of $17.99.") == [
        (17.85, 17.99, None)]
    assert price_ranges("ranging from $.3331 to $.3531, inclusive") == [(0.3331, 0.3531, None)]


def test_several_ranges_in_one_footnote_go_to_their_own_rows():
    assert price_ranges("The transactions on February 16, 2023 and February 21, 2023 were each executed in "
                        "multiple trades at prices ranging from $2.00 to $2.195 and $2.00 to $2.07, respectively.") == [
        (2.0, 2.195, "2023-02-16"), (2.0, 2.07, "2023-02-21")]


def test_a_footnote_dated_range_reaches_the_row_of_its_date(real_db):
    found = real_db.execute("""select t.transaction_date, t.price_per_share, t.price_low, t.price_high
        from nonderiv_transactions t join footnote_refs r on r.row_id = t.id
        join footnotes n on n.accession_number = r.accession_number and n.footnote_id = r.footnote_id
        where n.text like 'The transactions on February 16, 2023 and February 21, 2023%' order by t.row_seq""")
    assert [tuple(row[2:]) for row in found.fetchall()] == [(2.0, 2.195), (2.0, 2.07)]


# ---- open market -----------------------------------------------------------------------------

@pytest.mark.parametrize("title, common", [
    ("Class C Capital Stock", 1), ("Class A Common Stock, par value $0.0001", 1), ("Ordinary Shares", 1),
    ("American Depositary Shares", 1), ("Common Units representing limited partner interests", 1),
    ("Class A Shares", 1), ("Comm Stock - $.16-2/3 value", 1), ("Common Shares of Beneficial Interest", 1),
    ("Depositary Shares for Series B Preferred Stock", 0), ("Depositary shares", 0), ("Series A Preferred Stock", 0),
    ("AMC Preferred Equity Units", 0), ("5.25% Senior Notes due 2030", 0), ("Warrants to purchase Common Stock", 0),
    ("Units, each consisting of one share of Class A common stock and one-half of one warrant", 0),
    ("Restricted Stock Units", 0), ("Trust Certificates", 0)])
def test_common_equity_in_its_names(title, common):
    assert is_common_equity(title) == common


def test_alphabet_class_c_sales_are_open_market(real_db):
    # Alphabet, 19 Sep 2018: ten sales of Class C Capital Stock, $11.2 M.
    count, value = real_db.execute("""select count(*), sum(t.value_usd) from nonderiv_transactions t
        join filings f using (accession_number) where f.source_path = 'xml/goog_4_2018-09-19_1534753_72349b.xml'
        and t.security_title = 'Class C Capital Stock' and t.is_open_market = 1""").fetchone()
    assert count == 10 and round(value / 1e5) == 112


# ---- EDGAR's calendar ------------------------------------------------------------------------

def test_edgar_closed_days_by_executive_order():
    closed = {day: reason for day, _, _, reason in calendar_rows() if reason}
    assert closed["2019-12-24"] == "Closed by executive order (EO 13900, 84 FR 69983)"
    assert closed["2018-12-05"].startswith("National day of mourning for George H. W. Bush (EO 13852")
    assert all("EO " in reason for reason in CLOSURES.values())
    assert "2015-12-24" not in closed  # a half day
    # Traded Friday 20 December 2019, filed Thursday 26 December: Monday 23 and Thursday 26, on time.
    assert business_days("2019-12-20", "2019-12-26") == 2


# ---- owner roles -----------------------------------------------------------------------------

@pytest.mark.parametrize("title, roles", [
    ("President and CEO", "is_ceo,is_president"), ("Co-CEO", "is_ceo"), ("Principal Executive Officer", "is_ceo"),
    ("EVP & Chief Financial Officer", "is_cfo"), ("Chairman of the Board", "is_chair"),
    ("Chief Legal Officer", "is_general_counsel"), ("Chairman, President & CEO", "is_ceo,is_president,is_chair"),
    ("Interim CEO", "is_ceo"), ("Executive Vice President", ""), ("Vice Chairman", ""),
    ("Chief Accounting Officer", ""),
    ("President, Americas", ""), ("Pres. & CEO, Southern Nuclear", ""), ("CEO of Stifel Bank & Trust", ""),
    ("Group President", ""), ("Senior Advisor to the CEO", ""), ("Chairman of Exec. Committee", ""),
    ("Vice Chair & CFO", "is_cfo"), ("Sr. Exec. VP and Gen. Counsel", "is_general_counsel")])
def test_roles_from_the_title(title, roles):
    assert owner_roles(title, None, None) == roles


def test_roles_from_the_remarks_and_not_from_a_former_role():
    assert owner_roles("See Remarks", None, "General Counsel and Chief Legal Officer\n\nRepresents the 3rd "
                       "tranche of stock option grants previously approved by the Compensation Committee.") == \
        "is_general_counsel"
    assert owner_roles(None, "Fmr Director, President & CFO", None) == ""
    assert owner_roles("President", "& COO", None) == "is_coo,is_president"


# ---- copies, decimals, owner counts ----------------------------------------------------------

def test_a_copy_under_a_file_name_without_an_accession_is_linked_and_left_out(real_db):
    [copy] = rows(real_db, "select accession_number, copy_of from filings "
                  "where source_path = 'xml/aapl_4_2019-08-24_1214156_0c40fe.xml'")
    assert copy["copy_of"] == "0000320193-19-000090"
    superseded = real_db.execute("select superseded_by from nonderiv_transactions where accession_number = ?",
                                 [copy["accession_number"]]).fetchall()
    assert superseded and all(row_id.startswith("0000320193-19-000090_nt") for row_id, in superseded)
    assert real_db.execute("select count(*) from nonderiv_transactions_amended where accession_number = ?",
                           [copy["accession_number"]]).fetchone()[0] == 0


def test_holdings_before_are_exact_decimals(real_db):
    # DTE: 8,741.7 owned after buying 8,706 — 35.7 before, not 35.7000000000007.
    assert real_db.execute("select owned_before from nonderiv_transactions where id = '0000006281-23-000101_nt1'"
                           ).fetchone()[0] == 35.7
    tails = real_db.execute("select count(*) from nonderiv_transactions where owned_before is not null "
                            "and length(cast(owned_before as text)) > 16").fetchone()[0]
    assert tails == 0


def test_owner_count_is_unknown_where_the_data_set_lists_no_owners(tmp_path):
    import_datasets([str(CORPUS / "insider-datasets" / "2024q3_form345_slice")], str(tmp_path / "d.db"))
    counts = sqlite3.connect(tmp_path / "d.db").execute("select distinct owner_count from filings").fetchall()
    assert counts == [(None,)]  # the slice has no REPORTINGOWNER table


@pytest.mark.parametrize("first", ["copy", "original"])
def test_a_copy_is_linked_whichever_arrives_first(tmp_path, first):
    files = {"copy": CORPUS / "xml" / "aapl_4_2019-08-24_1214156_0c40fe.xml",
             "original": CORPUS / "txt-more" / "4_0000320193-19-000090.txt"}
    for name, path in files.items():
        (tmp_path / name).mkdir()
        (tmp_path / name / path.name).write_bytes(path.read_bytes())
    db = tmp_path / "form4.db"
    build([str(tmp_path / first)], str(db))
    report = build([str(tmp_path / ("original" if first == "copy" else "copy"))], str(db))
    assert report.loaded is not None  # an update, derived incrementally
    conn = sqlite3.connect(db)
    assert conn.execute("select copy_of from filings where copy_of is not null").fetchall() == [
        ("0000320193-19-000090",)]
    superseded = conn.execute("select superseded_by from nonderiv_transactions where accession_number like 'sha256-%'")
    assert {row_id.split("_")[0] for row_id, in superseded} == {"0000320193-19-000090"}
