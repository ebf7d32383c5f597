"""Values and column names as people read them, for the site's HTML (JSON and CSV keep them raw):
dollars with $ and separators, signed share counts and percentages, headings in words."""

import re

from markupsafe import Markup, escape

from .schema import CODE_MEANINGS

# Words a heading keeps in capitals, or writes otherwise.
HEADING_WORDS = {"cik": "CIK", "usd": "($)", "pct": "(%)", "ceo": "CEO", "cfo": "CFO", "coo": "COO", "id": "ID",
                 "sic": "SIC", "bd": "(business days)", "fts": "FTS", "xml": "XML", "url": "URL",
                 "sha256": "SHA-256"}
HEADINGS = {  # where the words of the name do not say it well
    "is_10b5_1": "Rule 10b5-1 plan", "is_ten_percent_owner": "10% owner", "transaction_code": "Code",
    "acquired_disposed": "A/D", "direct_indirect": "Direct or indirect", "owned_after": "Owned after",
    "owned_change_pct": "Holding change", "value_usd": "Value", "price": "Price", "average_price": "Average price",
    "price_per_share": "Price", "shares_owned_after": "Owned after", "filing_delay_bd": "Filing delay (business days)",
    "insider_names": "Insiders", "issuer_name": "Issuer", "insider_name": "Insider", "owner_name": "Insider",
    "filing_flags": "Flags", "accession_number": "Filing", "ticker": "Ticker", "roles": "Roles",
    "last_trade_date": "Last trade", "first_trade_date": "First trade", "form_type": "Form",
}
MINUS = "\u2212"


def heading(column: str) -> str:
    """A column name in words: value_usd → Value, is_director → Director, issuer_cik → Issuer CIK."""
    if column in HEADINGS:
        return HEADINGS[column]
    words = column.removeprefix("is_").replace("10b5_1", "10b5-1").split("_")
    text = " ".join(HEADING_WORDS.get(word, word) for word in words if word)
    return text[:1].upper() + text[1:]


def hidden_columns(columns: list[str]) -> list[str]:
    """The columns a table page leaves out: of a table with a stable id (a filing's rows, the
    screener's; see schema.ROW_KEYS), the key Datasette links each row by — Link and rowid, the
    rowid the screener's tables declare, which a rebuild renumbers, or Link to the filing and
    position — since the id links instead (the template links it like the first cell); and
    joint_insider_names, which insider_names shows."""
    key_columns = columns[:2] if columns[:2] == ["Link", "rowid"] else columns[:1]
    keys = key_columns if key_columns and key_columns[0] in ("Link", "rowid") and "id" in columns else []
    return keys + [column for column in columns if column == "joint_insider_names"]


def in_words(description: str, columns: list[str]) -> str:
    """A table page's description with its column names as headings, quoted values left alone:
    'where value_usd >= 25000 sorted by filing_date descending' → 'where Value >= 25000 sorted by
    Filing date descending'."""
    if not columns:
        return description
    name = re.compile(r"\b(" + "|".join(map(re.escape, sorted(columns, key=len, reverse=True))) + r")\b")
    return "".join(part if part.startswith('"') else name.sub(lambda found: heading(found[1]), part)
                   for part in re.split(r'("[^"]*")', description))


def number(value, decimals: int | None = None) -> str:
    """1234567.5 → 1,234,567.5; whole numbers without decimals."""
    if value is None:
        return ""
    if decimals is None:  # as many as it has, up to four
        decimals = len(f"{value:.4f}".rstrip("0").split(".")[1])
    return f"{value:,.{decimals}f}".replace("-", MINUS)


def usd(value) -> str:
    """A dollar amount: $131,067,211 (whole dollars from $1,000 up, and none), $912.50, −$5,000, $0."""
    if value is None:
        return ""
    sign = MINUS if value < 0 else ""
    amount = abs(value)
    return f"{sign}${amount:,.0f}" if amount >= 1000 or amount == 0 else f"{sign}${amount:,.2f}"


def price(value) -> str:
    """A share price: $146.57, or four decimals under a dollar ($0.0512)."""
    if value is None:
        return ""
    return f"${value:,.4f}" if 0 < abs(value) < 1 else f"${value:,.2f}"


def signed(value, acquired_disposed: str | None) -> str:
    """Shares acquired with +, disposed of with −."""
    if value is None:
        return ""
    sign = {"A": "+", "D": MINUS}.get(acquired_disposed or "", "")
    return sign + number(value)


def percent(value) -> str:
    """A change in percent, signed: +12.5%, −3.2%."""
    if value is None:
        return ""
    return ("+" if value > 0 else MINUS if value < 0 else "") + f"{abs(value):,.1f}%"


def compact_usd(value: float) -> str:
    """An axis label: $1.2M, −$350K, $0."""
    sign, amount = (MINUS if value < 0 else ""), abs(value)
    for size, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "K")):
        if amount >= size:
            return f"{sign}${amount / size:.3g}{suffix}"
    return f"{sign}${amount:.0f}"


def compact_number(value: float) -> str:
    """An axis label for shares: 1.2M, 350K."""
    return compact_usd(value).replace("$", "")


SEPARATOR = re.compile(r";\s*")


def names(listed: str | None) -> list[str]:
    """The names of a joint filing's insiders, as trades.insider_names lists them."""
    return [name for name in SEPARATOR.split(listed or "") if name]


MARK_OPEN, MARK_CLOSE = "<mark>", "</mark>"


def coded(code: str | None) -> Markup:
    """A transaction code with its meaning on hover: P → <abbr title="Open market or private purchase …">P</abbr>."""
    if not code:
        return Markup("")
    return Markup('<abbr title="{}">{}</abbr>').format(CODE_MEANINGS.get(code, ""), code)


def highlight(text: str) -> Markup:
    """A full-text snippet: escape the text, then turn the escaped <mark> pairs snippet() wrote back into tags."""
    escaped = str(escape(text))
    return Markup(escaped.replace(str(escape(MARK_OPEN)), MARK_OPEN).replace(str(escape(MARK_CLOSE)), MARK_CLOSE))
