"""Ready for translation: the texts people read are in the catalog, English stays as it was."""

import datetime
import os
import re
import shutil

import pytest
from django.conf import settings
from django.core.management import call_command
from django.test import override_settings
from django.urls import reverse

from browse import timeline
from stories import workflow
from tests import factories

# What makemessages reads: the code and the templates, copied so no file lands in the repo.
SOURCES = ["archive", "browse", "stories", "templates"]


@pytest.fixture(scope="module")
def catalog(tmp_path_factory):
    """The Italian catalog `makemessages -l it` builds from a copy of the project."""
    assert shutil.which("xgettext"), "makemessages needs GNU gettext: run `make test-tools`"
    root = tmp_path_factory.mktemp("project")
    for name in SOURCES:
        shutil.copytree(
            settings.BASE_DIR / name,
            root / name,
            ignore=shutil.ignore_patterns("__pycache__", "fixtures", "migrations"),
        )
    here = os.getcwd()
    os.chdir(root)
    try:
        with override_settings(LOCALE_PATHS=[root / "locale"]):
            call_command("makemessages", locale=["it"], no_wrap=True, verbosity=0)
    finally:
        os.chdir(here)
    return (root / "locale" / "it" / "LC_MESSAGES" / "django.po").read_text()


def entry(catalog, msgid, msgid_plural=None):
    """The catalog's entry for msgid (and its plural), or None."""
    pattern = rf'^msgid "{re.escape(msgid)}"\n'
    if msgid_plural:
        pattern += rf'msgid_plural "{re.escape(msgid_plural)}"\n'
    return re.search(pattern, catalog, re.MULTILINE)


@pytest.mark.parametrize(
    ("msgid", "msgid_plural"),
    [
        # stories/workflow.py: the report of a bulk transition
        ("%(count)s story published", "%(count)s stories published"),
        # browse/timeline.py: a bar's label
        ("%(day)s: %(count)s story", "%(day)s: %(count)s stories"),
        # browse/maps.py: a city's point
        ("%(city)s, %(country)s: %(count)s story", "%(city)s, %(country)s: %(count)s stories"),
        # templates/browse/timeline.html: a {% blocktranslate count %}
        (
            "%(n)s story has no known date and is not on the timeline.",
            "%(n)s stories have no known date and are not on the timeline.",
        ),
    ],
)
def test_plurals_are_in_the_catalog_with_both_forms(catalog, msgid, msgid_plural):
    assert entry(catalog, msgid, msgid_plural)


@pytest.mark.parametrize(
    "msgid",
    [
        "Skip to content",  # templates/base.html
        "Search the stories",  # templates/base.html, a label and a placeholder
        "One or two sentences for lists and feeds.",  # Story.summary's help text
        "In review",  # a Story.Status choice
        "Submit selected stories for review",  # a transition's bulk action
        "Date unknown",  # browse/templatetags/archive.py
        "%(start)s to %(end)s",  # browse/templatetags/archive.py
        "Deleted drafts",  # stories/admin.py and its template
        "Workflow: save the changes above, then",  # templates/admin/stories/story/change_form.html
    ],
)
def test_texts_are_in_the_catalog(catalog, msgid):
    assert entry(catalog, msgid)


def test_catalog_keeps_the_translators_comments(catalog):
    assert "#. Translators: between the clauses of a workflow report" in catalog


def test_english_report_reads_as_before():
    report = workflow.Report(workflow.TRANSITIONS["publish"], moved=[1, 2, 3])
    report.skipped.update({"no title": 1, "no source article": 2})
    assert report.message == (
        "3 stories published; 2 skipped: no source article; 1 skipped: no title"
    )


def test_english_bar_label_reads_as_before():
    bar = timeline.Bar(datetime.date(2020, 3, 14), 1, 0, 0, 1, 1)
    assert bar.label == "Saturday 14 March 2020: 1 story"


@pytest.mark.django_db
def test_a_visitor_asking_for_italian_gets_the_english_page(client):
    """Until there is an Italian catalog, every language falls back to British English."""
    factories.story("A balcony concert", day=datetime.date(2020, 3, 14))
    response = client.get(reverse("browse:list"), headers={"accept-language": "it"})
    html = response.content.decode()
    assert response["Content-Language"] == "en-gb"
    assert '<html lang="en-gb">' in html
    assert "<strong>1 story</strong>." in html
    assert "14 March 2020" in html


@pytest.mark.django_db
def test_admin_keeps_british_date_formats(admin_client):
    """LANGUAGES lists en-gb, not en: plain English would show "March 14, 2020"."""
    factories.story("A balcony concert", day=datetime.date(2020, 3, 14))
    html = admin_client.get(reverse("admin:stories_story_changelist")).content.decode()
    assert "14 Mar 2020" in html
    assert "March 14, 2020" not in html
