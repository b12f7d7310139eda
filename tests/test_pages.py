"""Home, story, city, performer, day, timeline and map pages."""

import datetime
from pathlib import Path

import pytest
from django.contrib.staticfiles import finders
from django.template.loader import render_to_string
from django.urls import reverse

from browse import maps, views
from stories import facts
from stories.models import City, Country
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def seed_like():
    return factories.seed_like()


def get(client, url):
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


def test_home_says_what_the_archive_holds(client, seed_like):
    html = get(client, reverse("browse:home"))
    assert "6 stories" in html
    assert "5 cities" in html
    assert "2 countries" in html
    assert "2 archived posts" in html


def test_home_counts_keep_their_thousands_separator(rf):
    counts = {"stories": 12345, "cities": 1, "countries": 1000, "posts": 2}
    html = render_to_string("browse/home.html", {"counts": counts}, request=rf.get("/"))
    assert "<strong>12,345 stories</strong>" in html
    assert "<strong>1 city</strong>" in html
    assert "<strong>1,000 countries</strong>" in html
    assert "<strong>2 archived posts</strong>" in html


def test_home_links_to_cities_timeline_and_map(client, seed_like):
    html = get(client, reverse("browse:home"))
    for name in ("cities", "timeline", "map", "list"):
        assert f'href="{reverse("browse:" + name)}"' in html


def test_home_lists_the_newest_stories(client, seed_like):
    html = get(client, reverse("browse:home"))
    assert html.index("A DJ in Sicily") < html.index("free concert")


def test_story_page_shows_the_post_as_an_archival_card(client, seed_like):
    html = get(client, seed_like["florence"].get_absolute_url())
    card = html[html.index('class="post-card"') :]
    assert "Muhammad Lila" in card and "@MuhammadLila" in card
    assert '<time datetime="2020-03-14">14 March 2020</time>' in card
    assert "https://pic.twitter.com/yVgADAU9bt" in card
    assert "viewed more than 4 million times on Twitter" in card
    assert "spread joy amid all the sadness" in card


def test_story_page_gives_a_date_range_in_words(client, seed_like):
    html = get(client, seed_like["spain"].get_absolute_url())
    assert (
        '<time datetime="2020-03-14">14</time> to <time datetime="2020-03-15">15 March 2020</time>'
        in html
    )


def test_story_page_says_when_the_date_is_unknown(client, seed_like):
    assert "Date unknown" in get(client, seed_like["trainer"].get_absolute_url())


def test_story_page_links_places_and_performers(client, seed_like):
    html = get(client, seed_like["florence"].get_absolute_url())
    assert 'href="/cities/florence/"' in html
    assert 'href="/performers/maurizio-marchini/"' in html


def test_related_stories_share_a_day_or_a_city(client, seed_like):
    html = get(client, seed_like["florence"].get_absolute_url())
    related = html[html.index('id="related-heading"') :]
    assert "A DJ plays a set from his balcony in Palermo" in related  # same day
    assert "Residents of Madrid and Granada" in related  # overlapping weekend
    assert "free concert" not in related  # 13 March, another city


def test_related_stories_include_the_same_city_on_other_days(client, seed_like):
    later = factories.story(
        "Florence sings again", day=datetime.date(2020, 4, 1), cities=[factories.city()]
    )
    html = get(client, seed_like["florence"].get_absolute_url())
    assert later.title in html[html.index('id="related-heading"') :]


def test_cities_are_grouped_by_country_with_counts(client, seed_like):
    html = get(client, reverse("browse:cities"))
    spain = html[html.index('id="country-ES"') :]
    assert "Madrid</a>" in spain and "1 story" in spain
    assert html.index('id="country-IT"') < html.index("Florence</a>")


def test_city_without_published_stories_is_not_listed(client, seed_like):
    factories.story("Draft in Bologna", cities=[factories.city("Bologna")], status="draft")
    assert "Bologna" not in get(client, reverse("browse:cities"))


def test_city_page_keeps_its_stories_and_drops_others(client, seed_like):
    html = get(client, reverse("browse:city", args=["turin"]))
    assert "free concert" in html
    assert "Nessun Dorma" not in html


def test_city_page_paginates(client, seed_like, monkeypatch):
    monkeypatch.setattr(views, "STORIES_PER_PAGE", 1)
    factories.story("Florence sings again", day="2020-04-01", cities=[factories.city()])
    html = get(client, reverse("browse:city", args=["florence"]) + "?page=2")
    assert "Nessun Dorma" in html
    assert "Florence sings again" not in html


def test_performer_page_lists_their_stories(client, seed_like):
    html = get(client, reverse("browse:performer", args=["maurizio-marchini"]))
    assert "Nessun Dorma" in html
    assert "free concert" not in html


def test_day_page_keeps_stories_under_way_that_day(client, seed_like):
    html = get(client, reverse("browse:day", args=[datetime.date(2020, 3, 15)]))
    assert "Residents of Madrid and Granada" in html  # second day of the weekend
    assert "A DJ in Sicily" in html
    assert "Nessun Dorma" not in html


def test_day_page_links_to_the_previous_and_next_days_with_stories(client, seed_like):
    factories.story("Later", day=datetime.date(2020, 3, 20), cities=[factories.city()])
    html = get(client, reverse("browse:day", args=[datetime.date(2020, 3, 15)]))
    assert 'href="/on/2020-03-14/" rel="prev"' in html
    assert 'href="/on/2020-03-20/" rel="next"' in html


def test_day_page_counts_a_range_as_covering_each_of_its_days(client, seed_like):
    factories.story("Long", start=datetime.date(2020, 3, 1), end=datetime.date(2020, 3, 10))
    html = get(client, reverse("browse:day", args=[datetime.date(2020, 3, 13)]))
    assert 'href="/on/2020-03-10/" rel="prev"' in html


def test_day_without_stories_still_links_onwards(client, seed_like):
    html = get(client, reverse("browse:day", args=[datetime.date(2020, 3, 1)]))
    assert "No story in the archive took place on this day." in html
    assert 'href="/on/2020-03-13/" rel="next"' in html
    assert "No earlier stories" in html


def test_timeline_draws_one_linked_bar_per_day_with_stories(client, seed_like):
    html = get(client, reverse("browse:timeline"))
    svg = html[html.index("<svg") : html.index("</svg>")]
    assert svg.count("<rect") == 3  # 13, 14 and 15 March
    assert '<a href="/on/2020-03-14/" aria-label="Saturday 14 March 2020: 3 stories">' in svg


def test_timeline_follows_the_list_filters(client, seed_like):
    html = get(client, reverse("browse:timeline") + "?country=ES")
    svg = html[html.index("<svg") : html.index("</svg>")]
    assert 'aria-label="Sunday 15 March 2020: 1 story"' in svg
    assert "/on/2020-03-13/" not in svg


def phone_list(html):
    start = html.index('<ol class="timeline-list"')
    return html[start : html.index("</ol>", start)]


def test_timeline_lists_each_day_for_phones_with_its_figure_in_words(client, seed_like):
    html = get(client, reverse("browse:timeline"))
    rows = phone_list(html)
    assert rows.count("<li>") == 15  # 7 to 21 March: the fortnight around 13 to 15 March
    assert (
        '<a href="/on/2020-03-14/"><span class="period">14 March 2020</span> '
        '<span class="figure">3 stories</span></a>'
    ) in rows
    assert '<span class="none"><span class="period">7 March 2020</span>' in rows
    assert "Stories under way each day, 7 March 2020 to 21 March 2020." in html


def test_timeline_phone_rows_are_weeks_over_two_months_and_months_over_half_a_year():
    from browse.timeline import periods

    first = datetime.date(2020, 3, 4)  # a Wednesday
    per_day = {first: 2, datetime.date(2020, 3, 9): 5, datetime.date(2020, 3, 10): 7}
    weeks = periods(per_day, first, datetime.date(2020, 5, 31))
    assert weeks[0].first == datetime.date(2020, 3, 2)  # calendar weeks, Monday to Sunday
    assert weeks[0].last == datetime.date(2020, 3, 8)
    assert weeks[1].first == datetime.date(2020, 3, 9)
    assert weeks[-1].last == datetime.date(2020, 5, 31)
    assert [w.busiest for w in weeks[:3]] == [2, 7, 0]  # the busiest day, not a sum
    assert weeks[1].label == "Week of 9 March 2020"
    assert weeks[1].figure == "up to 7 stories a day"
    months = periods(per_day, first, datetime.date(2021, 6, 30))
    assert [m.label for m in months[:2]] == ["March 2020", "April 2020"]
    assert (months[1].first, months[1].last) == (
        datetime.date(2020, 4, 1),
        datetime.date(2020, 4, 30),
    )
    assert len(months) == 16
    assert months[0].busiest == 7


def test_timeline_phone_weeks_and_months_stop_at_the_ends_of_the_calendar():
    from browse.timeline import periods

    last, first = datetime.date.max, datetime.date.min
    weeks = periods({last: 1}, last - datetime.timedelta(days=100), last)
    assert weeks[-1].last == last and weeks[-1].busiest == 1
    months = periods({first: 1}, first, first + datetime.timedelta(days=400))
    assert months[0].first == first and months[0].busiest == 1
    months = periods({last: 1}, last - datetime.timedelta(days=400), last)
    assert months[-1].last == last
    weeks = periods({first: 1}, first, first + datetime.timedelta(days=100))
    assert weeks[0].first == first  # 1 January of the year 1 was a Monday


def test_timeline_phone_weeks_link_to_the_list_filtered_to_the_week(client):
    spain = factories.city("Madrid", "ES")
    early, late = datetime.date(2020, 3, 9), datetime.date(2020, 5, 20)
    factories.story("Early", start=early, end=early.replace(day=12), cities=[spain])
    factories.story("Late", day=late, cities=[spain])
    factories.story("Elsewhere", day=late, cities=[factories.city()])
    html = get(client, reverse("browse:timeline") + "?country=ES&date_after=2020-03-11")
    rows = phone_list(html)
    assert "Week of 18 May 2020" in rows
    assert "/stories/?country=ES&amp;date_after=2020-05-18&amp;date_before=2020-05-24" in rows
    # Within the dates asked for: the first week's link starts on the 11th.
    assert "Week of 9 March 2020" in rows
    assert "/stories/?country=ES&amp;date_after=2020-03-11&amp;date_before=2020-03-15" in rows
    list_page = get(client, "/stories/?country=ES&date_after=2020-05-18&date_before=2020-05-24")
    assert "<strong>1 story</strong> matches these filters." in list_page


def test_timeline_says_how_many_stories_have_no_date(client, seed_like):
    assert "1 story has no known date" in get(client, reverse("browse:timeline"))


def test_map_draws_a_linked_point_per_city_with_stories(client, seed_like):
    html = get(client, reverse("browse:map"))
    svg = html[html.index("<svg") : html.index("</svg>")]
    assert svg.count("<circle") == 5
    assert '<a href="/cities/florence/" aria-label="Florence, Italy: 1 story">' in svg


def drawings(html):
    """The map's two drawings: {"wide": svg markup, "phone": svg markup}."""
    found = {}
    for kind in ("wide", "phone"):
        start = html.rindex("<svg", 0, html.index(f'class="world {kind}"'))
        found[kind] = html[start : html.index("</svg>", start)]
    return found


def test_map_draws_country_outlines_from_natural_earth(client, seed_like):
    html = get(client, reverse("browse:map"))
    for svg in drawings(html).values():
        assert svg.count('class="has-stories"') == 2  # Italy and Spain
        assert "<path d=" in svg


def test_map_highlights_countries_whose_names_differ_from_natural_earths(client):
    """Outlines are matched by ISO 3166-1 numeric code: Natural Earth calls these two
    "United States of America" and "Bosnia and Herz."."""
    factories.country("US", "United States")
    factories.country("BA", "Bosnia and Herzegovina")
    new_york = factories.city(
        "New York", "US", slug="new-york", latitude="40.71427", longitude="-74.00597"
    )
    sarajevo = factories.city("Sarajevo", "BA", latitude="43.84864", longitude="18.35644")
    factories.story("Applause in New York", cities=[new_york])
    factories.story("Songs from the balconies of Sarajevo", cities=[sarajevo])
    html = get(client, reverse("browse:map"))
    for svg in drawings(html).values():
        assert svg.count('class="has-stories"') == 2


def test_map_has_a_taller_drawing_for_phones_with_the_same_links_and_larger_targets(
    client, seed_like
):
    wide, phone = drawings(get(client, reverse("browse:map"))).values()
    assert 'viewBox="0 0 960 640"' in wide
    assert 'viewBox="0 0 480 640"' in phone
    link = '<a href="/cities/florence/" aria-label="Florence, Italy: 1 story">'
    assert link in wide
    assert link in phone
    assert wide.count("<a ") == phone.count("<a ") == 5
    # Behind each point, smaller than a 24-pixel target on a phone, an invisible one that is.
    assert phone.count('<circle class="hit"') == 5
    assert 'r="20"' in phone
    assert 'class="hit"' not in wide


def test_the_phone_drawing_weighs_about_what_the_wide_one_does(client, seed_like):
    """Phones download both drawings (site.css shows one): the phone's coarser outlines keep
    it from adding half as much again to the page."""
    wide, phone = drawings(get(client, reverse("browse:map"))).values()
    assert len(phone) < 1.15 * len(wide)


def test_map_puts_a_name_on_the_left_of_a_point_near_the_right_edge():
    italy, spain = Country(code="IT", name="Italy"), Country(code="ES", name="Spain")
    city = City(pk=1, name="Palermo", country=italy, slug="palermo", latitude=38.1, longitude=13.4)
    other = City(pk=2, name="Madrid", country=spain, slug="madrid", latitude=40.4, longitude=-3.7)
    drawing = maps.draw([(city, 1), (other, 1)], size=maps.PHONE, font_size=16)
    points = {point.city.name: point for point in drawing["points"]}
    assert points["Palermo"].label_left
    assert points["Palermo"].label_x < points["Palermo"].x
    assert not points["Madrid"].label_left
    assert 'text-anchor="end"' in maps.points_html(drawing["points"])


def test_map_highlights_a_country_by_its_alpha_2_code():
    drawing = maps.draw([], ["US", "BA"])
    highlighted = {country["name"] for country in drawing["countries"] if country["has"]}
    assert highlighted == {"United States of America", "Bosnia and Herz."}


def test_a_map_of_the_world_draws_natural_earths_coarser_outlines(monkeypatch):
    """A view of the world or a continent is drawn from the 1:110m outlines, whose points
    the drawing can still tell apart, at a fraction of the weight of the 1:50m ones; a
    region keeps the 1:50m outlines."""
    italy = Country(code="IT", name="Italy")
    florence = City(
        pk=1, name="Florence", country=italy, slug="florence", latitude=43.8, longitude=11.3
    )
    palermo = City(
        pk=2, name="Palermo", country=italy, slug="palermo", latitude=38.1, longitude=13.4
    )

    def weight(drawing):
        return sum(len(country["path"]) for country in drawing["countries"])

    world, region = maps.draw([], ["IT"]), maps.draw([(florence, 1), (palermo, 1)], ["IT"])
    monkeypatch.setattr(maps, "COARSE_ABOVE", float("inf"))  # 1:50m whatever the view
    maps.outlines.cache_clear()
    fine_world, fine_region = (
        maps.draw([], ["IT"]),
        maps.draw([(florence, 1), (palermo, 1)], ["IT"]),
    )
    maps.outlines.cache_clear()
    assert weight(world) < weight(fine_world) / 2
    assert region["countries"] == fine_region["countries"]
    for drawing in (world, region):
        highlighted = {country["name"] for country in drawing["countries"] if country["has"]}
        assert highlighted == {"Italy"}


def test_map_loads_no_tiles_scripts_or_fonts(client, seed_like):
    html = get(client, reverse("browse:map"))
    for tag in ("<script", "<img", "<image", "<iframe", "@font-face", 'src="http'):
        assert tag not in html
    assert '<link rel="stylesheet" href="/static/css/site.css">' in html


def test_map_says_which_stories_it_cannot_place(client, seed_like):
    assert "2 stories are not on the map" in get(client, reverse("browse:map"))


def test_post_text_is_shown_as_text_not_html(client):
    story = factories.story()
    factories.post(story, text="<script>alert(1)</script>")
    html = client.get(story.get_absolute_url()).content.decode()
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;" in html


def test_related_stories_of_a_busy_city_are_its_newest_others(client):
    """In a city with more stories than the page shows, the related ones are the newest
    others, ties on a day broken by title (browse/views.py, related_to, reads only the
    stories dated on or after the seventh newest)."""
    from browse.views import RELATED, related_to
    from stories.models import Story

    turin = factories.city("Turin")
    stories = [
        factories.story(
            f"Turin story {number % 5} {number}",
            day=datetime.date(2020, 3, 10) + datetime.timedelta(days=number % 3),
            cities=[turin],
        )
        for number in range(15)
    ]
    for story in (stories[2], stories[14]):  # among the newest, and among the oldest
        others = Story.objects.published().exclude(pk=story.pk).newest_first()
        expected = [other.title for other in others[:RELATED]]
        assert [other.title for other in related_to(story)] == expected
        html = get(client, story.get_absolute_url())
        related = html[html.index('id="related-heading"') :]
        assert all(title in related for title in expected)


def test_the_site_has_its_own_icon_and_logo(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/x-icon"
    assert b"".join(response.streaming_content)[:4] == b"\x00\x00\x01\x00"  # an ICO file
    assert "public" in response["Cache-Control"]
    html = client.get("/about/").content.decode()
    assert 'rel="icon"' in html and "img/logo.svg" in html
    assert finders.find("img/logo.svg")
    css = Path(finders.find("css/site.css")).read_text()
    assert 'url("../img/logo.svg")' in css  # the mark before the archive's name


def test_the_performers_index_lists_who_published_stories_name_with_counts(client, seed_like):
    hidden = factories.performer("Ghost Singer")
    factories.story("A draft", status="draft", performers=[hidden])
    html = get(client, reverse("browse:performers"))
    assert '<a href="/performers/maurizio-marchini/">Maurizio Marchini</a>' in html
    assert "Ghost Singer" not in html
    assert '<h2 id="initial-1">' in html  # grouped by initial
    assert " · 1 story</li>" in html
    assert 'href="/performers/"' in get(client, "/")  # in the menu


def test_the_performers_index_goes_by_initial_and_by_page(client, seed_like, monkeypatch):
    html = get(client, reverse("browse:performers") + "?letter=M")
    assert "Maurizio Marchini" in html and "Residents of Madrid" not in html
    assert '<span aria-disabled="true">A</span>' in html  # no performer under A
    monkeypatch.setattr(views, "PERFORMERS_PER_PAGE", 2)
    first = get(client, reverse("browse:performers"))
    assert 'href="?page=2" rel="next"' in first
    assert client.get(reverse("browse:performers") + "?page=99").status_code == 404
    response = client.get(reverse("browse:performers") + "?letter=zz")
    assert response.status_code == 400
    assert 'id="error_letter"' in response.content.decode()


def test_the_performers_index_reads_a_fixed_number_of_queries(
    client, seed_like, django_assert_max_num_queries
):
    for number in range(30):
        factories.story(f"More {number}", performers=[factories.performer(f"Singer {number}")])
    facts.bring_up_to_date()  # (what the editors' changes cost, once, is not the page's)
    with django_assert_max_num_queries(6):
        assert client.get(reverse("browse:performers")).status_code == 200
