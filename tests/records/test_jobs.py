"""Scheduled work runs in every setting, each in its own; one setting's failure is logged and
counted, and the others' work is still done."""

from __future__ import annotations

import pytest

from core import tenancy
from records.jobs import SettingsFailed, for_each_setting
from records.models import Setting

from ..factories import make_setting

pytestmark = pytest.mark.django_db


def test_one_settings_failure_never_stops_the_others():
    first, second, third = (make_setting(f"Example Preschool {n}") for n in "ABC")
    seen: list[object] = []

    def work() -> int:
        here = tenancy.working_setting()
        seen.append(here)
        if here == second.pk:
            raise RuntimeError("the mail server is down")
        return 2

    with pytest.raises(SettingsFailed, match="4 things done, 1 settings failed"):
        for_each_setting(work, name="Test work", done="things done")
    assert (
        set(seen)
        == {first.pk, second.pk, third.pk}
        == set(Setting.objects.values_list("pk", flat=True))
    )
    assert for_each_setting(lambda: 0, name="Nothing", done="things done") == "0 things done"
