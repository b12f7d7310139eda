"""Reading the story list as a visitor sees it, for tests of the surfaces that must list the
same stories (downloads, the API)."""

from django.urls import reverse


def listed_slugs(client, query=""):
    """The slugs of the stories the list page shows for `query`, in its order."""
    html = client.get(reverse("browse:list") + query).content.decode()
    start = html.index('<section class="results"')
    section = html[start : html.index("</section>", start)]
    return [
        part.split("/", 1)[0]
        for part in section.split('href="/stories/')[1:]
        if not part.startswith("?")
    ]
