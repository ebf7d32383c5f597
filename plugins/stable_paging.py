"""Sorted table pages and CSV exports that page without repeating or skipping a row.

Datasette 0.65 orders the first page of a sorted table by the sort column alone and every later
page (and every later chunk of a streamed CSV) by the sort column and then the primary key, so
rows that tie on the sort column can come back twice or not at all — and the screener sorts by
dates, where ties are the rule. This plugin hands the table view's first page a ``_next`` that
every row passes (after the highest possible value when sorting descending, before NULL when
ascending), so the first page is ordered like the others: the primary key breaks ties. It wraps
TableView.data, the one place both pages and CSV streams fetch rows; tests/test_trades.py checks
that the first page's SQL breaks ties, so a Datasette that changes this is noticed.
"""

from datasette.utils import tilde_decode
from datasette.views.table import TableView

# Every value sorts before it: numbers before text, and text by its UTF-8 bytes, of which U+10FFFF's are the highest.
ABOVE_EVERY_VALUE = "\U0010ffff"
BELOW_EVERY_VALUE = "$null"  # Datasette's token for NULL, which sorts first ascending
BELOW_EVERY_TEXT_KEY = ""
BELOW_EVERY_ROWID = str(-2**63)  # the smallest integer, which a table keyed by an integer pages after


async def first_page_token(datasette, request) -> str | None:
    """A _next selecting every row, for the first page of a sorted table of one primary key or
    keyed by rowid. (An INTEGER primary key is the rowid: text sorts after every integer.)"""
    try:
        db = datasette.get_database(route=tilde_decode(request.url_vars["database"]))
    except KeyError:
        return None
    table = tilde_decode(request.url_vars["table"])
    if not await db.table_exists(table):
        return None  # a view pages by offset
    primary_keys = [column for column in await db.table_column_details(table) if column.is_pk]
    if len(primary_keys) > 1:
        return None
    keyed_by_integer = not primary_keys or primary_keys[0].type.upper() == "INTEGER"  # the rowid, by name or not
    below_every_key = BELOW_EVERY_ROWID if keyed_by_integer else BELOW_EVERY_TEXT_KEY
    defaults = datasette.table_metadata(db.name, table)
    sort, sort_desc = request.args.get("_sort"), request.args.get("_sort_desc")
    if not sort and not sort_desc:
        sort, sort_desc = defaults.get("sort"), defaults.get("sort_desc")
    if sort_desc:
        return f"{ABOVE_EVERY_VALUE},{below_every_key}"
    return f"{BELOW_EVERY_VALUE},{below_every_key}" if sort else None


async def data(self, request, default_labels=False, _next=None, _size=None):
    if _next is None and not request.args.get("_next"):
        _next = await first_page_token(self.ds, request)
    return await data.unpatched(self, request, default_labels, _next, _size)


if not hasattr(TableView.data, "unpatched"):  # the plugin module may be imported more than once
    data.unpatched = TableView.data
    TableView.data = data
