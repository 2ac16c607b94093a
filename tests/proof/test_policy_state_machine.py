"""The access policy as a state machine: people join and leave, rooms and key persons change,
grants are given, expire and are revoked, break-glass opens and runs out, the Deputy acts as Lead,
entries are written; after every step ``records.policy`` answers exactly as a model typed out from
DESIGN.md's table ("Who may do what") and its "Decisions that settle the edges".

The model (``Design``) is plain Python sets and dataclasses and never asks the policy module: it is
the table, written by hand, as DESIGN.md asks of every test of the policy. Every step goes through
the application's services (or, for the fixed setting each example starts from, the factories the
other tests use), so the rows that grant access carry their seals as in production. A step the
model says is not allowed must be refused by the service, and then changes nothing.

Every child is given, when it joins, one entry at each level written by the Lead (who never loses
the role), so every (person, child, level) is asked after every step, not only the levels someone
happened to write.

The database: one ``django_db`` test drives the machine with ``run_state_machine_as_test``. The
setting every example starts from (rooms, six staff, an IT administrator, three children and their
entries) is made once per test; each example runs inside a savepoint that its ``teardown`` rolls
back, so examples are independent without re-making the setting or flushing tables. (Hypothesis's
``hypothesis.extra.django.TestCase`` does the same for ``@given`` tests, but a state machine's
``TestCase`` is a plain ``unittest`` class outside pytest-django's fixtures; a savepoint inside the
test's own transaction works on both databases and costs nothing.)
Time is a clock the machine moves: ``django.utils.timezone.now`` is patched for the test, and the
clock starts on a whole second so that ends at whole seconds and a microsecond before them are
both compared (SQLite keeps the two as text of different lengths).

Readings of DESIGN.md where it leaves room (the model takes the one noted):
- A practitioner who opened a child's records by break-glass may also *write* entries for the
  child (recording what they did in the emergency); the table's "write" row names only own + room.
- Authors see the child they wrote about listed (they may read what they wrote, which names it).
- The office column wins over the key-person column: a key person made office reads no entries.
- An acting-Lead appointment counts while it is live and the person is (still, or again) Deputy.
- Children who leave: "from the leaving date (plus a grace period the setting sets, default
  none) room staff and the key person no longer see the child; authors keep only what they wrote,
  until the grace ends; Lead and Deputy keep access". The model reads the grace as applying to
  everyone (as ``records.policy`` does): until the leaving date plus the grace, everything as
  before; from then on only the Lead and Deputy — no key person, room, author, grant or
  break-glass — and the office keeps the register (DESIGN.md does not say; it is not content).
  The other reading (room staff and key person lose the child on the leaving date, authors keep
  their own entries through the grace) differs only when the grace is not none. The leaving day
  itself counts as left ("from the leaving date"), as ``Child.is_current`` and the register do.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, ClassVar, TypeVar
from uuid import UUID
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings as django_settings
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, Phase
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from core import keys
from records import policy, services
from records.models import (
    ActingLead,
    Category,
    Child,
    NeedToKnowGrant,
    RecordEntry,
    Role,
    Room,
    Staff,
)

from ..factories import TEST_PASSWORD, make_family, make_room, make_staff
from . import EXAMPLES

pytestmark = [pytest.mark.heavy, pytest.mark.django_db]

User = get_user_model()
LONDON = ZoneInfo("Europe/London")
T = TypeVar("T")

# DESIGN.md's levels and its "default level by category", typed out (not imported).
GENERAL, SENSITIVE, CHILD_PROTECTION = 1, 2, 3
LEVEL_NAMES = {GENERAL: "general", SENSITIVE: "sensitive", CHILD_PROTECTION: "child protection"}
LOWEST_LEVEL: dict[str, int] = {
    Category.GENERAL: GENERAL,
    Category.ACCIDENT: GENERAL,
    # An injury seen on arrival (issue 16): sensitive, as a concern.
    Category.EXISTING_INJURY: SENSITIVE,
    Category.CONCERN: SENSITIVE,
    Category.FAMILY_CHANGE: SENSITIVE,
    Category.SENSITIVE_DISCUSSION: SENSITIVE,
    Category.AGENCY_CORRESPONDENCE: SENSITIVE,
    Category.CHILD_PROTECTION: CHILD_PROTECTION,
}
PROBES = {
    GENERAL: Category.GENERAL,
    SENSITIVE: Category.CONCERN,
    CHILD_PROTECTION: Category.CHILD_PROTECTION,
}

# Not in DESIGN.md, which says only that a grant has an end: the application's limits, as inputs.
MAX_GRANT = timedelta(days=services.MAX_GRANT_DAYS)
BREAK_GLASS = timedelta(hours=services.BREAK_GLASS_HOURS)

ROOM_NAMES = ("Sunflower", "Bluebell", "Daisy")
MAX_STAFF, MAX_CHILDREN, MAX_ENTRIES = 9, 5, 30
STEPS = 20
# The second test's grace period after a child leaves (the first runs with the default, none).
LEAVER_GRACE_DAYS = 3

ROOM = st.sampled_from(ROOM_NAMES)
ROOMS = st.frozensets(ROOM, max_size=2)
ROLES = [role.value for role in Role]
# DESIGN.md's trustees: never given on the staff pages.
TRUSTEE_ROLES = ("chair", "safeguarding_trustee", "trustee")
CATEGORY = st.sampled_from([category.value for category in Category])
LEVEL = st.sampled_from([GENERAL, SENSITIVE, CHILD_PROTECTION])
GRANT_LENGTHS = [
    timedelta(hours=3),
    timedelta(minutes=30),
    timedelta(days=1),
    timedelta(days=8),
    MAX_GRANT,
]
# Days before today: 0 is leaving today, which DESIGN.md counts as left ("from the leaving date").
LEFT_DAYS_AGO = st.integers(min_value=0, max_value=2 * LEAVER_GRACE_DAYS)
ACTING_LENGTHS = [timedelta(hours=2), timedelta(days=14)]
# What the services refuse, for ``someone_tries``: an end that is not in the future, a grant
# longer than the longest.
REFUSED_LENGTHS = [timedelta(0), -timedelta(hours=1), MAX_GRANT + timedelta(seconds=1)]
TIME_STEPS = st.sampled_from(
    [
        timedelta(minutes=1),
        timedelta(hours=1),
        timedelta(hours=4),
        timedelta(days=1),
        timedelta(days=9),
        timedelta(days=200),
    ]
)
ATTEMPTS = (
    "a member of staff joins",
    "the Lead changes a role",
    "a member of staff leaves",
    "a key person is chosen",
    "a grant is given",
    "a grant is revoked",
    "break-glass is opened",
    "the Deputy is made acting Lead",
    "the acting Lead is ended",
    "an entry is written",
)


# --- the model, typed out from DESIGN.md -------------------------------------------------------


@dataclass
class Person:
    name: str
    role: str
    user_id: int
    rooms: frozenset[str] = frozenset()
    active: bool = True


@dataclass
class Kid:
    name: str
    room: str
    key_person: UUID | None
    left_on: date | None = None


@dataclass(frozen=True)
class Written:
    name: str
    child: UUID
    level: int
    author: UUID


@dataclass
class Period:
    """A need-to-know grant, a break-glass opening or an acting-Lead appointment: it counts from
    its start until its end (then at once) or until it is revoked."""

    name: str
    holder: UUID
    starts_at: datetime
    ends_at: datetime
    child: UUID | None = None
    level: int = CHILD_PROTECTION
    revoked: bool = False

    def live(self, now: datetime) -> bool:
        return not self.revoked and self.starts_at <= now < self.ends_at


@dataclass
class Design:
    """Who may do what, from DESIGN.md's table and its decisions; nothing here asks the policy."""

    now: datetime
    # "from the leaving date (plus a grace period the setting sets, default none)"
    grace: timedelta = timedelta(0)
    people: dict[UUID, Person] = field(default_factory=dict)
    children: dict[UUID, Kid] = field(default_factory=dict)
    entries: dict[UUID, Written] = field(default_factory=dict)
    grants: dict[UUID, Period] = field(default_factory=dict)
    openings: dict[UUID, Period] = field(default_factory=dict)
    acting: dict[UUID, Period] = field(default_factory=dict)

    # -- the columns of the table

    def _role(self, p: UUID) -> str | None:
        """The column a person is in; None for a deactivated account (nothing at all)."""
        person = self.people[p]
        return person.role if person.active else None

    def has_left(self, c: UUID) -> bool:
        """Children who leave: "from the leaving date (plus a grace period the setting sets,
        default none)" only the Lead and Deputy keep access (the office keeps the register)."""
        left_on = self.children[c].left_on
        return left_on is not None and self.now.astimezone(LONDON).date() >= left_on + self.grace

    def _own(self, p: UUID, c: UUID) -> bool:
        return self.children[c].key_person == p

    def _room(self, p: UUID, c: UUID) -> bool:
        return self.children[c].room in self.people[p].rooms

    def _granted(self, p: UUID, c: UUID) -> int:
        """The highest level of a live grant this person holds for this child (0: none)."""
        return max(
            (
                g.level
                for g in self.grants.values()
                if g.holder == p and g.child == c and g.live(self.now)
            ),
            default=0,
        )

    def _opened(self, p: UUID, c: UUID) -> bool:
        return any(
            o.holder == p and o.child == c and o.live(self.now) for o in self.openings.values()
        )

    def _wrote_about(self, p: UUID, c: UUID) -> bool:
        return any(e.author == p and e.child == c for e in self.entries.values())

    # -- the rows of the table

    def sees_child(self, p: UUID, c: UUID) -> bool:
        """Child's name, room, register: all for Lead, Deputy and office; own + room for the key
        person, room for others; a grant lists the child; so do break-glass and authorship."""
        role = self._role(p)
        if role in (Role.LEAD, Role.DEPUTY, Role.OFFICE):
            return True
        if role != Role.PRACTITIONER or self.has_left(c):
            return False
        return (
            self._own(p, c)
            or self._room(p, c)
            or self._granted(p, c) > 0
            or self._opened(p, c)
            or self._wrote_about(p, c)
        )

    def reads(self, p: UUID, e: UUID) -> bool:
        """General: own + room; sensitive: own; child protection: Lead and Deputy; a grant up to
        its level; authors what they wrote; break-glass opens the child's records."""
        role = self._role(p)
        if role in (Role.LEAD, Role.DEPUTY):
            return True
        entry = self.entries[e]
        c = entry.child
        if role != Role.PRACTITIONER or self.has_left(c):
            return False
        if entry.author == p or self._opened(p, c) or self._granted(p, c) >= entry.level:
            return True
        if entry.level == GENERAL:
            return self._own(p, c) or self._room(p, c)
        if entry.level == SENSITIVE:
            return self._own(p, c)
        return False

    def writes(self, p: UUID, c: UUID) -> bool:
        """Write an entry (any level): Lead and Deputy all; key person own + room; others room."""
        role = self._role(p)
        if role in (Role.LEAD, Role.DEPUTY):
            return True
        if role != Role.PRACTITIONER or self.has_left(c):
            return False
        return self._own(p, c) or self._room(p, c) or self._opened(p, c)

    def amends(self, p: UUID, e: UUID) -> bool:
        """Amend: Lead and Deputy all; others what they wrote (while the child is on roll)."""
        role = self._role(p)
        if role in (Role.LEAD, Role.DEPUTY):
            return True
        entry = self.entries[e]
        return role == Role.PRACTITIONER and entry.author == p and not self.has_left(entry.child)

    def approves(self, p: UUID) -> bool:
        """The Lead, or the Deputy while made acting Lead."""
        role = self._role(p)
        if role == Role.LEAD:
            return True
        return role == Role.DEPUTY and any(
            a.holder == p and a.live(self.now) for a in self.acting.values()
        )

    def may_break_glass(self, p: UUID, c: UUID) -> bool:
        """A practitioner who can see the child."""
        return self._role(p) == Role.PRACTITIONER and self.sees_child(p, c)

    # -- names for the failure messages

    def who(self, p: UUID) -> str:
        person = self.people[p]
        rooms = ", ".join(sorted(person.rooms)) or "no room"
        keyed = [k.name for k in self.children.values() if k.key_person == p]
        state = "" if person.active else ", deactivated"
        return f"{person.name} ({person.role}{state}; {rooms}; key person to {keyed or 'nobody'})"

    def child_name(self, c: UUID) -> str:
        kid = self.children[c]
        key = self.people[kid.key_person].name if kid.key_person else "nobody"
        left = f", left {kid.left_on}" if kid.left_on else ""
        return f"{kid.name} ({kid.room}, key person {key}{left})"

    def entry_name(self, e: UUID) -> str:
        entry = self.entries[e]
        return (
            f"{entry.name} ({LEVEL_NAMES[entry.level]}, about {self.children[entry.child].name},"
            f" by {self.people[entry.author].name})"
        )


@dataclass
class Clock:
    moment: datetime

    def now(self) -> datetime:
        return self.moment


@dataclass
class Setting:
    """What every example starts from, made once per test."""

    model: Design
    start: datetime
    rooms: dict[str, UUID]
    family_id: UUID
    lead: UUID
    it_admin: int


def make_setting(clock: Clock) -> Setting:
    model = Design(now=clock.moment)
    rooms = {name: make_room(name) for name in ROOM_NAMES}

    def person(name: str, role: str, in_rooms: tuple[str, ...] = ()) -> Staff:
        staff = make_staff(name, role, rooms=[rooms[r] for r in in_rooms])
        model.people[staff.pk] = Person(name, role, staff.user_id, frozenset(in_rooms))
        return staff

    lead = person("lead", Role.LEAD)
    person("deputy", Role.DEPUTY)
    pr1 = person("pr1", Role.PRACTITIONER, ("Sunflower",))
    pr2 = person("pr2", Role.PRACTITIONER, ("Bluebell",))
    person("pr3", Role.PRACTITIONER, ("Sunflower", "Daisy"))
    person("office", Role.OFFICE)
    it_admin = User.objects.create_superuser("it_admin", "it@example.test", TEST_PASSWORD)
    setting = Setting(
        model=model,
        start=clock.moment,
        rooms={name: room.pk for name, room in rooms.items()},
        family_id=make_family().pk,
        lead=lead.pk,
        it_admin=it_admin.pk,
    )
    for room, key_person in (("Sunflower", pr1), ("Bluebell", pr2), ("Daisy", None)):
        join(setting, model, room=room, key_person=key_person)
    return setting


def join(setting: Setting, model: Design, *, room: str, key_person: Staff | None) -> UUID:
    """A child joins the register (by the Lead), with one entry at each level by the Lead."""
    lead = User.objects.get(pk=model.people[setting.lead].user_id)
    name = f"Kit{len(model.children) + 1}"
    child = services.save_child(
        by=lead,
        first_name=name,
        last_name="Testchild",
        date_of_birth=date(2022, 3, 14),
        started_on=date(2025, 9, 1),
        room=Room.objects.get(pk=setting.rooms[room]),
        key_person=key_person,
        family_id=setting.family_id,
    )
    model.children[child.pk] = Kid(name, room, key_person.pk if key_person else None)
    for level, category in PROBES.items():
        entry = write(child, lead, category, level, model.now)
        model.entries[entry.pk] = Written(
            f"e{len(model.entries) + 1}", child.pk, level, setting.lead
        )
    return child.pk


def write(child: Child, author: Any, category: str, level: int, now: datetime) -> RecordEntry:
    return services.record_entry(
        child=child,
        author=author,
        category=category,
        level=level,
        occurred_at=now - timedelta(hours=1),
        text="Played in the sand tray and talked about the weekend.",
        # An injury seen on arrival records what the parent said of it.
        parent_said="Fell over in the park, mum said." if category == "existing_injury" else "",
    )


# --- the machine -------------------------------------------------------------------------------

NOBODY = "nobody"


class PolicyMachine(RuleBasedStateMachine):
    """People and children are drawn by name (``Draw 1 (grantee): 'pr1'`` in a failing sequence).
    Each example starts from: lead; deputy; pr1 (Sunflower), pr2 (Bluebell), pr3 (Sunflower and
    Daisy), practitioners; office; Kit1 (Sunflower, key person pr1), Kit2 (Bluebell, pr2), Kit3
    (Daisy, no key person); entries e1-e9, one at each level about each child, by the Lead.
    Grants are named g1..., break-glass openings bg1..., acting-Lead appointments acting1....

    Each rule does what the model says is allowed, drawing whoever acts from those who may;
    ``someone_tries`` does one of them with anyone at all and any input, and the service must
    then refuse whatever the model does not allow."""

    setting: ClassVar[Setting]
    clock: ClassVar[Clock]

    def __init__(self) -> None:
        super().__init__()
        self._savepoint = transaction.atomic()
        self._savepoint.__enter__()
        # Keys unwrapped by an earlier example may belong to rows it rolled back.
        keys.clear_cache()
        self.clock.moment = self.setting.start
        self.model = copy.deepcopy(self.setting.model)
        self.model.grace = timedelta(days=django_settings.CONFIDE_LEAVER_GRACE_DAYS)
        self._anyone = False
        self._steps = 0

    def teardown(self) -> None:
        transaction.set_rollback(True)
        self._savepoint.__exit__(None, None, None)
        keys.clear_cache()

    # -- helpers

    def _staff(self, where: Callable[[UUID], bool] = lambda p: True) -> list[str]:
        """Names, in the order they joined (hypothesis favours the first of a list)."""
        return [person.name for p, person in self.model.people.items() if where(p)]

    def _pick(self, data: st.DataObject, label: str, may: list[str]) -> str | None:
        """One of those the model says may; anyone at all in ``someone_tries``."""
        pool = self._staff() if self._anyone else may
        return data.draw(st.sampled_from(pool), label=label) if pool else None

    def _draw(self, data: st.DataObject, label: str, may: list[str]) -> UUID | None:
        name = self._pick(data, label, may)
        return None if name is None else self._person(name)

    def _person(self, name: str) -> UUID:
        return next(p for p, person in self.model.people.items() if person.name == name)

    def _child(self, data: st.DataObject) -> UUID:
        names = {kid.name: c for c, kid in self.model.children.items()}
        return names[data.draw(st.sampled_from(list(names)), label="child")]

    def _period(self, data: st.DataObject, label: str, periods: dict[UUID, Period]) -> UUID | None:
        """A grant or an appointment not yet revoked; any at all in ``someone_tries``."""
        names = {p.name: pk for pk, p in periods.items() if self._anyone or not p.revoked}
        if not names:
            return None
        return names[data.draw(st.sampled_from(list(names)), label=label)]

    def _length(self, data: st.DataObject, lengths: list[timedelta]) -> timedelta:
        pool = lengths + REFUSED_LENGTHS if self._anyone else lengths
        return data.draw(st.sampled_from(pool), label="lasting")

    def _user(self, p: UUID) -> Any:
        # A fresh user each time: the policy keeps its answers on the user object for a request.
        return User.objects.get(pk=self.model.people[p].user_id)

    def _lead(self) -> Any:
        return self._user(self.setting.lead)

    def _rooms(self, names: frozenset[str]) -> Any:
        return Room.objects.filter(pk__in=[self.setting.rooms[r] for r in names])

    def _attempt(self, allowed: bool, call: Callable[[], T]) -> T | None:
        """Do it when the model says it is allowed; otherwise the service must refuse it."""
        if allowed:
            return call()
        with pytest.raises((PermissionDenied, ValidationError)):
            call()
        return None

    def _is(self, p: UUID, *roles: str) -> bool:
        person = self.model.people[p]
        return person.active and person.role in roles

    def _set_time(self, moment: datetime) -> None:
        self.clock.moment = moment
        self.model.now = moment

    # -- someone tries what may be refused

    @rule(data=st.data(), attempt=st.sampled_from(ATTEMPTS))
    def someone_tries(self, data: st.DataObject, attempt: str) -> None:
        """One of the rules below with anyone at all acting and any input."""
        self._anyone = True
        try:
            if attempt == "a member of staff joins":
                role = data.draw(st.sampled_from(ROLES), label="role")
                self.a_member_of_staff_joins(role, frozenset())
            elif attempt == "the Lead changes a role":
                role = data.draw(st.sampled_from(ROLES), label="role")
                self.the_lead_changes_role_or_rooms(data, role, frozenset())
            elif attempt == "a member of staff leaves":
                self.a_member_of_staff_leaves(data)
            elif attempt == "a key person is chosen":
                self.a_child_gets_a_new_key_person(data)
            elif attempt == "a grant is given":
                self.a_grant_is_given(data, data.draw(LEVEL, label="level"))
            elif attempt == "a grant is revoked":
                self.a_grant_is_revoked(data)
            elif attempt == "break-glass is opened":
                self.break_glass_is_opened(data)
            elif attempt == "the Deputy is made acting Lead":
                self.the_deputy_is_made_acting_lead(data)
            elif attempt == "the acting Lead is ended":
                self.the_acting_lead_is_ended(data)
            else:
                category = data.draw(CATEGORY, label="category")
                shift = data.draw(st.sampled_from([0, 1, 2, -1]), label="shift")
                self.an_entry_is_written(data, category, shift)
        finally:
            self._anyone = False

    # -- people join, change and leave

    @precondition(lambda self: len(self.model.people) < MAX_STAFF)
    @rule(
        role=st.sampled_from([Role.PRACTITIONER.value, Role.DEPUTY.value, Role.OFFICE.value]),
        rooms=ROOMS,
    )
    def a_member_of_staff_joins(self, role: str, rooms: frozenset[str]) -> None:
        if len(self.model.people) >= MAX_STAFF:
            return
        name = f"{role}{len(self.model.people) + 1}"
        made = self._attempt(
            # One Lead, handed over in the admin; trustees added by the IT administrator.
            role != Role.LEAD and role not in TRUSTEE_ROLES,
            lambda: services.create_staff(
                created_by=self._lead(),
                username=name,
                full_name=name.title(),
                email=f"{name}@example.test",
                role=role,
                rooms=self._rooms(rooms),
                password=TEST_PASSWORD,
            ),
        )
        if made is not None:
            staff, _code = made
            self.model.people[staff.pk] = Person(name, role, staff.user_id, rooms)

    @rule(data=st.data(), role=st.none() | st.sampled_from(ROLES[1:]), rooms=ROOMS)
    def the_lead_changes_role_or_rooms(
        self, data: st.DataObject, role: str | None, rooms: frozenset[str]
    ) -> None:
        person = self._draw(data, "person", self._staff())
        assert person is not None
        current = self.model.people[person].role
        if role is None or (current == Role.LEAD and not self._anyone):
            role = current
        staff = Staff.objects.get(pk=person)
        done = self._attempt(
            # There is one Lead: nobody becomes Lead here, and the Lead stays Lead. Nobody is
            # made a trustee here either (the IT administrator adds them).
            (role == Role.LEAD) == (current == Role.LEAD) and role not in TRUSTEE_ROLES,
            lambda: services.update_staff(
                staff=staff,
                by=self._lead(),
                full_name=staff.full_name,
                role=role,
                rooms=self._rooms(rooms),
            ),
        )
        if done is not None:
            self.model.people[person].role = role
            self.model.people[person].rooms = rooms

    def _may_leave(self, p: UUID) -> bool:
        # The Lead deactivates accounts, but not their own.
        return p != self.setting.lead and self.model.people[p].active

    @rule(data=st.data())
    def a_member_of_staff_leaves(self, data: st.DataObject) -> None:
        # Newest first: hypothesis favours the first of a list, and the Deputy is worth keeping.
        person = self._draw(data, "person", self._staff(self._may_leave)[::-1])
        if person is None:
            return
        done = self._attempt(
            self._may_leave(person),
            lambda: services.deactivate_staff(staff=Staff.objects.get(pk=person), by=self._lead()),
        )
        if done is not None:
            self.model.people[person].active = False

    @rule(data=st.data())
    def the_it_administrator_makes_an_account_superuser(self, data: st.DataObject) -> None:
        # Account management in the admin: it must open no record to the account.
        person = self._draw(data, "person", self._staff())
        assert person is not None
        user = self._user(person)
        user.is_superuser = True
        user.save(update_fields=["is_superuser"])

    # -- the register

    def _may_be_key_person(self, p: UUID | None) -> bool:
        # "The key person (a practitioner)": someone who works with children, never the office.
        return p is None or self._is(p, Role.LEAD, Role.DEPUTY, Role.PRACTITIONER)

    def _key_person(self, data: st.DataObject) -> UUID | None:
        may = [NOBODY, *self._staff(self._may_be_key_person)]
        name = data.draw(
            st.sampled_from([NOBODY, *self._staff()] if self._anyone else may), label="key person"
        )
        return None if name == NOBODY else self._person(name)

    @precondition(lambda self: len(self.model.children) < MAX_CHILDREN)
    @rule(data=st.data(), room=ROOM)
    def a_child_joins(self, data: st.DataObject, room: str) -> None:
        key_person = self._key_person(data)
        staff = Staff.objects.get(pk=key_person) if key_person else None
        join(self.setting, self.model, room=room, key_person=staff)

    def _save_child(self, c: UUID, **fields: Any) -> Child:
        child = Child.objects.get(pk=c)
        return services.save_child(
            by=self._lead(),
            child=child,
            date_of_birth=child.date_of_birth,
            started_on=child.started_on,
            **fields,
        )

    @rule(data=st.data(), room=ROOM)
    def a_child_moves_room(self, data: st.DataObject, room: str) -> None:
        child = self._child(data)
        self._save_child(child, room=Room.objects.get(pk=self.setting.rooms[room]))
        self.model.children[child].room = room

    @rule(data=st.data())
    def a_child_gets_a_new_key_person(self, data: st.DataObject) -> None:
        child = self._child(data)
        key_person = self._key_person(data)
        staff = Staff.objects.get(pk=key_person) if key_person else None
        done = self._attempt(
            self._may_be_key_person(key_person),
            lambda: self._save_child(child, key_person=staff),
        )
        if done is not None:
            self.model.children[child].key_person = key_person

    @rule(data=st.data(), days_ago=LEFT_DAYS_AGO)
    def a_child_leaves(self, data: st.DataObject, days_ago: int) -> None:
        """The register records the leaving date (today or in the past)."""
        child = self._child(data)
        left_on = self.clock.moment.astimezone(LONDON).date() - timedelta(days=days_ago)
        self._save_child(child, left_on=left_on)
        self.model.children[child].left_on = left_on

    # -- need-to-know grants

    def _manager(self, data: st.DataObject) -> UUID | None:
        return self._draw(data, "by", self._staff(lambda p: self._is(p, Role.LEAD, Role.DEPUTY)))

    @rule(data=st.data(), level=LEVEL)
    def a_grant_is_given(self, data: st.DataObject, level: int) -> None:
        child = self._child(data)
        grantee = self._draw(data, "grantee", self._staff(lambda p: self._is(p, Role.PRACTITIONER)))
        by = self._manager(data)
        if grantee is None or by is None:
            return
        lasts = self._length(data, GRANT_LENGTHS)
        now = self.clock.moment
        grant = self._attempt(
            # Given by the Lead or Deputy, to a practitioner, with an end in the future.
            self._is(by, Role.LEAD, Role.DEPUTY)
            and self._is(grantee, Role.PRACTITIONER)
            and timedelta(0) < lasts <= MAX_GRANT,
            lambda: services.give_grant(
                child=Child.objects.get(pk=child),
                grantee=Staff.objects.get(pk=grantee),
                level=level,
                reason="Supporting the family through a referral.",
                ends_at=now + lasts,
                granted_by=self._user(by),
            ),
        )
        if grant is not None:
            name = f"g{len(self.model.grants) + 1}"
            self.model.grants[grant.pk] = Period(name, grantee, now, now + lasts, child, level)

    @precondition(lambda self: self.model.grants)
    @rule(data=st.data())
    def a_grant_is_revoked(self, data: st.DataObject) -> None:
        grant = self._period(data, "grant", self.model.grants)
        by = self._manager(data)
        if grant is None or by is None:
            return
        done = self._attempt(
            self._is(by, Role.LEAD, Role.DEPUTY) and not self.model.grants[grant].revoked,
            lambda: services.revoke_grant(
                grant=NeedToKnowGrant.objects.get(pk=grant), revoked_by=self._user(by)
            ),
        )
        if done is not None:
            self.model.grants[grant].revoked = True

    # -- break-glass

    @rule(data=st.data())
    def break_glass_is_opened(self, data: st.DataObject) -> None:
        child = self._child(data)
        by = self._draw(data, "by", self._staff(lambda p: self.model.may_break_glass(p, child)))
        if by is None:
            return
        now = self.clock.moment
        opened = self._attempt(
            self.model.may_break_glass(by, child),
            lambda: services.open_break_glass(
                child=Child.objects.get(pk=child),
                by=self._user(by),
                reason="Bruising seen at pick-up; neither the Lead nor the Deputy answers.",
            ),
        )
        if opened is not None:
            name = f"bg{len(self.model.openings) + 1}"
            self.model.openings[opened.pk] = Period(name, by, now, now + BREAK_GLASS, child)

    # -- the acting Lead

    @rule(data=st.data())
    def the_deputy_is_made_acting_lead(self, data: st.DataObject) -> None:
        deputy = self._draw(data, "deputy", self._staff(lambda p: self._is(p, Role.DEPUTY)))
        by = self._draw(data, "by", self._staff(lambda p: self._is(p, Role.LEAD)))
        if deputy is None or by is None:
            return
        lasts = self._length(data, ACTING_LENGTHS)
        now = self.clock.moment
        appointment = self._attempt(
            self._is(by, Role.LEAD) and self._is(deputy, Role.DEPUTY) and lasts > timedelta(0),
            lambda: services.appoint_acting_lead(
                deputy=Staff.objects.get(pk=deputy),
                appointed_by=self._user(by),
                reason="The Lead is on leave.",
                ends_at=now + lasts,
            ),
        )
        if appointment is not None:
            name = f"acting{len(self.model.acting) + 1}"
            self.model.acting[appointment.pk] = Period(name, deputy, now, now + lasts)

    @precondition(lambda self: self.model.acting)
    @rule(data=st.data())
    def the_acting_lead_is_ended(self, data: st.DataObject) -> None:
        appointment = self._period(data, "appointment", self.model.acting)
        by = self._draw(data, "by", self._staff(lambda p: self._is(p, Role.LEAD)))
        if appointment is None or by is None:
            return
        done = self._attempt(
            self._is(by, Role.LEAD) and not self.model.acting[appointment].revoked,
            lambda: services.end_acting_lead(
                appointment=ActingLead.objects.get(pk=appointment), by=self._user(by)
            ),
        )
        if done is not None:
            self.model.acting[appointment].revoked = True

    # -- entries

    @precondition(lambda self: len(self.model.entries) < MAX_ENTRIES)
    @rule(data=st.data(), category=CATEGORY, shift=st.sampled_from([0, 1, 2]))
    def an_entry_is_written(self, data: st.DataObject, category: str, shift: int) -> None:
        child = self._child(data)
        author = self._draw(data, "author", self._staff(lambda p: self.model.writes(p, child)))
        if author is None or len(self.model.entries) >= MAX_ENTRIES:
            return
        lowest = LOWEST_LEVEL[category]
        level = min(max(lowest + shift, GENERAL), CHILD_PROTECTION)
        entry = self._attempt(
            # The author may raise the level, never lower it below the category's default.
            self.model.writes(author, child) and level >= lowest,
            lambda: write(
                Child.objects.get(pk=child), self._user(author), category, level, self.clock.moment
            ),
        )
        if entry is not None:
            name = f"e{len(self.model.entries) + 1}"
            self.model.entries[entry.pk] = Written(name, child, level, author)

    # -- time passes

    @rule(step=TIME_STEPS)
    def time_passes(self, step: timedelta) -> None:
        self._set_time(self.clock.moment + step)

    @rule(data=st.data(), just_before=st.booleans())
    def time_reaches_an_end(self, data: st.DataObject, just_before: bool) -> None:
        """To the end of a grant (g1...), a break-glass opening (bg1...) or an acting-Lead
        appointment (acting1...), or to a microsecond before it."""
        m = self.model
        periods = [*m.grants.values(), *m.openings.values(), *m.acting.values()]
        ends = {p.name: p.ends_at for p in periods if p.ends_at > m.now}
        if ends:
            end = ends[data.draw(st.sampled_from(sorted(ends)), label="the end of")]
            moment = end - timedelta(microseconds=1) if just_before else end
            self._set_time(max(moment, m.now))

    # -- after every step

    @invariant()
    def there_is_one_lead(self) -> None:
        assert Staff.objects.filter(role=Role.LEAD, active=True).count() == 1

    @invariant()
    def the_policy_answers_as_the_design_table(self) -> None:
        m = self.model
        users = User.objects.in_bulk(
            [p.user_id for p in m.people.values()] + [self.setting.it_admin]
        )
        kids = Child.objects.in_bulk(list(m.children))
        entries = RecordEntry.objects.in_bulk(list(m.entries))
        assert set(kids) == set(m.children) and set(entries) == set(m.entries)
        problems: list[str] = []
        self._steps += 1
        asked = list(m.children)[self._steps % len(m.children)]
        # One entry for each (level, author) about that child: the others are asked the same.
        kinds = {(w.level, w.author): e for e, w in m.entries.items() if w.child == asked}
        about = set(kinds.values())

        def compare(
            who: str, question: str, got: set, want: set, name: Callable[[Any], str]
        ) -> None:
            if got != want:
                extra = sorted(name(x) for x in got - want)
                missing = sorted(name(x) for x in want - got)
                problems.append(
                    f"{who}: {question}: the policy also gives {extra}; "
                    f"the policy leaves out {missing}"
                )

        for p in m.people:
            user = users[m.people[p].user_id]
            who = m.who(p)
            compare(
                who,
                "visible_children",
                set(policy.visible_children(user).values_list("pk", flat=True)),
                {c for c in m.children if m.sees_child(p, c)},
                m.child_name,
            )
            readable = {e for e in m.entries if m.reads(p, e)}
            compare(
                who,
                "visible_entries",
                set(policy.visible_entries(user).values_list("pk", flat=True)),
                readable,
                m.entry_name,
            )
            # One query an entry: asked about one child a step, each child in turn.
            compare(
                who,
                f"can_read_entry (entries about {m.children[asked].name})",
                {e for e in about if policy.can_read_entry(user, entries[e])},
                readable & about,
                m.entry_name,
            )
            compare(
                who,
                "can_write_entry",
                {c for c, kid in kids.items() if policy.can_write_entry(user, kid)},
                {c for c in m.children if m.writes(p, c)},
                m.child_name,
            )
            compare(
                who,
                "can_amend_entry",
                {e for e, entry in entries.items() if policy.can_amend_entry(user, entry)},
                {e for e in m.entries if m.amends(p, e)},
                m.entry_name,
            )
            if policy.has_lead_approval(user) != m.approves(p):
                problems.append(
                    f"{who}: has_lead_approval is {policy.has_lead_approval(user)}, "
                    f"the table says {m.approves(p)}"
                )

        # The IT administrator (a superuser with no staff profile): no record content at all.
        it_admin = users[self.setting.it_admin]
        assert not policy.visible_children(it_admin).exists()
        assert not policy.visible_entries(it_admin).exists()
        assert not any(policy.can_write_entry(it_admin, kid) for kid in kids.values())
        assert not policy.has_lead_approval(it_admin)

        assert not problems, f"at {m.now:%Y-%m-%d %H:%M:%S.%f %Z}:\n" + "\n".join(problems)


class LeaversMachine(PolicyMachine):
    """Every example starts with a child who has left (or leaves today), so that leaving, and
    the grace period after it, is asked in every example rather than now and then."""

    @initialize(data=st.data(), days_ago=LEFT_DAYS_AGO)
    def a_child_has_left(self, data: st.DataObject, days_ago: int) -> None:
        self.a_child_leaves(data, days_ago)


# --- the tests -----------------------------------------------------------------------------------


def run(machine: type[PolicyMachine], monkeypatch: pytest.MonkeyPatch) -> None:
    clock = Clock(timezone.now().replace(microsecond=0))
    monkeypatch.setattr(timezone, "now", clock.now)
    setting = make_setting(clock)
    bound = type(machine.__name__, (machine,), {"setting": setting, "clock": clock})
    run_state_machine_as_test(
        bound,
        settings=hypothesis_settings(
            max_examples=EXAMPLES,
            stateful_step_count=STEPS,
            deadline=None,
            # Not the explain phase: it re-runs a failing sequence many times to name lines.
            phases=[Phase.explicit, Phase.reuse, Phase.generate, Phase.shrink],
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
        ),
    )


def test_the_policy_answers_as_the_design_table_after_every_step(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    run(PolicyMachine, monkeypatch)


def test_children_who_leave_are_seen_only_by_lead_and_deputy_after_the_grace_period(
    monkeypatch: pytest.MonkeyPatch, settings: Any
) -> None:
    settings.CONFIDE_LEAVER_GRACE_DAYS = LEAVER_GRACE_DAYS
    run(LeaversMachine, monkeypatch)
