from django.apps import AppConfig


class CoreConfig(AppConfig):
    """What every other app builds on: encryption, encrypted fields, dates and small helpers.

    It imports nothing of ours (import-linter's layers contract, pyproject.toml)."""

    name = "core"
    verbose_name = "Core"
