"""The body map: front and back outlines of a child, and the marks placed on them.

A mark is ``{"region": "front:left_forearm", "x": 91.5, "y": 94.0, "note": "Bruise, 2 cm"}``:
the region names the part of the body in words (so the record reads without the picture and a
keyboard user can choose it from a list), x and y place the dot where it was tapped, in the
figure's own units. The marks are stored encrypted with the entry (``RecordEntry.body_map``).

The figure is drawn here, once, for the form (the parts can be tapped), the entry page and the
subject-access PDF. The child faces the viewer on the front view, so the child's right is on the
viewer's left; on the back view the child's left is on the viewer's left.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from functools import cache
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

# One figure's coordinate space.
WIDTH = 120
HEIGHT = 230
MAX_MARKS = 20
MAX_NOTE = 300

# The categories of entry a body map belongs to.
BODY_MAP_CATEGORIES = frozenset({"accident", "existing_injury", "concern", "child_protection"})

VIEWS = {"front": "Front", "back": "Back"}


@dataclass(frozen=True)
class Part:
    key: str
    label: str
    shape: str  # "rect" or "ellipse"
    box: tuple[float, float, float, float]  # x, y, width, height

    @property
    def centre(self) -> tuple[float, float]:
        x, y, w, h = self.box
        return (x + w / 2, y + h / 2)


# The middle parts, and the limbs on the viewer's left (mirrored for the other side).
_MIDDLE = [
    ("head", "ellipse", (45, 4, 30, 34)),
    ("neck", "rect", (54, 37, 12, 9)),
    ("upper", "rect", (40, 45, 40, 29)),
    ("lower", "rect", (40, 74, 40, 24)),
    ("pelvis", "rect", (40, 98, 40, 17)),
]
_VIEWER_LEFT = [
    ("upper_arm", "rect", (26, 47, 13, 31)),
    ("forearm", "rect", (22, 79, 13, 29)),
    ("hand", "ellipse", (21, 108, 13, 15)),
    ("thigh", "rect", (41, 115, 18, 42)),
    ("lower_leg", "rect", (42, 158, 16, 44)),
    ("foot", "ellipse", (39, 203, 20, 12)),
]

# Per view: the key and the words for each middle part.
_MIDDLE_NAMES = {
    "front": {
        "head": ("head", "Head and face"),
        "neck": ("neck", "Neck"),
        "upper": ("chest", "Chest"),
        "lower": ("tummy", "Tummy"),
        "pelvis": ("nappy_area", "Nappy area"),
    },
    "back": {
        "head": ("head", "Back of head"),
        "neck": ("neck", "Back of neck"),
        "upper": ("upper_back", "Upper back"),
        "lower": ("lower_back", "Lower back"),
        "pelvis": ("bottom", "Bottom"),
    },
}


def _mirror(box: tuple[float, float, float, float]) -> tuple[float, float, float, float]:
    x, y, w, h = box
    return (WIDTH - x - w, y, w, h)


def _parts(view: str) -> list[Part]:
    parts = [
        Part(f"{view}:{_MIDDLE_NAMES[view][key][0]}", _MIDDLE_NAMES[view][key][1], shape, box)
        for key, shape, box in _MIDDLE
    ]
    # Front: the child's right is on the viewer's left. Back: the child's left is.
    near, far = ("right", "left") if view == "front" else ("left", "right")
    prefix = "" if view == "front" else "Back of "
    for key, shape, box in _VIEWER_LEFT:
        for side, where in ((near, box), (far, _mirror(box))):
            label = f"{side} {key.replace('_', ' ')}"
            label = prefix + label if prefix else label.capitalize()
            parts.append(Part(f"{view}:{side}_{key}", label, shape, where))
    return parts


PARTS_BY_VIEW: dict[str, list[Part]] = {view: _parts(view) for view in VIEWS}
PARTS: dict[str, Part] = {p.key: p for parts in PARTS_BY_VIEW.values() for p in parts}


def region_choices() -> list[tuple[str, Any]]:
    """For a select: the parts grouped by view."""
    return [(VIEWS[view], [(p.key, p.label) for p in PARTS_BY_VIEW[view]]) for view in VIEWS]


def region_label(key: str) -> str:
    part = PARTS.get(key)
    if part is None:
        return key
    return f"{VIEWS[key.split(':', 1)[0]]}: {part.label.lower()}"


@dataclass(frozen=True)
class Mark:
    number: int
    region: str
    x: float
    y: float
    note: str

    @property
    def view(self) -> str:
        return self.region.split(":", 1)[0]

    @property
    def label(self) -> str:
        return region_label(self.region)


def clean_marks(raw: Any) -> list[dict[str, Any]]:
    """Check marks from a form (or anywhere) and return them as stored. A mark without x and y
    goes in the middle of its part; a point outside the figure is refused."""
    if not isinstance(raw, list | tuple):
        raise ValidationError("The body map could not be read.")
    if len(raw) > MAX_MARKS:
        raise ValidationError(f"A body map can hold up to {MAX_MARKS} marks.")
    cleaned = []
    for number, mark in enumerate(raw, start=1):
        if not isinstance(mark, dict):
            raise ValidationError("The body map could not be read.")
        part = PARTS.get(str(mark.get("region", "")))
        if part is None:
            raise ValidationError(f"Mark {number}: choose where on the body it is.")
        note = str(mark.get("note") or "").strip()
        if not note:
            raise ValidationError(f"Mark {number}: say what you saw there.")
        if len(note) > MAX_NOTE:
            raise ValidationError(f"Mark {number}: keep the note under {MAX_NOTE} characters.")
        x, y = mark.get("x"), mark.get("y")
        if x is None or y is None:
            x, y = part.centre
        try:
            x, y = float(x), float(y)
        except (TypeError, ValueError):
            raise ValidationError(
                f"Mark {number}: the point on the body map is not valid."
            ) from None
        if not (0 <= x <= WIDTH and 0 <= y <= HEIGHT):
            raise ValidationError(f"Mark {number}: the point is outside the body map.")
        cleaned.append({"region": part.key, "x": round(x, 1), "y": round(y, 1), "note": note})
    return cleaned


def marks_of(stored: Any) -> list[Mark]:
    """Stored marks as numbered Mark objects (anything unreadable is left out)."""
    marks = []
    for number, mark in enumerate(stored or [], start=1):
        try:
            marks.append(
                Mark(
                    number, mark["region"], float(mark["x"]), float(mark["y"]), mark.get("note", "")
                )
            )
        except (KeyError, TypeError, ValueError):
            continue
    return marks


# Drawing. Colours are the stylesheet's; the dots carry numbers, so nothing relies on colour.
OUTLINE = "#1d4f6e"
FILL = "#eef3f8"
DOT = "#b10e1e"


def _shape(part: Part, interactive: bool) -> SafeString:
    x, y, w, h = part.box
    extra = (
        format_html(' data-region="{}" data-cx="{}" data-cy="{}"', part.key, *part.centre)
        if interactive
        else ""
    )
    if part.shape == "ellipse":
        return format_html(
            '<ellipse cx="{}" cy="{}" rx="{}" ry="{}" fill="{}" stroke="{}"{}><title>{}</title>'
            "</ellipse>",
            x + w / 2,
            y + h / 2,
            w / 2,
            h / 2,
            FILL,
            OUTLINE,
            extra,
            part.label,
        )
    return format_html(
        '<rect x="{}" y="{}" width="{}" height="{}" rx="5" fill="{}" stroke="{}"{}>'
        "<title>{}</title></rect>",
        x,
        y,
        w,
        h,
        FILL,
        OUTLINE,
        extra,
        part.label,
    )


def _dot(mark: Mark) -> SafeString:
    return format_html(
        '<g class="body-map-dot"><circle cx="{}" cy="{}" r="5" fill="{}" stroke="#fff" '
        'stroke-width="1"/><text x="{}" y="{}" font-size="7" font-family="sans-serif" '
        'font-weight="bold" text-anchor="middle" fill="#fff">{}</text></g>',
        mark.x,
        mark.y,
        DOT,
        mark.x,
        mark.y + 2.5,
        mark.number,
    )


def figure(view: str, marks: list[Mark], *, interactive: bool = False) -> SafeString:
    """One view as an inline SVG. The interactive one (the form's) is hidden from assistive
    technology: its list of marks is the accessible way to place them."""
    dots = [m for m in marks if m.view == view]
    if interactive:
        opening = format_html(
            '<svg class="body-map-figure" viewBox="0 0 {} {}" data-view="{}" '
            'aria-hidden="true" focusable="false">',
            WIDTH,
            HEIGHT,
            view,
        )
    else:
        opening = format_html(
            '<svg class="body-map-figure" viewBox="0 0 {} {}" role="img" aria-label="{}">',
            WIDTH,
            HEIGHT,
            describe(view, dots),
        )
    return format_html(
        '{}<g class="body-map-parts">{}</g><g class="body-map-dots" data-dots="{}">{}</g>'
        '<text x="{}" y="228" font-size="9" font-family="sans-serif" text-anchor="middle" '
        'fill="{}">{}</text></svg>',
        opening,
        format_html_join("", "{}", ((_shape(p, interactive),) for p in PARTS_BY_VIEW[view])),
        view,
        format_html_join("", "{}", ((_dot(m),) for m in dots)),
        WIDTH / 2,
        OUTLINE,
        VIEWS[view],
    )


def describe(view: str, dots: list[Mark]) -> str:
    if not dots:
        return f"Body map, {VIEWS[view].lower()}: no marks."
    numbers = ", ".join(str(m.number) for m in dots)
    plural = "s" if len(dots) > 1 else ""
    return f"Body map, {VIEWS[view].lower()}: mark{plural} {numbers}, described in the list."


GAP = 10  # between the two figures of the printed body map
# Where each view starts across the printed map.
OFFSETS = {view: i * (WIDTH + GAP) for i, view in enumerate(VIEWS)}


# The printed map in two layers: the figures as one PNG, the same in every map of a file, so a
# PDF holds it once and draws it as an image (a large file has hundreds of maps, and drawing the
# shapes of each one took a tenth of the whole render); the numbered dots on top as a small SVG.
PRINT_SCALE = 6  # pixels per unit: 1500 px across, sharp at the 90 mm it is printed


@cache
def figures_png() -> bytes:
    """Both figures, without marks or names, as a PNG (made once per process)."""
    # Pillow loads only when a file is printed: pages shown on screen draw SVG.
    from PIL import Image, ImageDraw

    k = PRINT_SCALE
    image = Image.new("RGBA", ((2 * WIDTH + GAP) * k, HEIGHT * k), (255, 255, 255, 0))
    draw = ImageDraw.Draw(image)
    for view, dx in OFFSETS.items():
        for part in PARTS_BY_VIEW[view]:
            x, y, w, h = part.box
            box = ((x + dx) * k, y * k, (x + dx + w) * k, (y + h) * k)
            if part.shape == "ellipse":
                draw.ellipse(box, fill=FILL, outline=OUTLINE, width=k)
            else:
                draw.rounded_rectangle(box, radius=5 * k, fill=FILL, outline=OUTLINE, width=k)
    out = io.BytesIO()
    image.save(out, "PNG", optimize=True)
    return out.getvalue()


def marks_svg(marks: list[Mark]) -> str:
    """The numbered dots and the views' names, to lie over figures_png() (same size)."""
    shown = [m for m in marks if m.view in OFFSETS]
    return format_html(
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {w} {h}" width="{w}" height="{h}">'
        '<g fill="{}" stroke="#fff" stroke-width="1">{}</g>'
        '<g font-family="sans-serif" text-anchor="middle">'
        '<g font-size="7" font-weight="bold" fill="#fff">{}</g>'
        '<g font-size="9" fill="{}">{}</g></g></svg>',
        DOT,
        format_html_join(
            "", '<circle cx="{}" cy="{}" r="5"/>', ((m.x + OFFSETS[m.view], m.y) for m in shown)
        ),
        format_html_join(
            "",
            '<text x="{}" y="{}">{}</text>',
            ((m.x + OFFSETS[m.view], m.y + 2.5, m.number) for m in shown),
        ),
        OUTLINE,
        format_html_join(
            "",
            '<text x="{}" y="228">{}</text>',
            ((OFFSETS[view] + WIDTH / 2, name) for view, name in VIEWS.items()),
        ),
        w=2 * WIDTH + GAP,
        h=HEIGHT,
    )
