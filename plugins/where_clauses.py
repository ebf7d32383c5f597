"""A table page's ``_where`` clauses each in parentheses, as people who write one mean it.

Datasette 0.65 joins a page's filters and its ``_where`` clauses with ``and`` as written, so
``?transaction_code=S&_where=is_ceo = 1 or is_cfo = 1`` reads as ``(code = 'S' and is_ceo = 1) or
is_cfo = 1`` and lists every CFO's trade of any code. This wrapper puts each clause in parentheses
in the query string before Datasette reads it, so the page's links carry the clause as it ran.
"""

from urllib.parse import parse_qsl, urlencode

from datasette import hookimpl


def enclosed(clause: str) -> bool:
    """Whether the clause is one parenthesised whole: '(a or b)', not '(a) or (b)'."""
    if not (clause.startswith("(") and clause.endswith(")")):
        return False
    depth = 0
    for position, character in enumerate(clause):
        depth += {"(": 1, ")": -1}.get(character, 0)
        if depth == 0 and position < len(clause) - 1:
            return False
    return True


def with_enclosed_where(query_string: bytes) -> bytes:
    pairs = parse_qsl(query_string.decode("latin-1"), keep_blank_values=True)
    if not any(name == "_where" and not enclosed(value.strip()) for name, value in pairs):
        return query_string
    pairs = [(name, value if name != "_where" or enclosed(value.strip()) else f"({value})")
             for name, value in pairs]
    return urlencode(pairs).encode("latin-1")


@hookimpl
def asgi_wrapper():
    def wrap(app):
        async def enclosing_where(scope, receive, send):
            if scope["type"] == "http" and b"_where=" in scope.get("query_string", b""):
                scope = {**scope, "query_string": with_enclosed_where(scope["query_string"])}
            await app(scope, receive, send)

        return enclosing_where

    return wrap
