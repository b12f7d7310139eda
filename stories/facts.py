"""Facet tables: what the public pages count, kept beside the stories, exact and up to date.

Counting a million stories through the link tables took seconds a page (issue 11). These
tables hold the counts' raw material, one row per published story and thing it is counted
under, so a count is one index range:

- `stories_storyfacet` (StoryFacet): (story, facet, key, weight) with the story's dates and
  kind copied onto the row. Facets (`FACETS`): `story` (one row per story, key ""), `posts`
  (weight: its number of posts), `kind`, `month` (of the start date, "2020-03"), `day` (each
  day the story covers, "2020-03-14", at most `MAX_DAYS` from its start, like the timeline),
  `country` (once per country, through a city, a region or the country itself: the paths of
  `story_country_paths()`), `region` (once per region, named by the story or holding one of
  its cities), `city`, `performer` (keys: the row's id as text), `platform` (once per
  platform its posts are on), `unmapped` (no city of the story is on the map) and `sample`
  (the stories of the fixed sample of stories/sample.py, keyed by their hash bucket, "0" to
  "1310": its totals say how many published stories each bucket holds, so an estimate's
  scale is a sum of a few hundred small rows, not a count of 14,000 stories at a million).
- `stories_facettotal` (FacetTotal): the sum of the weights per (facet, key) over every
  published story; a key whose total falls to zero is removed, so the totals name exactly
  the visible cities, countries, performers and days.

Only published stories have rows: nothing that reads these tables needs a visibility gate.

Exact, not eventual. Row triggers on every table a count depends on (`TRIGGERS`) note the
story's id in `stories_facetpending`; `bring_up_to_date()` recomputes the noted stories and
adjusts the totals, in one transaction, and every public page that reads these tables calls
it first. So a story an editor withdraws leaves every count on the next request. A bulk load
pauses the triggers on PostgreSQL and calls `rebuild()` inside its transaction.

Keys are ids, not slugs: renaming a city or a performer changes no row. Moving a city to
another country or region, or giving it coordinates, notes its stories (city triggers).

Words (PostgreSQL): `stories_storyword` holds a row per published story and lexeme of its
search vector (stories/search.py), with the story's rank for that lexeme alone (the
`ts_rank()` a one-word search orders by) and its start date; `stories_wordtotal` how many
published stories have each lexeme, in all (country "") and per country (the country facet's
keys). A search for one common word at a million stories counted and ranked every match
(1.5 s and more, 5 s beside a country); with these, its total is one row and its first page
one short range of an index in the order of the ranking (browse/facets.py). Kept with the
facet rows: a story's words are recomputed with them, so a withdrawn story leaves every
word's count on the next request. A change of the vector alone notes the story too, except
when `search.index_missing_vectors()` fills vectors in after a bulk load: its batches write
their stories' words themselves (`refresh_words()`), rather than leave a million stories
for the next request to recompute.
"""

import datetime
from collections import Counter

from django.db import connection, transaction
from django.db.models import BooleanField, F, Func

from stories import sample
from stories.models import POST_HIDDEN_COLUMNS, shown_post

STORY_TABLE = "stories_story"
FACET_TABLE = "stories_storyfacet"
TOTAL_TABLE = "stories_facettotal"
PENDING_TABLE = "stories_facetpending"
SPAN_TABLE = "stories_facetspan"
WORD_TABLE = "stories_storyword"
WORD_TOTAL_TABLE = "stories_wordtotal"
# Set (SET LOCAL) by the transactions that write their stories' words themselves: a change
# of the search vector alone is then not noted (see the module's docstring).
WORDS_BY_CALLER = "stories.words_by_caller"
# The facets whose keys are wide enough for a date range to be counted from the spans
# (FacetSpan): every story, a country (a fifth of the archive), a platform.
SPAN_FACETS = ("story", "country", "platform")
FACET_INDEXES = {
    # (The primary key, (story_id, facet, key), counts a facet over a set of stories from
    # the index alone: WHERE story_id IN (...) AND facet = ...)
    # A selection (one city, country, performer or platform, a kind, a date range) as an
    # index range, its story ids read from the index alone.
    "stories_storyfacet_select": "(facet, key, kind, start_date, end_date, story_id, weight)",
    # The same for a wide key (SPAN_FACETS) and a date range whose end is what narrows it
    # ("from 6 June 2021", up to the last day): the stories still under way from that day
    # on, read from where their end dates pass it. The index above reads every row of the
    # key for that (a year of every story: 80 ms at a million, against 1.4).
    "stories_storyfacet_ending": (
        "(facet, key, end_date, start_date, kind, story_id) "
        f"WHERE facet IN ({', '.join(repr(facet) for facet in SPAN_FACETS)})"
    ),
}
MAX_DAYS = 3660  # days counted per story, as the timeline draws them (browse/timeline.py)
CHUNK = 500  # stories recomputed per statement
LOCK_KEY = 1_2020_0316  # PostgreSQL advisory lock serialising recomputations

FACETS = (
    "story",
    "posts",
    "kind",
    "month",
    "day",
    "country",
    "region",
    "city",
    "performer",
    "platform",
    "unmapped",
    "sample",
)

COLUMNS = "story_id, facet, key, weight, start_date, end_date, kind"


def _row(facet, key, weight="1"):
    return f"s.id, '{facet}', {key}, {weight}, s.start_date, s.end_date, s.kind"


def row_selects(vendor, where):
    """SELECTs of the facet rows of the published stories `where` (SQL over `s`, the story)
    keeps, one per facet, each giving COLUMNS."""
    published = f"s.status = 'published' AND ({where})"
    month = (
        "to_char(s.start_date, 'YYYY-MM')"
        if vendor == "postgresql"
        else "substr(s.start_date, 1, 7)"
    )
    text = "CAST({} AS TEXT)".format
    EMPTY = "''"  # noqa: N806
    DAY = "to_char(d, 'YYYY-MM-DD')"  # noqa: N806
    yield f"SELECT {_row('story', EMPTY)} FROM {STORY_TABLE} s WHERE {published}"
    yield (
        f"SELECT {_row('posts', EMPTY, 'COUNT(*)')} FROM {STORY_TABLE} s "
        f"JOIN stories_linkedpost p ON p.story_id = s.id WHERE {published} AND {shown_post('p')} "
        "GROUP BY s.id, s.start_date, s.end_date, s.kind"
    )
    yield f"SELECT {_row('kind', 's.kind')} FROM {STORY_TABLE} s WHERE {published}"
    yield (
        f"SELECT {_row('month', month)} FROM {STORY_TABLE} s "
        f"WHERE {published} AND s.start_date IS NOT NULL"
    )
    if vendor == "postgresql":
        yield (
            f"SELECT {_row('day', DAY)} FROM {STORY_TABLE} s, "
            f"generate_series(s.start_date, LEAST(s.end_date, s.start_date + {MAX_DAYS}), "
            f"interval '1 day') d WHERE {published} AND s.start_date IS NOT NULL"
        )
    else:
        yield (
            "WITH RECURSIVE days(id, day, last) AS ("
            f"SELECT s.id, s.start_date, min(s.end_date, date(s.start_date, '+{MAX_DAYS} days')) "
            f"FROM {STORY_TABLE} s WHERE {published} AND s.start_date IS NOT NULL "
            "UNION ALL SELECT id, date(day, '+1 day'), last FROM days WHERE day < last) "
            f"SELECT {_row('day', 'days.day')} FROM days JOIN {STORY_TABLE} s ON s.id = days.id"
        )
    places = (
        "SELECT l.story_id, c.country_id FROM stories_story_cities l "
        "JOIN stories_city c ON c.id = l.city_id "
        "UNION SELECT l.story_id, g.country_id FROM stories_story_regions l "
        "JOIN stories_region g ON g.id = l.region_id "
        "UNION SELECT l.story_id, l.country_id FROM stories_story_countries l"
    )
    yield (
        f"SELECT {_row('country', text('p.country_id'))} FROM {STORY_TABLE} s "
        f"JOIN ({places}) p ON p.story_id = s.id WHERE {published}"
    )
    regions = (
        "SELECT l.story_id, l.region_id FROM stories_story_regions l "
        "UNION SELECT l.story_id, c.region_id FROM stories_story_cities l "
        "JOIN stories_city c ON c.id = l.city_id WHERE c.region_id IS NOT NULL"
    )
    yield (
        f"SELECT {_row('region', text('r.region_id'))} FROM {STORY_TABLE} s "
        f"JOIN ({regions}) r ON r.story_id = s.id WHERE {published}"
    )
    yield (
        f"SELECT {_row('city', text('l.city_id'))} FROM {STORY_TABLE} s "
        f"JOIN stories_story_cities l ON l.story_id = s.id WHERE {published}"
    )
    yield (
        f"SELECT {_row('performer', text('l.performer_id'))} FROM {STORY_TABLE} s "
        f"JOIN stories_story_performers l ON l.story_id = s.id WHERE {published}"
    )
    yield (
        f"SELECT DISTINCT {_row('platform', 'p.platform')} FROM {STORY_TABLE} s "
        f"JOIN stories_linkedpost p ON p.story_id = s.id WHERE {published} AND p.platform <> '' "
        f"AND {shown_post('p')}"
    )
    yield (
        f"SELECT {_row('unmapped', EMPTY)} FROM {STORY_TABLE} s WHERE {published} AND NOT EXISTS "
        "(SELECT 1 FROM stories_story_cities l JOIN stories_city c ON c.id = l.city_id "
        "WHERE l.story_id = s.id AND c.latitude IS NOT NULL)"
    )
    bucket = sample.bucket_sql("s.id") if vendor == "postgresql" else sample.sqlite_bucket("s.id")
    yield (
        f"SELECT {_row('sample', text(bucket))} FROM {STORY_TABLE} s "
        f"WHERE {published} AND {bucket} < {sample.SHARE}"
    )


def _insert_rows(cursor, where, facet=None):
    """The facet rows of the published stories `where` keeps; of one `facet` if given."""
    for select in row_selects(connection.vendor, where):
        if facet is not None and f"s.id, '{facet}'," not in select:
            continue
        if select.startswith("WITH"):
            head, _, tail = select.rpartition(" SELECT ")
            cursor.execute(f"{head} INSERT INTO {FACET_TABLE} ({COLUMNS}) SELECT {tail}")
        else:
            cursor.execute(f"INSERT INTO {FACET_TABLE} ({COLUMNS}) {select}")


def _sums(cursor, ids):
    cursor.execute(
        f"SELECT facet, key, SUM(weight) FROM {FACET_TABLE} "
        f"WHERE story_id IN ({','.join(map(str, ids))}) GROUP BY facet, key"
    )
    return Counter({(facet, key): total for facet, key, total in cursor.fetchall()})


def _span_select(where):
    """(facet, key, kind, day, starts, ends) of the facet rows `where` (SQL over the rows)."""
    facets = ", ".join(f"'{facet}'" for facet in SPAN_FACETS)
    rows = f"FROM {FACET_TABLE} WHERE facet IN ({facets}) AND start_date IS NOT NULL AND {where}"
    return (
        "SELECT facet, key, kind, day, SUM(starts), SUM(ends) FROM ("
        f"SELECT facet, key, kind, start_date AS day, 1 AS starts, 0 AS ends {rows} "
        f"UNION ALL SELECT facet, key, kind, end_date, 0, 1 {rows}"
        ") edges GROUP BY facet, key, kind, day"
    )


def _spans(cursor, ids):
    cursor.execute(_span_select(f"story_id IN ({','.join(map(str, ids))})"))
    return {tuple(row[:4]): (row[4], row[5]) for row in cursor.fetchall()}


def _recompute(cursor, ids):
    """Replace the facet rows of the stories `ids` and move the totals and the spans by the
    difference."""
    id_list = ",".join(map(str, ids))
    where = f"s.id IN ({id_list})"
    before, spans_before = _sums(cursor, ids), _spans(cursor, ids)
    words = connection.vendor == "postgresql"
    # (Before the country rows go: a word's count per country reads them.)
    words_before = _word_sums(cursor, f"w.story_id IN ({id_list})") if words else None
    cursor.execute(f"DELETE FROM {FACET_TABLE} WHERE story_id IN ({id_list})")
    _insert_rows(cursor, where)
    if words:
        _replace_words(cursor, where, f"w.story_id IN ({id_list})", words_before)
    after, spans_after = _sums(cursor, ids), _spans(cursor, ids)
    delta = [
        (facet, key, after[facet, key] - before[facet, key])
        for facet, key in before.keys() | after.keys()
        if after[facet, key] != before[facet, key]
    ]
    if delta:
        cursor.executemany(
            f"INSERT INTO {TOTAL_TABLE} (facet, key, total) VALUES (%s, %s, %s) "
            "ON CONFLICT (facet, key) DO UPDATE SET total = "
            f"{TOTAL_TABLE}.total + excluded.total",
            delta,
        )
        cursor.execute(f"DELETE FROM {TOTAL_TABLE} WHERE total = 0")
    moved = []
    for span in spans_before.keys() | spans_after.keys():
        starts_before, ends_before = spans_before.get(span, (0, 0))
        starts_after, ends_after = spans_after.get(span, (0, 0))
        if (starts_before, ends_before) != (starts_after, ends_after):
            moved.append((*span, starts_after - starts_before, ends_after - ends_before))
    if moved:
        cursor.executemany(
            f"INSERT INTO {SPAN_TABLE} (facet, key, kind, day, starts, ends) "
            "VALUES (%s, %s, %s, %s, %s, %s) "
            "ON CONFLICT (facet, key, kind, day) DO UPDATE SET "
            f"starts = {SPAN_TABLE}.starts + excluded.starts, "
            f"ends = {SPAN_TABLE}.ends + excluded.ends",
            moved,
        )
        cursor.execute(f"DELETE FROM {SPAN_TABLE} WHERE starts = 0 AND ends = 0")


def fill_spans(cursor):
    """The spans from the facet rows, into an empty span table (rebuild(), migration 0016)."""
    columns = "facet, key, kind, day, starts, ends"
    cursor.execute(f"INSERT INTO {SPAN_TABLE} ({columns}) {_span_select('1 = 1')}")


def is_up_to_date():
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT 1 FROM {PENDING_TABLE} LIMIT 1")
        return cursor.fetchone() is None


def bring_up_to_date():
    """Recompute the stories the triggers noted since the last call (none: one query).

    Called at the start of every public request that reads the facet tables, so counts
    follow an editor's change on the next request. Concurrent calls are serialised (an
    advisory lock on PostgreSQL; SQLite has one writer), and each takes the pending ids it
    deletes, so no story's difference is counted twice.
    """
    if is_up_to_date():
        return
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [LOCK_KEY])
        cursor.execute(f"DELETE FROM {PENDING_TABLE} RETURNING story_id")
        ids = sorted({row[0] for row in cursor.fetchall()})
        for start in range(0, len(ids), CHUNK):
            _recompute(cursor, ids[start : start + CHUNK])


def rebuild(indexes=True, spans=True):
    """Every facet row and total from scratch, in the caller's transaction (bulk loads,
    the migration that creates the tables, `manage.py rebuild_facets`). On PostgreSQL the
    secondary index is dropped and rebuilt around the insert, as a bulk load does (not in the
    migration that creates the table: Django creates its index after the migration's
    operations). `spans`: the spans too (not in that migration, which comes before theirs)."""
    postgres = connection.vendor == "postgresql"
    indexes = postgres and indexes
    tables = [FACET_TABLE, TOTAL_TABLE, PENDING_TABLE] + ([SPAN_TABLE] if spans else [])
    with transaction.atomic(), connection.cursor() as cursor:
        if postgres:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [LOCK_KEY])
            cursor.execute(f"TRUNCATE {', '.join(tables)}")
            cursor.execute("SET LOCAL maintenance_work_mem = '512MB'")
        if indexes:
            for name in (*FACET_INDEXES, *sample.FACET_INDEXES):
                cursor.execute(f"DROP INDEX IF EXISTS {name}")
        else:
            for table in tables:
                cursor.execute(f"DELETE FROM {table}")
        _insert_rows(cursor, "1 = 1")
        cursor.execute(
            f"INSERT INTO {TOTAL_TABLE} (facet, key, total) "
            f"SELECT facet, key, SUM(weight) FROM {FACET_TABLE} GROUP BY facet, key"
        )
        if spans:
            fill_spans(cursor)
        if postgres:
            fill_words(cursor)
        if indexes:
            for name, columns in FACET_INDEXES.items():
                cursor.execute(f"CREATE INDEX {name} ON {FACET_TABLE} {columns}")
            for statement in sample.FACET_INDEXES.values():  # migration 0015
                cursor.execute(statement)
        if postgres:
            # Statistics for every facet key (a day, a city), not only the 100 commonest, so
            # that the planner sizes a selection from its key: misjudged, a day page walked
            # every published story in date order looking for the day's (at a million
            # stories, 0.9 s; 50 to 100 ms for most days with these statistics).
            for column in ("facet", "key"):
                cursor.execute(
                    f"ALTER TABLE {FACET_TABLE} ALTER COLUMN {column} SET STATISTICS 2000"
                )
            cursor.execute(f"ANALYZE {FACET_TABLE}")
            cursor.execute(f"ANALYZE {TOTAL_TABLE}")
            if spans:
                cursor.execute(f"ANALYZE {SPAN_TABLE}")


def add_facet(facet):
    """The rows and totals of a facet added to FACETS, for the stories already there (the
    migration that adds it; migration 0019, `region`). Any rows it has are replaced: an
    older migration's rebuild() writes today's facets."""
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [LOCK_KEY])
        cursor.execute(f"DELETE FROM {FACET_TABLE} WHERE facet = %s", [facet])
        cursor.execute(f"DELETE FROM {TOTAL_TABLE} WHERE facet = %s", [facet])
        _insert_rows(cursor, "1 = 1", facet)
        cursor.execute(
            f"INSERT INTO {TOTAL_TABLE} (facet, key, total) SELECT facet, key, SUM(weight) "
            f"FROM {FACET_TABLE} WHERE facet = %s GROUP BY facet, key",
            [facet],
        )


def create_indexes_sql():
    return [f"CREATE INDEX {name} ON {FACET_TABLE} {cols}" for name, cols in FACET_INDEXES.items()]


# Reading


class AnyKind(Func):
    """True of a facet row of any kind some published story has (the `kind` facet's keys):
    a selection that leaves the kind open says it so that the selection index, (facet, key,
    kind, start_date, ...), reads a date range once per kind rather than every row of the
    key. A country's stories on its last day (PostgreSQL 15, which has no skip scan: 27 ms,
    150,000 index entries read for 44 rows; with it, 0.3 ms). Exact: every row's kind is
    among those keys."""

    template = f"%(expressions)s = ANY(ARRAY(SELECT key FROM {TOTAL_TABLE} WHERE facet = 'kind'))"
    output_field = BooleanField()

    def __init__(self, **extra):
        super().__init__(F("kind"), **extra)

    def as_sqlite(self, compiler, connection, **extra):
        template = f"%(expressions)s IN (SELECT key FROM {TOTAL_TABLE} WHERE facet = 'kind')"
        return self.as_sql(compiler, connection, template=template, **extra)


def total(facet, key=""):
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT total FROM {TOTAL_TABLE} WHERE facet = %s AND key = %s", [facet, key]
        )
        row = cursor.fetchone()
    return row[0] if row else 0


def spanned(facet, key, kind=None, after=None, before=None):
    """How many published stories under (facet, key), of `kind` if given, cover some day
    from `after` to `before` (either open): those starting by `before`, less those ending
    before `after`, which started before it too. Two sums over the key's spans (at most a
    row per kind and day), where counting its rows read a fifth of the archive."""
    if facet not in SPAN_FACETS:
        raise ValueError(f"no spans are kept of {facet!r}")
    starts = "CASE WHEN day <= %s THEN starts ELSE 0 END" if before else "starts"
    ends = "CASE WHEN day < %s THEN ends ELSE 0 END" if after else "0"
    params = [value for value in (before, after) if value]
    where, where_params = "facet = %s AND key = %s", [facet, key]
    if kind:
        where, where_params = where + " AND kind = %s", [*where_params, kind]
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT COALESCE(SUM({starts}), 0) - COALESCE(SUM({ends}), 0) "
            f"FROM {SPAN_TABLE} WHERE {where}",
            [*params, *where_params],
        )
        return int(cursor.fetchone()[0])  # (PostgreSQL sums bigints as numeric)


def started_by_month(facet, key, kind=None):
    """{"YYYY-MM": how many published stories under (facet, key), of `kind` if given, start
    in that month}: the month facet's counts over them, exact, from the key's spans (a row a
    day), where counting a country's month rows read tens of thousands of them, or a sample
    of them and its facet rows (7 ms at a million)."""
    if facet not in SPAN_FACETS:
        raise ValueError(f"no spans are kept of {facet!r}")
    where, params = "facet = %s AND key = %s AND starts > 0", [facet, key]
    if kind:
        where, params = where + " AND kind = %s", [*params, kind]
    months = Counter()
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT day, SUM(starts) FROM {SPAN_TABLE} WHERE {where} GROUP BY day", params
        )
        for day, starts in cursor.fetchall():
            months[str(day)[:7]] += int(starts)  # (a date, or SQLite's text of one)
    return dict(months)


def newest_start(facet, key, reach, kind=None, before=None):
    """The latest day on or after which at least `reach` published stories under (facet,
    key), of `kind` if given, start, none of them after `before`; None if fewer start by
    then. The stories a page of them newest first reaches start on or after it."""
    if facet not in SPAN_FACETS:
        raise ValueError(f"no spans are kept of {facet!r}")
    where, params = "facet = %s AND key = %s AND starts > 0", [facet, key]
    if kind:
        where, params = where + " AND kind = %s", [*params, kind]
    if before:
        where, params = where + " AND day <= %s", [*params, before]
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT day, SUM(starts) FROM {SPAN_TABLE} WHERE {where} "
            "GROUP BY day ORDER BY day DESC",
            params,
        )
        started = 0
        while rows := cursor.fetchmany(100):
            for day, starts in rows:
                started += starts
                if started >= reach:
                    return day
    return None


def key_count(facet):
    """How many keys `facet` has among the published stories (visible cities, ...)."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COUNT(*) FROM {TOTAL_TABLE} WHERE facet = %s", [facet])
        return cursor.fetchone()[0]


def summary(*facet_names):
    """{facet: (number of keys, sum of totals)} for `facet_names`, in one query."""
    marks = ", ".join(["%s"] * len(facet_names))
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT facet, COUNT(*), SUM(total) FROM {TOTAL_TABLE} WHERE facet IN ({marks}) "
            "GROUP BY facet",
            facet_names,
        )
        found = {facet: (keys, int(total)) for facet, keys, total in cursor.fetchall()}
    return {facet: found.get(facet, (0, 0)) for facet in facet_names}


def as_day(key):
    return datetime.date.fromisoformat(key)


# Words (PostgreSQL): see the module's docstring.

WORD_TABLES = [
    f"CREATE TABLE IF NOT EXISTS {WORD_TABLE} (story_id integer NOT NULL, lexeme text NOT NULL, "
    "rank real, start_date date, PRIMARY KEY (story_id, lexeme))",
    f"CREATE TABLE IF NOT EXISTS {WORD_TOTAL_TABLE} (lexeme text NOT NULL, country text NOT NULL, "
    "total bigint NOT NULL, PRIMARY KEY (lexeme, country))",
]
_WORD_BUCKET = sample.bucket_sql("CAST(w.story_id AS bigint)")
_ROW_BUCKET = sample.bucket_sql("CAST(story_id AS bigint)")  # (an index names no alias)
WORD_INDEXES = {
    # A word's stories in the order of the ranking, newest first among equals (the list's
    # order, but for the titles: browse/facets.py orders the few stories tied at the edge).
    "stories_storyword_ranked": (
        f"CREATE INDEX stories_storyword_ranked ON {WORD_TABLE} "
        "(lexeme, rank DESC, start_date DESC NULLS LAST, story_id)"
    ),
    # A word's stories in the sample, lowest hash bucket first (browse/facets.py, Sample).
    "stories_storyword_sample": (
        f"CREATE INDEX stories_storyword_sample ON {WORD_TABLE} "
        f"(lexeme, ({_ROW_BUCKET}), story_id) WHERE {_ROW_BUCKET} < {sample.SHARE}"
    ),
}
# A story's rank for one of its lexemes alone, as a search for that word ranks it
# (search.by_relevance: ts_rank with the default weights). Only for lexemes the tsquery
# syntax takes between quotes as they are (no quote, no backslash): the others, NULL, are
# never searched for through these rows (search.single_lexeme()).
_RANK = (
    "CASE WHEN w.lexeme !~ '[''\\\\]' "
    "THEN ts_rank(s.search_vector, quote_literal(w.lexeme)::tsquery) END"
)


def _insert_words(cursor, where):
    """The word rows of the published stories `where` (SQL over `s`) keeps."""
    cursor.execute(
        f"INSERT INTO {WORD_TABLE} (story_id, lexeme, rank, start_date) "
        f"SELECT s.id, w.lexeme, {_RANK}, s.start_date "
        f"FROM {STORY_TABLE} s, unnest(s.search_vector) w "
        f"WHERE s.status = 'published' AND s.search_vector IS NOT NULL AND ({where})"
    )


def _word_sums(cursor, where):
    """Counter {(lexeme, country): stories} of the word rows `where` (SQL over `w`) keeps,
    country "" for all of them."""
    cursor.execute(
        f"SELECT w.lexeme, '', COUNT(*) FROM {WORD_TABLE} w WHERE {where} GROUP BY w.lexeme "
        f"UNION ALL SELECT w.lexeme, f.key, COUNT(*) FROM {WORD_TABLE} w JOIN {FACET_TABLE} f "
        f"ON f.story_id = w.story_id AND f.facet = 'country' WHERE {where} "
        "GROUP BY w.lexeme, f.key"
    )
    return Counter({(lexeme, country): n for lexeme, country, n in cursor.fetchall()})


def _replace_words(cursor, where, rows_where, before):
    """Replace the word rows `rows_where` (SQL over `w`) keeps by those of the stories `where`
    (over `s`: the same stories) and move the word totals by the difference from `before`."""
    cursor.execute(f"DELETE FROM {WORD_TABLE} w WHERE {rows_where}")
    _insert_words(cursor, where)
    after = _word_sums(cursor, rows_where)
    # In key order, so that concurrent writers lock the totals in the same order.
    delta = sorted(
        (lexeme, country, after[lexeme, country] - before[lexeme, country])
        for lexeme, country in before.keys() | after.keys()
        if after[lexeme, country] != before[lexeme, country]
    )
    if not delta:
        return
    lexemes, countries, changes = (list(column) for column in zip(*delta, strict=True))
    cursor.execute(
        f"INSERT INTO {WORD_TOTAL_TABLE} (lexeme, country, total) "
        "SELECT * FROM unnest(%s::text[], %s::text[], %s::bigint[]) "
        "ON CONFLICT (lexeme, country) DO UPDATE SET "
        f"total = {WORD_TOTAL_TABLE}.total + excluded.total",
        [lexemes, countries, changes],
    )
    cursor.execute(
        f"DELETE FROM {WORD_TOTAL_TABLE} t USING unnest(%s::text[], %s::text[]) k(lexeme, country) "
        "WHERE t.lexeme = k.lexeme AND t.country = k.country AND t.total = 0",
        [lexemes, countries],
    )


def refresh_words(cursor, first, last):
    """Recompute the words of the stories with ids in (first, last], for a transaction that
    has just set their search vectors with WORDS_BY_CALLER on (search.Batches)."""
    cursor.execute("SELECT pg_advisory_xact_lock(%s)", [LOCK_KEY])
    rows = f"w.story_id > {int(first)} AND w.story_id <= {int(last)}"
    before = _word_sums(cursor, rows)
    _replace_words(cursor, f"s.id > {int(first)} AND s.id <= {int(last)}", rows, before)


def fill_words(cursor):
    """Every word row and total from the stories' vectors, into emptied tables, the indexes
    built after (rebuild(), migration 0020). Creates the tables if need be: an older
    migration's rebuild() runs today's code, before the migration that adds them."""
    for statement in WORD_TABLES:
        cursor.execute(statement)
    cursor.execute(f"TRUNCATE {WORD_TABLE}, {WORD_TOTAL_TABLE}")
    for name in WORD_INDEXES:
        cursor.execute(f"DROP INDEX IF EXISTS {name}")
    _insert_words(cursor, "1 = 1")
    cursor.execute(
        f"INSERT INTO {WORD_TOTAL_TABLE} (lexeme, country, total) "
        f"SELECT lexeme, '', COUNT(*) FROM {WORD_TABLE} GROUP BY lexeme "
        f"UNION ALL SELECT w.lexeme, f.key, COUNT(*) FROM {WORD_TABLE} w "
        f"JOIN {FACET_TABLE} f ON f.story_id = w.story_id AND f.facet = 'country' "
        "GROUP BY w.lexeme, f.key"
    )
    for statement in WORD_INDEXES.values():
        cursor.execute(statement)
    cursor.execute(WORD_STATISTICS)
    cursor.execute(f"ANALYZE {WORD_TABLE}")
    cursor.execute(f"ANALYZE {WORD_TOTAL_TABLE}")


# Statistics for the 2,000 commonest words, not 100: a word's rows run from a handful to a
# fifth of the stories, and one outside the list was guessed at 635 rows ("courtyard":
# 42,002 at a million), so the planner joined all of Italy's rows to it and sorted them
# (114 ms) rather than walk the word's ranked rows to the 20th in Italy (2.4 ms).
WORD_STATISTICS = f"ALTER TABLE {WORD_TABLE} ALTER COLUMN lexeme SET STATISTICS 2000"


def _in_country(country):
    """SQL keeping the word rows (`w`) of stories in `country` (a country facet key), with
    its parameters; nothing for any country ("")."""
    if not country:
        return "", []
    return (
        f" AND EXISTS (SELECT 1 FROM {FACET_TABLE} f WHERE f.story_id = w.story_id "
        "AND f.facet = 'country' AND f.key = %s)",
        [country],
    )


def word_total(lexeme, country=""):
    """How many published stories have `lexeme` (in `country`, a country facet key)."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT total FROM {WORD_TOTAL_TABLE} WHERE lexeme = %s AND country = %s",
            [lexeme, country],
        )
        row = cursor.fetchone()
    return row[0] if row else 0


def ranked_words(lexeme, reach, country=""):
    """The ids of the published stories with `lexeme` (in `country`) ranked at or above the
    `reach`-th, ranked by that word alone, newest first among equals: every story up to that
    place in the list's order, and the others tied with the reach-th on rank and date (the
    list orders those by title). All of them if they are no more than `reach`."""
    in_country, params = _in_country(country)
    rows = f"FROM {WORD_TABLE} w WHERE w.lexeme = %s{in_country}"
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT w.rank, w.start_date {rows} "
            "ORDER BY w.rank DESC, w.start_date DESC NULLS LAST, w.story_id "
            "OFFSET %s LIMIT 1",
            [lexeme, *params, reach - 1],
        )
        edge = cursor.fetchone()
        if edge is None:
            cursor.execute(f"SELECT w.story_id {rows}", [lexeme, *params])
            return [row[0] for row in cursor.fetchall()]
        rank, day = edge
        # Each an index range: those ranked higher, and those ranked equal dated on or after
        # the edge's day (any date, when the edge has none: undated stories come last).
        tied = "w.rank = CAST(%s AS real)"
        tied_params = [str(rank)]
        if day is not None:
            tied += " AND w.start_date >= %s"
            tied_params.append(day)
        cursor.execute(
            f"SELECT w.story_id {rows} AND w.rank > CAST(%s AS real) "
            f"UNION ALL SELECT w.story_id {rows} AND {tied}",
            [lexeme, *params, str(rank), lexeme, *params, *tied_params],
        )
        return [row[0] for row in cursor.fetchall()]


def word_rows(lexeme, country="", limit=None):
    """[(story id, rank, start date)] of the published stories with `lexeme` (in
    `country`), at most `limit`: a word's few stories, read once for both their order
    (ranked_among()) and their facets (browse/facets.py)."""
    in_country, params = _in_country(country)
    sql = f"SELECT w.story_id, w.rank, w.start_date FROM {WORD_TABLE} w WHERE w.lexeme = %s"
    sql, params = sql + in_country, [lexeme, *params]
    if limit is not None:
        sql, params = f"{sql} LIMIT %s", [*params, limit]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def ranked_among(rows, reach):
    """ranked_words() of a word's rows read by word_rows(): the same ids, found in Python
    rather than by two more queries (each walking the word's rows ranked, testing each
    story's country: 15 to 30 ms beside a small country at a million)."""
    if len(rows) <= reach:
        return [story_id for story_id, _, _ in rows]

    def order(row):  # rank DESC, start_date DESC NULLS LAST, story_id
        story_id, rank, day = row
        return (-rank, day is None, -day.toordinal() if day else 0, story_id)

    _, rank, day = sorted(rows, key=order)[reach - 1]
    return [
        story_id
        for story_id, its_rank, its_day in rows
        if its_rank > rank
        or (its_rank == rank and (day is None or (its_day is not None and its_day >= day)))
    ]


def sampled_words(lexeme, limit, country=""):
    """[(story id, hash bucket)] of the published stories in the sample with `lexeme` (in
    `country`), lowest bucket first, at most `limit` (browse/facets.py, Sample)."""
    join, params = "", []
    if country:
        # The country's rows in the sample, from their own index (sample.FACET_INDEXES),
        # joined: 5 ms for a common word in Italy, where a test of each of the word's
        # sampled stories took 130.
        join = (
            f" JOIN {FACET_TABLE} f ON f.story_id = w.story_id AND f.facet = 'country' "
            f"AND f.key = %s AND {sample.bucket_sql('CAST(f.story_id AS bigint)')} "
            f"< {sample.SHARE}"
        )
        params = [country]
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT w.story_id, {_WORD_BUCKET} FROM {WORD_TABLE} w{join} "
            f"WHERE w.lexeme = %s AND {_WORD_BUCKET} < {sample.SHARE} "
            f"ORDER BY {_WORD_BUCKET} LIMIT %s",
            [*params, lexeme, limit],
        )
        return cursor.fetchall()


def word_stories(lexeme, country=""):
    """(SQL, parameters) of a query of the ids of the published stories with `lexeme` (in
    `country`), for counting facets over them (a word's few stories: browse/facets.py)."""
    in_country, params = _in_country(country)
    return (
        f"SELECT w.story_id FROM {WORD_TABLE} w WHERE w.lexeme = %s{in_country}",
        [lexeme, *params],
    )


# Triggers: each notes the stories whose rows a change may alter.


def _published(story_id):
    return (
        f"EXISTS (SELECT 1 FROM {STORY_TABLE} s WHERE s.id = {story_id} AND s.status = 'published')"
    )


def _changed(vendor, *columns):
    op = "IS DISTINCT FROM" if vendor == "postgresql" else "IS NOT"
    return "(" + " OR ".join(f"OLD.{c} {op} NEW.{c}" for c in columns) + ")"


def _story_changed(vendor):
    """A change of a story that alters its rows: its status, kind or dates; on PostgreSQL its
    search vector too (its words), unless the transaction writes the words itself."""
    changed = _changed(vendor, "status", "kind", "start_date", "end_date")
    if vendor != "postgresql":
        return changed
    return (
        f"({changed} OR (OLD.search_vector IS DISTINCT FROM NEW.search_vector AND "
        f"current_setting('{WORDS_BY_CALLER}', true) IS DISTINCT FROM 'on'))"
    )


def _note(story_id):
    return f"INSERT INTO {PENDING_TABLE} (story_id) VALUES ({story_id})"


def _links(vendor):
    """Link tables: a link of a published story added or removed."""
    for table in (
        "stories_story_cities",
        "stories_story_regions",
        "stories_story_countries",
        "stories_story_performers",
    ):
        yield table, "insert", _published("NEW.story_id"), [_note("NEW.story_id")]
        yield table, "delete", _published("OLD.story_id"), [_note("OLD.story_id")]
        yield (
            table,
            "update",
            f"{_published('OLD.story_id')} OR {_published('NEW.story_id')}",
            [_note("OLD.story_id"), _note("NEW.story_id")],
        )


def trigger_specs(vendor):
    """(table, event, WHEN condition, statements) for every facet trigger."""
    story = f"{STORY_TABLE}"
    yield story, "insert", "NEW.status = 'published'", [_note("NEW.id")]
    yield story, "delete", "OLD.status = 'published'", [_note("OLD.id")]
    yield (
        story,
        "update",
        "(OLD.status = 'published' OR NEW.status = 'published') AND " + _story_changed(vendor),
        [_note("NEW.id")],
    )
    yield from _links(vendor)
    post = "stories_linkedpost"
    yield post, "insert", _published("NEW.story_id"), [_note("NEW.story_id")]
    yield post, "delete", _published("OLD.story_id"), [_note("OLD.story_id")]
    yield (
        post,
        "update",
        _changed(vendor, "platform", "story_id", *POST_HIDDEN_COLUMNS),
        [_note("OLD.story_id"), _note("NEW.story_id")],
    )
    yield (
        "stories_city",
        "update",
        _changed(vendor, "country_id", "region_id", "latitude", "longitude"),
        [
            f"INSERT INTO {PENDING_TABLE} (story_id) SELECT l.story_id FROM "
            "stories_story_cities l WHERE l.city_id = NEW.id"
        ],
    )
    yield (
        "stories_region",
        "update",
        _changed(vendor, "country_id"),
        [
            f"INSERT INTO {PENDING_TABLE} (story_id) SELECT l.story_id FROM "
            "stories_story_regions l WHERE l.region_id = NEW.id"
        ],
    )


def trigger_name(table, event):
    return f"{table}_facts_{event}"


def install_triggers(schema_editor):
    vendor = schema_editor.connection.vendor
    uninstall_triggers(schema_editor)
    for table, event, when, statements in trigger_specs(vendor):
        name = trigger_name(table, event)
        body = "; ".join(statements)
        if vendor == "postgresql":
            # PostgreSQL's WHEN takes no subquery: the condition is tested in the function.
            schema_editor.execute(
                f"CREATE FUNCTION {name}() RETURNS trigger AS $$ BEGIN IF {when} THEN {body}; "
                "END IF; RETURN NULL; END $$ LANGUAGE plpgsql"
            )
            schema_editor.execute(
                f"CREATE TRIGGER {name} AFTER {event.upper()} ON {table} FOR EACH ROW "
                f"EXECUTE FUNCTION {name}()"
            )
        else:
            schema_editor.execute(
                f"CREATE TRIGGER {name} AFTER {event.upper()} ON {table} "
                f"WHEN {when} BEGIN {body}; END"
            )


def uninstall_triggers(schema_editor):
    vendor = schema_editor.connection.vendor
    for table, event, _when, _statements in trigger_specs(vendor):
        name = trigger_name(table, event)
        if vendor == "postgresql":
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}")
            schema_editor.execute(f"DROP FUNCTION IF EXISTS {name}()")
        else:
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {name}")


def pause_triggers():
    """Switch the facet triggers off for a bulk load (PostgreSQL), inside its transaction;
    the load calls `rebuild()` before `resume_triggers()`."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        for table, event, _when, _statements in trigger_specs("postgresql"):
            cursor.execute(f"ALTER TABLE {table} DISABLE TRIGGER {trigger_name(table, event)}")


def resume_triggers():
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        for table, event, _when, _statements in trigger_specs("postgresql"):
            cursor.execute(f"ALTER TABLE {table} ENABLE TRIGGER {trigger_name(table, event)}")
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")
