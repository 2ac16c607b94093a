from datetime import timedelta
from typing import Any

from django.apps import AppConfig


def _child_objects(child: Any) -> Any:
    """What the safeguarding loop files on a child, for the child's audit page ("who viewed
    this"): alerts, follow-up actions, Ofsted notices and chronology prints."""
    from django.db.models import Q  # with the models, after the app registry

    from records.audit_page import about_objects  # models load after the app registry

    from .models import Action, Alert, ChronologyPrint, OfstedNotice  # likewise

    def ids(model: Any, q: Q) -> Any:
        return model.objects.filter(q).values_list("pk", flat=True)

    on_entries = Q(entry__child=child)
    return (
        about_objects(Alert, ids(Alert, on_entries))
        | about_objects(OfstedNotice, ids(OfstedNotice, on_entries))
        | about_objects(Action, ids(Action, on_entries | Q(decision__child=child)))
        | about_objects(ChronologyPrint, ids(ChronologyPrint, Q(child=child)))
    )


class SafeguardingConfig(AppConfig):
    name = "safeguarding"
    verbose_name = "The safeguarding lead's day"

    def ready(self) -> None:
        from audit.log import follow
        from core import schedules
        from records.audit_page import register_child_objects  # it imports records' models
        from records.models import RecordEntry
        from records.signals import entry_recorded

        from . import alerts, notices, printing

        follow(self, skip=["TriageVisit"])
        register_child_objects(_child_objects)
        entry_recorded.connect(alerts.on_entry_recorded, sender=RecordEntry)
        entry_recorded.connect(notices.on_entry_recorded, sender=RecordEntry)
        schedules.register("alert_retry", timedelta(minutes=5), alerts.retry_every_setting)
        schedules.register("chronology_prints", timedelta(days=1), printing.expire_every_setting)
