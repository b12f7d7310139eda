"""Template helpers for the archive's pages."""

from django import template
from django.utils.dateformat import format as format_date
from django.utils.html import format_html

register = template.Library()


def _time(day, pattern):
    return format_html('<time datetime="{}">{}</time>', day.isoformat(), format_date(day, pattern))


@register.simple_tag
def date_range(start, end):
    """A story's dates in words: "13 March 2020", "14 to 15 March 2020", "Date unknown"."""
    if start is None:
        return "Date unknown"
    if end is None or end == start:
        return _time(start, "j F Y")
    if (start.year, start.month) == (end.year, end.month):
        first = "j"
    elif start.year == end.year:
        first = "j F"
    else:
        first = "j F Y"
    return format_html("{} to {}", _time(start, first), _time(end, "j F Y"))


@register.simple_tag
def plural(count, singular, many=None):
    """ "1 story", "3 stories"."""
    word = singular if count == 1 else (many or singular + "s")
    return f"{count:,} {word}"
