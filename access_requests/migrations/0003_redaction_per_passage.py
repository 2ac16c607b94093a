"""Each redacted passage gets its own row, with its own exemption and note.

Until now a redacted item kept its passages as lines of one text, under one exemption and one
note for them all: each passage is copied with that exemption and note, which stay true of it.
The item's own exemption is then cleared, since it now speaks only for withholding the whole item.
Backwards, the passages are joined into lines again under the first passage's exemption.

Rows are saved one by one through the historical models, so every encrypted value is sealed to its
own row, as the application itself would do it.
"""

from django.db import migrations

REDACT = "redact"


def split_passages(apps, schema_editor):
    BundleItem = apps.get_model("access_requests", "BundleItem")
    Redaction = apps.get_model("access_requests", "Redaction")
    for item in BundleItem.objects.filter(decision=REDACT).iterator():
        lines = [line.strip() for line in item.redactions.splitlines() if line.strip()]
        for position, passage in enumerate(dict.fromkeys(lines)):
            Redaction(
                item=item,
                position=position,
                passage=passage,
                exemption=item.exemption or "other",
                exemption_other=item.exemption_other
                if item.exemption
                else "Not recorded before exemptions were kept per passage",
                note=item.note or "Not recorded.",
            ).save()
        item.exemption = ""
        item.exemption_other = ""
        item.save(update_fields=["exemption", "exemption_other"])


def join_passages(apps, schema_editor):
    BundleItem = apps.get_model("access_requests", "BundleItem")
    for item in BundleItem.objects.filter(decision=REDACT).iterator():
        passages = list(item.passages.order_by("position"))
        if not passages:
            continue
        item.redactions = "\n".join(p.passage for p in passages)
        item.exemption = passages[0].exemption
        item.exemption_other = passages[0].exemption_other
        item.save(update_fields=["redactions", "exemption", "exemption_other"])


class Migration(migrations.Migration):

    dependencies = [
        ('access_requests', '0002_redaction'),
    ]

    operations = [
        migrations.RunPython(split_passages, join_passages),
    ]
