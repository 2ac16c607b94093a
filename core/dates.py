"""Dates written out in British English ("25 November 2026"), whatever the machine's locale, for
the places that write many of them and cannot afford a template's date filter for each (the
child page's strip, the subject-access PDF)."""

from __future__ import annotations

from datetime import date, datetime

MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


def long_date(day: date) -> str:
    """25 November 2026 (the "j F Y" of a template)."""
    return f"{day.day} {MONTHS[day.month - 1]} {day.year}"


def short_date(day: date) -> str:
    """25 Nov 2026 (the "j M Y" of a template)."""
    return f"{day.day} {MONTHS[day.month - 1][:3]} {day.year}"


def long_datetime(moment: datetime) -> str:
    """25 November 2026, 14:05 (the "j F Y, H:i" of DATETIME_FORMAT), of a local time."""
    return f"{long_date(moment)}, {moment.hour:02d}:{moment.minute:02d}"
