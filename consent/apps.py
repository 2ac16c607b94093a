from typing import Any

from django.apps import AppConfig


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


class ConsentConfig(AppConfig):
    name = "consent"
    verbose_name = "Consent and sharing"

    def ready(self) -> None:
        from audit.log import follow

        follow(self)

        from records.audit_page import register_child_objects  # it imports records' models

        register_child_objects(_child_objects)
