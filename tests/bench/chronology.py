"""``BENCH name=chronology``: how much Confide's protections cost on its heaviest page.

A child with 500 entries, shown by the real ``child_detail`` view through Django's test client,
signed in as the Lead with two-factor, so every entry is read through the access policy, decrypted,
and the sensitive and child-protection ones are written to the audit log (with their seals). The
baseline is a plain view showing the same 500 rows from a bare model with the text in the clear, no
checks and no audit, through the same middleware and the same signed-in session.

Confide's page makes its entries' markup in Python (records/templatetags/chronology.py) where
the baseline keeps the template loop a plain app would have: that saves Confide about 30 ms of a
500-entry page, and ``ratio`` (the one held to the target) includes that advantage. Beside it, for
reading, ``ratio_like`` is against the same bare page with its entries made by the same tag: like
for like, what Confide's checks, decryption, audit and the page's other parts (the strip, the
filter, flags, the file's keeping date) cost over rows in the clear. Before the tag (December 2026)
``ratio`` was 1.8.

After a warm-up, each of several runs of Confide's page is paired with a run of the baseline
beside it, garbage collected before each, and the ratio is the median of the pairs' ratios
(tests/bench/run.py ``paired``); the seconds printed are medians. Run by
``make bench`` (tests/bench/run.py), or on its own: ``python -m tests.bench.chronology`` (a temporary
SQLite database; exit 1 above the target).
"""

from __future__ import annotations

import gc
import os
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from itertools import cycle
from typing import Any

ENTRIES = 500
WARM_UP = 2
REPEATS = 11
TARGET = 1.5


@dataclass
class Result:
    name: str
    ratio: float
    confide_s: float
    baseline_s: float
    entries: int
    # For reading, against the same page with the entries' markup made as Confide makes it.
    ratio_like: float
    baseline_like_s: float

    def line(self) -> str:
        return (
            f"BENCH name={self.name} ratio={self.ratio:.2f} confide_s={self.confide_s:.4f} "
            f"baseline_s={self.baseline_s:.4f} entries={self.entries} "
            f"ratio_like={self.ratio_like:.2f} baseline_like_s={self.baseline_like_s:.4f}"
        )


def make_child_with_entries(n: int) -> tuple[Any, Any]:
    """A Lead, a key person and a child with ``n`` entries of every category in turn."""
    from datetime import date, timedelta

    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from demo import data as demo_data
    from records.models import (
        DEFAULT_LEVEL,
        Category,
        Child,
        Family,
        ParentInformed,
        RecordEntry,
        Role,
        Room,
        Setting,
        Staff,
    )

    from .plain import PlainEntry, create_table

    User = get_user_model()
    Setting.objects.create(
        name="Bench Preschool",
        address="1 Example Lane",
        ico_registration_number="ZZ000000",
        data_protection_contact="The Lead",
    )
    room = Room.objects.create(name="Ladybirds")
    lead = Staff.objects.create(
        user=User.objects.create_user("lead", password="bench-password-not-used"),
        full_name="Helen Marsh",
        role=Role.LEAD,
    )
    key = Staff.objects.create(
        user=User.objects.create_user("keyperson1", password="bench-password-not-used"),
        full_name="Amelia Hart",
        role=Role.PRACTITIONER,
    )
    key.rooms.set([room])
    family = Family.objects.create(name="Benchfamily")
    child = Child.objects.create(
        first_name="Maya",
        last_name="Benchchild",
        date_of_birth=date(2023, 3, 14),
        started_on=date(2025, 9, 1),
        room=room,
        key_person=key,
        family=family,
    )
    pronouns = demo_data.PRONOUNS["she"]
    texts = cycle(
        t.format(name=child.first_name, **pronouns)
        for t in demo_data.GENERAL_COMMON + demo_data.ACCIDENTS
    )
    categories = cycle(Category.values)
    authors = cycle([key, lead])
    now = timezone.now()
    plain = []
    for i in range(n):
        category = next(categories)
        entry = RecordEntry(
            child=child,
            author=next(authors),
            category=category,
            level=DEFAULT_LEVEL[category],
            occurred_at=now - timedelta(hours=7 * i + 1),
            text=next(texts),
            parent_informed=(
                ParentInformed.NOT_REQUIRED
                if category == Category.GENERAL
                else ParentInformed.TO_INFORM
            ),
        )
        entry.save()  # encrypted fields are sealed, bound to the row, in save()
        plain.append(
            PlainEntry(
                id=entry.pk,
                child_id=child.pk,
                category=entry.category,
                level=entry.level,
                occurred_at=entry.occurred_at,
                author_name=entry.author.full_name,
                text=entry.text,
                parent_informed=entry.parent_informed,
            )
        )
    create_table()
    PlainEntry.objects.bulk_create(plain)
    return lead, child


def signed_in_client(user: Any) -> Any:
    """A test client signed in with a verified second factor, as after a real sign-in."""
    from django.test import Client
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.create(user=user, name="bench", confirmed=True)
    client = Client()
    client.force_login(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return client


def timed(fetch: Callable[[], Any], expected_entries: int) -> Callable[[], float]:
    def once() -> float:
        gc.collect()
        started = time.perf_counter()
        response = fetch()
        elapsed = time.perf_counter() - started
        if response.status_code != 200:
            raise SystemExit(f"benchmark page answered {response.status_code}")
        shown = response.content.count(b'class="entry level-')
        if shown != expected_entries:
            raise SystemExit(f"benchmark page showed {shown} entries, not {expected_entries}")
        return elapsed

    return once


def run() -> Result:
    from django.urls import reverse

    from .run import paired

    lead, child = make_child_with_entries(ENTRIES)
    client = signed_in_client(lead.user)
    confide = timed(lambda: client.get(reverse("records:child_detail", args=[child.pk])), ENTRIES)
    baseline = timed(
        lambda: client.get(reverse("bench_plain_chronology", args=[child.pk])), ENTRIES
    )
    like = timed(
        lambda: client.get(reverse("bench_plain_chronology_like", args=[child.pk])), ENTRIES
    )
    for _ in range(WARM_UP):
        confide()
        baseline()
        like()
    runs = paired(confide, {"plain": baseline, "like": like}, REPEATS)
    return Result(
        "chronology",
        runs.ratio("plain"),
        runs.seconds(),
        runs.seconds("plain"),
        ENTRIES,
        ratio_like=runs.ratio("like"),
        baseline_like_s=runs.seconds("like"),
    )


def main() -> int:
    from .run import setup_django

    with tempfile.TemporaryDirectory(prefix="confide-bench-chronology-") as tmp:
        setup_django(os.path.join(tmp, "bench.sqlite3"))
        result = run()
        print(result.line(), flush=True)
        from django.db import connections

        connections.close_all()
    if result.ratio > TARGET:
        print(
            f"chronology: ratio {result.ratio:.2f} is above its target of {TARGET}",
            file=sys.stderr,
        )
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
