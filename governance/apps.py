from datetime import timedelta

from django.apps import AppConfig


class GovernanceConfig(AppConfig):
    name = "governance"
    verbose_name = "The setting as data controller"

    def ready(self) -> None:
        from audit.log import follow
        from core import schedules

        from . import breaches, policies

        follow(self)
        schedules.register("breach_clock", timedelta(minutes=15), breaches.remind_every_setting)
        schedules.register("policy_reviews", timedelta(days=1), policies.remind_every_setting)
