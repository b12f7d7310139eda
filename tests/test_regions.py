"""Region pages (/regions/<slug>/): the stories placed in a region and in its cities."""

import datetime

import pytest
from django.urls import reverse

from stories import facts
from stories.models import FacetTotal, Story
from tests import factories

pytestmark = pytest.mark.django_db

DAY = datetime.date(2020, 3, 20)


@pytest.fixture
def sicily():
    """Sicily: a story placed in the region, one in Catania (a Sicilian city), one in both
    (counted once), and one in Florence."""
    factories.country("IT", "Italy")
    region = factories.region("Sicily")
    catania = factories.city("Catania", region=region)
    factories.story("A DJ somewhere in Sicily", day=DAY, regions=[region])
    factories.story("Songs in Catania", day=DAY, cities=[catania])
    factories.story("Catania and the island", day=DAY, cities=[catania], regions=[region])
    factories.story("Florence sings", day=DAY, cities=[factories.city()])
    return region


def page(client, slug="sicily"):
    return client.get(reverse("browse:region", args=[slug]))


def titles(response):
    return [story.title for story in response.context["stories"]]


def test_a_region_page_lists_its_own_stories_and_its_cities_once_each(client, sicily):
    response = page(client)
    assert response.status_code == 200
    assert sorted(titles(response)) == [
        "A DJ somewhere in Sicily",
        "Catania and the island",
        "Songs in Catania",
    ]
    html = response.content.decode()
    assert "<h1>Sicily</h1>" in html
    assert "A region of Italy" in html
    assert "<h2>3 stories</h2>" in html
    assert '<li><a href="/cities/catania/">Catania</a> · 2 stories</li>' in html


def test_a_region_no_published_story_is_in_is_not_found(client, sicily):
    lemuria = factories.region("Lemuria")
    hidden = factories.city("Atlantis", region=lemuria)
    factories.story("A draft", status=Story.Status.DRAFT, regions=[lemuria], cities=[hidden])
    assert page(client, "lemuria").status_code == 404
    assert page(client, "nowhere").status_code == 404


def test_a_withdrawn_story_leaves_the_region_on_the_next_request(client, sicily):
    only = Story.objects.get(title="A DJ somewhere in Sicily")
    assert page(client).context["page"].paginator.count == 3
    only.status = Story.Status.WITHDRAWN
    only.save()
    response = page(client)
    assert response.context["page"].paginator.count == 2
    assert "A DJ somewhere in Sicily" not in titles(response)


def test_a_city_moved_into_a_region_brings_its_stories(client, sicily):
    palermo = factories.city("Palermo")
    factories.story("A set in Palermo", day=DAY, cities=[palermo])
    assert "A set in Palermo" not in titles(page(client))
    palermo.region = sicily
    palermo.save()
    assert "A set in Palermo" in titles(page(client))


def test_regions_are_linked_from_stories_cities_and_the_cities_page(client, sicily):
    story = Story.objects.get(title="A DJ somewhere in Sicily")
    link = '<a href="/regions/sicily/">Sicily</a>'
    assert link in client.get(story.get_absolute_url()).content.decode()
    assert link in client.get(reverse("browse:list")).content.decode()
    assert link in client.get(reverse("browse:city", args=["catania"])).content.decode()
    cities = client.get(reverse("browse:cities")).content.decode()
    assert f"Regions: {link} · 3 stories" in cities


def test_adding_the_region_facet_again_replaces_its_rows(sicily):
    facts.bring_up_to_date()
    before = dict(FacetTotal.objects.filter(facet="region").values_list("key", "total"))
    assert before == {str(sicily.pk): 3}
    facts.add_facet("region")  # as migration 0019 does, over rows an older rebuild wrote
    after = dict(FacetTotal.objects.filter(facet="region").values_list("key", "total"))
    assert after == before


def test_a_region_page_reads_a_bounded_number_of_queries(
    client, sicily, django_assert_max_num_queries
):
    page(client)  # the first request brings the facet tables up to date
    with django_assert_max_num_queries(8):
        assert page(client).status_code == 200
