"""Stories per day, laid out as an SVG bar chart the template draws inline."""

import calendar
import datetime
from collections import Counter
from dataclasses import dataclass
from html import escape

from django.db.models import Count
from django.urls import reverse
from django.utils.formats import date_format
from django.utils.safestring import mark_safe
from django.utils.translation import gettext, ngettext

WIDTH = 960
HEIGHT = 300
MARGIN_LEFT = 44
MARGIN_BOTTOM = 40
MARGIN_TOP = 16
MAX_DAYS = 3660  # ten years of bars; beyond that the chart would be unreadable
MIN_DAYS = 15  # a short run of stories is shown within a fortnight's context


@dataclass
class Bar:
    day: datetime.date
    count: int
    x: float
    y: float
    width: float
    height: float

    @property
    def label(self):
        return ngettext("%(day)s: %(count)s story", "%(day)s: %(count)s stories", self.count) % {
            "day": date_format(self.day, "l j F Y"),
            "count": self.count,
        }


@dataclass
class Tick:
    x: float
    label: str


def stories_per_day(stories):
    """{day: number of stories under way that day}, from one GROUP BY over date ranges."""
    ranges = (
        stories.order_by()
        .exclude(start_date=None)
        .values("start_date", "end_date")
        .annotate(n=Count("pk"))
    )
    per_day = Counter()
    for row in ranges:
        start, end = row["start_date"], row["end_date"]
        for offset in range(min((end - start).days, MAX_DAYS) + 1):
            per_day[start + _span(offset)] += row["n"]
    return per_day


def _span(days):
    return datetime.timedelta(days=days)


def _padded(first, last):
    """`first` to `last` widened to at least MIN_DAYS, evenly on both sides where the
    calendar allows, else on the side it does (a story on 1 January of the year 1 or on
    31 December 9999 is shown too, without stepping off the calendar)."""
    missing = MIN_DAYS - ((last - first).days + 1)
    if missing <= 0:
        return first, last
    start = max(first.toordinal() - missing // 2, 1)
    start = min(start, datetime.date.max.toordinal() - MIN_DAYS + 1)
    return datetime.date.fromordinal(start), datetime.date.fromordinal(start + MIN_DAYS - 1)


def _months(first, last):
    """The first day of each month from `first`'s month to `last`."""
    year, month = first.year, first.month
    while (year, month) <= (last.year, last.month):
        yield datetime.date(year, month, 1)
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)


def chart(per_day):
    """Bars (one per day with stories), month ticks and the y-axis maximum."""
    if not per_day:
        return {"bars": [], "ticks": [], "max": 0}
    first, last = min(per_day), max(per_day)
    if (last - first).days > MAX_DAYS:
        first = last - _span(MAX_DAYS)
    first, last = _padded(first, last)
    days = (last - first).days + 1
    plot_width = WIDTH - MARGIN_LEFT - 8
    plot_height = HEIGHT - MARGIN_BOTTOM - MARGIN_TOP
    step = plot_width / days
    top = max(per_day.values())
    bars = []
    for day, count in sorted(per_day.items()):
        if day < first:
            continue
        height = plot_height * count / top
        bars.append(
            Bar(
                day=day,
                count=count,
                x=round(MARGIN_LEFT + (day - first).days * step + step * 0.1, 2),
                y=round(MARGIN_TOP + plot_height - height, 2),
                width=round(max(step * 0.8, 0.5), 2),
                height=round(height, 2),
            )
        )
    ticks = []
    if days <= 62:
        every = 1 if days <= MIN_DAYS else 7
        for offset in range(0, days, every):
            day = first + _span(offset)
            x = MARGIN_LEFT + offset * step + step / 2
            ticks.append(Tick(round(x, 2), date_format(day, "j M")))
    else:
        for month in _months(first, last):
            if month >= first:
                x = MARGIN_LEFT + (month - first).days * step
                ticks.append(Tick(round(x, 2), date_format(month, "M Y")))
    return {
        "bars": bars,
        "ticks": ticks,
        "max": top,
        "first": first,
        "last": last,
        "width": WIDTH,
        "height": HEIGHT,
        "axis_y": HEIGHT - MARGIN_BOTTOM,
        "axis_x": MARGIN_LEFT,
        "top": MARGIN_TOP,
        "label_y": HEIGHT - MARGIN_BOTTOM + 18,
    }


# Hundreds of bars and table rows, written in Python: the template loops took most of the
# page's time. The same markup as before.


def _day_url():
    """Day pages' URLs without a reverse() per bar."""
    placeholder = datetime.date(2000, 1, 1)
    head, _, tail = reverse("browse:day", args=[placeholder]).partition(placeholder.isoformat())
    return lambda day: f"{head}{day.isoformat()}{tail}"


def bars_html(bars):
    """Escaped with `html.escape`, as Django's `escape` does (see browse/maps.py)."""
    url = _day_url()
    parts = []
    for bar in bars:
        label = escape(bar.label)
        parts.append(
            f'<a href="{escape(url(bar.day))}" aria-label="{label}"><rect x="{bar.x}" '
            f'y="{bar.y}" width="{bar.width}" height="{bar.height}"><title>{label}</title>'
            "</rect></a>"
        )
    return mark_safe("".join(parts))  # noqa: S308 - every value above is escaped


def rows_html(bars):
    url = _day_url()
    return mark_safe(  # noqa: S308 - every value is escaped
        "".join(
            f'<tr><td><a href="{escape(url(bar.day))}">{escape(date_format(bar.day, "j F Y"))}'
            f"</a></td><td>{bar.count}</td></tr>"
            for bar in bars
        )
    )


# On a phone the chart, scaled to the screen, has labels a few pixels high and bars too thin
# to tap: phones get a list instead (site.css shows one or the other), a row a period, each a
# link with its figure in words and a bar drawn beside it. A short span has a row a day; a
# longer one a row a week or a month, whose figure is its busiest day (the stories under way
# over a whole week are not a sum of its days: a story spanning three days is one story).
PHONE_DAYS = 62  # at most, a row a day
PHONE_WEEKS = 26  # at most, a row a week; beyond, a row a month


@dataclass
class Period:
    first: datetime.date
    last: datetime.date
    busiest: int  # stories under way on its busiest day
    unit: str  # "day", "week" or "month"

    @property
    def label(self):
        if self.unit == "day":
            return date_format(self.first, "j F Y")
        if self.unit == "week":
            return gettext("Week of %(day)s") % {"day": date_format(self.first, "j F Y")}
        return date_format(self.first, "F Y")

    @property
    def figure(self):
        if self.unit == "day":
            return ngettext("%(n)s story", "%(n)s stories", self.busiest) % {"n": self.busiest}
        return ngettext("up to %(n)s story a day", "up to %(n)s stories a day", self.busiest) % {
            "n": self.busiest
        }


def periods(per_day, first, last):
    """The rows of the phone list from `first` to `last` (the chart's span): a Period a day,
    calendar week (Monday to Sunday) or calendar month, with its busiest day's count."""
    days = (last - first).days + 1
    if days <= PHONE_DAYS:
        return [
            Period(day, day, per_day.get(day, 0), "day")
            for day in (first + _span(offset) for offset in range(days))
        ]
    unit = "week" if days <= PHONE_WEEKS * 7 else "month"
    rows = {}
    for offset in range(days):
        day = first + _span(offset)
        if unit == "week":  # (a week at either end of the calendar stops with it)
            start = datetime.date.fromordinal(max(day.toordinal() - day.weekday(), 1))
            end = datetime.date.fromordinal(
                min(day.toordinal() + 6 - day.weekday(), datetime.date.max.toordinal())
            )
        else:
            start = day.replace(day=1)
            end = day.replace(day=calendar.monthrange(day.year, day.month)[1])
        row = rows.setdefault(start, Period(start, end, 0, unit))
        row.busiest = max(row.busiest, per_day.get(day, 0))
    return list(rows.values())


def phone_html(chart, links, after=None, before=None):
    """The phone list's rows as markup (cached with the chart). A day's row links to its day
    page; a week's or a month's to the stories listed, filtered as the timeline is, in that
    period (within the dates asked for, if any)."""
    if not chart["bars"]:
        return mark_safe("")  # noqa: S308 - nothing
    per_day = {bar.day: bar.count for bar in chart["bars"]}
    rows = periods(per_day, chart["first"], chart["last"])
    top = max(row.busiest for row in rows) or 1
    url = _day_url()
    parts = []
    for row in rows:
        if not row.busiest:
            href = None
        elif row.unit == "day":
            href = url(row.first)
        else:
            start = max(row.first, after) if after else row.first
            end = min(row.last, before) if before else row.last
            href = links.replacing(date_after=start.isoformat(), date_before=end.isoformat())
        text = (
            f'<span class="period">{escape(row.label)}</span> '
            f'<span class="figure">{escape(row.figure)}</span>'
        )
        bar = (
            '<svg class="bar" viewBox="0 0 100 10" preserveAspectRatio="none" aria-hidden="true">'
            f'<rect width="{round(100 * row.busiest / top, 2)}" height="10"></rect></svg>'
        )
        inner = (
            f'<a href="{escape(href)}">{text}</a>' if href else f'<span class="none">{text}</span>'
        )
        parts.append(f"<li>{inner}{bar}</li>")
    return mark_safe("".join(parts))  # noqa: S308 - every value above is escaped


def phone_caption(chart):
    if not chart["bars"]:
        return ""
    days = (chart["last"] - chart["first"]).days + 1
    span = {
        "first": date_format(chart["first"], "j F Y"),
        "last": date_format(chart["last"], "j F Y"),
    }
    if days <= PHONE_DAYS:
        return gettext("Stories under way each day, %(first)s to %(last)s.") % span
    if days <= PHONE_WEEKS * 7:
        return (
            gettext(
                "Each week, %(first)s to %(last)s, with the stories under way on its busiest day."
            )
            % span
        )
    return (
        gettext("Each month, %(first)s to %(last)s, with the stories under way on its busiest day.")
        % span
    )
