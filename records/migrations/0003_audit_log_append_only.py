"""The database refuses changes to the audit log; entries written before the chain are sealed.

UPDATE of a log entry is refused on SQLite and PostgreSQL, except auditlog's own clearing of the
actor (ON DELETE SET NULL when a user is deleted; the seal keeps who the actor was). Seals cannot
be updated either. DELETE is refused on PostgreSQL only: Django empties tables with DELETE on
SQLite (the test suite's flush between transactional tests), but with TRUNCATE on PostgreSQL,
which row triggers do not see. On SQLite the hash chain is what detects a deleted entry.

Beware: Django's SQLite schema editor rebuilds a table to alter it, which drops its triggers, so a
later auditlog migration that alters auditlog_logentry must be followed by this one again
(``manage.py verify_audit`` warns when a trigger is missing).
"""

from django.db import migrations

TRIGGER_NAMES = (
    "confide_logentry_no_update",
    "confide_logentry_no_delete",
    "confide_auditseal_no_change",
)

POSTGRESQL_CREATE = """
CREATE OR REPLACE FUNCTION confide_refuse_logentry_update() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF (to_jsonb(NEW) - 'actor_id') = (to_jsonb(OLD) - 'actor_id')
       AND (NEW.actor_id IS NULL OR NEW.actor_id = OLD.actor_id) THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'the audit log cannot be changed'
        USING ERRCODE = 'restrict_violation';
END
$$;
CREATE OR REPLACE FUNCTION confide_refuse_audit_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the audit log cannot be changed (% on %)', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'restrict_violation';
END
$$;
CREATE TRIGGER confide_logentry_no_update BEFORE UPDATE ON auditlog_logentry
    FOR EACH ROW EXECUTE FUNCTION confide_refuse_logentry_update();
CREATE TRIGGER confide_logentry_no_delete BEFORE DELETE ON auditlog_logentry
    FOR EACH ROW EXECUTE FUNCTION confide_refuse_audit_change();
CREATE TRIGGER confide_auditseal_no_change BEFORE UPDATE OR DELETE ON records_auditseal
    FOR EACH ROW EXECUTE FUNCTION confide_refuse_audit_change();
"""

POSTGRESQL_DROP = """
DROP TRIGGER IF EXISTS confide_logentry_no_update ON auditlog_logentry;
DROP TRIGGER IF EXISTS confide_logentry_no_delete ON auditlog_logentry;
DROP TRIGGER IF EXISTS confide_auditseal_no_change ON records_auditseal;
DROP FUNCTION IF EXISTS confide_refuse_logentry_update();
DROP FUNCTION IF EXISTS confide_refuse_audit_change();
"""


def _sqlite_statements(apps, schema_editor):
    log_entry = apps.get_model("auditlog", "LogEntry")
    quote = schema_editor.quote_name
    changed = " OR ".join(
        f"NEW.{quote(f.column)} IS NOT OLD.{quote(f.column)}"
        for f in log_entry._meta.concrete_fields
        if f.column != "actor_id"
    )
    return [
        f"""CREATE TRIGGER confide_logentry_no_update BEFORE UPDATE ON auditlog_logentry
        WHEN {changed} OR (NEW.actor_id IS NOT OLD.actor_id AND NEW.actor_id IS NOT NULL)
        BEGIN SELECT RAISE(ABORT, 'the audit log cannot be changed'); END""",
        """CREATE TRIGGER confide_auditseal_no_change BEFORE UPDATE ON records_auditseal
        BEGIN SELECT RAISE(ABORT, 'the audit log cannot be changed'); END""",
    ]


def create_triggers(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(POSTGRESQL_CREATE, params=None)
    elif vendor == "sqlite":
        for statement in _sqlite_statements(apps, schema_editor):
            schema_editor.execute(statement, params=None)


def drop_triggers(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(POSTGRESQL_DROP, params=None)
    elif vendor == "sqlite":
        for name in TRIGGER_NAMES:
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {name}", params=None)


def seal_existing_entries(apps, schema_editor):
    """Entries written before the chain existed are sealed as they stand now, in id order."""
    from audit.chain import GENESIS, canonical_entry, seal_digest
    from core.crypto import keyring

    log_entry = apps.get_model("auditlog", "LogEntry")
    audit_seal = apps.get_model("records", "AuditSeal")
    unsealed = log_entry.objects.filter(confide_seal__isnull=True).order_by("pk")
    if not unsealed.exists():
        return
    key_id = keyring().current_id
    head = audit_seal.objects.order_by("-sequence").first()
    sequence, prev = (head.sequence, head.digest) if head else (0, GENESIS)
    batch = []
    for entry in unsealed.iterator(chunk_size=1000):
        sequence += 1
        seal = audit_seal(entry=entry, sequence=sequence, key_id=key_id, actor_pk=entry.actor_id)
        seal.digest = prev = seal_digest(
            key_id=key_id,
            prev_digest=prev,
            sequence=sequence,
            created_at=seal.created_at,
            actor_pk=seal.actor_pk,
            entry=canonical_entry(entry),
        )
        batch.append(seal)
        if len(batch) == 1000:
            audit_seal.objects.bulk_create(batch)
            batch = []
    audit_seal.objects.bulk_create(batch)


class Migration(migrations.Migration):
    dependencies = [
        ("records", "0002_audit_seal"),
        ("auditlog", "0017_add_actor_email"),
    ]

    operations = [
        migrations.RunPython(seal_existing_entries, migrations.RunPython.noop),
        migrations.RunPython(create_triggers, drop_triggers),
    ]
