"""A fake SEC EDGAR archive served over real HTTP on 127.0.0.1, for tests.

It serves the daily and quarterly ``master`` indexes and the full-text
submissions they point to, records every request, and can inject the
failures a polite EDGAR client must survive (rate limits, 503s, dropped and
truncated responses, slow answers).
"""

from __future__ import annotations

import math
import re
import socket
import threading
import time
from datetime import date, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import NamedTuple
from urllib.parse import urlsplit

Entry = tuple[int, str, str, str]

DAILY = re.compile(r"/Archives/edgar/daily-index/(\d{4})/QTR([1-4])/master\.(\d{8})\.idx")
QUARTERLY = re.compile(r"/Archives/edgar/full-index/(\d{4})/QTR([1-4])/master\.idx")
ARCHIVE = re.compile(r"/Archives/edgar/data/(\d+)/(\d{10}-\d{2}-\d{6})\.txt")
OTHER_FORMS = ("10-K", "8-K", "SC 13G", "10-Q", "424B2")
LOOKALIKE_FORMS = ("40-F", "S-4", "424B3", "40-17G", "S-4/A")
SLOW_CHUNKS = 20
PREAMBLE = """\
Description:           Master Index of EDGAR Dissemination Feed
Last Data Received:    {received}
Comments:              webmaster@sec.gov
Anonymous FTP:         ftp://ftp.sec.gov/edgar/
Cloud HTTP:            https://www.sec.gov/Archives/

 
 
 
CIK|Company Name|Form Type|Date Filed|Filename
--------------------------------------------------------------------------------
"""


class Request(NamedTuple):
    """One request as the server saw it; ``status`` is 0 when the connection was dropped."""

    time: float
    path: str
    user_agent: str | None
    status: int


def quarter(day: date) -> int:
    """The calendar quarter (1-4) of ``day``."""
    return (day.month - 1) // 3 + 1


def other_entries(day: date) -> list[Entry]:
    """Two fixed non-ownership lines for ``day``, pointing at accessions that are not served."""
    n, serial = day.toordinal(), day.timetuple().tm_yday * 10
    other, lookalike = OTHER_FORMS[n % len(OTHER_FORMS)], LOOKALIKE_FORMS[n % len(LOOKALIKE_FORMS)]
    return [
        (99, "Other Filer Inc", other, f"0000000099-{day:%y}-{serial:06d}"),
        (99, "Lookalike Filer Corp", lookalike, f"0000000099-{day:%y}-{serial + 1:06d}"),
    ]


def index_bytes(rows: list[tuple[Entry, date]], compact_dates: bool) -> bytes:
    """A master index listing ``rows``, sorted by CIK as EDGAR does."""
    received = max(day for _, day in rows)
    lines = [PREAMBLE.format(received=f"{received:%B} {received.day}, {received.year}")]
    for (cik, name, form, accession), day in sorted(rows, key=lambda row: str(row[0][0])):
        filed = f"{day:%Y%m%d}" if compact_dates else day.isoformat()
        lines.append(f"{cik}|{name}|{form}|{filed}|edgar/data/{cik}/{accession}.txt\n")
    return "".join(lines).encode()


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, edgar: FakeEdgar):
        super().__init__(("127.0.0.1", 0), _Handler)
        self.edgar = edgar
        self.connections: set[socket.socket] = set()

    def handle_error(self, request, client_address) -> None:
        """Stay quiet when a client hangs up mid-response (timeouts, dropped faults)."""


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def log_message(self, format, *args) -> None:
        """Never write to stderr."""

    def setup(self) -> None:
        super().setup()
        self.server.connections.add(self.connection)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self.server.connections.discard(self.connection)

    def do_GET(self) -> None:
        arrived = time.monotonic()
        edgar, path = self.server.edgar, urlsplit(self.path).path
        user_agent = self.headers.get("User-Agent")
        status, body, fault = edgar._plan(path, user_agent)
        edgar._record(Request(arrived, self.path, user_agent, status))
        kind = fault[0] if fault else None
        if kind == "drop":
            return self._hang_up()
        if kind == "slow":
            edgar._stopping.wait(fault[1])
        if kind == "truncate-clean":
            body = body[: len(body) // 2]
        self.send_response(status)
        if kind == "429":
            self.send_header("Retry-After", str(int(fault[1])))
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        seconds = edgar.slow_seconds if status == 200 and ARCHIVE.fullmatch(path) else 0.0
        if kind == "truncate":
            self._write(body[: len(body) // 2], seconds)
            return self._hang_up()
        self._write(body, seconds)

    def _write(self, body: bytes, seconds: float) -> None:
        """Send ``body``, spread over ``seconds`` in small chunks when positive."""
        if seconds <= 0:
            self.wfile.write(body)
            return
        size = max(1, math.ceil(len(body) / SLOW_CHUNKS))
        chunks = [body[i : i + size] for i in range(0, len(body), size)]
        for chunk in chunks:
            self.wfile.write(chunk)
            if self.server.edgar._stopping.wait(seconds / len(chunks)):
                return

    def _hang_up(self) -> None:
        """Close the connection at once, whatever has been sent so far."""
        self.close_connection = True
        try:
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass


class FakeEdgar:
    """A fake EDGAR on 127.0.0.1; see the module docstring. Use ``with FakeEdgar(...).start() as edgar:``."""

    def __init__(self, submissions: dict[str, bytes], days: dict[str, list[Entry]]):
        """``submissions`` maps accession numbers to full submission bytes; ``days`` maps
        'YYYY-MM-DD' to the (cik, company_name, form_type, accession) entries listed that day."""
        self.submissions = dict(submissions)
        self.days = {day: list(entries) for day, entries in days.items()}
        self.requests: list[Request] = []
        self.faults: dict[str, list[tuple]] = {}
        self.fail_always: set[str] = set()
        self.slow_seconds = 0.0
        self.files: dict[str, bytes] = {}  # any other path -> its body (the data-set zips, say)
        self.base_url = ""
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> FakeEdgar:
        """Listen on a free port of 127.0.0.1 and serve from a daemon thread."""
        self._server = _Server(self)
        host, port = self._server.server_address[:2]
        self.base_url = f"http://{host}:{port}"
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving, hang up open connections and release the port."""
        if self._server is None:
            return
        self._server.shutdown()
        for connection in list(self._server.connections):
            try:
                connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        self._stopping.set()
        self._server.server_close()
        self._thread.join()
        self._server = self._thread = None

    def __enter__(self) -> FakeEdgar:
        return self

    def __exit__(self, *exc_info) -> None:
        self.stop()

    def add_day(self, day: str, entries: list[Entry], submissions: dict[str, bytes]) -> None:
        """List ``entries`` on ``day`` and serve ``submissions``, e.g. to test an update."""
        with self._lock:
            self.days.setdefault(day, []).extend(entries)
            self.submissions.update(submissions)

    def _record(self, request: Request) -> None:
        with self._lock:
            self.requests.append(request)

    def _plan(self, path: str, user_agent: str | None) -> tuple[int, bytes, tuple]:
        """The status, body and fault (possibly empty) of the response to ``path``."""
        if user_agent is None:
            return 403, b"Your request has been identified as part of an undeclared automated tool.\n", ()
        with self._lock:
            queue = self.faults.get(path)
            fault = tuple(queue.pop(0)) if queue else ()
            failing = path in self.fail_always
        kind = fault[0] if fault else None
        if kind == "429":
            return 429, b"Too Many Requests\n", fault
        if kind == "403":  # EDGAR's answer to a throttled or undeclared client
            return 403, b"Request Rate Threshold Exceeded\n", fault
        if kind == "503" or failing:
            return 503, b"Service Unavailable\n", fault
        if kind == "drop":
            return 0, b"", fault
        return (*self._route(path), fault)

    def _route(self, path: str) -> tuple[int, bytes]:
        """The normal status and body for ``path``."""
        with self._lock:
            if match := DAILY.fullmatch(path):
                return self._daily(int(match[1]), int(match[2]), match[3])
            if match := QUARTERLY.fullmatch(path):
                return self._quarterly(int(match[1]), int(match[2]))
            if match := ARCHIVE.fullmatch(path):
                return self._archive(match[1], match[2])
            if path in self.files:
                return 200, self.files[path]
        return 404, b"Not Found\n"

    def _daily(self, year: int, qtr: int, compact: str) -> tuple[int, bytes]:
        try:
            day = datetime.strptime(compact, "%Y%m%d").date()
        except ValueError:
            return 403, b"Forbidden\n"
        if day.isoformat() not in self.days or (day.year, quarter(day)) != (year, qtr):
            return 403, b"Forbidden\n"
        rows = [(entry, day) for entry in self.days[day.isoformat()] + other_entries(day)]
        return 200, index_bytes(rows, compact_dates=True)

    def _quarterly(self, year: int, qtr: int) -> tuple[int, bytes]:
        days = sorted(d for d in map(date.fromisoformat, self.days) if (d.year, quarter(d)) == (year, qtr))
        if not days:
            return 404, b"Not Found\n"
        rows = [(entry, day) for day in days for entry in self.days[day.isoformat()] + other_entries(day)]
        return 200, index_bytes(rows, compact_dates=False)

    def _archive(self, cik: str, accession: str) -> tuple[int, bytes]:
        listed = any(
            (str(c), a) == (cik, accession) for entries in self.days.values() for c, _, _, a in entries
        )
        if listed and accession in self.submissions:
            return 200, self.submissions[accession]
        return 404, b"Not Found\n"
