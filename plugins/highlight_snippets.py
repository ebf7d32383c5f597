"""Show the <mark> highlights of full-text search snippets, and escape everything else."""

from markupsafe import Markup, escape

OPEN, CLOSE = "<mark>", "</mark>"


def highlight(text: str) -> Markup:
    """Escape the text, then turn the escaped <mark> pairs that snippet() wrote back into tags."""
    escaped = str(escape(text))
    return Markup(escaped.replace(str(escape(OPEN)), OPEN).replace(str(escape(CLOSE)), CLOSE))


try:
    from datasette import hookimpl
except ImportError:  # importable without Datasette for unit tests
    hookimpl = lambda f: f


@hookimpl
def render_cell(value, column):
    if column == "snippet" and isinstance(value, str):
        return highlight(value)
    return None
