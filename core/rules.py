"""What every app's services share: refusing what the policy forbids, and collecting the errors a
person can act on."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

# A minute's grace for clocks between a tablet and the server.
CLOCK_GRACE = timedelta(minutes=1)


def require(allowed: bool, message: str = "You may not do that.") -> None:
    """In a service: the policy said no (views answer 404 before a service is reached)."""
    if not allowed:
        raise PermissionDenied(message)


def blank(value: str | None) -> bool:
    return not (value or "").strip()


def raise_errors(errors: Mapping[str, str | list[str]]) -> None:
    """Every error found, at once, each on its field."""
    if errors:
        raise ValidationError(dict(errors))


def in_future(value: datetime | date | None) -> bool:
    """Later than now (a datetime, with the clock grace) or than today (a date)."""
    if value is None:
        return False
    if isinstance(value, datetime):
        return value > timezone.now() + CLOCK_GRACE
    return value > timezone.localdate()


def not_in_future(value: datetime | date | None, field: str, what: str) -> None:
    if in_future(value):
        raise ValidationError({field: f"{what} cannot be in the future."})
