"""A fixed sample of about 2% of the stories, for estimated counts (browse/facets.py).

A story is in the sample when a multiplicative hash of its id falls below SHARE: the ids'
last 16 bits times an odd constant, modulo 2^16, a permutation of those bits that spreads
consecutive ids (stories loaded together, a busy week) evenly in and out of the sample. The
same integer arithmetic on both databases; on PostgreSQL the partial indexes of migration
0014 say it in the same words, and the planner matches them.
"""

from django.db import connection
from django.db.models import BooleanField, IntegerField
from django.db.models.expressions import RawSQL

BUCKETS = 65536
MULTIPLIER = 40503  # odd, about BUCKETS / golden ratio: Knuth's multiplicative hashing
SHARE = 1311  # of BUCKETS: 2.0%

# As the partial indexes say it, and as `in_sample()` makes Django say it.
CONDITION = f"MOD(MOD(id, {BUCKETS}) * {MULTIPLIER}, {BUCKETS}) < {SHARE}"

INDEX_SQL = (
    "CREATE INDEX stories_story_sample ON stories_story (id) "
    f"WHERE status = 'published' AND {CONDITION}"
)
SEARCH_INDEX_SQL = (
    "CREATE INDEX stories_story_search_sample ON stories_story USING gin (search_vector) "
    f"WHERE status = 'published' AND {CONDITION}"
)


# The columns a story's id is read from: the story's own, and a facet row's (stories/facts.py,
# a 32-bit integer there, widened so that the product does not overflow). Each named with its
# table: the planner matches expressions, not words.
STORY_ID = '"stories_story"."id"'
FACET_STORY_ID = 'CAST("stories_storyfacet"."story_id" AS bigint)'


def _bucket(of):
    """As the partial indexes say it (PostgreSQL)."""
    return bucket_sql(of)


def bucket_sql(of):
    """The hash bucket of the story id in column `of`, in SQL (PostgreSQL)."""
    return f"MOD(MOD({of}, {BUCKETS}) * {MULTIPLIER}, {BUCKETS})"


def _query_bucket(of):
    """As a query says it: on PostgreSQL, the indexes' words, which its planner matches; on
    SQLite, which has no partial index of the sample, its own `%`, not the MOD() Django
    defines in Python (a call a row: 40,000 of them for a country's selection)."""
    if connection.vendor == "postgresql":
        return _bucket(of)
    # (`%%`: Django reads the SQL as a format string, with the query's parameters.)
    return sqlite_bucket(of).replace("%", "%%")


def sqlite_bucket(of):
    """The hash bucket of the story id in column `of`, in SQL (SQLite), as written in a
    statement that takes no parameters."""
    return f"(({of} % {BUCKETS}) * {MULTIPLIER}) % {BUCKETS}"


# The facet rows of the stories in the sample (published ones only: only they have rows),
# by what a selection reads (browse/facets.py, selection()), so that a one-city list's, or a
# kind's, share of the sample is one short range; and by story, so that counting the facets
# of up to 2,000 sampled stories reads a small index that stays in memory, not 2,000 pages
# of the facet table's primary key. {name: CREATE INDEX statement}
IN_FACET_SAMPLE = f"{_bucket('CAST(story_id AS bigint)')} < {SHARE}"
FACET_INDEXES = {
    "stories_storyfacet_sample": (
        "CREATE INDEX stories_storyfacet_sample ON stories_storyfacet "
        f"(facet, key, kind, start_date, end_date, story_id) WHERE {IN_FACET_SAMPLE}"
    ),
    "stories_storyfacet_sample_story": (
        "CREATE INDEX stories_storyfacet_sample_story ON stories_storyfacet "
        f"(story_id, facet, key) WHERE {IN_FACET_SAMPLE}"
    ),
    # The sample's share of facts.FACET_INDEXES' "ending" index (migration 0024): a wide
    # key's rows from a day on. Without it the planner read the full "ending" index for a
    # sample of a date range (the sample of every story from 9 March 2021: 34 ms; 1 ms).
    "stories_storyfacet_sample_ending": (
        "CREATE INDEX stories_storyfacet_sample_ending ON stories_storyfacet "
        "(facet, key, end_date, start_date, kind, story_id) "
        f"WHERE facet IN ('story', 'country', 'platform') AND {IN_FACET_SAMPLE}"
    ),
    # A key's rows of the sample in the order a sample is taken, lowest bucket first
    # (browse/facets.py, Sample.sampled), with the columns a selection filters on: the
    # first 2,000 of a broad selection are the first index entries that pass, where the
    # planner otherwise read the whole range and sorted it (the sample of every story in
    # a year: 13,000 rows, 16 ms with two parallel workers; 1.2 ms).
    "stories_storyfacet_sample_bucket": (
        "CREATE INDEX stories_storyfacet_sample_bucket ON stories_storyfacet "
        f"(facet, key, ({_bucket('CAST(story_id AS bigint)')}), story_id) "
        f"INCLUDE (start_date, end_date, kind) WHERE {IN_FACET_SAMPLE}"
    ),
}


def in_sample(below=SHARE, of=STORY_ID):
    """A condition keeping the stories in the sample, or in the smaller sample of the
    buckets below `below` (itself within the sample, and so within its indexes); `of`: the
    column the story's id is in (STORY_ID or FACET_STORY_ID)."""
    condition = f"{_query_bucket(of)} < {SHARE}"
    if below < SHARE:
        condition += f" AND {_query_bucket(of)} < {int(below)}"
    return RawSQL(condition, [], output_field=BooleanField())


def bucket(of=STORY_ID):
    """A story's hash bucket, as a value a query can read."""
    return RawSQL(_query_bucket(of), [], output_field=IntegerField())


def bucket_of(story_id):
    """A story's hash bucket (Python, for tests and the benchmark)."""
    return story_id % BUCKETS * MULTIPLIER % BUCKETS


def contains(story_id, below=SHARE):
    """Whether a story id is in the sample (Python, for tests and the benchmark)."""
    return bucket_of(story_id) < below
