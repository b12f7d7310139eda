"""Story bodies: Markdown written by curators, rendered to HTML that is safe to publish.

Markdown lets raw HTML through, so its output is sanitised with nh3 (the Rust `ammonia`
cleaner) against a short allow-list: no script or style, no event handlers, no
`javascript:` or `data:` URLs ever reach a page, whatever the body contains.
"""

import re

import markdown
import nh3

ALLOWED_TAGS = {
    "a",
    "abbr",
    "blockquote",
    "br",
    "code",
    "em",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "hr",
    "li",
    "ol",
    "p",
    "pre",
    "strong",
    "ul",
}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "abbr": {"title"}}
ALLOWED_URL_SCHEMES = {"http", "https", "mailto"}


def render_markdown(text):
    """The body as sanitised HTML (a plain str; mark it safe only after this call)."""
    html = markdown.markdown(text or "", output_format="html")
    # The page's title is its only <h1>; a "# heading" in the body becomes an <h2>.
    html = re.sub(r"<(/?)h1\b", r"<\1h2", html)
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=ALLOWED_URL_SCHEMES,
        link_rel="nofollow noopener noreferrer",
    )
