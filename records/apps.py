from django.apps import AppConfig


class RecordsConfig(AppConfig):
    name = "records"
    verbose_name = "Records"

    def ready(self) -> None:
        from audit.log import follow
        from core import keys

        from .models import Setting

        follow(self)
        # The deployment's setting, for the key hierarchy (one setting until a group has many).
        keys.register_setting(
            lambda: Setting.objects.order_by("name").values_list("pk", flat=True).first()
        )
