"""Dates as filers write them in footnotes and remarks: "August 28, 2013", "Aug. 28th, 2013",
"28 August 2013", "8/28/2013", "08-28-13", "2013-08-28"."""

import re
from datetime import date

MONTHS = {name: number for number, names in enumerate(
    [("jan", "january"), ("feb", "february"), ("mar", "march"), ("apr", "april"), ("may",),
     ("jun", "june"), ("jul", "july"), ("aug", "august"), ("sep", "sept", "september"),
     ("oct", "october"), ("nov", "november"), ("dec", "december")], start=1) for name in names}
# One date, its parts in named groups (iso_date reads them).
DATE = (r"(?:(?P<month>[A-Za-z]{3,9})\.?\s+(?P<day>\d{1,2})(?:st|nd|rd|th)?,?\s*(?P<year>\d{4})"
        r"|(?P<day2>\d{1,2})\s+(?P<month2>[A-Za-z]{3,9})\.?,?\s+(?P<year2>\d{4})"
        r"|(?P<m>\d{1,2})[/\-.](?P<d>\d{1,2})[/\-.](?P<y>\d{4}|\d{2})\b"
        r"|(?P<iso>\d{4}-\d{2}-\d{2}))")

DATE_IN_TEXT = re.compile(DATE)


def iso_date(match: re.Match) -> str | None:
    """The date a DATE match spells, ISO, or None when it is no date."""
    try:
        if match["iso"]:
            return date.fromisoformat(match["iso"]).isoformat()
        if match["m"]:
            year = int(match["y"]) + (2000 if len(match["y"]) == 2 else 0)
            return date(year, int(match["m"]), int(match["d"])).isoformat()
        month, day, year = (match["month"], match["day"], match["year"]) if match["month"] else \
            (match["month2"], match["day2"], match["year2"])
        number = MONTHS.get(month.lower())
        return date(int(year), number, int(day)).isoformat() if number else None
    except ValueError:
        return None
