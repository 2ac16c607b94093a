"""One seal per insert: a seal covers every log entry written together (a page of reads is one
seal, not one per row); SealedEntry says which entries a seal covers.

Seals made before this migration cover one entry each. They become version 1 seals with one
SealedEntry, and are verified as they were made (their digest covers the entry's content itself).
Irreversible: a version 2 seal covering many entries has no version 1 form.

SQLite rebuilds records_auditseal to drop its entry column, which drops the trigger that refuses
UPDATE on it (migration 0003); it is made again here, with the same for records_sealedentry (and,
on PostgreSQL, DELETE refused too, as for the other audit tables).
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

SQLITE_CREATE = (
    "DROP TRIGGER IF EXISTS confide_auditseal_no_change",
    """CREATE TRIGGER confide_auditseal_no_change BEFORE UPDATE ON records_auditseal
    BEGIN SELECT RAISE(ABORT, 'the audit log cannot be changed'); END""",
    """CREATE TRIGGER confide_sealedentry_no_change BEFORE UPDATE ON records_sealedentry
    BEGIN SELECT RAISE(ABORT, 'the audit log cannot be changed'); END""",
)

# confide_refuse_audit_change() is migration 0003's.
POSTGRESQL_CREATE = """
CREATE TRIGGER confide_sealedentry_no_change BEFORE UPDATE OR DELETE ON records_sealedentry
    FOR EACH ROW EXECUTE FUNCTION confide_refuse_audit_change();
"""


def link_version_1_seals(apps, schema_editor):
    audit_seal = apps.get_model("records", "AuditSeal")
    sealed_entry = apps.get_model("records", "SealedEntry")
    last = 0
    while True:
        seals = list(
            audit_seal.objects.filter(sequence__gt=last)
            .order_by("sequence")
            .values_list("sequence", "id", "entry_id")[:2000]
        )
        if not seals:
            return
        sealed_entry.objects.bulk_create(
            sealed_entry(entry_id=entry_id, seal_id=seal_id, content_hash="")
            for _sequence, seal_id, entry_id in seals
        )
        last = seals[-1][0]


def create_triggers(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(POSTGRESQL_CREATE, params=None)
    elif vendor == "sqlite":
        for statement in SQLITE_CREATE:
            schema_editor.execute(statement, params=None)


class Migration(migrations.Migration):
    dependencies = [
        ("records", "0003_audit_log_append_only"),
        migrations.swappable_dependency(settings.AUDITLOG_LOGENTRY_MODEL),
    ]

    operations = [
        # Its reverse accessor (LogEntry.confide_seal) goes to SealedEntry.
        migrations.AlterField(
            model_name="auditseal",
            name="entry",
            field=models.OneToOneField(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to=settings.AUDITLOG_LOGENTRY_MODEL,
            ),
        ),
        migrations.AddField(
            model_name="auditseal",
            name="version",
            field=models.PositiveSmallIntegerField(default=1),
            preserve_default=False,
        ),
        migrations.CreateModel(
            name="SealedEntry",
            fields=[
                (
                    "entry",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.PROTECT,
                        primary_key=True,
                        related_name="confide_seal",
                        serialize=False,
                        to=settings.AUDITLOG_LOGENTRY_MODEL,
                    ),
                ),
                ("content_hash", models.CharField(blank=True, max_length=64)),
                (
                    "seal",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="sealed_entries",
                        to="records.auditseal",
                    ),
                ),
            ],
            options={
                "verbose_name_plural": "sealed entries",
            },
        ),
        migrations.RunPython(link_version_1_seals),
        migrations.RemoveField(
            model_name="auditseal",
            name="entry",
        ),
        migrations.RunPython(create_triggers),
    ]
