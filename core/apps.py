from django.apps import AppConfig


class CoreConfig(AppConfig):
    """What every other app builds on: encryption, encrypted fields, dates and small helpers.

    It imports nothing of ours (import-linter's layers contract, pyproject.toml)."""

    name = "core"
    verbose_name = "Core"

    def ready(self) -> None:
        from datetime import timedelta

        from django.apps import apps
        from django.core.signals import request_finished
        from django.db.models.signals import pre_delete
        from django.tasks.signals import task_finished

        from . import fields, filestore, schedules

        # Attachments and PDFs in object storage (core.filestore): a row's objects go when it
        # does; an upload whose row was not saved, when the request or task ends; a replaced
        # value's, and anything else left behind, with the daily sweep.
        for model in apps.get_models():
            if fields.binary_fields(model):
                uid = f"confide_files_{model._meta.label}"
                pre_delete.connect(fields.delete_files_with_row, sender=model, dispatch_uid=uid)
        request_finished.connect(filestore.discard_unsaved, dispatch_uid="confide_files")
        task_finished.connect(filestore.discard_unsaved, dispatch_uid="confide_files")
        schedules.register("file_storage_sweep", timedelta(days=1), filestore.sweep)
