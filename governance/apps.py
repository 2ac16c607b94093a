from datetime import timedelta

from django.apps import AppConfig


class GovernanceConfig(AppConfig):
    name = "governance"
    verbose_name = "The setting as data controller"

    def ready(self) -> None:
        from audit.log import follow
        from core import schedules

        from . import allegations, breaches, policies

        # An allegation's changes are not written as change rows (they would be on the audit
        # pages): each step is an event held apart (governance.allegations).
        follow(self, skip=["Allegation"])
        from records.selectors import register_entry_notes  # it imports records' models

        register_entry_notes(allegations.placeholder_note)
        from access_requests.compile import register_staff_items  # likewise

        register_staff_items(allegations.staff_items)
        schedules.register("breach_clock", timedelta(minutes=15), breaches.remind_every_setting)
        schedules.register(
            "allegation_retention", timedelta(days=1), allegations.remove_past_keeping_every_setting
        )
        schedules.register("policy_reviews", timedelta(days=1), policies.remind_every_setting)
