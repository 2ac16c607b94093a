from django.apps import AppConfig


class RecordsConfig(AppConfig):
    name = "records"
    verbose_name = "Records"

    def ready(self) -> None:
        from . import audit, signals  # noqa: F401

        audit.register_models()
        from . import auth  # noqa: F401  (sign-in audit receivers; the axes handler)
