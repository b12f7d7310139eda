"""Every admin page a curator can reach, for every role and every story status, as tables.

Each table below reads like the permission documentation it is: a row per role, a column per
story status (or per page, for the other models), and in each cell the exact outcome. A cell
is one test; the archive they run against is built once for the module (like
`setUpTestData`) and each test's changes are rolled back.

Roles: a superuser; a member of Editors; the Contributor who wrote the stories; another
Contributor; a staff user in no group; an anonymous visitor. Stories: one per status, built
through the admin as curators build them (created, edited, submitted, published, edited,
withdrawn, reopened), plus a draft reopened after publication, which keeps the rules of a
story once published (never deleted, its address never moves).

Contributors work together on every draft and story in review, whoever wrote it: the rules
(stories/workflow.py) do not depend on the author, and the two Contributor rows say so.
"""

import re

import pytest
from django.contrib.auth.models import Group, User
from django.contrib.messages import get_messages
from django.db import transaction
from django.forms.models import model_to_dict
from django.test import Client, override_settings
from django.urls import reverse

from stories.history import m2m_values
from stories.models import (
    City,
    Country,
    LinkedPost,
    LoadRecord,
    Performer,
    Region,
    SourceArticle,
    Story,
)
from tests import factories
from tests.factories import story_form

pytestmark = pytest.mark.django_db

Status = Story.Status
ROLES = ["superuser", "editor", "author", "other", "no_group", "anonymous"]
STATES = ["draft", "review", "published", "withdrawn", "reopened"]


def grid(text):
    """A table written as text: the first line names the columns, each other line starts
    with a row name. Returns {(row, column): cell}."""
    header, *rows = (line.split() for line in text.strip().splitlines() if line.strip())
    return {
        (row, column): cell
        for row, *cells in rows
        for column, cell in zip(header, cells, strict=True)
    }


# The archive ---------------------------------------------------------------------------------

# Each story's versions, oldest first: (what the history list's "Comment" says, the reason).
VERSIONS = {
    "draft": [("Created", ""), ("Changed", "")],
    "review": [("Created", ""), ("Changed", ""), ("Changed", "Submitted for review")],
    "published": [
        ("Created", ""),
        ("Changed", ""),
        ("Changed", "Submitted for review"),
        ("Changed", "Published"),
        ("Changed", ""),
    ],
    "withdrawn": [
        ("Created", ""),
        ("Changed", ""),
        ("Changed", "Submitted for review"),
        ("Changed", "Published"),
        ("Changed", ""),
        ("Changed", "Withdrawn"),
    ],
    "reopened": [
        ("Created", ""),
        ("Changed", ""),
        ("Changed", "Submitted for review"),
        ("Changed", "Published"),
        ("Changed", ""),
        ("Changed", "Withdrawn"),
        ("Changed", "Reopened as draft"),
    ],
}
# The workflow steps after the author's first edit, and who takes them.
STEPS = [
    ("author", "submit"),
    ("editor", "publish"),
    ("editor", "edit"),
    ("editor", "withdraw"),
    ("editor", "reopen"),
]
STATUS = {
    "draft": Status.DRAFT,
    "review": Status.IN_REVIEW,
    "published": Status.PUBLISHED,
    "withdrawn": Status.WITHDRAWN,
    "reopened": Status.DRAFT,
}


def make_user(name):
    if name == "superuser":
        return User.objects.create_superuser("superuser")
    group = {"editor": "Editors", "author": "Contributors", "other": "Contributors"}.get(name)
    user = User.objects.create_user(name, is_staff=True)
    if group:
        user.groups.add(Group.objects.get(name=group))
    return user


def login(user):
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def build_story(state, clients, florence, source):
    """A story taken through the admin, step by step, as far as `state`."""
    add = clients["author"].post(
        reverse("admin:stories_story_add"),
        story_form(
            Story(title=f"The {state} story, first draft", slug=f"{state}-first-draft"),
            cities=[florence.pk],
            sources=[source.pk],
        ),
    )
    assert add.status_code == 302, add.context["adminform"].form.errors
    story = Story.objects.get(slug=f"{state}-first-draft")
    change = reverse("admin:stories_story_change", args=[story.pk])
    edit = clients["author"].post(
        change, story_form(story, title=f"The {state} story", slug=state, summary="Balconies.")
    )
    assert edit.status_code == 302
    for who, step in STEPS[: len(VERSIONS[state]) - 2]:
        story.refresh_from_db()
        if step == "edit":
            data = story_form(story, title=f"The {state} story, corrected")
        else:
            data = story_form(story, _transition=step)
        assert clients[who].post(change, data).status_code == 302
    story.refresh_from_db()
    assert story.status == STATUS[state]
    return story


def build_archive():
    users = {name: make_user(name) for name in ROLES if name != "anonymous"}
    clients = {name: login(user) for name, user in users.items()}
    objects = {}
    # Every other model with two versions: as created, then edited.
    for key, obj, field, edited in [
        ("country", Country(code="IT", name="Italia"), "name", "Italy"),
        ("region", Region(name="Sicilia", slug="sicily"), "name", "Sicily"),
        ("city", City(name="Firenze", slug="florence"), "name", "Florence"),
        ("performer", Performer(name="M. Marchini", slug="marchini"), "name", "Maurizio Marchini"),
        (
            "sourcearticle",
            SourceArticle(slug="article-2020-03-16", title="Untitled"),
            "title",
            "Lockdown solidarity",
        ),
    ]:
        if key in ("region", "city"):
            obj.country = objects["country"]
        obj.save()
        setattr(obj, field, edited)
        obj.save()
        objects[key] = obj
    stories = {
        state: build_story(state, clients, objects["city"], objects["sourcearticle"])
        for state in STATES
    }
    for key, state in [("post_of_draft", "draft"), ("post_of_published", "published")]:
        post = factories.post(stories[state], url=f"https://twitter.com/{key}/status/1")
        post.handle = f"{key}_edited"
        post.save()
        objects[key] = post
    objects["loadrecord"] = LoadRecord.objects.create(
        command="load_archive",
        source="/srv/archive.jsonl",
        started_at="2026-11-30T12:00:00Z",
        finished_at="2026-11-30T12:01:20Z",
    )
    return users, stories, objects


@pytest.fixture(scope="module")
def archive(django_db_setup, django_db_blocker):
    """Built once for the module, in a transaction rolled back at its end; each test runs in
    a savepoint inside it (pytest-django's `db`), so its changes vanish with it."""
    plain_static = {
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    with (
        django_db_blocker.unblock(),
        override_settings(
            STORAGES=plain_static,
            PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],
        ),
        transaction.atomic(),
    ):
        yield build_archive()
        transaction.set_rollback(True)


@pytest.fixture
def users(archive):
    return archive[0]


@pytest.fixture
def stories(archive):
    return archive[1]


@pytest.fixture
def objects(archive):
    return archive[2]


def client_for(role, users):
    return login(users.get(role))


def versions(story):
    return list(Story.history.filter(id=story.pk).order_by("history_date", "history_id"))


def text(response):
    return response.content.decode()


def assert_login_redirect(response, url):
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('admin:login')}?next={url}"


def assert_refused(response, outcome, url):
    if outcome == "login":
        assert_login_redirect(response, url)
    else:
        assert outcome == "403"
        assert response.status_code == 403


def test_each_story_has_the_versions_the_tables_name(stories, users):
    for state, story in stories.items():
        recorded = [
            (v.get_history_type_display(), v.history_change_reason or "") for v in versions(story)
        ]
        assert recorded == VERSIONS[state], state
        assert versions(story)[0].history_user == users["author"]


# Stories: the list, the change form ----------------------------------------------------------

STORY_LIST = grid("""
             draft   review  published  withdrawn  reopened
superuser    listed  listed  listed     listed     listed
editor       listed  listed  listed     listed     listed
author       listed  listed  listed     listed     listed
other        listed  listed  listed     listed     listed
no_group     403     403     403        403        403
anonymous    login   login   login      login      login
""")


@pytest.mark.parametrize(("role", "state"), STORY_LIST)
def test_story_list(role, state, users, stories):
    url = reverse("admin:stories_story_changelist")
    response = client_for(role, users).get(url)
    outcome = STORY_LIST[role, state]
    if outcome != "listed":
        return assert_refused(response, outcome, url)
    assert response.status_code == 200
    change = reverse("admin:stories_story_change", args=[stories[state].pk])
    assert f'href="{change}"' in text(response)


# "edit": the form with inputs and these workflow buttons; "view": read-only, no buttons.
STORY_FORM = grid("""
             draft          review                 published       withdrawn      reopened
superuser    submit,publish return_to_draft,publish withdraw        reopen         submit,publish
editor       submit,publish return_to_draft,publish withdraw        reopen         submit,publish
author       submit         return_to_draft        view            view           submit
other        submit         return_to_draft        view            view           submit
no_group     403            403                    403             403            403
anonymous    login          login                  login           login          login
""")


@pytest.mark.parametrize(("role", "state"), STORY_FORM)
def test_story_change_form(role, state, users, stories):
    story = stories[state]
    url = reverse("admin:stories_story_change", args=[story.pk])
    response = client_for(role, users).get(url)
    outcome = STORY_FORM[role, state]
    if outcome in ("403", "login"):
        return assert_refused(response, outcome, url)
    assert response.status_code == 200
    page = text(response)
    assert story.title in page
    buttons = re.findall(r'name="_transition" value="(\w+)"', page)
    if outcome == "view":
        assert 'name="title"' not in page
        assert buttons == []
    else:
        assert 'name="title"' in page
        assert buttons == outcome.split(",")
    # The address of a story that has been public is read-only, for everyone.
    assert ('name="slug"' in page) == (outcome != "view" and state in ("draft", "review"))


# Saving the form as it is: "saved" goes back to the list, changes nothing, adds no version.
STORY_SAVE = grid("""
             draft   review  published  withdrawn  reopened
superuser    saved   saved   saved      saved      saved
editor       saved   saved   saved      saved      saved
author       saved   saved   403        403        saved
other        saved   saved   403        403        saved
no_group     403     403     403        403        403
anonymous    login   login   login      login      login
""")


@pytest.mark.parametrize(("role", "state"), STORY_SAVE)
def test_story_saved_without_changes(role, state, users, stories):
    story = stories[state]
    before = versions(story)
    url = reverse("admin:stories_story_change", args=[story.pk])
    response = client_for(role, users).post(url, story_form(story))
    outcome = STORY_SAVE[role, state]
    if outcome == "saved":
        assert response.status_code == 302
        assert response["Location"] == reverse("admin:stories_story_changelist")
    else:
        assert_refused(response, outcome, url)
    after = Story.objects.get(pk=story.pk)
    assert (after.title, after.slug, after.status) == (story.title, story.slug, story.status)
    assert versions(story) == before


# Changing the title and the address: "saved" takes the title; the address follows only for a
# story never published.
STORY_EDIT = STORY_SAVE


@pytest.mark.parametrize(("role", "state"), STORY_EDIT)
def test_story_edited(role, state, users, stories):
    story = stories[state]
    url = reverse("admin:stories_story_change", args=[story.pk])
    data = story_form(story, title="Retitled", slug="moved")
    response = client_for(role, users).post(url, data)
    outcome = STORY_EDIT[role, state]
    after = Story.objects.get(pk=story.pk)
    if outcome == "saved":
        assert response.status_code == 302
        never_published = state in ("draft", "review")
        assert (after.title, after.slug) == ("Retitled", "moved" if never_published else state)
        assert after.status == story.status
        latest = versions(story)[-1]
        assert (latest.title, latest.history_user) == ("Retitled", users[role])
    else:
        assert_refused(response, outcome, url)
        assert (after.title, after.slug) == (story.title, story.slug)


# Each workflow button, pressed (or its POST made by hand) on each story: "moved" to the
# status named; "skipped" back on the form with the reason and the status unchanged.
TRANSITIONS = {
    "submit": grid("""
             draft         review   published  withdrawn  reopened
superuser    moved:review  skipped  skipped    skipped    moved:review
editor       moved:review  skipped  skipped    skipped    moved:review
author       moved:review  skipped  403        403        moved:review
other        moved:review  skipped  403        403        moved:review
no_group     403           403      403        403        403
anonymous    login         login    login      login      login
"""),
    "return_to_draft": grid("""
             draft    review       published  withdrawn  reopened
superuser    skipped  moved:draft  skipped    skipped    skipped
editor       skipped  moved:draft  skipped    skipped    skipped
author       skipped  moved:draft  403        403        skipped
other        skipped  moved:draft  403        403        skipped
no_group     403      403          403        403        403
anonymous    login    login        login      login      login
"""),
    "publish": grid("""
             draft            review           published  withdrawn  reopened
superuser    moved:published  moved:published  skipped    skipped    moved:published
editor       moved:published  moved:published  skipped    skipped    moved:published
author       403              403              403        403        403
other        403              403              403        403        403
no_group     403              403              403        403        403
anonymous    login            login            login      login      login
"""),
    "withdraw": grid("""
             draft    review   published        withdrawn  reopened
superuser    skipped  skipped  moved:withdrawn  skipped    skipped
editor       skipped  skipped  moved:withdrawn  skipped    skipped
author       403      403      403              403        403
other        403      403      403              403        403
no_group     403      403      403              403        403
anonymous    login    login    login            login      login
"""),
    "reopen": grid("""
             draft    review   published  withdrawn    reopened
superuser    skipped  skipped  skipped    moved:draft  skipped
editor       skipped  skipped  skipped    moved:draft  skipped
author       403      403      403        403          403
other        403      403      403        403          403
no_group     403      403      403        403          403
anonymous    login    login    login      login        login
"""),
}


@pytest.mark.parametrize(
    ("transition", "role", "state"),
    [(name, role, state) for name, table in TRANSITIONS.items() for role, state in table],
)
def test_story_workflow_button(transition, role, state, users, stories):
    story = stories[state]
    url = reverse("admin:stories_story_change", args=[story.pk])
    client = client_for(role, users)
    response = client.post(url, story_form(story, _transition=transition))
    outcome = TRANSITIONS[transition][role, state]
    after = Story.objects.get(pk=story.pk)
    if outcome in ("403", "login"):
        assert_refused(response, outcome, url)
        assert after.status == story.status
        return
    assert response.status_code == 302
    assert response["Location"] == url
    message = " ".join(str(m) for m in get_messages(response.wsgi_request))
    if outcome == "skipped":
        assert after.status == story.status
        assert "1 skipped" in message
    else:
        assert after.status == outcome.removeprefix("moved:")
        assert f"“{story.title}” saved. 1 stor" in message
        latest = versions(story)[-1]
        assert (latest.status, latest.history_user) == (after.status, users[role])
    # A story published once keeps its first publication time; a button never deletes it.
    assert after.published_at == story.published_at or story.published_at is None


# Stories: history, each version, revert --------------------------------------------------------

HISTORY = grid("""
             draft   review  published  withdrawn  reopened
superuser    listed  listed  listed     listed     listed
editor       listed  listed  listed     listed     listed
author       listed  listed  listed     listed     listed
other        listed  listed  listed     listed     listed
no_group     403     403     403        403        403
anonymous    login   login   login      login      login
""")


@pytest.mark.parametrize(("role", "state"), HISTORY)
def test_story_history_list(role, state, users, stories):
    story = stories[state]
    url = reverse("admin:stories_story_history", args=[story.pk])
    response = client_for(role, users).get(url)
    outcome = HISTORY[role, state]
    if outcome != "listed":
        return assert_refused(response, outcome, url)
    assert response.status_code == 200
    page = text(response)
    for version in versions(story):
        link = reverse("admin:stories_story_simple_history", args=[story.pk, version.history_id])
        assert f'href="{link}"' in page
    # Who made each version, and why; never a bare "None".
    assert "<td>author</td>" in page
    assert not re.search(r"<td>\s*None\s*</td>", page)
    for _comment, reason in VERSIONS[state]:
        assert reason in page


# A version's page: "revert" shows the form with the Revert button, "view" shows it read-only.
VERSION_PAGE = grid("""
             draft   review  published  withdrawn  reopened
superuser    revert  revert  revert     revert     revert
editor       revert  revert  revert     revert     revert
author       revert  revert  view       view       revert
other        revert  revert  view       view       revert
no_group     403     403     403        403        403
anonymous    login   login   login      login      login
""")


@pytest.mark.parametrize(
    ("role", "state", "index"),
    [(role, state, n) for role, state in VERSION_PAGE for n in range(len(VERSIONS[state]))],
)
def test_story_version_page(role, state, index, users, stories):
    story = stories[state]
    version = versions(story)[index]
    url = reverse("admin:stories_story_simple_history", args=[story.pk, version.history_id])
    response = client_for(role, users).get(url)
    outcome = VERSION_PAGE[role, state]
    if outcome in ("403", "login"):
        return assert_refused(response, outcome, url)
    assert response.status_code == 200
    page = text(response)
    assert f'value="{version.title}"' in page or f'<div class="readonly">{version.title}' in page
    assert ('name="_save"' in page) == (outcome == "revert")
    if outcome == "revert":
        assert "Reverting restores this version" in page
        assert f"The story stays “{story.get_status_display()}”" in page


# Reverting to the first version (another title and address): "restored" takes its title, and
# its address only where the story was never published; the status never changes.
REVERT = grid("""
             draft     review    published  withdrawn  reopened
superuser    restored  restored  restored   restored   restored
editor       restored  restored  restored   restored   restored
author       restored  restored  403        403        restored
other        restored  restored  403        403        restored
no_group     403       403       403        403        403
anonymous    login     login     login      login      login
""")


def revert_data(version):
    """What the version page's form posts: the old values, the old places and sources."""
    return story_form(version.instance, **m2m_values(version), _save="Revert")


@pytest.mark.parametrize(("role", "state"), REVERT)
def test_story_revert(role, state, users, stories):
    story = stories[state]
    first = versions(story)[0]
    url = reverse("admin:stories_story_simple_history", args=[story.pk, first.history_id])
    response = client_for(role, users).post(url, revert_data(first))
    outcome = REVERT[role, state]
    after = Story.objects.get(pk=story.pk)
    if outcome != "restored":
        assert_refused(response, outcome, url)
        assert (after.title, after.slug) == (story.title, story.slug)
        return
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:stories_story_change", args=[story.pk])
    never_published = state in ("draft", "review")
    assert after.title == f"The {state} story, first draft"
    assert after.slug == (f"{state}-first-draft" if never_published else state)
    assert (after.status, after.published_at) == (story.status, story.published_at)
    latest = versions(story)[-1]
    assert latest.history_change_reason.startswith("Restored the version of ")
    assert (latest.title, latest.slug, latest.history_user) == (
        after.title,
        after.slug,
        users[role],
    )


# Stories: deleting -------------------------------------------------------------------------------

# "confirm": the confirmation page; "deleted": gone after the POST. A story that has ever been
# published (published, withdrawn, reopened) is never deleted, by anyone.
DELETE = grid("""
             draft    review   published  withdrawn  reopened
superuser    deleted  deleted  403        403        403
editor       deleted  deleted  403        403        403
author       deleted  deleted  403        403        403
other        deleted  deleted  403        403        403
no_group     403      403      403        403        403
anonymous    login    login    login      login      login
""")


@pytest.mark.parametrize(("role", "state"), DELETE)
def test_story_delete_confirmation(role, state, users, stories):
    story = stories[state]
    url = reverse("admin:stories_story_delete", args=[story.pk])
    response = client_for(role, users).get(url)
    outcome = DELETE[role, state]
    if outcome != "deleted":
        return assert_refused(response, outcome, url)
    assert response.status_code == 200
    assert "Are you sure you want to delete the story" in text(response)


@pytest.mark.parametrize(("role", "state"), DELETE)
def test_story_delete(role, state, users, stories):
    story = stories[state]
    url = reverse("admin:stories_story_delete", args=[story.pk])
    response = client_for(role, users).post(url, {"post": "yes"})
    outcome = DELETE[role, state]
    exists = Story.objects.filter(pk=story.pk).exists()
    if outcome != "deleted":
        assert_refused(response, outcome, url)
        assert exists
        return
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:stories_story_changelist")
    assert not exists


# Every other model ---------------------------------------------------------------------------

# Columns: the list; the add form and its POST; the change form and its POST; the history
# list; each version's page; reverting to the first version; the delete confirmation and its
# POST. "listed": 200 with the object in it; "form": an editable form; "view": read-only;
# "saved"/"created"/"restored"/"deleted": the POST did it and redirected; "protected": the
# confirmation names what protects the object and the POST deletes nothing; "revert"/"view"
# on version pages as for stories; "-": the page does not exist.
PAGES = ["list", "add", "add_post", "change", "change_post", "history", "versions", "revert",
         "delete", "delete_post"]  # fmt: skip
HEADER = "          " + " ".join(PAGES)
ALL_REFUSED = """
no_group    403    403   403   403   403   403   403    403   403   403
anonymous   login  login login login login login login  login login login
"""
EDITORIAL = """
superuser   listed form  created form saved listed revert restored confirm deleted
editor      listed form  created form saved listed revert restored confirm deleted
"""
READ_ONLY = """
author      listed 403   403     view 403   listed view   403      403     403
other       listed 403   403     view 403   listed view   403      403     403
"""
MAY_ADD = """
author      listed form  created view 403   listed view   403      403     403
other       listed form  created view 403   listed view   403      403     403
"""
MODEL_PAGES = {
    "country": grid(
        HEADER
        + """
superuser   listed form  created form saved listed revert restored protected protected
editor      listed form  created form saved listed revert restored protected protected
"""
        + READ_ONLY
        + ALL_REFUSED
    ),
    "region": grid(HEADER + EDITORIAL + READ_ONLY + ALL_REFUSED),
    "city": grid(HEADER + EDITORIAL + READ_ONLY + ALL_REFUSED),
    "performer": grid(HEADER + EDITORIAL + MAY_ADD + ALL_REFUSED),
    # Every story cites the source, published ones among them: kept with them, deleted by nobody.
    "sourcearticle": grid(
        HEADER
        + """
superuser   listed form  created form saved listed revert restored protected protected
editor      listed form  created form saved listed revert restored protected protected
"""
        + MAY_ADD
        + ALL_REFUSED
    ),
    "post_of_draft": grid(
        HEADER
        + EDITORIAL
        + """
author      listed form  created form saved listed revert restored confirm deleted
other       listed form  created form saved listed revert restored confirm deleted
"""
        + ALL_REFUSED
    ),
    # A Contributor may add posts, but only to stories still open to them.
    "post_of_published": grid(
        HEADER
        + EDITORIAL
        + """
author      listed form  refused view 403   listed view   403      403     403
other       listed form  refused view 403   listed view   403      403     403
"""
        + ALL_REFUSED
    ),
    # Written by the bulk-load commands; only a superuser reads them, nobody edits them.
    "loadrecord": grid(
        HEADER
        + """
superuser   listed 403   403     view 403   listed -      -        403     403
editor      403    403   403     403  403   403    -      -        403     403
author      403    403   403     403  403   403    -      -        403     403
other       403    403   403     403  403   403    -      -        403     403
no_group    403    403   403     403  403   403    -      -        403     403
anonymous   login  login login   login login login -      -        login   login
"""
    ),
}
MODELS = {
    "country": Country,
    "region": Region,
    "city": City,
    "performer": Performer,
    "sourcearticle": SourceArticle,
    "post_of_draft": LinkedPost,
    "post_of_published": LinkedPost,
    "loadrecord": LoadRecord,
}
# The field each test edits, and the value its first version had.
LABEL = {
    "country": ("name", "Italia"),
    "region": ("name", "Sicilia"),
    "city": ("name", "Firenze"),
    "performer": ("name", "M. Marchini"),
    "sourcearticle": ("title", "Untitled"),
    "post_of_draft": ("handle", ""),
    "post_of_published": ("handle", ""),
    "loadrecord": ("source", None),
}


def form_data(obj, **changes):
    """The admin form's fields for `obj`, as a browser posts them."""
    data = {}
    for name, value in {**model_to_dict(obj, exclude=["id", "counts"]), **changes}.items():
        if value is None:
            value = ""
        if value is False:
            continue
        data[name] = "on" if value is True else value
    return data


def new_object(key, objects, stories):
    """An object of this kind not yet in the archive, as the add form would create it."""
    return {
        "country": Country(code="FR", name="France"),
        "region": Region(name="Tuscany", slug="tuscany", country=objects["country"]),
        "city": City(name="Turin", slug="turin", country=objects["country"]),
        "performer": Performer(name="Balcony choir", slug="balcony-choir"),
        "sourcearticle": SourceArticle(slug="article-2020-03-17", title="More balconies"),
        "post_of_draft": LinkedPost(story=stories["draft"], position=2, handle="new_post"),
        "post_of_published": LinkedPost(story=stories["published"], position=2, handle="new_post"),
        "loadrecord": LoadRecord(command="load_archive", source="/srv/b.jsonl"),
    }[key]


def url_of(key, page, obj):
    name = MODELS[key]._meta.model_name
    if page == "list":
        return reverse(f"admin:stories_{name}_changelist")
    if page in ("add", "add_post"):
        return reverse(f"admin:stories_{name}_add")
    if page in ("change", "change_post"):
        return reverse(f"admin:stories_{name}_change", args=[obj.pk])
    if page == "history":
        return reverse(f"admin:stories_{name}_history", args=[obj.pk])
    return reverse(f"admin:stories_{name}_delete", args=[obj.pk])


def version_url(key, obj, version):
    name = MODELS[key]._meta.model_name
    return reverse(f"admin:stories_{name}_simple_history", args=[obj.pk, version.history_id])


@pytest.mark.parametrize(
    ("key", "role", "page"),
    [
        (key, role, page)
        for key, table in MODEL_PAGES.items()
        for role, page in table
        if table[role, page] != "-"
    ],
)
def test_model_page(key, role, page, users, objects, stories):
    model = MODELS[key]
    obj = model.objects.get(pk=objects[key].pk)
    outcome = MODEL_PAGES[key][role, page]
    client = client_for(role, users)
    field, first_value = LABEL[key]
    count = model.objects.count()

    if page in ("versions", "revert"):
        history = list(model.history.filter(id=obj.pk).order_by("history_date", "history_id"))
        assert len(history) == 2
        if page == "versions":
            for version in history:
                url = version_url(key, obj, version)
                response = client.get(url)
                if outcome in ("403", "login"):
                    assert_refused(response, outcome, url)
                    continue
                assert response.status_code == 200
                assert ('name="_save"' in text(response)) == (outcome == "revert")
            return
        url = version_url(key, obj, history[0])
        response = client.post(url, {**form_data(history[0].instance), "_save": "Revert"})
        obj.refresh_from_db()
        if outcome == "restored":
            assert response.status_code == 302
            assert response["Location"] == url_of(key, "change", obj)
            assert getattr(obj, field) == first_value
        else:
            assert_refused(response, outcome, url)
            assert getattr(obj, field) == getattr(objects[key], field)
        return

    url = url_of(key, page, obj)
    if page == "add_post":
        new = new_object(key, objects, stories)
        response = client.post(url, form_data(new))
        if outcome == "created":
            assert response.status_code == 302
            assert model.objects.count() == count + 1
        elif outcome == "refused":
            assert response.status_code == 200
            assert "Select a valid choice" in text(response)
            assert model.objects.count() == count
        else:
            assert_refused(response, outcome, url)
            assert model.objects.count() == count
        return
    if page == "change_post":
        response = client.post(url, form_data(obj, **{field: "Changed by hand"}))
        obj.refresh_from_db()
        if outcome == "saved":
            assert response.status_code == 302
            assert getattr(obj, field) == "Changed by hand"
        else:
            assert_refused(response, outcome, url)
            assert getattr(obj, field) == getattr(objects[key], field)
        return
    if page == "delete_post":
        response = client.post(url, {"post": "yes"})
        exists = model.objects.filter(pk=obj.pk).exists()
        if outcome == "deleted":
            assert response.status_code == 302
            assert not exists
        elif outcome == "protected":
            assert response.status_code == 200
            assert "would require deleting the following protected related objects" in text(
                response
            )
            assert exists
        else:
            assert_refused(response, outcome, url)
            assert exists
        return

    response = client.get(url)
    if outcome in ("403", "login"):
        return assert_refused(response, outcome, url)
    assert response.status_code == 200
    page_text = text(response)
    if outcome == "listed":
        change = reverse(f"admin:stories_{model._meta.model_name}_change", args=[obj.pk])
        assert f'href="{change}"' in page_text
    elif outcome == "form":
        assert f'name="{field}"' in page_text
    elif outcome == "view":
        assert f'name="{field}"' not in page_text
        assert str(getattr(obj, field)) in page_text
    elif outcome == "confirm":
        assert "Are you sure you want to delete" in page_text
    elif outcome == "protected":
        assert "would require deleting the following protected related objects" in page_text
        assert 'name="post"' not in page_text  # no confirm button
    else:
        raise AssertionError(f"unknown outcome {outcome}")


def test_the_admin_is_named_after_the_archive(client, admin_client):
    for page in (client.get("/admin/login/"), admin_client.get("/admin/")):
        html = page.content.decode()
        assert "Django administration" not in html and "Django site admin" not in html
        assert "Lockdown Solidarity Archive" in html
