"""One definition of a story's search document, shared by the row trigger and the batches.

Migration 0004's trigger function computed the weighted document inline. Bulk loads now leave
`search_vector` empty and stories/search.py fills it in afterwards, batch by batch, with a
set-based UPDATE; both must compute exactly the same vector, so the document moves into the
function `stories_story_search_vector(id, title, summary, body)` that the trigger and the
batches call. The related texts are joined in a fixed order (performers as linked, posts by
position) so that the words' positions, and so ranking, do not depend on how rows happen to
lie on disk.

PL/pgSQL rather than SQL: a bulk load drops and recreates indexes inside its transaction,
and PL/pgSQL's cached plans notice that; the plans of an SQL function called from the
trigger are kept for the whole transaction and would still name the dropped indexes.
"""

from django.db import migrations

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
      WHERE lp.story_id = for_story), '')), 'D');
END
$$ LANGUAGE plpgsql STABLE PARALLEL SAFE;

CREATE OR REPLACE FUNCTION stories_story_search_document() RETURNS trigger AS $$
BEGIN
  NEW.search_vector := stories_story_search_vector(NEW.id, NEW.title, NEW.summary, NEW.body);
  RETURN NEW;
END
$$ LANGUAGE plpgsql;
"""

# Migration 0004's trigger function, as it was.
INLINE_DOCUMENT_SQL = """
CREATE OR REPLACE FUNCTION stories_story_search_document() RETURNS trigger AS $$
BEGIN
  NEW.search_vector :=
    setweight(to_tsvector('english', coalesce(NEW.title, '')), 'A') ||
    setweight(to_tsvector('english', coalesce(NEW.summary, '')), 'B') ||
    setweight(to_tsvector('english', coalesce((
      SELECT string_agg(p.name || ' ' || p.role, ' ')
      FROM stories_performer p
      JOIN stories_story_performers sp ON sp.performer_id = p.id
      WHERE sp.story_id = NEW.id), '')), 'B') ||
    setweight(to_tsvector('english', coalesce(NEW.body, '')), 'C') ||
    setweight(to_tsvector('english', coalesce((
      SELECT string_agg(lp.text || ' ' || lp.author_name || ' ' || lp.handle, ' ')
      FROM stories_linkedpost lp
      WHERE lp.story_id = NEW.id), '')), 'D');
  RETURN NEW;
END
$$ LANGUAGE plpgsql;

DROP FUNCTION IF EXISTS stories_story_search_vector(bigint, text, text, text);
"""


def share_document(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DOCUMENT_SQL)


def inline_document(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(INLINE_DOCUMENT_SQL)


class Migration(migrations.Migration):
    dependencies = [
        ("stories", "0006_story_unindexed"),
    ]

    operations = [
        migrations.RunPython(share_document, inline_document),
    ]
