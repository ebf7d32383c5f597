"""The pages for people on every real filing of the corpus: a company's page by ticker and CIK, an
insider's page, and the search box's answers — each checked against the tables they read."""

import re
import statistics
from urllib.parse import urlsplit

import pytest
from datasette.plugins import pm

from .conftest import links_of, rows, site_for

pytestmark = pytest.mark.usefixtures("corpus")
TESLA, MUSK, KIRKHORN, HOLDING = 1318605, 1494730, 1771364, 1065416


@pytest.fixture(scope="module")
def datasette(real_db_path):
    return site_for(real_db_path)


async def test_a_company_page_by_ticker_and_by_cik(datasette, real_db):
    by_ticker = await datasette.client.get("/ticker/tsla")
    by_cik = await datasette.client.get(f"/issuer/{TESLA}")
    assert by_ticker.status_code == by_cik.status_code == 200
    page = by_cik.text
    assert "<title>Tesla, Inc. (TSLA): insider trading — form4db</title>" in page
    assert "Motor Vehicles &amp; Passenger Car Bodies <small>(SIC 3711)</small>" in page
    insiders = rows(real_db, "select owner_cik, roles from issuer_insiders where issuer_cik = ?", [TESLA])
    assert {"owner_cik": KIRKHORN, "roles": "CFO"} in insiders and {"owner_cik": MUSK, "roles": "CEO, Director, 10% owner"} in insiders
    assert all(f'href="/insider/{person["owner_cik"]}"' in page for person in insiders)
    assert page.count('<svg viewBox') == 2  # net buying; plan against discretionary sales
    total = real_db.execute("select count(*) from trades_by_filing where issuer_cik = ?", [TESLA]).fetchone()[0]
    assert f"Filings 1–50 of {total:,}" in page and 'href="?page=2" rel="next"' in page
    assert f'href="/form4/trades_by_filing.atom?issuer_cik={TESLA}&amp;_sort_desc=filing_date"' in page
    second = (await datasette.client.get(f"/issuer/{TESLA}?page=2")).text
    newest = [row["accession_number"] for row in rows(real_db, """select accession_number from trades_by_filing
        where issuer_cik = ? order by filing_date desc, id limit 100""", [TESLA])]
    assert newest[50] in second and newest[50] not in page.split("Trades, by filing")[1]


async def test_a_company_that_is_not_here_is_a_404(datasette):
    assert (await datasette.client.get("/ticker/NOSUCH")).status_code == 404
    assert (await datasette.client.get("/issuer/1")).status_code == 404


def test_issuer_insiders_holds_each_owners_newest_filing(real_db):
    [kirkhorn] = rows(real_db, "select * from issuer_insiders where issuer_cik = ? and owner_cik = ?", [TESLA, KIRKHORN])
    filed = rows(real_db, """select f.filing_date, f.accession_number, o.officer_title from filing_owners o
        join filings f on f.accession_number = o.accession_number
        where o.owner_cik = ? and f.issuer_cik = ? and f.copy_of is null order by f.filing_date, f.accession_number""",
                 [KIRKHORN, TESLA])
    assert kirkhorn["filings"] == len(filed) and kirkhorn["first_filed"] == filed[0]["filing_date"]
    assert (kirkhorn["last_filed"], kirkhorn["last_accession"], kirkhorn["title"]) == (
        filed[-1]["filing_date"], filed[-1]["accession_number"], filed[-1]["officer_title"])
    [last] = rows(real_db, """select b.last_trade_date, b.transaction_code, b.owned_after from trades_by_filing b
        join filing_owners o on o.accession_number = b.accession_number where o.owner_cik = ? and b.issuer_cik = ?
        order by b.last_trade_date desc, b.filing_date desc, b.id desc limit 1""", [KIRKHORN, TESLA])
    assert (kirkhorn["last_trade_date"], kirkhorn["last_trade_code"], kirkhorn["owned_after"]) == tuple(last.values())


async def test_an_insider_page(datasette, real_db):
    response = await datasette.client.get(f"/insider/{MUSK}")
    page = response.text
    assert response.status_code == 200 and "<title>Musk Elon: insider trades — form4db</title>" in page
    assert f'href="/issuer/{TESLA}">Tesla, Inc.</a>' in page and 'href="/ticker/TSLA">TSLA</a>' in page
    assert "Shares of Tesla, Inc. held after each filing" in page and "<svg viewBox" in page
    total = real_db.execute("""select count(*) from filing_owners o join trades_by_filing b
        on b.accession_number = o.accession_number where o.owner_cik = ?""", [MUSK]).fetchone()[0]
    assert f"of {total:,}" in page
    assert "Filing lag" not in page  # his filings here are bare XML, with no filing date to measure


async def test_an_insiders_filing_lag(datasette, real_db):
    page = (await datasette.client.get(f"/insider/{HOLDING}")).text
    delays = sorted(row[0] for row in real_db.execute("""select t.filing_delay_bd from filing_owners o
        join trades t on t.accession_number = o.accession_number where o.owner_cik = ? and t.filing_delay_bd is not null""",
                                                       [HOLDING]))
    late = sum(delay > 2 for delay in delays) / len(delays)
    assert len(delays) >= 12 and 0 < late < 1
    assert (f"median {statistics.median(delays):,g} business days" in page
            and f"{late:.0%} of {len(delays):,} trades filed after the two-day deadline" in page)


@pytest.mark.parametrize("typed, goes_to", [("TSLA", "/ticker/TSLA"), ("tsla", "/ticker/TSLA"),
                                           (str(TESLA), f"/issuer/{TESLA}"), (str(MUSK), f"/insider/{MUSK}")])
async def test_a_ticker_or_cik_goes_straight_to_its_page(datasette, typed, goes_to):
    response = await datasette.client.get(f"/search?q={typed}")
    assert response.status_code == 302 and urlsplit(response.headers["location"]).path == goes_to


@pytest.mark.parametrize("typed", ["Elon Musk", "Musk Elon", "musk", "elon  MUSK"])
async def test_names_are_found_in_either_order(datasette, typed):
    page = (await datasette.client.get("/search", params={"q": typed})).text
    assert f'<a href="/insider/{MUSK}">Musk Elon</a>' in page


async def test_search_lists_companies_and_footnotes_apart(datasette):
    page = (await datasette.client.get("/search", params={"q": "tesla"})).text
    companies, footnotes = page.split("<h2>Footnotes</h2>")
    assert f'href="/issuer/{TESLA}">Tesla, Inc.</a>' in companies.split("<h2>Insiders</h2>")[0]
    weighted = (await datasette.client.get("/search", params={"q": "weighted average"})).text
    assert "<mark>weighted</mark>" in weighted.lower() and "Every footnote that matches" in weighted


async def test_search_ranks_the_newest_matches_only(datasette, real_db, monkeypatch):
    """Ranking tokenizes each match's text: the page ranks each index's newest matches (5,000)."""
    monkeypatch.setattr(pm.get_plugin("entity_pages.py"), "RANKED_MATCHES", 3)
    newest = [text for (text,) in real_db.execute("""select snippet(footnote_texts_fts, -1, '', '', '', 64)
        from footnote_texts_fts where footnote_texts_fts match '"weighted average"' order by rowid desc limit 3""")]
    assert len(newest) == 3
    page = (await datasette.client.get("/search", params={"q": "weighted average"})).text
    footnotes = page.split("<h2>Footnotes</h2>")[1].split("<h2>Remarks</h2>")[0]
    assert footnotes.count("<li>") == 3
    assert all(text[:40] in footnotes.replace("<mark>", "").replace("</mark>", "") for text in newest)


async def test_a_footnote_text_many_filings_share_is_listed_once(datasette, real_db):
    # (with max() the one aggregate, SQLite takes a bare column from the row of the maximum)
    [shared] = rows(real_db, """select t.text, count(*) as filings, max(n.filing_rowid), f.accession_number as newest
        from footnote_texts t join filing_footnotes n on n.text_id = t.id join filings f on f.rowid = n.filing_rowid
        group by t.id order by count(*) desc, t.id limit 1""")
    assert shared["filings"] > 1
    page = (await datasette.client.get("/search", params={"q": shared["text"][:200]})).text
    footnotes = page.split("<h2>Footnotes</h2>")[1].split("<h2>Remarks</h2>")[0]
    assert f'filing {shared["newest"]}</a> and {shared["filings"] - 1:,} more with the same text' in footnotes
    assert footnotes.count("<li>") == 1


async def test_html_is_readable_and_json_stays_raw(datasette, real_db):
    [row] = rows(real_db, "select id, value_usd, price, shares from trades where ticker = 'TSLA' and transaction_code = 'S' "
                          "and value_usd > 1000000 order by value_usd desc limit 1")
    page = (await datasette.client.get(f"/form4/trades?id={row['id']}")).text
    assert f"${row['value_usd']:,.0f}" in page and f"${row['price']:,.2f}" in page
    assert f"\u2212{row['shares']:,.0f}" in page  # sold: a signed quantity
    assert '<html lang="en">' in page and ">Value</a>" in page and ">value_usd</a>" not in page
    assert '<details class="column-notes">' in page
    assert page.index('<table class="rows-and-columns">') < page.index('<details class="column-notes">')
    data = (await datasette.client.get(f"/form4/trades.json?id={row['id']}&_shape=array")).json()[0]
    assert (data["value_usd"], data["price"], data["shares"]) == (row["value_usd"], row["price"], row["shares"])


async def test_every_name_and_ticker_links_to_a_page_that_answers(datasette):
    pages = ["/form4/trades?ticker=TSLA", "/form4/trades_by_filing?_sort_desc=filing_date", "/form4/latest_purchases",
             "/form4/insider_history?owner=musk", f"/issuer/{TESLA}", f"/insider/{MUSK}", "/form4/cluster_buys",
             "/form4/issuer_insiders?issuer_cik=1318605", "/form4/largest_sales"]
    checked = set()
    for path in pages:
        html = (await datasette.client.get(path)).text
        for column in ("ticker", "issuer_name", "insider_name", "owner_name", "insider_names", "insiders"):
            for cell in re.findall(rf'<td class="col-{column} [^"]*">(.*?)</td>', html, re.S):
                assert not cell.strip() or cell.strip() == "&nbsp;" or "<a href=" in cell, (path, column, cell)
        checked |= {link for link in links_of(html) if re.match(r"/(ticker|issuer|insider|search)\b", link)}
    assert len(checked) > 50
    for link in sorted(checked):
        assert (await datasette.client.get(link)).status_code in (200, 302), link
