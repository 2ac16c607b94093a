"""The periods of the reports: academic years and their terms.

A year is the academic year, 1 September to 31 August (the setting's terms are school terms, so a
calendar year would cut one in two). A year is cut at its terms (``records.Term``) into parts that
never overlap — each term's days, then the days between the terms — and shown part by part, never
added up: a year's total beside its terms' would give back a term's small number by subtraction.
A term is shown as its part of the year. Days are the setting's (Europe/London): a moment belongs
to the day its local time falls on.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db.models import Q
from django.utils import timezone

from core.dates import long_date
from records.models import Term


def academic_year_of(day: date) -> int:
    """The academic year a day falls in, by the year it starts: 1 September 2025 to 31 August
    2026 is 2025."""
    return day.year if day.month >= 9 else day.year - 1


def year_days(year: int) -> tuple[date, date]:
    return date(year, 9, 1), date(year + 1, 8, 31)


def year_name(year: int) -> str:
    return f"{year}–{str(year + 1)[-2:]}"


def span(first: date, last: date) -> str:
    if first == last:
        return long_date(first)
    if first.year == last.year:
        start = f"{first.day} {long_date(first).split(' ')[1]}"
        return f"{start} to {long_date(last)}"
    return f"{long_date(first)} to {long_date(last)}"


@dataclass(frozen=True)
class Segment:
    """A part of an academic year: a term (clipped to the year), the days between the terms, or
    the whole year when it has no terms recorded. A year's segments never overlap."""

    key: str
    name: str
    ranges: tuple[tuple[date, date], ...]

    @property
    def dates(self) -> str:
        if self.key.startswith("between-"):
            return "the days of the year outside its terms (holidays)"
        return span(self.ranges[0][0], self.ranges[-1][1])


def segments_of(year: int, terms: Iterable[Term]) -> tuple[Segment, ...]:
    """The year cut at its terms: each term's days (a day already in an earlier term stays
    there), then the days between them."""
    first, last = year_days(year)
    one = timedelta(days=1)
    found: list[Segment] = []
    taken = first - one
    for term in sorted(terms, key=lambda t: t.starts_on):
        start, end = max(term.starts_on, first, taken + one), min(term.ends_on, last)
        if start > end:
            continue
        found.append(Segment(f"term-{term.pk}", term.name, ((start, end),)))
        taken = end
    if not found:
        return (Segment(f"year-{year}", "The whole year", ((first, last),)),)
    gaps: list[tuple[date, date]] = []
    day = first
    for segment in found:
        start, end = segment.ranges[0]
        if day < start:
            gaps.append((day, start - one))
        day = end + one
    if day <= last:
        gaps.append((day, last))
    if gaps:
        found.append(Segment(f"between-{year}", "Between terms", tuple(gaps)))
    return tuple(found)


@dataclass(frozen=True)
class Period:
    """What a report covers: an academic year, term by term, or one term of it."""

    key: str
    label: str
    year: int
    segments: tuple[Segment, ...]

    @property
    def is_year(self) -> bool:
        return self.key.startswith("year-")

    @property
    def first_day(self) -> date:
        return self.segments[0].ranges[0][0]

    @property
    def last_day(self) -> date:
        return max(last for segment in self.segments for _, last in segment.ranges)

    @property
    def slug(self) -> str:
        if self.is_year:
            return f"{self.year}-{str(self.year + 1)[-2:]}"
        return self.segments[0].name


@dataclass(frozen=True)
class Calendar:
    """The periods a person may choose, as a form's choices, and the one shown by default (the
    academic year of today)."""

    periods: dict[str, Period]
    choices: list[tuple[str, list[tuple[str, str]]]]
    default: str


def start_of(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def moments_q(field_name: str, segment: Segment) -> Q:
    """The moments of a segment's days, Europe/London: from the first day's midnight to the
    midnight after the last."""
    q = Q(pk__in=[])
    for first, last in segment.ranges:
        q |= Q(
            **{
                f"{field_name}__gte": start_of(first),
                f"{field_name}__lt": start_of(last + timedelta(days=1)),
            }
        )
    return q


def days_q(field_name: str, segment: Segment) -> Q:
    """The days of a segment, for a date column."""
    q = Q(pk__in=[])
    for first, last in segment.ranges:
        q |= Q(**{f"{field_name}__gte": first, f"{field_name}__lte": last})
    return q
