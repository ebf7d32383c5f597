"""The bundled sample, real filings: what the quick start shows, with every screen and page
holding real rows; the seed Form 4 transcribed faithfully; and the fictional test filings, one per
feature."""

import re

import pytest
import yaml

from .conftest import METADATA, links_of, rows, site_for

SCHWAB = 316709


def test_sample_loads_without_errors_or_warnings(sample_db):
    assert sample_db["filings"].count == 392
    assert sample_db["build_errors"].count == 0
    assert sample_db.execute("select count(*) from filings where parse_warnings is not null").fetchone()[0] == 0


def test_the_sample_is_real_edgar_submissions_and_the_seed(sample_db):
    found = rows(sample_db, """select source_format, accession_source, count(*) as n, min(filing_date) as first,
        max(filing_date) as last from filings group by 1, 2 order by 1""")
    assert found == [
        {"source_format": "full-submission", "accession_source": "header", "n": 391,
         "first": "2023-01-03", "last": "2023-03-31"},
        {"source_format": "xml", "accession_source": "content_hash", "n": 1, "first": None, "last": None},  # the seed
    ]
    assert sample_db.execute("select count(*) from issuers where issuer_cik >= 9900000000").fetchone()[0] == 0


def test_the_sample_holds_a_real_cluster_buy(sample_db):
    """Schwab's insiders buying in the bank sell-off of March 2023, the CEO's 50,000 shares among
    them; the President's purchase of 2023-03-14 counts although its filing says D (disposed) beside
    code P: his holding rose by the 5,000 shares."""
    [window] = rows(sample_db, """select first_buy, last_buy, insiders, purchases, total_usd from cluster_windows
        where issuer_cik = ? and window_days = 30 order by last_buy desc limit 1""", [SCHWAB])
    assert window == {"first_buy": "2023-03-14", "last_buy": "2023-03-28", "insiders": 10, "purchases": 12,
                      "total_usd": 7872470.95}
    bought = rows(sample_db, """select insider_name, shares, price, value_usd, roles, is_open_market from trades
        where issuer_cik = ? and transaction_code = 'P' and trade_date = '2023-03-14' order by value_usd desc""",
                  [SCHWAB])
    assert len(bought) == 6 and bought[0] == {"insider_name": "Bettinger Walter W", "shares": 50000, "price": 59.31,
                                              "value_usd": 2965500, "roles": "CEO, Chair, Director", "is_open_market": 1}
    [wurster] = rows(sample_db, """select acquired_disposed, shares, shares_owned_after, quality_flags
        from nonderiv_transactions where accession_number = '0001062993-23-006877'""")
    assert wurster == {"acquired_disposed": "D", "shares": 5000, "shares_owned_after": 99391,
                       "quality_flags": "direction_mismatch"}


@pytest.fixture(scope="module")
def sample_site(sample_db_path):
    return site_for(sample_db_path)


QUERIES = yaml.safe_load(METADATA.read_text())["databases"]["form4"]["queries"]


# The sample is a slice of the first quarter of 2023, before EDGAR took Form 144 in XML (April 2023):
# these screens answer there with no rows, and show rows on the test site (tests/test_screens.py).
FORM_144_SCREENS = {"intent_to_sell", "sale_notices_executed"}


@pytest.mark.parametrize("name", sorted(QUERIES))
async def test_every_screen_shows_real_rows_on_the_sample(sample_site, name):
    response = await sample_site.client.get(f"/form4/{name}.json?_shape=array")
    assert response.status_code == 200
    if name in FORM_144_SCREENS:
        assert response.json() == [], f"{name}: the sample holds no Form 144"
    else:
        assert response.json(), f"{name} is empty on the sample"


async def test_the_home_pages_newest_filing_is_the_screens_newest(sample_site):
    home = (await sample_site.client.get("/")).text
    newest = (await sample_site.client.get("/form4/latest_insider_trading.json?_shape=array")).json()[0]
    assert "392 filings" in home and f"newest filing {newest['filing_date']}" in home
    assert newest["filing_date"] == "2023-03-31"


async def test_every_company_and_insider_page_of_the_sample_shows_trades(sample_site, sample_db):
    tickers = [row[0] for row in sample_db.execute("select distinct ticker from trades_by_filing where issuer_cik is not null")]
    owners = [row[0] for row in sample_db.execute("select distinct owner_cik from issuer_insiders")]
    assert len(tickers) == 17 and len(owners) > 150
    for path in [f"/ticker/{ticker}" for ticker in tickers] + [f"/insider/{cik}" for cik in owners]:
        response = await sample_site.client.get(path)
        assert response.status_code == 200 and 'class="rows-and-columns cards' in response.text, path


async def test_every_page_link_on_the_samples_screens_answers(sample_site):
    """Each name and ticker on each screen leads somewhere, except the seed's QLYS: the
    transcription has no issuer CIK, so there is no company page to go to."""
    checked = set()
    for name in sorted(QUERIES):
        html = (await sample_site.client.get(f"/form4/{name}")).text
        checked |= {link for link in links_of(html) if re.match(r"/(ticker|issuer|insider|search)\b", link)}
    assert len(checked) > 200 and "/ticker/QLYS" not in checked
    for link in sorted(checked):
        assert (await sample_site.client.get(link)).status_code in (200, 302), link
    seed = (await sample_site.client.get("/form4/trades?ticker=QLYS")).text
    assert '<td class="col-ticker type-str">QLYS</td>' in seed


def test_seed_form4_qualys(sample_db):
    [filing] = rows(sample_db, "select * from filings where source_path = ?",
                    ["sample/qualys_4_seed-2013-11-22.xml"])
    accession = filing["accession_number"]
    assert filing["accession_source"] == "content_hash"
    assert (filing["document_type"], filing["issuer_name"], filing["issuer_trading_symbol"],
            filing["period_of_report"]) == ("4", "QUALYS, INC.", "QLYS", "2013-11-22")
    assert filing["issuer_cik"] is None and filing["schema_version"] is None  # the seed gives neither
    [owner] = rows(sample_db, "select * from filing_owners where accession_number = ?", [accession])
    assert (owner["owner_name"], owner["owner_cik"], owner["is_officer"], owner["is_director"],
            owner["officer_title"]) == ("Albert Peter", None, 1, 0, "VP, OPERATIONS")
    assert (owner["street1"], owner["city"], owner["state"], owner["zip_code"]) == (
        "C/O QUALYS, INC., 1600 BRIDGE PARKWAY", "REDWOOD CITY", "CA", "94065")
    table1 = rows(sample_db, "select * from nonderiv_transactions where accession_number = ? "
                  "order by row_seq", [accession])
    assert [(r["transaction_code"], r["acquired_disposed"], r["price_per_share"], r["shares_owned_after"],
             r["direct_indirect"], r["shares"]) for r in table1] == [
        ("M", "A", 4.8, 10000, "D", None), ("S", "D", 22.5307, 0, "D", None)]  # share counts lost
    [option] = rows(sample_db, "select * from deriv_transactions where accession_number = ?", [accession])
    assert (option["security_title"], option["conversion_or_exercise_price"], option["transaction_code"],
            option["shares"], option["expiration_date"], option["underlying_security_title"],
            option["underlying_shares"]) == (
        "Stock Option (right to buy)", 4.8, "M", 10000, "2021-04-28", "Common Stock", 10000)
    assert option["acquired_disposed"] is None and option["exercise_date"] is None
    refs = {(r["footnote_id"], r["table_name"], r["row_seq"], r["field_name"]) for r in sample_db.query(
        "select * from footnote_refs where accession_number = ?", [accession])}
    assert refs == {
        ("F1", "nonderiv_transactions", 1, "transaction_code"),
        ("F1", "nonderiv_transactions", 2, "transaction_code"),
        ("F1", "deriv_transactions", 1, "transaction_code"),
        ("F3", "deriv_transactions", 1, "exercise_date"),
    }
    footnotes = dict(sample_db.execute(
        "select footnote_id, text from footnotes where accession_number = ?", [accession]).fetchall())
    assert set(footnotes) == {"F1", "F3"}
    assert footnotes["F1"].startswith("The transactions reported on this Form 4 were effected pursuant "
                                      "to a Rule 10b5-1 trading plan adopted by the Reporting Person on August 28, 2013.")
    assert "ranging from $22.50 to $22.71 per share" in footnotes["F1"]
    assert footnotes["F3"].startswith("The option is subject to an early exercise provision")
    [signature] = rows(sample_db, "select * from signatures where accession_number = ?", [accession])
    assert (signature["signature_name"], signature["signature_date"]) == (
        "/s/ Bruce Posey by power of attorney for Peter Albert", "2013-11-22")


# ---- the fictional filings of the tests --------------------------------------------------------

def test_fictional_filings_load_without_errors_or_warnings(fictional_db):
    assert fictional_db["filings"].count == 15 and fictional_db["build_errors"].count == 0
    assert fictional_db.execute("select count(*) from filings where parse_warnings is not null").fetchone()[0] == 0


def test_mixed_booleans_and_zoned_dates(fictional_db):
    accession = "0099000008-21-000093"
    [filing] = rows(fictional_db, "select * from filings where accession_number = ?", [accession])
    assert filing["period_of_report"] == "2021-09-30" and filing["not_subject_to_section16"] == 0
    assert filing["aff10b5one"] is None  # X0306: the checkbox did not exist yet
    [owner] = rows(fictional_db, "select * from filing_owners where accession_number = ?", [accession])
    assert (owner["is_officer"], owner["is_director"], owner["is_ten_percent_owner"], owner["is_other"]) == (1, 0, 0, 0)
    table1 = rows(fictional_db, "select transaction_date, equity_swap_involved from nonderiv_transactions "
                  "where accession_number = ? order by row_seq", [accession])
    assert table1 == [{"transaction_date": "2021-09-30", "equity_swap_involved": 0}] * 2


def test_x0609_non_us_address_and_values_instead_of_shares(fictional_db):
    accession = "0099000009-26-000005"
    [filing] = rows(fictional_db, "select * from filings where accession_number = ?", [accession])
    assert (filing["schema_version"], filing["issuer_foreign_trading_symbol"],
            filing["not_subject_to_section16"]) == ("X0609", "DMSC.DE", 1)
    [owner] = rows(fictional_db, "select * from filing_owners where accession_number = ?", [accession])
    assert (owner["non_us_address_flag"], owner["non_us_state_territory"], owner["country"]) == (1, "HESSEN", "2M")
    [note] = rows(fictional_db, "select * from deriv_transactions where accession_number = ?", [accession])
    assert (note["total_value"], note["underlying_value"], note["value_owned_after"], note["shares"]) == (
        25000000, 25000000, 0, None)


def test_amendment_and_form5(fictional_db):
    [amendment] = rows(fictional_db, "select * from filings where document_type = '4/A'")
    assert amendment["date_of_original_submission"] == "2024-03-06"
    [form5] = rows(fictional_db, "select * from filings where document_type = '5'")
    assert (form5["form3_holdings_reported"], form5["form4_transactions_reported"]) == (0, 1)
    [gift] = rows(fictional_db, "select * from nonderiv_transactions where accession_number = ?",
                  [form5["accession_number"]])
    assert (gift["transaction_code"], gift["transaction_form_type"], gift["price_per_share"]) == ("G", "4", 0)


def test_joint_filing_rows_are_not_multiplied(fictional_db):
    accession = "0099000006-23-000077"
    assert fictional_db.execute("select count(*) from filing_owners where accession_number = ?",
                             [accession]).fetchone()[0] == 3
    assert fictional_db.execute("select count(*) from nonderiv_transactions where accession_number = ?",
                             [accession]).fetchone()[0] == 2


def test_every_column_the_reader_fills_exists_in_its_table(sample_db):
    from form4db.readers import ownership_xml as reader

    def columns(fields):
        return {column for column, _ in fields.values()}

    assert columns(reader.DOCUMENT_FIELDS) | columns(reader.ISSUER_FIELDS) <= set(sample_db["filings"].columns_dict)
    assert columns(reader.OWNER_FIELDS) | {"owner_seq"} <= set(sample_db["filing_owners"].columns_dict)
    assert columns(reader.SIGNATURE_FIELDS) | {"signature_seq"} <= set(sample_db["signatures"].columns_dict)
    for kinds in reader.TABLE_ROWS.values():
        for table, fields in kinds.values():
            assert columns(fields) | {"row_seq"} <= set(sample_db[table].columns_dict), table
    child_tables = ["filing_owners", "nonderiv_transactions", "nonderiv_holdings", "deriv_transactions",
                    "deriv_holdings", "footnotes", "footnote_refs", "signatures"]
    for table in child_tables:  # the id first, then the filing (the loader relies on the filing's place)
        queried = [row[1] for row in sample_db.execute(f"PRAGMA table_xinfo([{table}])")]
        assert queried[:2] == ["id", "accession_number"], table
    assert list(sample_db["footnote_refs"].columns_dict) == [
        "id", "accession_number", "footnote", "footnote_id", "table_name", "row_id", "row_seq", "field_name"]
