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
  platform its posts are on) and `unmapped` (no city of the story is on the map).
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
"""

import datetime
from collections import Counter

from django.db import connection, transaction

from stories import sample

STORY_TABLE = "stories_story"
FACET_TABLE = "stories_storyfacet"
TOTAL_TABLE = "stories_facettotal"
PENDING_TABLE = "stories_facetpending"
SPAN_TABLE = "stories_facetspan"
# The facets whose keys are wide enough for a date range to be counted from the spans
# (FacetSpan): every story, a country (a fifth of the archive), a platform.
SPAN_FACETS = ("story", "country", "platform")
FACET_INDEXES = {
    # (The primary key, (story_id, facet, key), counts a facet over a set of stories from
    # the index alone: WHERE story_id IN (...) AND facet = ...)
    # A selection (one city, country, performer or platform, a kind, a date range) as an
    # index range, its story ids read from the index alone.
    "stories_storyfacet_select": "(facet, key, kind, start_date, end_date, story_id, weight)",
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
        f"JOIN stories_linkedpost p ON p.story_id = s.id WHERE {published} "
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
        f"JOIN stories_linkedpost p ON p.story_id = s.id WHERE {published} AND p.platform <> ''"
    )
    yield (
        f"SELECT {_row('unmapped', EMPTY)} FROM {STORY_TABLE} s WHERE {published} AND NOT EXISTS "
        "(SELECT 1 FROM stories_story_cities l JOIN stories_city c ON c.id = l.city_id "
        "WHERE l.story_id = s.id AND c.latitude IS NOT NULL)"
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
    where = f"s.id IN ({','.join(map(str, ids))})"
    before, spans_before = _sums(cursor, ids), _spans(cursor, ids)
    cursor.execute(f"DELETE FROM {FACET_TABLE} WHERE story_id IN ({','.join(map(str, ids))})")
    _insert_rows(cursor, where)
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


# Triggers: each notes the stories whose rows a change may alter.


def _published(story_id):
    return (
        f"EXISTS (SELECT 1 FROM {STORY_TABLE} s WHERE s.id = {story_id} AND s.status = 'published')"
    )


def _changed(vendor, *columns):
    op = "IS DISTINCT FROM" if vendor == "postgresql" else "IS NOT"
    return "(" + " OR ".join(f"OLD.{c} {op} NEW.{c}" for c in columns) + ")"


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
        "(OLD.status = 'published' OR NEW.status = 'published') AND "
        + _changed(vendor, "status", "kind", "start_date", "end_date"),
        [_note("NEW.id")],
    )
    yield from _links(vendor)
    post = "stories_linkedpost"
    yield post, "insert", _published("NEW.story_id"), [_note("NEW.story_id")]
    yield post, "delete", _published("OLD.story_id"), [_note("OLD.story_id")]
    yield (
        post,
        "update",
        _changed(vendor, "platform", "story_id"),
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
