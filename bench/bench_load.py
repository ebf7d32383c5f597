"""Load test: many concurrent clients against a real Datasette on 127.0.0.1 serving DB, for a
bounded time. Prints requests/s, p50 and p95 latency and the errors.

Half the requests are the popular pages, the same every time: every screen with its default
parameters and the screener's common screens (JSON and HTML), the busiest company's and insider's
pages, the home, database and table pages, common searches. The other half are the long tail,
almost never the same twice: the company and insider pages and screens of random issuers, tickers
and owners, random rows, the screener filtered by a random ticker, insider or value, searches for
random names and random pairs of words. So the figures show what the site computes, not what it remembers.

    python bench/bench_load.py path/to/form4.db --clients 50 --seconds 60 --workers 2
"""

import asyncio
import random
import re
import sqlite3
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit

import click
import httpx
from bench_queries import filing_count, pages, percentile, serving
from results import record

SEARCHES = ["weighted average", "10b5-1", "trust", "restricted stock units", "vest", "gift", "spouse"]
WORDS = ["price", "shares", "plan", "sale", "options", "vesting", "trust", "award", "director", "family",
         "average", "exercise", "units", "stock", "held", "tax", "withholding", "gift", "spouse", "fund",
         "partnership", "ranging", "grant", "performance", "dividend", "conversion", "warrants", "beneficial"]
SAMPLE = 2000  # random issuers, owners and rows the long tail draws on


def popular_pages(db: Path) -> list[str]:
    """Every screen and the screener's common screens (JSON and HTML), the busiest company's and
    insider's pages, searches, the home, database and table pages."""
    every = pages(db).values()
    json_pages = [path for path in every if ".json" in path]
    html_pages = [as_html(path) for path in json_pages] + [path for path in every if ".json" not in path]
    searches = [f"/form4/footnote_search?q={term.replace(' ', '+')}" for term in SEARCHES]
    tables = ["/form4/filings", "/form4/issuers", "/form4/nonderiv_transactions", "/form4/trades", "/form4/trades_by_filing"]
    return [*json_pages, *html_pages, *searches, "/", "/screens", "/form4", *tables]


def as_html(path: str) -> str:
    """The HTML page of a JSON URL: no .json, no _shape."""
    url = urlsplit(path)
    query = urlencode([(name, value) for name, value in parse_qsl(url.query, keep_blank_values=True) if name != "_shape"])
    return url.path.removesuffix(".json") + (f"?{query}" if query else "")


def long_tail(db: Path) -> list[Callable[[random.Random], str]]:
    """Makers of pages about a random issuer, owner, row or pair of words."""
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    issuers = [cik for cik, in conn.execute(f"SELECT issuer_cik FROM issuers ORDER BY random() LIMIT {SAMPLE}")]
    owners = [cik for cik, in conn.execute(f"SELECT owner_cik FROM owners ORDER BY random() LIMIT {SAMPLE}")]
    tickers = [ticker for ticker, in conn.execute(
        f"SELECT DISTINCT issuer_ticker_clean FROM filings WHERE issuer_ticker_clean IS NOT NULL LIMIT {SAMPLE}")]
    names = [name for name, in conn.execute(f"SELECT owner_name FROM owners ORDER BY random() LIMIT {SAMPLE}")]
    last = conn.execute("SELECT max(rowid) FROM nonderiv_transactions").fetchone()[0]
    rowids = random.Random(0).sample(range(1, last + 1), min(SAMPLE, last))
    rows = [row_id for row_id, in conn.execute(
        f"SELECT id FROM nonderiv_transactions WHERE rowid IN ({', '.join('?' * len(rowids))})", rowids)]
    conn.close()
    return [
        lambda pick: f"/form4/issuer_activity?issuer={pick.choice(issuers)}",
        lambda pick: f"/form4/issuer_net_buying.json?issuer={pick.choice(issuers)}&_shape=array",
        lambda pick: f"/form4/largest_sales?issuer={pick.choice(issuers)}",
        lambda pick: f"/form4/plan_vs_discretionary_sales.json?issuer={pick.choice(issuers)}&_shape=array",
        lambda pick: f"/form4/insider_history?owner={pick.choice(owners)}",
        lambda pick: f"/form4/insider_history.json?owner={pick.choice(owners)}&_shape=array",
        lambda pick: f"/form4/nonderiv_transactions/{pick.choice(rows)}",
        lambda pick: f"/form4/nonderiv_transactions/{pick.choice(rows)}.json",
        lambda pick: f"/form4/filings?issuer_cik={pick.choice(issuers)}",
        lambda pick: f"/form4/footnote_search?q={pick.choice(WORDS)}+{pick.choice(WORDS)}",
        # The pages for people and the screener (issues 21 and 22)
        lambda pick: f"/ticker/{pick.choice(tickers)}",
        lambda pick: f"/issuer/{pick.choice(issuers)}",
        lambda pick: f"/insider/{pick.choice(owners)}",
        lambda pick: "/search?" + urlencode({"q": " ".join(reversed(pick.choice(names).split()[-2:]))}),
        lambda pick: f"/form4/trades?ticker={pick.choice(tickers)}&_sort_desc=trade_date",
        lambda pick: f"/form4/trades_by_filing.json?insider_cik={pick.choice(owners)}&_sort_desc=last_trade_date",
        lambda pick: f"/form4/trades_by_filing?is_open_market=1&transaction_code={pick.choice('PS')}"
                     f"&value_usd__gte={pick.choice([10_000, 25_000, 100_000, 1_000_000])}&_sort_desc=filing_date",
    ]


def mix(db: Path) -> Callable[[random.Random], str]:
    """A function of a random generator that picks the next page: popular or long tail, evenly."""
    popular, tail = popular_pages(db), long_tail(db)
    return lambda pick: pick.choice(popular) if pick.random() < 0.5 else pick.choice(tail)(pick)


async def client(base: str, next_page, until: float, seed: int, results: list, errors: list) -> None:
    randomly = random.Random(seed)
    async with httpx.AsyncClient(base_url=base, timeout=30) as http:
        while time.perf_counter() < until:
            path = next_page(randomly)
            started = time.perf_counter()
            cached = False
            try:
                response = await http.get(path)
                cached = response.headers.get("x-cache") == "hit"
                if response.status_code >= 400:
                    errors.append(f"{response.status_code} {path}")
            except httpx.HTTPError as error:
                errors.append(f"{type(error).__name__} {path}")
            results.append((path, time.perf_counter() - started, cached))


def kind(path: str) -> str:
    """A page with its parameter values, row id, ticker or CIK left out: what the page is."""
    path = re.sub(r"^/(ticker|issuer|insider)/[^/?]+", r"/\1/…", path)
    return re.sub(r"=[^&]*", "=…", re.sub(r"(/nonderiv_transactions/)[^/.?]+", r"\1ROW", path))


@click.command()
@click.argument("db", type=click.Path(exists=True, dir_okay=False))
@click.option("--clients", default=50, show_default=True)
@click.option("--seconds", default=60, show_default=True)
@click.option("--workers", default=1, show_default=True, help="Server processes (more than 1: uvicorn).")
@click.option("--results", "results_path", type=click.Path(dir_okay=False),
              help="Also append the figures to this file (bench/results.py).")
def main(db, clients, seconds, workers, results_path):
    next_page = mix(Path(db))
    with serving(db, workers) as base:
        results, errors = [], []
        started = time.perf_counter()
        until = started + seconds

        async def run():
            await asyncio.gather(*(client(base, next_page, until, seed, results, errors) for seed in range(clients)))

        asyncio.run(run())
        elapsed = time.perf_counter() - started
    milliseconds = [1000 * took for _, took, _ in results]
    distinct = len({path for path, _, _ in results})
    hits = sum(cached for *_, cached in results)
    print(f"{clients} clients, {workers} server processes, {seconds}s: {len(results):,} requests "
          f"({distinct:,} distinct pages, {hits / len(results):.0%} from the response cache), "
          f"{len(results) / elapsed:,.1f} requests/s, p50 {statistics.median(milliseconds):,.0f} ms, "
          f"p95 {percentile(milliseconds, 0.95):,.0f} ms, max {max(milliseconds):,.0f} ms, {len(errors)} errors")
    filings = filing_count(db)
    load = f"load: {clients} clients, {workers} server process{'es' if workers > 1 else ''}, {filings:,} filings"
    record(results_path, load, "requests/s", f"{len(results) / elapsed:,.1f}")
    record(results_path, load, "p50 / p95", f"{statistics.median(milliseconds):,.0f} / "
           f"{percentile(milliseconds, 0.95):,.0f} ms", "p95 < 1 s")
    record(results_path, load, "errors", str(len(errors)), "0")
    for error in sorted(set(errors))[:20]:
        print("  error:", error, f"x{errors.count(error)}")
    by_kind = {}
    for path, took, _ in results:
        by_kind.setdefault(kind(path), []).append(1000 * took)
    print("slowest kinds of page seen 20 times or more (p50 and p95 ms):")
    common = {page: times for page, times in by_kind.items() if len(times) >= 20}
    for page, times in sorted(common.items(), key=lambda item: -statistics.median(item[1]))[:12]:
        print(f"  {statistics.median(times):8,.0f} {percentile(times, 0.95):8,.0f}  {page}")


if __name__ == "__main__":
    main()
