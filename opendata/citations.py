"""Citing a story: the text on its page, and BibTeX, RIS and CSL-JSON downloads.

A citation names the story's title, the archive, the story's dates (when the act took
place), the permanent address, when the story was published in the archive, and the day it
was accessed (today, by the server's calendar in UTC; the page's own text is corrected to
the reader's day by static/js/cite.js). The downloads depend on the day, so their ETag holds
it beside the archive's revision.
"""

import json

from django.http import Http404, HttpResponse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.views.decorators.http import condition, require_safe

from browse.caching import MAX_AGE, archive_etag
from stories.models import Story

FORMATS = {
    "bib": ("application/x-bibtex; charset=utf-8", "bib"),
    "ris": ("application/x-research-info-systems; charset=utf-8", "ris"),
    "json": ("application/vnd.citationstyles.csl+json; charset=utf-8", "json"),
}


def archive_name():
    return _("Lockdown Solidarity Archive")


def today():
    return timezone.now().date()


def event_dates(story):
    """The story's dates in words ("14 March 2020", "14 to 15 March 2020"), or None."""
    if story.start_date is None:
        return None
    start = date_format(story.start_date, "j F Y")
    if story.end_date in (None, story.start_date):
        return start
    return _("%(start)s to %(end)s") % {"start": start, "end": date_format(story.end_date, "j F Y")}


# BibTeX (a @misc entry, with biblatex's url and urldate)

BIBTEX_SPECIAL = {
    "\\": r"\textbackslash{}",
    "{": r"\{",
    "}": r"\}",
    "&": r"\&",
    "%": r"\%",
    "$": r"\$",
    "#": r"\#",
    "_": r"\_",
    "^": r"\^{}",
    "~": r"\~{}",
}


def bibtex_text(value):
    return "".join(BIBTEX_SPECIAL.get(char, char) for char in value)


def bibtex(story, url, accessed):
    fields = {
        "title": "{" + bibtex_text(story.title) + "}",  # kept as written (no lower-casing)
        "howpublished": bibtex_text(archive_name()),
        "organization": bibtex_text(archive_name()),
        "year": str(story.published_at.year),
        "url": url,
        "urldate": accessed.isoformat(),
    }
    if dates := event_dates(story):
        fields["note"] = bibtex_text(_("Event of %(dates)s") % {"dates": dates})
    body = ",\n".join(f"  {name} = {{{value}}}" for name, value in fields.items())
    key = "lsa-" + story.slug
    return f"@misc{{{key},\n{body}\n}}\n"


# RIS (a web page, "ELEC")


def ris(story, url, accessed):
    lines = [
        ("TY", "ELEC"),
        ("TI", story.title),
        ("T2", archive_name()),
        ("PB", archive_name()),
        ("PY", str(story.published_at.year)),
        ("UR", url),
        ("Y2", accessed.strftime("%Y/%m/%d")),
    ]
    if story.start_date:
        lines.append(("DA", story.start_date.strftime("%Y/%m/%d")))
    if story.summary:
        lines.append(("AB", " ".join(story.summary.split())))
    lines.append(("KW", story.get_kind_display()))
    lines += [("KW", city.name) for city in story.cities.all()]
    lines.append(("ER", ""))
    return "".join(f"{tag}  - {value}".rstrip() + "\r\n" for tag, value in lines)


# CSL-JSON (what Zotero, Pandoc and citeproc read)


def date_parts(*days):
    return {"date-parts": [[day.year, day.month, day.day] for day in days]}


def csl_json(story, url, accessed):
    item = {
        "id": story.slug,
        "type": "webpage",
        "title": story.title,
        "container-title": archive_name(),
        "publisher": archive_name(),
        "URL": url,
        "issued": date_parts(story.published_at.date()),
        "accessed": date_parts(accessed),
    }
    if story.start_date:
        item["event-date"] = date_parts(story.start_date, story.end_date or story.start_date)
    if story.summary:
        item["abstract"] = story.summary
    return json.dumps([item], ensure_ascii=False, indent=2) + "\n"


WRITERS = {"bib": bibtex, "ris": ris, "json": csl_json}


def citation_etag(request, slug, extension):
    return archive_etag(request)[:-1] + f'-{today().isoformat()}"'


@require_safe
@condition(etag_func=citation_etag)
def citation(request, slug, extension):
    story = Story.objects.published().filter(slug=slug).first()
    if story is None:
        raise Http404(_("No such story."))
    url = request.build_absolute_uri(story.get_absolute_url())
    content_type, suffix = FORMATS[extension]
    response = HttpResponse(WRITERS[extension](story, url, today()), content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{story.slug}.{suffix}"'
    response["Cache-Control"] = f"public, max-age={MAX_AGE}"
    return response
