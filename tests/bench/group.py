"""The settings of a bench group and their years, as rows (tests/bench/data.py drives it; make
bench-data and make bench's growth benchmark use it).

A setting has three rooms, a Lead, a Deputy, an office administrator and practitioners, each with a
password and a confirmed authenticator whose secret is ``TOTP_KEY`` (bench data only: the load test
signs in with them). Every September an intake of children starts, each with a family of one or two
carers, and stays three years (one in ten leaves early, and each leaver has a leaving record). Each
child on roll has about ``entries_per_child_year`` entries a year, on weekdays in session hours, of
every category (mostly general, a few child protection), written by the key person, the Lead or
the Deputy as the category asks, the parent told where the policy says so; consent to share is
recorded at the start (some later withdrawn); about one subject-access request a year per setting,
closed. Lead, Deputy and key people open the children's pages, and each page's reads of sensitive
entries are audited. Every row made has its creation row in the audit log (tests/bench/bulk.py).

The random choices are seeded by setting and year, so the figures come out alike from one run to
the next (the ids are new each time).
"""

from __future__ import annotations

import hashlib
import random
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

from .bulk import Event, Writer, creation_event, read_event, seal_events

# Bench data only: every generated account's password and authenticator secret, so the load test
# (tests/bench/load.py) can sign in as anyone. Never a real deployment's.
PASSWORD = "bench-data-password-not-secret"
TOTP_KEY = hashlib.sha1(b"confide bench data").digest()  # noqa: S324 - a fixed test secret
ROOMS = ("Ladybirds", "Dragonflies", "Owls")  # youngest first
ENTRIES_PER_CHILD_YEAR = 40
VIEWS_PER_CHILD_YEAR = 18
WEEKDAY_HOURS = (8, 17)

CATEGORY_WEIGHTS = {
    "general": 62,
    "accident": 12,
    "existing_injury": 4,
    "concern": 9,
    "family_change": 4,
    "sensitive_discussion": 4,
    "agency_correspondence": 3,
    "child_protection": 2,
}
# Who writes an entry of each category: (key person, Lead, Deputy, another room practitioner).
AUTHORS = {
    "general": (70, 5, 5, 20),
    "accident": (70, 0, 5, 25),
    "existing_injury": (80, 10, 10, 0),
    "concern": (60, 25, 15, 0),
    "family_change": (50, 25, 25, 0),
    "sensitive_discussion": (50, 25, 25, 0),
    "agency_correspondence": (0, 70, 30, 0),
    "child_protection": (0, 80, 20, 0),
}
# Fictional names (one string each, read as words).
FIRST_NAMES = (  # noqa: SIM905
    "Alex Ash Bailey Blake Brook Cameron Charlie Dakota Eden Elliot Emery Finley Frankie "
    "Harley Hayden Indigo Jamie Jesse Jordan Jude Kai Kit Lennon Logan Marley Morgan Nico "
    "Oakley Parker Peyton Quinn Reese Remy Riley River Robin Rowan Sage Sam Sasha Skyler "
    "Taylor Tatum Wren"
).split()
SURNAMES = (  # noqa: SIM905
    "Ashdown Barrowby Brackwell Carrow Dunmore Elsworth Fairlie Fenwick Garside Hartwell "
    "Holloway Ingleby Kersey Lathom Marwood Netherby Oakhill Pennock Quarry Radcliffe "
    "Redfern Saltash Thornbury Underhill Varley Wetherall Whitlock Yarrow Ashby Brimble "
    "Colwell Dunstan Everley Foxton Gilling Hebden Ivesley Kilburn Lowther Mossley"
).split()


@dataclass(frozen=True)
class Figures:
    """How big a group to make (``make bench-data`` passes SETTINGS, YEARS and INTAKE)."""

    settings: int = 20
    years: int = 10
    intake: int = 46
    stay_years: int = 3
    practitioners: int = 22
    entries_per_child_year: int = ENTRIES_PER_CHILD_YEAR
    views_per_child_year: int = VIEWS_PER_CHILD_YEAR
    sars_per_setting_year: float = 1.0

    def shape(self) -> dict[str, Any]:
        """What a resumed run must share with the first (everything but the number of settings)."""
        out = asdict(self)
        del out["settings"]
        return out

    def estimate(self) -> dict[str, int]:
        """About what the whole group holds: children, entries and read rows (measured: a child is
        on roll nine tenths of the year on average; each page view logs the sensitive entries of
        the year before it, which comes to ``views_per_child_year`` × 0.22 reads per entry)."""
        children = self.settings * self.intake * (self.years + self.stay_years)
        child_years = self.settings * self.intake * self.stay_years * self.years
        entries = int(child_years * self.entries_per_child_year * 0.92)
        reads = int(entries * self.views_per_child_year * 0.22)
        return {"children": children, "entries": entries, "reads": reads}


@dataclass(frozen=True)
class SettingPlan:
    """One setting to make: ``slug`` names its accounts (``lead-<slug>``, ``practitioner3-<slug>``)."""

    slug: str
    name: str
    years: int
    number: int = 0


@dataclass(frozen=True)
class Step:
    """One academic year of a setting's history (or the part of it inside the history)."""

    label: str
    start: datetime
    end: datetime


def plans_for(figures: Figures) -> list[SettingPlan]:
    return [
        SettingPlan(
            slug=f"s{n:02d}", name=f"Bench Preschool {n:02d}", years=figures.years, number=n
        )
        for n in range(1, figures.settings + 1)
    ]


def steps_of(years: int, end: datetime) -> list[Step]:
    """The academic years (September to August) of the last ``years`` years up to ``end``, the
    first and last cut at the window's ends."""
    start = end - timedelta(days=round(365.25 * years))
    out: list[Step] = []
    year = start.year if start.month >= 9 else start.year - 1
    while True:
        a = datetime(year, 9, 1, tzinfo=UTC)
        b = datetime(year + 1, 9, 1, tzinfo=UTC)
        if a >= end:
            return out
        out.append(Step(f"{year}-{(year + 1) % 100:02d}", max(a, start), min(b, end)))
        year += 1


# --- the people and the texts --------------------------------------------------------------------


def texts() -> dict[str, list[str]]:
    """Everyday wording by category, from the demo's (all fictional)."""
    from demo import data as demo  # after django.setup()

    pools: dict[str, list[str]] = {c: [] for c in CATEGORY_WEIGHTS}
    pools["general"] += demo.GENERAL_COMMON
    for room_texts in demo.GENERAL_BY_ROOM.values():
        pools["general"] += room_texts
    pools["accident"] += demo.ACCIDENTS
    pools["existing_injury"].append(demo.EXISTING_INJURY)
    for pair in demo.MILD_CONCERNS:
        pools["concern"] += list(pair)
    pools["agency_correspondence"] += demo.HEALTH_VISITOR_NOTES
    pools["sensitive_discussion"].append(demo.RAISED_GENERAL)
    for story in demo.STORIES.values():
        for scripted in story:
            pools[str(scripted.category)].append(scripted.text)
    sample = {"name": "Kit", **demo.PRONOUNS["she"]}
    out: dict[str, list[str]] = {}
    for category, wording in pools.items():
        usable = []
        for text in wording:
            try:
                text.format(**sample)
            except (KeyError, IndexError, ValueError):
                continue
            usable.append(text)
        out[category] = usable or out.get("general", [])
    return out


def _weighted(rng: random.Random, weights: dict[str, int]) -> str:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def _session_time(rng: random.Random, start: datetime, end: datetime) -> datetime:
    """A moment in session hours on a weekday between start and end (or start, when the span has
    none)."""
    span = (end - start).total_seconds()
    if span <= 0:
        return start
    for _ in range(8):
        moment = start + timedelta(seconds=rng.random() * span)
        if moment.weekday() < 5:
            hour = rng.uniform(*WEEKDAY_HOURS)
            placed = moment.replace(hour=int(hour), minute=int(hour % 1 * 60), second=0)
            if start <= placed < end:
                return placed
    return start + timedelta(seconds=rng.random() * span)


def _account_password_hash() -> str:
    from django.contrib.auth.hashers import make_password  # after django.setup()

    return make_password(PASSWORD)


def setup_setting(plan: SettingPlan, figures: Figures, end: datetime, group: Any) -> Any:
    """The setting, its rooms and its staff (through the ORM: a few dozen rows, audited by the
    application itself as it makes them)."""
    from django.contrib.auth import get_user_model  # after django.setup(), as below
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from core import tenancy
    from records.models import Role, Room, Setting, Staff

    steps = steps_of(plan.years, end)
    opened = (steps[0].start - timedelta(days=365 * figures.stay_years)).date()
    setting = Setting.objects.create(
        name=plan.name,
        address=f"{plan.number or 1} Example Lane, Exampletown",
        ico_registration_number="ZZ000000",
        data_protection_contact="The Lead Practitioner",
        opened_on=opened,
        created_at=steps[0].start,
        group=group,
    )
    User = get_user_model()
    password = _account_password_hash()
    with tenancy.working_in(setting.pk):
        rooms = [Room.objects.create(name=name) for name in ROOMS]
        posts = [("lead", Role.LEAD, "Lead"), ("deputy", Role.DEPUTY, "Deputy")]
        posts += [("office", Role.OFFICE, "Office")]
        posts += [
            (f"practitioner{n}", Role.PRACTITIONER, f"Practitioner {n}")
            for n in range(1, figures.practitioners + 1)
        ]
        for n, (handle, role, title) in enumerate(posts):
            username = f"{handle}-{plan.slug}"
            user = User.objects.create(
                username=username, email=f"{username}@bench.example", password=password
            )
            TOTPDevice.objects.create(
                user=user, name="Bench authenticator", confirmed=True, key=TOTP_KEY.hex()
            )
            staff = Staff.objects.create(
                user=user,
                full_name=f"{title} {plan.slug.title()}",
                role=role,
                started_on=opened,
            )
            if role == Role.PRACTITIONER:
                staff.rooms.set([rooms[n % len(rooms)]])
    return setting


@dataclass
class People:
    """A setting's staff as the generator uses them."""

    setting_id: UUID
    rooms: list[Any]
    lead: Any
    deputy: Any
    office: Any
    by_room: dict[UUID, list[Any]]
    staff: dict[UUID, Any]
    users: dict[UUID, Any]  # staff id → user
    address: str

    @classmethod
    def load(cls, setting: Any) -> People:
        from records.models import Role, Room, Staff  # after django.setup()

        rooms = list(Room.objects.filter(setting=setting).order_by("name"))
        rooms.sort(key=lambda r: ROOMS.index(r.name) if r.name in ROOMS else len(ROOMS))
        staff = list(
            Staff.objects.filter(setting=setting, active=True)
            .select_related("user")
            .prefetch_related("rooms")
            .order_by("full_name")
        )

        def one(role: str) -> Any:
            return next(s for s in staff if s.role == role)

        lead = one(Role.LEAD)
        by_room: dict[UUID, list[Any]] = {room.pk: [] for room in rooms}
        for member in staff:
            for room in member.rooms.all():
                by_room.setdefault(room.pk, []).append(member)
        return cls(
            setting_id=setting.pk,
            rooms=rooms,
            lead=lead,
            deputy=next((s for s in staff if s.role == Role.DEPUTY), lead),
            office=next((s for s in staff if s.role == Role.OFFICE), lead),
            by_room=by_room,
            staff={s.pk: s for s in staff},
            users={s.pk: s.user for s in staff},
            address=f"192.0.2.{(hash(setting.pk) % 200) + 20}",
        )


# --- one academic year of one setting -------------------------------------------------------------


@dataclass
class Stay:
    """A child as a year's work needs it."""

    child: Any
    arrives: datetime
    leaves: datetime  # the end of the stay (or of the history)
    pronoun: str
    carers: list[Any] = field(default_factory=list)


def _september(year: int) -> datetime:
    day = datetime(year, 9, 3, 9, tzinfo=UTC)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return day


def _intakes(figures: Figures, steps: list[Step]) -> range:
    first = steps[0].start.year - figures.stay_years
    return range(first, steps[-1].end.year + 1)


def _pronoun(child_id: UUID) -> str:
    return "he" if child_id.int % 2 else "she"


class YearOfSetting:
    """The rows of one setting's academic year: the children registered in it, the entries, page
    reads, consents, leavings and requests that happened in it, and their audit."""

    def __init__(
        self,
        *,
        plan: SettingPlan,
        figures: Figures,
        people: People,
        step: Step,
        steps: list[Step],
        end: datetime,
        texts: dict[str, list[str]],
    ) -> None:
        self.plan, self.figures, self.people = plan, figures, people
        self.step, self.steps, self.end, self.texts = step, steps, end, texts
        self.rng = random.Random(f"{plan.slug}|{step.label}|{figures.shape()}")
        self.events: list[Event] = []
        self.counts: dict[str, int] = {}

    def _count(self, name: str, n: int = 1) -> None:
        self.counts[name] = self.counts.get(name, 0) + n

    def _audit(self, instance: Any, staff: Any, at: datetime) -> None:
        user = self.people.users[staff.pk]
        self.events.append(creation_event(instance, user, at, self.people.address))

    # -- children registered this year

    def new_children(self) -> list[Stay]:
        from records.models import Carer, Child, Family, Relationship  # after django.setup()

        window_start = self.steps[0].start
        stays = []
        for year in _intakes(self.figures, self.steps):
            rng = random.Random(f"{self.plan.slug}|intake {year}")
            arrives = _september(year)
            planned_end = datetime(year + self.figures.stay_years, 7, 20, 15, tzinfo=UTC)
            if planned_end <= window_start or arrives - timedelta(days=21) >= self.end:
                continue
            for n in range(self.figures.intake):
                registered = max(arrives - timedelta(days=rng.randint(7, 40)), window_start)
                leaves = planned_end
                early = rng.random() < 0.1
                if early:
                    leaves = arrives + timedelta(
                        days=rng.randint(60, 365 * self.figures.stay_years)
                    )
                if leaves <= window_start or not self.step.start <= registered < self.step.end:
                    continue
                left = leaves if leaves <= self.end else None
                years_in = ((left or self.end) - arrives).days // 365
                room = self.people.rooms[min(max(years_in, 0), len(self.people.rooms) - 1)]
                keys = [
                    s for s in self.people.by_room.get(room.pk, []) if s.role == "practitioner"
                ] or [self.people.lead]
                surname = rng.choice(SURNAMES)
                family = Family(
                    id=uuid4(),
                    setting_id=self.people.setting_id,
                    name=surname,
                    address=f"{rng.randint(1, 120)} Example Road, Exampletown",
                    home_language=rng.choice(["English"] * 8 + ["Polish", "Urdu"]),
                )
                relationships = [Relationship.MOTHER, Relationship.FATHER]
                carers = [
                    Carer(
                        id=uuid4(),
                        setting_id=self.people.setting_id,
                        family=family,
                        full_name=f"{rng.choice(FIRST_NAMES)} {surname}",
                        relationship=relationship,
                        parental_responsibility=True,
                        phone=f"07700 900{rng.randint(0, 999):03d}",
                        email=f"carer{n}.{year}@family.example",
                        court_order_restrictions="",
                    )
                    for relationship in relationships[: 1 if rng.random() < 0.15 else 2]
                ]
                child = Child(
                    id=uuid4(),
                    setting_id=self.people.setting_id,
                    first_name=rng.choice(FIRST_NAMES),
                    last_name=surname,
                    date_of_birth=(arrives - timedelta(days=rng.randint(760, 1000))).date(),
                    started_on=arrives.date(),
                    left_on=left.date() if left else None,
                    room=room,
                    key_person=keys[n % len(keys)],
                    family=family,
                )
                stays.append(
                    Stay(child, arrives, min(leaves, self.end), _pronoun(child.id), carers)
                )
                office = self.people.office
                self._audit(family, office, registered)
                for carer in carers:
                    self._audit(carer, office, registered + timedelta(minutes=2))
                self._audit(child, office, registered + timedelta(minutes=5))
        return stays

    def write_children(self, stays: list[Stay], writer: Writer) -> None:
        from core.fields import prepare_for_insert  # after django.setup()
        from records.models import Child

        families = [s.child.family for s in stays]
        carers = [c for s in stays for c in s.carers]
        children = [s.child for s in stays]
        prepare_for_insert(carers)
        writer.insert(families)
        writer.insert(carers)
        writer.insert(children)
        through = Child.carers.through
        writer.insert(
            [through(child_id=s.child.pk, carer_id=c.pk) for s in stays for c in s.carers]
        )
        self._count("children", len(children))

    # -- children already here

    def earlier_children(self) -> list[Stay]:
        from records.models import Carer, Child  # after django.setup()

        found = list(
            Child.objects.filter(setting_id=self.people.setting_id)
            .select_related("family")
            .order_by("started_on", "pk")
        )
        carers: dict[UUID, list[Any]] = {}
        links = Child.carers.through.objects.filter(child__setting_id=self.people.setting_id)
        by_id = {c.pk: c for c in Carer.objects.filter(setting_id=self.people.setting_id)}
        for child_id, carer_id in links.values_list("child_id", "carer_id"):
            carers.setdefault(child_id, []).append(by_id[carer_id])
        stays = []
        for child in found:
            arrives = datetime.combine(child.started_on, datetime.min.time(), UTC) + timedelta(
                hours=9
            )
            if child.left_on is not None:
                leaves = datetime.combine(child.left_on, datetime.min.time(), UTC) + timedelta(
                    hours=15
                )
            else:
                leaves = self.end
            stays.append(
                Stay(
                    child,
                    arrives,
                    min(leaves, self.end),
                    _pronoun(child.pk),
                    carers.get(child.pk, []),
                )
            )
        return stays

    # -- entries

    def _author(self, stay: Stay, category: str) -> Any:
        key, lead, deputy, room = AUTHORS[category]
        who = self.rng.choices(
            ("key", "lead", "deputy", "room"), weights=(key, lead, deputy, room)
        )[0]
        child = stay.child
        if who == "lead":
            return self.people.lead
        if who == "deputy":
            return self.people.deputy
        if who == "room":
            others = self.people.by_room.get(child.room_id) or [self.people.lead]
            return self.rng.choice(others)
        return self.key_person(stay)

    def key_person(self, stay: Stay) -> Any:
        return self.people.staff.get(stay.child.key_person_id, self.people.lead)

    def entries(self, stays: list[Stay]) -> list[Any]:
        from demo import data as demo  # after django.setup()
        from records.models import (
            CATEGORIES_PARENTS_ARE_TOLD,
            DEFAULT_LEVEL,
            InformedHow,
            Level,
            ParentInformed,
            RecordEntry,
        )

        rng = self.rng
        made = []
        recent = self.end - timedelta(days=14)
        for stay in stays:
            start = max(stay.arrives, self.step.start)
            stop = min(stay.leaves, self.step.end)
            if stop <= start:
                continue
            expected = self.figures.entries_per_child_year * (stop - start).days / 365
            count = int(expected) + (rng.random() < expected % 1)
            words = {"name": stay.child.first_name, **demo.PRONOUNS[stay.pronoun]}
            for _ in range(count):
                category = _weighted(rng, CATEGORY_WEIGHTS)
                level = DEFAULT_LEVEL[category]
                text = rng.choice(self.texts[category])
                if category == "general" and rng.random() < 0.03:
                    level, text = Level.SENSITIVE, demo.RAISED_GENERAL
                author = self._author(stay, category)
                occurred = _session_time(rng, start, stop)
                recorded = min(occurred + timedelta(minutes=rng.randint(5, 180)), self.end)
                entry = RecordEntry(
                    id=uuid4(),
                    setting_id=self.people.setting_id,
                    child=stay.child,
                    category=category,
                    level=level,
                    occurred_at=occurred,
                    recorded_at=recorded,
                    author=author,
                    text=text.format(**words),
                    body_map=[],
                    has_body_map=False,
                    parent_informed=ParentInformed.NOT_REQUIRED,
                    not_informed_reason="",
                    parent_said="",
                    significant=category == "child_protection",
                )
                if category == "existing_injury":
                    entry.parent_said = "Said it happened at the park at the weekend."
                if category in CATEGORIES_PARENTS_ARE_TOLD:
                    if occurred >= recent and rng.random() < 0.5:
                        entry.parent_informed = ParentInformed.TO_INFORM
                    elif category == "child_protection" and rng.random() < 0.3:
                        entry.parent_informed = ParentInformed.NOT_INFORMED
                        entry.not_informed_reason = demo.NOT_INFORMED_REASON
                        entry.not_informed_decided_by = self.people.lead
                    else:
                        entry.parent_informed = ParentInformed.INFORMED
                        entry.informed_at = min(
                            recorded + timedelta(hours=rng.randint(1, 6)), self.end
                        )
                        entry.informed_how = rng.choice(list(InformedHow.values))
                        entry.informed_by = author
                made.append(entry)
                self._audit(entry, author, recorded)
        self._count("entries", len(made))
        return made

    # -- page reads

    def reads(self, stays: list[Stay], entries: list[Any]) -> None:
        from records.models import Level, RecordEntry  # after django.setup()

        rng = self.rng
        year_ago = timedelta(days=365)
        audited: dict[UUID, list[tuple[datetime, int, UUID]]] = {}
        earlier = RecordEntry.objects.filter(
            setting_id=self.people.setting_id,
            level__gte=Level.SENSITIVE,
            recorded_at__gte=self.step.start - year_ago,
            recorded_at__lt=self.step.start,
        ).values_list("child_id", "recorded_at", "level", "id")
        for child_id, recorded, level, pk in earlier:
            audited.setdefault(child_id, []).append((recorded, level, pk))
        for entry in entries:
            if entry.level >= Level.SENSITIVE:
                audited.setdefault(entry.child_id, []).append(
                    (entry.recorded_at, entry.level, entry.pk)
                )
        for stay in stays:
            shown_from = audited.get(stay.child.pk)
            start = max(stay.arrives, self.step.start)
            stop = min(stay.leaves, self.step.end)
            if not shown_from or stop <= start:
                continue
            expected = self.figures.views_per_child_year * (stop - start).days / 365
            for _ in range(int(expected) + (rng.random() < expected % 1)):
                at = _session_time(rng, start, stop)
                who = rng.choices(("key", "lead", "deputy"), weights=(45, 35, 20))[0]
                reader = {"lead": self.people.lead, "deputy": self.people.deputy}.get(
                    who, self.key_person(stay)
                )
                # A key person's page shows the child's sensitive entries; the Lead's and the
                # Deputy's child protection ones too. Each page shows the year before it.
                top = Level.SENSITIVE if who == "key" else Level.CHILD_PROTECTION
                shown = [
                    RecordEntry(id=pk)
                    for recorded, level, pk in sorted(shown_from, reverse=True)
                    if at - year_ago < recorded <= at and level <= top
                ]
                if shown:
                    user = self.people.users[reader.pk]
                    self.events.append(read_event(user, shown, at, self.people.address))
                    self._count("page reads")
                    self._count("reads", len(shown))

    # -- consents, leavings and requests

    def consents(self, stays: list[Stay]) -> list[Any]:
        from consent.models import (  # after django.setup()
            ConsentHow,
            ConsentPurpose,
            ConsentRecord,
            ConsentStatus,
        )

        made = []
        for stay in stays:
            if not stay.carers:
                continue
            rng = random.Random(f"{self.plan.slug}|consent|{stay.child.pk}")
            carer = stay.carers[0]
            key = self.key_person(stay)
            given = stay.arrives - timedelta(days=3)
            rows = [
                (given, ConsentPurpose.HEALTH_VISITOR, ConsentStatus.GIVEN),
                (
                    given + timedelta(minutes=5),
                    rng.choice([ConsentPurpose.SPEECH_LANGUAGE, ConsentPurpose.OTHER_SETTING]),
                    rng.choice([ConsentStatus.GIVEN] * 4 + [ConsentStatus.REFUSED]),
                ),
            ]
            if rng.random() < 0.15:
                rows.append(
                    (
                        given + timedelta(days=rng.randint(60, 500)),
                        ConsentPurpose.HEALTH_VISITOR,
                        ConsentStatus.WITHDRAWN,
                    )
                )
            transition = stay.leaves - timedelta(days=45)
            if stay.child.left_on is not None and transition > stay.arrives:
                rows.append((transition, ConsentPurpose.SCHOOL_TRANSITION, ConsentStatus.GIVEN))
            for at, purpose, status in rows:
                at = max(at, self.steps[0].start)
                if not self.step.start <= at < self.step.end or at > self.end:
                    continue
                record = ConsentRecord(
                    id=uuid4(),
                    setting_id=self.people.setting_id,
                    carer=carer,
                    child=stay.child,
                    author=key,
                    recorded_at=at,
                    purpose=purpose,
                    purpose_other="",
                    status=status,
                    how=rng.choice(list(ConsentHow.values)),
                    given_at=at,
                    note="",
                    evidence=b"",
                )
                made.append(record)
                self._audit(record, key, at)
        self._count("consents", len(made))
        return made

    def leavings(self, stays: list[Stay]) -> list[Any]:
        from records.models import (  # after django.setup()
            Destination,
            FileHandOver,
            Leaving,
            LeavingReason,
        )

        made = []
        for stay in stays:
            left = stay.child.left_on
            if left is None:
                continue
            at = datetime.combine(left, datetime.min.time(), UTC) + timedelta(hours=10)
            if not self.step.start <= at < self.step.end:
                continue
            school = stay.leaves.month in (7, 8)
            leaving = Leaving(
                id=uuid4(),
                setting_id=self.people.setting_id,
                child=stay.child,
                left_on=left,
                destination_kind=Destination.SCHOOL if school else Destination.UNKNOWN,
                destination="Example Primary School" if school else "",
                reason=LeavingReason.STARTING_SCHOOL if school else LeavingReason.MOVED_AWAY,
                recorded_by=self.people.lead,
                recorded_at=at,
                cp_file=FileHandOver.NONE_HELD,
                general_file=FileHandOver.GIVEN_TO_PARENTS,
                checklist_done_at=at + timedelta(days=7),
                checklist_done_by=self.people.lead,
            )
            made.append(leaving)
            self._audit(leaving, self.people.lead, at)
        self._count("leavings", len(made))
        return made

    def requests(self, stays: list[Stay]) -> tuple[list[Any], list[Any]]:
        from access_requests.models import (  # after django.setup()
            Channel,
            IdentityMethod,
            RequesterKind,
            SentHow,
            Status,
            SubjectAccessRequest,
        )

        rng = self.rng
        expected = self.figures.sars_per_setting_year * (self.step.end - self.step.start).days / 365
        made, subjects = [], []
        for n in range(int(expected) + (rng.random() < expected % 1)):
            received = _session_time(rng, self.step.start, self.step.end)
            closed = received + timedelta(days=24)
            here = [s for s in stays if s.carers and s.arrives <= received < s.leaves]
            if closed > self.end or not here:
                continue
            stay = rng.choice(here)
            lead, deputy, office = self.people.lead, self.people.deputy, self.people.office

            def day(days: int, at: datetime = received) -> datetime:
                return at + timedelta(days=days)

            sar = SubjectAccessRequest(
                id=uuid4(),
                setting_id=self.people.setting_id,
                reference=f"SAR-{received:%Y}-{self.plan.number:02X}{self.step.start:%y}{n:02X}",
                received_on=received.date(),
                channel=rng.choice(list(Channel.values)),
                received_by=office,
                recorded_at=received,
                requester_kind=RequesterKind.CARER,
                requester_carer=stay.carers[0],
                requester_name="",
                authority="",
                contact_email=stay.carers[0].email,
                contact_address="",
                asked_for="A copy of everything you hold about my child.",
                status=Status.CLOSED,
                identity_required=True,
                identity_method=IdentityMethod.KNOWN_TO_STAFF,
                identity_note="",
                identity_checked_by=deputy,
                identity_confirmed_on=day(1).date(),
                identity_evidence_received_on=day(1).date(),
                parental_responsibility_confirmed=True,
                court_order_note="",
                clock_started_on=day(1).date(),
                extension_reason="",
                refusal_explanation="",
                compiled_at=day(8),
                compiled_by=deputy,
                other_searches="The paper file in the office.",
                submitted_by=deputy,
                submitted_at=day(12),
                checked_by=lead,
                checked_at=day(13),
                check_note="",
                approved_by=lead,
                approved_at=day(14),
                approved_sha256=hashlib.sha256(str(rng.random()).encode()).hexdigest(),
                sent_at=day(15),
                sent_how=SentHow.POST,
                sent_by=deputy,
                closed_at=closed,
                closed_by=lead,
            )
            made.append(sar)
            subjects.append(
                SubjectAccessRequest.children.through(
                    subjectaccessrequest_id=sar.pk, child_id=stay.child.pk
                )
            )
            self._audit(sar, office, received)
        self._count("requests", len(made))
        return made, subjects

    # -- the whole year

    def run(self, writer: Writer) -> dict[str, int]:
        from core.fields import prepare_for_insert  # after django.setup()

        new = self.new_children()
        self.write_children(new, writer)
        stays = self.earlier_children()
        entries = self.entries(stays)
        consents = self.consents(stays)
        leavings = self.leavings(stays)
        sars, subjects = self.requests(stays)
        prepare_for_insert(entries)
        prepare_for_insert(consents)
        prepare_for_insert(sars)
        for rows in (entries, consents, leavings, sars, subjects):
            writer.insert(rows)
        self.reads(stays, entries)
        self.counts["audit rows"] = seal_events(self.people.setting_id, self.events, writer)
        return self.counts
