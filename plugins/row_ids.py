"""A row's stable id stays its address: the tables keyed by rowid (a filing's rows, owners,
signatures and header entities, the screener's tables) send /form4/<table>/<id> on to the row's
page, so links made by id, before these tables were keyed by rowid or since, keep working."""

from datasette import hookimpl
from datasette.utils.asgi import NotFound, Response

from form4db.schema import ROW_KEYS, WIDE_TABLES

TABLES = "|".join((*ROW_KEYS, *WIDE_TABLES))
# An id is the filing's accession number, "_" and the row's code and position (or, in
# trades_by_filing, its transaction code).
ROW_BY_ID = rf"^/(?P<database>[^/]+)/(?P<table>{TABLES})/(?P<id>(?P<accession>[^/._]+)_[A-Za-z]+\d*)(?P<format>\.json)?$"


@hookimpl
def register_routes():
    return [(ROW_BY_ID, row_by_id)]


async def row_by_id(datasette, request):
    database, table = request.url_vars["database"], request.url_vars["table"]
    db = datasette.get_database(database)
    found = await db.execute(f"SELECT rowid FROM [{table}] WHERE accession_number = ? AND id = ?",
                             [request.url_vars["accession"], request.url_vars["id"]])
    row = found.first()
    if row is None:
        raise NotFound(f"No {table} row has the id {request.url_vars['id']}")
    return Response.redirect(datasette.urls.row(database, table, row[0]) + (request.url_vars["format"] or ""))
