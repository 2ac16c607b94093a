"""Date fields with a sane range, for every form: a year typed as 0001 or 9999 (a slip, or a
probe) is refused with a message, never stored as a moment nobody meant."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone

from .dates import long_date

EARLIEST = date(1900, 1, 1)
YEARS_AHEAD = 10


def latest() -> date:
    today = timezone.localdate()
    return today.replace(year=today.year + YEARS_AHEAD, day=min(today.day, 28))


def check_range(value: date | datetime | None) -> None:
    if value is None:
        return
    day = timezone.localtime(value).date() if isinstance(value, datetime) else value
    last = latest()
    if not EARLIEST <= day <= last:
        raise ValidationError(
            f"Enter a date from {long_date(EARLIEST)} to {long_date(last)}.", code="out_of_range"
        )


class DateField(forms.DateField):
    def validate(self, value: Any) -> None:
        super().validate(value)
        check_range(value)


class DateTimeField(forms.DateTimeField):
    def validate(self, value: Any) -> None:
        super().validate(value)
        check_range(value)
