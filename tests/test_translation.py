"""Ready for translation: the texts people read are in the catalog, English stays as it was."""

import datetime
import os
import re
import shutil

import pytest
from django.apps import apps
from django.conf import settings
from django.core.management import call_command
from django.test import override_settings
from django.urls import reverse
from django.utils.functional import Promise
from simple_history.models import HistoricalChanges

from browse import timeline
from stories import workflow
from stories.models import FacetPending, FacetSpan, FacetTotal, StoryFacet, StorySearchDocument
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
        # stories/interchange/archive.py: the counts export_archive and load_archive report
        ("%(count)s linked post", "%(count)s linked posts"),
        # stories/interchange/ingest.py: import_article's report
        ("%(count)s post already archived", "%(count)s posts already archived"),
        # stories/management/search_index.py: after a bulk load
        ("%(count)s story not searchable yet", "%(count)s stories not searchable yet"),
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


# The archive's own models; django-simple-history derives its Historical* models from them.
# The facet tables (stories/facts.py) and SQLite's search index (stories/search.py) are
# derived rows no person reads or edits: no admin, no form, nothing to label.
STORIES_MODELS = [
    model
    for model in apps.get_app_config("stories").get_models()
    if not issubclass(
        model,
        HistoricalChanges
        | StoryFacet
        | FacetTotal
        | FacetSpan
        | FacetPending
        | StorySearchDocument,
    )
]


def test_the_stories_models_are_all_checked():
    assert {model.__name__ for model in STORIES_MODELS} == {
        "Country",
        "Region",
        "City",
        "Performer",
        "SourceArticle",
        "Story",
        "LinkedPost",
        "LoadRecord",
    }


@pytest.mark.parametrize(
    "field",
    [
        field
        for model in STORIES_MODELS
        for field in model._meta.get_fields()
        # Declared fields, many-to-many and foreign keys included; not the automatic id,
        # nor the reverse side of a relation (labelled on the model that declares it).
        if not field.auto_created
    ],
    ids=str,
)
def test_every_field_has_a_translatable_label(field):
    """A label Django derives from the attribute name is a plain str: it never reaches the
    catalog. An explicit gettext_lazy label is a lazy Promise."""
    assert isinstance(field.verbose_name, Promise)


@pytest.mark.parametrize("model", STORIES_MODELS, ids=lambda model: model.__name__)
def test_every_model_has_translatable_names(model):
    """Both given in Meta: a derived plural is the singular with an English "s" added."""
    assert isinstance(model._meta.original_attrs.get("verbose_name"), Promise)
    assert isinstance(model._meta.original_attrs.get("verbose_name_plural"), Promise)


@pytest.mark.django_db
def test_story_form_labels_read_as_before(admin_client):
    html = admin_client.get(reverse("admin:stories_story_add")).content.decode()
    labels = {
        re.sub(r"<[^>]+>", "", text).strip().removesuffix(":")
        for text in re.findall(r"<label[^>]*>(.*?)</label>", html, re.DOTALL)
    }
    # The story's own fields, a many-to-many, a read-only field, and the posts inline.
    expected = {"Title", "Start date", "End date", "Cities", "Status", "Curator notes"}
    expected |= {"Author name", "Posted on", "Media link", "Reach count"}
    assert expected <= labels
