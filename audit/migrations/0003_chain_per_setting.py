"""One audit chain per setting, and one for the deployment's own events (audit.chain).

The seals made so far stay as they are, in the deployment's chain (``chain`` = 0). On SQLite,
changing the table's columns rebuilds it, which drops the trigger that refuses changes to seals:
it is made again here (records/migrations/0004 made it first). PostgreSQL alters the table in
place and keeps its triggers.
"""

import uuid

from django.db import migrations, models

SQLITE_TRIGGER = (
    "DROP TRIGGER IF EXISTS confide_auditseal_no_change",
    """CREATE TRIGGER confide_auditseal_no_change BEFORE UPDATE ON records_auditseal
    BEGIN SELECT RAISE(ABORT, 'the audit log cannot be changed'); END""",
)


def recreate_sqlite_trigger(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        for statement in SQLITE_TRIGGER:
            schema_editor.execute(statement, params=None)


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0002_chain_checks"),
    ]

    operations = [
        migrations.AlterModelOptions(
            name="auditseal",
            options={"ordering": ["chain", "sequence"]},
        ),
        migrations.AddField(
            model_name="auditseal",
            name="actor_key",
            field=models.CharField(blank=True, max_length=150),
        ),
        migrations.AddField(
            model_name="auditseal",
            name="chain",
            field=models.UUIDField(
                default=uuid.UUID("00000000-0000-0000-0000-000000000000"), editable=False
            ),
        ),
        migrations.AddField(
            model_name="chaincheck",
            name="chain",
            field=models.UUIDField(
                db_index=True, default=uuid.UUID("00000000-0000-0000-0000-000000000000")
            ),
        ),
        migrations.AlterField(
            model_name="auditseal",
            name="sequence",
            field=models.PositiveBigIntegerField(),
        ),
        migrations.AddConstraint(
            model_name="auditseal",
            constraint=models.UniqueConstraint(
                fields=("chain", "sequence"), name="audit_seal_one_link_per_place"
            ),
        ),
        migrations.RunPython(recreate_sqlite_trigger, migrations.RunPython.noop),
    ]
