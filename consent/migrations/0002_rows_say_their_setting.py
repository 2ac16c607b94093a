"""Every disclosure, consent record and sharing decision says which setting it belongs to: its
child's (before a group, the deployment's one setting)."""


import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("consent", "0001_initial"),
        ("records", "0013_setting_required"),
    ]

    operations = [
        migrations.AddField(
            model_name="consentrecord",
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
            model_name="disclosure",
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
            model_name="disclosuresubject",
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
            model_name="sharingdecision",
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
