"""Links and labels for the site: filings link to EDGAR; codes and parse qualities show their
meaning; CIKs, names and tickers link to their pages; dollars, prices, shares and percentages read
as people write them (HTML only: JSON and CSV keep the raw values); and the SQL function the
queries may use for business days."""

import re
from urllib.parse import quote, urlencode

from datasette import hookimpl
from datasette.utils import derive_named_parameters
from markupsafe import Markup, escape

from form4db.derive import business_days
from form4db.display import coded, names, number, percent, price, signed, usd
from form4db.model import PARSE_QUALITIES
from form4db.schema import CODE_MEANINGS

ACCESSION = re.compile(r"\d{10}-\d{2}-\d{6}")
EDGAR_FILING = "https://www.sec.gov/Archives/edgar/data/{}/{}/{}-index.htm"


@hookimpl
def render_cell(value, column, row, database, datasette):
    if value is None:
        return None
    if column in ("accession_number", "amendment_accession", "original_accession", "last_accession") \
            and isinstance(value, str) \
            and ACCESSION.fullmatch(value):
        return filing_link(value, row, database, datasette)
    if column == "transaction_code" and isinstance(value, str) and value in CODE_MEANINGS:
        return coded(value) + Markup(" <small>{}</small>").format(CODE_MEANINGS[value].split(" of ")[0])
    if column == "filing_rowid" and isinstance(value, int):  # footnotes filed under their filing's rowid
        return Markup('<a href="{}">{}</a>').format(datasette.urls.table(database, "filings") + f"?rowid={value}", value)
    if column == "parse_quality" and value in PARSE_QUALITIES:
        return Markup('<abbr title="{}">{}</abbr>'.format(escape(PARSE_QUALITIES[value]), escape(value)))
    value = plain(value)
    if column in PAGE_OF_CIK and isinstance(value, int):
        own = '<a href="{}">{}</a>'.format(datasette.urls.path(f"/{PAGE_OF_CIK[column]}/{value}"), value)
        if value < 0:  # a surrogate key: EDGAR does not know it
            return Markup(own + ' <small title="known only by name: the document gives no CIK">surrogate</small>')
        return Markup(own)
    return readable(value, column, row, datasette)


def plain(value):
    """A cell's own value, where Datasette labelled a foreign key as {"value": …, "label": …}."""
    return value["value"] if isinstance(value, dict) and "value" in value else value


PAGE_OF_CIK = {"issuer_cik": "issuer", "owner_cik": "insider", "insider_cik": "insider"}
NAME_CIK = {"issuer_name": ("issuer_cik", "issuer"), "insider_name": ("insider_cik", "insider"),
            "owner_name": ("owner_cik", "insider"), "seller_name": ("filer_cik", "insider")}
DOLLARS = re.compile(r"(^|_)usd$|^total_usd$|^aggregate_market_value$|^gross_proceeds$")
PRICES = {"price", "price_per_share", "average_price", "price_low", "price_high", "conversion_or_exercise_price"}
SHARES = {"shares", "owned_after", "shares_owned_after", "exercised", "sold", "withheld", "kept",
          "underlying_shares", "shares_owned_following", "units_to_sell", "units_outstanding", "shares_executed",
          "amount_acquired", "amount_sold"}


def readable(value, column: str, row, datasette):
    """Names and tickers as links to their pages, and numbers as people read them (HTML only)."""
    keys = row.keys() if hasattr(row, "keys") else ()
    if column == "ticker" and isinstance(value, str) and value and has_issuer(row, keys):
        return Markup('<a href="{}">{}</a>'.format(datasette.urls.path(f"/ticker/{quote(value)}"), escape(value)))
    if column in NAME_CIK and isinstance(value, str) and NAME_CIK[column][0] in keys:
        key, page = NAME_CIK[column]
        cik = plain(row[key])
        if isinstance(cik, int):
            return Markup('<a href="{}">{}</a>'.format(datasette.urls.path(f"/{page}/{cik}"), escape(value)))
    if column in ("insider_names", "insiders") and isinstance(value, str):
        return Markup("; ".join('<a href="{}">{}</a>'.format(
            datasette.urls.path("/search?" + urlencode({"q": name})), escape(name)) for name in names(value)))
    if not isinstance(value, (int, float)) or isinstance(value, bool):
        return None
    if DOLLARS.search(column):
        return usd(value)
    if column in PRICES:
        return price(value)
    if column == "shares" and "acquired_disposed" in keys:
        return signed(value, row["acquired_disposed"])
    if column in SHARES:
        return number(value)
    if column == "executed_pct":  # a share of the units noticed, not a change
        return f"{value:,.1f}%"
    if column == "owned_change_pct":
        return percent(value)
    return None


def has_issuer(row, keys) -> bool:
    """Whether a row's ticker has a company page: not when the row says its issuer has no CIK (a
    hand transcription, such as the seed's)."""
    return "issuer_cik" not in keys or plain(row["issuer_cik"]) is not None


def filing_link(accession: str, row, database: str, datasette):
    """The filing's index page on EDGAR, under the issuer's CIK (any CIK on a filing resolves)."""

    async def inner():
        keys = row.keys() if hasattr(row, "keys") else ()
        if "issuer_cik" in keys and row["issuer_cik"]:
            cik = plain(row["issuer_cik"])
        else:
            cik = await issuer_cik(datasette.get_database(database), accession)
        own = datasette.urls.path(f"/{database}/filings/{accession}")
        if not cik or cik < 0:
            return Markup('<a href="{}">{}</a>'.format(own, escape(accession)))
        return Markup('<a href="{}">{}</a> <a href="{}" aria-label="filing {} on EDGAR"><small>EDGAR</small></a>'.format(
            own, escape(accession), EDGAR_FILING.format(int(cik), accession.replace("-", ""), accession), escape(accession)))

    return inner


ISSUER_CIKS: dict[tuple[str, str], int | None] = {}  # (database file, accession) -> issuer CIK
ISSUER_CIKS_KEPT = 100_000  # about 10 MB


async def issuer_cik(database, accession: str) -> int | None:
    """The issuer CIK of a filing, remembered: a page of filings would otherwise wait for one query
    per row, each queued behind every other request's queries. Only for an immutable database,
    whose filings never change under the memory."""
    key = (database.path, accession)
    if key in ISSUER_CIKS:
        return ISSUER_CIKS[key]
    found = (await database.execute("select issuer_cik from filings where accession_number = ?", [accession])).first()
    cik = found[0] if found else None
    if not database.is_mutable:
        if len(ISSUER_CIKS) >= ISSUER_CIKS_KEPT:
            ISSUER_CIKS.clear()
        ISSUER_CIKS[key] = cik
    return cik


@hookimpl
def prepare_connection(conn):
    conn.create_function("business_days", 2, business_days, deterministic=True)


@hookimpl
def extra_template_vars(template, datasette):
    if template not in ("index.html", "pages/screens.html"):
        return None

    async def inner():
        database = datasette.get_database("form4")
        found = await database.execute("select key, value from build_info")
        return {
            "form4db_freshness": {key: value for key, value in found.rows},
            "form4db_screens": await screens(datasette, database),
        }

    return inner


SCREEN_FEEDS: dict[tuple[str, str], bool] = {}  # (database file, screen) -> whether it has an Atom feed


async def screens(datasette, database) -> list[dict]:
    """Every screen: name, title, description, whether it is one of OpenInsider's presets and
    whether it has an Atom feed (its columns make entries: plugins/atom_feeds.py)."""
    listed = []
    for name, query in (await datasette.get_canned_queries(database.name, None)).items():
        key = (database.path, name)
        if key not in SCREEN_FEEDS:
            can_render_atom = datasette.renderers["atom"][1]
            SCREEN_FEEDS[key] = bool(can_render_atom(columns=await screen_columns(database, query["sql"])))
        listed.append({"name": name, "title": query.get("title") or name, "description": query.get("description"),
                       "preset": bool(query.get("preset")), "fragment": query.get("fragment"),
                       "feed": SCREEN_FEEDS[key]})
    return listed


async def screen_columns(database, sql: str) -> list[str]:
    """The columns a screen returns, from a statement that reads no row."""
    names = await derive_named_parameters(database, sql)
    params = {name: 0 if name == "_page_offset" else "" for name in names}
    return (await database.execute(f"select * from ({sql}) limit 0", params)).columns
