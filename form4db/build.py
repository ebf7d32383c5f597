"""`form4db build`: find filing files, read each with its reader, load them in batches, derive."""

import os
import sqlite3
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Iterator

from .derive import derive
from .loader import Loader
from .model import Filing, ReadError
from .readers.ownership_xml import read_ownership_xml

BATCH_SIZE = 500
FILING_SUFFIXES = (".xml",)


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

    @property
    def filings(self) -> int:
        return self.new + self.replaced + self.unchanged

    def add(self, loaded: tuple[dict, int, list]) -> None:
        """Count a loaded batch: its outcome per accession, rows loaded and errors."""
        outcomes, rows, errors = loaded
        for outcome in outcomes.values():
            setattr(self, outcome, getattr(self, outcome) + 1)
        self.rows += rows
        self.errors.extend(errors)

    def summary(self) -> str:
        return (
            f"{self.files:,} files, {self.filings:,} filings ({self.new:,} new, "
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
            for name in sorted(names):
                if name.lower().endswith(FILING_SUFFIXES) and not name.startswith("."):
                    path = Path(folder, name)
                    yield path, path.absolute().relative_to(base).as_posix()


def read_file(path: Path, source_path: str) -> Filing:
    """Read one file with the reader for its format; raise ReadError saying why it cannot be."""
    try:
        data = path.read_bytes()
    except OSError as error:
        raise ReadError(f"cannot read file: {error.strerror or error}") from None
    try:
        return read_ownership_xml(data, source_path, path.name)
    except ReadError:
        raise
    except Exception as error:  # a reader bug must cost one file, not the build
        raise ReadError(f"reader failed: {type(error).__name__}: {error}") from error


def build(
    paths: Iterable[str],
    db_path: str,
    on_error: Callable[[str, str], None] = lambda path, reason: None,
    progress: Callable[[Iterable], Iterator] = iter,
) -> BuildReport:
    """Load every filing under ``paths`` into ``db_path``; bad files become build_errors rows."""
    started = time.perf_counter()
    report = BuildReport()
    loader = Loader(db_path)
    batch, errors = [], []
    try:
        for path, source_path in progress(find_files(paths)):
            report.files += 1
            try:
                batch.append(read_file(path, source_path))
            except ReadError as error:
                errors.append((source_path, str(error), None))
                on_error(source_path, str(error))
            if len(batch) + len(errors) >= BATCH_SIZE:
                report.add(load(loader, batch, errors, on_error))
                batch, errors = [], []
        report.add(load(loader, batch, errors, on_error))
        loader.build_indexes()
        derive_started = time.perf_counter()
        derive(loader.conn)
        report.derive_seconds = time.perf_counter() - derive_started
    except BaseException:
        loader.abandon()
        raise
    loader.close()
    report.seconds = time.perf_counter() - started
    return report


def load(loader: Loader, batch: list[Filing], errors: list, on_error) -> tuple[dict, int, list]:
    """Load a batch; if the database refuses it, load filing by filing so one bad one loses no neighbour.

    Returns the outcome per accession, the rows loaded and the (path, reason) of every error.
    """
    try:
        outcomes = loader.load_batch(batch, errors)
    except sqlite3.DatabaseError:
        outcomes = {}
        for filing in batch:
            try:
                outcomes.update(loader.load_batch([filing]))
            except sqlite3.DatabaseError as error:
                reason = f"database refused the filing: {error}"
                errors.append((filing.source_path, reason, filing.content_sha256))
                on_error(filing.source_path, reason)
        loader.load_batch([], errors)
    row_counts = {filing.accession_number: filing.row_count for filing in batch}
    rows = sum(row_counts[a] for a, outcome in outcomes.items() if outcome != "unchanged")
    return outcomes, rows, [(path, reason) for path, reason, _ in errors]
