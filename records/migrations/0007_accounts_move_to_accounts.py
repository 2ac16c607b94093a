"""Enrolment codes and the sessions list now belong to the accounts app
(accounts/migrations/0001_initial.py): they leave this app's state only; their tables stay."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("records", "0006_audit_seals_move_to_audit"),
        ("accounts", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.DeleteModel(name="EnrolmentCode"),
                migrations.DeleteModel(name="UserSession"),
            ],
            database_operations=[],
        ),
    ]
