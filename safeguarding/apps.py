from datetime import timedelta

from django.apps import AppConfig


class SafeguardingConfig(AppConfig):
    name = "safeguarding"
    verbose_name = "The safeguarding lead's day"

    def ready(self) -> None:
        from audit.log import follow
        from core import schedules
        from records.models import RecordEntry
        from records.signals import entry_recorded

        from . import alerts, notices

        follow(self, skip=["TriageVisit"])
        entry_recorded.connect(alerts.on_entry_recorded, sender=RecordEntry)
        entry_recorded.connect(notices.on_entry_recorded, sender=RecordEntry)
        schedules.register("alert_retry", timedelta(minutes=5), alerts.retry_every_setting)
