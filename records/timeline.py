"""A child's chronology at a glance: the entries on the child page, placed by month and category.

The strip is built from the very list the chronology shows (``selectors.chronology``), never from
a query of its own: it cannot show an entry, or count one, that the viewer may not read, and it
adds no queries to the page. Nothing here touches the database.

Time runs left to right over twelve months (by default) ending with the current month, in the
setting's time zone. A child with no entry in that window (a leaver, say) gets the twelve months
ending with their latest entry instead, so the strip is never blank while the list below is not.
Each category is a row; an entry is a mark in its month, shaped by its level.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cache

from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils import timezone
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from core.dates import MONTHS, long_date, short_date

from .models import CATEGORY_LABELS, LEVEL_LABELS, Category, RecordEntry

# Marks shown in one month of one category; the rest are counted ("+4"), never dropped silently.
# The highest levels are the ones kept, so a child-protection entry is never behind a "+4".
MARKS_PER_CELL = 6

# Row names short enough for a tablet's strip; each mark's own name has the category in full.
ROW_LABELS: dict[str, str] = {
    Category.GENERAL: "Progress and well-being",
    Category.ACCIDENT: "Accident or injury",
    Category.CONCERN: "Concern",
    Category.FAMILY_CHANGE: "Family change",
    Category.SENSITIVE_DISCUSSION: "Sensitive discussion",
    Category.CHILD_PROTECTION: "Child protection",
    Category.AGENCY_CORRESPONDENCE: "Agency correspondence",
}


@dataclass(frozen=True)
class Month:
    first_day: date
    # The first column, and every January, carry the year under the month's name.
    shows_year: bool = False


@dataclass
class Cell:
    month: Month
    marks: list[RecordEntry] = field(default_factory=list)
    total: int = 0

    @property
    def more(self) -> int:
        """Entries of this month and category beyond those drawn."""
        return self.total - len(self.marks)

    @property
    def marks_html(self) -> SafeString:
        """The cell's marks as links. Made here rather than in the template: a long chronology
        has hundreds of marks, and a template's {% url %} and date filters for each of them
        cost more than the rest of the strip (measured by make bench's chronology page)."""
        return mark_safe("".join(_mark(entry) for entry in self.marks))  # noqa: S308 - escaped


def _mark(entry: RecordEntry) -> str:
    """A mark's link. Its shape is the stylesheet's ``shape-<level>``: a circle (general), a
    diamond (sensitive), a triangle (child protection)."""
    day = entry.local_occurred_at
    title, name = _mark_words(entry.category, entry.level)
    return (
        f'<a class="timeline-mark" href="{entry_url_pattern().format(entry.pk)}" '
        f'title="{title}, {short_date(day)}">'
        f'<span class="shape shape-{entry.level}" aria-hidden="true"></span>'
        f'<span class="visually-hidden">{name}, {long_date(day)}</span></a>'
    )


@cache
def _mark_words(category: str, level: int) -> tuple[str, str]:
    """The escaped words of a mark of this category and level, made once."""
    label = LEVEL_LABELS.get(level, "")
    category_label = CATEGORY_LABELS.get(category, category)
    return escape(label), escape(f"{category_label}, {label.lower()}")


def entry_url_pattern() -> str:
    """An entry's URL with {} for its key: one reverse() per process (and script prefix and
    URLconf, as {% url %} would use), not one per mark."""
    return _entry_url_pattern(get_script_prefix(), get_urlconf())


@cache
def _entry_url_pattern(prefix: str, urlconf: str | None) -> str:
    marker = "00000000-0000-0000-0000-000000000000"
    return reverse("records:entry_detail", args=[marker], urlconf=urlconf).replace(marker, "{}")


@dataclass
class Lane:
    category: str
    label: str
    cells: list[Cell]

    @property
    def total(self) -> int:
        return sum(cell.total for cell in self.cells)

    @property
    def cells_html(self) -> SafeString:
        """The row's cells, made here as the marks are: a dozen cells in each of up to seven rows
        cost a template more than the marks in them."""
        return mark_safe("".join(_cell(cell) for cell in self.cells))  # noqa: S308 - escaped


def _cell(cell: Cell) -> str:
    more = ""
    if cell.more:
        day = cell.month.first_day
        more = (
            f'<a class="timeline-more" href="#chronology">+{cell.more}<span '
            f'class="visually-hidden"> more in {MONTHS[day.month - 1]} {day.year}, in the list '
            "below</span></a>"
        )
    return f"<td>{cell.marks_html}{more}</td>"


@dataclass(frozen=True)
class LevelCount:
    level: int
    label: str
    count: int


@dataclass
class Timeline:
    months: list[Month]
    lanes: list[Lane]
    levels: list[LevelCount]
    # Entries older than the first month: in the chronology below, not on the strip.
    earlier: int

    @property
    def shown(self) -> int:
        return sum(lane.total for lane in self.lanes)

    @property
    def is_empty(self) -> bool:
        return not self.lanes and not self.earlier

    @property
    def first_month(self) -> date:
        return self.months[0].first_day

    @property
    def last_month(self) -> date:
        return self.months[-1].first_day


def _month_index(day: date) -> int:
    return day.year * 12 + day.month - 1


def _first_of(index: int) -> date:
    return date(index // 12, index % 12 + 1, 1)


def build_timeline(
    entries: Sequence[RecordEntry],
    *,
    now: datetime,
    months: int = 12,
    marks_per_cell: int = MARKS_PER_CELL,
) -> Timeline:
    """Place ``entries`` (those the viewer may read, in any order) on a strip of ``months``
    months ending with the month of ``now``, or of the latest entry when none falls in that
    window or one lies after it."""
    # Each entry's local time, worked out once (kept on the entry for its mark).
    zone = timezone.get_current_timezone()
    for entry in entries:
        entry.local_occurred_at = entry.occurred_at.astimezone(zone)
    end = _month_index(now.astimezone(zone).date())
    if entries:
        latest = _month_index(max(e.local_occurred_at for e in entries).date())
        if latest > end or latest <= end - months:
            end = latest
    start = end - months + 1
    columns = [
        Month(_first_of(i), shows_year=(i == start or i % 12 == 0)) for i in range(start, end + 1)
    ]

    by_cell: dict[tuple[str, int], list[RecordEntry]] = {}
    earlier = 0
    for entry in entries:
        index = _month_index(entry.local_occurred_at.date())
        if index < start:
            earlier += 1
            continue
        by_cell.setdefault((entry.category, index - start), []).append(entry)

    lanes = []
    # Categories in their usual order (as in the form), each a row only if it has entries.
    order = list(Category.values) + sorted(
        {category for category, _ in by_cell} - set(Category.values)
    )
    for category in order:
        if not any((category, i) in by_cell for i in range(months)):
            continue
        cells = []
        for i, month in enumerate(columns):
            found = by_cell.get((category, i), [])
            kept = sorted(found, key=lambda e: (-e.level, -e.local_occurred_at.timestamp()))
            kept = sorted(kept[:marks_per_cell], key=lambda e: e.local_occurred_at)
            cells.append(Cell(month=month, marks=kept, total=len(found)))
        lanes.append(Lane(category, ROW_LABELS.get(category, category), cells))

    level_totals: dict[int, int] = {}
    for found in by_cell.values():
        for entry in found:
            level_totals[entry.level] = level_totals.get(entry.level, 0) + 1
    levels = [
        LevelCount(level, LEVEL_LABELS.get(level, str(level)), level_totals[level])
        for level in sorted(level_totals)
    ]
    return Timeline(months=columns, lanes=lanes, levels=levels, earlier=earlier)
