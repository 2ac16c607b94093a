from datetime import timedelta
from typing import Any

from django.apps import AppConfig
from django.urls import reverse


class LifecycleConfig(AppConfig):
    name = "lifecycle"
    verbose_name = "A record's end"

    def ready(self) -> None:
        from audit.log import follow
        from core import schedules

        from .destruction import monthly_review
        from .transfer import chase_every_setting

        follow(self)
        schedules.register("destruction_review", timedelta(days=1), monthly_review)
        schedules.register("transfer_chase", timedelta(hours=6), chase_every_setting)

        from records.retention import register_kind  # it imports records' models
        from records.selectors import register_entry_notes  # likewise

        register_kind(_retention)
        register_entry_notes(_statements)


def _statements(entry: Any, user: Any) -> Any:
    """A parent's statement beside the entry it is about (rectification or restriction asked)."""
    from records.selectors import EntryNote  # models load after the app registry

    from .rights import statements_about  # likewise

    return [
        EntryNote(
            f"{request.requester.full_name}'s statement ({request.get_kind_display().split(':')[0]}"
            f", {request.received_on:%d %B %Y})",
            request.statement,
            reverse("lifecycle:rights", args=[request.pk]),
        )
        for request in statements_about(entry)
    ]


def _retention(rules: Any, held: Any) -> Any:
    """A child-protection file sent on: its copy is kept as the child-protection file is. A
    parent's request about the records follows the child's file, as consent records do. (A
    destruction's certificate is kept for good: it is the proof, and holds no content.)"""
    from records import retention  # models load after the app registry
    from records.models import Child  # likewise

    from .models import RightsRequest, Transfer  # likewise

    rule = rules[retention.CHILD_PROTECTION]
    for transfer in Transfer.objects.select_related("child"):
        child: Child = transfer.child
        yield retention.Line(
            "lifecycle.transfer",
            str(transfer.pk),
            rule.code,
            retention.add_period(child.date_of_birth, rule.years, rule.months),
            held.child(child),
        )
    asked = list(RightsRequest.objects.select_related("child"))
    files = retention.child_files(rules) if asked else {}
    for request in asked:
        kept = files[request.child_id]
        yield retention.Line(
            "lifecycle.rightsrequest",
            str(request.pk),
            kept.rule,
            kept.until,
            held.child(request.child),
        )
