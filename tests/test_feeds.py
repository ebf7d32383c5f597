"""Every Atom feed of the site is valid Atom 1.0 — the RELAX NG schema of RFC 4287 (Appendix B),
and the rules the RFC states beside it — with entries a reader can use: ids that are IRIs and
survive a rebuild, the trade in words, its insiders as authors, a summary and a link to the
filing on EDGAR (or to its page here when it has no accession number)."""

import re
from datetime import datetime

import pytest
import rnc2rng
import yaml
from lxml import etree

from form4db.build import build

from .conftest import CORPUS_XML, METADATA, REPO, SAMPLE, site_for

pytestmark = pytest.mark.usefixtures("corpus")
QUERIES = yaml.safe_load(METADATA.read_text())["databases"]["form4"]["queries"]
FEEDS = sorted([name for name, query in QUERIES.items() if query.get("preset")] + ["open_market_trades"])
ATOM = "{http://www.w3.org/2005/Atom}"
IRI = re.compile(r"[a-zA-Z][a-zA-Z0-9+.-]*:[^\s<>\"{}|\\^`]+")


@pytest.fixture(scope="module")
def schema():
    grammar = rnc2rng.dumps(rnc2rng.loads((REPO / "tests" / "atom" / "atom.rnc").read_text()))
    # rnc2rng declares the empty namespace as a prefix, which XML forbids; nsName ns="" says it.
    return etree.RelaxNG(etree.fromstring(grammar.replace('xmlns:local=""', "").encode()))


@pytest.fixture(scope="module")
def real_site(real_db_path):
    return site_for(real_db_path)


@pytest.fixture(scope="module")
def files_db_path(tmp_path_factory):
    """Bare XML files, which carry no accession number, and the bundled sample."""
    path = tmp_path_factory.mktemp("feeds") / "form4.db"
    assert build([str(CORPUS_XML), str(SAMPLE)], str(path)).errors == []
    return path


def check(feed_bytes: bytes, schema) -> etree._Element:
    feed = etree.fromstring(feed_bytes)
    assert schema.validate(feed), schema.error_log.last_error
    assert feed.find(ATOM + "author/" + ATOM + "name").text == "form4db"
    for entry in feed.iter(ATOM + "entry"):
        assert IRI.fullmatch(entry.findtext(ATOM + "id"))
        datetime.fromisoformat(entry.findtext(ATOM + "updated"))  # RFC 3339, with its offset
        assert entry.find(ATOM + "updated").text[-6] in "+-" or entry.find(ATOM + "updated").text.endswith("Z")
        assert entry.findtext(ATOM + "title") and entry.findtext(ATOM + "summary")
        assert entry.findtext(ATOM + "author/" + ATOM + "name")
        assert entry.find(ATOM + "link[@rel='alternate']").get("href").startswith(("https://www.sec.gov/", "http://localhost/"))
    return feed


@pytest.mark.parametrize("name", FEEDS)
async def test_every_feed_is_valid_atom(real_site, schema, name):
    response = await real_site.client.get(f"/form4/{name}.atom")
    assert response.status_code == 200 and response.headers["content-type"].startswith("application/atom+xml")
    feed = check(response.content, schema)
    assert len(feed.findall(ATOM + "entry")) == min(100, int(response.headers["x-total-count"]))
    page = (await real_site.client.get(f"/form4/{name}")).text
    assert f'<link rel="alternate" type="application/atom+xml" title="{QUERIES[name]["title"]} (Atom)" ' \
           f'href="/form4/{name}.atom">' in page.replace("&#39;", "'")


async def test_a_trade_in_words(real_site, schema):
    feed = check((await real_site.client.get("/form4/latest_purchases.atom")).content, schema)
    entry = feed.find(f"{ATOM}entry[{ATOM}id='tag:form4db.github.io,2026:trades_by_filing/0000921895-25-001190_P']")
    assert entry.findtext(ATOM + "title") == "Fund 1 Investments, LLC (10% owner) bought 167,847 FLWS at $5.44 — $912,659"
    assert [author.text for author in entry.iter(ATOM + "name")] == [
        "Fund 1 Investments, LLC", "PLP Funds Master Fund LP", "Pleasant Lake Partners LLC"]
    assert entry.findtext(ATOM + "updated") == "2025-04-28T16:37:35-04:00"
    assert entry.find(ATOM + "link").get("href") == \
        "https://www.sec.gov/Archives/edgar/data/1084869/000092189525001190/0000921895-25-001190-index.htm"
    assert entry.findtext(ATOM + "summary").startswith(
        "Fund 1 Investments, LLC; PLP Funds Master Fund LP; Pleasant Lake Partners LLC bought 167,847 shares of "
        "1 800 FLOWERS COM INC (FLWS) from 2025-04-24 to 2025-04-28 at an average of $5.44. Value $912,658.87. "
        "Holding after: 8,687,914 shares (+2.0%).")


async def test_a_filing_without_an_accession_links_its_page_here(files_db_path, schema):
    response = await site_for(files_db_path).client.get("/form4/open_market_trades.atom")
    assert response.status_code == 200
    feed = check(response.content, schema)
    links = [link.get("href") for link in feed.iter(ATOM + "link") if link.get("rel") == "alternate"]
    assert any(link.startswith("http://localhost/form4/filings/sha256-") for link in links)


async def test_entry_ids_survive_a_rebuild(files_db_path, tmp_path, schema):
    again = tmp_path / "form4.db"
    assert build([str(SAMPLE), str(CORPUS_XML)], str(again)).errors == []  # the other way round
    ids = []
    for path in (files_db_path, again):
        feed = check((await site_for(path).client.get("/form4/open_market_trades.atom?_next=0")).content, schema)
        ids.append([entry.findtext(ATOM + "id") for entry in feed.iter(ATOM + "entry")])
    assert ids[0] == ids[1] and len(ids[0]) == 100


async def test_the_home_and_screens_pages_list_every_preset_with_its_feed(real_site):
    for path in ("/", "/screens"):
        page = (await real_site.client.get(path)).text
        for name in FEEDS:
            if QUERIES[name].get("preset"):
                assert f'href="/form4/{name}"' in page and f'href="/form4/{name}.atom"' in page, (path, name)
