"""OpenInsider's preset screens on every real filing of the corpus: each equals a query written
here over the normalized tables, is counted and paged without losing or repeating a row, and
says so in its JSON, headers and page."""

import html
import re
import sqlite3

import pytest
import yaml

from .conftest import CORPUS, METADATA, build_once, site_for

pytestmark = pytest.mark.usefixtures("corpus")
QUERIES = yaml.safe_load(METADATA.read_text())["databases"]["form4"]["queries"]

# A filing's Table I rows of one code, after amendments, and who is among its owners.
GROUPS = """
    SELECT t.accession_number || '_' || t.transaction_code AS id, t.transaction_code, f.filing_date,
           f.acceptance_datetime, max(t.is_open_market) AS open_market, round(sum(t.value_usd), 2) AS value,
           round(sum(CASE WHEN t.price_per_share IS NOT NULL THEN t.shares * t.price_per_share END)
                 / sum(CASE WHEN t.price_per_share IS NOT NULL THEN t.shares END), 4) AS price,
           EXISTS (SELECT 1 FROM filing_owners o WHERE o.accession_number = t.accession_number
                   AND o.is_officer = 1) AS officer,
           EXISTS (SELECT 1 FROM filing_owners o WHERE o.accession_number = t.accession_number
                   AND (o.is_ceo = 1 OR o.is_cfo = 1)) AS ceo_or_cfo
    FROM nonderiv_transactions t JOIN filings f ON f.accession_number = t.accession_number
    WHERE t.superseded_by IS NULL AND t.transaction_code IS NOT NULL
    GROUP BY t.accession_number, t.transaction_code"""
NEWEST = "filing_date DESC, acceptance_datetime DESC, id DESC"
BIGGEST = "value DESC, id DESC"
BUY, SELL = "open_market = 1 AND transaction_code = 'P'", "open_market = 1 AND transaction_code = 'S'"


def filed_within(days: int) -> str:
    return f"filing_date > date((SELECT max(filing_date) FROM filings), '-{days} days')"


EXPECTED = {
    "latest_insider_trading": ("open_market = 1 AND transaction_code IN ('P', 'S')", NEWEST),
    "latest_purchases": (BUY, NEWEST),
    "latest_sales": (SELL, NEWEST),
    "purchases_25k": (f"{BUY} AND value >= 25000", NEWEST),
    "officer_purchases_25k": (f"{BUY} AND value >= 25000 AND officer", NEWEST),
    "ceo_cfo_purchases_25k": (f"{BUY} AND value >= 25000 AND ceo_or_cfo", NEWEST),
    "sales_100k": (f"{SELL} AND value >= 100000", NEWEST),
    "officer_sales_100k": (f"{SELL} AND value >= 100000 AND officer", NEWEST),
    "ceo_cfo_sales_100k": (f"{SELL} AND value >= 100000 AND ceo_or_cfo", NEWEST),
    "penny_stock_buys": (f"{BUY} AND price > 0 AND price < 1", NEWEST),
    **{f"top_officer_purchases_of_the_{period}": (f"{BUY} AND officer AND {filed_within(days)}", BIGGEST)
       for period, days in (("day", 1), ("week", 7), ("month", 30))},
    **{f"top_insider_purchases_of_the_{period}": (f"{BUY} AND {filed_within(days)}", BIGGEST)
       for period, days in (("day", 1), ("week", 7), ("month", 30))},
    **{f"top_insider_sales_of_the_{period}": (f"{SELL} AND {filed_within(days)}", BIGGEST)
       for period, days in (("day", 1), ("week", 7), ("month", 30))},
}


@pytest.fixture(scope="module")
def datasette(real_db_path):
    return site_for(real_db_path)


@pytest.fixture(scope="module")
def q1_db_path(tmp_path_factory):
    """The 2023 Q1 submissions alone: their newest filing (2023-03-31) has days, weeks and months
    of trades behind it, which the whole corpus's (2026) has not."""
    return build_once(tmp_path_factory, CORPUS / "edgar-2023q1")


def expected(db, name: str) -> list[str]:
    where, order = EXPECTED[name]
    return [row_id for row_id, in db.execute(f"SELECT id FROM ({GROUPS}) WHERE {where} ORDER BY {order}")]


def test_every_preset_is_here():
    assert {name for name, query in QUERIES.items() if query.get("preset")} == {*EXPECTED, "cluster_buys"}


@pytest.mark.parametrize("name", sorted(EXPECTED))
@pytest.mark.parametrize("built", ["every real filing", "2023 Q1 alone"])
async def test_a_preset_equals_the_query_written_here(real_db_path, q1_db_path, name, built):
    db_path = real_db_path if built == "every real filing" else q1_db_path
    want = expected(sqlite3.connect(db_path), name)
    response = await site_for(db_path).client.get(f"/form4/{name}.json?_shape=objects")
    found = response.json()
    assert [row["id"] for row in found["rows"]] == want[:100]
    assert found["total_rows"] == len(want) == int(response.headers["x-total-count"])
    assert found["truncated"] == (len(want) > 100) == (found["next_url"] is not None)
    if built == "2023 Q1 alone":
        assert want, f"{name} finds nothing in 2023 Q1"


async def test_pages_hold_every_row_once_in_order(datasette, real_db):
    want = expected(real_db, "latest_purchases")
    assert len(want) > 300
    seen, url = [], "/form4/latest_purchases.json?_shape=objects"
    while url:
        page = (await datasette.client.get(url)).json()
        assert len(page["rows"]) <= 100 and page["total_rows"] == len(want)
        seen += [row["id"] for row in page["rows"]]
        url = page["next_url"] and page["next_url"].removeprefix("http://localhost")
    assert seen == want


async def test_the_array_shape_says_it_in_headers(datasette, real_db):
    response = await datasette.client.get("/form4/latest_purchases.json?_shape=array&_next=100")
    assert len(response.json()) == 100
    links = response.headers["link"]
    assert '_next=200>; rel="next"' in links and "rel=\"prev\"" in links
    assert int(response.headers["x-total-count"]) == len(expected(real_db, "latest_purchases"))


async def test_no_screen_returns_more_rows_than_it_says(datasette):
    for name in sorted(QUERIES):
        response = await datasette.client.get(f"/form4/{name}.json?_shape=objects")
        found = response.json()
        if "total_rows" in found:
            assert len(found["rows"]) <= found["total_rows"]
            assert found["truncated"] == (len(found["rows"]) < found["total_rows"]), name
        else:
            assert not found["truncated"], f"{name} is cut short without saying how much is left"


async def test_insider_history_is_counted_not_cut_at_500(datasette, real_db):
    owner = real_db.execute("select owner_cik from owners where owner_name = 'Musk Elon'").fetchone()[0]
    response = (await datasette.client.get("/form4/insider_history.json?owner=musk&_shape=objects")).json()
    assert response["total_rows"] == 1133 and len(response["rows"]) == 100 and response["truncated"]
    last = (await datasette.client.get("/form4/insider_history.json?owner=musk&_shape=objects&_next=1100")).json()
    assert len(last["rows"]) == 33 and not last["truncated"] and last["next_url"] is None
    assert {row["owner_cik"] for row in response["rows"] + last["rows"]} == {owner}


async def test_the_page_says_how_many_and_links_the_rest(datasette, real_db):
    total = len(expected(real_db, "latest_purchases"))
    page = (await datasette.client.get("/form4/latest_purchases?_next=100")).text
    assert f"Rows 101–200\n  of {total:,}" in page
    assert 'rel="prev">← previous 100</a>' in page and '_next=200" rel="next">next 100 →</a>' in page
    assert 'href="/form4/trades_by_filing?is_open_market=1&amp;transaction_code=P&amp;_sort_desc=filing_date"' in page


async def test_a_period_preset_links_the_screener_with_its_dates(datasette, real_db):
    newest = real_db.execute("select date(max(filing_date), '-7 days') from filings").fetchone()[0]
    page = (await datasette.client.get("/form4/top_insider_sales_of_the_week")).text
    screener = f"/form4/trades_by_filing?is_open_market=1&amp;transaction_code=S&amp;_sort_desc=value_usd&amp;filing_date__gt={newest}"
    assert screener in page
    listed = (await datasette.client.get(screener.replace("&amp;", "&").replace("trades_by_filing?", "trades_by_filing.json?_shape=objects&"))).json()
    assert [row["id"] for row in listed["rows"]] == expected(real_db, "top_insider_sales_of_the_week")[:50]


@pytest.mark.parametrize("name", sorted(EXPECTED))
async def test_a_presets_screener_link_holds_its_rows(q1_db_path, name):
    site = site_for(q1_db_path)
    preset = (await site.client.get(f"/form4/{name}.json?_shape=objects")).json()
    page = (await site.client.get(f"/form4/{name}")).text
    link = html.unescape(re.search(r'href="(/form4/trades_by_filing\?[^"]+)"', page)[1])
    screener = (await site.client.get(link.replace("trades_by_filing?", "trades_by_filing.json?_shape=objects&"))).json()
    assert screener["filtered_table_rows_count"] == preset["total_rows"] > 0, link


@pytest.mark.parametrize("written", ["abc", "-5", "1.5"])
async def test_a_page_that_cannot_be_read_gets_a_400(datasette, written):
    response = await datasette.client.get(f"/form4/latest_purchases.json?_next={written}")
    assert response.status_code == 400 and response.json()["error"].startswith("_next=")
