"""The site in a real browser (Debian's Chromium driven by Playwright), against a real Datasette
server on 127.0.0.1: the net-buying chart draws, and footnote search highlights what it found.
Screenshots land in test-screenshots/."""

import os
import re
import shutil

import pytest

from .conftest import REPO

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
SCREENSHOTS = REPO / "test-screenshots"
pytestmark = pytest.mark.usefixtures("corpus")


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM:
        if os.environ.get("CI") == "true":
            pytest.fail("chromium is not installed (.ci/run installs it)")
        pytest.skip("chromium is not installed (apt-get install chromium)")
    sync_playwright = pytest.importorskip("playwright.sync_api").sync_playwright
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-sync",
            "--disable-background-networking", "--disable-component-update"])
        yield browser
        browser.close()


def screenshot(page, name):
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def test_net_buying_chart_draws(browser, site):
    page = browser.new_page(viewport={"width": 1280, "height": 1000})
    fragment = "g.mark=bar&g.x_column=month&g.x_type=temporal&g.y_column=net_usd&g.y_type=quantitative"
    page.goto(f"{site}/form4/issuer_net_buying?issuer=TSLA#{fragment}")
    page.wait_for_selector(".vega-embed canvas, .vega-embed svg", timeout=15000)
    drawn = page.evaluate("""() => {
        const svg = document.querySelector('.vega-embed svg');
        if (svg) return svg.querySelectorAll('.mark-rect path, .mark-rect rect').length;
        const canvas = document.querySelector('.vega-embed canvas');
        const pixels = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
        let coloured = 0;
        for (let i = 0; i < pixels.length; i += 4) {
            const [r, g, b, a] = pixels.slice(i, i + 4);
            if (a > 0 && !(r > 240 && g > 240 && b > 240) && !(r === g && g === b)) coloured++;
        }
        return coloured;
    }""")
    screenshot(page, "issuer_net_buying")
    assert drawn > 50, "the chart has no coloured marks"


def test_footnote_search_highlights(browser, site):
    page = browser.new_page(viewport={"width": 1280, "height": 1000})
    page.goto(f"{site}/")
    page.fill("input#q", "weighted average")
    page.click("input[type=submit][value=Search]")
    page.wait_for_selector("li mark", timeout=15000)
    marks = page.locator("li mark").all_inner_texts()
    screenshot(page, "footnote_search")
    assert marks and all(mark.lower() in ("weighted", "average") for mark in marks)


def test_the_screener_filters_sorts_and_pages_in_the_browser(browser, site):
    for name, viewport in (("desktop", {"width": 1280, "height": 1000}), ("phone", {"width": 390, "height": 844})):
        page = browser.new_page(viewport=viewport)
        page.goto(f"{site}/form4/trades")
        page.select_option("select[name=_filter_column]", "transaction_code")
        page.fill("input[name=_filter_value]", "S")
        page.click("input[type=submit][value=Apply]")
        page.wait_for_url(re.compile(r"transaction_code(__exact)?=S"))
        page.locator("th a:text-is('Value')").dispatch_event("click")  # sort by value, smallest first
        page.wait_for_url("**_sort=value_usd**")
        first = page.locator("td.col-value_usd").all_inner_texts()
        page.click("a:text('Next page')")
        page.wait_for_url("**_next=**")
        second = page.locator("td.col-value_usd").all_inner_texts()
        screenshot(page, f"screener_{name}")
        codes = set(page.locator("td.col-transaction_code").all_inner_texts())
        assert codes and all(code.endswith("S") for code in codes)  # the code's meaning, then the code
        values = [float(v.replace("$", "").replace(",", "").replace("\u2212", "-")) for v in first + second if v.strip()]
        assert len(first) == 50 and values == sorted(values)  # the second page goes on where the first ended
        assert "where Code = " in page.locator("h3").first.inner_text()  # the filter in words
        assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"] + 1, "the page scrolls sideways"
        page.close()


def test_a_preset_pages_and_opens_the_screener_in_the_browser(browser, site):
    for name, viewport in (("desktop", {"width": 1280, "height": 1000}), ("phone", {"width": 390, "height": 844})):
        page = browser.new_page(viewport=viewport)
        page.goto(f"{site}/screens")
        screenshot(page, f"screens_{name}")
        page.click("a:text-is('Latest insider trading')")
        page.wait_for_url("**/form4/latest_insider_trading")
        assert page.title() == "Latest insider trading — form4db"
        assert page.locator("link[rel=alternate][type='application/atom+xml']").get_attribute("href") == \
            "/form4/latest_insider_trading.atom"
        counted = page.locator("p.screen-pages").inner_text()
        total = int(re.search(r"Rows 1–100 of ([\d,]+)", counted).group(1).replace(",", ""))
        first = page.locator("td.col-id").all_inner_texts()
        page.click("a[rel=next]")
        page.wait_for_url("**_next=100**")
        second = page.locator("td.col-id").all_inner_texts()
        assert f"Rows 101–{100 + len(second)} of {total:,}" in page.locator("p.screen-pages").inner_text()
        screenshot(page, f"preset_{name}")
        assert len(first) == 100 and len(first) + len(second) == min(total, 200) and not set(first) & set(second)
        page.click("a:text('in the screener')")
        page.wait_for_url("**/form4/trades_by_filing?**")
        assert f"{total:,} rows" in page.locator("h3").first.inner_text()
        page.close()


VIEWPORTS = (("desktop", {"width": 1280, "height": 1000}), ("phone", {"width": 390, "height": 844}))


def watched(browser, viewport):
    """A page that records the console errors and failed requests it meets."""
    page = browser.new_page(viewport=viewport)
    page.problems = []
    page.on("console", lambda message: message.type == "error" and page.problems.append(message.text))
    page.on("pageerror", lambda error: page.problems.append(str(error)))
    page.on("requestfailed", lambda request: page.problems.append(f"failed: {request.url}"))
    return page


def test_the_search_box_reaches_a_company_and_an_insider(browser, site):
    for name, viewport in VIEWPORTS:
        page = watched(browser, viewport)
        page.goto(f"{site}/form4/trades")
        page.fill("form.site-search input[name=q]", "aapl")
        page.click("form.site-search button")
        page.wait_for_url("**/ticker/AAPL")
        assert page.locator("h1").inner_text().startswith("Apple Inc.")
        assert page.locator(".chart svg rect").count() > 3  # the bars drawn, with their legend
        assert page.locator("table.cards tbody tr").count() > 3
        screenshot(page, f"company_{name}")
        page.fill("form.site-search input[name=q]", "cook timothy")
        page.click("form.site-search button")
        page.wait_for_url("**/search?q=cook+timothy")
        screenshot(page, f"search_{name}")
        page.click("a:text-is('COOK TIMOTHY D')")
        page.wait_for_url(re.compile(r"/insider/\d+$"))
        assert page.locator("h1").inner_text() == "COOK TIMOTHY D"
        assert page.locator(".chart svg path").count() >= 1  # his holding of Apple over time
        screenshot(page, f"insider_{name}")
        assert page.evaluate("document.documentElement.lang") == "en"
        assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"] + 1, "the page scrolls sideways"
        assert not page.problems, page.problems
        page.close()


def test_a_sample_company_and_a_corpus_insider_in_the_browser(browser, site):
    """Schwab's page from the bundled sample (its March 2023 cluster buy) and Musk's from the
    corpus's bare XML: the charts draw with their months named, nothing scrolls sideways."""
    for name, viewport in VIEWPORTS:
        page = watched(browser, viewport)
        page.goto(f"{site}/ticker/SCHW")
        assert page.locator("h1").inner_text().startswith("SCHWAB CHARLES CORP")
        assert page.locator(".chart svg").count() == 2  # net buying; plan, discretionary and unstated sales
        labels = page.locator(".chart svg").first.locator("text").all_text_contents()
        assert {"Jan", "Feb", "Mar", "2023"} <= set(labels)
        assert page.locator("a:text-is('Bettinger Walter W')").count() >= 1
        screenshot(page, f"company_sample_{name}")
        page.goto(f"{site}/insider/1494730")
        assert page.locator("h1").inner_text() == "Musk Elon"
        assert page.locator(".chart svg path").count() >= 1
        screenshot(page, f"insider_corpus_{name}")
        assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"] + 1, "the page scrolls sideways"
        assert not page.problems, page.problems
        page.close()
