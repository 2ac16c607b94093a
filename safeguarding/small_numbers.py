"""The small-number rule every figure of the reports follows, on the page, in its chart and in
the PDF, so that a trustee may read them and no child can be picked out:

- 0 is shown as 0; 1 to 4 as "fewer than 5"; 5 and more as the number. A small or held-back figure
  keeps no number at all (``Figure``), so nothing downstream can show it.
- No totals and no percentages: a total beside its parts gives back a small part by subtraction
  (and a year is shown term by term, never added up: safeguarding.periods).
- Tables that count the same records two ways are linked (``Link``). Where a figure of a linked
  set is small, each table that counts all of those records holds back ("not shown") its largest
  figure — for the first, its largest among the rows the linked part lies in — so no table is
  closed: how many records there are stays unknown, and every small figure may still be any of 1
  to 4 given everything shown (tests/safeguarding/test_reports.py tries every value).
- A chart draws a small or held-back figure as a patterned stub of one fixed length, labelled,
  and scales its bars from the figures it shows (safeguarding.charts).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from .periods import Segment

SMALL_BELOW = 5
SMALL_TEXT = "fewer than 5"
WITHHELD_TEXT = "not shown"

ZERO = "zero"
EXACT = "exact"
SMALL = "small"
WITHHELD = "withheld"


@dataclass(frozen=True)
class Figure:
    """One count as it may be shown: the number itself only when it is 0 or 5 and more. A small
    or held-back count keeps no number at all, so no page, chart or PDF can show it."""

    kind: str
    number: int | None = None

    @classmethod
    def of(cls, count: int, *, withheld: bool = False) -> Figure:
        if withheld:
            return cls(WITHHELD)
        if count <= 0:
            return cls(ZERO, 0)
        if count < SMALL_BELOW:
            return cls(SMALL)
        return cls(EXACT, count)

    @property
    def text(self) -> str:
        if self.kind == SMALL:
            return SMALL_TEXT
        if self.kind == WITHHELD:
            return WITHHELD_TEXT
        return str(self.number)

    @property
    def is_zero(self) -> bool:
        return self.kind == ZERO

    def __str__(self) -> str:
        return self.text


@dataclass(frozen=True)
class Row:
    key: str
    label: str


@dataclass
class Counts:
    """One table's true counts, by segment, then by row. Only the figures made from them
    (``Table``) reach a page."""

    rows: list[Row]
    by_segment: dict[str, Counter[str]] = field(default_factory=dict)

    def add_unknown_rows(self, label: Callable[[str], str]) -> None:
        """A value no row names (an old level, a choice since removed) gets a row of its own, so
        two tables of the same records still count every one of them."""
        known = {row.key for row in self.rows}
        for counter in self.by_segment.values():
            for key in counter:
                if key not in known:
                    self.rows.append(Row(key, label(key)))
                    known.add(key)


@dataclass(frozen=True)
class Link:
    """Tables that count the same records (``whole``: each counts every one of them), and
    ``part``: a table that counts some of them — those that lie in ``within``, rows of the first
    whole table."""

    whole: tuple[str, ...]
    part: str = ""
    within: tuple[str, ...] = ()


def held_back(
    counts: dict[str, Counts], segments: Iterable[Segment], links: Sequence[Link]
) -> set[tuple[str, str, str]]:
    """(table, segment, row) of each figure held back because a linked figure is small: in each
    segment where any figure of a linked set is 1 to 4, each table that counts all of its records
    holds back its largest figure — the first table among the rows where the part lies — so none
    is closed: the number of records stays unknown, and so does every small figure."""
    held: set[tuple[str, str, str]] = set()
    for segment in segments:
        for link in links:
            members = [*link.whole, *([link.part] if link.part else [])]
            small = any(
                0 < counts[name].by_segment[segment.key][row.key] < SMALL_BELOW
                for name in members
                for row in counts[name].rows
            )
            if not small:
                continue
            for position, name in enumerate(link.whole):
                found = counts[name].by_segment[segment.key]
                rows = counts[name].rows
                if position == 0 and link.within:
                    rows = [row for row in rows if row.key in link.within]
                largest = max(rows, key=lambda row: found[row.key])
                held.add((name, segment.key, largest.key))
    return held
