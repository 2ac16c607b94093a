"""The index of what a page's read event covered (audit.models.ReadItem), append-only as the rest
of the audit log: no UPDATE on SQLite (as the log entries there), no UPDATE or DELETE on
PostgreSQL (confide_refuse_audit_change() is records' migration 0003's)."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

SQLITE_CREATE = """CREATE TRIGGER confide_readitem_no_change BEFORE UPDATE ON audit_readitem
    BEGIN SELECT RAISE(ABORT, 'the audit log cannot be changed'); END"""
POSTGRESQL_CREATE = """CREATE TRIGGER confide_readitem_no_change BEFORE UPDATE OR DELETE
    ON audit_readitem FOR EACH ROW EXECUTE FUNCTION confide_refuse_audit_change()"""


def create_triggers(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(POSTGRESQL_CREATE, params=None)
    elif vendor == "sqlite":
        schema_editor.execute(SQLITE_CREATE, params=None)


def drop_triggers(apps, schema_editor):
    on = " ON audit_readitem" if schema_editor.connection.vendor == "postgresql" else ""
    schema_editor.execute(f"DROP TRIGGER IF EXISTS confide_readitem_no_change{on}", params=None)


class Migration(migrations.Migration):

    dependencies = [
        ('audit', '0004_logentry_object_time_index'),
        migrations.swappable_dependency(settings.AUDITLOG_LOGENTRY_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='ReadItem',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('object_pk', models.CharField(max_length=255)),
                ('entry', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='confide_read_items', to=settings.AUDITLOG_LOGENTRY_MODEL)),
            ],
            options={
                'indexes': [models.Index(fields=['object_pk', 'entry'], name='audit_readitem_object')],
            },
        ),
        migrations.RunPython(create_triggers, drop_triggers),
    ]
