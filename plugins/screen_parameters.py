"""Numeric parameters of the screens, read as people write them, or refused with a reason.

A dollar amount may be written 25000, 25,000, $25,000, 25k or 1.5m; a count of days or insiders
as a whole number (1,095 too). The screen's SQL gets the plain number. A value that reads as
neither gets a 400 naming the parameter and the forms it takes — as JSON for .json, as a page
otherwise — instead of being misread in silence (SQLite's CAST turns "1,000,000" into 1 and
"abc" into 0).
"""

import json
import re
from decimal import Decimal, InvalidOperation
from urllib.parse import parse_qsl, urlencode

from datasette import hookimpl

AMOUNTS = {"min_value"}
WHOLE_NUMBERS = {"days", "min_insiders", "window_days"}
AMOUNT = re.compile(r"\$?\s*(?P<number>\d[\d,]*(?:\.\d+)?|\.\d+)\s*(?P<unit>[kmb])?", re.IGNORECASE)
UNITS = {None: 1, "k": 1_000, "m": 1_000_000, "b": 1_000_000_000}
SCREEN_PATH = re.compile(r"^/(?P<database>[^/]+)/(?P<query>[^/.]+)(?P<extension>\.\w+)?$")


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


@hookimpl
def asgi_wrapper(datasette):
    def wrap(app):
        async def screened(scope, receive, send):
            if scope["type"] == "http" and (match := SCREEN_PATH.match(scope["path"])) and \
                    await is_screen(datasette, match["database"], match["query"]):
                args = parse_qsl(scope.get("query_string", b"").decode("utf-8"), keep_blank_values=True)
                plain, problem = read_parameters(args)
                if problem:
                    await refuse(datasette, send, problem, match["extension"] == ".json")
                    return
                scope = {**scope, "query_string": urlencode(plain).encode("utf-8")}
            await app(scope, receive, send)

        return screened

    return wrap


async def is_screen(datasette, database: str, query: str) -> bool:
    return database in datasette.databases and await datasette.get_canned_query(database, query, None) is not None


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
