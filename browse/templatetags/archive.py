"""Template helpers for the archive's pages."""

from functools import lru_cache
from html import escape

from django import template
from django.urls import reverse
from django.utils.formats import date_format
from django.utils.html import conditional_escape, format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import get_language, gettext

from stories.models import attach_places

register = template.Library()


def _time(day, pattern):
    return format_html('<time datetime="{}">{}</time>', day.isoformat(), date_format(day, pattern))


@register.simple_tag
def date_range(start, end):
    """A story's dates in words: "13 March 2020", "14 to 15 March 2020", "Date unknown"."""
    return _date_range(start, end, get_language())


@lru_cache(maxsize=4096)
def _date_range(start, end, language):
    """date_range() in `language` (the active one), kept: the archive's stories share a few
    hundred days, and formatting them took 20 µs a card."""
    if start is None:
        return gettext("Date unknown")
    if end is None or end == start:
        return _time(start, "j F Y")
    if (start.year, start.month) == (end.year, end.month):
        first = "j"
    elif start.year == end.year:
        first = "MONTH_DAY_FORMAT"  # "14 March" in British English
    else:
        first = "j F Y"
    # Translators: a story's dates, "14 to 15 March 2020": each date is an HTML <time>.
    words = conditional_escape(gettext("%(start)s to %(end)s"))
    return mark_safe(words % {"start": _time(start, first), "end": _time(end, "j F Y")})


@register.simple_tag(takes_context=True)
def places(context, story):
    """Where a story happened, as its card and its page say it: its cities, else its
    regions, else its countries, else "Place unknown"; cities and regions link to their
    pages but in a staff preview (`preview`). Python, not an included template: 20 cards'
    includes and loops took 1.7 ms of a page's 4.6 for the cards."""
    return place_names(story, linked=not context.get("preview"))


def place_names(story, linked=True):
    if not hasattr(story, "card_places"):  # (a story not read for a listing)
        attach_places([story])
    named = story.card_places
    if not named:
        return gettext("Place unknown")
    if not linked or named[0][1] is None:  # (countries have no page)
        return format_html_join(", ", "{}", ((name,) for name, _ in named))
    return format_html_join(", ", '<a href="{}">{}</a>', ((url, name) for name, url in named))


@register.simple_tag(takes_context=True)
def story_cards(context, stories):
    """The cards of a list of stories (browse/_story_list.html): each one's title, linked
    to its page, its dates, places and kind, and its summary. Python, not a loop in the
    template: the loop's tags and lookups took 100 µs a card, 2 ms of a list page's 5; and
    plain `html.escape`, with one reverse() for every card's address, where format_html()
    and a reverse() a card took half of the rest."""
    linked = not context.get("preview")
    # Every story's address is this one with its own slug ("slug" is a valid one).
    before, _, after = reverse("browse:story", args=["slug"]).rpartition("slug")
    cards = []
    for story in stories:
        summary = f"<p>{escape(story.summary)}</p>" if story.summary else ""
        cards.append(
            f"""
  <li class="story-card">
    <h3><a href="{escape(before + story.slug + after)}">{escape(story.title)}</a></h3>
    <p class="meta">
      {conditional_escape(date_range(story.start_date, story.end_date))}
      · {conditional_escape(place_names(story, linked))}
      · {escape(str(story.kind_label))}
    </p>
    {summary}
  </li>"""
        )
    return mark_safe("".join(cards))  # noqa: S308 - every value is escaped


@register.simple_tag
def facet_links(facet):
    """The values a facet shows as links (browse/facets.py: Facet.shown), each with its
    count; a selected one is marked, and its link removes it. Python, not a loop in the
    template, for the reason story_cards() gives (60 links: 1 ms)."""
    selected = escape(gettext("(selected; follow the link to remove)"))
    links = []
    for value in facet.shown:
        url, label, count = escape(value.url), escape(str(value.label)), escape(value.count_text)
        if value.active:
            links.append(
                f'\n        <li class="active"><a href="{url}" aria-current="true">{label}</a>'
                f' <span class="count">{count}</span>'
                f'<span class="visually-hidden"> {selected}</span></li>'
            )
        else:
            links.append(
                f'\n        <li><a href="{url}">{label}</a> <span class="count">{count}</span></li>'
            )
    return mark_safe("".join(links))  # noqa: S308 - every value is escaped
