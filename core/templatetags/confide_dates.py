"""``{{ moment|long_datetime }}``: "4 March 2026, 09:05", as the date filter's DATETIME_FORMAT
would write it, for the long lists (a child's chronology) where Django's date filter — a format
looked up and parsed for every date — costs more than the row around it. Like the date filter it
shows aware times in the current time zone (``{% localtime off %}`` is respected), naive ones as
they are, and nothing for an empty value."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django import template

from core import dates

register = template.Library()


@register.filter(is_safe=True, expects_localtime=True)
def long_datetime(moment: Any) -> str:
    if not isinstance(moment, datetime):
        return ""
    return dates.long_datetime(moment)
