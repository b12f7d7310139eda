"""The database's refusal to alter an archived copy after the fact.

A copy's origin, time, author, file and checksum are its provenance: once written, an UPDATE
that changes any of them fails, whichever way it comes (the admin, a command, raw SQL), on
PostgreSQL and on SQLite. Hiding a copy (`hidden`, `hidden_reason`) is the one change
allowed. Link checks are observations: they are never updated at all.
"""

TABLE = "preservation_archivedcopy"
# Every column but the public's view of the copy.
FIXED_COLUMNS = (
    "post_id",
    "kind",
    "original_url",
    "captured_at",
    "captured_by",
    "file",
    "size",
    "media_type",
    "sha256",
    "public_file",
    "public_sha256",
)
CHECKS_TABLE = "preservation_linkcheck"
MESSAGE = "An archived copy is never altered: add a new copy instead."
CHECK_MESSAGE = "A link check is never altered: check the link again instead."

TRIGGERS = {
    # (table, trigger name) -> the columns whose change it refuses (None: any update)
    (TABLE, "preservation_copy_fixed"): FIXED_COLUMNS,
    (CHECKS_TABLE, "preservation_check_fixed"): None,
}


def _condition(columns, old="OLD", new="NEW", vendor="postgresql"):
    distinct = "IS DISTINCT FROM" if vendor == "postgresql" else "IS NOT"
    return " OR ".join(f"{old}.{c} {distinct} {new}.{c}" for c in columns)


def install(schema_editor):
    vendor = schema_editor.connection.vendor
    uninstall(schema_editor)
    for (table, name), columns in TRIGGERS.items():
        message = MESSAGE if columns else CHECK_MESSAGE
        if vendor == "postgresql":
            test = _condition(columns) if columns else "TRUE"
            schema_editor.execute(
                f"""
                CREATE FUNCTION {name}() RETURNS trigger AS $$
                BEGIN
                  IF {test} THEN
                    RAISE EXCEPTION '{message}' USING ERRCODE = 'integrity_constraint_violation';
                  END IF;
                  RETURN NEW;
                END
                $$ LANGUAGE plpgsql
                """
            )
            schema_editor.execute(
                f"CREATE TRIGGER {name} BEFORE UPDATE ON {table} "
                f"FOR EACH ROW EXECUTE FUNCTION {name}()"
            )
        else:
            when = f" WHEN {_condition(columns, vendor='sqlite')}" if columns else ""
            schema_editor.execute(
                f"CREATE TRIGGER {name} BEFORE UPDATE ON {table}{when} "
                f"BEGIN SELECT RAISE(ABORT, '{message}'); END"
            )


def uninstall(schema_editor):
    vendor = schema_editor.connection.vendor
    for table, name in TRIGGERS:
        if vendor == "postgresql":
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}")
            schema_editor.execute(f"DROP FUNCTION IF EXISTS {name}()")
        else:
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {name}")
