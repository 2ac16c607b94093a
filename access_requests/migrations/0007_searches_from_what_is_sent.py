"""The note of searches is made from what the requester receives, at render, so that no count in
it gives away a record withheld without saying so. The request keeps only what the reviewer wrote
of other places searched; each entry's item keeps its number of amendments."""

import core.fields
from django.db import migrations, models

OTHER = "Other places searched: "


def carry_over(apps, schema_editor):
    request_model = apps.get_model("access_requests", "SubjectAccessRequest")
    item_model = apps.get_model("access_requests", "BundleItem")
    for sar in request_model.objects.exclude(searches="").iterator():
        lines = [line for line in sar.searches.splitlines() if line.startswith(OTHER)]
        if lines:
            sar.other_searches = lines[0][len(OTHER) :]
            sar.save(update_fields=["other_searches"])
    for item in item_model.objects.filter(kind="entry").iterator():
        count = item.body.count("\n\nAmendment, ")
        if count:
            item.amendments = count
            item.save(update_fields=["amendments"])


class Migration(migrations.Migration):
    dependencies = [
        ("access_requests", "0006_encrypt_item_title"),
    ]

    operations = [
        migrations.AddField(
            model_name="bundleitem",
            name="amendments",
            field=models.PositiveSmallIntegerField(default=0),
        ),
        migrations.AddField(
            model_name="subjectaccessrequest",
            name="other_searches",
            field=core.fields.EncryptedTextField(blank=True, verbose_name="other places searched"),
        ),
        migrations.RunPython(carry_over, migrations.RunPython.noop),
        migrations.RemoveField(
            model_name="subjectaccessrequest",
            name="searches",
        ),
    ]
