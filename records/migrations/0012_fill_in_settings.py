"""The rows already here are given their setting (a migration of its own: on PostgreSQL a
table whose rows were just updated cannot be altered in the same transaction)."""

from django.db import migrations


ROWS = [
    "Room",
    "Staff",
    "Family",
    "Carer",
    "Child",
    "RecordEntry",
    "NeedToKnowGrant",
    "ActingLead",
    "BreakGlass",
    "StaffRecord",
]


def assign_setting(apps, schema_editor):
    Setting = apps.get_model("records", "Setting")
    models_here = [apps.get_model("records", name) for name in ROWS]
    if not any(model.objects.exists() for model in models_here):
        return
    setting = Setting.objects.order_by("name").first()
    if setting is None:
        setting = Setting.objects.create(
            name="Our setting (to be completed)",
            address="To be completed in the admin",
            ico_registration_number="unknown",
            data_protection_contact="To be completed in the admin",
        )
    for model in models_here:
        model.objects.filter(setting__isnull=True).update(setting=setting)


class Migration(migrations.Migration):
    dependencies = [("records", "0011_settings_of_a_group")]

    operations = [
        migrations.RunPython(assign_setting, migrations.RunPython.noop),
    ]
