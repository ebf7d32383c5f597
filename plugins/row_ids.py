"""A row's stable id stays its address: the tables that compute it (a filing's rows, owners,
signatures and header entities, the screener's tables, the derived tables keyed by their id's
columns), keyed by rowid or by their key's columns, send /form4/<table>/<id> on to the row's page,
so links made by id, before these tables were keyed so or since, keep working.

The footnotes views compute their id and have no index on it: ?id= on them also filters on the
accession number the id begins with, which their tables are keyed by, so it finds the row at once."""

from datasette import hookimpl
from datasette.filters import FilterArguments
from datasette.utils import path_from_row_pks
from datasette.utils.asgi import NotFound, Response

from form4db.schema import KEYED_BY_COLUMNS, ROW_KEYS, WIDE_TABLES

# An id begins with the first column of the table's key, or the filing's accession number, and
# "_"; the column finds the row through the key or an index, the id among its rows.
FIRST_OF_ID = {**{table: "accession_number" for table in (*ROW_KEYS, *WIDE_TABLES)},
               **{table: key[0] for table, key in KEYED_BY_COLUMNS.items()}}
ROW_BY_ID = (rf"^/(?P<database>[^/]+)/(?P<table>{'|'.join(FIRST_OF_ID)})/(?P<id>(?P<first>[^/._]+)_[^/.]+)"
             r"(?P<format>\.json)?$")
VIEWS_KEYED_BY_ACCESSION = ("footnotes", "footnote_refs")


@hookimpl
def register_routes():
    return [(ROW_BY_ID, row_by_id)]


async def row_by_id(datasette, request):
    database, table = request.url_vars["database"], request.url_vars["table"]
    db = datasette.get_database(database)
    keys = await db.primary_keys(table) or ["rowid"]
    found = await db.execute(f"SELECT {', '.join(keys)} FROM [{table}] WHERE [{FIRST_OF_ID[table]}] = ? AND id = ?",
                             [request.url_vars["first"], request.url_vars["id"]])
    row = found.first()
    if row is None:
        raise NotFound(f"No {table} row has the id {request.url_vars['id']}")
    path = path_from_row_pks(row, keys, use_rowid=False)
    return Response.redirect(datasette.urls.row(database, table, path) + (request.url_vars["format"] or ""))


@hookimpl
def filters_from_request(request, table):
    if table not in VIEWS_KEYED_BY_ACCESSION:
        return None
    accessions = {value.split("_", 1)[0] for value in request.args.getlist("id") + request.args.getlist("id__exact")}
    if len(accessions) != 1:
        return None  # no id asked for, or ids of several filings, which no row has at once
    return FilterArguments(["accession_number = :id_accession"], params={"id_accession": accessions.pop()})
