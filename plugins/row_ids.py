"""A row's stable id stays its address: the tables that compute it (a filing's rows, owners,
signatures and header entities, the screener's tables, issuer_insiders), keyed by rowid or by
their key's columns, send /form4/<table>/<id> on to the row's page, so links made by id, before
these tables were keyed so or since, keep working.

The footnotes views compute their id and have no index on it: ?id= on them also filters on the
accession number the id begins with, which their tables are keyed by, so it finds the row at once."""

from datasette import hookimpl
from datasette.filters import FilterArguments
from datasette.utils import path_from_row_pks
from datasette.utils.asgi import NotFound, Response

from form4db.schema import ROW_KEYS, WIDE_TABLES

TABLES = "|".join((*ROW_KEYS, *WIDE_TABLES))
# An id is the filing's accession number, "_" and the row's code and position (or, in
# trades_by_filing, its transaction code).
ROW_BY_ID = rf"^/(?P<database>[^/]+)/(?P<table>{TABLES})/(?P<id>(?P<accession>[^/._]+)_[A-Za-z]+\d*)(?P<format>\.json)?$"
# issuer_insiders: issuer CIK, "_" and owner CIK; the table is keyed by the two.
INSIDER_BY_ID = r"^/(?P<database>[^/]+)/issuer_insiders/(?P<issuer>-?\d+)_(?P<owner>-?\d+)(?P<format>\.json)?$"
VIEWS_KEYED_BY_ACCESSION = ("footnotes", "footnote_refs")


@hookimpl
def register_routes():
    return [(ROW_BY_ID, row_by_id), (INSIDER_BY_ID, insider_by_id)]


async def insider_by_id(datasette, request):
    path = f"{request.url_vars['issuer']},{request.url_vars['owner']}"
    return Response.redirect(datasette.urls.row(request.url_vars["database"], "issuer_insiders", path)
                             + (request.url_vars["format"] or ""))


async def row_by_id(datasette, request):
    database, table = request.url_vars["database"], request.url_vars["table"]
    db = datasette.get_database(database)
    keys = await db.primary_keys(table) or ["rowid"]
    found = await db.execute(f"SELECT {', '.join(keys)} FROM [{table}] WHERE accession_number = ? AND id = ?",
                             [request.url_vars["accession"], request.url_vars["id"]])
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
