"""An index for "who read or changed this record, newest first": the audit log's rows of one object
(content type, object id) by time. The child's audit page and "who read this entry" asked by
content type and id and sorted by time over millions of rows (DESIGN.md, "Measured at scale").

django-auditlog owns the table, so the index is made here. On PostgreSQL it is built CONCURRENTLY
(no lock on the audit log's inserts while it builds), which cannot run in a transaction.
"""

from django.db import migrations

NAME = "confide_logentry_object_time"
COLUMNS = "(content_type_id, object_pk, timestamp)"


def create(apps, schema_editor):
    concurrently = "CONCURRENTLY " if schema_editor.connection.vendor == "postgresql" else ""
    schema_editor.execute(
        f"CREATE INDEX {concurrently}IF NOT EXISTS {NAME} ON auditlog_logentry {COLUMNS}"
    )


def drop(apps, schema_editor):
    schema_editor.execute(f"DROP INDEX IF EXISTS {NAME}")


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("audit", "0003_chain_per_setting"),
        ("auditlog", "0017_add_actor_email"),
    ]

    operations = [migrations.RunPython(create, drop)]
