"""Every row now has its setting: from here on, a row without one is refused."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("consent", "0003_fill_in_settings")]

    operations = [
        migrations.AlterField(
            model_name="consentrecord",
            name="setting",
            field=models.ForeignKey(
                editable=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="records.setting",
            ),
        ),
        migrations.AlterField(
            model_name="disclosure",
            name="setting",
            field=models.ForeignKey(
                editable=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="records.setting",
            ),
        ),
        migrations.AlterField(
            model_name="disclosuresubject",
            name="setting",
            field=models.ForeignKey(
                editable=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="records.setting",
            ),
        ),
        migrations.AlterField(
            model_name="sharingdecision",
            name="setting",
            field=models.ForeignKey(
                editable=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="records.setting",
            ),
        ),
    ]
