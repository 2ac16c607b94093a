from datetime import timedelta

from django.apps import AppConfig


class GovernanceConfig(AppConfig):
    name = "governance"
    verbose_name = "The setting as data controller"

    def ready(self) -> None:
        from audit.log import follow
        from core import schedules

        from .breaches import remind_every_setting

        follow(self)
        schedules.register("breach_clock", timedelta(minutes=15), remind_every_setting)
