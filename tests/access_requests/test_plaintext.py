"""Every copy of encrypted text stays encrypted.

Prose is written into every encrypted field that a subject-access request copies from (an entry,
its amendment and body-map note, an attachment's name, a disclosure, a consent record's free-text
purpose and note, a sharing decision, a staff record), a request is taken all the way (compiled,
reviewed with a redaction and a withholding, checked, rendered, approved, released, sent), and
then every column of every table in the database is read raw: no word of that prose is found in
the clear. The copies a bundle makes (an item's title, its who-and-when line, its third-party
notes, the letters, the note of searches) must therefore be encrypted like their sources.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.utils import timezone

from access_requests import services
from access_requests.models import Decision, ItemKind
from records.models import Category, StaffRecord
from records.services import add_attachment, amend_entry

from ..consent.factories import consent, disclosure, propose
from ..factories import a_png, make_entry
from .conftest import approved, confirmed
from .test_staff_requests import record_staff_request

# One unusual word per source, so a hit names the field that leaked. None is a name: names are
# kept in the clear by design (the register), prose never.
PROSE = {
    "entry": "Zephyrwick built a marble run along the quillfeather track.",
    "amendment": "Corrected: the marble run was on the verandaloom.",
    "amendment_reason": "The first account misplaced the wobblestaff.",
    "body_map_note": "Small graze under the crinkleworth bandage.",
    "attachment_name": "glimmerquay-drawing.png",
    "disclosure": "Grandad said the snorkelbrook flat is too small now.",
    "consent_purpose": "Sharing with the thistlewhump speech group",
    "consent_note": "Agreed at the plumbertine meeting.",
    "decision_purpose": "To plan speech support with the brindlemoss team.",
    "decision_summary": "Uses short phrases about the tumbleweir garden.",
    "staff_record": "Supervision: keen to lead the fernwhistle outdoor sessions.",
    "asked_for": "Everything about the lanternmoth trip, please.",
}
WORDS = [
    "Zephyrwick",
    "quillfeather",
    "verandaloom",
    "wobblestaff",
    "crinkleworth",
    "glimmerquay",
    "snorkelbrook",
    "thistlewhump",
    "plumbertine",
    "brindlemoss",
    "tumbleweir",
    "fernwhistle",
    "lanternmoth",
]

PNG = a_png()


def _everything(people: Any) -> None:
    child = people.child
    entry = make_entry(
        child,
        people.keyperson1,
        category=Category.ACCIDENT,
        text=PROSE["entry"],
        occurred_at=timezone.now() - timedelta(days=5),
    )
    entry.body_map = [{"region": "left_knee", "x": 40, "y": 80, "note": PROSE["body_map_note"]}]
    entry.save()
    amend_entry(
        entry=entry,
        author=people.keyperson1.user,
        text=PROSE["amendment"],
        reason=PROSE["amendment_reason"],
    )
    add_attachment(
        entry=entry,
        by=people.keyperson1.user,
        upload=SimpleUploadedFile(PROSE["attachment_name"], PNG, content_type="image/png"),
    )
    disclosure(child, people.keyperson1, what=PROSE["disclosure"])
    consent(
        child,
        people.keyperson1,
        purpose="other",
        purpose_other=PROSE["consent_purpose"],
        note=PROSE["consent_note"],
    )
    propose(
        child,
        people.keyperson1,
        purpose=PROSE["decision_purpose"],
        summary=PROSE["decision_summary"],
    )
    StaffRecord(
        staff=people.keyperson2,
        kind="supervision",
        recorded_by=people.lead,
        occurred_on=timezone.localdate() - timedelta(days=9),
        text=PROSE["staff_record"],
    ).save()


def _take_through(people: Any, sar: Any, *, by: Any) -> None:
    services.compile_bundle(sar=sar, by=by.user, other_searches="The paper cabinet.")
    services.disclose_staff_in_their_role(sar=sar, by=by.user)
    items = list(sar.items.all())
    assert {i.kind for i in items} >= {ItemKind.ENTRY}
    for n, item in enumerate(items):
        if n == 0 and item.kind != ItemKind.ATTACHMENT and item.body:
            word = item.body.split()[0]
            services.review_item(
                item=item,
                by=by.user,
                decision=Decision.REDACT,
                passages=[services.PassageRedaction(word, "third_party", note="A name.")],
            )
        elif n == 1:
            services.review_item(
                item=item,
                by=by.user,
                decision=Decision.WITHHOLD,
                exemption="serious_harm",
                opinion_from="The health visitor",
                note="The health visitor advised so.",
            )
        else:
            services.review_item(item=item, by=by.user, decision="disclose", note="Reviewed.")


def _plaintext_hits() -> list[str]:
    hits = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            quoted = connection.ops.quote_name(table)
            cursor.execute(f"SELECT * FROM {quoted}")  # noqa: S608 - a table name we listed
            columns = [c[0] for c in cursor.description]
            for row in cursor.fetchall():
                for column, value in zip(columns, row, strict=True):
                    if isinstance(value, memoryview | bytes):
                        text = bytes(value).decode("latin-1")
                    else:
                        text = str(value)
                    hits += [f"{table}.{column}: {w}" for w in WORDS if w.lower() in text.lower()]
    return hits


def test_after_a_whole_request_no_prose_is_in_the_database_in_the_clear(people, entries):
    _everything(people)
    family = confirmed(people, asked_for=PROSE["asked_for"])
    _take_through(people, family, by=people.deputy)
    sar = approved(people, family)
    services.release_copy(sar=sar, by=people.lead.user)
    services.send_link(sar=sar, by=people.lead.user, link_url=lambda token: f"/link/{token}/")

    staff_request = record_staff_request(people, people.keyperson2)
    services.confirm_identity(
        sar=staff_request, by=people.lead.user, method="known", confirmed_on=timezone.localdate()
    )
    services.compile_bundle(sar=staff_request, by=people.lead.user)

    # Every source was compiled: the scan below is of copies that exist.
    kinds = set(family.items.values_list("kind", flat=True))
    assert kinds >= {
        ItemKind.ENTRY,
        ItemKind.ATTACHMENT,
        ItemKind.DISCLOSURE,
        ItemKind.CONSENT,
        ItemKind.SHARING,
    }
    assert staff_request.items.filter(kind=ItemKind.STAFF_RECORD).exists()
    assert _plaintext_hits() == []


def test_the_scan_finds_prose_left_in_the_clear(people):
    """The scan itself can fail: a word written to a plain column is found."""
    people.child.family.address = "3 Zephyrwick Lane"
    people.child.family.save()
    assert "records_family.address: Zephyrwick" in _plaintext_hits()
