"""The audit seals now belong to the audit app (audit/migrations/0001_initial.py): they leave this
app's state only; their tables stay as they are."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("records", "0005_entry_body_map"),
        ("audit", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.DeleteModel(name="SealedEntry"),
                migrations.DeleteModel(name="AuditSeal"),
            ],
            database_operations=[],
        ),
    ]
