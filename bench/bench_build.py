"""Benchmark `form4db build` on the real corpus replicated to many files.

Each corpus file is copied under a new, unique accession-number file name, so every copy is a
distinct filing. Each run is a fresh process building a fresh database; we report the median of
the runs at the largest size, and peak RSS at each size to show memory stays flat as input grows.

    python bench/bench_build.py --files 5000 --files 20000 --runs 3
"""

import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import click

REPO = Path(__file__).resolve().parent.parent
CORPUS_XML = REPO.parent / "shared" / "corpus" / "xml"
ROW_TABLES = ["nonderiv_transactions", "nonderiv_holdings", "deriv_transactions", "deriv_holdings"]


def replicate(target: Path, count: int) -> None:
    """Write ``count`` filings into ``target`` by cycling through the corpus."""
    sources = sorted(CORPUS_XML.glob("*.xml"))
    target.mkdir(parents=True)
    for i in range(count):
        source = sources[i % len(sources)]
        accession = f"{9800000000 + i // 1_000_000:010d}-99-{i % 1_000_000:06d}"
        shutil.copyfile(source, target / f"{source.name.split('_')[0]}_{accession}.xml")


def lxml_baseline(folder: Path) -> float:
    """Seconds lxml alone takes to parse every file and visit every element: the floor any
    Python reader of these files stands on, measured in the same run for a fair ratio."""
    from lxml import etree

    started = time.perf_counter()
    for path in sorted(folder.iterdir()):
        for element in etree.fromstring(path.read_bytes()).iter():
            element.tag, element.text
    return time.perf_counter() - started


def run_once(folder: Path, db_path: Path) -> dict:
    """Build in a child process; return its summary, seconds and peak RSS."""
    code = (
        "import json, resource, sys\n"
        "from form4db.build import build\n"
        "report = build([sys.argv[1]], sys.argv[2])\n"
        "peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024\n"
        "print(json.dumps({'seconds': report.seconds, 'derive_seconds': report.derive_seconds,"
        " 'filings': report.new, 'rows': report.rows,"
        " 'errors': len(report.errors), 'peak_rss': peak}))\n"
    )
    output = subprocess.run([sys.executable, "-c", code, str(folder), str(db_path)],
                            check=True, capture_output=True, text=True).stdout
    result = json.loads(output)
    result["db_bytes"] = db_path.stat().st_size
    return result


@click.command()
@click.option("--files", "sizes", multiple=True, type=int, default=[5000, 20000], show_default=True)
@click.option("--runs", default=3, show_default=True, help="Runs at the largest size (median reported).")
def main(sizes, runs):
    sizes = sorted(sizes)
    with tempfile.TemporaryDirectory(prefix="form4db-bench-") as tmp:
        tmp = Path(tmp)
        for size in sizes:
            folder = tmp / f"xml-{size}"
            replicate(folder, size)
            results = []
            for run in range(runs if size == sizes[-1] else 1):
                db_path = tmp / f"bench-{size}-{run}.db"
                results.append(run_once(folder, db_path))
                db_path.unlink()
            seconds = statistics.median(r["seconds"] for r in results)
            loading = statistics.median(r["seconds"] - r["derive_seconds"] for r in results)
            first = results[0]
            assert first["errors"] == 0 and first["filings"] == size
            print(
                f"{size:>7,} files  runs={len(results)}  median {seconds:6.2f}s  "
                f"{size / seconds:7,.0f} filings/s  {first['rows'] / seconds:8,.0f} rows/s  "
                f"load without derive {size / loading:7,.0f} filings/s  "
                f"peak RSS {max(r['peak_rss'] for r in results) / 2**20:6.1f} MiB  "
                f"{first['db_bytes'] / size:6,.0f} DB bytes/filing"
            )
            if size == sizes[-1]:
                baseline = lxml_baseline(folder)
                print(f"{size:>7,} files  lxml alone parses and walks {size / baseline:7,.0f} filings/s; "
                      f"the build takes {seconds / baseline:.1f}x as long, {loading / baseline:.1f}x without derive")
            shutil.rmtree(folder)


if __name__ == "__main__":
    main()
