"""Security headers on every response: no content sniffing, no framing by other sites, and no
full URLs (with their queries) leaked to other sites in Referer."""

from datasette import hookimpl

HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"SAMEORIGIN"),
    (b"referrer-policy", b"strict-origin-when-cross-origin"),
]


@hookimpl
def asgi_wrapper():
    def wrap(app):
        async def with_headers(scope, receive, send):
            async def send_with_headers(message):
                if message["type"] == "http.response.start":
                    present = {name.lower() for name, _ in message.get("headers", [])}
                    extra = [header for header in HEADERS if header[0] not in present]
                    message = {**message, "headers": [*message.get("headers", []), *extra]}
                await send(message)

            await app(scope, receive, send_with_headers if scope["type"] == "http" else send)

        return with_headers

    return wrap
