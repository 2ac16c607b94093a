"""Helpers shared by the services: who is acting, and dates that cannot be in the future."""

from __future__ import annotations

from datetime import datetime

from django.contrib.auth.models import User

from core.rules import in_future, require
from records import policy as records_policy
from records.models import Staff


def _staff(user: User) -> Staff:
    staff = records_policy.staff_of(user)
    require(staff is not None)
    assert staff is not None
    return staff


def _not_in_future(value: datetime | None, field: str, what: str, errors: dict[str, str]) -> None:
    if in_future(value):
        errors[field] = f"{what} cannot be in the future."
