"""The pages for people: a company at /ticker/{TICKER} and /issuer/{CIK}, an insider at
/insider/{CIK}, and /search?q=. Each is a Datasette custom page (templates/pages/); this plugin
reads what it shows, from the same tables the JSON API serves, and gives it to the template as
``page``. A page that finds nothing answers 404."""

import re
import statistics
from urllib.parse import urlencode

from datasette import hookimpl

from form4db.charts import holding_steps, month_bars
from form4db.display import (coded, heading, hidden_columns, highlight, in_words, number, percent, price, signed,
                             usd)

PAGE_SIZE = 50
CHART_MONTHS = 120  # ten years of monthly bars
HOLDING_POINTS = 400  # the newest trades a holding chart draws, per company
HOLDING_CHARTS = 6  # the companies with the most filings get a chart
# The search ranks each index's newest matches, as the footnote_search query does: ranking tokenizes
# every match's text (the indexes keep no sizes), which on a common word is most of the texts.
RANKED_MATCHES = 5000
EDGAR_COMPANY = "https://www.sec.gov/cgi-bin/browse-edgar?action=getcompany&CIK={}&type=4&owner=include"
PAGES = {"pages/ticker/{ticker}.html", "pages/issuer/{cik}.html", "pages/insider/{cik}.html", "pages/search.html"}


@hookimpl
def prepare_jinja2_environment(env):
    env.filters.update({"usd": usd, "price": price, "number": number, "percent": percent, "signed": signed,
                        "heading": heading, "highlight": highlight, "in_words": in_words,
                        "coded": coded, "hidden_columns": hidden_columns})


@hookimpl
def extra_template_vars(template, request, datasette):
    if template not in PAGES:
        return None

    async def inner():
        db = datasette.get_database("form4")
        path = request.path.rstrip("/")
        if template == "pages/search.html":
            return {"page": await search(datasette, db, request.args.get("q", "").strip())}
        offset = page_offset(request.args.get("page"))
        if template == "pages/insider/{cik}.html":
            return {"page": await insider(datasette, db, as_cik(path), offset)}
        if template == "pages/issuer/{cik}.html":
            return {"page": await issuer(datasette, db, as_cik(path), offset)}
        ticker = path.rsplit("/", 1)[-1].upper()
        cik = await issuer_of_ticker(db, ticker)
        return {"page": cik is not None and await issuer(datasette, db, cik, offset, ticker)}

    return inner


async def issuer_of_ticker(db, ticker: str) -> int | None:
    """The issuer a ticker names: the one that traded under it last, else any filing's that states it
    (a ticker passes from a delisted company to a new one)."""
    found = (await db.execute("select issuer_cik from trades where ticker = ? order by trade_date desc, rowid limit 1",
                              [ticker])).first() or \
        (await db.execute("select issuer_cik from filings where issuer_ticker_clean = ? limit 1", [ticker])).first()
    return found and found[0]


def as_cik(path: str) -> int | None:
    last = path.rsplit("/", 1)[-1]
    return int(last) if re.fullmatch(r"-?\d{1,12}", last) else None


def page_offset(written: str | None) -> int:
    return (int(written) - 1) * PAGE_SIZE if written and written.isdigit() and 0 < int(written) < 100_000 else 0


def paging(total: int, offset: int) -> dict:
    """Which trades a page holds and the pages before and after it."""
    page_number = offset // PAGE_SIZE + 1
    return {"first": offset + 1, "last": min(offset + PAGE_SIZE, total), "total": total,
            "previous": page_number - 1 if page_number > 1 else None,
            "next": page_number + 1 if offset + PAGE_SIZE < total else None}


async def rows(db, sql: str, params) -> list[dict]:
    return [dict(row) for row in (await db.execute(sql, params)).rows]


# Form 144 notices of proposed sale with what their Form 4 sales carried out, newest first (not those a 144/A replaced).
NOTICES = """select p.id, p.accession_number, p.notice_date, p.issuer_cik, n.issuer_name, n.seller_name, n.filer_cik,
        n.relationships, p.security_title, p.units_to_sell, p.aggregate_market_value, p.approx_sale_date, n.expires_on,
        p.status, p.shares_executed, p.first_executed_on, p.last_executed_on, n.plan_adoption_dates
    from proposed_sales p join sale_notices n on n.accession_number = p.accession_number
    where {} and p.status != 'amended' order by p.notice_date desc, p.id limit 20"""


async def issuer(datasette, db, cik: int | None, offset: int, ticker: str | None = None) -> dict | None:
    if cik is None:
        return None
    company = (await rows(db, """select i.issuer_cik, i.issuer_name, f.issuer_ticker_clean as ticker
        from issuers i left join filings f on f.accession_number = i.as_of_accession where i.issuer_cik = ?""", [cik]))
    if not company:
        return None
    company = company[0]
    ticker = ticker or company["ticker"]
    industry = (await rows(db, """select e.sic, e.industry from filing_entities e join filings f using (accession_number)
        where e.cik = ? and e.role = 'issuer' and e.sic is not null
        order by f.filing_date desc, f.accession_number desc limit 1""", [cik]))
    monthly = await rows(db, """select * from (select month, buys_usd, sells_usd, plan_sales_usd,
        discretionary_sales_usd, unknown_sales_usd from monthly_activity where issuer_cik = ?
        order by month desc limit ?) order by month""", [cik, CHART_MONTHS])
    total = (await db.execute("select count(*) from trades_by_filing where issuer_cik = ?", [cik])).first()[0]
    query = urlencode({"issuer_cik": cik, "_sort_desc": "filing_date"})
    return {
        "cik": cik, "name": company["issuer_name"], "ticker": ticker,
        "industry": industry and industry[0], "edgar": EDGAR_COMPANY.format(cik) if cik > 0 else None,
        "insiders": await rows(db, """select * from issuer_insiders where issuer_cik = ?
            order by last_filed desc, owner_name limit 200""", [cik]),
        "net_buying": monthly and month_bars(
            f"Net open-market buying in {company['issuer_name']}, per month", [m["month"] for m in monthly],
            [("net buying", [m["buys_usd"] - m["sells_usd"] for m in monthly])], "Purchases less sales ($)"),
        "plan_sales": any(m["sells_usd"] for m in monthly) and month_bars(
            "Open-market sales per month, by Rule 10b5-1 plan", [m["month"] for m in monthly],
            [("10b5-1 plan", [m["plan_sales_usd"] for m in monthly]),
             ("discretionary", [m["discretionary_sales_usd"] for m in monthly]),
             ("not stated", [m["unknown_sales_usd"] for m in monthly])], "Sales ($)"),
        "sales_split": (await rows(db, """select sum(plan_sales_usd) as plan, sum(discretionary_sales_usd) as discretionary,
            sum(unknown_sales_usd) as unstated, sum(plan_sales) as plan_count,
            sum(discretionary_sales) as discretionary_count, sum(unknown_sales) as unstated_count
            from monthly_activity where issuer_cik = ?""", [cik]))[0],
        "notices": await rows(db, NOTICES.format("p.issuer_cik = ?"), [cik]),
        "notices_screen": datasette.urls.path("/form4/sale_notices_executed?" + urlencode({"issuer": cik})),
        "late": await rows(db, """select * from trades where issuer_cik = ? and is_late = 1
            order by trade_date desc, rowid limit 10""", [cik]),
        "late_count": (await db.execute("select count(*) from trades where issuer_cik = ? and is_late = 1",
                                        [cik])).first()[0],
        "trades": await rows(db, """select * from trades_by_filing where issuer_cik = ?
            order by filing_date desc, rowid limit ? offset ?""", [cik, PAGE_SIZE, offset]),
        "paging": paging(total, offset),
        "json": datasette.urls.path(f"/form4/trades_by_filing.json?{query}"),
        "feed": datasette.urls.path(f"/form4/trades_by_filing.atom?{query}"),
        "all_trades": datasette.urls.path(f"/form4/trades_by_filing?{query}"),
        "every_row": datasette.urls.path("/form4/trades?" + urlencode({"issuer_cik": cik, "_sort_desc": "trade_date"})),
    }


async def insider(datasette, db, cik: int | None, offset: int) -> dict | None:
    if cik is None:
        return None
    owner = await rows(db, "select owner_cik, owner_name from owners where owner_cik = ?", [cik]) or \
        await rows(db, """select filer_cik as owner_cik, seller_name as owner_name from sale_notices
            where filer_cik = ? order by notice_date desc limit 1""", [cik])  # known so far by a Form 144 alone
    if not owner:
        return None
    companies = await rows(db, """select c.*, f.issuer_ticker_clean as ticker, i.issuer_name
        from issuer_insiders c join issuers i on i.issuer_cik = c.issuer_cik
        left join filings f on f.accession_number = i.as_of_accession
        where c.owner_cik = ? order by c.last_filed desc""", [cik])
    # Every filing and code of theirs, newest first, in one pass: the count, the page and the charts.
    listed = (await db.execute("""select b.rowid, b.issuer_cik, b.last_trade_date, b.owned_after
        from filing_owners o join trades_by_filing b on b.accession_number = o.accession_number
        where o.owner_cik = ? order by b.filing_date desc, b.rowid""", [cik])).rows
    shown = [row["rowid"] for row in listed[offset:offset + PAGE_SIZE]]
    trades = await rows(db, f"select rowid, * from trades_by_filing where rowid in ({', '.join('?' * len(shown))})",
                        shown)
    trades.sort(key=lambda trade: shown.index(trade["rowid"]))
    holdings = sorted((row for row in listed if row["owned_after"] is not None and row["last_trade_date"]),
                      key=lambda row: row["last_trade_date"])
    delays = [row[0] for row in (await db.execute("""select t.filing_delay_bd from filing_owners o
        join trades t on t.accession_number = o.accession_number
        where o.owner_cik = ? and t.filing_delay_bd is not null""", [cik])).rows]
    query = urlencode({"insider_cik": cik, "_sort_desc": "filing_date"})
    return {
        "cik": cik, "name": owner[0]["owner_name"],
        "names": sorted({c["owner_name"] for c in companies} - {owner[0]["owner_name"]}),
        "edgar": EDGAR_COMPANY.format(cik) if cik > 0 else None,
        "companies": companies,
        "lag": lag(delays),
        "notices": await rows(db, NOTICES.format("n.filer_cik = ?"), [cik]),
        "charts": holding_charts(companies, holdings),
        "trades": trades,
        "paging": paging(len(listed), offset),
        "json": datasette.urls.path(f"/form4/trades_by_filing.json?{query}"),
        "feed": datasette.urls.path(f"/form4/trades_by_filing.atom?{query}"),
        "all_trades": datasette.urls.path(f"/form4/trades_by_filing?{query}"),
    }


def lag(delays: list[int]) -> dict | None:
    """Business days from trade to filing: median, 90th percentile and the share past the two-day deadline."""
    if not delays:
        return None
    ordered = sorted(delays)
    return {"trades": len(ordered), "median": statistics.median(ordered),
            "p90": ordered[min(len(ordered) - 1, int(0.9 * len(ordered)))],
            "late_share": sum(delay > 2 for delay in ordered) / len(ordered)}


def holding_charts(companies: list[dict], holdings: list[dict]) -> list:
    """One chart of the holding after each trade per company, for the companies with the most filings."""
    charts = []
    for company in sorted(companies, key=lambda c: -c["filings"])[:HOLDING_CHARTS]:
        points = [(h["last_trade_date"], h["owned_after"]) for h in holdings
                  if h["issuer_cik"] == company["issuer_cik"]][-HOLDING_POINTS:]
        if points:
            charts.append(holding_steps(f"Shares of {company['issuer_name']} held after each filing's trades", points))
    return charts


def newest_matches(fts: str) -> str:
    """SQL: the match is among the RANKED_MATCHES newest of the full-text index ``fts`` for :q."""
    return (f"{fts}.rowid >= coalesce((select min(rowid) from (select rowid from {fts} where {fts} match escape_fts(:q) "
            f"order by rowid desc limit {RANKED_MATCHES})), 0)")


async def search(datasette, db, q: str) -> dict:
    """An exact ticker or CIK goes to its page; otherwise the tickers, companies and insiders whose
    names hold every word typed, in any order, then the footnotes and remarks that match best
    among the newest that match."""
    found = {"q": q, "redirect": None, "companies": [], "insiders": [], "footnotes": [], "remarks": []}
    if not q:
        return found
    if re.fullmatch(r"[A-Za-z][A-Za-z0-9.\-]{0,9}", q) and await issuer_of_ticker(db, q.upper()) is not None:
        found["redirect"] = datasette.urls.path(f"/ticker/{q.upper()}")
        return found
    if re.fullmatch(r"\d{1,10}", q):
        for table, key, kind in (("issuers", "issuer_cik", "issuer"), ("owners", "owner_cik", "insider")):
            if (await db.execute(f"select 1 from {table} where {key} = ?", [int(q)])).first():
                found["redirect"] = datasette.urls.path(f"/{kind}/{int(q)}")
                return found
    words = [word for word in re.split(r"[\s,]+", q) if word][:6]

    def every_word(column: str) -> str:
        return " and ".join([f"{column} like ? escape '\\'"] * len(words))

    patterns = ["%" + re.sub(r"([%_\\])", r"\\\1", word) + "%" for word in words]
    found["companies"] = await rows(db, f"""select i.issuer_cik, i.issuer_name, f.issuer_ticker_clean as ticker
        from issuers i left join filings f on f.accession_number = i.as_of_accession
        where ({every_word('i.issuer_name')}) or f.issuer_ticker_clean = ?
        order by i.issuer_name limit 50""", [*patterns, q.upper()])
    found["insiders"] = await rows(db, f"""select owner_cik, owner_name from owners
        where {every_word('owner_name')} order by owner_name limit 50""", patterns)
    # Each matching text once: the newest loaded filing whose footnote reads so, and how many others do.
    found["footnotes"] = await rows(db, f"""select snippet(footnote_texts_fts, -1, '<mark>', '</mark>', '…', 24) as snippet,
            (select accession_number from filings where rowid = (
                select max(filing_rowid) from filing_footnotes n where n.text_id = footnote_texts_fts.rowid))
                as accession_number,
            (select count(*) from filing_footnotes n where n.text_id = footnote_texts_fts.rowid) as filings
        from footnote_texts_fts where footnote_texts_fts match escape_fts(:q) and {newest_matches("footnote_texts_fts")}
        order by rank limit 10""", {"q": q})
    found["remarks"] = await rows(db, f"""select f.accession_number, snippet(filings_fts, -1, '<mark>', '</mark>', '…', 24)
        as snippet from filings_fts join filings f on f.rowid = filings_fts.rowid
        where filings_fts match escape_fts(:q) and {newest_matches("filings_fts")}
        order by rank limit 10""", {"q": q})
    found["footnote_search"] = datasette.urls.path("/form4/footnote_search?" + urlencode({"q": q}))
    return found
