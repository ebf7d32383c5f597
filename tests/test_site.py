"""The Datasette site: metadata for everything it publishes, and pages that work."""

import re

import pytest
import yaml
from datasette.app import Datasette

from plugins.highlight_snippets import highlight

from .conftest import METADATA, REPO

SQLITE_INTERNAL = ("_fts", "_fts_data", "_fts_idx", "_fts_docsize", "_fts_config")


@pytest.fixture(scope="module")
def metadata():
    return yaml.safe_load(METADATA.read_text())


@pytest.fixture
def datasette(corpus_db_path, metadata):
    return Datasette([str(corpus_db_path)], metadata=metadata, plugins_dir=str(REPO / "plugins"),
                     immutables=[])


@pytest.fixture
def immutable_datasette(corpus_db_path, metadata):
    return Datasette(immutables=[str(corpus_db_path)], metadata=metadata, plugins_dir=str(REPO / "plugins"))


def published_tables(db):
    return [t for t in db.table_names() + db.view_names()
            if not t.endswith(SQLITE_INTERNAL) and not t.startswith("sqlite_")]


def queried_columns(db, table: str) -> list[str]:
    """The columns a query reads, computed ones too (sqlite-utils' columns leave those out); not a
    full-text table's hidden ones."""
    return [row[1] for row in db.execute(f"PRAGMA table_xinfo([{table}])") if row[6] != 1]


def test_every_published_table_and_column_is_described(corpus_db, metadata):
    assert metadata["title"] and metadata["license"] and metadata["source"]
    tables = metadata["databases"]["form4"]["tables"]
    for table in published_tables(corpus_db):
        assert tables.get(table, {}).get("description"), f"{table} has no description"
        described = tables[table].get("columns", {})
        for column in queried_columns(corpus_db, table):
            assert described.get(column), f"{table}.{column} has no description"


def test_no_description_for_a_column_that_does_not_exist(corpus_db, metadata):
    tables = metadata["databases"]["form4"]["tables"]
    for table, options in tables.items():
        if options.get("hidden"):
            continue
        stale = set(options.get("columns", {})) - set(queried_columns(corpus_db, table))
        assert not stale, (table, stale)


async def test_every_table_page_renders(datasette, corpus_db):
    for table in published_tables(corpus_db):
        response = await datasette.client.get(f"/form4/{table}")
        assert response.status_code == 200, table
    home = await datasette.client.get("/")
    assert "form4db" in home.text


async def test_footnotes_filed_under_a_filings_rowid_link_the_filing(datasette):
    page = (await datasette.client.get("/form4/filing_footnotes?_size=1")).text
    [rowid] = re.findall(r'<a href="/form4/filings\?rowid=(\d+)">', page)
    [filing] = (await datasette.client.get(f"/form4/filings.json?rowid={rowid}&_shape=array")).json()
    texts = (await datasette.client.get("/form4/footnotes.json", params={
        "accession_number": filing["accession_number"], "_shape": "array"})).json()
    assert texts and f'?rowid={rowid}"' in (await datasette.client.get("/form4/footnote_marks?_size=1")).text


async def test_row_page_links_issuer_label(datasette):
    response = await datasette.client.get("/form4/filings/0001628280-24-030951")
    assert response.status_code == 200
    assert "Affirm Holdings, Inc." in response.text
    # Keyed by rowid, a row keeps its stable id as its address (plugins/row_ids.py).
    response = await datasette.client.get("/form4/nonderiv_transactions/0001628280-24-030951_nt1")
    assert response.status_code == 302 and re.search(r"/form4/nonderiv_transactions/\d+$", response.headers["location"])
    response = await datasette.client.get("/form4/nonderiv_transactions/0001628280-24-030951_nt1",
                                          follow_redirects=True)
    assert response.status_code == 200 and "29.89" in response.text
    response = await datasette.client.get(
        "/form4/nonderiv_transactions?accession_number=0001628280-24-030951")
    assert "Open market or private sale" in response.text  # transaction code shown with its meaning


async def test_search_and_json_array(datasette):
    response = await datasette.client.get(
        "/form4/footnotes.json?_search=10b5-1+plan+adopted&_shape=array&_size=max")
    assert response.status_code == 200
    found = response.json()
    assert any(r["id"] == "0001628280-24-030951_F1" for r in found)
    assert all("10b5" in r["text"].lower() for r in found)
    response = await datasette.client.get(
        "/form4/nonderiv_transactions.json?accession_number=0001628280-24-030951&_shape=array")
    assert response.json()[0]["price_per_share"] == 29.89


async def test_canned_queries(datasette):
    response = await datasette.client.get("/form4/latest_filings.json?_shape=array")
    latest = response.json()
    assert len(latest) == 100
    assert latest[0]["filed_or_period"] >= latest[-1]["filed_or_period"]
    response = await datasette.client.get("/form4/footnote_search.json?q=weighted+average&_shape=array")
    hits = response.json()
    assert hits and all("<mark>" in hit["snippet"] for hit in hits)
    page = await datasette.client.get("/form4/footnote_search?q=weighted+average")
    assert "<mark>weight" in page.text.lower()
    tricky = await datasette.client.get('/form4/footnote_search.json?q="unbalanced&_shape=array')
    assert tricky.status_code == 200


def test_snippet_highlight_escapes_everything_but_marks():
    assert highlight("<script>x</script> <mark>plan</mark>") == (
        "&lt;script&gt;x&lt;/script&gt; <mark>plan</mark>")


def test_every_facet_and_sort_column_is_indexed(corpus_db, metadata):
    for table, options in metadata["databases"]["form4"]["tables"].items():
        if table in corpus_db.view_names():
            continue  # a view is as fast as the table under it
        columns = [*options.get("facets", []), options.get("sort"), options.get("sort_desc")]
        indexed = {index.columns[0] for index in corpus_db[table].indexes}
        indexed |= set(corpus_db[table].pks)
        for column in filter(None, columns):
            assert column in indexed, f"{table}.{column} is a facet or sort without an index"


# Declared for Datasette's labels, not indexed: the index would cost more than the marks' field
# keys save, and nothing looks marks up by their field (robots.txt keeps crawlers off the names' pages).
UNINDEXED_FOREIGN_KEYS = {("footnote_marks", "field_id")}


def test_every_foreign_key_is_indexed(corpus_db):
    for table in corpus_db.table_names():
        indexed = {index.columns[0] for index in corpus_db[table].indexes}
        for foreign_key in corpus_db[table].foreign_keys:
            if (table, foreign_key.column) in UNINDEXED_FOREIGN_KEYS:
                continue
            assert foreign_key.column in indexed, f"{table}.{foreign_key.column}"


async def test_responses_of_an_immutable_database_are_worked_out_once(immutable_datasette, monkeypatch):
    from datasette.database import Database

    paths = ["/", "/form4", "/form4/filings?_sort=filing_date", "/form4/open_market_trades.json?_shape=array",
             "/form4/footnote_search?q=weighted+average", "/form4.json?sql=select+count(*)+from+filings"]
    first = {}
    for path in paths:
        response = await immutable_datasette.client.get(path)
        assert response.status_code == 200 and response.headers["x-cache"] == "miss", path
        first[path] = response.text

    async def no_queries(*args, **kwargs):
        raise AssertionError("the page was worked out again")

    monkeypatch.setattr(Database, "execute", no_queries)
    for path, text in first.items():
        again = await immutable_datasette.client.get(path)
        assert again.status_code == 200 and again.text == text, path
        assert again.headers["x-cache"] == "hit" and "x-frame-options" in again.headers, path
    # A request not seen before, one with a cookie or a trace, is worked out (and fails on the
    # stubbed queries).
    assert (await immutable_datasette.client.get("/form4?sql=select+1")).status_code == 500
    assert (await immutable_datasette.client.get(paths[2], cookies={"ds_actor": "x"})).status_code == 500
    assert (await immutable_datasette.client.get(paths[2] + "&_trace=1")).status_code == 500


async def test_errors_and_long_responses_are_not_kept(immutable_datasette, corpus_db_path):
    assert corpus_db_path.stat().st_size > (1 << 20)  # more than an entry may hold
    for path, status in [("/form4/no_such_table", 404), ("/form4.db", 200)]:
        for _ in range(2):
            response = await immutable_datasette.client.get(path)
            assert response.status_code == status and response.headers["x-cache"] == "miss", path
    assert len(response.content) == corpus_db_path.stat().st_size  # streamed whole though not kept


def test_response_cache_drops_the_least_recently_used():
    from plugins.response_cache import ResponseCache

    cache = ResponseCache(limit=100)
    cache.put("a", ["A"], 40)
    cache.put("b", ["B"], 40)
    assert cache.get("a") == ["A"]  # now the most recent
    cache.put("c", ["C"], 40)
    assert cache.get("b") is None and cache.get("a") == ["A"] and cache.get("c") == ["C"] and cache.size == 80
    cache.put("c", ["C again"], 30)  # the same page, worked out twice at once
    assert cache.get("c") == ["C again"] and cache.size == 70


async def test_pages_of_a_mutable_database_are_rendered_every_time(datasette, monkeypatch):
    from datasette.database import Database

    assert (await datasette.client.get("/form4")).status_code == 200
    calls = []
    execute = Database.execute

    async def counted(self, *args, **kwargs):
        calls.append(args[0])
        return await execute(self, *args, **kwargs)

    monkeypatch.setattr(Database, "execute", counted)
    assert (await datasette.client.get("/form4")).status_code == 200 and calls


async def test_a_page_remembered_for_one_host_is_not_served_to_another(immutable_datasette):
    path = "/form4/filings.json?_size=1"
    first = await immutable_datasette.client.get(path, headers={"host": "form4db.example"})
    other = await immutable_datasette.client.get(path, headers={"host": "mirror.example"})
    assert first.headers["x-cache"] == other.headers["x-cache"] == "miss"
    assert "mirror.example" in other.json()["next_url"] and "form4db.example" in first.json()["next_url"]
    assert (await immutable_datasette.client.get(path, headers={"host": "mirror.example"})).headers["x-cache"] == "hit"


def test_values_and_headings_read_as_people_write_them():
    from form4db.display import heading, in_words, number, percent, price, signed, usd
    assert [heading(c) for c in ("rule_10b5_1_evidence", "is_10b5_1", "issuer_cik", "value_usd", "filing_delay_bd")] == [
        "Rule 10b5-1 evidence", "Rule 10b5-1 plan", "Issuer CIK", "Value", "Filing delay (business days)"]
    assert [number(v) for v in (10500.0, 65546.75, 1.23456, 0.00001, -3.25)] == ["10,500", "65,546.75", "1.2346", "0", "\u22123.25"]
    assert (usd(131067211.23), usd(912.5), usd(-5000), usd(0), price(146.57), price(0.0512)) == (
        "$131,067,211", "$912.50", "\u2212$5,000", "$0", "$146.57", "$0.0512")
    assert (signed(10500, "D"), signed(7138, "A"), percent(12.54), percent(-3.2)) == ("\u221210,500", "+7,138", "+12.5%", "\u22123.2%")
    assert in_words('where security_title = "shares" and value_usd >= 25000 sorted by filing_date descending',
                    ["security_title", "shares", "value_usd", "filing_date"]) == \
        'where Security title = "shares" and Value >= 25000 sorted by Filing date descending'  # values stay as typed


def test_a_charts_months_keep_their_places_and_few_are_named():
    from form4db.charts import month_bars
    svg = str(month_bars("Net buying", ["2022-12-01", "2023-03-01"], [("net", [5000.0, -2000.0])], "Dollars"))
    labels = re.findall(r'<text x="[\d.]+" y="264" text-anchor="middle">(\w+)</text>', svg)
    assert labels == ["Dec", "Jan", "Feb", "Mar"]  # January and February kept, empty, between the two
    assert re.findall(r'y="279" text-anchor="middle">(\d+)</text>', svg) == ["2022", "2023"]
    bars = re.findall(r'<rect x="([\d.]+)"[^>]*><title>(\S+ net: \S+)</title></rect>', svg)
    assert bars == [("94.8", "2022-12 net: $5K"), ("597.2", "2023-03 net: \u2212$2K")]  # in the first and fourth place
    many = str(month_bars("Net buying", ["2019-01-01", "2023-12-01"], [("net", [1.0, 2.0])], "Dollars"))
    assert re.findall(r'y="264">(\d+)</text>', many) == ["2019", "2020", "2021", "2022", "2023"]
