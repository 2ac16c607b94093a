from django.apps import AppConfig


class RecordsConfig(AppConfig):
    name = "records"
    verbose_name = "Records"

    def ready(self) -> None:
        from . import audit, signals  # noqa: F401

        audit.register_models()
        from core.signals import decryption_failed

        decryption_failed.connect(
            audit.record_decryption_failure, dispatch_uid="confide_audit_decryption"
        )
        from . import auth  # noqa: F401  (sign-in audit receivers; the axes handler)
