"""Coverage-guided fuzzing of every reader with atheris (libFuzzer), for a bounded time; not part
of the test suite. Any input must load or be refused with ReadError: anything else is a finding,
which libFuzzer saves as crash-* beside where it runs.

    pip install atheris
    python bench/fuzz.py xml --seconds 300        # or: submission, dataset, text, html
"""

import sys
import tempfile
import zipfile
from pathlib import Path

import atheris

with atheris.instrument_imports():
    from form4db.model import ReadError
    from form4db.readers.full_submission import read_full_submission
    from form4db.readers.insider_datasets import filings, read_quarter
    from form4db.readers.ownership_xml import read_ownership_xml
    from form4db.readers.rendered_html import read_rendered_html
    from form4db.readers.rendered_text import read_rendered_text

CORPUS = Path(__file__).resolve().parent.parent.parent / "shared" / "corpus"
SEEDS = {
    "xml": sorted((CORPUS / "xml").glob("*.xml"))[:50],
    "submission": sorted((CORPUS / "txt").iterdir()) + sorted((CORPUS / "text").iterdir()),
    "dataset": [],
    "text": [CORPUS.parent / "seed" / "000_20df6d6f311adac3.txt"],
    "html": sorted((CORPUS / "html").iterdir()),
}
QUARTER = Path(tempfile.mkdtemp(prefix="form4db-fuzz-")) / "fuzz_form345.zip"


def read_dataset(data: bytes) -> None:
    """The fuzzed bytes as the SUBMISSION table of a quarter whose other tables are real."""
    with zipfile.ZipFile(QUARTER, "w") as archive:
        for path in (CORPUS / "insider-datasets" / "2024q3_form345_slice").glob("*.tsv"):
            archive.writestr(path.name, data if path.name == "SUBMISSION.tsv" else path.read_bytes())
    quarter = read_quarter(QUARTER, "fuzz")
    try:
        for _ in filings(quarter):
            pass
    finally:
        quarter.close()


READERS = {
    "xml": lambda data: read_ownership_xml(data, "fuzz", "fuzz_0001234567-24-000001.xml"),
    "submission": lambda data: read_full_submission(data, "fuzz", "fuzz.txt"),
    "dataset": read_dataset,
    "text": lambda data: read_rendered_text(data, "fuzz", "fuzz.txt"),
    "html": lambda data: read_rendered_html(data, "fuzz", "fuzz.html"),
}


def main():
    kind = sys.argv[1] if len(sys.argv) > 1 and sys.argv[1] in READERS else "xml"
    seconds = int(sys.argv[sys.argv.index("--seconds") + 1]) if "--seconds" in sys.argv else 60
    seeds = Path(tempfile.mkdtemp(prefix=f"form4db-fuzz-{kind}-"))
    for i, path in enumerate(SEEDS[kind]):
        (seeds / f"seed{i}").write_bytes(path.read_bytes())
    if kind == "dataset":
        (seeds / "seed").write_bytes((CORPUS / "insider-datasets" / "2024q3_form345_slice" / "SUBMISSION.tsv").read_bytes())
    read = READERS[kind]

    def one_input(data: bytes) -> None:
        try:
            read(data)
        except ReadError:
            pass

    atheris.Setup([sys.argv[0], f"-max_total_time={seconds}", "-rss_limit_mb=2048", "-timeout=10",
                   "-print_final_stats=1", str(seeds)], one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
