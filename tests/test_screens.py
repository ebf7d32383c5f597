"""The insider-trading screens (canned queries) and their Atom feeds, on the corpus, the fictional test filings and the sample."""

import re
import sqlite3
from urllib.parse import quote

import pytest
import yaml
from datasette.app import Datasette

from form4db.build import build

from .conftest import CORPUS_XML, FICTIONAL, METADATA, REPO, SAMPLE

pytestmark = pytest.mark.usefixtures("corpus")
QUERIES = yaml.safe_load(METADATA.read_text())["databases"]["form4"]["queries"]


@pytest.fixture(scope="module")
def site_db_path(tmp_path_factory):
    path = tmp_path_factory.mktemp("site") / "form4.db"
    assert build([str(CORPUS_XML), str(FICTIONAL), str(SAMPLE)], str(path)).errors == []
    return path


@pytest.fixture
def datasette(site_db_path):
    return Datasette([str(site_db_path)], metadata=yaml.safe_load(METADATA.read_text()),
                     plugins_dir=str(REPO / "plugins"), template_dir=str(REPO / "templates"))


PRESET_COLUMNS = ["filing_flags", "filing_date", "last_trade_date", "ticker", "issuer_name", "insider_name", "roles",
                  "transaction_code", "average_price", "shares", "owned_after", "owned_change_pct", "value_usd",
                  "is_10b5_1", "accession_number", "id", "acceptance_datetime", "first_trade_date", "issuer_cik",
                  "insider_cik", "insider_names", "title"]


def documented_columns(query: dict) -> list[str]:
    """The columns a screen's description lists; OpenInsider's presets all show trades_by_filing's."""
    if query.get("preset") and "Columns:" not in query["description"]:
        return PRESET_COLUMNS
    columns = re.search(r"Columns: (.+)\.$", query["description"]).group(1)
    return re.sub(r" and the feed's |, and ", ", ", columns).split(", ")


@pytest.mark.parametrize("name", sorted(QUERIES))
async def test_every_screen_answers_with_rows_and_its_documented_columns(datasette, name):
    assert QUERIES[name]["title"] and QUERIES[name]["description"]
    response = await datasette.client.get(f"/form4/{name}.json?_shape=array")
    assert response.status_code == 200, response.text[:500]
    found = response.json()
    if not QUERIES[name].get("preset"):  # tests/test_presets.py finds every preset's rows in 2023 Q1
        assert found, f"{name} has no rows with its default parameters"
    columns = (await datasette.client.get(f"/form4/{name}.json?_shape=objects")).json()["columns"]
    assert columns == documented_columns(QUERIES[name])
    page = await datasette.client.get(f"/form4/{name}")
    assert page.status_code == 200


async def test_a_cluster_buy_counts_the_amended_price(datasette):
    response = await datasette.client.get("/form4/cluster_buys.json?_shape=array&days=5000")
    [exrb] = [row for row in response.json() if row["ticker"] == "EXRB"]
    # A director's two purchases (the first as corrected by its 4/A, $18.4217) and the CFO's one.
    assert (exrb["first_buy"], exrb["last_buy"], exrb["insiders"], exrb["purchases"]) == (
        "2024-03-04", "2024-03-07", 2, 3)
    assert exrb["total_usd"] == pytest.approx(5000 * 18.4217 + 2500 * 18.95 + 3000 * 19.10)


async def test_a_trade_its_filer_marked_late(datasette):
    response = await datasette.client.get("/form4/late_filings.json?_shape=array")
    [late] = [row for row in response.json() if row["ticker"] == "EXRB"]
    assert (late["transaction_date"], late["transaction_timeliness"], late["shares"], late["value_usd"]) == (
        "2025-05-12", "L", 4000, 88600)


async def test_a_10b5_1_sale_and_the_plan_split(datasette):
    response = await datasette.client.get("/form4/largest_sales.json?_shape=array&days=3650&issuer=AFRM")
    [afrm] = [row for row in response.json() if row["accession_number"] == "0001628280-24-030951"]
    assert (afrm["ticker"], afrm["shares"], afrm["price_per_share"], afrm["value_usd"], afrm["is_10b5_1"],
            afrm["rule_10b5_1_evidence"]) == ("AFRM", 9276, 29.89, 277259.64, 1, "footnote")
    split = await datasette.client.get("/form4/plan_vs_discretionary_sales.json?_shape=array&issuer=AFRM&months=240")
    [july] = [row for row in split.json() if row["month"] == "2024-07-01"]
    assert july["plan_usd"] == 277259.64


async def test_officer_purchases_respect_min_value(datasette):
    response = await datasette.client.get("/form4/officer_director_purchases.json?_shape=array&min_value=1000000&days=5000")
    rows = response.json()
    assert rows and all(row["value_usd"] >= 1_000_000 for row in rows)
    assert rows == sorted(rows, key=lambda row: -row["value_usd"])


async def test_charts_have_fragments_iso_months_and_few_rows(datasette):
    for name in ("issuer_net_buying", "market_buy_sell_by_month", "plan_vs_discretionary_sales"):
        response = await datasette.client.get(f"/form4/{name}.json?_shape=array")
        rows = response.json()
        assert len(rows) < 1000
        assert all(re.fullmatch(r"\d{4}-\d{2}-01", row["month"]) for row in rows)
    for name in ("issuer_net_buying", "market_buy_sell_by_month"):
        assert QUERIES[name]["fragment"].startswith("g.mark=")


async def test_links_and_code_meanings(datasette):
    page = (await datasette.client.get("/form4/largest_sales?days=3650&issuer=AFRM")).text
    assert "https://www.sec.gov/Archives/edgar/data/1820953/000162828024030951/0001628280-24-030951-index.htm" in page
    assert '<abbr title="Open market or private sale' not in page  # no code column on this screen
    page = (await datasette.client.get("/form4/issuer_activity?issuer=AFRM")).text
    assert '<abbr title="Open market or private sale of a non-derivative or derivative security">S</abbr>' in page
    assert 'href="/issuer/1820953"' in page  # a CIK links to its company page


async def test_business_days_sql_function(datasette):
    response = await datasette.client.get(
        "/form4.json?sql=select+business_days('2024-05-24',+'2024-05-29')+as+d&_shape=array")
    assert response.json() == [{"d": 2}]


async def test_insider_history_by_cik_by_name_and_by_default(datasette, site_db_path):
    conn = sqlite3.connect(site_db_path)
    thiel_rows = conn.execute("""
        SELECT count(*) FROM filing_owners o JOIN nonderiv_transactions t ON t.accession_number = o.accession_number
        WHERE o.owner_cik = 1211060 AND t.superseded_by IS NULL""").fetchone()[0] + conn.execute("""
        SELECT count(*) FROM filing_owners o JOIN deriv_transactions t ON t.accession_number = o.accession_number
        WHERE o.owner_cik = 1211060 AND t.superseded_by IS NULL""").fetchone()[0]
    newest_owner = conn.execute("""SELECT o.owner_cik FROM filing_owners o JOIN filings f USING (accession_number)
        WHERE o.owner_cik IS NOT NULL ORDER BY f.period_of_report DESC LIMIT 1""").fetchone()[0]
    for owner in ("1211060", "thiel"):
        first = (await datasette.client.get(f"/form4/insider_history.json?owner={owner}&_shape=objects")).json()
        rest = (await datasette.client.get(f"/form4/insider_history.json?owner={owner}&_shape=array&_next=100")).json()
        found = first["rows"] + rest
        assert {row["owner_cik"] for row in found} == {1211060} and {row["owner_name"] for row in found} == {"THIEL PETER"}
        assert len(found) == first["total_rows"] == thiel_rows > 100
    found = (await datasette.client.get("/form4/insider_history.json?_shape=array")).json()
    assert {row["owner_cik"] for row in found} == {newest_owner}


@pytest.mark.parametrize("name", sorted(QUERIES))
async def test_every_screen_is_titled_by_its_title_not_its_sql(datasette, name):
    response = await datasette.client.get(f"/form4/{name}")
    assert response.status_code == 200
    title = re.search(r"<title>(.*?)</title>", response.text, re.S).group(1).strip()
    assert title == f"{QUERIES[name]['title']} — form4db".replace("&", "&amp;").replace("'", "&#39;")


@pytest.mark.parametrize("written", ["1000000", "1,000,000", "$1,000,000", "1m", "1000k", "$ 1.0M"])
async def test_amounts_are_read_as_people_write_them(datasette, written):
    canonical = (await datasette.client.get(
        "/form4/officer_director_purchases.json?_shape=array&min_value=1000000&days=100000")).json()
    found = await datasette.client.get(
        "/form4/officer_director_purchases.json?_shape=array&days=100000&min_value=" + quote(written))
    assert found.status_code == 200 and found.json() == canonical
    assert all(row["value_usd"] >= 1_000_000 for row in canonical)


@pytest.mark.parametrize("query, parameter", [
    ("officer_director_purchases.json?min_value=abc", "min_value"),
    ("officer_director_purchases.json?min_value=25%2C00", "min_value"),
    ("largest_sales.json?days=abc", "days"),
    ("cluster_buys.json?min_insiders=2.5", "min_insiders")])
async def test_a_parameter_that_cannot_be_read_gets_a_400_naming_it(datasette, query, parameter):
    response = await datasette.client.get(f"/form4/{query}")
    assert response.status_code == 400
    assert response.json()["error"].startswith(f"{parameter}=")
    page = await datasette.client.get(f"/form4/{query.replace('.json', '')}")
    assert page.status_code == 400 and f"{parameter}=" in page.text and "write it as" in page.text


async def test_one_issuers_activity_and_largest_sales_are_counted_whole(datasette, site_db_path):
    """The one-issuer screens count every row of the issuer (Moderna, by ticker or CIK: more than a page of each), not a page."""
    conn = sqlite3.connect(site_db_path)
    moderna_rows = sum(conn.execute(f"""SELECT count(*) FROM filings f JOIN {table} t ON t.accession_number = f.accession_number
        WHERE f.issuer_cik = 1682852 AND t.superseded_by IS NULL""").fetchone()[0]
                      for table in ("nonderiv_transactions", "deriv_transactions"))
    moderna_sales = conn.execute("""SELECT count(*), max(value_usd) FROM trades WHERE issuer_cik = 1682852
        AND is_open_market = 1 AND transaction_code = 'S'""").fetchone()
    for issuer in ("MRNA", "mrna", "1682852"):
        activity = (await datasette.client.get(f"/form4/issuer_activity.json?issuer={issuer}&_shape=objects")).json()
        assert activity["total_rows"] == moderna_rows > 200 and {row["issuer_cik"] for row in activity["rows"]} == {1682852}
        sales = (await datasette.client.get(f"/form4/largest_sales.json?issuer={issuer}&days=5000&_shape=objects")).json()
        assert (sales["total_rows"], sales["rows"][0]["value_usd"]) == moderna_sales and moderna_sales[0] > 100
        assert {row["ticker"] for row in sales["rows"]} == {"MRNA"}
