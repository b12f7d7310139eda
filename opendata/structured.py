"""Schema.org descriptions of a story and a city, as JSON-LD for their pages.

A story is an `Event`: its dates, its places (`Place` with `PostalAddress` and
`GeoCoordinates`; a region or a country when no city is known), its performers (`Person`, or
`PerformingGroup` for groups and crowds), and, as what it is the subject of, the posts that
documented it (`SocialMediaPosting`) and the articles it is drawn from (`NewsArticle`).
Only what the page itself shows, from the same published story: nothing is invented (a
performer the sources do not name keeps the archive's description, not a name).
"""

from stories.models import Performer

CONTEXT = "https://schema.org"


def story_event(story, absolute):
    """`absolute(path)` makes an address absolute."""
    url = absolute(story.get_absolute_url())
    event = {
        "@context": CONTEXT,
        "@type": "Event",
        "@id": f"{url}#event",
        "name": story.title,
        "url": url,
        "description": story.summary or story.title,
        "eventStatus": "https://schema.org/EventScheduled",
        "eventAttendanceMode": "https://schema.org/OfflineEventAttendanceMode",
    }
    if story.start_date:
        event["startDate"] = story.start_date.isoformat()
        event["endDate"] = (story.end_date or story.start_date).isoformat()
    event["location"] = places(story, absolute)
    if performers := [performer_of(p, absolute) for p in story.performers.all()]:
        event["performer"] = performers
    subject_of = [posting(post) for post in story.posts.all()]
    subject_of += [article(source) for source in story.sources.all()]
    if subject_of:
        event["subjectOf"] = subject_of
    return event


def places(story, absolute):
    cities = [city_place(city, absolute) for city in story.cities.all()]
    if cities:
        return cities
    regions = [
        {
            "@type": "AdministrativeArea",
            "name": region.name,
            "containedInPlace": country(region.country),
        }
        for region in story.regions.all()
    ]
    return regions or [country(c) for c in story.countries.all()]


def country(country):
    return {"@type": "Country", "name": country.name, "identifier": country.code}


def city_place(city, absolute, *, described=False):
    place = {
        "@type": "Place",
        "name": city.name,
        "url": absolute(city.get_absolute_url()),
        "address": {
            "@type": "PostalAddress",
            "addressLocality": city.name,
            "addressCountry": city.country.code,
        },
    }
    if city.region:
        place["address"]["addressRegion"] = city.region.name
    if city.latitude is not None and city.longitude is not None:
        place["geo"] = {
            "@type": "GeoCoordinates",
            "latitude": float(city.latitude),
            "longitude": float(city.longitude),
        }
    place["containedInPlace"] = country(city.country)
    if city.geonames_id:
        place["sameAs"] = f"https://sws.geonames.org/{city.geonames_id}/"
    if described:
        place["@context"] = CONTEXT
    return place


def performer_of(performer, absolute):
    kind = "Person" if performer.kind == Performer.Kind.INDIVIDUAL else "PerformingGroup"
    found = {"@type": kind, "name": performer.name, "url": absolute(performer.get_absolute_url())}
    if performer.role:
        found["description"] = performer.role
    return found


def posting(post):
    found = {"@type": "SocialMediaPosting"}
    if post.url:
        found["url"] = post.url
    if post.posted_on:
        found["datePublished"] = post.posted_on.isoformat()
    if post.author_name or post.handle:
        author = {"@type": "Person", "name": post.author_name or f"@{post.handle}"}
        if post.handle:
            author["alternateName"] = f"@{post.handle}"
        found["author"] = author
    if post.text:
        found["text"] = post.text
    found["publisher"] = {"@type": "Organization", "name": post.get_platform_display()}
    return found


def article(source):
    found = {"@type": "NewsArticle"}
    if source.title:
        found["headline"] = source.title
    if source.url:
        found["url"] = source.url
    if source.published_on:
        found["datePublished"] = source.published_on.isoformat()
    if source.outlet:
        found["publisher"] = {"@type": "Organization", "name": source.outlet}
    return found
