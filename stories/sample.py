"""A fixed sample of about 2% of the stories, for estimated counts (browse/facets.py).

A story is in the sample when a multiplicative hash of its id falls below SHARE: the ids'
last 16 bits times an odd constant, modulo 2^16, a permutation of those bits that spreads
consecutive ids (stories loaded together, a busy week) evenly in and out of the sample. The
same integer arithmetic on both databases; on PostgreSQL the partial indexes of migration
0014 say it in the same words, and the planner matches them.
"""

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


# The hash bucket of a story, its id named with its table (the planner matches expressions,
# not words).
BUCKET = f'MOD(MOD("stories_story"."id", {BUCKETS}) * {MULTIPLIER}, {BUCKETS})'


def in_sample(below=SHARE):
    """A condition keeping the stories in the sample, or in the smaller sample of the
    buckets below `below` (itself within the sample, and so within its indexes)."""
    condition = f"{BUCKET} < {SHARE}"
    if below < SHARE:
        condition += f" AND {BUCKET} < {int(below)}"
    return RawSQL(condition, [], output_field=BooleanField())


def bucket():
    """A story's hash bucket, as a value a query can read."""
    return RawSQL(BUCKET, [], output_field=IntegerField())


def contains(story_id, below=SHARE):
    """Whether a story id is in the sample (Python, for tests and the benchmark)."""
    return story_id % BUCKETS * MULTIPLIER % BUCKETS < below
