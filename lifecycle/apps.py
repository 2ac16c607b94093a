from datetime import timedelta

from django.apps import AppConfig


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
