"""Withdrawn stories answer 410 and leave every public page; drafts are previews for staff."""

import pytest
from django.urls import reverse

from stories.models import City, Country, LinkedPost, Performer, Region, SourceArticle, Story
from tests import factories

pytestmark = pytest.mark.django_db

Status = Story.Status


@pytest.fixture
def withdrawn():
    return factories.story(
        "Withdrawn aria",
        status=Status.WITHDRAWN,
        cities=[factories.city("Florence")],
        performers=[factories.performer("Maurizio Marchini")],
    )


def test_withdrawn_story_url_answers_410_with_a_notice(client, withdrawn):
    response = client.get(withdrawn.get_absolute_url())
    assert response.status_code == 410
    assert "This story has been withdrawn" in response.text
    assert "Withdrawn aria" not in response.text


def test_withdrawn_story_is_gone_for_staff_too(admin_client, withdrawn):
    assert admin_client.get(withdrawn.get_absolute_url()).status_code == 410


def test_withdrawn_story_leaves_the_home_page(client, withdrawn):
    factories.story("Still public")
    response = client.get(reverse("browse:home"))
    assert "Still public" in response.text
    assert "Withdrawn aria" not in response.text


def test_withdrawn_story_leaves_its_city_page(client, withdrawn):
    factories.story("Still public", cities=[factories.city("Florence")])
    response = client.get(reverse("browse:city", args=["florence"]))
    assert response.status_code == 200
    assert "Still public" in response.text
    assert "Withdrawn aria" not in response.text


def test_withdrawn_story_leaves_its_performer_page(client, withdrawn):
    factories.story("Still public", performers=[factories.performer("Maurizio Marchini")])
    response = client.get(reverse("browse:performer", args=["maurizio-marchini"]))
    assert response.status_code == 200
    assert "Still public" in response.text
    assert "Withdrawn aria" not in response.text


@pytest.mark.parametrize("status", [Status.DRAFT, Status.IN_REVIEW])
def test_staff_can_preview_an_unpublished_story(client, status):
    story = factories.story("Not yet public", status=status)
    client.force_login(factories.user("contributor", group="Contributors"))
    response = client.get(story.get_absolute_url())
    assert response.status_code == 200
    assert "Preview." in response.text
    assert "Not yet public" in response.text
    assert "no-cache" in response["Cache-Control"]


def test_anonymous_visitor_gets_404_for_a_draft(client):
    story = factories.story("Not yet public", status=Status.DRAFT)
    assert client.get(story.get_absolute_url()).status_code == 404


def test_logged_in_non_staff_user_gets_404_for_a_draft(client):
    story = factories.story("Not yet public", status=Status.DRAFT)
    client.force_login(factories.user("reader", is_staff=False))
    assert client.get(story.get_absolute_url()).status_code == 404


def test_unknown_story_gives_404(client):
    assert client.get(reverse("browse:story", args=["no-such-story"])).status_code == 404


def test_published_story_page_does_not_vary_on_the_cookie(client):
    story = factories.story("Public")
    response = client.get(story.get_absolute_url())
    assert response.status_code == 200
    assert "Cookie" not in response.get("Vary", "")


def test_withdrawn_story_notice_does_not_vary_on_the_cookie(client, withdrawn):
    assert "Cookie" not in client.get(withdrawn.get_absolute_url()).get("Vary", "")


def test_published_story_without_date_or_place_says_they_are_unknown(client):
    story = factories.story("The rooftop trainer")
    response = client.get(story.get_absolute_url())
    assert "Date unknown" in response.text
    assert "Place unknown" in response.text


@pytest.mark.parametrize("status", [Status.DRAFT, Status.IN_REVIEW, Status.WITHDRAWN])
def test_unpublished_story_is_not_on_the_home_page(client, status):
    factories.story("Visible story")
    factories.story("Hidden story", status=status)
    html = client.get(reverse("browse:home")).content.decode()
    assert "Visible story" in html
    assert "Hidden story" not in html


@pytest.mark.parametrize("status", [Status.DRAFT, Status.IN_REVIEW])
def test_unpublished_story_page_gives_404_to_visitors(client, status):
    story = factories.story("Hidden story", status=status)
    assert client.get(story.get_absolute_url()).status_code == 404


def test_staff_preview_is_never_cached(admin_client):
    story = factories.story("Draft aria", status=Status.DRAFT)
    response = admin_client.get(story.get_absolute_url())
    assert response.status_code == 200
    assert "public" not in response["Cache-Control"]
    assert "no-store" in response["Cache-Control"]


# Places and performers: public only while a published story links them (issue 10).

UNPUBLISHED = [Status.DRAFT, Status.IN_REVIEW, Status.WITHDRAWN]


def hidden_story(status, **links):
    """A story in `status` that alone links a city in its own country, a region and a
    performer, all with names no page may show."""
    unseen = factories.country("QM", name="Unseenland")
    return factories.story(
        "Hidden story",
        status=status,
        cities=[factories.city("Hiddenville", "QM", region=factories.region("Hiddenshire", "QM"))],
        performers=[factories.performer("Secret Singer")],
        countries=[unseen],
        **links,
    )


def as_for_a_missing_slug(client, url, missing_url):
    """The response to `url`, asserted to be the one a slug that does not exist gets."""
    response, missing = client.get(url), client.get(missing_url)
    assert response.status_code == missing.status_code
    assert response.text == missing.text
    assert response.get("Vary") == missing.get("Vary")
    return response


@pytest.mark.parametrize("status", UNPUBLISHED)
def test_city_only_unpublished_stories_name_is_not_found(client, status):
    hidden_story(status)
    response = as_for_a_missing_slug(
        client, reverse("browse:city", args=["hiddenville"]), "/cities/no-such-city/"
    )
    assert response.status_code == 404
    assert "Hiddenville" not in response.text
    assert "Unseenland" not in response.text


@pytest.mark.parametrize("status", UNPUBLISHED)
def test_performer_only_unpublished_stories_name_is_not_found(client, status):
    hidden_story(status)
    response = as_for_a_missing_slug(
        client, reverse("browse:performer", args=["secret-singer"]), "/performers/nobody/"
    )
    assert response.status_code == 404
    assert "Secret Singer" not in response.text


def test_performer_a_contributor_created_without_a_story_is_not_found(client):
    factories.performer("Unreviewed Name")
    response = client.get(reverse("browse:performer", args=["unreviewed-name"]))
    assert response.status_code == 404
    assert "Unreviewed Name" not in response.text


def test_city_is_public_once_one_published_story_is_in_it(client):
    hidden_story(Status.DRAFT)
    factories.story("Now public", cities=[factories.city("Hiddenville", "QM")])
    response = client.get(reverse("browse:city", args=["hiddenville"]))
    assert response.status_code == 200
    assert "Hiddenville" in response.text
    assert "Now public" in response.text
    assert "Hidden story" not in response.text


@pytest.mark.parametrize(
    ("page", "query", "hidden", "missing"),
    [
        ("browse:list", "city", "hiddenville", "nowhere"),
        ("browse:list", "performer", "secret-singer", "nobody-at-all"),
        ("browse:list", "country", "QM", "QX"),
        ("browse:timeline", "performer", "secret-singer", "nobody-at-all"),
        ("browse:timeline", "city", "hiddenville", "nowhere"),
        ("browse:map", "city", "hiddenville", "nowhere"),
        ("browse:map", "country", "QM", "QX"),
    ],
)
@pytest.mark.parametrize("status", UNPUBLISHED)
def test_filter_naming_a_hidden_place_or_performer_is_a_400_as_for_an_unknown_one(
    client, status, page, query, hidden, missing
):
    factories.seed_like()
    hidden_story(status)
    url = reverse(page)
    response = client.get(url, {query: hidden})
    unknown = client.get(url, {query: missing})
    assert response.status_code == unknown.status_code == 400
    assert response.text == unknown.text.replace(missing, hidden)
    assert f"The archive has no {query} “{hidden}”." in response.text
    for name in ("Hiddenville", "Secret Singer", "Unseenland"):
        assert name not in response.text


def test_filter_chip_names_a_visible_city(client):
    factories.seed_like()
    response = client.get(reverse("browse:list"), {"city": "florence"})
    assert response.status_code == 200
    assert "City: Florence" in response.text


@pytest.mark.parametrize("status", UNPUBLISHED)
def test_home_counts_only_what_published_stories_link(client, status):
    factories.seed_like()
    factories.post(hidden_story(status), url="https://twitter.com/hidden/status/1")
    html = client.get(reverse("browse:home")).text
    assert "6 stories" in html
    assert "5 cities" in html
    assert "2 countries" in html
    assert "2 archived posts" in html


@pytest.mark.parametrize("status", UNPUBLISHED)
def test_city_list_and_map_leave_out_hidden_cities(client, status):
    factories.seed_like()
    hidden_story(status)
    for name in ("browse:cities", "browse:map"):
        html = client.get(reverse(name)).text
        assert "Florence" in html
        assert "Hiddenville" not in html
        assert "Unseenland" not in html


def test_published_story_links_only_to_pages_that_answer(client):
    story = factories.story(
        "Public",
        cities=[factories.city("Florence")],
        performers=[factories.performer("Maurizio Marchini")],
    )
    hidden_story(Status.DRAFT, regions=[factories.region("Tuscany")])
    html = client.get(story.get_absolute_url()).text
    for url in (reverse("browse:city", args=["florence"]), "/performers/maurizio-marchini/"):
        assert f'href="{url}"' in html
        assert client.get(url).status_code == 200


def test_preview_of_a_draft_does_not_link_to_pages_not_yet_public(admin_client):
    story = hidden_story(Status.DRAFT)
    html = admin_client.get(story.get_absolute_url()).text
    assert "Hiddenville" in html and "Secret Singer" in html
    assert reverse("browse:city", args=["hiddenville"]) not in html
    assert reverse("browse:performer", args=["secret-singer"]) not in html


@pytest.mark.parametrize("status", [Status.DRAFT, Status.IN_REVIEW])
def test_unpublished_story_slug_answers_as_a_missing_one(client, status):
    """Down to the headers: a draft's 404 must not vary on the cookie when a missing
    slug's does not, or the difference tells that the draft exists."""
    story = factories.story("Hidden story", slug="hidden-story", status=status)
    as_for_a_missing_slug(client, story.get_absolute_url(), "/stories/hidden-stori/")


# The gates themselves (stories/models.py).


def test_a_source_is_visible_only_while_a_published_story_cites_it():
    cited, uncited = factories.source(title="Cited"), factories.source(title="Uncited")
    factories.story("Public", sources=[cited])
    factories.story("Draft", sources=[uncited], status=Status.DRAFT)
    factories.source(title="Orphan")
    assert [source.title for source in SourceArticle.objects.visible()] == ["Cited"]


@pytest.mark.parametrize("status", UNPUBLISHED)
def test_a_post_is_visible_only_with_its_published_story(status):
    factories.post(factories.story("Public"), url="https://twitter.com/a/status/1")
    factories.post(factories.story("Hidden", status=status), url="https://twitter.com/b/status/2")
    assert [post.url for post in LinkedPost.objects.visible()] == ["https://twitter.com/a/status/1"]


@pytest.mark.parametrize("status", UNPUBLISHED)
def test_no_gate_admits_what_only_an_unpublished_story_links(status):
    hidden_story(status)
    assert not City.objects.visible().exists()
    assert not Region.objects.visible().exists()
    assert not Country.objects.visible().exists()
    assert not Performer.objects.visible().exists()


def test_a_city_in_a_region_makes_the_region_and_country_visible_but_not_the_reverse():
    tuscany = factories.region("Tuscany")
    factories.city("Florence", region=tuscany)
    factories.city("Siena", region=tuscany)
    factories.story("In Tuscany only", regions=[tuscany])
    assert not City.objects.visible().exists()
    assert list(Region.objects.visible()) == [tuscany]
    assert [country.code for country in Country.objects.visible()] == ["IT"]
