"""Fetching filings from EDGAR, politely: a declared User-Agent, a global request rate, retries
with backoff, and a cache that a killed run never leaves half-written.

EDGAR's index files list each filing once per filer (issuer and every owner); the fetch keeps
one per accession and downloads its full submission (header and documents in one request).
"""

import io
import os
import random
import re
import shutil
import threading
import time
import zipfile
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date, timedelta
from email.utils import parsedate_to_datetime
from pathlib import Path

import httpx

from .model import ReadError
from .readers.full_submission import ACCESSION, read_header
from .readers.ownership_xml import ascii_digits

DEFAULT_BASE_URL = "https://www.sec.gov"
USER_AGENT_ENV = "FORM4DB_USER_AGENT"
CONTACT_EMAIL = re.compile(r"\S+@\S+\.\w+")
OWNERSHIP_FORMS = {"3", "4", "5", "144"}  # Forms 3, 4, 5 and Form 144 notices of proposed sale
RETRY_STATUSES = {429, 500, 502, 503, 504}
MAX_WAIT = 600.0  # seconds: EDGAR lifts a throttle after about ten minutes


class FetchError(Exception):
    """A request that failed for good (after its retries), or one that must not be made."""


@dataclass(frozen=True)
class IndexEntry:
    accession: str
    cik: int  # the filer the index line lists; the archive path works under any of them
    form_type: str
    date_filed: str

    @property
    def archive_path(self) -> str:
        return f"/Archives/edgar/data/{self.cik}/{self.accession}.txt"


def user_agent_or_fail(given: str | None) -> str:
    """The User-Agent to declare: given, or from FORM4DB_USER_AGENT; it must hold a contact e-mail."""
    agent = given or os.environ.get(USER_AGENT_ENV)
    if not agent or not CONTACT_EMAIL.search(agent):
        raise FetchError(
            "EDGAR asks every automated client to declare itself with a contact e-mail: pass "
            f'--user-agent "Your Name you@example.com" or set {USER_AGENT_ENV} (no request was made)'
        )
    return agent


class RateLimiter:
    """At most ``rate`` request starts per second across all threads, evenly spaced."""

    def __init__(self, rate: float):
        self.interval = 1.0 / rate
        self.next_start = 0.0
        self.lock = threading.Lock()

    def wait(self) -> None:
        with self.lock:
            now = time.monotonic()
            start = max(now, self.next_start)
            self.next_start = start + self.interval
        time.sleep(max(0.0, start - now))


class Edgar:
    """GET from EDGAR within the fair-access rules, retrying what is worth retrying."""

    def __init__(self, user_agent: str, base_url: str = DEFAULT_BASE_URL, rate: float = 10.0,
                 attempts: int = 5, backoff: float = 1.0, timeout: float = 30.0):
        if rate > 10:
            raise FetchError("EDGAR allows at most 10 requests per second")
        self.base_url = base_url.rstrip("/")
        # Under the rate: requests started evenly at 1/rate still arrive unevenly (a connection
        # re-opened, a busy machine), and 95% of it was seen to land 11 in one second on the
        # server's clock. At 90%, an arrival may run 110 ms late before that happens.
        self.limiter = RateLimiter(rate * 0.9)
        self.attempts, self.backoff = attempts, backoff
        self.client = httpx.Client(
            headers={"User-Agent": user_agent, "Accept-Encoding": "gzip, deflate"},
            timeout=timeout, follow_redirects=True,
        )

    def close(self) -> None:
        self.client.close()

    def get(self, path: str, check: Callable[[bytes], None] = lambda body: None,
            missing: tuple[int, ...] = (404,)) -> bytes | None:
        """The body at ``path``; None when EDGAR answers one of the ``missing`` statuses (it says
        403 for a day without an index). ``check`` raises ReadError on a body that arrived
        broken, which is then fetched again."""
        for attempt in range(1, self.attempts + 1):
            self.limiter.wait()
            retry_after = None
            try:
                response = self.client.get(self.base_url + path)
                if response.status_code in missing:
                    return None
                if response.status_code == 403:
                    raise FetchError(f"HTTP 403 for {path}: EDGAR refuses (throttled, or the User-Agent is not accepted)")
                if response.status_code not in RETRY_STATUSES:
                    response.raise_for_status()
                    check(response.content)
                    return response.content
                problem = f"HTTP {response.status_code}"
                retry_after = seconds_from_retry_after(response.headers.get("Retry-After"))
            except (httpx.TransportError, ReadError) as error:  # timeouts, dropped or cut connections
                problem = f"{type(error).__name__}: {error}"
            except httpx.HTTPStatusError as error:
                raise FetchError(f"HTTP {error.response.status_code} for {path}") from None
            if attempt == self.attempts:
                raise FetchError(f"{problem} for {path}, {self.attempts} attempts")
            backoff = self.backoff * 2 ** (attempt - 1) * random.uniform(0.5, 1.5)
            time.sleep(min(MAX_WAIT, max(retry_after or 0.0, backoff)))
        raise AssertionError("unreachable")


def seconds_from_retry_after(value: str | None) -> float | None:
    """Retry-After as seconds: a number, or an HTTP date."""
    if not value:
        return None
    if ascii_digits(value.strip()):
        return float(value)
    try:
        return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
    except (TypeError, ValueError):
        return None


def index_paths(since: date, until: date, today: date) -> Iterator[tuple[str, bool]]:
    """(path, immutable) of the master index files covering [since, until]: a quarter's full
    index when the range holds the whole quarter and it is over, else the daily files."""
    day = since
    while day <= until:
        first, last = quarter_bounds(day)
        quarter = (first.month - 1) // 3 + 1
        if day == first and last <= until and last < today:
            yield f"/Archives/edgar/full-index/{first.year}/QTR{quarter}/master.idx", True
            day = last + timedelta(days=1)
            continue
        if day.weekday() < 5:  # EDGAR publishes no index for weekends
            yield f"/Archives/edgar/daily-index/{day.year}/QTR{quarter}/master.{day:%Y%m%d}.idx", day < today
        day += timedelta(days=1)


def quarter_bounds(day: date) -> tuple[date, date]:
    """The first and last day of the calendar quarter of ``day``."""
    first = date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)
    following = date(first.year + 1, 1, 1) if first.month == 10 else date(first.year, first.month + 3, 1)
    return first, following - timedelta(days=1)


def parse_master_index(text: str, forms: set[str]) -> Iterator[IndexEntry]:
    """The lines of a master index (CIK|Company Name|Form Type|Date Filed|Filename) of the given forms."""
    lines = iter(text.splitlines())
    for line in lines:  # a free-text preamble, the column names, then a line of dashes
        if line.startswith("-----"):
            break
    for line in lines:
        parts = line.split("|")
        if len(parts) != 5 or parts[2].strip() not in forms:
            continue
        cik, _, form_type, date_filed, file_name = (part.strip() for part in parts)
        accession = file_name.rsplit("/", 1)[-1].removesuffix(".txt")
        if ascii_digits(cik) and ACCESSION.fullmatch(accession):
            yield IndexEntry(accession, int(cik), form_type, date_filed.replace("-", ""))


def ownership_forms(spec: str) -> set[str]:
    """'3,4,5,144' -> the forms and their amendments."""
    bases = {part.strip() for part in spec.split(",") if part.strip()}
    unknown = bases - OWNERSHIP_FORMS
    if unknown:
        raise FetchError(f"not an ownership form: {', '.join(sorted(unknown))} (choose from 3, 4, 5, 144)")
    return bases | {f"{form}/A" for form in bases}


@dataclass
class FetchReport:
    listed: int = 0  # distinct accessions in the index files
    cached: int = 0  # already in the cache
    downloaded: int = 0
    bytes: int = 0
    failed: list[tuple[str, str]] = field(default_factory=list)  # (accession, reason)
    files: list[Path] = field(default_factory=list)  # the cache file of every listed filing present

    def summary(self) -> str:
        return (f"{self.listed:,} filings listed, {self.cached:,} already cached, {self.downloaded:,} downloaded "
                f"({self.bytes / 2**20:,.1f} MiB), {len(self.failed):,} failed")


class Cache:
    """Full submissions on disk, by accession: CACHE/0001127602/25/0001127602-25-001055.txt.

    Files are written beside the tree, in CACHE/.partial, and moved in whole, so a killed run
    never leaves a partial file where a build would read it.
    """

    def __init__(self, root: Path):
        self.root = root
        self.partial = root / ".partial"
        shutil.rmtree(self.partial, ignore_errors=True)  # left by a run that was killed
        self.partial.mkdir(parents=True, exist_ok=True)

    def path(self, accession: str) -> Path:
        return self.root / accession[:10] / accession[11:13] / f"{accession}.txt"

    def index_path(self, index_path: str) -> Path:
        return self.root / "index" / index_path.removeprefix("/Archives/edgar/")

    def write(self, target: Path, data: bytes) -> None:
        temporary = self.partial / f"{target.name}.{threading.get_ident()}"
        temporary.write_bytes(data)
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(temporary, target)

    def record_failures(self, failed: list[tuple[str, str]]) -> None:
        """The last run's failures, for people to read; the next run tries them again."""
        lines = "".join(f"{accession}\t{reason}\n" for accession, reason in failed)
        self.write(self.root / "fetch-failures.tsv", ("accession\treason\n" + lines).encode())


def check_submission(accession: str) -> Callable[[bytes], None]:
    """A check that a downloaded body is the whole submission of ``accession``."""

    def check(data: bytes) -> None:
        submission, _, _ = read_header(data)
        if submission["accession_number"] != accession:
            raise ReadError(f"the submission holds accession {submission['accession_number']!r}, not {accession}")

    return check


def fetch(edgar: Edgar, cache: Cache, since: date, until: date, forms: set[str], today: date,
          workers: int = 4, on_progress: Callable[[int, int], None] = lambda files, size: None,
          on_listed: Callable[[int], None] = lambda count: None) -> FetchReport:
    """Download into ``cache`` every full submission of ``forms`` filed in [since, until]."""
    report = FetchReport()
    entries = list_filings(edgar, cache, since, until, forms, today)
    report.listed = len(entries)
    missing = [entry for entry in entries if not cache.path(entry.accession).exists()]
    report.cached = report.listed - len(missing)
    on_listed(len(missing))

    def download(entry: IndexEntry) -> tuple[IndexEntry, int, str | None]:
        """(entry, bytes written, why it failed)."""
        try:
            data = edgar.get(entry.archive_path, check_submission(entry.accession))
            if data is None:
                raise FetchError(f"EDGAR has no {entry.archive_path}")
        except FetchError as error:
            return entry, 0, str(error)
        cache.write(cache.path(entry.accession), data)
        return entry, len(data), None

    with ThreadPoolExecutor(workers) as pool:
        for entry, size, failure in pool.map(download, missing):
            if failure:
                report.failed.append((entry.accession, failure))
            else:
                report.downloaded += 1
                report.bytes += size
            on_progress(1, size)
    report.failed.sort()
    cache.record_failures(report.failed)
    failed = {accession for accession, _ in report.failed}
    report.files = [cache.path(e.accession) for e in entries if e.accession not in failed]
    return report


def list_filings(edgar: Edgar, cache: Cache, since: date, until: date, forms: set[str],
                 today: date) -> list[IndexEntry]:
    """The filings of ``forms`` in [since, until], once each, in index order."""
    entries: dict[str, IndexEntry] = {}
    for path, immutable in index_paths(since, until, today):
        cached = cache.index_path(path)
        if cached.exists():
            data = cached.read_bytes()
        else:
            data = edgar.get(path, missing=(403, 404))
            if data is None:  # a holiday, or a day not published yet
                continue
            if immutable:
                cache.write(cached, data)
        for entry in parse_master_index(data.decode("latin-1"), forms):
            if f"{since:%Y%m%d}" <= entry.date_filed <= f"{until:%Y%m%d}":
                entries.setdefault(entry.accession, entry)
    return list(entries.values())


# Where the SEC publishes the quarterly data sets; the newest quarter has been seen under the
# second folder before moving to the first.
DATASET_FOLDERS = (
    "/files/structureddata/data/insider-transactions-data-sets",
    "/files/datastandardsinnovation/data/insider-transactions-data-sets",
)
QUARTER = re.compile(r"(\d{4})q([1-4])", re.ASCII)


def quarters(spec: str) -> list[str]:
    """'2006q1..2025q4', '2024q3' or '2023q4,2024q1' -> the quarters, in order."""
    found = []
    for part in spec.lower().replace(" ", "").split(","):
        first, _, last = part.partition("..")
        start, end = QUARTER.fullmatch(first), QUARTER.fullmatch(last or first)
        if not start or not end:
            raise FetchError(f"not a quarter or a range of them: {part!r} (e.g. 2006q1..2025q4)")
        index = int(start[1]) * 4 + int(start[2]) - 1
        while index <= int(end[1]) * 4 + int(end[2]) - 1:
            found.append(f"{index // 4}q{index % 4 + 1}")
            index += 1
    return found


def check_dataset_zip(data: bytes) -> None:
    """A downloaded data set must be a whole zip holding SUBMISSION.tsv."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            if not any(Path(name).name == "SUBMISSION.tsv" for name in archive.namelist()):
                raise ReadError("the zip holds no SUBMISSION.tsv")
            if archive.testzip() is not None:
                raise ReadError("a member of the zip is corrupt")
    except zipfile.BadZipFile:
        raise ReadError("not a whole zip file") from None


@dataclass
class DatasetReport:
    cached: list[str] = field(default_factory=list)
    downloaded: list[str] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)  # (quarter, reason)

    def summary(self) -> str:
        return (f"{len(self.cached) + len(self.downloaded):,} quarters in the cache "
                f"({len(self.downloaded):,} downloaded now), {len(self.failed):,} failed")


def fetch_datasets(edgar: Edgar, cache: Cache, wanted: list[str],
                   on_progress: Callable[[str], None] = lambda quarter: None) -> DatasetReport:
    """Download each quarter's {quarter}_form345.zip into CACHE/datasets, once."""
    report = DatasetReport()
    for quarter in wanted:
        target = cache.root / "datasets" / f"{quarter}_form345.zip"
        if target.exists():
            report.cached.append(quarter)
        else:
            try:
                data = next(filter(None, (edgar.get(f"{folder}/{quarter}_form345.zip", check_dataset_zip)
                                          for folder in DATASET_FOLDERS)), None)
            except FetchError as error:
                report.failed.append((quarter, str(error)))
            else:
                if data is None:
                    report.failed.append((quarter, "not published (yet) by the SEC"))
                else:
                    cache.write(target, data)
                    report.downloaded.append(quarter)
        on_progress(quarter)
    return report
