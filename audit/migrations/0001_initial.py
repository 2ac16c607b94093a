"""The audit seals move here from the records app, which made them (records/migrations/0002 to
0004). Only Django's idea of where the models live changes: the tables keep their names (and the
triggers that refuse changes to them), and the content types are renamed in place."""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models

from core.migration_ops import move_content_types


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("records", "0005_entry_body_map"),
        ("contenttypes", "0002_remove_content_type_name"),
        migrations.swappable_dependency(settings.AUDITLOG_LOGENTRY_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="AuditSeal",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        ("sequence", models.PositiveBigIntegerField(unique=True)),
                        ("version", models.PositiveSmallIntegerField()),
                        ("key_id", models.CharField(max_length=64)),
                        ("actor_pk", models.BigIntegerField(blank=True, null=True)),
                        ("digest", models.CharField(max_length=64)),
                        ("created_at", models.DateTimeField(default=django.utils.timezone.now)),
                    ],
                    options={
                        "db_table": "records_auditseal",
                        "ordering": ["sequence"],
                        "constraints": [
                            models.CheckConstraint(
                                condition=models.Q(("sequence__gte", 1)),
                                name="audit_seal_sequence_positive",
                            )
                        ],
                    },
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
                                to="audit.auditseal",
                            ),
                        ),
                    ],
                    options={
                        "verbose_name_plural": "sealed entries",
                        "db_table": "records_sealedentry",
                    },
                ),
            ],
            database_operations=[],
        ),
        move_content_types("records", "audit", ["AuditSeal", "SealedEntry"]),
    ]
