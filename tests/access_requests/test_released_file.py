"""The file a parent receives, proved on the released artefact.

A request about a child whose records name people who are not subjects — in an entry, an
amendment, a body-map note, an attachment's name, a disclosure (who told us, and what), a consent
record's purpose, a sharing decision's other people — is compiled, reviewed the way a careful
reviewer would (whole-field and in-text redactions, a withholding with its exemption, a silent
withholding), checked, rendered, approved and released. The released PDF is then decrypted with
its password and searched, text and every decompressed stream and string: no redacted or withheld
word, no name of a person who is not a subject unless disclosed with a reason, and the parts
disclosed are there. A staff member's own request does the same for a staff record.
"""

from __future__ import annotations

import io
from datetime import timedelta
from typing import Any

import pikepdf
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from pypdf import PdfReader

from access_requests import services
from access_requests.models import (
    Decision,
    DisclosureReason,
    ItemKind,
    MentionDecision,
    PersonKind,
    SubjectAccessRequest,
)
from consent.models import DiscloserKind
from records.models import Category, StaffRecord
from records.services import add_attachment, amend_entry

from ..consent.factories import consent, disclosure, propose
from ..factories import a_png, make_child, make_entry
from .conftest import approved, confirmed
from .test_staff_requests import record_staff_request

PNG = a_png()
SECRET = "Strategy meeting with the Exampleshire police arranged for Thursday"


def released_text(release: Any, password: str) -> tuple[str, bytes]:
    """What the parent can read: the text of every page, and every decompressed stream and
    string of the file (metadata, bookmarks, structure tree, embedded files)."""
    reader = PdfReader(io.BytesIO(release.pdf))
    assert reader.is_encrypted and reader.decrypt(password)
    # Words only, one space apart: where a line of the page wrapped is not what is tested.
    text = " ".join(" ".join(page.extract_text() for page in reader.pages).split())
    raw = []
    with pikepdf.open(io.BytesIO(release.pdf), password=password) as pdf:
        for obj in pdf.objects:
            if isinstance(obj, pikepdf.Stream):
                try:
                    raw.append(obj.read_bytes())
                except pikepdf.PdfError:
                    raw.append(obj.read_raw_bytes())
            elif isinstance(obj, pikepdf.Dictionary):
                for value in obj.values():
                    if isinstance(value, pikepdf.String):
                        raw.append(bytes(value))
    return text, b"\n".join(raw)


def _absent(word: str, text: str, raw: bytes) -> bool:
    return (
        word.lower() not in text.lower()
        and word.encode() not in raw
        and word.encode("utf-16-be") not in raw
    )


def _family(people: Any) -> dict[str, Any]:
    child, kp = people.child, people.keyperson1
    now = timezone.now()
    wren = make_child(
        room=people.sunflower, key_person=kp, first_name="Wren", last_name="Lacey"
    )  # another child, on roll
    other = people.other_child  # and another, in another room
    other_carer = other.carers.get()
    entry = make_entry(
        child,
        kp,
        category=Category.ACCIDENT,
        text="Built a den with Wren Lacey in the garden.",
        occurred_at=now - timedelta(days=40),
    )
    entry.body_map = [
        {"region": "left_knee", "x": 40, "y": 80, "note": "Graze from Jordan Quillfeather's dog"}
    ]
    entry.save()
    amend_entry(
        entry=entry,
        author=kp.user,
        text=f"It was {other.first_name} {other.last_name}, not Wren, who built the den.",
        reason="Corrected by the key person.",
    )
    add_attachment(
        entry=entry,
        by=kp.user,
        upload=SimpleUploadedFile("Wren Lacey painting.png", PNG, content_type="image/png"),
    )
    disclosure(
        child,
        kp,
        discloser_kind=DiscloserKind.RELATIVE,
        discloser_carer=None,
        discloser_name="Jordan Quillfeather (neighbour)",
        what=f"{other_carer.full_name} said the flat is too small.",
        subject_carers=[],
        disclosed_at=now - timedelta(days=30),
    )
    consent(
        child,
        kp,
        purpose="other",
        purpose_other="Sharing with the speech group Wren Lacey attends",
        given_at=now - timedelta(days=20),
    )
    propose(child, kp, other_people="Jordan Quillfeather")
    make_entry(
        child,
        people.lead,
        category=Category.CHILD_PROTECTION,
        text=SECRET,
        occurred_at=now - timedelta(days=10),
    )
    return {"wren": wren, "other": other, "other_carer": other_carer}


def _review_as_a_careful_reviewer(sar: SubjectAccessRequest, by: Any) -> None:
    services.disclose_staff_in_their_role(sar=sar, by=by.user)
    for item in sar.items.all():
        waiting = list(item.mentions.filter(decision=MentionDecision.PENDING))
        if SECRET in item.body:
            services.review_item(
                item=item,
                by=by.user,
                decision=Decision.WITHHOLD,
                exemption="child_abuse_data",
                note="Saying it exists would tip off the family during an enquiry.",
                silent=True,
            )
        elif item.kind == ItemKind.ATTACHMENT and waiting:
            services.review_item(
                item=item,
                by=by.user,
                decision=Decision.WITHHOLD,
                exemption="third_party",
                note="Its name is another child's.",
            )
        elif waiting:
            services.review_item(
                item=item,
                by=by.user,
                decision=Decision.REDACT,
                mentions={
                    str(m.pk): services.MentionChoice(MentionDecision.REDACT) for m in waiting
                },
            )
        else:
            services.review_item(item=item, by=by.user, decision=Decision.DISCLOSE)


def test_the_released_file_holds_no_third_party_and_no_withheld_word(people):
    named = _family(people)
    sar = confirmed(people)
    services.compile_bundle(sar=sar, by=people.deputy.user)
    kinds = set(sar.items.values_list("kind", flat=True))
    assert kinds == {
        ItemKind.ENTRY,
        ItemKind.ATTACHMENT,
        ItemKind.DISCLOSURE,
        ItemKind.CONSENT,
        ItemKind.SHARING,
    }
    _review_as_a_careful_reviewer(sar, people.deputy)
    release, password = services.release_copy(sar=approved(people, sar), by=people.lead.user)
    text, raw = released_text(release, password)

    for word in (
        "Wren",
        "Lacey",
        named["other"].first_name,
        named["other"].last_name,
        named["other_carer"].full_name,
        "Jordan",
        "Quillfeather",
        "Strategy meeting",
        "Exampleshire police",
        "painting.png",
    ):
        assert _absent(word, text, raw), word
    # What was disclosed is there: the file is not empty of what it should hold.
    assert "Built a den with" in text
    assert "Kay One" in text  # staff, named in their professional role
    assert "Told by: Withheld: Third-party information" in text
    assert "Other people concerned: Withheld: Third-party information" in text
    assert "This record is withheld. Exemption: Third-party information." in text
    # The silent withholding: no trace of a fourth entry in the note of searches.
    assert "Record entries: 1 (with 1 amendment and 1 attachment)." in text


def test_a_person_disclosed_with_a_reason_is_in_the_file(people):
    named = _family(people)
    sar = confirmed(people)
    services.compile_bundle(sar=sar, by=people.deputy.user)
    services.disclose_staff_in_their_role(sar=sar, by=people.deputy.user)
    for item in sar.items.all():
        waiting = list(item.mentions.filter(decision=MentionDecision.PENDING))
        choices = {
            str(m.pk): services.MentionChoice(
                MentionDecision.DISCLOSE,
                DisclosureReason.ALREADY_KNOWN,
                note="The family told us themselves.",
            )
            for m in waiting
        }
        services.review_item(
            item=item,
            by=people.deputy.user,
            decision=Decision.DISCLOSE,
            mentions=choices,
            note="Read it.",
        )
    release, password = services.release_copy(sar=approved(people, sar), by=people.lead.user)
    text, _raw = released_text(release, password)
    assert "Wren Lacey" in text
    assert named["other_carer"].full_name in text
    assert "Told by: Jordan Quillfeather (neighbour)" in text


def test_a_staff_members_file_holds_no_childs_name(people):
    StaffRecord(
        staff=people.keyperson2,
        kind="supervision",
        recorded_by=people.lead,
        occurred_on=timezone.localdate() - timedelta(days=5),
        text=f"Supervision: settled {people.child.first_name} {people.child.last_name} well.",
    ).save()
    sar = record_staff_request(people, people.keyperson2)
    services.confirm_identity(
        sar=sar, by=people.lead.user, method="known", confirmed_on=timezone.localdate()
    )
    services.compile_bundle(sar=sar, by=people.lead.user)
    item = sar.items.get(kind=ItemKind.STAFF_RECORD)
    assert item.mentions.filter(kind=PersonKind.CHILD).exists()
    _review_as_a_careful_reviewer(sar, people.lead)
    services.submit_for_check(sar=sar, by=people.lead.user)
    services.check_bundle(sar=sar, by=people.lead.user, accept=True)
    services.start_render(sar=sar, by=people.lead.user)
    sar.refresh_from_db()
    services.approve_bundle(sar=sar, by=people.lead.user)
    release, password = services.release_copy(sar=sar, by=people.lead.user)
    text, raw = released_text(release, password)
    assert "Supervision: settled" in text
    for word in (people.child.first_name, people.child.last_name):
        assert _absent(word, text, raw), word
