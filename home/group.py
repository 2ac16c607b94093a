"""The group's overview: for a group role (the proprietor, the group's safeguarding lead), each
setting's counts — open subject-access requests and their nearest deadline, sharing decisions
waiting for the Lead, referrals whose acknowledgement is overdue. Counts only: no child, no
family, no content. Content needs a post in the setting, as it does for anyone."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from access_requests.selectors import group_counts as request_counts
from consent.selectors import group_counts as decision_counts
from records import policy


@dataclass(frozen=True)
class SettingCounts:
    name: str
    open_requests: int
    overdue_requests: int
    next_due: date | None
    decisions_waiting: int
    referrals_overdue: int

    @property
    def needs_attention(self) -> bool:
        return bool(self.overdue_requests or self.referrals_overdue)


def overview(user: Any) -> list[SettingCounts]:
    settings_ = list(policy.group_settings(user).values_list("pk", "name"))
    ids = [pk for pk, _ in settings_]
    requests, decisions = request_counts(ids), decision_counts(ids)
    return [
        SettingCounts(
            name=name,
            open_requests=requests[pk]["open"],
            overdue_requests=requests[pk]["overdue"],
            next_due=requests[pk]["next_due"],
            decisions_waiting=decisions[pk]["decisions_waiting"],
            referrals_overdue=decisions[pk]["referrals_overdue"],
        )
        for pk, name in settings_
    ]
