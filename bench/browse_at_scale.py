"""Times the public pages on PostgreSQL with a large synthetic archive.

    DATABASE_URL=postgres://.../bench DJANGO_DEBUG=1 python bench/browse_at_scale.py 1000000

Fills an empty, migrated database with N published stories (random days in 2020-2021,
2,000 cities in 100 countries, 50,000 performers, a post for every other story), then
requests each page a few times through Django's test client and prints the median time
and the number of queries. Not part of the test suite.
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

from stories.search import REBUILD_SQL  # noqa: E402

# Triggers are off while filling, and the search vectors are then computed in one
# set-based statement with the GIN index rebuilt afterwards, as a bulk import would do
# (row-by-row trigger refreshes of a million stories take far longer).
FILL = (
    """
SET session_replication_role = replica;
INSERT INTO stories_country (code, name)
  SELECT chr(65 + i / 26) || chr(65 + i % 26), 'Country ' || i FROM generate_series(0, 99) i;
INSERT INTO stories_city (name, slug, country_id, latitude, longitude)
  SELECT 'City ' || i, 'city-' || i,
         (SELECT id FROM stories_country ORDER BY id LIMIT 1 OFFSET i % 100),
         35 + (i % 20), -5 + (i % 30)
  FROM generate_series(0, 1999) i;
INSERT INTO stories_performer (name, slug, kind, role, identified)
  SELECT 'Performer ' || i, 'performer-' || i, 'individual', 'singer', true
  FROM generate_series(0, 49999) i;
INSERT INTO stories_story (title, slug, summary, body, kind, start_date, end_date, status,
                           published_at, created_at, updated_at, curator_notes)
  SELECT 'Balcony story ' || i, 'story-' || i, 'A summary of story ' || i,
         'Neighbours sang and clapped from their balconies, story number ' || i,
         (ARRAY['music','applause','workout','dj-set','other'])[1 + i % 5],
         d, d + (i % 3), 'published', now(), now(), now(), ''
  FROM (SELECT i, DATE '2020-01-01' + ((i::bigint * 7919) % 730)::int AS d
        FROM generate_series(1, %(n)s) i) s;
INSERT INTO stories_story_cities (story_id, city_id)
  SELECT s.id, c.id FROM stories_story s
  JOIN stories_city c ON c.slug = 'city-' || (s.id * 31 % 2000);
INSERT INTO stories_story_performers (story_id, performer_id)
  SELECT s.id, p.id FROM stories_story s
  JOIN stories_performer p ON p.slug = 'performer-' || (s.id * 17 % 50000);
INSERT INTO stories_linkedpost (story_id, position, platform, url, author_name, handle, text,
                                media_url, reach)
  SELECT id, 1, 'twitter', 'https://twitter.com/x/status/' || id, 'Someone', 'someone',
         'What a concert from the balconies tonight', '', ''
  FROM stories_story WHERE id % 2 = 0;
DROP INDEX stories_story_search;
"""
    + REBUILD_SQL.strip()
    + """;
CREATE INDEX stories_story_search ON stories_story USING gin (search_vector);
SET session_replication_role = DEFAULT;
VACUUM ANALYZE;
"""
)

URLS = [
    "/",
    "/stories/",
    "/stories/?page=2000",
    "/stories/?city=city-7",
    "/stories/?country=AB&kind=music",
    "/stories/?date_after=2020-03-13&date_before=2020-03-13",
    "/stories/?q=concert",
    "/stories/?q=concert&city=city-7",
    "/stories/?performer=performer-9&sort=title",
    "/stories/story-500/",
    "/cities/",
    "/cities/city-7/",
    "/on/2020-03-14/",
    "/timeline/",
    "/map/",
]


def main(n):
    if connection.vendor != "postgresql":
        sys.exit("Point DATABASE_URL at an empty, migrated PostgreSQL database.")
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM stories_story")
        if cursor.fetchone()[0] == 0:
            for statement in FILL.replace("%(n)s", str(n)).split(";\n"):
                if statement.strip():
                    cursor.execute(statement)
            print(f"filled {n:,} stories in {time.perf_counter() - started:.0f} s")
    setup_test_environment()
    client = Client()
    print(f"{'page':56} {'cold ms':>8} {'queries':>8} {'warm ms':>8} {'queries':>8}")
    for url in URLS:
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
