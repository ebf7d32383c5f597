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

TABLES = (*ROW_KEYS, *WIDE_TABLES, *KEYED_BY_COLUMNS)
ROW_BY_ID = (rf"^/(?P<database>[^/]+)/(?P<table>{'|'.join(TABLES)})/(?P<id>[^/._]+_[^/.]+)"
             r"(?P<format>\.json)?$")
VIEWS_KEYED_BY_ACCESSION = ("footnotes", "footnote_refs")


@hookimpl
def register_routes():
    return [(ROW_BY_ID, row_by_id)]


def columns_of_id(table: str, row_id: str) -> dict[str, str]:
    """The columns an id gives, which find its row through the table's key or an index: a
    filing's rows' id begins with the accession number; a derived table's is its key's values
    joined by "_" (monthly_activity's month as YYYY-MM)."""
    if table not in KEYED_BY_COLUMNS:
        return {"accession_number": row_id.split("_", 1)[0]}
    columns = KEYED_BY_COLUMNS[table]
    values = dict(zip(columns, row_id.split("_", len(columns) - 1)))
    if table == "monthly_activity":
        values["month"] += "-01"
    return values


async def row_by_id(datasette, request):
    database, table, row_id = request.url_vars["database"], request.url_vars["table"], request.url_vars["id"]
    db = datasette.get_database(database)
    keys = await db.primary_keys(table) or ["rowid"]
    given = columns_of_id(table, row_id)
    found = await db.execute(f"SELECT {', '.join(keys)} FROM [{table}] "
                             f"WHERE {' AND '.join(f'[{column}] = ?' for column in given)} AND id = ?",
                             [*given.values(), row_id])
    row = found.first()
    if row is None:
        raise NotFound(f"No {table} row has the id {row_id}")
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
