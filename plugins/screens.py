"""The screens (canned queries): their parameters read as people write them, and their pages
counted, so that no list is cut short in silence.

Parameters. A dollar amount may be written 25000, 25,000, $25,000, 25k or 1.5m; a count of days
or insiders as a whole number (1,095 too). The screen's SQL gets the plain number. A value that
reads as neither gets a 400 naming the parameter and the forms it takes — as JSON for .json, as
a page otherwise — instead of being misread in silence (SQLite's CAST turns "1,000,000" into 1
and "abc" into 0).

Pages. A screen whose SQL ends in ``limit N offset :_page_offset`` lists N rows a page; the
magic parameter is the row to start from, ``_next`` in the URL (0 when absent), so screens page
with the same parameter as tables. Each page is counted (the screen's SQL without its ORDER BY
and LIMIT, within COUNT_TIME_LIMIT_MS): the HTML says "rows 101–200 of 1,133" with links to the
pages before and after (templates/query.html), the JSON adds total_rows, next_url and
previous_url and sets truncated when rows follow, and every format carries a Link header
(rel="next", rel="prev") and, when counted, X-Total-Count.
"""

import json
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from urllib.parse import parse_qsl, urlencode

from datasette import hookimpl
from datasette.utils import derive_named_parameters
from datasette.utils.asgi import Request

AMOUNTS = {"min_value"}
WHOLE_NUMBERS = {"days", "months", "min_insiders", "window_days", "_next"}
AMOUNT = re.compile(r"\$?\s*(?P<number>\d[\d,]*(?:\.\d+)?|\.\d+)\s*(?P<unit>[kmb])?", re.IGNORECASE)
UNITS = {None: 1, "k": 1_000, "m": 1_000_000, "b": 1_000_000_000}
SCREEN_PATH = re.compile(r"^/(?P<database>[^/]+)/(?P<query>[^/.]+)(?P<extension>\.\w+)?$")
# The tail of a paged screen's SQL; its ORDER BY goes too when counting, unless it holds parentheses.
PAGED = re.compile(r"(\s+order\s+by\s+[^()]*?)?\s+limit\s+(?P<size>\d+)\s+offset\s+:_page_offset\s*$",
                   re.IGNORECASE | re.DOTALL)
COUNT_TIME_LIMIT_MS = 500


def amount(text: str) -> str | None:
    """The plain number an amount spells ("$25,000", "25k", "1.5m"), or None."""
    match = AMOUNT.fullmatch(text.strip())
    if not match or not re.fullmatch(r"\d{1,3}(,\d{3})*(\.\d+)?|\d+(\.\d+)?|\.\d+", match["number"]):
        return None
    try:
        value = Decimal(match["number"].replace(",", "")) * UNITS[match["unit"] and match["unit"].lower()]
    except InvalidOperation:
        return None
    return format(value.normalize(), "f")


def whole_number(text: str) -> str | None:
    """The whole number written ("730", "1,095"), or None."""
    cleaned = text.strip()
    if re.fullmatch(r"\d{1,3}(,\d{3})+|\d+", cleaned):
        return str(int(cleaned.replace(",", "")))
    return None


def read_parameters(args: list[tuple[str, str]]) -> tuple[list[tuple[str, str]], str | None]:
    """(the arguments with every numeric one plain, the first problem or None)."""
    plain = []
    for name, value in args:
        if value.strip() and (name in AMOUNTS or name in WHOLE_NUMBERS):
            read = amount(value) if name in AMOUNTS else whole_number(value)
            if read is None:
                forms = "25000, 25,000, $25,000, 25k or 1.5m" if name in AMOUNTS else "a whole number such as 30"
                return args, f"{name}={value!r} is not a number this screen can read: write it as {forms}."
            value = read
        plain.append((name, value))
    return plain, None


@dataclass
class Page:
    """One page of a paged screen: where it starts, how many rows a page holds, how many rows the
    screen has in all (None when they could not be counted in time), and the page's address."""

    start: int
    size: int
    total: int | None
    path: str
    args: list[tuple[str, str]]

    def url(self, start: int) -> str:
        args = [(name, value) for name, value in self.args if name != "_next"]
        args += [("_next", str(start))] if start else []
        return self.path + (f"?{urlencode(args)}" if args else "")

    @property
    def next_url(self) -> str | None:
        follows = self.total is None or self.start + self.size < self.total
        return self.url(self.start + self.size) if follows else None

    @property
    def previous_url(self) -> str | None:
        return self.url(max(0, self.start - self.size)) if self.start else None


@hookimpl
def register_magic_parameters():
    return [("page", page_parameter)]


def page_parameter(name: str, request) -> int:
    """:_page_offset, the row a screen's page starts from (the wrapper has checked _next)."""
    if name != "offset":
        raise KeyError(name)
    return int(request.args.get("_next") or 0)


@hookimpl
def asgi_wrapper(datasette):
    def wrap(app):
        async def screened(scope, receive, send):
            match = SCREEN_PATH.match(scope["path"]) if scope["type"] == "http" else None
            query = match and await screen(datasette, match["database"], match["query"])
            if query:
                args = parse_qsl(scope.get("query_string", b"").decode("utf-8"), keep_blank_values=True)
                plain, problem = read_parameters(args)
                if problem:
                    await refuse(datasette, send, problem, match["extension"] == ".json")
                    return
                scope = {**scope, "query_string": urlencode(plain).encode("utf-8")}
                if paged := PAGED.search(query["sql"]):
                    page = await count(datasette, match["database"], query["sql"], paged, plain,
                                       Request(scope, receive))
                    scope["form4db_page"] = page
                    send = paged_response(send, page, match["extension"] == ".json")
            await app(scope, receive, send)

        return screened

    return wrap


async def screen(datasette, database: str, query: str) -> dict | None:
    return await datasette.get_canned_query(database, query, None) if database in datasette.databases else None


async def count(datasette, database: str, sql: str, paged: re.Match, args: list, request: Request) -> Page:
    """The page the request asks for, with the screen's rows counted."""
    db = datasette.get_database(database)
    given = dict(args)
    rows = sql[:paged.start()]
    params = {name: given.get(name, "") for name in await derive_named_parameters(db, rows)}
    try:
        total = (await db.execute(f"select count(*) from ({rows})", params,
                                  custom_time_limit=COUNT_TIME_LIMIT_MS)).first()[0]
    except Exception:  # not counted in time (QueryInterrupted), or the screen's own query will say what is wrong
        total = None
    # Absolute, as Datasette writes its own next_url (https where force_https_urls says so).
    return Page(int(given.get("_next") or 0), int(paged["size"]), total,
                datasette.absolute_url(request, request.path), args)


def paged_response(send, page: Page, is_json: bool):
    """send, with the page's Link and X-Total-Count headers, and its counts in a JSON object."""
    links = [f'<{url}>; rel="{rel}"' for rel, url in (("next", page.next_url), ("prev", page.previous_url)) if url]
    extra = [(b"link", ", ".join(links).encode("utf-8"))] if links else []
    if page.total is not None:
        extra.append((b"x-total-count", str(page.total).encode("ascii")))
    held = {}

    async def paged_send(message):
        if message["type"] == "http.response.start":
            message = {**message, "headers": [*message.get("headers", []), *extra]}
            if is_json and message["status"] == 200:
                held["start"], held["body"] = message, b""
                return
        elif message["type"] == "http.response.body" and "start" in held:
            held["body"] += message.get("body", b"")
            if message.get("more_body"):
                return
            body = with_counts(held["body"], page)
            headers = [(name, value) for name, value in held["start"]["headers"] if name.lower() != b"content-length"]
            await send({**held["start"], "headers": [*headers, (b"content-length", str(len(body)).encode())]})
            message = {"type": "http.response.body", "body": body}
        await send(message)

    return paged_send


def with_counts(body: bytes, page: Page) -> bytes:
    data = json.loads(body)
    if not isinstance(data, dict) or "rows" not in data:
        return body  # _shape=array: the headers say it
    data.update(total_rows=page.total, next_url=page.next_url, previous_url=page.previous_url,
                truncated=page.next_url is not None)
    return json.dumps(data, default=str).encode("utf-8")


async def refuse(datasette, send, problem: str, as_json: bool) -> None:
    if as_json:
        body, content_type = json.dumps({"ok": False, "error": problem, "status": 400}), "application/json"
    else:
        await datasette.invoke_startup()  # done already when served; not always under a test client
        body = await datasette.render_template("error.html", {"ok": False, "error": problem, "status": 400,
                                                              "title": "A parameter could not be read"})
        content_type = "text/html; charset=utf-8"
    await send({"type": "http.response.start", "status": 400,
                "headers": [(b"content-type", content_type.encode("ascii"))]})
    await send({"type": "http.response.body", "body": body.encode("utf-8")})


@hookimpl
def extra_template_vars(template, database, request, datasette):
    """For a screen's page: its page of rows, its feed's address (from the first page) and the
    screener holding the same rows, the screen's period resolved to dates."""
    if template != "query.html" or request is None or not (match := SCREEN_PATH.match(request.path)):
        return None

    async def inner():
        query = await screen(datasette, match["database"], match["query"]) or {}
        args = [(name, value) for name, value in parse_qsl(request.query_string, keep_blank_values=True)
                if name != "_next"]
        feed = datasette.urls.path(f"/{match['database']}/{match['query']}.atom") + \
            (f"?{urlencode(args)}" if args else "")
        return {"form4db_page": request.scope.get("form4db_page"), "form4db_feed": feed,
                "form4db_screener": await screener(datasette, match["database"], query)}

    return inner


async def screener(datasette, database: str, query: dict) -> str | None:
    if not query.get("screener"):
        return None
    url = datasette.urls.path(f"/{database}/{query['screener']}")
    if days := query.get("period_days"):
        db = datasette.get_database(database)
        since = (await db.execute("select date(day, ?) from as_of", [f"-{int(days)} days"])).first()[0]
        url += "&" + urlencode({"filing_date__gt": since})
    return url
