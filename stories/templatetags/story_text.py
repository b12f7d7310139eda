from django import template
from django.utils.safestring import mark_safe

from stories.rendering import render_markdown

register = template.Library()


@register.filter(is_safe=True)
def markdown(text):
    """Render a story body's Markdown as sanitised HTML: `{{ story.body|markdown }}`."""
    return mark_safe(render_markdown(text))  # render_markdown sanitises the HTML with nh3
