"""Latency of every screen through Datasette's HTTP, on a database you built.

Starts `datasette serve` on 127.0.0.1 in a copy of the configuration directory around DB, asks
each canned query (default parameters), a footnote search, a faceted table page and a row page
--runs times, and prints p50 and p95 in milliseconds: the time of working each page out, the
response cache left aside.

    python bench/bench_queries.py path/to/form4.db --runs 20
"""

import os
import secrets
import shutil
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote, urlencode

import click
import httpx
import yaml
from results import record

REPO = Path(__file__).resolve().parent.parent


def filing_count(db_path: str | Path) -> int:
    conn = sqlite3.connect(db_path)
    try:
        return conn.execute("SELECT count(*) FROM filings").fetchone()[0]
    finally:
        conn.close()


def pages(db_path: Path) -> dict[str, str]:
    queries = yaml.safe_load((REPO / "metadata.yml").read_text())["databases"]["form4"]["queries"]
    conn = sqlite3.connect(db_path)
    # The row's page where Datasette serves it: by id, or by rowid in a table keyed by rowid.
    keyed_by_id = conn.execute("select count(*) from pragma_table_info('nonderiv_transactions') "
                               "where name = 'id' and pk").fetchone()[0]
    row_id = conn.execute(f"select {'id' if keyed_by_id else 'rowid'} from nonderiv_transactions limit 1").fetchone()[0]
    return {**screener_pages(conn), **people_pages(conn),
        **{name: f"/form4/{name}.json?_shape=array" for name in queries},
        "footnote_search q=weighted average": "/form4/footnote_search.json?q=weighted+average&_shape=array",
        "table page with a facet": "/form4/nonderiv_transactions.json?_facet=transaction_code",
        "row page": f"/form4/nonderiv_transactions/{row_id}.json",
    }


def screener_pages(conn: sqlite3.Connection) -> dict[str, str]:
    """The screener's common screens (issue 21), on the busiest ticker and insider."""
    ticker, insider = conn.execute("select ticker, insider_cik from trades where ticker is not null "
                                   "group by ticker, insider_cik order by count(*) desc limit 1").fetchone()
    name = conn.execute("select insider_name from trades where insider_cik = ? limit 1", [insider]).fetchone()[0]
    screener = "/form4/trades.json?_shape=array&"
    return {
        "screener: P of $25k or more, newest filed first":
            screener + "transaction_code=P&value_usd__gte=25000&_sort_desc=filing_date",
        "screener: CEO or CFO sales of $100k or more":
            screener + "transaction_code=S&value_usd__gte=100000&_where=" + quote("(is_ceo = 1 or is_cfo = 1)"),
        "screener: one ticker's trades": screener + f"ticker={ticker}&_sort_desc=trade_date",
        "screener: one insider's trades": screener + f"insider_cik={insider}&_sort_desc=trade_date",
        # The name's last word: the synthetic insiders' first ("SYNTHETIC") is every insider's.
        "screener: search an insider's name": screener + "_search=" + name.split()[-1],
    }


@contextmanager
def serving(db: str, workers: int = 1):
    """A real Datasette on 127.0.0.1 serving DB immutable from a copy of the configuration
    directory; yields its base URL. More than one worker: the site under uvicorn, as
    form4db/asgi.py describes."""
    with tempfile.TemporaryDirectory(prefix="form4db-site-") as site:
        site = Path(site)
        for name in ("metadata.yml", "settings.json", "plugins", "templates"):
            source = REPO / name
            (shutil.copytree if source.is_dir() else shutil.copy)(source, site / name)
        (site / "form4.db").symlink_to(Path(db).resolve())
        subprocess.run([f"{sys.prefix}/bin/datasette", "inspect", "form4.db", "--inspect-file", "inspect-data.json"],
                       cwd=site, check=True)
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        command = [f"{sys.prefix}/bin/datasette", "serve", ".", "--port", str(port)]
        if workers > 1:
            command = [f"{sys.prefix}/bin/uvicorn", "form4db.asgi:app", "--workers", str(workers), "--port", str(port),
                       "--no-access-log"]
        server = subprocess.Popen(command, cwd=site, env={**os.environ, "FORM4DB_SITE": str(site),
                                                          "DATASETTE_SECRET": secrets.token_hex(16)},
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            base = f"http://127.0.0.1:{port}"
            for _ in range(100):
                try:
                    httpx.get(base + "/-/versions.json")
                    break
                except httpx.TransportError:
                    time.sleep(0.1)
            yield base
        finally:
            server.terminate()
            server.wait(timeout=10)


def percentile(times: list[float], fraction: float) -> float:
    ordered = sorted(times)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def people_pages(conn: sqlite3.Connection) -> dict[str, str]:
    """The company, insider and search pages (issue 22), on the busiest ticker and insider."""
    ticker = conn.execute("select ticker from trades where ticker is not null "
                          "group by ticker order by count(*) desc limit 1").fetchone()[0]
    owner, name = conn.execute("select owner_cik, owner_name from filing_owners where owner_cik is not null "
                               "group by owner_cik order by count(*) desc limit 1").fetchone()
    company = conn.execute("select issuer_name from issuers order by issuer_cik limit 1").fetchone()[0]
    return {
        "page: the busiest ticker": f"/ticker/{ticker}",
        "page: the busiest insider": f"/insider/{owner}",
        "search: an insider's name, words reversed": "/search?" + urlencode({"q": " ".join(reversed(name.split()[-2:]))}),
        "search: a company's name": "/search?" + urlencode({"q": company.split()[-1]}),
        "search: a ticker (redirects)": "/search?" + urlencode({"q": ticker}),
    }


TARGETS = {"screener": "p95 < 300 ms", "page": "p95 < 300 ms", "search": "p95 < 200 ms"}


@click.command()
@click.argument("db", type=click.Path(exists=True, dir_okay=False))
@click.option("--runs", default=20, show_default=True)
@click.option("--results", type=click.Path(dir_okay=False), help="Also append the figures to this file (bench/results.py).")
def main(db, runs, results):
    filings = filing_count(db)
    queries = {**yaml.safe_load((REPO / "metadata.yml").read_text())["databases"]["form4"]["queries"],
               "footnote_search q=weighted average": {}, "table page with a facet": {}, "row page": {}}
    queries.update({name: {} for name in people_pages(sqlite3.connect(db))})
    with serving(db) as base:
        print(f"{'page':40} {'p50 ms':>8} {'p95 ms':>8}  status")
        # A cookie keeps the response cache out of it: these are the times of working each page out.
        with httpx.Client(base_url=base, timeout=60, headers={"Cookie": "bench=uncached"}) as client:
            for name, path in pages(Path(db)).items():
                times, status = [], None
                for _ in range(runs):
                    started = time.perf_counter()
                    status = client.get(path, follow_redirects=False).status_code
                    times.append((time.perf_counter() - started) * 1000)
                print(f"{name:40} {statistics.median(times):8.1f} {percentile(times, 0.95):8.1f}  {status}")
                kind = name.split(":")[0]
                target = TARGETS.get(kind) or ("p95 < 300 ms" if queries[name].get("preset") else "p95 < 500 ms")
                record(results, f"{name}, {filings:,} filings", f"p50 / p95 of {runs} (HTTP {status})",
                       f"{statistics.median(times):.0f} / {percentile(times, 0.95):.0f} ms", target)


if __name__ == "__main__":
    main()
