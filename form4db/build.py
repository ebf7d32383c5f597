"""`form4db build`: find filing files, read each with its reader, load them in batches, derive."""

import collections
import gzip
import io
import multiprocessing
import os
import sqlite3
import sys
import time
import zlib
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from .derive import derive
from .loader import Batch, Loader, batched
from .model import Filing, ReadError
from .readers.full_submission import is_full_submission, read_full_submission
from .readers.insider_datasets import Chunk, chunk_filings, read_quarter
from .readers.form144_xml import xml_reader
from .readers.rendered_html import read_rendered_html
from .readers.rendered_text import read_rendered_text

BATCH_SIZE = 250
# Past this many filings loaded into an existing database, derive recomputes everything: by then
# that is as fast as working out what the new filings touch.
INCREMENTAL_DERIVE_LIMIT = 100_000
TEXT_SUFFIXES = (".txt", ".nc")  # full submissions (also pre-2003 text filings), or rendered forms
HTML_SUFFIXES = (".html", ".htm")
GZIP_SUFFIX = ".gz"  # any of the formats, compressed: filing.txt.gz, form4.xml.gz
PLAIN_SUFFIXES = (".xml", *TEXT_SUFFIXES, *HTML_SUFFIXES)
FILING_SUFFIXES = (*PLAIN_SUFFIXES, *(suffix + GZIP_SUFFIX for suffix in PLAIN_SUFFIXES))
# The largest ownership filings, exhibits included, are a few megabytes; this bounds the memory
# one file can take.
MAX_FILE_BYTES = 64 << 20


@dataclass
class BuildReport:
    files: int = 0
    new: int = 0
    replaced: int = 0
    unchanged: int = 0
    rows: int = 0
    errors: list[tuple[str, str]] = field(default_factory=list)
    seconds: float = 0.0
    derive_seconds: float = 0.0
    # The accessions loaded, for an incremental derive; None once a filing was replaced or too many
    # were loaded (derive then recomputes everything).
    loaded: set[str] | None = field(default_factory=set)

    @property
    def filings(self) -> int:
        return self.new + self.replaced + self.unchanged

    def add(self, loaded: tuple[dict, int, list]) -> None:
        """Count a loaded batch: its outcome per accession, rows loaded and errors."""
        outcomes, rows, errors = loaded
        for outcome in outcomes.values():
            setattr(self, outcome, getattr(self, outcome) + 1)
        if self.loaded is not None:
            self.loaded.update(outcomes)
            if self.replaced or len(self.loaded) > INCREMENTAL_DERIVE_LIMIT:
                self.loaded = None
        self.rows += rows
        self.errors.extend(errors)

    def summary(self, unit: str = "files") -> str:
        return (
            f"{self.files:,} {unit}, {self.filings:,} filings ({self.new:,} new, "
            f"{self.replaced:,} replaced, {self.unchanged:,} unchanged), {self.rows:,} rows, "
            f"{len(self.errors):,} errors in {self.seconds:.1f}s (derive {self.derive_seconds:.1f}s)"
        )


def find_files(paths: Iterable[str]) -> Iterator[tuple[Path, str]]:
    """Every filing file under the given paths, with its path relative to the input's parent.

    A file named on the command line is always read; inside folders (read recursively, hidden
    ones skipped) only files with a filing suffix are, in sorted order so builds are
    deterministic. Files are yielded as found, so memory does not grow with their number.
    """
    for given in map(Path, paths):
        if not given.is_dir():
            yield given, given.name
            continue
        base = given.absolute().parent
        for folder, subfolders, names in os.walk(given):
            subfolders[:] = sorted(name for name in subfolders if not name.startswith("."))
            relative = Path(folder).absolute().relative_to(base).as_posix()
            for name in sorted(names):
                if name.lower().endswith(FILING_SUFFIXES) and not name.startswith("."):
                    yield Path(folder, name), f"{relative}/{name}"


def read_file(path: Path, source_path: str) -> Filing:
    """Read one file with the reader for its format; raise ReadError saying why it cannot be."""
    try:
        with open(path, "rb", buffering=0) as file:  # unbuffered: one read of the whole file
            if os.fstat(file.fileno()).st_size > MAX_FILE_BYTES:
                raise ReadError(f"larger than {MAX_FILE_BYTES >> 20} MiB: not an ownership filing")
            data = file.read()
    except OSError as error:
        raise ReadError(f"cannot read file: {error.strerror or error}") from None
    name = path.name
    if name.lower().endswith(GZIP_SUFFIX):
        name, data = name[:-len(GZIP_SUFFIX)], gunzip(data)
    try:
        return reader_for(Path(name).suffix.lower(), data)(data, source_path, name)
    except ReadError:
        raise
    except Exception as error:  # a reader bug must cost one file, not the build
        raise ReadError(f"reader failed: {type(error).__name__}: {error}") from error


def gunzip(data: bytes) -> bytes:
    """The content of a gzip file, held to the same bound as a plain file (a small file can
    expand to gigabytes)."""
    try:
        with gzip.GzipFile(fileobj=io.BytesIO(data)) as file:
            content = file.read(MAX_FILE_BYTES + 1)
    except (OSError, EOFError, zlib.error) as error:
        raise ReadError(f"cannot decompress: {error}") from None
    if len(content) > MAX_FILE_BYTES:
        raise ReadError(f"larger than {MAX_FILE_BYTES >> 20} MiB uncompressed: not an ownership filing")
    return content


def reader_for(suffix: str, data: bytes):
    """The reader of a file's format, by its suffix and, for text, by how it starts."""
    if suffix in HTML_SUFFIXES:
        return read_rendered_html
    if suffix in TEXT_SUFFIXES:
        return read_full_submission if is_full_submission(data) else read_rendered_text
    return xml_reader(data)


def read_batch(files: list[tuple[Path, str]]) -> Batch:
    """Read files into a batch of table rows; a file that cannot be read becomes an error in it.

    Runs in a worker process with --jobs: it touches no database.
    """
    batch = Batch()
    for path, source_path in files:
        try:
            batch.add(read_file(path, source_path))
        except ReadError as error:
            batch.add_error(source_path, str(error))
    return batch


def load_fetched(files: list[Path], db_path: str, on_error: Callable[[str, str], None] = lambda path, reason: None,
                 jobs: int = 0) -> BuildReport | None:
    """Load the fetched full submissions the database does not hold from a full submission yet
    (one held only from a sparser source, the data sets, is loaded again); None when there is none."""
    loaded = set()
    if Path(db_path).exists():
        conn = sqlite3.connect(db_path)
        try:
            loaded = {row[0] for row in conn.execute(
                "SELECT accession_number FROM filings WHERE source_format = 'full-submission'")}
        finally:
            conn.close()
    new = [str(path) for path in files if path.stem not in loaded]
    return build(new, db_path, on_error=on_error, jobs=jobs) if new else None


def build(
    paths: Iterable[str],
    db_path: str,
    on_error: Callable[[str, str], None] = lambda path, reason: None,
    on_progress: Callable[[int], None] = lambda files: None,
    jobs: int = 0,
) -> BuildReport:
    """Load every filing under ``paths`` into ``db_path``; bad files become build_errors rows.

    With ``jobs`` > 0, that many worker processes read the files while this one writes.
    """
    with reading(jobs) as read_ahead:
        return load_batches(read_ahead(read_batch, batched(find_files(paths), BATCH_SIZE)), db_path, on_error,
                            on_progress)


def import_datasets(
    paths: Iterable[str],
    db_path: str,
    on_error: Callable[[str, str], None] = lambda path, reason: None,
    on_progress: Callable[[int], None] = lambda filings: None,
    jobs: int = 0,
) -> BuildReport:
    """Load the SEC's quarterly Insider Transactions Data Sets (zips, or folders of their TSVs).

    With ``jobs`` > 0, that many worker processes turn each staged quarter's rows into filings
    while this one writes.
    """
    with reading(jobs) as read_ahead:
        return load_batches(dataset_batches(paths, read_ahead), db_path, on_error, on_progress)


def load_batches(batches: Iterable[Batch], db_path: str, on_error, on_progress) -> BuildReport:
    """Load batches into the database, index it, derive the facts; leave it whole or unchanged."""
    started = time.perf_counter()
    report = BuildReport()
    loader = Loader(db_path)
    try:
        # The writer thread loads one batch while the next is read: SQLite runs without
        # Python's lock, so the two overlap.
        with ThreadPoolExecutor(1) as writer:
            loading = []  # (future, files) of the batches handed to the writer, two at most
            for batch in batches:
                loading.append((writer.submit(load, loader, batch, on_error), len(batch)))
                if len(loading) > 1:
                    count_loaded(report, on_progress, *loading.pop(0))
            for pending in loading:
                count_loaded(report, on_progress, *pending)
        loader.build_indexes()
        derive_started = time.perf_counter()
        derive(loader.conn, None if loader.is_new else report.loaded)
        report.derive_seconds = time.perf_counter() - derive_started
        loader.index_derived_columns()
    except BaseException:
        loader.abandon()
        raise
    loader.close()
    report.seconds = time.perf_counter() - started
    return report


def dataset_batches(paths: Iterable[str], read_ahead) -> Iterator[Batch]:
    """Batches of the filings of every quarter under ``paths``, read by ``read_ahead`` (see
    reading); a quarter that cannot be read, or one of its tables, becomes an error."""
    for path, source_path in find_quarters(paths):
        try:
            quarter = read_quarter(path, source_path, read_ahead)
        except ReadError as error:
            batch = Batch()
            batch.add_error(source_path, str(error))
            yield batch
            continue
        try:
            notes = Batch()
            for table_file, reason in quarter.notes:
                notes.add_error(f"{source_path}/{table_file}", reason)
            yield notes
            yield from read_ahead(read_chunk, quarter.chunks(BATCH_SIZE))  # all read before close()
        finally:
            quarter.close()


def read_chunk(chunk: Chunk) -> Batch:
    """The filings of a range of a staged quarter as a batch (in a worker process with --jobs)."""
    batch = Batch()
    for filing in chunk_filings(chunk):
        if isinstance(filing, ReadError):
            batch.add_error(chunk.source_path, str(filing))
        else:
            batch.add(filing)
    return batch


def find_quarters(paths: Iterable[str]) -> Iterator[tuple[Path, str]]:
    """Each quarter under ``paths``: a zip, or a folder holding SUBMISSION.tsv; folders of them too."""
    for given in map(Path, paths):
        if given.is_dir() and not (given / "SUBMISSION.tsv").exists():
            for child in sorted(given.iterdir()):
                if child.suffix.lower() == ".zip" or (child / "SUBMISSION.tsv").exists():
                    yield child, f"{given.name}/{child.name}"
        else:
            yield given, given.name


def count_loaded(report: BuildReport, on_progress, loading: Future, files: int) -> None:
    """Wait for a batch to be loaded and count it."""
    report.add(loading.result())
    report.files += files
    on_progress(files)


@contextmanager
def reading(jobs: int):
    """A function mapping a reading function over items, in order: here, or on ``jobs`` workers.

    Workers run a few items ahead of the writer and no further, so memory stays flat.
    """
    if jobs <= 0:
        yield map
        return
    # Forked workers need no `if __name__ == "__main__"` guard in the program that calls
    # build(); they never touch the database connection they inherit.
    context = multiprocessing.get_context("fork" if sys.platform == "linux" else "spawn")
    with context.Pool(jobs) as pool:

        def read_ahead(function, items):
            pending = collections.deque()
            for item in items:
                pending.append(pool.apply_async(function, (item,)))
                if len(pending) > 2 * jobs:
                    yield pending.popleft().get()
            while pending:
                yield pending.popleft().get()

        yield read_ahead


def load(loader: Loader, batch: Batch, on_error) -> tuple[dict, int, list]:
    """Load a batch; if the database refuses it, load filing by filing so one bad one loses no neighbour.

    Returns the outcome per accession, the rows loaded and the (path, reason) of every error.
    """
    try:
        outcomes = loader.load_batch(batch)
    except sqlite3.DatabaseError:
        outcomes = {}
        for single in batch.split():
            try:
                outcomes.update(loader.load_batch(single))
            except sqlite3.DatabaseError as error:
                summary = single.filings.popitem()[1]
                batch.add_error(summary.source_path, f"database refused the filing: {error}", summary.content_sha256)
        loader.load_batch(Batch(errors=batch.errors))
    for source_path, reason, _ in batch.errors:
        on_error(source_path, reason)
    rows = sum(batch.filings[a].rows for a, outcome in outcomes.items() if outcome != "unchanged")
    return outcomes, rows, [(path, reason) for path, reason, _ in batch.errors]
