"""Show the <mark> highlights of full-text search snippets, and escape everything else."""

from form4db.display import highlight

try:
    from datasette import hookimpl
except ImportError:  # importable without Datasette for unit tests
    hookimpl = lambda f: f


@hookimpl
def render_cell(value, column):
    if column == "snippet" and isinstance(value, str):
        return highlight(value)
    return None
