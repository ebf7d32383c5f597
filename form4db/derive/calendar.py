"""EDGAR's business-day calendar: the days filings are accepted, which filing delays count."""

import sqlite3
from datetime import date, timedelta
from functools import lru_cache

CALENDAR_YEARS = range(1990, 2041)


# Days EDGAR was closed beyond the federal holidays: every full-day closure of the executive
# departments by executive order since 2001, national days of mourning among them, each with its
# order and its Federal Register citation. (Half days, as on 24 December 2002, 2009 and 2015, were
# business days; so were days EDGAR stayed open under conditional relief, as after Hurricane
# Sandy on 29-30 October 2012, Exchange Act Release No. 68224.)
CLOSURES = {
    date(2001, 12, 24): "Closed by executive order (EO 13238, 66 FR 63903)",
    date(2003, 12, 26): "Closed by executive order (EO 13320, 68 FR 69295)",
    date(2004, 6, 11): "National day of mourning for Ronald Reagan (EO 13343, 69 FR 32245)",
    date(2007, 1, 2): "National day of mourning for Gerald Ford (EO 13421, 72 FR 425)",
    date(2007, 12, 24): "Closed by executive order (EO 13453, 72 FR 70477)",
    date(2008, 12, 26): "Closed by executive order (EO 13482, 73 FR 76501)",
    date(2012, 12, 24): "Closed by executive order (EO 13633, 77 FR 76339)",
    date(2014, 12, 26): "Closed by executive order (EO 13682, 79 FR 73459)",
    date(2018, 12, 5): "National day of mourning for George H. W. Bush (EO 13852, 83 FR 62687)",
    date(2018, 12, 24): "Closed by executive order (EO 13854, 83 FR 65481)",
    date(2019, 12, 24): "Closed by executive order (EO 13900, 84 FR 69983)",
    date(2020, 12, 24): "Closed by executive order (EO 13965, 85 FR 81337)",
    date(2024, 12, 24): "Closed by executive order (EO 14129, 89 FR 104857)",
    date(2025, 1, 9): "National day of mourning for Jimmy Carter (EO 14133, 90 FR 187)",
    date(2025, 12, 24): "Closed by executive order (EO 14371, FR doc. 2025-23847)",
    date(2025, 12, 26): "Closed by executive order (EO 14371, FR doc. 2025-23847)",
}


def federal_holidays(year: int) -> dict[date, str]:
    """US federal holidays observed in ``year`` (5 U.S.C. 6103: Saturday -> Friday, Sunday -> Monday)."""

    def nth(month: int, weekday: int, n: int) -> date:
        first = date(year, month, 1)
        return first + timedelta(days=(weekday - first.weekday()) % 7 + 7 * (n - 1))

    def last(month: int, weekday: int) -> date:
        end = date(year, month + 1, 1) - timedelta(days=1)
        return end - timedelta(days=(end.weekday() - weekday) % 7)

    def observed(day: date) -> date:
        return day + timedelta(days={5: -1, 6: 1}.get(day.weekday(), 0))

    monday, thursday = 0, 3
    holidays = {
        observed(date(year, 1, 1)): "New Year's Day",
        nth(1, monday, 3): "Martin Luther King Jr. Day",
        nth(2, monday, 3): "Washington's Birthday",
        last(5, monday): "Memorial Day",
        observed(date(year, 7, 4)): "Independence Day",
        nth(9, monday, 1): "Labor Day",
        nth(10, monday, 2): "Columbus Day",
        observed(date(year, 11, 11)): "Veterans Day",
        nth(11, thursday, 4): "Thanksgiving Day",
        observed(date(year, 12, 25)): "Christmas Day",
    }
    if year >= 2021:
        holidays[observed(date(year, 6, 19))] = "Juneteenth"
    if date(year + 1, 1, 1).weekday() == 5:  # next New Year's Day, observed on this 31 December
        holidays[date(year, 12, 31)] = "New Year's Day"
    return {day: name for day, name in holidays.items() if day.year == year}


def calendar_rows():
    """(day, is_business_day, business_day_seq, closed_for) for every day of CALENDAR_YEARS.

    business_day_seq counts business days up to and including the day, so a weekend or holiday
    carries the previous business day's number and delays are differences of two numbers.
    """
    closed = dict(CLOSURES)
    for year in CALENDAR_YEARS:
        closed.update(federal_holidays(year))
    day, seq = date(CALENDAR_YEARS.start, 1, 1), 0
    while day.year < CALENDAR_YEARS.stop:
        reason = "Weekend" if day.weekday() >= 5 else closed.get(day)
        seq += reason is None
        yield day.isoformat(), int(reason is None), seq, reason
        day += timedelta(days=1)


@lru_cache(maxsize=1)
def business_day_numbers() -> dict[str, int]:
    """day -> business_day_seq, the same numbers as the calendar table."""
    return {day: seq for day, _, seq, _ in calendar_rows()}


def business_days(start: str | None, end: str | None) -> int | None:
    """Business days from ``start`` to ``end`` (ISO dates) on the SEC's calendar; a Saturday trade
    filed Tuesday is 2. None outside the calendar's years. The site offers it as a SQL function."""
    numbers = business_day_numbers()
    if start not in numbers or end not in numbers:
        return None
    return numbers[end] - numbers[start]


def fill_calendar(conn: sqlite3.Connection) -> None:
    """Write the calendar, unless the table already holds these very days: the same number, closed
    for the same reasons (a closure added to CLOSURES rewrites it)."""
    days = list(calendar_rows())
    closed = [(day, reason) for day, _, _, reason in days if reason]
    stored = conn.execute("SELECT day, closed_for FROM calendar WHERE closed_for IS NOT NULL ORDER BY day").fetchall()
    if conn.execute("SELECT count(*) FROM calendar").fetchone()[0] != len(days) or stored != closed:
        conn.execute("DELETE FROM calendar")
        conn.executemany("INSERT INTO calendar VALUES (?, ?, ?, ?)", days)
