"""The rows already here are given their setting (a migration of its own: on PostgreSQL a
table whose rows were just updated cannot be altered in the same transaction)."""

from django.db import migrations


def assign_setting(apps, schema_editor):
    Setting = apps.get_model("records", "Setting")
    setting = Setting.objects.order_by("name").first()
    if setting is None:
        return
    apps.get_model("access_requests", "SubjectAccessRequest").objects.update(setting=setting)


class Migration(migrations.Migration):
    dependencies = [("access_requests", "0015_requests_say_their_setting")]

    operations = [
        migrations.RunPython(assign_setting, migrations.RunPython.noop),
    ]
