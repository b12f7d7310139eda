import datetime
import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from stories.models import City, LinkedPost, Performer, Region, SourceArticle, Story

pytestmark = pytest.mark.django_db


@pytest.fixture
def seed():
    call_command("loaddata", "seed", verbosity=0)


def counts():
    return [
        model.objects.count()
        for model in (Story, LinkedPost, City, Region, Performer, SourceArticle)
    ]


def test_seed_has_six_published_stories(seed):
    assert Story.objects.count() == 6
    assert Story.objects.published().count() == 6


def test_florence_story_has_marchini_and_lilas_post(seed):
    story = Story.objects.get(cities__slug="florence")
    assert [p.name for p in story.performers.all()] == ["Maurizio Marchini"]
    post = story.posts.get()
    assert post.handle == "MuhammadLila"
    assert post.author_name == "Muhammad Lila"
    assert post.posted_on == datetime.date(2020, 3, 14)
    assert post.platform == LinkedPost.Platform.TWITTER
    assert post.media_url == "https://pic.twitter.com/yVgADAU9bt"


def test_palermo_dj_stays_unidentified(seed):
    story = Story.objects.get(cities__slug="palermo")
    dj = story.performers.get()
    assert dj.identified is False
    assert dj.role == "DJ"


def test_sicily_story_has_a_region_and_no_city(seed):
    story = Story.objects.get(regions__slug="sicily")
    assert story.cities.count() == 0
    assert story.regions.get().country.code == "IT"


def test_trainer_story_has_no_place_and_no_date(seed):
    story = Story.objects.get(slug="trainer-brings-complex-together")
    assert story.start_date is None and story.end_date is None
    assert not story.cities.exists() and not story.regions.exists()
    assert not story.countries.exists()


def test_weekend_applause_spans_saturday_and_sunday(seed):
    story = Story.objects.get(slug="madrid-granada-applause")
    assert (story.start_date, story.end_date) == (
        datetime.date(2020, 3, 14),
        datetime.date(2020, 3, 15),
    )
    assert sorted(c.slug for c in story.cities.all()) == ["granada", "madrid"]


def test_event_dates_and_post_dates_are_kept_apart(seed):
    turin = Story.objects.get(cities__slug="turin")
    assert turin.start_date == datetime.date(2020, 3, 13)
    assert turin.posts.get().handle == "dschmudde"
    sicily_post = LinkedPost.objects.get(handle="Modernstudies_")
    assert sicily_post.posted_on == datetime.date(2020, 3, 15)


def test_every_story_cites_the_source_article(seed):
    article = SourceArticle.objects.get(slug="article-2020-03-16")
    assert article.published_on == datetime.date(2020, 3, 16)
    assert article.stories.count() == 6


def test_loading_the_seed_twice_changes_nothing(seed):
    before = counts()
    call_command("loaddata", "seed", verbosity=0)
    assert counts() == before


def test_load_seed_fills_an_empty_archive():
    call_command("load_seed", verbosity=0)
    assert Story.objects.published().count() == 6


def test_load_seed_never_overwrites_an_editors_change(seed, capsys):
    """`make run` loads the seed on every start: an edit to a seed story must survive it
    (issue 14: loaddata put the seed's text back)."""
    story = Story.objects.get(slug="florence-nessun-dorma")
    story.title = "Edited by an editor"
    story.save()
    call_command("load_seed")
    assert Story.objects.get(slug="florence-nessun-dorma").title == "Edited by an editor"
    assert "the seed is not loaded again" in capsys.readouterr().out


@pytest.mark.django_db(transaction=True)
def test_the_seed_can_be_added_beside_synthetic_stories(client):
    """Issue 14: a maintainer wants the seed plus synthetic stories to try the site."""
    with pytest.raises(CommandError, match="load_seed --alongside"):
        call_command("load_seed", verbosity=0)  # (an empty archive: loads)
        call_command("generate_archive", stories=50, stdout=io.StringIO())
    call_command("flush", interactive=False, verbosity=0)
    call_command("generate_archive", stories=50, stdout=io.StringIO())
    call_command("load_seed", alongside=True, verbosity=0)
    assert Story.objects.filter(slug="florence-nessun-dorma", status="published").exists()
    assert Story.objects.count() == 56
    assert client.get("/stories/florence-nessun-dorma/").status_code == 200
    assert b"Maurizio Marchini" in client.get("/cities/florence/").content


@pytest.mark.django_db
def test_the_seed_is_not_added_twice_alongside(seed):
    story = Story.objects.get(slug="florence-nessun-dorma")
    story.title = "Edited by an editor"
    story.save()
    with pytest.raises(CommandError, match="already holds 6 of the seed's stories"):
        call_command("load_seed", alongside=True, verbosity=0)
    assert Story.objects.get(slug="florence-nessun-dorma").title == "Edited by an editor"
