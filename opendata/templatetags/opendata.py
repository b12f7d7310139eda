"""Tags for the public pages' machine-readable parts: JSON-LD (opendata/structured.py)."""

from django import template
from django.utils.html import json_script
from django.utils.safestring import mark_safe

from opendata import structured

register = template.Library()


def _json_ld(value):
    # json_script escapes <, > and & inside the data, so it cannot close the element; only
    # the element's type is changed, in markup json_script wrote.
    element = json_script(value).replace(
        '<script type="application/json">', '<script type="application/ld+json">', 1
    )
    return mark_safe(element)


@register.simple_tag(takes_context=True)
def story_json_ld(context, story):
    return _json_ld(structured.story_event(story, context["request"].build_absolute_uri))


@register.simple_tag(takes_context=True)
def city_json_ld(context, city):
    absolute = context["request"].build_absolute_uri
    return _json_ld(structured.city_place(city, absolute, described=True))
