"""Open-market trades: Table I purchases and sales of the issuer's common equity.

The security title says the class. Common equity goes by many names: common stock ("Comm
Stock"), ordinary shares, capital stock of any class ("Class C Capital Stock"), lettered shares
("Class A Shares"), American depositary shares or receipts (and depositary shares of ordinary or
common shares), common units of a listed partnership or units of limited partner interest, and
shares of beneficial interest. Preferred stock and depositary shares of it (plain "Depositary
Shares" of a US issuer are those), notes, debentures, warrants, rights, options, SPAC units of a
share and a warrant, and titles that name no class (a person's or the issuer's name) are not.
"""

import re
from functools import lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .scope import Scope

COMMON_EQUITY = re.compile(
    r"\bcomm(on|\.)?\b|\bordinary\b|\bcapital stock\b|\bclass [a-z]\b|\bshares? of beneficial interest\b"
    r"|\bamerican depositary\b|\bads\b|\badrs?\b|\bdepositary (shares|receipts)\b.*\b(ordinary|common)\b"
    r"|\blimited partner(ship)? (units|interests?)\b|^\s*(shares|stock)\s*$")
NOT_COMMON_EQUITY = re.compile(
    r"\bpref(erred|\.)?\b|warrant|\boptions?\b|\brights?\b|\bnotes?\b|debenture|\bbonds?\b|swap|phantom"
    r"|\brsus?\b|restricted stock units?|\bperformance\b|deferred|\bcalls?\b|\bputs?\b"
    r"|\bunits?\b(?!.*\b(limited partner|common)\b)"  # "common unit" is taken before this is read
    r"|\bconvertible (notes?|debentures?|preferred|senior)\b|certificates?")


@lru_cache(maxsize=4096)  # a few titles ("Common Stock") are on most rows
def is_common_equity(title: str | None) -> int | None:
    """1 when a security title names common equity of the issuer (see the module's rule), else 0;
    None without a title."""
    if title is None:
        return None
    lowered = " ".join(title.lower().split())
    if "common unit" in lowered:
        return 1
    return int(bool(COMMON_EQUITY.search(lowered)) and not NOT_COMMON_EQUITY.search(lowered))


# is_open_market of a Table I row t, as SQL (the function registered by derive).
IS_OPEN_MARKET = """CASE WHEN t.transaction_code IN ('P', 'S') THEN is_common_equity(t.security_title)
    WHEN t.transaction_code IS NOT NULL THEN 0 END"""
OPEN_MARKET_FACTS = {"is_open_market": IS_OPEN_MARKET}
# is_open_market = 1, for the steps that need it before the rows have it.
OPEN_MARKET = f"(({IS_OPEN_MARKET}) = 1)"


def open_market_before_rows(scope: "Scope") -> str:
    """is_open_market = 1 of a row t before derive_rows: computed on the added filings' rows,
    which do not have it yet, read on the others (a function call per trade costs a busy
    insider's every filing)."""
    if scope.all_added:
        return OPEN_MARKET
    return f"(CASE WHEN {scope.added('t.accession_number')} THEN {OPEN_MARKET} ELSE t.is_open_market = 1 END)"
