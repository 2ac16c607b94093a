"""Bar charts drawn on the server as inline SVG (templates/safeguarding/_chart.html): no script, a
title and a description for a screen reader, and a table beside each chart with the same figures
(the evidence pack's PDF gives the tables).

A chart shows what its table shows and nothing more: a bar's length is scaled from the figures
shown as numbers only, and a small figure ("fewer than 5") or one held back ("not shown") is a
patterned stub of one fixed length, labelled in words — it measures nothing. Bars are never
stacked (a stack's length would be a total)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from .small_numbers import EXACT, SMALL, WITHHELD, ZERO, Figure

WIDTH = 640
BAR_X = 125  # where bars start; the series' names are to their left
BAR_SPACE = 380  # the longest bar
STUB = 30  # a small or held-back figure, whatever it is
BAR_HEIGHT = 13
LINE = 19  # one bar's line
LABEL = 22  # a row's name, above its bars
GAP = 8
# One colour per series (a term), each bar also named in words: colour is never the only cue.
PALETTE = ("#1d70b8", "#00703c", "#6f3c97", "#b35c00", "#28a197", "#505a5f")


@dataclass(frozen=True)
class Mark:
    """One thing drawn: a row's name ("label"), a series' name ("series"), a bar, a stub ("small"
    or "withheld"), the line of a zero ("zero"), or a figure's words ("value")."""

    kind: str
    x: float
    y: float
    width: float = 0
    height: float = 0
    text: str = ""
    fill: str = ""


@dataclass(frozen=True)
class Chart:
    uid: str
    title: str
    description: str
    width: int
    height: int
    marks: tuple[Mark, ...]


def bar_chart(
    *, uid: str, title: str, series: Sequence[str], rows: Sequence[tuple[str, Sequence[Figure]]]
) -> Chart:
    """Horizontal bars: for each row (a row whose every figure is 0 is left out; the table has
    it), one bar per series."""
    shown_numbers = [
        f.number for _, figures in rows for f in figures if f.kind == EXACT and f.number
    ]
    top = max(shown_numbers, default=0)
    marks: list[Mark] = []
    described: list[str] = []
    y = 0.0
    for label, figures in rows:
        if all(f.kind == ZERO for f in figures):
            continue
        y += LABEL
        marks.append(Mark("label", 0, y - 5, text=label))
        parts = []
        for position, (name, figure) in enumerate(zip(series, figures, strict=True)):
            top_of_bar = y + (LINE - BAR_HEIGHT) / 2
            baseline = y + LINE - 4
            marks.append(Mark("series", 0, baseline, text=name))
            if figure.kind == EXACT and figure.number and top:
                width = max(2.0, round(BAR_SPACE * figure.number / top, 1))
                fill = PALETTE[position % len(PALETTE)]
                marks.append(Mark("bar", BAR_X, top_of_bar, width, BAR_HEIGHT, fill=fill))
            elif figure.kind in (SMALL, WITHHELD):
                width = STUB
                marks.append(Mark(figure.kind, BAR_X, top_of_bar, width, BAR_HEIGHT))
            else:
                width = 1
                marks.append(Mark("zero", BAR_X, top_of_bar, width, BAR_HEIGHT))
            marks.append(Mark("value", BAR_X + width + 6, baseline, text=figure.text))
            parts.append(f"{name} {figure.text}" if len(series) > 1 else figure.text)
            y += LINE
        described.append(f"{label}: {', '.join(parts)}")
        y += GAP
    description = "; ".join(described) + "." if described else "Nothing to draw: every figure is 0."
    return Chart(
        uid=uid,
        title=title,
        description=description,
        width=WIDTH,
        height=int(y) + 4,
        marks=tuple(marks),
    )
