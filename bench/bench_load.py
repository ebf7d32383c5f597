"""Load test: many concurrent clients against a real Datasette on 127.0.0.1 serving DB, mixing
the canned queries, footnote searches, table pages (HTML and JSON) and row pages, for a bounded
time. Prints requests/s, p50 and p95 latency and the errors.

    python bench/bench_load.py path/to/form4.db --clients 50 --seconds 60
"""

import asyncio
import random
import statistics
import time
from pathlib import Path

import click
import httpx
from bench_queries import pages, percentile, serving

SEARCHES = ["weighted average", "10b5-1", "trust", "restricted stock units", "vest", "gift", "spouse"]


def mix(db: Path) -> list[str]:
    """The pages a client picks from: every screen (JSON and HTML), searches, tables, rows."""
    json_pages = list(pages(db).values())
    html_pages = [path.replace(".json", "").replace("?_shape=array", "").replace("&_shape=array", "")
                  for path in json_pages]
    searches = [f"/form4/footnote_search?q={term.replace(' ', '+')}" for term in SEARCHES]
    return [*json_pages, *html_pages, *searches, "/", "/form4", "/form4/filings", "/form4/issuers"]


async def client(base: str, paths: list[str], until: float, seed: int, results: list, errors: list) -> None:
    randomly = random.Random(seed)
    async with httpx.AsyncClient(base_url=base, timeout=30) as http:
        while time.perf_counter() < until:
            path = randomly.choice(paths)
            started = time.perf_counter()
            try:
                response = await http.get(path)
                if response.status_code >= 400:
                    errors.append(f"{response.status_code} {path}")
            except httpx.HTTPError as error:
                errors.append(f"{type(error).__name__} {path}")
            results.append((path, time.perf_counter() - started))


@click.command()
@click.argument("db", type=click.Path(exists=True, dir_okay=False))
@click.option("--clients", default=50, show_default=True)
@click.option("--seconds", default=60, show_default=True)
@click.option("--workers", default=1, show_default=True, help="Server processes (more than 1: uvicorn).")
def main(db, clients, seconds, workers):
    paths = mix(Path(db))
    with serving(db, workers) as base:
        results, errors = [], []
        started = time.perf_counter()
        until = started + seconds

        async def run():
            await asyncio.gather(*(client(base, paths, until, seed, results, errors) for seed in range(clients)))

        asyncio.run(run())
        elapsed = time.perf_counter() - started
    milliseconds = [1000 * seconds for _, seconds in results]
    print(f"{clients} clients, {workers} server processes, {seconds}s, {len(paths)} distinct pages: {len(results):,} requests, "
          f"{len(results) / elapsed:,.1f} requests/s, p50 {statistics.median(milliseconds):,.0f} ms, "
          f"p95 {percentile(milliseconds, 0.95):,.0f} ms, max {max(milliseconds):,.0f} ms, {len(errors)} errors")
    for error in sorted(set(errors))[:20]:
        print("  error:", error, f"x{errors.count(error)}")
    by_page = {}
    for path, seconds in results:
        by_page.setdefault(path, []).append(1000 * seconds)
    print("slowest pages (p50 ms):")
    for path, times in sorted(by_page.items(), key=lambda item: -statistics.median(item[1]))[:8]:
        print(f"  {statistics.median(times):8,.0f}  {path}")


if __name__ == "__main__":
    main()
