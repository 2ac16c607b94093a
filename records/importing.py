"""Getting a setting started: children, families and carers imported from a CSV file (the
register export every management system can make), all of them or none.

The file is read with tablib and checked row by row (``plan_import``): every problem is named by
its row (as a spreadsheet numbers them: the header is row 1), its column and what to do about it.
A file with any problem imports nothing. A file with none is kept, encrypted under the setting's
key, in the person's session until they confirm (``keep_draft``); the confirmation reads it from
there — never from the page, which could have been edited — checks it again against the register
as it is then, and imports it in one transaction through the register's services
(``import_register``), audited as one event with counts only.

One row is one child with one carer: a second carer of the same child is a second row repeating
the child (the same names and date of birth). Rows with the same ``family_reference`` are one
family; a carer named on rows of several children of a family is one carer of them all.
"""

from __future__ import annotations

import csv
import io
import re
import secrets
import zlib
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import tablib
from django.contrib.auth.models import User
from django.contrib.sessions.backends.base import SessionBase
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone

from audit.log import log_event
from core import keys
from core.crypto import DecryptionError
from core.dates import long_date
from core.forms import check_range
from core.rules import blank, require

from . import policy, services
from .events import Event
from .models import Carer, Child, Family, Relationship, Room, Staff

MAX_BYTES = 1024 * 1024
MAX_ROWS = 2000
# The most problems a page lists: a file with more is wrong throughout, and the first say how.
MAX_SHOWN = 200
# Each column: the longest value it may hold (its model field's), and for a required one, what to
# give when it is missing.
# fmt: off
SPEC: dict[str, tuple[int, str]] = {
    "family_reference": (100, "Give the family's reference (the same on every row of a family)."),
    "child_first_name": (100, "Give the child's first name."),
    "child_last_name": (100, "Give the child's last name."),
    "date_of_birth": (10, "Give the child's date of birth."),
    "started_on": (10, "Give the date the child started (or starts) here."),
    "room": (100, "Give the name of the child's room."),
    "carer_name": (150, "Give the carer's full name: every row names one carer of the child."),
    "carer_relationship": (40, "Give the carer's relationship to the child."),
    "carer_parental_responsibility": (
        10, "Write yes or no: does this carer have parental responsibility?"
    ),
    "family_name": (150, ""),
    "family_address": (1000, ""),
    "home_language": (60, ""),
    "key_person": (150, ""),
    "carer_phone": (40, ""),
    "carer_email": (254, ""),
    "carer_address": (1000, ""),
    "carer_court_order_restrictions": (5000, ""),
}
# fmt: on
COLUMNS = tuple(SPEC)
REQUIRED = tuple(name for name, (_, missing) in SPEC.items() if missing)
YES, NO = {"yes", "y", "true", "1"}, {"no", "n", "false", "0"}
_RELATIONSHIPS = {
    **{value: value for value in Relationship.values},
    **{str(label).lower(): value for value, label in Relationship.choices},
    "step parent": Relationship.STEP_PARENT,
    "stepparent": Relationship.STEP_PARENT,
    "foster parent": Relationship.FOSTER_CARER,
    "special guardian": Relationship.GUARDIAN,
}
RELATIONSHIP_WORDS = (
    "mother, father, step-parent, grandparent, foster carer, special guardian or other"
)
_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
_UK = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")
SESSION_KEY = "confide_import"
FAMILY_COLUMNS = {
    "name": "family_name",
    "address": "family_address",
    "home_language": "home_language",
}


@dataclass(frozen=True)
class Problem:
    """What is wrong, where: ``row`` is None for the file as a whole."""

    row: int | None
    column: str
    message: str

    def __str__(self) -> str:
        if self.row is None:
            return self.message
        return f"Row {self.row}{f', {self.column}' if self.column else ''}: {self.message}"


@dataclass
class CarerPlan:
    full_name: str
    relationship: str = ""
    parental_responsibility: bool | None = None
    phone: str = ""
    email: str = ""
    address: str = ""
    court_order_restrictions: str = ""


@dataclass
class ChildPlan:
    row: int
    first_name: str
    last_name: str
    date_of_birth: date
    started_on: date
    room: Room
    key_person: Staff | None
    carers: list[str] = field(default_factory=list)  # the family's carer keys, in order


@dataclass
class FamilyPlan:
    reference: str
    row: int
    name: str = ""
    address: str = ""
    home_language: str = ""
    children: list[ChildPlan] = field(default_factory=list)
    carers: dict[str, CarerPlan] = field(default_factory=dict)


@dataclass
class Row:
    """A row as it would be imported, for the preview, with its problems."""

    number: int
    values: dict[str, str]
    problems: list[Problem] = field(default_factory=list)


@dataclass
class Plan:
    rows: list[Row] = field(default_factory=list)
    families: list[FamilyPlan] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    @property
    def children(self) -> int:
        return sum(len(f.children) for f in self.families)

    @property
    def carers(self) -> int:
        return sum(len(f.carers) for f in self.families)

    @property
    def shown_problems(self) -> list[Problem]:
        return self.problems[:MAX_SHOWN]

    @property
    def more_problems(self) -> int:
        return max(0, len(self.problems) - MAX_SHOWN)


def refused(message: str) -> Plan:
    return Plan(problems=[Problem(None, "", message)])


# --- reading the file ---------------------------------------------------------------------------


def read_upload(upload: UploadedFile) -> str:
    """The file's text; a file too large, or not UTF-8 text, is refused with what to do."""
    limit = f"{MAX_BYTES // (1024 * 1024)} MB"
    too_large = f"The file is too large: it may be at most {limit} ({MAX_ROWS} rows)."
    if upload.size is not None and upload.size > MAX_BYTES:
        raise ValidationError(too_large)
    data = upload.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        raise ValidationError(too_large)
    if data.startswith(b"PK\x03\x04") or data.startswith(b"\xd0\xcf\x11\xe0"):
        raise ValidationError(
            "This is a spreadsheet workbook, not a CSV file: open it and save it as "
            "“CSV UTF-8 (comma delimited)”, then upload that."
        )
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ValidationError(
            "The file is not UTF-8 text. Save it again as “CSV UTF-8 (comma delimited)” (Excel) "
            "or as CSV with the character set “Unicode (UTF-8)” (LibreOffice), then upload that."
        ) from None
    if "\x00" in text:
        raise ValidationError("The file holds NUL characters: it is not a CSV text file.")
    return text


def _header_name(cell: str) -> str:
    return re.sub(r"[\s\-]+", "_", cell.strip().lower())


def _table(text: str) -> tuple[list[str], list[tuple[int, list[str]]]] | Plan:
    """The header and the rows, each with its number as a spreadsheet shows it, or a Plan that
    refuses the file."""
    try:
        # Only to number the rows (tablib leaves out empty lines, which a spreadsheet counts) and
        # to find rows longer than the header (tablib refuses them without saying which).
        lines = list(enumerate(csv.reader(io.StringIO(text, newline="")), 1))
        if not any(cells for _, cells in lines):
            return refused("The file is empty: its first row names the columns.")
        if not lines[0][1]:
            return refused("The first row is empty: it must name the columns (the header).")
        width = len(lines[0][1])
        too_long = [n for n, cells in lines if len(cells) > width]
        if too_long:
            message = (
                f"It has more values than the header has columns ({width}): a value holding "
                "a comma must be written in double quotes."
            )
            return Plan(problems=[Problem(n, "", message) for n in too_long[:MAX_SHOWN]])
        dataset = tablib.Dataset().load(text, format="csv")
    except (csv.Error, tablib.InvalidDimensions) as exc:
        return refused(f"The file could not be read as CSV ({exc}).")
    header = [_header_name(str(h)) for h in dataset.headers or []]
    numbers = [n for n, cells in lines[1:] if cells]
    return header, [(n, [str(v) for v in row]) for n, row in zip(numbers, dataset, strict=True)]


def _check_header(header: list[str]) -> list[Problem]:
    if len(header) == 1 and ";" in header[0]:
        return [
            Problem(
                1,
                "",
                "The columns are separated by semicolons: save the file as CSV with commas "
                "(“CSV UTF-8 (comma delimited)”).",
            )
        ]
    problems = []
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        problems.append(
            Problem(1, "", f"The header is missing these columns: {', '.join(missing)}.")
        )
    unknown = [c or "(a column with no name)" for c in header if c not in COLUMNS]
    if unknown:
        problems.append(
            Problem(
                1,
                "",
                f"These columns are not known: {', '.join(unknown)}. Remove them, or rename "
                "them to columns of docs/import-template.csv.",
            )
        )
    twice = sorted({c for c in header if c and header.count(c) > 1})
    if twice:
        problems.append(Problem(1, "", f"These columns appear twice: {', '.join(twice)}."))
    return problems


# --- checking the rows ---------------------------------------------------------------------------


@dataclass
class Register:
    """What the rows are checked against: the setting's rooms, the staff who may be a key
    person (by name), the children already on its register, the day it opened."""

    rooms: dict[str, Room]
    staff: dict[str, list[Staff]]
    existing: set[tuple[str, str, date]]
    opened_on: date | None
    today: date


def register_of(by: User) -> Register:
    staff = policy.staff_of(by)
    require(staff is not None and policy.can_manage_register(by))
    assert staff is not None
    here = staff.setting_id
    people: dict[str, list[Staff]] = {}
    for person in policy.staff_working_with_children().filter(setting_id=here):
        people.setdefault(_key(person.full_name), []).append(person)
    # Leavers too: a child who left is not added again as someone new.
    existing = Child.objects.filter(setting_id=here).values_list(
        "first_name", "last_name", "date_of_birth"
    )
    return Register(
        rooms={_key(r.name): r for r in Room.objects.filter(setting_id=here)},
        staff=people,
        existing={(_key(first), _key(last), born) for first, last, born in existing},
        opened_on=staff.setting.opened_on,
        today=timezone.localdate(),
    )


def _key(text: str) -> str:
    """Names compared as a person would: case and spacing aside."""
    return " ".join(text.lower().split())


def _date(value: str) -> date:
    iso, uk = _ISO.match(value), _UK.match(value)
    if iso:
        year, month, day = (int(p) for p in iso.groups())
    elif uk:
        day, month, year = (int(p) for p in uk.groups())
    else:
        raise ValidationError(
            f"“{value}” is not a date: write it as 2022-03-14 or 14/03/2022 (a four-digit year)."
        )
    try:
        found = date(year, month, day)
    except ValueError:
        raise ValidationError(f"There is no such date as “{value}”.") from None
    check_range(found)
    return found


class _RowChecker:
    """One row's values, cleaned, with a problem for each that cannot be imported."""

    def __init__(self, number: int, values: dict[str, str]) -> None:
        self.number = number
        self.values = values
        self.problems: list[Problem] = []
        # The values as they will be imported, where they differ from the file's (dates, words).
        self.shown: dict[str, str] = {}

    def problem(self, column: str, message: str) -> None:
        self.problems.append(Problem(self.number, column, message))

    def text(self, column: str) -> str:
        value = self.values.get(column, "")
        if "\x00" in value:
            self.problem(column, "It holds a NUL character, which cannot be kept.")
            return ""
        value = "" if blank(value) else value.strip()
        longest, missing = SPEC[column]
        if len(value) > longest:
            self.problem(column, f"Too long: at most {longest} characters.")
            return ""
        if not value and missing:
            self.problem(column, f"Missing. {missing}")
        return value

    def date(self, column: str) -> date | None:
        value = self.text(column)
        if not value:
            return None
        try:
            found = _date(value)
        except ValidationError as exc:
            self.problem(column, " ".join(exc.messages))
            return None
        self.shown[column] = long_date(found)
        return found

    def agree(self, target: Any, values: dict[str, tuple[str, Any]], what: str) -> None:
        """Details given on several rows of one family or carer must agree (attribute: column,
        value); a blank one takes the earlier rows'."""
        for name, (column, value) in values.items():
            before = getattr(target, name)
            if value in ("", None):
                continue
            if before in ("", None):
                setattr(target, name, value)
            elif before != value:
                self.problem(
                    column,
                    f"It differs from an earlier row of {what}: give the same on every row, or "
                    "leave it blank after the first.",
                )


def _check_child(c: _RowChecker, register: Register) -> ChildPlan | None:
    before = len(c.problems)
    first, last = c.text("child_first_name"), c.text("child_last_name")
    born, started = c.date("date_of_birth"), c.date("started_on")
    if born is not None and born > register.today:
        c.problem("date_of_birth", "The date of birth is in the future.")
    if born is not None and started is not None and started < born:
        c.problem(
            "started_on",
            f"The start date ({long_date(started)}) is before the date of birth "
            f"({long_date(born)}): check both.",
        )
    if started is not None and register.opened_on and started < register.opened_on:
        c.problem(
            "started_on",
            f"The start date is before the setting opened ({long_date(register.opened_on)}).",
        )
    room_name = c.text("room")
    room = register.rooms.get(_key(room_name))
    if room is not None:
        c.shown["room"] = room.name
    if room_name and room is None:
        known = ", ".join(r.name for r in register.rooms.values()) or "none yet"
        c.problem(
            "room",
            f"There is no room called “{room_name}” here (the rooms are: {known}). Correct "
            "the name, or have the room added in the admin screen first.",
        )
    key_person = None
    wanted = c.text("key_person")
    found = register.staff.get(_key(wanted), []) if wanted else []
    if len(found) == 1:
        key_person = found[0]
        c.shown["key_person"] = key_person.full_name
    elif found:
        c.problem(
            "key_person",
            f"Several people called “{wanted}” work here: leave it blank and choose the key "
            "person on the child's page.",
        )
    elif wanted:
        c.problem(
            "key_person",
            f"Nobody called “{wanted}” works with the children here: give their full name as "
            "on the staff list, or leave it blank.",
        )
    if len(c.problems) > before or room is None or born is None or started is None:
        return None
    return ChildPlan(c.number, first, last, born, started, room, key_person)


def _check_carer(c: _RowChecker) -> CarerPlan | None:
    name = c.text("carer_name")
    said = c.text("carer_relationship")
    relationship = _RELATIONSHIPS.get(_key(said.replace("-", " ")), "") if said else ""
    if relationship:
        c.shown["carer_relationship"] = Relationship(relationship).label.lower()
    if said and not relationship:
        c.problem(
            "carer_relationship",
            f"“{said}” is not a relationship Confide knows: use {RELATIONSHIP_WORDS}.",
        )
    answer = _key(c.text("carer_parental_responsibility"))
    if answer in YES | NO:
        c.shown["carer_parental_responsibility"] = "yes" if answer in YES else "no"
    elif answer:
        c.problem("carer_parental_responsibility", SPEC["carer_parental_responsibility"][1])
    email = c.text("carer_email")
    if email:
        try:
            validate_email(email)
        except ValidationError:
            c.problem("carer_email", f"“{email}” is not an email address.")
    phone, address = c.text("carer_phone"), c.text("carer_address")
    if not name:
        return None
    return CarerPlan(
        full_name=name,
        relationship=relationship,
        parental_responsibility=answer in YES if answer in YES | NO else None,
        phone=phone,
        email=email,
        address=address,
        court_order_restrictions=c.text("carer_court_order_restrictions"),
    )


def plan_rows(header: list[str], rows: list[tuple[int, list[str]]], register: Register) -> Plan:
    """Every row checked, each problem named; the families, children and carers to make. Pure:
    the register is given."""
    plan = Plan()
    families: dict[str, FamilyPlan] = {}
    children: dict[tuple[str, str, date], tuple[FamilyPlan, ChildPlan]] = {}
    for number, cells in rows:
        values = dict(zip(header, cells, strict=False))
        if all(blank(v) for v in values.values()):
            continue
        c = _RowChecker(number, values)
        reference = c.text("family_reference")
        child, carer = _check_child(c, register), _check_carer(c)
        family = families.get(_key(reference)) if reference else None
        if reference and family is None:
            family = families[_key(reference)] = FamilyPlan(reference=reference, row=number)
        if family is not None:
            given = {k: (v, c.text(v)) for k, v in FAMILY_COLUMNS.items()}
            c.agree(family, given, f"family {reference}")
        if child is not None and family is not None:
            child = _place_child(c, child, family, children, register)
        if carer is not None and family is not None:
            _place_carer(c, carer, child, family)
        plan.rows.append(Row(number, _shown(values) | c.shown, c.problems))
        plan.problems.extend(c.problems)
    if not plan.rows:
        plan.problems.append(Problem(None, "", "The file has no rows under the header."))
    if not plan.problems:
        plan.families = list(families.values())
        for family in plan.families:
            family.name = family.name or family.children[0].last_name
    return plan


def _place_child(
    c: _RowChecker,
    child: ChildPlan,
    family: FamilyPlan,
    children: dict[tuple[str, str, date], tuple[FamilyPlan, ChildPlan]],
    register: Register,
) -> ChildPlan | None:
    """The child of the row: new, or the one an earlier row of the family named (a second
    carer). The same child in another family, or one already on the register, is refused."""
    identity = (_key(child.first_name), _key(child.last_name), child.date_of_birth)
    earlier = children.get(identity)
    if earlier is None:
        if identity in register.existing:
            c.problem(
                "child_first_name",
                "A child with this name and date of birth is already on the register here: "
                "remove the row (and any other row of this child).",
            )
            return None
        children[identity] = (family, child)
        family.children.append(child)
        return child
    first_family, first = earlier
    if first_family is not family:
        c.problem(
            "family_reference",
            f"The same child (name and date of birth) is in row {first.row} under another "
            "family reference: one child, one family.",
        )
        return None
    for name, label in (
        ("started_on", "start date"),
        ("room", "room"),
        ("key_person", "key person"),
    ):
        if getattr(child, name) != getattr(first, name):
            c.problem(name, f"Row {first.row} gives this child another {label}.")
    return first


def _place_carer(
    c: _RowChecker, carer: CarerPlan, child: ChildPlan | None, family: FamilyPlan
) -> None:
    """A carer named on rows of several children of one family is one carer of them all (known
    to the family even when the row's child has a problem, so one problem is not reported
    twice)."""
    key = _key(carer.full_name)
    if child is not None and key in child.carers:
        c.problem(
            "carer_name",
            f"This row repeats row {child.row}'s child with the same carer: remove it.",
        )
        return
    known = family.carers.get(key)
    if known is None:
        family.carers[key] = carer
        if not (carer.phone or carer.email or carer.address):
            c.problem(
                "carer_phone",
                "Give at least one way to contact this carer (on the first row that names "
                "them): a phone number, an email address or a postal address.",
            )
    else:
        details = {k: (f"carer_{k}", v) for k, v in vars(carer).items() if k != "full_name"}
        c.agree(known, details, f"carer {carer.full_name}")
    if child is not None:
        child.carers.append(key)


def _shown(values: dict[str, str]) -> dict[str, str]:
    """The row as it would be imported, for the preview."""
    return {name: "" if blank(values.get(name)) else values[name].strip() for name in COLUMNS}


def plan_import(text: str, *, by: User) -> Plan:
    """The file's text, read and checked against the register of the person's setting now."""
    table = _table(text)
    if isinstance(table, Plan):
        return table
    header, rows = table
    problems = _check_header(header)
    if problems:
        return Plan(problems=problems)
    filled = sum(1 for _, cells in rows if not all(blank(v) for v in cells))
    if filled > MAX_ROWS:
        return refused(
            f"The file has {filled} rows: at most {MAX_ROWS} can be imported at once. Split it "
            "into several files, keeping each family's rows together."
        )
    return plan_rows(header, rows, register_of(by))


# --- importing ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Imported:
    families: int
    children: int
    carers: int


@transaction.atomic
def import_register(*, by: User, plan: Plan) -> Imported:
    """Everything in the plan, in one transaction, through the register's services: a row that
    fails on the way undoes every row before it. Audited as one event, with counts only."""
    require(policy.can_manage_register(by))
    if plan.problems or not plan.families:
        raise ValidationError("The file has problems: nothing was imported.")
    for family_plan in plan.families:
        family = services.save_family(
            by=by,
            name=family_plan.name,
            address=family_plan.address,
            home_language=family_plan.home_language,
        )
        made: dict[str, Carer] = {}
        for child_plan in family_plan.children:
            _import_child(by, family, family_plan, child_plan, made)
    counts = Imported(len(plan.families), plan.children, plan.carers)
    log_event(
        actor=by,
        event=Event.CHILDREN_IMPORTED,
        detail={"families": counts.families, "children": counts.children, "carers": counts.carers},
    )
    return counts


def _import_child(
    by: User, family: Family, family_plan: FamilyPlan, plan: ChildPlan, made: dict[str, Carer]
) -> None:
    try:
        child = services.save_child(
            by=by,
            first_name=plan.first_name,
            last_name=plan.last_name,
            date_of_birth=plan.date_of_birth,
            started_on=plan.started_on,
            room=plan.room,
            key_person=plan.key_person,
            family=family,
            carers=[made[k] for k in plan.carers if k in made],
        )
        for key in plan.carers:
            if key not in made:
                made[key] = services.save_carer(by=by, child=child, **vars(family_plan.carers[key]))
    except ValidationError as exc:
        raise ValidationError(
            f"Row {plan.row}: {' '.join(exc.messages)} Nothing was imported."
        ) from exc


# --- the file between the preview and the confirmation ----------------------------------------


def _aad(user: User, token: str) -> bytes:
    return f"records.import|{user.pk}|{token}".encode()


def keep_draft(session: SessionBase, user: User, text: str) -> str:
    """Keep a checked file for its confirmation (one at a time: a newer preview replaces it),
    encrypted under the setting's key; returns the token the confirmation names."""
    token = secrets.token_urlsafe(16)
    sealed = keys.encrypt(zlib.compress(text.encode()), keys.Owner.setting(), _aad(user, token))
    session[SESSION_KEY] = {"token": token, "data": sealed}
    return token


def draft_text(session: SessionBase, user: User, token: str) -> str | None:
    """The file kept for this token, or None (none waiting, another one's, or unreadable)."""
    kept = session.get(SESSION_KEY)
    if not isinstance(kept, dict) or not token or kept.get("token") != token:
        return None
    try:
        plain = keys.decrypt(
            str(kept.get("data")), _aad(user, token), setting=keys.current_setting()
        )
        return zlib.decompress(plain).decode()
    except (DecryptionError, zlib.error, UnicodeDecodeError, ValueError):
        return None


def drop_draft(session: SessionBase) -> None:
    session.pop(SESSION_KEY, None)
