"""A group of settings on one deployment: every row that belongs to a setting says so.

The rows already here belong to the deployment's one setting. A deployment that has records but
never recorded its setting gets one to complete in the admin (its name and ICO number say so)."""


import django.db.models.deletion
import uuid
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("records", "0010_setting_opened_on"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="GroupRole",
            fields=[
                (
                    "id",
                    models.UUIDField(
                        default=uuid.uuid4, editable=False, primary_key=True, serialize=False
                    ),
                ),
                (
                    "role",
                    models.CharField(
                        choices=[
                            ("proprietor", "Proprietor"),
                            ("group_dsl", "Group safeguarding lead"),
                        ],
                        max_length=20,
                    ),
                ),
                ("active", models.BooleanField(default=True)),
            ],
        ),
        migrations.CreateModel(
            name="SettingGroup",
            fields=[
                (
                    "id",
                    models.UUIDField(
                        default=uuid.uuid4, editable=False, primary_key=True, serialize=False
                    ),
                ),
                ("name", models.CharField(max_length=200)),
            ],
            options={
                "abstract": False,
            },
        ),
        migrations.RemoveConstraint(
            model_name="staff",
            name="one_active_lead",
        ),
        migrations.AddField(
            model_name="actinglead",
            name="setting",
            field=models.ForeignKey(
                editable=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="records.setting",
            ),
        ),
        migrations.AddField(
            model_name="breakglass",
            name="setting",
            field=models.ForeignKey(
                editable=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="records.setting",
            ),
        ),
        migrations.AddField(
            model_name="carer",
            name="setting",
            field=models.ForeignKey(
                editable=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="records.setting",
            ),
        ),
        migrations.AddField(
            model_name="child",
            name="setting",
            field=models.ForeignKey(
                editable=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="records.setting",
            ),
        ),
        migrations.AddField(
            model_name="family",
            name="setting",
            field=models.ForeignKey(
                editable=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="records.setting",
            ),
        ),
        migrations.AddField(
            model_name="needtoknowgrant",
            name="setting",
            field=models.ForeignKey(
                editable=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="records.setting",
            ),
        ),
        migrations.AddField(
            model_name="recordentry",
            name="setting",
            field=models.ForeignKey(
                editable=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="records.setting",
            ),
        ),
        migrations.AddField(
            model_name="room",
            name="setting",
            field=models.ForeignKey(
                editable=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="records.setting",
            ),
        ),
        migrations.AddField(
            model_name="staff",
            name="setting",
            field=models.ForeignKey(
                editable=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="records.setting",
            ),
        ),
        migrations.AddField(
            model_name="staffrecord",
            name="setting",
            field=models.ForeignKey(
                editable=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="records.setting",
            ),
        ),
        migrations.AlterField(
            model_name="room",
            name="name",
            field=models.CharField(max_length=100),
        ),
        migrations.AlterField(
            model_name="staff",
            name="user",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="posts",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AddConstraint(
            model_name="room",
            constraint=models.UniqueConstraint(
                fields=("setting", "name"), name="room_name_in_setting"
            ),
        ),
        migrations.AddConstraint(
            model_name="staff",
            constraint=models.UniqueConstraint(
                condition=models.Q(("active", True), ("role", "lead")),
                fields=("setting", "role"),
                name="one_active_lead",
            ),
        ),
        migrations.AddConstraint(
            model_name="staff",
            constraint=models.UniqueConstraint(
                fields=("user", "setting"), name="one_post_per_setting"
            ),
        ),
        migrations.AddField(
            model_name="grouprole",
            name="user",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="group_roles",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AddField(
            model_name="grouprole",
            name="group",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="roles",
                to="records.settinggroup",
            ),
        ),
        migrations.AddField(
            model_name="setting",
            name="group",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="settings",
                to="records.settinggroup",
            ),
        ),
        migrations.AddConstraint(
            model_name="grouprole",
            constraint=models.UniqueConstraint(
                fields=("user", "group"), name="one_group_role_per_group"
            ),
        ),
    ]
