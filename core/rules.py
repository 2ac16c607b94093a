"""What every app's services share: refusing what the policy forbids, and collecting the errors a
person can act on."""

from __future__ import annotations

import re
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


# Characters that show nothing: zero-width spaces and joiners, the byte-order mark, the soft hyphen
# and the controls that change the direction of text. Text made only of these (and white space) is
# blank: it would be saved as a record that says nothing, or one that reads differently from what
# was typed.
INVISIBLE = (
    "\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180e\u200b\u200c\u200d\u200e\u200f"
    "\u202a\u202b\u202c\u202d\u202e\u2060\u2061\u2062\u2063\u2064\u2066\u2067\u2068"
    "\u2069\u206a\u206b\u206c\u206d\u206e\u206f\u3164\ufeff\uffa0"
)
_INVISIBLE_OR_SPACE = re.compile(f"[\\s{INVISIBLE}]+")


def blank(value: str | None) -> bool:
    """Nothing a reader would see: empty, white space, or only invisible characters."""
    return _INVISIBLE_OR_SPACE.sub("", value or "") == ""


def not_before(
    value: datetime | date | None, earliest: date | None, field: str, message: str
) -> None:
    """A date (or the day of a moment) before ``earliest`` — a child's birth, the day the setting
    opened — is refused with ``message``."""
    if value is None or earliest is None:
        return
    day = timezone.localtime(value).date() if isinstance(value, datetime) else value
    if day < earliest:
        raise ValidationError({field: message})


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
