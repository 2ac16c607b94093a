"""Scheduled work done setting by setting: each in its own setting (core.tenancy), one setting's
failure logged and counted, never stopping the others'."""

from __future__ import annotations

import logging
from collections.abc import Callable

from core import tenancy

from .models import Setting

logger = logging.getLogger(__name__)


def for_each_setting(work: Callable[[], int], *, name: str, done: str) -> str:
    """Run ``work`` in every setting; it returns how many things it did. The result says so:
    "3 alerts sent again", and ", 1 settings failed" when any did."""
    total = failed = 0
    for setting_id in Setting.objects.values_list("pk", flat=True):
        with tenancy.working_in(setting_id):
            try:
                total += work()
            except Exception:  # one setting's failure never stops the others
                logger.exception("%s for setting %s failed", name, setting_id)
                failed += 1
    return f"{total} {done}" + (f", {failed} settings failed" if failed else "")
