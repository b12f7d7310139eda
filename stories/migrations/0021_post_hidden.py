"""An editor can hide a single post from the public without deleting it (issue 13).

The post's text, author and handle leave the story's search document (PostgreSQL's
`stories_story_search_vector()`, SQLite's FTS5 rows), its platform and count leave the
facet rows, and its revision rule becomes "a post visitors see": not hidden, of a published
story (stories/search.py, stories/facts.py, stories/revision.py say so for new databases;
this migration brings an existing one there). No post is hidden yet, so nothing derived
needs recomputing.

SQLite cannot add a NOT NULL column with a default, or a constraint, in place: Django copies
the table, and the copy loses the table's triggers (revision, full-text index, facets), which
are created again here.
"""

from django.db import migrations, models

DOCUMENT_SQL = """
CREATE OR REPLACE FUNCTION stories_story_search_vector(
  for_story bigint, story_title text, story_summary text, story_body text
) RETURNS tsvector AS $$
BEGIN
  RETURN
    setweight(to_tsvector('english', coalesce(story_title, '')), 'A') ||
    setweight(to_tsvector('english', coalesce(story_summary, '')), 'B') ||
    setweight(to_tsvector('english', coalesce((
      SELECT string_agg(p.name || ' ' || p.role, ' ' ORDER BY sp.id)
      FROM stories_performer p
      JOIN stories_story_performers sp ON sp.performer_id = p.id
      WHERE sp.story_id = for_story), '')), 'B') ||
    setweight(to_tsvector('english', coalesce(story_body, '')), 'C') ||
    setweight(to_tsvector('english', coalesce((
      SELECT string_agg(lp.text || ' ' || lp.author_name || ' ' || lp.handle, ' '
                        ORDER BY lp.position, lp.id)
      FROM stories_linkedpost lp
      WHERE lp.story_id = for_story AND NOT lp.hidden), '')), 'D');
END
$$ LANGUAGE plpgsql STABLE PARALLEL SAFE;
"""


# SQLite: the tables whose triggers name the posts' table, dropped before the copy (below).
NAMING_POSTS = set()


def drop_triggers_naming_posts(apps, schema_editor):
    """SQLite checks every trigger when the copy is renamed to stories_linkedpost, and a
    trigger of another table that names it (the full-text index's on stories, the revision
    triggers of the preservation tables) fails the check while the old table is gone: they
    go first, and come back after."""
    if schema_editor.connection.vendor != "sqlite":
        return
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(
            "SELECT name, tbl_name FROM sqlite_master WHERE type = 'trigger' "
            "AND tbl_name <> 'stories_linkedpost' AND sql LIKE '%stories_linkedpost%'"
        )
        for name, table in cursor.fetchall():
            cursor.execute(f'DROP TRIGGER "{name}"')
            NAMING_POSTS.add(table)


def leave_hidden_posts_out(apps, schema_editor):
    from stories import facts, revision, search

    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DOCUMENT_SQL)
    else:
        with schema_editor.connection.cursor() as cursor:
            search._drop_fts_triggers(cursor)
            search._create_fts_triggers(cursor)
    public = set(revision.public_tables())
    tables = {"stories_linkedpost"} | (NAMING_POSTS & public)
    revision.install_revision_triggers(schema_editor, sorted(tables))
    NAMING_POSTS.clear()
    facts.install_triggers(schema_editor)


def count_hidden_posts_again(apps, schema_editor):
    """Backwards, before the column goes: 0007's search document, and (SQLite) the triggers
    of other tables that name the posts' table out of the way of the copy, as forwards."""
    from importlib import import_module

    if schema_editor.connection.vendor == "postgresql":
        previous = import_module("stories.migrations.0007_story_search_vector_function")
        schema_editor.execute(previous.DOCUMENT_SQL)
    drop_triggers_naming_posts(apps, schema_editor)


def triggers_without_hidden_posts(apps, schema_editor):
    """Backwards, once the column is gone: every trigger that read it, as it was before."""
    from stories import facts, revision, search
    from stories.models import before_hidden_posts

    existing = set(schema_editor.connection.introspection.table_names())
    with before_hidden_posts():
        if schema_editor.connection.vendor == "sqlite":
            with schema_editor.connection.cursor() as cursor:
                search._drop_fts_triggers(cursor)
                search._create_fts_triggers(cursor)
        tables = [table for table in revision.public_tables() if table in existing]
        revision.install_revision_triggers(schema_editor, tables)
        facts.install_triggers(schema_editor)
    NAMING_POSTS.clear()


class Migration(migrations.Migration):
    dependencies = [
        ("stories", "0020_story_words"),
    ]

    operations = [
        migrations.RunPython(drop_triggers_naming_posts, triggers_without_hidden_posts),
        migrations.AddField(
            model_name="historicallinkedpost",
            name="hidden",
            field=models.BooleanField(
                default=False,
                help_text="The post stays in the archive, for editors, with its copies; visitors no longer see it anywhere (story page, search, counts, API, feeds, downloads).",
                verbose_name="hidden from the public",
            ),
        ),
        migrations.AddField(
            model_name="historicallinkedpost",
            name="hidden_reason",
            field=models.TextField(
                blank=True,
                default="",
                help_text="Required when the post is hidden: a takedown request, personal data, …",
                verbose_name="why it is hidden",
            ),
        ),
        migrations.AddField(
            model_name="linkedpost",
            name="hidden",
            field=models.BooleanField(
                default=False,
                help_text="The post stays in the archive, for editors, with its copies; visitors no longer see it anywhere (story page, search, counts, API, feeds, downloads).",
                verbose_name="hidden from the public",
            ),
        ),
        migrations.AddField(
            model_name="linkedpost",
            name="hidden_reason",
            field=models.TextField(
                blank=True,
                default="",
                help_text="Required when the post is hidden: a takedown request, personal data, …",
                verbose_name="why it is hidden",
            ),
        ),
        migrations.AddConstraint(
            model_name="linkedpost",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("hidden", False),
                    models.Q(("hidden_reason", ""), _negated=True),
                    _connector="OR",
                ),
                name="stories_post_hidden_with_reason",
                violation_error_message="Say why the post is hidden.",
            ),
        ),
        migrations.RunPython(leave_hidden_posts_out, count_hidden_posts_again),
    ]
