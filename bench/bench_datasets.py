"""Benchmark `form4db import-datasets` on the corpus's data-set slice replicated to many filings.

Each copy of the slice gets new accession numbers in every table, so every copy is a distinct
set of filings. Each run is a fresh process importing into a fresh database.

    python bench/bench_datasets.py --filings 25000 --filings 100000 --runs 3 --jobs 0 --jobs 2

--jobs 0 converts and writes in one process; --jobs N stages the tables and turns their rows into
filings on N worker processes beside the writer.
"""

import json
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

import click
from results import record
from sqlite_floor import report_sqlite_floor

REPO = Path(__file__).resolve().parent.parent
SLICE = REPO.parent / "shared" / "corpus" / "insider-datasets" / "2024q3_form345_slice"


def replicate(target: Path, filings: int) -> int:
    """Write a quarter folder holding the slice's filings copied until ``filings``; return the count."""
    tables = {path.name: path.read_text().splitlines() for path in SLICE.glob("*.tsv")}
    accessions = [line.split("\t", 1)[0] for line in tables["SUBMISSION.tsv"][1:]]
    copies = -(-filings // len(accessions))
    target.mkdir(parents=True)
    for name, lines in tables.items():
        with open(target / name, "w") as out:
            out.write(lines[0] + "\n")
            for copy in range(copies):
                renamed = {a: f"{9800000000 + copy:010d}-24-{i:06d}" for i, a in enumerate(accessions)}
                for line in lines[1:]:
                    accession, rest = line.split("\t", 1)
                    if accession in renamed:
                        out.write(f"{renamed[accession]}\t{rest}\n")
    return copies * len(accessions)


def run_once(folder: Path, db_path: Path, jobs: int) -> dict:
    """Import in a child process; return its summary, seconds and peak RSS (of the largest process)."""
    code = (
        "import json, resource, sys\n"
        "from form4db.build import import_datasets\n"
        "report = import_datasets([sys.argv[1]], sys.argv[2], jobs=int(sys.argv[3]))\n"
        "peak = max(resource.getrusage(who).ru_maxrss * 1024\n"
        "           for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN))\n"
        "print(json.dumps({'seconds': report.seconds, 'derive_seconds': report.derive_seconds,"
        " 'filings': report.new, 'rows': report.rows, 'peak_rss': peak}))\n"
    )
    output = subprocess.run([sys.executable, "-c", code, str(folder), str(db_path), str(jobs)],
                            check=True, capture_output=True, text=True).stdout
    return {**json.loads(output), "db_bytes": db_path.stat().st_size}


@click.command()
@click.option("--filings", "sizes", multiple=True, type=int, default=[25000, 100000], show_default=True)
@click.option("--jobs", "job_counts", multiple=True, type=int, default=[0, 2], show_default=True)
@click.option("--runs", default=3, show_default=True, help="Runs at the largest size (median reported).")
@click.option("--results", "results_path", type=click.Path(dir_okay=False),
              help="Also append the figures to this file (bench/results.py).")
def main(sizes, job_counts, runs, results_path):
    print(f"{'filings':>8}  {'jobs':>4}  {'runs':>4}  {'seconds':>7}  {'filings/s':>9}  {'without derive':>14}  "
          f"{'peak RSS':>8}  {'DB bytes/filing':>15}")
    with tempfile.TemporaryDirectory(prefix="form4db-bench-datasets-") as tmp:
        for size in sorted(sizes):
            folder = Path(tmp) / f"{size}_form345"
            count = replicate(folder, size)
            db_path = Path(tmp) / "built.db"
            largest = size == max(sizes)
            for jobs in job_counts:
                results = []
                for _ in range(runs if largest else 1):
                    db_path.unlink(missing_ok=True)
                    results.append(run_once(folder, db_path, jobs))
                assert results[0]["filings"] == count
                report(count, jobs, results, largest, results_path)
            if largest:
                report_sqlite_floor(db_path, Path(tmp) / "floor.db", results_path, "import-datasets", f"{count:,} filings")
            shutil.rmtree(folder)


def report(count: int, jobs: int, results: list[dict], largest: bool, results_path: str | None) -> None:
    seconds = statistics.median(r["seconds"] for r in results)
    loading = statistics.median(r["seconds"] - r["derive_seconds"] for r in results)
    peak = max(r["peak_rss"] for r in results) / 2**20
    print(f"{count:>8,}  {jobs:>4}  {len(results):>4}  {seconds:>7.2f}  {count / seconds:>9,.0f}  "
          f"{count / loading:>12,.0f}/s  {peak:>5.0f} MiB  {results[0]['db_bytes'] / count:>15,.0f}")
    imported = f"import-datasets {count:,} filings, --jobs {jobs}"
    record(results_path, imported, f"filings/s (median of {len(results)})", f"{count / seconds:,.0f}",
           ">= 20,000" if largest else "")
    record(results_path, imported, "filings/s without derive", f"{count / loading:,.0f}")
    record(results_path, imported, "peak RSS", f"{peak:.0f} MiB", "flat in the input size")

if __name__ == "__main__":
    main()
