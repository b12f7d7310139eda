"""Text search over stories: PostgreSQL full-text search, SQLite's FTS5 on the default.

Both read the visitor's words the way PostgreSQL's `websearch_to_tsquery` does (every word
must match, "-word" excludes, "a quoted phrase" matches as a phrase, OR between alternatives),
with English stemming (a search for "balconies" finds "balcony", "clapping" finds "clap") and
English stop words ignored, and both rank a story by where the words are: its title (weight
A), its summary and its performers' names and roles (B), its body (C), the text, author and
handle of its linked posts (D). Ties are ordered newest first, as the list is.

PostgreSQL: each story keeps a stored `search_vector` (GIN-indexed). Triggers keep it current
whichever way rows change (admin, loaddata, imports, raw SQL), so no Python code has to
remember to refresh it: migration 0004_story_search installs them, on PostgreSQL only.
Bulk loads (stories/interchange/bulk_load.py) pause the triggers and commit their stories with
no vector; `index_missing_vectors()` then fills them in, batch by batch, while the site
already serves the new archive (`manage.py load_archive` and `generate_archive` call it right
after the load, `manage.py rebuild_search_index` finishes an interrupted run). The trigger and the
batches compute the document with the same database function, stories_story_search_vector()
(migration 0007).

A search for one word (`single_lexeme()`), alone or with a country, is answered on
PostgreSQL from the word tables kept with the facet tables (stories/facts.py): its total
from a kept count, its first pages from an index in the order of the ranking, its facets
from the sample's rows; browse/facets.py reads them. The list is the same, in the same
order (tests/test_search_words.py compares them). On SQLite the same holds for any words
one MATCH answers (`fts_term()`), counted, sampled and ranked to the page's reach in the
FTS5 index alone (`fts_total()` and the others, below); stories/words.py picks the side.

SQLite: an FTS5 table, `stories_story_fts` (migration 0013_story_fts_sqlite, SQLite only),
tokenised with the Porter stemmer, holds one row per PUBLISHED story (rowid = the story's id)
with the same document in five columns: title, summary, performers, body, posts. Only
published stories: what is not public is not in the index at all, the table is smaller
(70% of the synthetic archive), and a query needs no status test there (the list still
starts from `published()`, the one gate). Row triggers (`fts_triggers()`) rewrite a story's row
in the same statement as the change that alters it: a story saved, published, withdrawn or
deleted, a performer linked, unlinked or renamed, a post added, edited or removed. So a story
an editor withdraws leaves every search inside the same transaction. `matching()` translates
the words into an FTS5 query (`fts5_query()`: every term quoted, so nothing the visitor types
is FTS5 syntax) and joins the index through the unmanaged model
`stories.models.StorySearchDocument`; `by_relevance()` ranks with FTS5's bm25(), the columns
weighted 10, 4, 4, 2, 1 as PostgreSQL's ts_rank weighs A, B, C, D (1, 0.4, 0.2, 0.1). A bulk
load drops the triggers and rebuilds the table at the end of its transaction, which is faster
than rewriting a story's row at each of its links and posts (docs/benchmarks.md).
"""

import functools
import re
import threading
import unicodedata
from contextlib import contextmanager
from dataclasses import dataclass, field

from django.contrib.postgres.search import SearchQuery, SearchRank
from django.db import connection, transaction
from django.db.models import F, FloatField, Func, Q, Value
from django.db.models.expressions import RawSQL
from tqdm import tqdm

from stories import facts, sample
from stories.models import POST_HIDDEN_COLUMNS, shown_post

SEARCH_CONFIG = "english"


def uses_full_text_search():
    return connection.vendor == "postgresql"


def matching(queryset, words):
    """Stories of `queryset` that match the visitor's words, read as websearch_to_tsquery
    reads them (every word must match; see `parse_websearch()`)."""
    if uses_full_text_search():
        query = SearchQuery(words, search_type="websearch", config=SEARCH_CONFIG)
        return queryset.filter(search_vector=query)
    alternatives = parse_websearch(words)
    if not alternatives:
        return queryset.none()  # no word left (stop words, punctuation): PostgreSQL finds none
    if all(alternative.required for alternative in alternatives):
        # One MATCH, joined: the rows by_relevance() ranks.
        return queryset.filter(search_document__document__match=fts5_query(alternatives))
    # An alternative with only excluded words ("-palermo") is what FTS5 cannot say (its NOT
    # needs something on its left): stories the index does not match for them.
    condition = Q()
    for alternative in alternatives:
        if alternative.required:
            condition |= Q(pk__in=_fts_ids(fts5_query([alternative])))
        else:
            condition |= ~Q(pk__in=_fts_ids(_any_of(alternative.excluded)))
    return queryset.filter(condition)


# A tsquery of one lexeme, as PostgreSQL writes it: 'balconi'.
ONE_LEXEME = re.compile(r"'([^'\\]+)'")


def single_lexeme(words):
    """The one lexeme the visitor's words come to, read as `matching()` reads them, when a
    search for them is a search for that lexeme alone: on PostgreSQL, where the word tables
    (stories/facts.py) count and rank such a search. None for anything else: several words,
    a phrase, an exclusion, an OR, none left, a lexeme with a quote or a backslash, SQLite."""
    if not uses_full_text_search():
        return None
    return _single_lexeme(words)


@functools.lru_cache(maxsize=1024)
def _single_lexeme(words):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT websearch_to_tsquery(%s::regconfig, %s)::text", [SEARCH_CONFIG, words]
        )
        (query,) = cursor.fetchone()
    match = ONE_LEXEME.fullmatch(query)
    return match.group(1) if match else None


def by_relevance(queryset, words):
    """Orders matching stories (a StoryQuerySet, as `matching()` returned it) best first,
    ties newest first."""
    if uses_full_text_search():
        query = SearchQuery(words, search_type="websearch", config=SEARCH_CONFIG)
        return queryset.annotate(rank=SearchRank(F("search_vector"), query)).order_by(
            "-rank", *queryset.NEWEST_FIRST
        )
    alternatives = parse_websearch(words)
    if not alternatives or not all(alternative.required for alternative in alternatives):
        # Nothing to rank by (PostgreSQL ranks every story "-palermo" finds 0): newest first.
        return queryset.newest_first()
    # bm25() is lower for a better match. It needs the MATCH of matching() in the same query
    # (before or after this: both use the one join to the index).
    return queryset.annotate(rank=BM25(F("search_document__document"))).order_by(
        "rank", *queryset.NEWEST_FIRST
    )


# SQLite: the FTS5 index.

FTS_TABLE = "stories_story_fts"
# Its columns, and their bm25() weights: ts_rank's default weights of the PostgreSQL
# document's A, B, B, C and D parts (1, 0.4, 0.4, 0.2, 0.1), times ten.
FTS_COLUMNS = {"title": 10.0, "summary": 4.0, "performers": 4.0, "body": 2.0, "posts": 1.0}
FTS_TOKENIZER = "porter unicode61 remove_diacritics 2"


class BM25(Func):
    function = "bm25"
    output_field = FloatField()

    def __init__(self, document):
        super().__init__(document, *(Value(weight) for weight in FTS_COLUMNS.values()))


def _fts_ids(query):
    return RawSQL(f"SELECT rowid FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH %s", [query])


# SQLite: a search that one MATCH answers, alone or with a country, read from the index
# alone (stories/words.py), which holds only published stories: no story is joined to count
# or sample it, or to rank it to a page's reach.

FTS_SCORE = f"bm25({FTS_TABLE}, {', '.join(str(weight) for weight in FTS_COLUMNS.values())})"
# Read past a page's reach when ranking, so that the stories tied with the last one on score
# are most often among those read (22 to 44 tie at the top for the commonest words at
# 100,000 stories); else a second pass reads the rest of the tie.
FTS_TIES = 100


def fts_term(words):
    """SQLite: the FTS5 query of the visitor's words when one MATCH answers them (each
    alternative requires a word), as `matching()` builds it; None otherwise."""
    alternatives = parse_websearch(words)
    if alternatives and all(alternative.required for alternative in alternatives):
        return fts5_query(alternatives)
    return None


def _fts_rows(query, country):
    """(FROM and WHERE, parameters) of the index rows (`f`) matching `query`, of stories in
    `country` (a country facet key) if given."""
    sql, params = f"FROM {FTS_TABLE} f", []
    if country:
        # Joined: `rowid IN (a country's stories)` has FTS5 match the words again for each
        # id (41 s for a common word in Italy, against 23 ms joined).
        sql += (
            f" JOIN {facts.FACET_TABLE} c ON c.story_id = f.rowid"
            " AND c.facet = 'country' AND c.key = %s"
        )
        params.append(country)
    return f"{sql} WHERE {FTS_TABLE} MATCH %s", [*params, query]


def fts_total(query, country=""):
    """How many published stories match `query` (in `country`)."""
    rows, params = _fts_rows(query, country)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COUNT(*) {rows}", params)
        return cursor.fetchone()[0]


def fts_ranked(query, reach, country=""):
    """{story id: rank} of the stories matching `query` (in `country`) scored at or better
    than the `reach`-th: every story up to that place in the list's order, best score first,
    and any tied with it on score (the list orders those by date and title). All of them if
    they are no more than `reach`. The rank is higher for a better match (the opposite of
    bm25()'s score). Scored in the index alone: a word in 61,000 of 70,000 stories took 78
    ms ranked with each story joined, 47 ms so."""
    rows, params = _fts_rows(query, country)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT f.rowid, {FTS_SCORE} AS score {rows} ORDER BY score LIMIT %s",
            [*params, reach + FTS_TIES],
        )
        best = cursor.fetchall()
        if len(best) > reach:
            edge = best[reach - 1][1]
            if best[-1][1] > edge:
                best = [(story_id, score) for story_id, score in best if score <= edge]
            else:  # the tie runs on past what was read: every story scored so
                cursor.execute(
                    f"SELECT rowid, score FROM (SELECT f.rowid, {FTS_SCORE} AS score {rows} "
                    "LIMIT -1) WHERE score <= %s",
                    [*params, edge],
                )
                best = cursor.fetchall()
    return {story_id: -score for story_id, score in best}


def fts_rows(query, country="", limit=None):
    """[(story id, rank, start date)] of the stories matching `query` (in `country`), at
    most `limit`, as facts.word_rows() gives them: the rank higher for a better match (the
    opposite of bm25()'s score)."""
    rows, params = _fts_rows(query, country)
    joined = rows.replace(" WHERE ", " JOIN stories_story s ON s.id = f.rowid WHERE ", 1)
    sql = f"SELECT f.rowid, -{FTS_SCORE}, s.start_date {joined}"
    if limit is not None:
        sql, params = f"{sql} LIMIT %s", [*params, limit]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()  # (the start date a date: Django's SQLite converters)


def fts_sampled(query, limit, country=""):
    """[(story id, hash bucket)] of the stories in the sample matching `query` (in
    `country`), lowest bucket first, at most `limit`, as facts.sampled_words() gives them."""
    rows, params = _fts_rows(query, country)
    bucket = sample.sqlite_bucket("f.rowid").replace("%", "%%")
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT f.rowid, {bucket} AS bucket {rows} AND bucket < {sample.SHARE} "
            "ORDER BY bucket, f.rowid LIMIT %s",
            [*params, limit],
        )
        return cursor.fetchall()


def fts_stories(query, country=""):
    """(SQL, parameters) of a query of the ids of the stories matching `query` (in
    `country`), as facts.word_stories() gives them."""
    rows, params = _fts_rows(query, country)
    return f"SELECT f.rowid {rows}", params


# PostgreSQL's English stop words (tsearch_data/english.stop), which its `english`
# configuration leaves out of documents and queries: a word among them matches nothing there
# and constrains nothing, so it is dropped here too ("a balcony in Palermo").
STOP_WORDS = frozenset(
    """
    i me my myself we our ours ourselves you your yours yourself yourselves he him his
    himself she her hers herself it its itself they them their theirs themselves what
    which who whom this that these those am is are was were be been being have has had
    having do does did doing a an the and but if or because as until while of at by for
    with about against between into through during before after above below to from up
    down in out on off over under again further then once here there when where why how
    all any both each few more most other some such no nor not only own same so than too
    very s t can will just don should now
    """.split()  # noqa: SIM905 (a list of 127 quoted words would be harder to check)
)
# A word's characters, as FTS5's unicode61 tokenizer counts them: letters and digits.
TOKEN = re.compile(r"[^\W_]+")


@dataclass
class Alternative:
    """Words that must all match (`required`) and words none of which may (`excluded`); each
    a tuple of tokens, a phrase when more than one."""

    required: list = field(default_factory=list)
    excluded: list = field(default_factory=list)


def parse_websearch(words):
    """The visitor's words as `websearch_to_tsquery` reads them, as a list of alternatives
    (OR); empty when no word is left. Unquoted words must all match; "-word" or
    "-\"a phrase\"" excludes (and "--word" requires); a quoted phrase (an unclosed quote runs
    to the end) matches as a phrase; OR, in any case, separates alternatives. Everything else
    that is not a letter or a digit separates words, so nothing typed reaches FTS5 as syntax:
    `*`, `^`, `:`, NEAR, parentheses are words or nothing."""
    text = unicodedata.normalize("NFC", words)
    alternatives = [Alternative()]
    position = 0
    while position < len(text):
        char = text[position]
        if char.isspace():
            position += 1
            continue
        # Each minus before a word negates it once more ("--word" is "word"), spaces
        # between them and the word or not.
        negated = False
        while position < len(text) and (text[position] == "-" or text[position].isspace()):
            negated ^= text[position] == "-"
            position += 1
        if position >= len(text):
            break
        if text[position] == '"':
            end = text.find('"', position + 1)
            end = len(text) if end < 0 else end
            term = _term(text[position + 1 : end])
            position = end + 1
        else:
            end = position
            while end < len(text) and not text[end].isspace() and text[end] != '"':
                end += 1
            chunk = text[position:end]
            position = end
            if not negated and chunk.lower() == "or":
                if alternatives[-1].required or alternatives[-1].excluded:
                    alternatives.append(Alternative())
                continue
            term = _term(chunk)
        if term:
            alternative = alternatives[-1]
            (alternative.excluded if negated else alternative.required).append(term)
    return [a for a in alternatives if a.required or a.excluded]


def _term(text):
    """The tokens of a word or a phrase, without the stop words at either end (inside a
    phrase they stay, so the phrase keeps its shape); None when nothing is left."""
    tokens = TOKEN.findall(text.lower())
    while tokens and tokens[0] in STOP_WORDS:
        tokens.pop(0)
    while tokens and tokens[-1] in STOP_WORDS:
        tokens.pop()
    return tuple(tokens) or None


def _quoted(term):
    # Tokens hold letters and digits only: nothing in them needs escaping.
    return '"' + " ".join(term) + '"'


def _any_of(terms):
    return "(" + " OR ".join(_quoted(term) for term in terms) + ")"


def fts5_query(alternatives):
    """An FTS5 MATCH expression for alternatives that each require a word: every term
    quoted (FTS5 then stems it with the table's tokenizer), every group in parentheses."""
    groups = []
    for alternative in alternatives:
        group = "(" + " AND ".join(_quoted(term) for term in alternative.required) + ")"
        if alternative.excluded:
            group += " NOT " + _any_of(alternative.excluded)
        groups.append(f"({group})")
    return " OR ".join(groups)


def _joined(rows):
    """The rows' texts (`t`) joined by spaces in their order (SQLite's group_concat keeps the
    order of an ordered subquery), '' when there are none, as string_agg and coalesce give."""
    return f"coalesce((SELECT group_concat(t, ' ') FROM ({rows})), '')"


# A published story's row of the index, for the stories WHERE (SQL over `s`) keeps: the
# PostgreSQL document's parts (migration 0007), related texts in the same order.
def document_select(where):
    performers = (
        "SELECT p.name || ' ' || p.role AS t FROM stories_story_performers sp "
        "JOIN stories_performer p ON p.id = sp.performer_id WHERE sp.story_id = s.id "
        "ORDER BY sp.id"
    )
    posts = (
        "SELECT lp.text || ' ' || lp.author_name || ' ' || lp.handle AS t "
        f"FROM stories_linkedpost lp WHERE lp.story_id = s.id AND {shown_post('lp')} "
        "ORDER BY lp.position, lp.id"
    )
    return (
        f"SELECT s.id, s.title, s.summary, {_joined(performers)}, s.body, "
        f"{_joined(posts)} FROM stories_story s "
        f"WHERE s.status = 'published' AND ({where})"
    )


def _refresh(story_ids):
    """Statements rewriting the rows of the stories `story_ids` (SQL) names."""
    return [
        f"DELETE FROM {FTS_TABLE} WHERE rowid IN ({story_ids})",
        f"INSERT INTO {FTS_TABLE} (rowid, {', '.join(FTS_COLUMNS)}) "
        + document_select(f"s.id IN ({story_ids})"),
    ]


def _published(story_id):
    return (
        f"EXISTS (SELECT 1 FROM stories_story s WHERE s.id = {story_id} AND s.status = 'published')"
    )


def _changed(*columns):
    return "(" + " OR ".join(f"OLD.{c} IS NOT NEW.{c}" for c in columns) + ")"


# The SQLite triggers that keep the index: name -> (table, event, WHEN condition, statements),
# made when they are installed (`fts_triggers()`: a post's `hidden` column is in them from
# migration 0021 on).
def fts_triggers():
    return {
        "stories_story_fts_story_insert": (
            "stories_story",
            "INSERT",
            "NEW.status = 'published'",
            _refresh("NEW.id"),
        ),
        "stories_story_fts_story_update": (
            "stories_story",
            "UPDATE",
            "(OLD.status = 'published' OR NEW.status = 'published') AND "
            + _changed("id", "status", "title", "summary", "body"),
            _refresh("OLD.id")[:1] + _refresh("NEW.id"),
        ),
        "stories_story_fts_story_delete": (
            "stories_story",
            "DELETE",
            "OLD.status = 'published'",
            _refresh("OLD.id")[:1],
        ),
        "stories_story_fts_performers_insert": (
            "stories_story_performers",
            "INSERT",
            _published("NEW.story_id"),
            _refresh("NEW.story_id"),
        ),
        "stories_story_fts_performers_update": (
            "stories_story_performers",
            "UPDATE",
            f"{_published('OLD.story_id')} OR {_published('NEW.story_id')}",
            _refresh("OLD.story_id, NEW.story_id"),
        ),
        "stories_story_fts_performers_delete": (
            "stories_story_performers",
            "DELETE",
            _published("OLD.story_id"),
            _refresh("OLD.story_id"),
        ),
        # A performer written after the links that name it (foreign keys are checked at commit:
        # a bulk load writes the performers it keeps in memory last).
        "stories_story_fts_performer_insert": (
            "stories_performer",
            "INSERT",
            "EXISTS (SELECT 1 FROM stories_story_performers sp WHERE sp.performer_id = NEW.id)",
            _refresh(
                "SELECT sp.story_id FROM stories_story_performers sp WHERE sp.performer_id = NEW.id"
            ),
        ),
        "stories_story_fts_performer_names": (
            "stories_performer",
            "UPDATE",
            _changed("name", "role"),
            _refresh(
                "SELECT sp.story_id FROM stories_story_performers sp WHERE sp.performer_id = NEW.id"
            ),
        ),
        "stories_story_fts_posts_insert": (
            "stories_linkedpost",
            "INSERT",
            _published("NEW.story_id"),
            _refresh("NEW.story_id"),
        ),
        "stories_story_fts_posts_update": (
            "stories_linkedpost",
            "UPDATE",
            _changed("story_id", "position", "text", "author_name", "handle", *POST_HIDDEN_COLUMNS),
            _refresh("OLD.story_id, NEW.story_id"),
        ),
        "stories_story_fts_posts_delete": (
            "stories_linkedpost",
            "DELETE",
            _published("OLD.story_id"),
            _refresh("OLD.story_id"),
        ),
    }


def install_fts_index(schema_editor):
    """Create the FTS5 table and its triggers, and index the published stories (SQLite)."""
    schema_editor.execute(
        f"CREATE VIRTUAL TABLE {FTS_TABLE} USING fts5({', '.join(FTS_COLUMNS)}, "
        f"tokenize='{FTS_TOKENIZER}')"
    )
    with schema_editor.connection.cursor() as cursor:
        _create_fts_triggers(cursor)
        _rebuild_fts(cursor)


def uninstall_fts_index(schema_editor):
    with schema_editor.connection.cursor() as cursor:
        _drop_fts_triggers(cursor)
    schema_editor.execute(f"DROP TABLE IF EXISTS {FTS_TABLE}")


def _create_fts_triggers(cursor):
    for name, (table, event, when, statements) in fts_triggers().items():
        body = "; ".join(statements)
        cursor.execute(
            f"CREATE TRIGGER {name} AFTER {event} ON {table} WHEN {when} BEGIN {body}; END"
        )


def _drop_fts_triggers(cursor):
    for name in fts_triggers():
        cursor.execute(f"DROP TRIGGER IF EXISTS {name}")


def _rebuild_fts(cursor):
    """Every published story's row, afresh: one INSERT ... SELECT."""
    cursor.execute(f"DELETE FROM {FTS_TABLE}")
    cursor.execute(
        f"INSERT INTO {FTS_TABLE} (rowid, {', '.join(FTS_COLUMNS)}) " + document_select("1")
    )


def rebuild_fts_index():
    """Rewrite the SQLite index from the stories (after changing how the document is built,
    or by hand); returns how many stories it holds."""
    with transaction.atomic(), connection.cursor() as cursor:
        _rebuild_fts(cursor)
        cursor.execute(f"SELECT count(*) FROM {FTS_TABLE}")
        return cursor.fetchone()[0]


# The row triggers migration 0004 installs, by table. A bulk load pauses them: row by row,
# a million stories take many minutes; `index_missing_vectors()` fills the vectors in later.
SEARCH_TRIGGERS = {
    "stories_story": "stories_story_search_document",
    "stories_linkedpost": "stories_story_search_posts",
    "stories_story_performers": "stories_story_search_performers",
    "stories_performer": "stories_story_search_performer_names",
}

# A story's weighted document (migration 0007), the same function the trigger calls.
VECTOR_OF_STORY = "stories_story_search_vector(id, title, summary, body)"

# Every story's vector in one go, for bench/browse_at_scale.py's fill: computed in a query
# PostgreSQL can spread over several cores (a CREATE TABLE AS runs its SELECT in parallel; an
# UPDATE does not), then joined in.
REBUILD_STATEMENTS = [
    f"CREATE TEMP TABLE stories_search_rebuild AS SELECT id, {VECTOR_OF_STORY} AS vector "
    "FROM stories_story",
    "UPDATE stories_story s SET search_vector = r.vector "
    "FROM stories_search_rebuild r WHERE r.id = s.id",
    "DROP TABLE stories_search_rebuild",
]
REBUILD_SQL = ";\n".join(REBUILD_STATEMENTS)


def pause_search_triggers():
    """Switch the search triggers off for a bulk load.

    Call inside the load's transaction. PostgreSQL: ALTER TABLE is transactional, so a failed
    load leaves the triggers as they were; the stories loaded meanwhile have no vector until
    `index_missing_vectors()` runs, after the load has committed. SQLite (which cannot
    disable a trigger): the FTS triggers are dropped, in the transaction too, and
    `resume_search_triggers()` re-creates them and rebuilds the index.
    """
    if not uses_full_text_search():
        with connection.cursor() as cursor:
            _drop_fts_triggers(cursor)
        return
    with connection.cursor() as cursor:
        for table, trigger in SEARCH_TRIGGERS.items():
            cursor.execute(f"ALTER TABLE {table} DISABLE TRIGGER {trigger}")


def resume_search_triggers():
    """Switch the search triggers back on, at the end of the load's transaction. PostgreSQL:
    vectors are not computed here, as that would hold the load's transaction for minutes
    with a million stories. SQLite: the index is rebuilt here, in the load's transaction
    (seconds for 100,000 stories), so the archive is searchable when it commits."""
    if not uses_full_text_search():
        with connection.cursor() as cursor:
            _create_fts_triggers(cursor)
            _rebuild_fts(cursor)
        return
    with connection.cursor() as cursor:
        # Django's foreign keys are deferred; check them now, as ALTER TABLE refuses to run
        # while their trigger events are pending.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        for table, trigger in SEARCH_TRIGGERS.items():
            cursor.execute(f"ALTER TABLE {table} ENABLE TRIGGER {trigger}")
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")


@contextmanager
def search_triggers_paused():
    """The search triggers off for the block, as in a bulk load; then the vectors of the
    stories written meanwhile filled in."""
    pause_search_triggers()
    yield
    resume_search_triggers()
    index_missing_vectors()


def unindexed_story_count(queryset=None):
    """How many stories of `queryset` (all stories by default) search cannot find yet because
    they have no vector. Always 0 on SQLite, whose index a bulk load rebuilds before it
    commits. Cheap once search is complete: it reads the partial index
    stories_story_unindexed, then empty."""
    if not uses_full_text_search():
        return 0
    from stories.models import Story

    if queryset is None:
        queryset = Story.objects.all()
    return queryset.filter(search_vector__isnull=True).count()


def index_missing_vectors(*, batch_size=5000, workers=2, progress=False):
    """Fill in the vector of every story that has none (after a bulk load); returns how many.

    Batches of `batch_size` stories by primary key range, each one UPDATE committed on its
    own: the site keeps serving, each batch makes its stories searchable, and an interruption
    loses at most the batches under way (run it again to finish). Nothing to do on SQLite.
    """
    return _index(missing_only=True, batch_size=batch_size, workers=workers, progress=progress)


def rebuild_all_vectors(*, batch_size=5000, workers=2, progress=False):
    """Recompute every story's vector, in committed batches as `index_missing_vectors()`
    does; stories stay searchable (with their old vector) until their batch is done."""
    return _index(missing_only=False, batch_size=batch_size, workers=workers, progress=progress)


def _index(*, missing_only, batch_size, workers, progress):
    if not uses_full_text_search():
        return 0
    if batch_size < 1 or workers < 1:
        raise ValueError("batch_size and workers must be 1 or more")
    batches = Batches(missing_only, batch_size)
    total = None
    if progress:
        total = unindexed_story_count() if missing_only else _story_count()
    with tqdm(total=total, unit=" stories", disable=not progress) as bar:
        # Other connections cannot see rows the current transaction has not committed (a
        # test's, or a caller's atomic block): then the batches run here, one after another.
        if workers == 1 or connection.in_atomic_block:
            return batches.run(bar)
        return _run_in_threads(batches, workers, bar)


def _story_count():
    from stories.models import Story

    return Story.objects.count()


class Batches:
    """Hands out consecutive ranges of story ids, `size` stories each (the ids may be sparse,
    so a range ends at the size-th story's id), and indexes each range in one UPDATE.

    Thread-safe: several workers take ranges from one instance, each on its own connection.
    """

    def __init__(self, missing_only, size):
        unindexed = " AND search_vector IS NULL" if missing_only else ""
        # Served by stories_story_unindexed for missing vectors, by the primary key otherwise.
        self.upper_bound_sql = (
            "SELECT max(id) FROM (SELECT id FROM stories_story "
            f"WHERE id > %s{unindexed} ORDER BY id LIMIT %s) batch"
        )
        # Setting search_vector alone does not fire the document trigger (it fires on
        # UPDATE OF title, summary, body), which would compute the vector a second time.
        self.update_sql = (
            f"UPDATE stories_story SET search_vector = {VECTOR_OF_STORY} "
            f"WHERE id > %s AND id <= %s{unindexed}"
        )
        self.size = size
        self.last_id = 0
        self.lock = threading.Lock()
        self.stopped = threading.Event()

    def next_range(self, cursor):
        """The next (after, up_to] range of ids, or None when every story has been taken."""
        with self.lock:
            if self.stopped.is_set():
                return None
            cursor.execute(self.upper_bound_sql, [self.last_id, self.size])
            (up_to,) = cursor.fetchone()
            if up_to is None:
                return None
            after, self.last_id = self.last_id, up_to
            return after, up_to

    def run(self, bar):
        """Index ranges on this thread's connection until none is left; returns how many."""
        indexed = 0
        with connection.cursor() as cursor:
            while (ids := self.next_range(cursor)) is not None:
                with transaction.atomic():
                    # The batch writes its stories' words (stories/facts.py) itself, rather
                    # than leave each story noted for the next request to recompute.
                    cursor.execute(f"SET LOCAL {facts.WORDS_BY_CALLER} = 'on'")
                    cursor.execute(self.update_sql, ids)
                    count = cursor.rowcount
                    if count:
                        facts.refresh_words(cursor, *ids)
                indexed += count
                with self.lock:
                    bar.update(count)
        return indexed


def _run_in_threads(batches, workers, bar):
    counts = []
    errors = []

    def work():
        try:
            counts.append(batches.run(bar))
        except BaseException as exc:  # handed to the calling thread, which raises it
            errors.append(exc)
            batches.stopped.set()
        finally:
            connection.close()  # this thread's own connection

    threads = [threading.Thread(target=work, name=f"search-index-{n}") for n in range(workers)]
    for thread in threads:
        thread.start()
    try:
        for thread in threads:
            thread.join()
    finally:
        # On Ctrl-C, let each worker commit the batch it is on, then stop.
        batches.stopped.set()
        for thread in threads:
            thread.join()
    if errors:
        raise errors[0]
    return sum(counts)
