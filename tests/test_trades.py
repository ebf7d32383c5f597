"""The screener's wide tables on every real filing of the corpus: trades and trades_by_filing
agree with queries written here over the normalized tables, and the table page of trades
answers Datasette's filters, sorting, paging and search with the same rows."""

import csv
import io
from urllib.parse import urlencode

import pytest
import yaml
from datasette.app import Datasette
from datasette.utils import tilde_encode

from form4db.schema import KEYED_BY_COLUMNS, KEYED_BY_POSITION, ROW_KEYS

from .conftest import METADATA, REPO, rows, site_for

pytestmark = pytest.mark.usefixtures("corpus")

# A trade, as the normalized tables say it: the row (t), its filing (f), whether it is Table II.
RAW_TRADES = """
    SELECT t.id, t.accession_number, t.transaction_code, t.transaction_date, t.shares, t.price_per_share,
           t.is_open_market, t.is_10b5_1, t.is_late, 0 AS is_derivative, f.issuer_ticker_clean, f.document_type
    FROM nonderiv_transactions t JOIN filings f ON f.accession_number = t.accession_number
    WHERE t.superseded_by IS NULL
    UNION ALL
    SELECT t.id, t.accession_number, t.transaction_code, t.transaction_date, t.shares, t.price_per_share,
           0, t.is_10b5_1, t.is_late, 1, f.issuer_ticker_clean, f.document_type
    FROM deriv_transactions t JOIN filings f ON f.accession_number = t.accession_number
    WHERE t.superseded_by IS NULL"""


def any_owner(flag: str) -> str:
    return f"EXISTS (SELECT 1 FROM filing_owners o WHERE o.accession_number = r.accession_number AND o.{flag} = 1)"


def ids(db, where: str) -> set[str]:
    return {row_id for row_id, in db.execute(f"SELECT r.id FROM ({RAW_TRADES}) r WHERE {where}").fetchall()}


def test_every_transaction_after_amendments_is_one_trade(real_db):
    assert {row_id for row_id, in real_db.execute("select id from trades")} == ids(real_db, "1")
    assert real_db.execute("select count(*) from trades t join nonderiv_transactions n using (id) "
                           "where n.superseded_by is not null").fetchone()[0] == 0


def test_a_trade_reads_in_one_row(real_db):
    [afrm] = rows(real_db, "select * from trades where id = '0001628280-24-030951_nt1'")
    assert (afrm["ticker"], afrm["insider_name"], afrm["shares"], afrm["price"], afrm["value_usd"], afrm["is_10b5_1"],
            afrm["is_director"], afrm["transaction_code"], afrm["filing_flags"]) == (
        "AFRM", "Rabois Keith", 9276, 29.89, 277259.64, 1, 1, "S", None)  # its only transaction


def test_a_joint_filing_is_one_row_with_every_insider(real_db):
    # Fractyl Health: six Mithril owners, one purchase of 333,333 shares at $15.
    [guts] = rows(real_db, "select * from trades where ticker = 'GUTS' and transaction_code = 'P'")
    assert (guts["insider_count"], guts["value_usd"]) == (6, 4999995)
    assert guts["insider_names"].split("; ")[0] == guts["insider_name"] == "Mithril LP"
    assert len(guts["insider_names"].split("; ")) == 6


def test_trades_by_filing_sums_a_filings_trades(real_db):
    accession = "0000320193-20-000039"  # Apple: eight sales in one filing
    [group] = rows(real_db, "select * from trades_by_filing where id = ?", [f"{accession}_S"])
    sales = rows(real_db, "select shares, price_per_share, shares_owned_after, row_seq from nonderiv_transactions "
                 "where accession_number = ? and transaction_code = 'S' and superseded_by is null order by row_seq",
                 [accession])
    assert group["trades"] == len(sales) == 8
    assert group["shares"] == sum(s["shares"] for s in sales)
    assert group["average_price"] == round(sum(s["shares"] * s["price_per_share"] for s in sales)
                                           / sum(s["shares"] for s in sales), 4)
    assert group["owned_after"] == sales[-1]["shares_owned_after"]
    assert "M" in group["filing_flags"]
    codes = real_db.execute("select count(distinct transaction_code) from nonderiv_transactions "
                            "where accession_number = ? and superseded_by is null", [accession]).fetchone()[0]
    assert real_db.execute("select count(*) from trades_by_filing where accession_number = ?",
                           [accession]).fetchone()[0] == codes


@pytest.fixture(scope="module")
def datasette(real_db_path):
    return Datasette([str(real_db_path)], metadata=yaml.safe_load(METADATA.read_text()),
                     plugins_dir=str(REPO / "plugins"))


async def screened(datasette, query: str) -> list[str]:
    """The ids the trades table page gives for a query string, following _next to the end."""
    found, path = [], f"/form4/trades.json?{query}&_shape=objects&_size=500"
    while path:
        response = await datasette.client.get(path)
        assert response.status_code == 200, (path, response.text[:300])
        page = response.json()
        assert not set(found).intersection(row["id"] for row in page["rows"]), f"{path} repeats rows"
        found += [row["id"] for row in page["rows"]]
        path = page["next_url"] and page["next_url"].split("://", 1)[-1].split("/", 1)[-1]
        path = path and "/" + path
    return found


MUSK = 1494730
SCREENS = [  # (query string, the same screen written over the normalized tables)
    ("transaction_code=P&value_usd__gte=25000&_sort_desc=filing_date",
     "r.transaction_code = 'P' AND round(r.shares * r.price_per_share, 2) >= 25000"),
    ("transaction_code=S&value_usd__gte=100000&is_ceo=1",
     f"r.transaction_code = 'S' AND round(r.shares * r.price_per_share, 2) >= 100000 AND {any_owner('is_ceo')}"),
    ("transaction_code=S&value_usd__gte=100000&is_cfo=1&_sort_desc=value_usd",
     f"r.transaction_code = 'S' AND round(r.shares * r.price_per_share, 2) >= 100000 AND {any_owner('is_cfo')}"),
    ("ticker=TSLA&_sort_desc=trade_date", "r.issuer_ticker_clean = 'TSLA'"),
    (f"insider_cik={MUSK}",
     f"EXISTS (SELECT 1 FROM filing_owners o WHERE o.accession_number = r.accession_number AND o.owner_seq = 1 "
     f"AND o.owner_cik = {MUSK})"),
    # Datasette joins a _where as written; the where_clauses plugin keeps its "or" within it.
    ("transaction_code=S&value_usd__gte=100000&_where=is_ceo+%3D+1+or+is_cfo+%3D+1",
     f"r.transaction_code = 'S' AND round(r.shares * r.price_per_share, 2) >= 100000 "
     f"AND ({any_owner('is_ceo')} OR {any_owner('is_cfo')})"),
    ("is_open_market=1&transaction_code=P&is_director=1",
     f"r.is_open_market = 1 AND r.transaction_code = 'P' AND {any_owner('is_director')}"),
    ("trade_date__gte=2023-03-01&transaction_code=S&is_10b5_1=1",
     "r.transaction_date >= '2023-03-01' AND r.transaction_code = 'S' AND r.is_10b5_1 = 1"),
    ("is_late=1&_sort=trade_date", "r.is_late = 1"),
    ("form_type=4/A", "r.document_type = '4/A'"),
    ("price__lt=1&transaction_code=P", "r.price_per_share < 1 AND r.transaction_code = 'P'"),
    ("insider_count__gt=1&transaction_code=P",
     "r.transaction_code = 'P' AND (SELECT count(*) FROM filing_owners o WHERE o.accession_number = r.accession_number) > 1"),
    ("is_derivative=1&transaction_code=M", "r.is_derivative = 1 AND r.transaction_code = 'M'"),
    ("transaction_code=G&_sort=price", "r.transaction_code = 'G'"),  # gifts without a price sort first
]


@pytest.mark.parametrize("query, raw", SCREENS)
async def test_screener_urls_give_the_rows_the_tables_hold(datasette, real_db, query, raw):
    found = await screened(datasette, query)
    assert len(found) == len(set(found))  # paging neither repeats nor skips
    assert set(found) == ids(real_db, raw) and found


async def test_search_finds_an_insider_by_name(datasette, real_db):
    found = await screened(datasette, "_search=musk")
    expected = {row_id for row_id, in real_db.execute(
        "select t.id from trades t where t.insider_names like '%musk%' or t.issuer_name like '%musk%'")}
    assert set(found) == expected and len(found) >= 50


async def test_a_streamed_csv_holds_every_row_once(datasette, real_db):
    response = await datasette.client.get("/form4/trades.csv?transaction_code=S&_sort_desc=trade_date&_stream=1")
    assert response.status_code == 200
    found = [row["id"] for row in csv.DictReader(io.StringIO(response.text))]
    assert len(found) == len(set(found)) == len(ids(real_db, "r.transaction_code = 'S'"))


async def test_the_first_page_breaks_ties_like_the_next(datasette):
    # Without the stable_paging plugin, Datasette 0.65 orders the first page by the date alone.
    # The table is keyed by rowid, which its indexes end with (schema.compute_stored_ids).
    page = (await datasette.client.get("/form4/trades.json?ticker=TSLA&_sort_desc=trade_date&_size=5")).json()
    assert page["query"]["sql"].endswith("order by trade_date desc, rowid limit 6")


async def test_a_row_links_by_its_stable_id(real_db_path, real_db):
    # Keyed by rowid, which a rebuild renumbers: the site's page shows the id, linked to the row.
    site = site_for(real_db_path)
    rowid, row_id = real_db.execute("select rowid, id from trades where ticker = 'TSLA' "
                                    "order by trade_date desc, rowid limit 1").fetchone()
    html = (await site.client.get("/form4/trades?ticker=TSLA&_sort_desc=trade_date&_size=1")).text
    assert f'<a href="/form4/trades/{rowid}">{row_id}</a>' in html
    assert 'data-column="rowid"' not in html and 'data-column="Link"' not in html
    assert 'content: "Rowid"' not in html and 'content: "ID"' in html  # the phone's labels
    # insider_names shows every name; joint_insider_names, what it reads for a joint filing, is left out
    assert 'data-column="insider_names"' in html and 'data-column="joint_insider_names"' not in html
    assert 'content: "Joint insider names"' not in html
    row = (await site.client.get(f"/form4/trades/{rowid}.json?_shape=objects")).json()["rows"]
    assert [r["id"] for r in row] == [row_id]
    # keyed by filing and position, a signature links its id to the row's page the same way
    html = (await site.client.get("/form4/signatures?accession_number=0001628280-24-030951")).text
    assert '<a href="/form4/signatures/0001628280-24-030951,1">0001628280-24-030951_s1</a>' in html
    assert 'data-column="Link"' not in html and 'data-column="signature_name"' in html


async def test_a_rows_stable_id_is_its_address(real_db_path, real_db):
    site = site_for(real_db_path)
    for table in ("trades", "trades_by_filing", "filing_owners", "signatures", "deriv_holdings"):
        # keyed by rowid, or by filing and position: Datasette's address of the row
        key = f"accession_number || ',' || {ROW_KEYS[table][1]}" if table in KEYED_BY_POSITION else "rowid"
        address, row_id = real_db.execute(f"select {key}, id from {table} order by {key} desc limit 1").fetchone()
        found = await site.client.get(f"/form4/{table}/{row_id}.json")
        assert (found.status_code, found.headers["location"]) == (302, f"/form4/{table}/{address}.json"), table
        row = (await site.client.get(found.headers["location"] + "?_shape=objects")).json()["rows"]
        assert [r["id"] for r in row] == [row_id], table
    # the derived tables keyed by the columns their id joins (the month of monthly_activity's as YYYY-MM)
    for table in KEYED_BY_COLUMNS:
        key = real_db[table].pks  # (cluster_windows' in the order its screen reads it, not its id's)
        *values, row_id = real_db.execute(f"select {', '.join(key)}, id from {table} order by id desc limit 1").fetchone()
        found = await site.client.get(f"/form4/{table}/{row_id}.json")
        address = ",".join(tilde_encode(str(value)) for value in values)
        assert (found.status_code, found.headers["location"]) == (302, f"/form4/{table}/{address}.json"), table
        row = (await site.client.get(found.headers["location"] + "?_shape=objects")).json()["rows"]
        assert [r["id"] for r in row] == [row_id], table
    missing = await site.client.get(f"/form4/trades/{row_id.rsplit('_', 1)[0]}_nt999")
    assert missing.status_code == 404


async def test_a_footnote_or_a_marker_by_its_id_is_found_through_its_filing(real_db_path, real_db):
    """The footnotes views compute their ids: row_ids filters ?id= on the accession number too."""
    site = site_for(real_db_path)
    footnote, text = real_db.execute("select id, text from footnotes order by id desc limit 1").fetchone()
    marker = real_db.execute("select id from footnote_refs where footnote = ? order by id limit 1", [footnote]).fetchone()[0]
    for view, row_id, column, value in (("footnotes", footnote, "text", text), ("footnote_refs", marker, "footnote", footnote)):
        page = (await site.client.get(f"/form4/{view}.json?" + urlencode({"id": row_id, "_shape": "objects"}))).json()
        assert [(row["id"], row[column]) for row in page["rows"]] == [(row_id, value)], view
        assert "accession_number = :id_accession" in page["query"]["sql"], view


def screener_pages_by_date() -> list[str]:
    """The screener's pages sorted by date, of one code: each preset's and the common ones of
    trades. (Of several codes, the index holds the page's rows in one range per code, which
    SQLite merges by sorting them.)"""
    queries = yaml.safe_load(METADATA.read_text())["databases"]["form4"]["queries"]
    screens = [query.get("screener", "") for query in queries.values()]
    presets = [screen for screen in screens if "__in=" not in screen
               and ("_sort_desc=filing_date" in screen or "_sort_desc=trade_date" in screen)]
    return [*presets, "trades?transaction_code=P&value_usd__gte=25000&_sort_desc=filing_date",
            "trades?" + urlencode({"transaction_code": "S", "value_usd__gte": "100000",
                                   "_where": "is_ceo = 1 or is_cfo = 1", "_sort_desc": "filing_date"}),
            "trades?ticker=TSLA&_sort_desc=trade_date", "trades_by_filing?issuer_cik=1318605&_sort_desc=filing_date"]


async def test_a_screener_page_by_date_walks_an_index_in_its_order(datasette, real_db):
    """A page sorted by date reads its rows from an index in the page's order (the date, then
    rowid) and stops, whatever its keyset: sorting every match instead took ten times as long at a
    million filings."""
    for page in screener_pages_by_date():
        query = (await datasette.client.get("/form4/" + page.replace("?", ".json?", 1))).json()["query"]
        plan = [row[3] for row in real_db.execute("EXPLAIN QUERY PLAN " + query["sql"], query["params"])]
        assert any("USING INDEX" in step for step in plan) and not any("TEMP B-TREE" in step for step in plan), \
            (page, plan)


@pytest.mark.parametrize("preset, step", [
    ("cluster_buys", "SEARCH w USING PRIMARY KEY (window_days=? AND last_buy>?)"),
    ("market_buy_sell_by_month", "SEARCH monthly_activity USING PRIMARY KEY (month>?)")])
def test_a_derived_tables_screen_reads_a_range_of_its_key(real_db, preset, step):
    """cluster_windows is keyed (window_days, last_buy, issuer_cik), monthly_activity (month,
    issuer_cik): their screens read a range of the key. Through an index and a lookup for each row,
    they took two and ten times as long at a million filings."""
    query = yaml.safe_load(METADATA.read_text())["databases"]["form4"]["queries"][preset]["sql"]
    parameters = {name: "" for name in ("window_days", "days", "min_insiders", "min_value", "months")}
    plan = [row[3] for row in real_db.execute("EXPLAIN QUERY PLAN " + query, {**parameters, "_page_offset": 0})]
    assert step in plan, plan


@pytest.mark.parametrize("written, runs", [
    ("is_ceo = 1 or is_cfo = 1", "(is_ceo = 1 or is_cfo = 1)"),
    ("(is_ceo = 1) or (is_cfo = 1)", "((is_ceo = 1) or (is_cfo = 1))"),
    ("(is_ceo = 1 or is_cfo = 1)", "(is_ceo = 1 or is_cfo = 1)"),
])
async def test_a_where_clause_keeps_its_or_to_itself(datasette, written, runs):
    page = (await datasette.client.get("/form4/trades.json?" + urlencode(
        {"transaction_code": "S", "_where": written, "_size": 1}))).json()
    assert f"and {runs}" in page["query"]["sql"]
