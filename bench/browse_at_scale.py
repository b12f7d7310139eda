"""Times the public pages on PostgreSQL with a large synthetic archive.

    DATABASE_URL=postgres://.../bench DJANGO_DEBUG=1 python bench/browse_at_scale.py 1000000

Fills an empty, migrated database with the synthetic archive of N stories that
`generate_archive --stories N --seed 1` makes (real cities, lockdown dates, 0-5 posts a
story, shared performers, about 70% of the stories published), through the same bulk
loader, and fills in the search index as the command does; then requests each page a few
times through Django's test client and prints the median time and the number of queries.
Not part of the test suite.
"""

import os
import statistics
import sys
import time

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "archive.settings")
django.setup()

from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext, setup_test_environment  # noqa: E402

from stories.interchange.archive import describe  # noqa: E402
from stories.interchange.synthetic import generate_archive  # noqa: E402
from stories.models import Performer, Story  # noqa: E402
from stories.search import index_missing_vectors  # noqa: E402

STORIES_PER_PAGE = 20  # as the story list shows them


def fill(n):
    started = time.perf_counter()
    counts = generate_archive(n, seed=1)
    index_missing_vectors()
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    print(f"filled {describe(counts)} in {time.perf_counter() - started:.0f} s")


def urls():
    """The pages to time, with a story, a performer and a page of the list that exist."""
    story = Story.objects.published().order_by("slug").first()
    performer = Performer.objects.filter(stories__in=Story.objects.published())
    performer = performer.order_by("slug").first()
    middle = max(1, Story.objects.published().count() // STORIES_PER_PAGE // 2)
    return [
        "/",
        "/stories/",
        f"/stories/?page={middle}",
        "/stories/?city=florence",
        "/stories/?country=IT&kind=music",
        "/stories/?date_after=2020-03-13&date_before=2020-03-13",
        "/stories/?q=concert",
        "/stories/?q=concert&city=florence",
        f"/stories/?performer={performer.slug}&sort=title",
        f"/stories/{story.slug}/",
        "/cities/",
        "/cities/florence/",
        "/on/2020-03-14/",
        "/timeline/",
        "/map/",
    ]


def main(n):
    if connection.vendor != "postgresql":
        sys.exit("Point DATABASE_URL at an empty, migrated PostgreSQL database.")
    if not Story.objects.exists():
        fill(n)
    setup_test_environment()
    client = Client()
    print(f"{'page':56} {'cold ms':>8} {'queries':>8} {'warm ms':>8} {'queries':>8}")
    for url in urls():
        timings, counts = [], []
        for _ in range(4):
            with CaptureQueriesContext(connection) as captured:
                start = time.perf_counter()
                response = client.get(url)
                timings.append((time.perf_counter() - start) * 1000)
            counts.append(len(captured))
            assert response.status_code == 200, (url, response.status_code)
        warm = statistics.median(timings[1:])
        print(f"{url:56} {timings[0]:8.0f} {counts[0]:8} {warm:8.0f} {counts[-1]:8}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 100_000)
