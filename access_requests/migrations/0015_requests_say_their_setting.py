"""Every subject-access request says which setting it belongs to (before a group, the
deployment's one setting)."""


import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("access_requests", "0014_child_protection_exemptions"),
        ("records", "0013_setting_required"),
    ]

    operations = [
        migrations.AddField(
            model_name="subjectaccessrequest",
            name="setting",
            field=models.ForeignKey(
                editable=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="records.setting",
            ),
        ),
    ]
