from django.apps import AppConfig


class AuditConfig(AppConfig):
    """The audit log: what is followed, the events and reads written to it, and its hash chain.

    It learns which models to follow from each app's own ``ready()`` (``audit.log.follow``), and
    hears of a decryption failure by core's signal: it imports nothing above it."""

    name = "audit"
    verbose_name = "Audit log"

    def ready(self) -> None:
        from auditlog.models import LogEntry
        from django.db.models.signals import post_save, pre_save

        from core.signals import decryption_failed, row_tampered

        from . import chain, log

        post_save.connect(chain.seal_new_entry, sender=LogEntry, dispatch_uid="confide_seal")
        pre_save.connect(log.stamp_change_row, sender=LogEntry, dispatch_uid="confide_stamp")
        decryption_failed.connect(log.record_decryption_failure, dispatch_uid="confide_decryption")
        row_tampered.connect(log.record_row_tampering, dispatch_uid="confide_row_tampering")

        from datetime import timedelta

        from core import schedules

        from . import anchors, checks

        schedules.register("audit_anchor", timedelta(minutes=5), anchors.write)
        schedules.register("audit_check", timedelta(minutes=5), checks.scheduled_check)

        from core import statistics

        # Here rather than in core, whose app registers no jobs: the planner's statistics.
        schedules.register("database_statistics", timedelta(days=1), statistics.refresh)
