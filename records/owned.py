"""Rows that belong to one setting (core.tenancy), apart from the models so the models read as
plain Django models."""

from __future__ import annotations

from typing import Any

from django.apps import apps
from django.db import models

from core import tenancy


def _setting_model() -> Any:
    # records.models imports this module: the setting's model is looked up when a row is saved.
    return apps.get_model("records", "Setting")


class SettingOwned(models.Model):
    """A row that belongs to one setting, and says so. Its default manager sees the working
    setting's rows only (core.tenancy). The setting is taken from the row it hangs on
    (``confide_setting_from``, say the child), or for a row that hangs on nothing of a setting's,
    from the setting being worked in; a row whose setting differs from its parent's is refused."""

    confide_setting_from: str | None = None

    setting = models.ForeignKey(
        "records.Setting", on_delete=models.PROTECT, related_name="+", editable=False
    )

    objects = tenancy.ScopedManager()

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        parent_setting = None
        if self.confide_setting_from is not None:
            parent = getattr(self, self.confide_setting_from)
            parent_setting = parent.setting_id if parent is not None else None
        if self.setting_id is None:
            self.setting_id = parent_setting or _setting_model().current_id()
            if self.setting_id is None:
                raise ValueError(
                    f"a {self._meta.verbose_name} needs a setting: none is being worked in"
                )
        elif parent_setting is not None and parent_setting != self.setting_id:
            raise ValueError(
                f"a {self._meta.verbose_name} cannot belong to another setting than its "
                f"{self.confide_setting_from}"
            )
        super().save(*args, **kwargs)
