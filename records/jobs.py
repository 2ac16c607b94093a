"""Scheduled work done setting by setting: each in its own setting (core.tenancy), one setting's
failure logged and counted, never stopping the others'."""

from __future__ import annotations

import logging
from collections.abc import Callable

from core import tenancy

from .models import Setting

logger = logging.getLogger(__name__)


class SettingsFailed(Exception):
    """Some settings' work failed (each logged); the others' was done. The scheduler records the
    job as failed, with this message, so the failure is seen."""


def for_each_setting(work: Callable[[], int], *, name: str, done: str) -> str:
    """Run ``work`` in every setting; it returns how many things it did. The result says so: "3
    alerts sent again"; when a setting failed, SettingsFailed says how many, after every other
    setting's work is done. No transaction around a setting's run: most of these jobs send email,
    and each send is recorded as it happens (a transaction would hold SQLite's write lock through
    every SMTP call, and forget what was sent when a later one failed); a job whose steps must
    stand or fall together makes its own (the destruction review's, an allegation's removal)."""
    total = failed = 0
    for setting_id in Setting.objects.values_list("pk", flat=True):
        with tenancy.working_in(setting_id):
            try:
                total += work()
            except Exception:  # one setting's failure never stops the others
                logger.exception("%s for setting %s failed", name, setting_id)
                failed += 1
    summary = f"{total} {done}"
    if failed:
        raise SettingsFailed(f"{summary}, {failed} settings failed")
    return summary
