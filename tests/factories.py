"""Fictional people and records for tests."""

from __future__ import annotations

import itertools
from datetime import date, timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.utils import timezone

from records.models import (
    DEFAULT_LEVEL,
    Carer,
    Category,
    Child,
    Family,
    ParentInformed,
    RecordEntry,
    Relationship,
    Role,
    Room,
    Setting,
    Staff,
)

TEST_PASSWORD = "correct-horse-battery-staple-42"
_seq = itertools.count(1)


def make_setting(name: str = "Example Preschool", **extra: Any) -> Setting:
    return Setting.objects.create(
        name=name,
        address=extra.pop("address", "1 Example Lane, Exampletown"),
        ico_registration_number=extra.pop("ico_registration_number", "ZZ000000"),
        data_protection_contact=extra.pop("data_protection_contact", "The Lead Practitioner"),
        **extra,
    )


def the_setting() -> Setting:
    """The setting a test's rows belong to when it names none: the one being worked in, else the
    first by name (made if there is none)."""
    return Setting.current() or make_setting()


def make_room(name: str | None = None, *, setting: Setting | None = None) -> Room:
    return Room.objects.create(name=name or f"Room {next(_seq)}", setting=setting or the_setting())


def make_staff(
    username: str,
    role: str,
    *,
    rooms: list[Room] = (),  # type: ignore[assignment]
    setting: Setting | None = None,
    **extra: Any,
) -> Staff:
    user = get_user_model().objects.create_user(
        username=username,
        email=f"{username}@example.test",
        password=TEST_PASSWORD,
        # As records.services.create_staff: the Lead and Deputy enter the admin screen.
        is_staff=role in (Role.LEAD, Role.DEPUTY),
    )
    staff = Staff.objects.create(
        user=user,
        full_name=extra.pop("full_name", username.title()),
        role=role,
        setting=setting or (rooms[0].setting if rooms else the_setting()),
        **extra,
    )
    staff.rooms.set(rooms)
    return staff


def make_family(name: str = "Testfamily", *, setting: Setting | None = None) -> Family:
    return Family.objects.create(
        name=name, address="1 Example Lane, Exampletown", setting=setting or the_setting()
    )


def make_child(
    *, room: Room, key_person: Staff | None = None, family: Family | None = None, **extra: Any
) -> Child:
    n = next(_seq)
    family = family or make_family(f"Family {n}", setting=room.setting)
    child = Child.objects.create(
        first_name=extra.pop("first_name", f"Kit{n}"),
        last_name=extra.pop("last_name", f"Testchild{n}"),
        date_of_birth=extra.pop("date_of_birth", date(2022, 3, 14)),
        started_on=extra.pop("started_on", date(2025, 9, 1)),
        room=room,
        key_person=key_person,
        family=family,
        **extra,
    )
    carer = Carer.objects.create(
        family=family,
        full_name=f"Sam Testparent{n}",
        relationship=Relationship.MOTHER,
        parental_responsibility=True,
        phone="01632 960000",
        email=f"parent{n}@example.test",
    )
    child.carers.add(carer)
    return child


def make_entry(
    child: Child,
    author: Staff,
    *,
    category: str = Category.GENERAL,
    level: int | None = None,
    text: str = "Played happily in the sand tray.",
    **extra: Any,
) -> RecordEntry:
    entry = RecordEntry(
        child=child,
        author=author,
        category=category,
        level=level or DEFAULT_LEVEL[category],
        occurred_at=extra.pop("occurred_at", timezone.now() - timedelta(hours=2)),
        text=text,
        parent_informed=extra.pop(
            "parent_informed",
            ParentInformed.NOT_REQUIRED
            if category == Category.GENERAL
            else ParentInformed.TO_INFORM,
        ),
        **extra,
    )
    entry.save()
    return entry


def a_png(width: int = 8, height: int = 8) -> bytes:
    """A real (tiny) PNG picture, as a camera or a scanner would give."""
    from io import BytesIO

    from PIL import Image

    out = BytesIO()
    Image.new("RGB", (width, height), (90, 160, 220)).save(out, format="PNG")
    return out.getvalue()


def a_pdf(marker: str = "a letter") -> bytes:
    """A real (one blank page) PDF whose bytes carry ``marker``, as a scanner or a word processor
    would give: attachments are opened whole on upload, so a few bytes after ``%PDF-`` will not do."""
    from io import BytesIO

    import pikepdf

    document = pikepdf.new()
    document.add_blank_page()
    document.pages[0].Contents = document.make_stream(f"% {marker}\n".encode())
    out = BytesIO()
    document.save(out, compress_streams=False)
    return out.getvalue()
