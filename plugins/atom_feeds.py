"""Atom 1.0 feeds (RFC 4287) of the screens, at the screen's address with .atom.

A screen that lists trades — rows of trades or trades_by_filing, with their id, accession_number,
transaction_code and insider_name — gets one entry per row, written here: the trade in words as
the title ("COOK TIMOTHY D (CEO, Director) sold 511,187 AAPL at $146.57 — $74,922,541"), every
insider of the filing as an author, the acceptance time as updated, a summary with the holding
after, and a link to the filing on EDGAR (or to its page here when it has no accession number).
Any other screen gets entries from its own atom_id, atom_title and atom_updated columns, and
atom_summary, atom_author_name and atom_link where it has them.

Entry ids are tag: IRIs (RFC 4151) made of the row's stable id, so a reader that saw a trade
before a rebuild knows it after. tests/test_feeds.py validates every feed against the RELAX NG
schema of RFC 4287.
"""

import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from decimal import Decimal

from datasette import hookimpl
from datasette.utils.asgi import Response
from lxml import etree

ATOM = "http://www.w3.org/2005/Atom"
TAG = "tag:form4db.github.io,2026:"
TRADE_COLUMNS = {"id", "accession_number", "transaction_code", "insider_name"}
OWN_COLUMNS = {"atom_id", "atom_title", "atom_updated"}
ACCESSION = re.compile(r"\d{10}-\d{2}-\d{6}")
NOT_IN_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")  # control characters a filing may hold
EDGAR_FILING = "https://www.sec.gov/Archives/edgar/data/{}/{}/{}-index.htm"
VERBS = {"P": "bought", "S": "sold", "A": "was granted", "D": "gave back to the issuer", "F": "paid tax with",
         "G": "gave", "M": "exercised", "X": "exercised", "O": "exercised", "C": "converted", "W": "inherited",
         "J": "reported (J, other)"}


@hookimpl
def register_output_renderer():
    return {"extension": "atom", "render": render_atom, "can_render": can_render_atom}


def can_render_atom(columns) -> bool:
    return TRADE_COLUMNS <= set(columns) or OWN_COLUMNS <= set(columns)


async def render_atom(datasette, request, database, table, query_name, columns, rows):
    page = datasette.absolute_url(request, request.path.removesuffix(".atom")) + \
        (f"?{request.query_string}" if request.query_string else "")
    entries = [trade_entry(row, datasette, request, database) if TRADE_COLUMNS <= set(columns) else own_entry(row)
               for row in rows]
    updated = max((entry.updated for entry in entries), default=None) or await newest_day(datasette, database)
    query = query_name and await datasette.get_canned_query(database, query_name, request.actor)
    title = (query or {}).get("title") or query_name or table
    feed = element("feed", None, element("id", request.url), element("title", title),
                   element("updated", updated.isoformat()),
                   element("author", None, element("name", "form4db"),
                           element("uri", datasette.metadata("about_url") or page)),
                   element("link", None, href=request.url, rel="self", type="application/atom+xml"),
                   element("link", None, href=page, rel="alternate", type="text/html"),
                   element("generator", "form4db on Datasette", uri="https://github.com/form4db/form4db"),
                   *(entry.xml() for entry in entries))
    body = etree.tostring(feed, xml_declaration=True, encoding="utf-8", pretty_print=True)
    return Response(body, content_type="application/atom+xml; charset=utf-8")


def element(name: str, text, *children, **attributes):
    node = etree.Element(f"{{{ATOM}}}{name}", nsmap={None: ATOM}, **attributes)
    if text is not None:
        node.text = NOT_IN_XML.sub("", str(text))
    node.extend(children)
    return node


@dataclass
class Entry:
    id: str
    title: str
    updated: datetime
    summary: str | None = None
    authors: list[str] = field(default_factory=list)
    link: str | None = None

    def xml(self):
        return element("entry", None, element("id", self.id), element("title", self.title),
                       element("updated", self.updated.isoformat()),
                       *(element("author", None, element("name", name)) for name in self.authors),
                       *([element("summary", self.summary)] if self.summary else []),
                       *([element("link", None, href=self.link, rel="alternate")] if self.link else []))


def trade_entry(row, datasette, request, database) -> Entry:
    table = "trades_by_filing" if "average_price" in row.keys() else "trades"
    accession = row["accession_number"]
    if ACCESSION.fullmatch(accession) and (value(row, "issuer_cik") or 0) > 0:
        link = EDGAR_FILING.format(row["issuer_cik"], accession.replace("-", ""), accession)
    else:
        link = datasette.absolute_url(request, datasette.urls.row(database, "filings", accession))
    authors = (value(row, "insider_names") or row["insider_name"] or "").split("; ")
    return Entry(TAG + f"{table}/{row['id']}", trade_title(row), trade_time(row), trade_summary(row),
                 [name for name in authors if name], link)


def own_entry(row) -> Entry:
    keys = row.keys()
    return Entry(row["atom_id"], row["atom_title"], parse_time(row["atom_updated"]),
                 row["atom_summary"] if "atom_summary" in keys else None,
                 [row["atom_author_name"]] if "atom_author_name" in keys and row["atom_author_name"] else [],
                 row["atom_link"] if "atom_link" in keys else None)


def value(row, column):
    return row[column] if column in row.keys() else None


def trade_title(row) -> str:
    """"NAME (roles) bought 1,000 TICKER at $250.00 — $250,000"."""
    who = row["insider_name"] or "An insider"
    roles = value(row, "roles") or value(row, "title")
    what = value(row, "ticker") or value(row, "issuer_name") or "shares"
    title = f"{who}{f' ({roles})' if roles else ''} {verb(row['transaction_code'])}"
    if (shares := value(row, "shares")) is not None:
        title += f" {number(shares)}"
    title += f" {what}"
    if (price := price_of(row)) is not None:
        title += f" at ${number(price, 2)}"
    if (worth := value(row, "value_usd")) is not None:
        title += f" — ${number(worth, 0)}"
    return title


def trade_summary(row) -> str:
    issuer = value(row, "issuer_name") or "the issuer"
    ticker = value(row, "ticker")
    first, last = value(row, "first_trade_date") or value(row, "trade_date"), value(row, "last_trade_date")
    when = f"on {first}" if not last or last == first else f"from {first} to {last}"
    if first is None:
        when = f"on {last}" if last else "on a date not given"
    parts = [f"{value(row, 'insider_names') or row['insider_name']} {verb(row['transaction_code'])}",
             f"{number(value(row, 'shares'))} shares" if value(row, "shares") is not None else "shares",
             f"of {issuer}{f' ({ticker})' if ticker else ''} {when}"]
    if (price := price_of(row)) is not None:
        several = "M" in (value(row, "filing_flags") or "") and "average_price" in row.keys()
        parts.append(f"at {'an average of ' if several else ''}${number(price, 2)}")
    summary = " ".join(parts) + "."
    if (worth := value(row, "value_usd")) is not None:
        summary += f" Value ${number(worth, 2)}."
    if (after := value(row, "owned_after")) is not None:
        change = value(row, "owned_change_pct")
        summary += f" Holding after: {number(after)} shares" + (f" ({change:+.1f}%)." if change is not None else ".")
    form, filed = value(row, "form_type"), value(row, "filing_date")
    said = " ".join(part for part in (f"Form {form}" if form else "", f"filed {filed}," if filed else "",
                                       f"accession {row['accession_number']}.") if part)
    return f"{summary} {said[0].upper()}{said[1:]}"


def verb(code: str | None) -> str:
    return VERBS.get(code or "", f"reported ({code})")


def price_of(row):
    return value(row, "average_price") if "average_price" in row.keys() else value(row, "price")


def number(amount, decimals: int | None = None) -> str:
    """1,000 for whole numbers, 1,000.5 for fractions (as filed), or rounded to decimals."""
    if decimals is not None:
        return f"{Decimal(str(amount)):,.{decimals}f}"
    exact = Decimal(str(amount))
    return f"{exact:,.0f}" if exact == exact.to_integral_value() else f"{exact.normalize():,f}"


def trade_time(row) -> datetime:
    for column in ("acceptance_datetime", "filing_date", "last_trade_date", "trade_date"):
        try:
            if stated := value(row, column):
                return parse_time(stated)
        except ValueError:  # not a date
            continue
    return parse_time("1970-01-01")


def parse_time(text: str) -> datetime:
    """A date or date-time as filed, with UTC where it gives no offset."""
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


async def newest_day(datasette, database: str) -> datetime:
    """A feed with no entries is as new as the newest filing."""
    day = (await datasette.get_database(database).execute("select day from as_of")).first()[0]
    return parse_time(day or "1970-01-01")
