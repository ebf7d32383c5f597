"""Derived facts, computed from the facts the filings state, one module per family of facts:

- calendar: EDGAR's business days, which filing delays count;
- filings: a filing's own facts (ticker, amendment flag) and the filing a copy repeats;
- amendments: each amendment linked to its original, the rows it restates superseded;
- own_facts, open_market, rule_10b5_1, price_ranges, quality: a transaction row's facts, written
  by rows in one pass per table;
- roles: each owner's roles in the issuer (CEO, CFO, COO, president, chair, general counsel);
- insiders: routine and opportunistic insiders;
- screens: the tables the screens read (monthly totals, cluster windows, exercises with sales);
- sale_notices: each Form 144 notice linked to the Form 4 sales that carry it out;
- trades: the screener's wide tables, trades and trades_by_filing;
- screens again: each issuer's insiders, from the trades (derive_issuer_insiders).

`form4db build` runs `derive` after loading; `form4db derive` reruns it on a database without
re-parsing anything. Every step recomputes its columns whole, so running it twice gives the same
database (and most steps write only the rows whose values change). The rules, and the choices
where a rule is open, are in each column's description in metadata.yml; the reasoning is in the
reference (edgar-ownership.md §§3, 6, 7).
"""

import sqlite3
from collections.abc import Collection

from .amendments import derive_amendments
from .calendar import business_days, fill_calendar, federal_holidays
from .filings import clean_ticker, derive_copies, derive_filings
from .insiders import classify, derive_insider_classes
from .open_market import is_common_equity
from .price_ranges import price_ranges
from .roles import derive_owner_roles
from .rows import derive_rows
from .rule_10b5_1 import read_10b5_1
from .sale_notices import derive_sale_notices
from .scope import Scope
from .screens import (derive_cluster_windows, derive_exercise_sales, derive_issuer_insiders,
                      derive_monthly_activity, record_freshness)
from .trades import derive_trades

__all__ = ["derive", "business_days", "classify", "clean_ticker", "federal_holidays", "is_common_equity",
           "price_ranges", "read_10b5_1"]


def derive(conn: sqlite3.Connection, accessions: Collection[str] | None = None) -> None:
    """Recompute the derived columns and tables, in one transaction: all of them, or, given the
    accessions a build just added (none replaced), what those filings can change."""
    with conn:
        conn.create_function("is_common_equity", 1, is_common_equity, deterministic=True)
        scope = Scope(conn, accessions)
        fill_calendar(conn)
        derive_filings(conn, scope)
        derive_owner_roles(conn, scope)
        derive_amendments(conn, scope)
        derive_copies(conn, scope)
        scope.widen(conn)
        derive_insider_classes(conn, scope)
        derive_rows(conn, scope)
        derive_monthly_activity(conn, scope)
        derive_cluster_windows(conn, scope)
        derive_exercise_sales(conn, scope)
        derive_sale_notices(conn, scope)
        derive_trades(conn, scope)
        derive_issuer_insiders(conn, scope)
        record_freshness(conn)
        scope.drop(conn)
