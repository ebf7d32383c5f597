"""Responses remembered while every database served is immutable.

An immutable database gives the same answer to the same request until the process restarts on
a new file, so a page is worked out once and then served from memory: the home and database
pages (each some two hundred trips to the SQL engine, a table and permission check each), the
screens with their default parameters (aggregates over every transaction: 0.1-0.4 s each at
1,000,000 filings) and any other page asked for again. What a CDN in front of the site would
do, inside each process, so one machine serves the popular pages at once.

Only plain GETs without cookies are kept, only whole 200 responses that set no cookie and are
at most ENTRY_BYTES long (a CSV export or the database download streams past unkept), and at
most CACHE_BYTES in all, the least recently used going first. `X-Cache: hit` or `miss` says
which happened.
"""

from collections import OrderedDict

from datasette import hookimpl

ENTRY_BYTES = 1 << 20
CACHE_BYTES = 64 << 20


class ResponseCache:
    """Responses by request (scheme, host, path and query string), as their ASGI messages, least
    recent first."""

    def __init__(self, limit: int = CACHE_BYTES):
        self.entries: OrderedDict[tuple, tuple[list, int]] = OrderedDict()
        self.limit = limit
        self.size = 0

    def get(self, key: tuple) -> list | None:
        if key not in self.entries:
            return None
        self.entries.move_to_end(key)
        return self.entries[key][0]

    def put(self, key: tuple, messages: list, size: int) -> None:
        if key in self.entries:  # worked out twice at once
            self.size -= self.entries.pop(key)[1]
        self.entries[key] = (messages, size)
        self.size += size
        while self.size > self.limit:
            _, (_, dropped) = self.entries.popitem(last=False)
            self.size -= dropped


@hookimpl
def asgi_wrapper(datasette):
    def wrap(app):
        cache = ResponseCache()

        async def serve(scope, receive, send):
            if not cacheable(scope, datasette):
                await app(scope, receive, send)
                return
            # JSON pages hold absolute URLs (next_url), made from the scheme and host asked for.
            host = next((value for name, value in scope.get("headers", []) if name == b"host"), b"")
            key = (scope.get("scheme"), host, scope["path"], scope.get("query_string", b""))
            if (kept := cache.get(key)) is not None:
                for message in marked(kept, b"hit"):
                    await send(message)
                return
            messages, size = [], 0

            async def send_and_keep(message):
                nonlocal messages, size
                if messages is not None:
                    messages.append(message)
                    size += len(message.get("body", b""))
                    if size > ENTRY_BYTES or not whole_success(messages[0]):
                        messages = None
                for forwarded in marked([message], b"miss"):
                    await send(forwarded)

            await app(scope, receive, send_and_keep)
            if messages and not messages[-1].get("more_body", False):
                cache.put(key, messages, size)

        return serve

    return wrap


def cacheable(scope, datasette) -> bool:
    """A plain GET without cookies, while every database served is immutable (Datasette's own
    _internal one aside: it holds no data of ours). ?_trace= shows one request's own queries."""
    if scope["type"] != "http" or scope["method"] != "GET" or b"_trace=" in scope.get("query_string", b""):
        return False
    if any(name == b"cookie" for name, _ in scope.get("headers", [])):
        return False
    return not any(db.is_mutable for name, db in datasette.databases.items() if name != "_internal")


def whole_success(start: dict) -> bool:
    return start["status"] == 200 and not any(name.lower() == b"set-cookie" for name, _ in start["headers"])


def marked(messages: list, outcome: bytes) -> list:
    """The messages, the response's start saying whether it came from the cache."""
    return [{**message, "headers": [*message["headers"], (b"x-cache", outcome)]}
            if message["type"] == "http.response.start" else message for message in messages]
