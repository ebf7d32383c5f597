"""The home page and the database page, rendered once while every database is immutable.

They never change then, and rendering them takes Datasette some two hundred trips to its SQL
threads (a table and permission check each), every one queued behind the other requests'
queries: under load they were the slowest pages of the site by far.
"""

from datasette import hookimpl

STATIC_PATHS = {"/", "/form4", "/.json", "/form4.json"}


@hookimpl
def asgi_wrapper(datasette):
    def wrap(app):
        rendered = {}  # path -> the response's ASGI messages

        async def serve(scope, receive, send):
            if not is_static(scope, datasette):
                await app(scope, receive, send)
                return
            path = scope["path"]
            if path not in rendered:
                messages = []

                async def keep(message):
                    messages.append(message)

                await app(scope, receive, keep)
                start = messages[0]
                if start["status"] == 200 and not any(name.lower() == b"set-cookie" for name, _ in start["headers"]):
                    rendered[path] = messages
                for message in messages:
                    await send(message)
                return
            for message in rendered[path]:
                await send(message)

        return serve

    return wrap


def is_static(scope, datasette) -> bool:
    """A plain GET of one of the pages, while every database served is immutable (Datasette's own
    _internal one aside: it holds no data of ours)."""
    return (scope["type"] == "http" and scope["method"] == "GET" and scope["path"] in STATIC_PATHS
            and not scope.get("query_string")
            and not any(db.is_mutable for name, db in datasette.databases.items() if name != "_internal"))
