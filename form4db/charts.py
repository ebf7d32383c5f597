"""Charts for the company and insider pages, drawn here as SVG: no script to load or fail, text
a screen reader can read, and the same picture in every browser. Each has a title, both axes
titled and labelled, and a legend when it shows more than one series."""

import math
from html import escape

from markupsafe import Markup

from .display import compact_number, compact_usd

WIDTH, HEIGHT = 760, 300
LEFT, RIGHT, TOP, BOTTOM = 78, 12, 48, 52
COLORS = {"buy": "#1a7f37", "sell": "#cf222e"}
SERIES_COLORS = ("#0969da", "#bc4c00", "#8c959f")  # the series of a chart, in order
MONTH_NAMES = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
MONTHS_NAMED = 18  # up to this many months on an axis, each is named; beyond, only the years


def nice_ticks(low: float, high: float, count: int = 5) -> list[float]:
    """Round tick values covering low..high (0 always among them)."""
    low, high = min(low, 0.0), max(high, 0.0)
    if high == low:
        high = low + 1
    raw = (high - low) / count
    step = 10 ** math.floor(math.log10(raw))
    step *= next(m for m in (1, 2, 2.5, 5, 10) if step * m >= raw)
    return [step * i for i in range(math.floor(low / step), math.ceil(high / step) + 1)]


def frame(title: str, x_title: str, y_title: str, ticks: list[float], y, label, body: list[str],
          legend: list[tuple[str, str]] = ()) -> Markup:
    """The chart around its marks: title, y grid with labels, axis titles, legend."""
    parts = [f'<text x="{LEFT}" y="18" class="chart-title">{escape(title)}</text>']
    for tick in ticks:
        parts.append(f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y(tick):.1f}" y2="{y(tick):.1f}" '
                     f'class="{"chart-zero" if tick == 0 else "chart-grid"}"/>')
        parts.append(f'<text x="{LEFT - 6}" y="{y(tick) + 4:.1f}" text-anchor="end">{escape(label(tick))}</text>')
    parts.append(f'<text transform="translate(14 {TOP + (HEIGHT - TOP - BOTTOM) / 2:.0f}) rotate(-90)" '
                 f'text-anchor="middle" class="chart-axis">{escape(y_title)}</text>')
    parts.append(f'<text x="{LEFT + (WIDTH - LEFT - RIGHT) / 2:.0f}" y="{HEIGHT - 6}" text-anchor="middle" '
                 f'class="chart-axis">{escape(x_title)}</text>')
    x = LEFT  # the legend under the title, from the left: in view where a phone scrolls the chart
    for name, color in legend:
        parts.append(f'<rect x="{x:.0f}" y="26" width="10" height="10" fill="{color}"/>'
                     f'<text x="{x + 14:.0f}" y="35">{escape(name)}</text>')
        x += 28 + 7.2 * len(name)
    return Markup(f'<div class="chart"><svg viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-label="{escape(title)}" '
                  f'xmlns="http://www.w3.org/2000/svg"><title>{escape(title)}</title>{"".join(parts + body)}</svg></div>')


def month_bars(title: str, months: list[str], series: list[tuple[str, list[float]]], y_title: str) -> Markup:
    """Bars per month (months as YYYY-MM-DD, in order), one bar per series side by side; a single
    series is coloured by its sign (buying green, selling red). A month missing between two others
    keeps its place on the axis, empty."""
    values = [value for _, data in series for value in data] or [0.0]
    ticks = nice_ticks(min(values), max(values))
    plot_height = HEIGHT - TOP - BOTTOM
    span = ticks[-1] - ticks[0]

    def y(value):
        return TOP + (ticks[-1] - value) / span * plot_height

    axis = every_month(months[0], months[-1]) if months else []
    place = {month[:7]: m for m, month in enumerate(axis)}
    slot = (WIDTH - LEFT - RIGHT) / max(len(axis), 1)
    bar = max(slot * 0.8 / len(series), 0.5)
    body = []
    for month, *month_values in zip(months, *(data for _, data in series)):
        m = place[month[:7]]
        for s, ((name, _), value) in enumerate(zip(series, month_values)):
            if not value:
                continue
            fill = SERIES_COLORS[s] if len(series) > 1 else COLORS["buy" if value > 0 else "sell"]
            top, bottom = sorted((y(value), y(0)))
            body.append(f'<rect x="{LEFT + m * slot + slot * 0.1 + s * bar:.1f}" y="{top:.1f}" width="{bar:.1f}" '
                        f'height="{max(bottom - top, 0.5):.1f}" fill="{fill}"><title>{month[:7]} {escape(name)}: '
                        f'{escape(compact_usd(value))}</title></rect>')
    body += month_labels([(month, LEFT + m * slot + slot / 2) for m, month in enumerate(axis)])
    legend = [(name, color) for (name, _), color in zip(series, SERIES_COLORS)] if len(series) > 1 else \
        [("net buying", COLORS["buy"]), ("net selling", COLORS["sell"])]
    return frame(title, "Month", y_title, ticks, y, compact_usd, body, legend)


def every_month(first: str, last: str) -> list[str]:
    """Each month from first to last, as YYYY-MM-01."""
    year, month = int(first[:4]), int(first[5:7])
    months = []
    while f"{year:04d}-{month:02d}" <= last[:7]:
        months.append(f"{year:04d}-{month:02d}-01")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months


def month_labels(months: list[tuple[str, float]]) -> list[str]:
    """The x axis's labels for months (YYYY-MM-DD at x): each month named with its year beneath
    the first and each January when there are few, else each year (at most about eight)."""
    baseline = HEIGHT - BOTTOM + 16
    if len(months) <= MONTHS_NAMED:
        labels = []
        for m, (month, x) in enumerate(months):
            labels.append(f'<text x="{x:.1f}" y="{baseline}" text-anchor="middle">{MONTH_NAMES[int(month[5:7]) - 1]}</text>')
            if m == 0 or month[5:7] == "01":
                labels.append(f'<text x="{x:.1f}" y="{baseline + 15}" text-anchor="middle">{month[:4]}</text>')
        return labels
    years = [(month, x) for m, (month, x) in enumerate(months) if m == 0 or month[5:7] == "01"]
    step = max(1, math.ceil(len(years) / 8))
    return [f'<text x="{x:.1f}" y="{baseline}">{month[:4]}</text>' for month, x in years[::step]]


def holding_steps(title: str, points: list[tuple[str, float]]) -> Markup:
    """The holding after each trade (points as (YYYY-MM-DD, shares), in date order), as steps."""
    if not points:
        return Markup("")
    ticks = nice_ticks(0.0, max(value for _, value in points))
    plot_height, plot_width = HEIGHT - TOP - BOTTOM, WIDTH - LEFT - RIGHT
    days = [ordinal(day) for day, _ in points]
    first, last = days[0], max(days[-1], days[0] + 1)

    def x(day):
        return LEFT + (day - first) / (last - first) * plot_width

    def y(value):
        return TOP + (ticks[-1] - value) / (ticks[-1] - ticks[0]) * plot_height

    path = [f"M{x(days[0]):.1f},{y(points[0][1]):.1f}"]
    for day, (_, value) in zip(days[1:], points[1:]):
        path.append(f"H{x(day):.1f}V{y(value):.1f}")
    body = [f'<path d="{"".join(path)}" fill="none" stroke="{SERIES_COLORS[0]}" stroke-width="2"/>']
    body += [f'<circle cx="{x(day):.1f}" cy="{y(value):.1f}" r="2.5" fill="{SERIES_COLORS[0]}"><title>{date}: '
             f'{escape(compact_number(value))} shares</title></circle>' for day, (date, value) in zip(days, points)]
    months = every_month(points[0][0], points[-1][0])
    body += month_labels([(month, x(max(ordinal(month), first))) for month in months])
    return frame(title, "Trade date", "Shares held after the trade", ticks, y, compact_number, body)


def ordinal(day: str) -> int:
    year, month, date = int(day[:4]), int(day[5:7]), int(day[8:10])
    return year * 372 + month * 31 + date  # monotonic and near enough to even for an axis
