"""The demo's records: the fictional setting, its staff, families and children, and a year of
entries, grants and staff records (``manage.py seed_demo`` runs it, and the consent and
subject-access demo after it).

Development only: it refuses to run when DEBUG is off, and refuses a database that already holds
people or children (``--if-empty`` turns that refusal into a quiet "nothing to do", for ``make
run``). Rows are made through the services where a service exists, so the rules, the encryption and
the audit trail apply to the demo data as they would to real records; timestamps are then moved
back so the chronology spans the past year. The random choices are seeded, so every run on the same
day loads the same records.
"""

from __future__ import annotations

import base64
import binascii
import random
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from auditlog.context import set_actor
from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import CommandError
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from audit.log import log_event
from core import tenancy
from records import leaving, policy, retention, services
from records.models import (
    CATEGORIES_PARENTS_ARE_TOLD,
    ActingLead,
    Amendment,
    BreakGlass,
    Carer,
    Category,
    Child,
    Destination,
    Family,
    FileHandOver,
    GroupRole,
    GroupRoleKind,
    InformedHow,
    LeavingReason,
    Level,
    NeedToKnowGrant,
    RecordEntry,
    Role,
    Room,
    Setting,
    SettingGroup,
    Staff,
    StaffRecord,
    StaffRecordKind,
)

from . import data as demo
from .access_requests import seed_access_requests
from .consent import seed_consent_demo
from .governance import record_allegations, record_breaches, register_policies
from .lifecycle import ask_for_a_correction, send_files_on
from .safeguarding import flag_children, settle_alerts

RECENT_DAYS = 14  # entries newer than this may still be waiting for the parent to be told
TOTP_DEVICE_NAME = "Demo authenticator"


def database_has_data() -> bool:
    """True when the database already holds a setting, staff, children or a demo username."""
    User = get_user_model()
    return (
        Setting.objects.exists()
        or Staff.objects.exists()
        or Child.objects.exists()
        or User.objects.filter(username__in=demo.DEMO_USERNAMES).exists()
    )


def totp_key_from_base32(secret: str) -> bytes:
    """The raw key of a base32 secret as authenticator apps show it (spaces and case ignored)."""
    cleaned = "".join(secret.split()).replace("-", "").upper().rstrip("=")
    try:
        key = base64.b32decode(cleaned + "=" * (-len(cleaned) % 8))
    except (binascii.Error, ValueError):
        raise CommandError(
            "--totp-secret must be a base32 secret (letters A-Z and digits 2-7), as an "
            "authenticator app shows it."
        ) from None
    if not 10 <= len(key) <= 40:
        raise CommandError(
            f"--totp-secret decodes to {len(key)} bytes; a TOTP secret must be 10 to 40 bytes "
            "(16 to 64 base32 characters)."
        )
    return key


def check_demo_password(password: str) -> None:
    """The password must pass the project's validators for every demo account."""
    User = get_user_model()
    problems: list[str] = []
    for username in demo.DEMO_USERNAMES:
        try:
            validate_password(password, User(username=username, email=f"{username}@{demo.DOMAIN}"))
        except ValidationError as exc:
            problems.extend(m for m in exc.messages if m not in problems)
    if problems:
        raise CommandError(
            "The demo password is not accepted: "
            + " ".join(problems)
            + " Choose another with --password."
        )


@dataclass
class Made:
    entry: RecordEntry
    days_ago: int


class DemoBuilder:
    """One setting's demo: the first (``second=False``) as the data describe it, with the IT
    administrator; the second with its own names and its usernames ending in SECOND_SUFFIX.
    Build it while working in its setting (core.tenancy)."""

    def __init__(
        self, *, password: str, totp_key: bytes, setting: Setting, second: bool = False
    ) -> None:
        self.password = password
        self.totp_key = totp_key
        self.setting = setting
        self.second = second
        self.suffix = demo.SECOND_SUFFIX if second else ""
        self.rng = random.Random(demo.SEED)
        self.now = timezone.now()
        self.today = timezone.localdate(self.now)
        self.users: dict[str, Any] = {}
        self.staff: dict[str, Staff] = {}
        self.rooms: dict[str, Room] = {}
        self.children: dict[str, Child] = {}
        self.pronouns: dict[str, dict[str, str]] = {}
        # When each leaver left: recorded once their year of records is written (from the leaving
        # date only the Lead and Deputy may write or read about a child).
        self.leaving: dict[str, date] = {}
        self.stories: dict[str, list[Made]] = {}
        self.entries: list[RecordEntry] = []
        self.counts: Counter[str] = Counter()
        self.accident_to_correct: RecordEntry | None = None

    # --- helpers ----------------------------------------------------------------------------

    def day(self, days_ago: int) -> date:
        """A weekday the setting is open, ``days_ago`` or a little earlier."""
        d = self.today - timedelta(days=days_ago)
        while d.weekday() >= 5:
            d -= timedelta(days=1)
        return d

    def moment(self, days_ago: int, at: str = "") -> datetime:
        if at:
            hour, minute = (int(p) for p in at.split(":"))
        else:
            hour, minute = self.rng.randint(9, 14), self.rng.choice(range(0, 60, 5))
        when = timezone.make_aware(datetime.combine(self.day(days_ago), time(hour, minute)))
        return min(when, self.now - timedelta(minutes=5))

    def words(self, template: str, child: Child) -> str:
        return template.format(name=child.first_name, **self.pronouns[child.first_name])

    def room_staff(self, child: Child) -> list[str]:
        return [
            s.username
            for s in demo.STAFF
            if child.room.name in s.rooms and s.role in (Role.PRACTITIONER, Role.DEPUTY)
        ]

    def key_username(self, child: Child) -> str:
        assert child.key_person is not None
        # The name the demo's data know them by (the second setting's usernames are suffixed).
        return child.key_person.user.username.removesuffix(self.suffix)

    def author_username(self, child: Child, who: str) -> str:
        if who == "key":
            return self.key_username(child)
        if who == "room":
            others = [u for u in self.room_staff(child) if u != self.key_username(child)]
            return self.rng.choice(others)
        return who

    # --- people and places ----------------------------------------------------------------------

    def family_name(self, index: int, name: str) -> str:
        return demo.FAMILY_NAMES_B[index] if self.second else name

    def make_people(self) -> None:
        for name, description in demo.ROOMS:
            room = Room(name=name, description=description, setting=self.setting)
            room.save()
            self.rooms[name] = room
        User = get_user_model()
        for spec in demo.STAFF:
            username = spec.username + self.suffix
            user = User.objects.create_user(
                username=username,
                email=f"{username}@{demo.DOMAIN}",
                password=self.password,
                # The Lead and Deputy enter the admin screen to judge sharing decisions.
                is_staff=policy.enters_admin(spec.role),
            )
            staff = Staff.objects.create(
                user=user,
                setting=self.setting,
                full_name=demo.STAFF_NAMES_B[spec.username] if self.second else spec.full_name,
                role=spec.role,
                job_title=spec.job_title,
                started_on=self.today.replace(year=self.today.year - spec.years_in_post, day=1),
            )
            staff.rooms.set([self.rooms[r] for r in spec.rooms])
            self.users[spec.username] = user
            self.staff[spec.username] = staff
        if not self.second:
            it_admin = User.objects.create_superuser(
                demo.IT_ADMIN_USERNAME, f"{demo.IT_ADMIN_USERNAME}@{demo.DOMAIN}", self.password
            )
            self.users[demo.IT_ADMIN_USERNAME] = it_admin
        for user in self.users.values():
            TOTPDevice.objects.create(
                user=user, name=TOTP_DEVICE_NAME, confirmed=True, key=self.totp_key.hex()
            )

    def make_families(self) -> None:
        for index, fam in enumerate(demo.FAMILIES):
            surname = self.family_name(index, fam.name)
            family = Family(
                name=surname,
                address=fam.address,
                home_language=fam.home_language,
                setting=self.setting,
            )
            family.save()
            carers = []
            for c in fam.carers:
                carer = Carer(
                    family=family,
                    full_name=c.full_name.replace(fam.name, surname),
                    relationship=c.relationship,
                    parental_responsibility=c.parental_responsibility,
                    phone=c.phone,
                    email=c.email,
                    address="" if not c.lives_elsewhere else "Address held by the office",
                    court_order_restrictions=c.court_order,
                )
                carer.save()
                carers.append(carer)
            for spec in fam.children:
                born = self.today - timedelta(
                    days=int(spec.age_months * 30.44) + self.rng.randint(0, 25)
                )
                child = Child(
                    first_name=spec.first_name,
                    last_name=self.family_name(index, spec.last_name or fam.name)
                    if not spec.last_name
                    else spec.last_name,
                    date_of_birth=born,
                    started_on=self.day(spec.started_days_ago),
                    room=self.rooms[spec.room],
                    key_person=self.staff[spec.key_person],
                    family=family,
                )
                child.save()
                child.carers.set(carers)
                self.children[spec.first_name] = child
                if spec.left_days_ago is not None:
                    self.leaving[spec.first_name] = self.day(spec.left_days_ago)
                self.pronouns[spec.first_name] = demo.PRONOUNS[spec.pronoun]

    # --- the chronology -------------------------------------------------------------------------

    def record(
        self,
        child: Child,
        *,
        author: str,
        category: str,
        text: str,
        days_ago: int,
        level: int | None = None,
        informed: str = "auto",
        how: str = InformedHow.IN_PERSON,
        at: str = "",
        told_after_days: int = 0,
        body_map: Iterable[tuple[str, str]] = (),
        **extra: Any,
    ) -> RecordEntry:
        user = self.users[author]
        occurred_at = self.moment(days_ago, at)
        with set_actor(user):
            entry = services.record_entry(
                child=child,
                author=user,
                category=category,
                level=level,
                occurred_at=occurred_at,
                text=self.words(text, child),
                body_map_marks=[{"region": region, "note": note} for region, note in body_map],
                **extra,
            )
        self.entries.append(entry)
        if category in CATEGORIES_PARENTS_ARE_TOLD:
            self.tell_parent(entry, informed, how, days_ago, told_after_days)
        self.counts[f"{category}/{Level(entry.level).name}"] += 1
        return entry

    def tell_parent(
        self, entry: RecordEntry, informed: str, how: str, days_ago: int, told_after_days: int
    ) -> None:
        if informed == "to_inform":
            return
        if informed == "not_informed":
            lead = self.users["lead"]
            with set_actor(lead):
                services.decide_not_to_inform(
                    entry=entry, lead=lead, reason=demo.NOT_INFORMED_REASON
                )
            return
        if informed == "auto" and days_ago <= RECENT_DAYS and self.rng.random() < 0.5:
            return
        author = entry.author
        manager_or_author_reads = entry.level < Level.CHILD_PROTECTION or author.role in (
            Role.LEAD,
            Role.DEPUTY,
        )
        teller = author.user if manager_or_author_reads else self.users["lead"]
        told_at = entry.occurred_at + timedelta(
            days=told_after_days, minutes=self.rng.randint(30, 180)
        )
        with set_actor(teller):
            services.mark_parent_informed(
                entry=entry,
                by=teller,
                informed_at=min(told_at, self.now - timedelta(minutes=1)),
                how=how,
            )

    def window(self, child: Child) -> tuple[int, int]:
        """The days-ago range in which the child was at the setting, within the last year."""
        first = min(365, (self.today - child.started_on).days)
        left_on = self.leaving.get(child.first_name)
        last = (self.today - left_on).days if left_on else 1
        return first, max(last, 1)

    def make_stories(self) -> None:
        for spec in (c for fam in demo.FAMILIES for c in fam.children):
            if not spec.story:
                continue
            child = self.children[spec.first_name]
            made = self.stories.setdefault(spec.first_name, [])
            for s in demo.STORIES[spec.story]:
                entry = self.record(
                    child,
                    author=self.author_username(child, s.author),
                    category=s.category,
                    text=s.text,
                    days_ago=s.days_ago,
                    level=s.level,
                    informed=s.informed,
                    how=s.how,
                    at=s.at,
                    told_after_days=s.told_after_days,
                    body_map=s.body_map,
                )
                made.append(Made(entry, s.days_ago))

    def make_everyday_entries(self) -> None:
        rng = self.rng
        story_children = {c.first_name for fam in demo.FAMILIES for c in fam.children if c.story}
        quiet = sorted(set(self.children) - story_children)
        for child in self.children.values():
            first, last = self.window(child)
            observations = demo.GENERAL_COMMON + demo.GENERAL_BY_ROOM[child.room.name]
            others = [u for u in self.room_staff(child) if u != self.key_username(child)]
            for _ in range(max(2, (first - last) // 17)):
                author = self.key_username(child)
                if others and rng.random() < 0.35:
                    author = rng.choice(others)
                self.record(
                    child,
                    author=author,
                    category=Category.GENERAL,
                    text=rng.choice(observations),
                    days_ago=rng.randint(last, first),
                )
            for _ in range(rng.choice([0, 0, 1, 1, 2, 3])):
                author = rng.choice(self.room_staff(child))
                text, marks = rng.choice(demo.ACCIDENTS_WITH_MARKS)
                self.record(
                    child,
                    author=author,
                    category=Category.ACCIDENT,
                    text=text,
                    days_ago=rng.randint(last, first),
                    body_map=marks,
                )
        # The accident that gets corrected later, written by the practitioner with no key children.
        self.accident_to_correct = self.record(
            self.children["Isla"],
            author="practitioner",
            category=Category.ACCIDENT,
            text=demo.ACCIDENTS_WITH_MARKS[1][0],
            days_ago=200,
            body_map=demo.ACCIDENTS_WITH_MARKS[1][1],
        )
        # An injury from home, recorded above the accident default at the author's choice.
        self.record(
            self.children["Harry"],
            author="keyperson4",
            category=Category.ACCIDENT,
            level=Level.SENSITIVE,
            text=demo.EXISTING_INJURY,
            days_ago=45,
            body_map=demo.EXISTING_INJURY_MARKS,
        )
        self.record(
            self.children["Esi"],
            author="keyperson3",
            category=Category.GENERAL,
            level=Level.SENSITIVE,
            text=demo.RAISED_GENERAL,
            days_ago=230,
        )
        for (concern, talk), name in zip(
            demo.MILD_CONCERNS, rng.sample(quiet, len(demo.MILD_CONCERNS)), strict=True
        ):
            child = self.children[name]
            first, last = self.window(child)
            when = rng.randint(max(last, 30), max(first, 31))
            key = self.key_username(child)
            self.record(child, author=key, category=Category.CONCERN, text=concern, days_ago=when)
            self.record(
                child,
                author=key,
                category=Category.SENSITIVE_DISCUSSION,
                text=talk,
                days_ago=when - 3,
            )
        for note, name in zip(
            demo.HEALTH_VISITOR_NOTES,
            rng.sample(quiet, len(demo.HEALTH_VISITOR_NOTES)),
            strict=True,
        ):
            child = self.children[name]
            first, last = self.window(child)
            self.record(
                child,
                author=self.key_username(child),
                category=Category.AGENCY_CORRESPONDENCE,
                text=note,
                days_ago=rng.randint(last, first),
                how=InformedHow.PHONE,
            )

    def make_amendments(self) -> list[tuple[Amendment, RecordEntry]]:
        made: list[tuple[Amendment, RecordEntry]] = []
        targets = [
            (self.stories[name][index].entry, text, reason)
            for name, index, text, reason in demo.AMENDMENTS
        ]
        if self.accident_to_correct is not None:
            targets.append((self.accident_to_correct, *demo.ACCIDENT_AMENDMENT))
        for entry, text, reason in targets:
            author = entry.author.user
            with set_actor(author):
                amendment = services.amend_entry(
                    entry=entry, author=author, text=text, reason=reason
                )
            made.append((amendment, entry))
        return made

    # --- grants, acting Lead, break-glass, staff records ----------------------------------------

    def make_grants(self) -> None:
        lead = self.users["lead"]
        grantee, child, level, reason = demo.LIVE_GRANT
        with set_actor(lead):
            live = services.give_grant(
                child=self.children[child],
                grantee=self.staff[grantee],
                level=level,
                reason=reason,
                ends_at=self.now + timedelta(days=30),
                granted_by=lead,
            )
        # Back-dated, then sealed as they now stand (core.integrity): an UPDATE alone would leave
        # the grant's seal naming its old dates, and it would grant nothing.
        NeedToKnowGrant.objects.filter(pk=live.pk).update(starts_at=self.now - timedelta(days=5))
        live.reseal()

        grantee, child, level, reason = demo.REVOKED_GRANT
        with set_actor(lead):
            revoked = services.give_grant(
                child=self.children[child],
                grantee=self.staff[grantee],
                level=level,
                reason=reason,
                ends_at=self.now + timedelta(days=60),
                granted_by=lead,
            )
            services.revoke_grant(grant=revoked, revoked_by=lead)
        NeedToKnowGrant.objects.filter(pk=revoked.pk).update(
            starts_at=self.moment(100, "09:00"),
            ends_at=self.moment(40, "18:00"),
            revoked_at=self.moment(85, "16:30"),
        )
        revoked.reseal()

        # Expired grants cannot be given through the service (it wants a future end).
        grantee, child, level, reason = demo.EXPIRED_GRANT
        with set_actor(lead):
            NeedToKnowGrant(
                child=self.children[child],
                grantee=self.staff[grantee],
                level=level,
                reason=reason,
                starts_at=self.moment(200, "08:30"),
                ends_at=self.moment(186, "18:00"),
                granted_by=self.staff["lead"],
            ).save()

    def make_acting_lead(self) -> None:
        starts = self.moment(150, "08:00")
        with set_actor(self.users["lead"]):
            ActingLead(
                deputy=self.staff["deputy"],
                appointed_by=self.staff["lead"],
                reason=demo.ACTING_LEAD_REASON,
                starts_at=starts,
                ends_at=starts + timedelta(days=14),
            ).save()

    def make_break_glass(self) -> None:
        username, child_name, reason = demo.BREAK_GLASS
        user, child = self.users[username], self.children[child_name]
        if not policy.can_break_glass(user, child):
            raise CommandError(
                "Demo data error: the break-glass practitioner cannot see the child."
            )
        starts = self.moment(2, "15:15")
        with set_actor(user):
            access = BreakGlass(
                child=child,
                staff=self.staff[username],
                reason=reason,
                starts_at=starts,
                ends_at=starts + timedelta(hours=services.BREAK_GLASS_HOURS),
            )
            access.save()
        log_event(actor=user, event="break_glass_opened", obj=access)

    def make_staff_records(self) -> list[StaffRecord]:
        lead = self.users["lead"]
        rng = self.rng
        records: list[StaffRecord] = []

        def add(username: str, kind: str, days_ago: int, text: str) -> None:
            staff = self.staff[username]
            occurred = max(self.day(days_ago), staff.started_on or self.day(days_ago))
            with set_actor(lead):
                records.append(
                    services.record_staff_record(
                        staff=staff, by=lead, kind=kind, occurred_on=occurred, text=text
                    )
                )

        for spec in demo.STAFF:
            add(spec.username, StaffRecordKind.DBS, rng.randint(60, 900), demo.DBS_TEXT)
            if spec.role in (Role.PRACTITIONER, Role.DEPUTY):
                for days_ago in (rng.randint(170, 230), rng.randint(50, 110)):
                    add(
                        spec.username,
                        StaffRecordKind.SUPERVISION,
                        days_ago,
                        rng.choice(demo.SUPERVISION_TEXTS),
                    )
        add("keyperson4", StaffRecordKind.CONCERN, 75, demo.STAFF_CONCERN_TEXT)
        add("keyperson2", StaffRecordKind.HEALTH, 130, demo.HEALTH_TEXT)
        return records

    def backdate(
        self, amendments: list[tuple[Amendment, RecordEntry]], records: list[StaffRecord]
    ) -> None:
        """Services stamp rows with the time they ran; the demo's year happened in the past.
        Only plain timestamp columns are moved (never an encrypted field)."""
        rng = self.rng
        for entry in self.entries:
            entry.recorded_at = min(
                entry.occurred_at + timedelta(minutes=rng.randint(5, 120)), self.now
            )
        RecordEntry.objects.bulk_update(self.entries, ["recorded_at"], batch_size=500)
        for amendment, entry in amendments:
            amendment.created_at = min(
                entry.recorded_at + timedelta(days=rng.randint(1, 6)), self.now
            )
        Amendment.objects.bulk_update([a for a, _ in amendments], ["created_at"])
        for record in records:
            record.recorded_at = min(
                timezone.make_aware(datetime.combine(record.occurred_on, time(16, 30))), self.now
            )
        StaffRecord.objects.bulk_update(records, ["recorded_at"])

    def record_leavers(self) -> None:
        """Each leaver's leaving, through the Lead's own action (records.leaving): where to and
        why, and the checklist as far as the Lead has got with it."""
        lead = self.users["lead"]
        with set_actor(lead):
            for first_name, left_on in self.leaving.items():
                child = self.children[first_name]
                row = leaving.record_leaving(
                    by=lead,
                    child=child,
                    left_on=left_on,
                    destination_kind=Destination.SCHOOL,
                    destination="Brambleford Primary School",
                    reason=LeavingReason.STARTING_SCHOOL,
                )
                leaving.update_checklist(
                    by=lead,
                    leaving=row,
                    cp_file=row.cp_file,
                    general_file=FileHandOver.GIVEN_TO_PARENTS,
                    note="The general file was given to the parents at the leaving party.",
                )
            # One leaver's file is under a legal hold: never offered for destruction while it
            # stands.
            held = min(self.leaving, key=self.leaving.__getitem__, default=None)
            if held is not None:
                retention.place_hold(
                    by=lead,
                    child=self.children[held],
                    reason="The county's review of safeguarding referrals from 2025 asked every "
                    "setting to keep the files of the children it names.",
                    reference="Exampleshire SCR 2026/04",
                    review_on=self.today + timedelta(days=120),
                )

    def record_terms(self) -> None:
        """The setting's terms: last school year's and this one's (around today)."""
        september = self.today.year if self.today.month >= 9 else self.today.year - 1
        lead = self.users["lead"]
        for year in (september - 1, september):
            for name, starts, ends in (
                (f"Autumn {year}", date(year, 9, 3), date(year, 12, 18)),
                (f"Spring {year + 1}", date(year + 1, 1, 5), date(year + 1, 3, 26)),
                (f"Summer {year + 1}", date(year + 1, 4, 13), date(year + 1, 7, 21)),
            ):
                leaving.add_term(by=lead, name=name, starts_on=starts, ends_on=ends)

    def record_injuries(self) -> None:
        """An injury seen on arrival yesterday (with what the parent said), and a serious accident
        four days ago whose notice to Ofsted is still due."""
        injured, hurt = list(self.children.values())[2:4]
        self.record(
            injured,
            author="lead",
            category=Category.EXISTING_INJURY,
            text="A bruise about 3 cm across on the left forearm, seen at drop-off.",
            days_ago=1,
            body_map=[("front:left_forearm", "Bruise, 3 cm")],
            parent_said="Banged it on the car door on Sunday, Dad said.",
        )
        self.record(
            hurt,
            author="lead",
            category=Category.ACCIDENT,
            text="Fell from the top of the climbing frame; the arm at an odd angle. Ambulance "
            "called; the parent met us at A&E: a broken wrist.",
            days_ago=4,
            serious=True,
        )

    def build(self) -> dict[str, Any]:
        self.make_people()
        self.make_families()
        self.make_stories()
        self.make_everyday_entries()
        amendments = self.make_amendments()
        self.make_grants()
        self.make_acting_lead()
        self.make_break_glass()
        records = self.make_staff_records()
        self.backdate(amendments, records)
        consent_counts = seed_consent_demo(
            rng=self.rng, setting_staff=self.staff, children=list(self.children.values())
        )
        seed_access_requests()
        self.record_leavers()
        self.record_terms()
        send_files_on(lead=self.users["lead"], leavers=[self.children[n] for n in self.leaving])
        ask_for_a_correction(deputy=self.users["deputy"], children=list(self.children.values()))
        record_breaches(lead=self.users["lead"], practitioner=self.users["keyperson1"])
        register_policies(lead=self.users["lead"])
        record_allegations(
            staff=self.staff, users=self.users, children=list(self.children.values())
        )
        self.record_injuries()
        settle_alerts(lead=self.staff["lead"])
        flag_children(lead=self.users["lead"], children=self.children)
        return {
            "staff": len(self.staff),
            "families": Family.objects.count(),
            "children": len(self.children),
            "entries": len(self.entries),
            "amendments": len(amendments),
            "staff_records": len(records),
            "by_category": self.counts,
            "consent": consent_counts,
        }


def seed_group(*, password: str, totp_key: bytes) -> list[dict[str, Any]]:
    """The demo group: two settings, each built while working in it, then the two people of
    the group (bank staff with a post in each setting, and the group's safeguarding lead)."""
    group = SettingGroup.objects.create(name=demo.GROUP_NAME)
    made = []
    builders = []
    for spec, second in ((demo.SETTING, False), (demo.SETTING_B, True)):
        setting = Setting(**spec, group=group)
        setting.save()
        with tenancy.working_in(setting.pk):
            builder = DemoBuilder(
                password=password, totp_key=totp_key, setting=setting, second=second
            )
            made.append(builder.build())
            builders.append(builder)
    User = get_user_model()
    first, other = builders
    bank = User.objects.create_user(
        username=demo.BANK_USERNAME, email=f"{demo.BANK_USERNAME}@{demo.DOMAIN}", password=password
    )
    today = timezone.localdate()
    # A practitioner in the first setting's youngest room, the office in the second.
    in_first = Staff.objects.create(
        user=bank,
        setting=first.setting,
        full_name=demo.BANK_FULL_NAME,
        role=Role.PRACTITIONER,
        job_title="Bank Early Years Practitioner",
        started_on=today.replace(day=1),
    )
    in_first.rooms.set([first.rooms[demo.ROOMS[0][0]]])
    Staff.objects.create(
        user=bank,
        setting=other.setting,
        full_name=demo.BANK_FULL_NAME,
        role=Role.OFFICE,
        job_title="Bank Administrator",
        started_on=today.replace(day=1),
    )
    lead_of_group = User.objects.create_user(
        username=demo.GROUP_USERNAME,
        email=f"{demo.GROUP_USERNAME}@{demo.DOMAIN}",
        password=password,
    )
    GroupRole.objects.create(user=lead_of_group, group=group, role=GroupRoleKind.GROUP_DSL)
    for user in (bank, lead_of_group):
        TOTPDevice.objects.create(
            user=user, name=TOTP_DEVICE_NAME, confirmed=True, key=totp_key.hex()
        )
    return made
