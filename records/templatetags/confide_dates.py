"""``{{ moment|long_datetime }}``: "4 March 2026, 09:05" in local time, as the date filter's
DATETIME_FORMAT would write it, for the long lists (a child's chronology) where Django's date
filter — a format looked up and parsed for every date — costs more than the row around it."""

from __future__ import annotations

from datetime import datetime

from django import template
from django.utils import timezone

from records import dates

register = template.Library()


@register.filter(is_safe=True)
def long_datetime(moment: datetime | None) -> str:
    if moment is None:
        return ""
    return dates.long_datetime(timezone.localtime(moment))
