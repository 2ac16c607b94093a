from typing import Any

from django.apps import AppConfig
from django.urls import reverse


def _child_objects(child: Any) -> Any:
    """What consent files on a child, for the child's audit page ("who viewed this")."""
    from records.audit_page import about_objects  # models load after the app registry

    from .models import ConsentRecord, Disclosure, SharingDecision  # likewise

    disclosures = Disclosure.objects.filter(child=child).values_list("pk", flat=True)
    q = about_objects(Disclosure, disclosures)
    q |= about_objects(
        ConsentRecord, ConsentRecord.objects.filter(child=child).values_list("pk", flat=True)
    )
    decisions = SharingDecision.objects.filter(child=child).values_list("pk", flat=True)
    return q | about_objects(SharingDecision, decisions)


def _decisions_waiting(child: Any) -> Any:
    """A leaver's sharing decisions still waiting for the Lead (records.leaving's checklist)."""
    from records.leaving import Open  # models load after the app registry

    from .models import LeadDecision, SharingDecision  # likewise

    count = SharingDecision.objects.filter(child=child, lead_decision=LeadDecision.PENDING).count()
    if not count:
        return None
    return Open(
        "Sharing decisions waiting for the Lead", count, reverse("consent:child", args=[child.pk])
    )


def _retention(rules: Any, held: Any) -> Any:
    """Consent and sharing records follow the child's file they belong to (records.retention)."""
    from records import retention  # models load after the app registry
    from records.models import Child  # likewise

    from .models import ConsentRecord, Disclosure, SharingDecision  # likewise

    files = retention.child_files(rules)
    children = {child.pk: child for child in Child.objects.all()}
    for model in (Disclosure, ConsentRecord, SharingDecision):
        for pk, child_id in model.objects.values_list("pk", "child_id").iterator():
            kept = files[child_id]
            yield retention.Line(
                model._meta.label_lower,
                str(pk),
                kept.rule,
                kept.until,
                held.child(children[child_id]),
            )


class ConsentConfig(AppConfig):
    name = "consent"
    verbose_name = "Consent and sharing"

    def ready(self) -> None:
        from audit.log import follow

        follow(self)

        from records.audit_page import register_child_objects  # it imports records' models

        register_child_objects(_child_objects)

        from records.leaving import register_check  # it imports records' models

        register_check(_decisions_waiting)

        from records.retention import register_kind  # it imports records' models

        register_kind(_retention)
