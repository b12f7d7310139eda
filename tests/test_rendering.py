"""Story bodies are Markdown rendered to sanitised HTML; post text is only ever text."""

import pytest

from stories.rendering import render_markdown
from tests import factories

HOSTILE_BODY = """An aria from a balcony.

<script>alert("body")</script>
<img src="x.png" onerror="alert('img')">
<p onclick="alert('p')">Click</p>
[a link](javascript:alert('link'))
<a href="JaVaScRiPt:alert('raw')">raw link</a>
<style>body { display: none }</style>
"""


def test_markdown_renders_emphasis_and_links():
    html = render_markdown("**Nessun Dorma** from [a balcony](https://example.org/aria)")
    assert "<strong>Nessun Dorma</strong>" in html
    assert '<a href="https://example.org/aria" rel="nofollow noopener noreferrer">' in html


def test_a_heading_in_the_body_never_competes_with_the_page_title():
    assert render_markdown("# Heading") == "<h2>Heading</h2>"


@pytest.mark.parametrize("needle", ["<script", "onerror", "onclick", "javascript:", "<style"])
def test_hostile_markup_is_removed_from_the_body(needle):
    assert needle not in render_markdown(HOSTILE_BODY).lower()


@pytest.mark.django_db
def test_story_page_renders_a_hostile_body_without_script_handler_or_javascript_url(client):
    story = factories.story("Aria", body=HOSTILE_BODY)
    page = client.get(story.get_absolute_url()).text.lower()
    start = page.index('<div class="body">')
    body = page[start : page.index("</div>", start)]  # the story's text, as rendered
    assert "an aria from a balcony." in body
    for needle in ("<script", "onerror=", "onclick=", "javascript:", "<style"):
        assert needle not in body
    # The page's own scripts are the JSON-LD and the citation's: nothing else.
    assert page.count("<script") == 2
    assert '<script type="application/ld+json">' in page


@pytest.mark.django_db
def test_post_text_is_shown_as_text_never_html(client):
    story = factories.story("Aria")
    factories.post(story, text='<b>bold</b> <script>alert("post")</script>')
    page = client.get(story.get_absolute_url()).text
    assert "&lt;b&gt;bold&lt;/b&gt;" in page
    assert "<script>alert" not in page
