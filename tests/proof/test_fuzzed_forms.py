"""Every form, posted with hostile input, gives 0 server errors and 0 partial rows, and what it
keeps is shown escaped, in the HTML and in the subject-access PDF.

The forms are found by the same walk of the URL resolver as test_idor: every URL name is either
in FORMS (who may post it, a valid form, and which of its fields are free text or dates) or in
NOT_A_FORM with the reason. Each post is made by someone allowed to use the form, on an object
they may use it on, in a state where the valid form is accepted (test_every_form_accepts_its_
valid_post proves it for each: otherwise a fuzzer only ever meets refusals).

For each post, one or more fields of the valid form are replaced by hostile values (overlong,
NUL, direction overrides, emoji, HTML and script, spreadsheet formulas, numbers and ids as text,
wrong types, several values for one field, ancient, impossible and far-future dates, empty,
whitespace and zero-width only, a file with a hostile name, a file that is not one), and:
- the answer is never a server error;
- refused: the form comes back (200 or 400) with an error summary, and no row of any table
  changed (the audit log may only have grown by reads, as the page shows records again);
  the sign-in forms count failures (lockout), by design, in the tables listed on their target;
- accepted: a redirect (or the page the form leads to), and neither that page, nor the pages
  that show what was kept, hold the hostile markup unescaped; and no id in a choice field named
  a record the person may not see (test_idor's rules).

The tests: the valid form of each is accepted; each form survives the worst of the corpus (every
text field markup, every field a NUL, every field 10,000 characters, every date the year 9999 and
the year 1, every kind of hostile file); hypothesis puts hostile values in any fields of any form
(EXAMPLES times); each valid form posted a second time (a double click, a second tab) is taken
again or refused with a message; the search and filter forms (GET) take hostile queries; and an
entry and its amendment full of markup are text in the released, password-protected PDF, which
runs nothing.

Runtime: the world is built once per test function and each post runs in a savepoint rolled
back afterwards (the client's cookies put back too), so every post meets the same world.
"""

from __future__ import annotations

import copy
import io
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pikepdf
import pytest
from auditlog.models import LogEntry
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pypdf import PdfReader

from access_requests import services as sar_services
from access_requests.models import PROFESSIONAL_KINDS, BundleItem, ThirdPartyMention
from accounts import services as account_services
from consent import services as consent_services
from core import keys
from records.models import Carer, Category, RecordEntry, Relationship, Role

from ..access_requests.conftest import approved, record, released, reviewed
from ..conftest import sign_in
from ..factories import TEST_PASSWORD, a_pdf, a_png, make_entry, make_staff
from . import EXAMPLES
from .objects import (
    ROLES,
    TRANSFER_TOKEN,
    World,
    build_world,
    decision_body,
    emergency_body,
)
from .test_idor import changed_tables, may_see, new_audit_entries, snapshot

pytestmark = pytest.mark.heavy

PROOF_SETTINGS = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

# --- the hostile corpus --------------------------------------------------------------------------

SCRIPT = "<script>alert(1)</script>"
IMG = '"><img src=x onerror=alert(1)>'
# Either, unescaped in a page, would run.
RAW_MARKUP = ("<script>alert(1)</script>", "<img src=x onerror=alert(1)>")

TEXTS = [
    "a\x00b",
    "\x00",
    "A" * 10_000,
    "Fell over \u202eevil.exe\u202c today",
    "\u202e",
    "😀 👩‍👩‍👧 ☃ 𝔘𝔫𝔦𝔠𝔬𝔡𝔢",
    SCRIPT,
    IMG,
    f"Said {SCRIPT} and {IMG} at circle time",
    "=cmd|' /C calc'!A0",
    "+SUM(1,2)",
    "@import",
    "12345",
    "-1",
    "0",
    "1e309",
    "NaN",
    "-Infinity",
    "99999999999999999999999",
    "",
    "   ",
    "\u200b\u200b",
    "\u200b",
    "\t\r\n",
    "' OR 1=1 --",
    "{{ 7|add:7 }}{% debug %}",
    "%s%n%x",
    "../../../etc/passwd",
    "\\",
]
DATES = [
    "0001-01-01",
    "9999-12-31",
    "2999-01-01",
    "1900-02-29",
    "2024-02-30",
    "-2024-01-01",
    "31/12/9999",
    "01/01/0001",
    "today",
    "",
]
DATETIMES = [
    "0001-01-01T00:00",
    "0001-01-01 00:00",
    "9999-12-31T23:59",
    "31/12/9999 23:59",
    "2999-01-01T00:00",
    # The clocks going forward (a time that does not exist) and back (one that exists twice).
    "2026-03-29T01:30",
    "2025-10-26T01:30",
    "2025-13-01T00:00",
    "",
]


def _files() -> list[Any]:
    """A fresh file each time (a file is read once)."""
    return [
        SimpleUploadedFile(f"{SCRIPT}.png", a_png(), content_type="image/png"),
        SimpleUploadedFile(f"{IMG}\u202egnp.pdf", a_pdf("x"), content_type="application/pdf"),
        SimpleUploadedFile("empty.png", b"", content_type="image/png"),
        SimpleUploadedFile("notes.png", b"MZ\x90\x00 not a picture", content_type="image/png"),
        SimpleUploadedFile("a\x00b.png", a_png(), content_type="image/png"),
        "not a file",
    ]


def _text_values() -> st.SearchStrategy[Any]:
    free = st.text(st.characters(exclude_categories=["Cs"]), max_size=40)
    return st.one_of(
        st.sampled_from(TEXTS),
        free,
        st.tuples(st.sampled_from(TEXTS), free).map("".join),
    )


# --- the forms -----------------------------------------------------------------------------------


def _now(days: int = 0, hours: int = 0) -> str:
    return (timezone.localtime() + timedelta(days=days, hours=hours)).strftime("%Y-%m-%dT%H:%M")


def _today(days: int = 0) -> str:
    return (timezone.localdate() + timedelta(days=days)).isoformat()


@dataclass(frozen=True)
class Form:
    """A form someone may use: ``setup`` (run in the savepoint, so it may make the state the form
    needs) gives the URL's arguments and a valid form; ``text``, ``dates``, ``datetimes`` and
    ``files`` say what its fields are, the other fields of the valid form being choices, ids or
    numbers; ``ok`` the statuses of an accepted post; ``shown_on`` the pages that show what was
    kept; ``counts_failures`` the tables a refused post changes by design."""

    role: str
    url: str
    setup: Callable[[World], tuple[list[Any], dict[str, Any]]]
    text: tuple[str, ...] = ()
    dates: tuple[str, ...] = ()
    datetimes: tuple[str, ...] = ()
    files: tuple[str, ...] = ()
    ok: tuple[int, ...] = (302,)
    shown_on: Callable[[World], list[str]] = lambda w: []
    counts_failures: frozenset[str] = frozenset()
    name: str = ""

    @property
    def key(self) -> str:
        return self.name or self.url

    def fields(self, base: dict[str, Any]) -> list[str]:
        management = ("TOTAL_FORMS", "INITIAL_FORMS", "MIN_NUM_FORMS", "MAX_NUM_FORMS")
        names = [k for k in base if not k.endswith(management)]
        return sorted({*names, *self.text, *self.dates, *self.datetimes, *self.files})


def _pk(obj: Any) -> str:
    return str(obj.pk)


def child_form(w: World) -> dict[str, Any]:
    p = w.people
    return {
        "first_name": "Robin",
        "last_name": "Examplechild",
        "date_of_birth": "2022-05-01",
        "started_on": "2025-09-01",
        "left_on": "",
        "room": _pk(p.sunflower),
        "key_person": _pk(p.keyperson1),
        "family": str(p.child.family_id),
    }


def carer_form(w: World) -> dict[str, Any]:
    return {
        "full_name": "Alex Example",
        "relationship": Relationship.FATHER,
        "parental_responsibility": "yes",
        "phone": "01632 960001",
        "email": "alex@example.test",
        "address": "2 Example Lane",
        "court_order_restrictions": "",
    }


def entry_form(w: World, **extra: Any) -> dict[str, Any]:
    return {
        "category": Category.GENERAL,
        "level": "",
        "occurred_at": _now(hours=-1),
        "text": "Painted a rainbow at the easel.",
        "informed_how": "",
        **extra,
    }


def decision_form(w: World) -> dict[str, Any]:
    return decision_body(w) | {
        "recipient_person": "Health visitor",
        "other_people": "",
        "no_consent_reason": "",
        "no_consent_explanation": "",
        "advice_from": "",
        "advice_given": "",
        "level": "",
    }


DECISION_TEXT = (
    "recipient_organisation",
    "recipient_person",
    "purpose",
    "necessary_and_proportionate",
    "summary",
    "other_people",
    "no_consent_explanation",
    "advice_from",
    "advice_given",
)


def emergency_form(w: World) -> dict[str, Any]:
    return emergency_body(decision_form(w), shared_at=_now(hours=-1))


def disclosure_form(w: World) -> dict[str, Any]:
    return {
        "discloser_kind": "professional",
        "discloser_name": "The health visitor",
        "disclosed_at": _now(hours=-1),
        "what": "The family has moved house.",
        "third_parties": "",
        "confidentiality": "no",
        "subject_confidentiality": "not_asked",
        "subject_children": _pk(w["child:child"]),
    }


DISCLOSURE_TEXT = ("discloser_name", "what", "third_parties")


def _prefixed(prefix: str, body: dict[str, Any]) -> dict[str, Any]:
    return {f"{prefix}-{k}": v for k, v in body.items()}


def request_form(w: World) -> dict[str, Any]:
    return {
        "received_on": _today(),
        "channel": "email",
        "requester_kind": "carer",
        "child": _pk(w["child:child"]),
        "requester_carer": _pk(w["carer:child"]),
        "requester_name": "",
        "authority": "",
        "include_requester": "on",
        "asked_for": "Everything you hold about my daughter.",
        "contact_email": "parent@example.test",
        "contact_address": "",
    }


def _received(w: World) -> Any:
    return record(w.people)


def _confirmed(w: World) -> Any:
    sar = record(w.people)
    sar_services.confirm_identity(
        sar=sar,
        by=w.people.deputy.user,
        method="photo_id",
        confirmed_on=timezone.localdate(),
        evidence_received_on=timezone.localdate(),
        parental_responsibility=True,
    )
    return sar


def _paused(w: World) -> Any:
    sar = w["sar:child"]
    sar_services.pause_for_clarification(
        sar=sar, by=w.people.lead.user, asked="Which years?", started_on=timezone.localdate()
    )
    return sar


def _second_carer(w: World) -> Any:
    """The received request's child gets a second parent, who may join the request."""
    sar = record(w.people)
    child = w["child:child"]
    carer = Carer.objects.create(
        family=child.family,
        full_name="Jo Secondparent",
        relationship=Relationship.FATHER,
        parental_responsibility=True,
        phone="01632 960002",
    )
    child.carers.add(carer)
    return sar, carer


def _join(w: World) -> tuple[list[Any], dict[str, Any]]:
    sar, carer = _second_carer(w)
    body = {
        "carer": _pk(carer),
        "method": "known",
        "evidence_received_on": "",
        "confirmed_on": _today(),
        "note": "Known to us.",
    }
    return [sar.pk], body


def _approved_decision(w: World) -> Any:
    decision = w["decision:other_child:keyperson2"]
    consent_services.approve_sharing_decision(
        decision=decision, approver=w.people.lead.user, rationale="Proportionate."
    )
    return decision


def _consent_reply(w: World) -> tuple[list[Any], dict[str, Any]]:
    """A request whose bundle names another child's parent, who was asked for their consent:
    their reply is recorded."""
    carer = w["carer:other_child"]
    make_entry(
        w["child:child"],
        w.people.keyperson1,
        category=Category.CONCERN,
        text=f"{carer.full_name} collected the child today.",
    )
    sar = _confirmed(w)
    sar_services.compile_bundle(sar=sar, by=w.people.lead.user)
    mention = (
        ThirdPartyMention.objects.filter(item__request=sar)
        .exclude(kind__in=PROFESSIONAL_KINDS)
        .first()
    )
    assert mention is not None
    ask = sar_services.ask_third_party_consent(
        sar=sar, by=w.people.lead.user, person_key=mention.person_key
    )
    return [sar.pk, ask.pk], {"answer": "yes", "replied_on": _today(), "note": "By letter."}


def _acknowledged(w: World) -> Any:
    """The referral, acknowledged: its outcome is next."""
    referral = w["decision:other_child:keyperson2_referral"]
    consent_services.record_referral_acknowledged(
        decision=referral, by=w.people.keyperson2.user, acknowledged_at=timezone.now()
    )
    return referral


def _item_with_people(w: World) -> tuple[Any, dict[str, Any]]:
    """An entry of the request about the child in which staff are named: each person's decision
    is a form of its own."""
    item = (
        BundleItem.objects.filter(request=w["sar:child"], kind="entry", level=1)
        .exclude(mentions=None)
        .order_by("id")
        .first()
    )
    assert item is not None
    people: dict[str, Any] = {}
    for mention in item.mentions.all():
        people[f"mention-{mention.pk}-decision"] = "disclose"
        people[f"mention-{mention.pk}-reason"] = "professional_role"
        people[f"mention-{mention.pk}-note"] = ""
    return item, people


def _review_with_people(w: World) -> tuple[list[Any], dict[str, Any]]:
    item, people = _item_with_people(w)
    return [w["sar:child"].pk, item.pk], {**REVIEW, **PASSAGES, **people}


PASSAGES = {
    "passages-TOTAL_FORMS": "3",
    "passages-INITIAL_FORMS": "0",
    "passages-0-passage": "",
    "passages-0-exemption": "",
    "passages-0-exemption_other": "",
    "passages-0-opinion_from": "",
    "passages-0-note": "",
}
REVIEW = {
    "decision": "disclose",
    "exemption": "",
    "exemption_other": "",
    "opinion_from": "",
    "note": "Fine to disclose.",
}
REVIEW_TEXT: tuple[str, ...] = ("exemption_other", "opinion_from", "note", "passages-0-passage")
REVIEW_TEXT += ("passages-0-exemption_other", "passages-0-opinion_from", "passages-0-note")
MARKS = {
    "mark-TOTAL_FORMS": "1",
    "mark-INITIAL_FORMS": "0",
    "mark-0-region": "front:left_lower_leg",
    "mark-0-note": "A graze about 2 cm across.",
    "mark-0-x": "",
    "mark-0-y": "",
}


def _latest_entry_page(w: World) -> list[str]:
    from records.models import RecordEntry

    entry = RecordEntry.objects.order_by("-recorded_at").first()
    return [reverse("records:entry_detail", args=[entry.pk])] if entry else []


def _child_pages(name: str) -> Callable[[World], list[str]]:
    def pages(w: World) -> list[str]:
        child = w[name]
        return [
            reverse("records:child_detail", args=[child.pk]),
            reverse("records:child_contacts", args=[child.pk]),
            reverse("consent:child", args=[child.pk]),
        ]

    return pages


def _sar_page(w: World) -> list[str]:
    from access_requests.models import SubjectAccessRequest

    newest = SubjectAccessRequest.objects.order_by("-recorded_at").first()
    assert newest is not None
    return [reverse("access_requests:detail", args=[newest.pk])]


def _two_factor_code(device: Any) -> str:
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    return f"{totp.token():0{device.digits}d}"


SIGN_IN_FAILURES = frozenset(
    {"axes_accessattempt", "axes_accessfailurelog", "axes_accesslog", "otp_totp_totpdevice"}
)
SIGN_IN_FAILURES |= {"accounts_signinfailure", "otp_static_staticdevice"}


def _setup_code(w: World) -> tuple[list[Any], dict[str, Any]]:
    """The newcomer has entered their enrolment code: the page to scan the QR code."""
    client = w.objects["_clients"]["newcomer"]
    response = client.post(reverse("accounts:two_factor_enrol"), {"code": w["_enrolment_code"]})
    assert response.status_code == 302, response
    device = TOTPDevice.objects.get(user=w["staff:newcomer"].user, confirmed=False)
    return [], {"code": _two_factor_code(device)}


def _leaver_checklist(w: World) -> tuple[list[Any], dict[str, Any]]:
    """The checklist of a child already recorded as leaving (made in the post's savepoint)."""
    from records import leaving

    child = w["child:child"]
    leaving.record_leaving(
        by=w.people.lead.user,
        child=child,
        left_on=child.started_on,
        destination_kind="school",
        destination="Example Primary School",
        reason="starting_school",
    )
    body = {
        "step": "checklist",
        "cp_file": "transferred",
        "general_file": "given_to_parents",
        "note": "Sent by secure post.",
    }
    return [child.pk], body


IMPORT_CSV = (
    "family_reference,child_first_name,child_last_name,date_of_birth,started_on,room,carer_name,"
    "carer_relationship,carer_parental_responsibility,carer_phone\n"
    "F1,Robin,Importedchild,2022-05-01,2025-09-01,Sunflower,Alex Example,mother,yes,01632 960001\n"
)


def _import_file() -> SimpleUploadedFile:
    return SimpleUploadedFile("register.csv", IMPORT_CSV.encode(), content_type="text/csv")


def _import_checked(w: World) -> tuple[list[Any], dict[str, Any]]:
    """The office has checked a file: the confirmation names the copy kept, by its token."""
    response = w["_clients"]["office"].post(
        reverse("records:import_children"), {"step": "check", "file": _import_file()}
    )
    assert response.status_code == 200, response
    return [], {"step": "confirm", "token": response.context["confirm"].initial["token"]}


FORMS: list[Form] = [
    # records
    Form(
        "office",
        "records:child_create",
        lambda w: ([], child_form(w)),
        text=("first_name", "last_name"),
        dates=("date_of_birth", "started_on", "left_on"),
        shown_on=lambda w: [reverse("records:child_list")],
    ),
    Form(
        "lead",
        "records:child_edit",
        lambda w: ([w["child:child"].pk], child_form(w)),
        text=("first_name", "last_name"),
        dates=("date_of_birth", "started_on", "left_on"),
        shown_on=_child_pages("child:child"),
    ),
    Form(
        "office",
        "records:family_create",
        lambda w: ([], {"name": "Example", "address": "3 Example Lane", "home_language": ""}),
        text=("name", "address", "home_language"),
    ),
    Form(
        "office",
        "records:import_children",
        lambda w: ([], {"step": "check", "file": _import_file()}),
        files=("file",),
        ok=(200,),
    ),
    Form(
        "office",
        "records:import_children",
        _import_checked,
        shown_on=lambda w: [reverse("records:child_list")],
        name="records:import_children (confirm)",
    ),
    Form(
        "office",
        "records:carer_create",
        lambda w: ([w["child:child"].pk], carer_form(w)),
        text=("full_name", "phone", "email", "address", "court_order_restrictions"),
        shown_on=lambda w: [reverse("consent:carer", args=[w["carer:child"].pk])],
    ),
    Form(
        "office",
        "records:carer_edit",
        lambda w: ([w["child:child"].pk, w["carer:child"].pk], carer_form(w)),
        text=("full_name", "phone", "email", "address", "court_order_restrictions"),
    ),
    Form(
        "keyperson1",
        "records:entry_create",
        lambda w: ([w["child:child"].pk], entry_form(w)),
        text=("text",),
        datetimes=("occurred_at",),
        files=("attachment",),
        shown_on=_latest_entry_page,
    ),
    Form(
        "keyperson1",
        "records:entry_create",
        lambda w: ([w["child:child"].pk], entry_form(w, category=Category.ACCIDENT, **MARKS)),
        text=("text", "mark-0-note"),
        datetimes=("occurred_at",),
        shown_on=_latest_entry_page,
        name="records:entry_create (body map)",
    ),
    Form(
        "keyperson1",
        "records:entry_amend",
        lambda w: ([w["entry:child:general"].pk], {"text": "And sang.", "reason": "Forgot."}),
        text=("text", "reason"),
        shown_on=lambda w: [reverse("records:entry_detail", args=[w["entry:child:general"].pk])],
    ),
    Form(
        "keyperson1",
        "records:attachment_add",
        lambda w: (
            [w["entry:child:general"].pk],
            {"attachment": SimpleUploadedFile("knee.png", a_png(), content_type="image/png")},
        ),
        files=("attachment",),
    ),
    Form(
        "keyperson1",
        "records:entry_informed",
        lambda w: ([w["entry:child:sensitive"].pk], {"informed_at": _now(), "how": "phone"}),
        datetimes=("informed_at",),
    ),
    Form(
        "lead",
        "records:entry_not_informed",
        lambda w: ([w["entry:child:sensitive"].pk], {"reason": "It would put the child at risk."}),
        text=("reason",),
        shown_on=lambda w: [reverse("records:entry_detail", args=[w["entry:child:sensitive"].pk])],
    ),
    Form(
        "lead",
        "records:grant_create",
        lambda w: (
            [w["child:other_child"].pk],
            {
                "grantee": _pk(w.people.keyperson1),
                "level": "2",
                "reason": "Covering the room.",
                "ends_at": _now(days=3),
            },
        ),
        text=("reason",),
        datetimes=("ends_at",),
        shown_on=lambda w: [reverse("records:grant_list"), reverse("home:dashboard")],
    ),
    Form(
        "practitioner",
        "records:break_glass_open",
        lambda w: ([w["child:child"].pk], {"reason": "Collected by someone not on the list."}),
        text=("reason",),
    ),
    Form(
        "lead",
        "records:break_glass_review",
        lambda w: ([w["break_glass:keyperson1_other_child_ended"].pk], {"note": "Justified."}),
        text=("note",),
    ),
    Form(
        "lead",
        "records:child_flags",
        lambda w: (
            [w["child:child"].pk],
            {
                "step": "add",
                "kind": "social_worker",
                "detail": "Sam Socialworker, Exampleshire Children's Services",
                "started_on": _today(),
            },
        ),
        text=("detail",),
        dates=("started_on",),
        shown_on=lambda w: [reverse("records:child_flags", args=[w["child:child"].pk])],
    ),
    Form(
        "lead",
        "records:child_leaving",
        lambda w: (
            [w["child:child"].pk],
            {
                "step": "leaving",
                "left_on": _today(),
                "destination_kind": "school",
                "destination": "Example Primary School",
                "reason": "starting_school",
            },
        ),
        text=("destination",),
        dates=("left_on",),
        shown_on=lambda w: [reverse("records:child_leaving", args=[w["child:child"].pk])],
    ),
    Form(
        "lead",
        "records:child_leaving",
        _leaver_checklist,
        text=("note",),
        shown_on=lambda w: [reverse("records:child_leaving", args=[w["child:child"].pk])],
        name="records:child_leaving (checklist)",
    ),
    Form(
        "lead",
        "records:retention",
        lambda w: (
            [],
            {
                "child": _pk(w["child:child"]),
                "reason": "A claim is expected.",
                "reference": "Ref 12",
                "review_on": _today(days=60),
            },
        ),
        text=("reason", "reference"),
        dates=("review_on",),
        shown_on=lambda w: [reverse("records:retention")],
    ),
    Form(
        "lead",
        "records:retention",
        lambda w: (
            [],
            {
                "step": "rule",
                "rule": "general",
                "years": "4",
                "months": "0",
                "change_reason": "The local authority advises 4 years.",
            },
        ),
        text=("change_reason",),
        shown_on=lambda w: [reverse("records:retention")],
        name="records:retention (a line of the schedule)",
    ),
    Form(
        "lead",
        "lifecycle:detail",
        lambda w: ([w["destruction:offered"].pk], {"step": "approve", "checked": "on"}),
        shown_on=lambda w: [reverse("lifecycle:detail", args=[w["destruction:offered"].pk])],
        name="lifecycle:detail (approve)",
    ),
    Form(
        "lead",
        "lifecycle:detail",
        lambda w: (
            [w["destruction:offered"].pk],
            {"step": "cancel", "cancel_reason": "The family's complaint is still open."},
        ),
        text=("cancel_reason",),
        shown_on=lambda w: [reverse("lifecycle:detail", args=[w["destruction:offered"].pk])],
        name="lifecycle:detail (keep)",
    ),
    Form(
        "lead",
        "lifecycle:transfer_start",
        lambda w: (
            [w["_leaver"].pk],
            {
                "receiving_setting": "Exampletown Primary School",
                "dsl_name": "Dana Safeguard",
                "dsl_email": "dsl@exampletown.example",
                "dsl_phone": "01632 960000",
                "current_plan": "Core group monthly.",
            },
        ),
        text=("receiving_setting", "dsl_name", "dsl_phone", "current_plan"),
        shown_on=lambda w: [reverse("lifecycle:transfers")],
    ),
    Form(
        "lead",
        "lifecycle:transfer",
        lambda w: (
            [w["transfer:review"].pk],
            {"step": "cover", "professionals": "Health visitor", "current_plan": "Monthly."},
        ),
        text=("professionals", "current_plan"),
        shown_on=lambda w: [reverse("lifecycle:transfer", args=[w["transfer:review"].pk])],
        name="lifecycle:transfer (cover sheet)",
    ),
    Form(
        "lead",
        "lifecycle:transfer",
        lambda w: (
            [w["transfer:review"].pk],
            {
                "step": "item",
                "target": w["transfer_item:review"].pk,
                "included": "no",
                "left_out_reason": "Not about this child.",
            },
        ),
        text=("left_out_reason",),
        shown_on=lambda w: [reverse("lifecycle:transfer", args=[w["transfer:review"].pk])],
        name="lifecycle:transfer (a record left out)",
    ),
    Form(
        "lead",
        "lifecycle:transfer",
        lambda w: (
            [w["transfer:sent"].pk],
            {
                "step": "receipt",
                "received_name": "Dana Safeguard",
                "received_role": "Designated safeguarding lead",
                "received_on": _today(),
            },
        ),
        text=("received_name", "received_role"),
        dates=("received_on",),
        shown_on=lambda w: [reverse("lifecycle:transfer", args=[w["transfer:sent"].pk])],
        name="lifecycle:transfer (receipt by phone)",
    ),
    Form(
        "anonymous",
        "lifecycle:transfer_link",
        lambda w: (
            [TRANSFER_TOKEN],
            {
                "step": "receipt",
                "received_name": "Dana Safeguard",
                "received_role": "Designated safeguarding lead",
                "received_on": _today(),
            },
        ),
        text=("received_name", "received_role"),
        dates=("received_on",),
        ok=(200,),
        # Every look at a link counts against the address, and the first one is kept.
        counts_failures=frozenset({"access_requests_linkattempt", "lifecycle_transferlink"}),
        shown_on=lambda w: [reverse("lifecycle:transfer", args=[w["transfer:sent"].pk])],
        name="lifecycle:transfer_link (receipt)",
    ),
    Form(
        "deputy",
        "lifecycle:rights_new",
        lambda w: (
            [w["child:child"].pk],
            {
                "kind": "rectification",
                "requester": _pk(w["carer:child"]),
                "received_on": _today(),
                "statement": "I was not there that day.",
                "entries": [_pk(w["entry:child:general"])],
            },
        ),
        text=("statement",),
        dates=("received_on",),
        shown_on=lambda w: [reverse("lifecycle:rights_list")],
    ),
    Form(
        "lead",
        "lifecycle:rights",
        lambda w: (
            [w["rights:child"].pk],
            {
                "step": "decide",
                "outcome": "refused",
                "exception": "",
                "reason": "The entry is accurate.",
                "correction": "",
            },
        ),
        text=("reason", "correction"),
        shown_on=lambda w: [reverse("lifecycle:rights", args=[w["rights:child"].pk])],
        name="lifecycle:rights (decide)",
    ),
    Form(
        "practitioner",
        "governance:breach_new",
        lambda w: (
            [],
            {"aware_at": _now(-1), "what_happened": "A register was left on the bus."},
        ),
        text=("what_happened",),
        datetimes=("aware_at",),
        shown_on=lambda w: [reverse("governance:breaches")],
    ),
    Form(
        "deputy",
        "governance:breach",
        lambda w: (
            [w["breach:bus"].pk],
            {
                "step": "assess",
                "data_affected": "Names and allergies.",
                "people_affected": "12",
                "risk": "risk",
                "risk_reasoning": "Health data in a public place.",
            },
        ),
        text=("data_affected", "risk_reasoning"),
        shown_on=lambda w: [reverse("governance:breach", args=[w["breach:bus"].pk])],
        name="governance:breach (assess)",
    ),
    Form(
        "lead",
        "governance:policies",
        lambda w: (
            [],
            {
                "number": "10.4",
                "title": "Safeguarding",
                "review_every_months": "12",
                "text": "We keep children safe.",
                "adopted_on": _today(),
                "approved_by": "The chair",
                "review_due_on": "",
            },
        ),
        text=("number", "title", "text", "approved_by"),
        dates=("adopted_on", "review_due_on"),
        shown_on=lambda w: [reverse("governance:policies")],
    ),
    Form(
        "deputy",
        "governance:policy",
        lambda w: (
            [w["policy:10.9"].pk],
            {
                "text": "What we keep, and who may see it; reviewed.",
                "adopted_on": _today(),
                "approved_by": "The chair",
                "note": "No change.",
                "review_due_on": "",
            },
        ),
        text=("text", "approved_by", "note"),
        dates=("adopted_on", "review_due_on"),
        shown_on=lambda w: [reverse("governance:policy", args=[w["policy:10.9"].pk])],
    ),
    Form(
        "deputy",
        "safeguarding:triage_item",
        lambda w: ([w["alert:child"].pk], {"next_step": "nfa", "reason": "Fell at the park."}),
        text=("reason",),
        shown_on=lambda w: [reverse("safeguarding:triage_item", args=[w["alert:child"].pk])],
    ),
    Form(
        "lead",
        "safeguarding:triage_item",
        lambda w: (
            [w["alert:child"].pk],
            {
                "step": "action",
                "what": "Talk to mum at collection.",
                # A child-protection entry: the Deputy may read it (a key person may not).
                "assignee": _pk(w.people.deputy),
                "due_on": _today(3),
            },
        ),
        text=("what",),
        dates=("due_on",),
        shown_on=lambda w: [reverse("safeguarding:triage_item", args=[w["alert:child"].pk])],
        name="safeguarding:triage_item (action)",
    ),
    Form(
        "deputy",
        "safeguarding:notice",
        lambda w: (
            [w["notice:child"].pk],
            {"ofsted_told_at": _now(), "ofsted_reference": "OF-1", "agencies_apply": "no"},
        ),
        text=("ofsted_reference",),
        datetimes=("ofsted_told_at",),
        shown_on=lambda w: [reverse("safeguarding:notice", args=[w["notice:child"].pk])],
    ),
    Form(
        "lead",
        "safeguarding:decision_actions",
        lambda w: (
            [w["decision:child:practitioner"].pk],
            {
                "what": "Tell mum what was shared.",
                "assignee": w.people.deputy.pk,
                "due_on": _today(),
            },
        ),
        text=("what",),
        dates=("due_on",),
        shown_on=lambda w: [
            reverse("safeguarding:decision_actions", args=[w["decision:child:practitioner"].pk])
        ],
    ),
    Form(
        "lead",
        "safeguarding:print_chronology",
        lambda w: ([w["child:child"].pk], {"since": "2025-09-01", "until": _today()}),
        dates=("since", "until"),
    ),
    Form(
        "keyperson1",
        "safeguarding:action",
        lambda w: ([w["action:child"].pk], {"note": "Spoke to mum: all well."}),
        text=("note",),
        shown_on=lambda w: [reverse("safeguarding:action", args=[w["action:child"].pk])],
    ),
    Form(
        "practitioner",
        "governance:allegation_new",
        lambda w: (
            [],
            {
                "accused": _pk(w.people.keyperson2),
                "kind": "low_level",
                "what_alleged": "Swore at a colleague in front of the children.",
                "occurred_on": _today(),
                "children": _pk(w.people.child),
            },
        ),
        text=("what_alleged",),
        dates=("occurred_on",),
    ),
    Form(
        "lead",
        "governance:allegation",
        lambda w: (
            [w["allegation:against_keyperson1"].pk],
            {
                "step": "lado",
                "referred_at": _now(-1),
                "reference": "LADO-1",
                "advice": "Investigate under the setting's procedures.",
            },
        ),
        text=("reference", "advice"),
        datetimes=("referred_at",),
        shown_on=lambda w: [
            reverse("governance:allegation", args=[w["allegation:against_keyperson1"].pk])
        ],
        name="governance:allegation (lado)",
    ),
    Form(
        "lead",
        "governance:access_review",
        lambda w: ([], {"confirmed": "on", "note": "Ended the Bluebell cover grant."}),
        text=("note",),
        shown_on=lambda w: [reverse("governance:access_review")],
    ),
    Form(
        "lead",
        "records:terms",
        lambda w: ([], {"name": "Autumn 2030", "starts_on": "2030-09-02", "ends_on": "2030-12-18"}),
        text=("name",),
        dates=("starts_on", "ends_on"),
        shown_on=lambda w: [reverse("records:terms")],
    ),
    Form(
        "lead",
        "records:staff_create",
        lambda w: (
            [],
            {
                "full_name": "Nell Newstarter",
                "username": "nell",
                "email": "nell@example.test",
                "role": Role.PRACTITIONER,
                "rooms": _pk(w.people.sunflower),
                "job_title": "Practitioner",
                "password": "a-long-initial-password-1",
            },
        ),
        text=("full_name", "username", "email", "job_title", "password"),
        ok=(200,),
        shown_on=lambda w: [reverse("records:staff_list")],
    ),
    Form(
        "lead",
        "records:staff_from_group",
        lambda w: ([], _from_the_group(w)),
        text=("username", "job_title"),
        shown_on=lambda w: [reverse("records:staff_list")],
    ),
    Form(
        "lead",
        "records:choose_setting",
        lambda w: ([], {"setting": str(w.people.lead.setting_id)}),
        text=("setting",),
    ),
    Form(
        "lead",
        "records:staff_edit",
        lambda w: (
            [w.people.keyperson2.pk],
            {
                "full_name": "Kay Two-Renamed",
                "role": Role.PRACTITIONER,
                "rooms": _pk(w.people.bluebell),
                "job_title": "Room leader",
            },
        ),
        text=("full_name", "job_title"),
        shown_on=lambda w: [reverse("records:staff_list")],
    ),
    Form(
        "lead",
        "records:staff_records",
        lambda w: (
            [w.people.keyperson1.pk],
            {"kind": "supervision", "occurred_on": _today(-1), "text": "Discussed workload."},
        ),
        text=("text",),
        dates=("occurred_on",),
    ),
    Form(
        "lead",
        "records:acting_lead",
        lambda w: (
            [],
            {"deputy": _pk(w.people.deputy), "reason": "Lead on leave.", "ends_at": _now(days=5)},
        ),
        text=("reason",),
        datetimes=("ends_at",),
        shown_on=lambda w: [reverse("records:acting_lead")],
    ),
    # consent
    Form(
        "keyperson1",
        "consent:disclosure_create",
        lambda w: ([w["child:child"].pk], disclosure_form(w)),
        text=DISCLOSURE_TEXT,
        datetimes=("disclosed_at",),
    ),
    Form(
        "keyperson1",
        "consent:entry_with_disclosure",
        lambda w: (
            [w["child:child"].pk],
            {
                **_prefixed("entry", entry_form(w, category=Category.CONCERN)),
                **_prefixed(
                    "disclosure",
                    {k: v for k, v in disclosure_form(w).items() if k != "what"},
                ),
            },
        ),
        text=("entry-text", "disclosure-discloser_name", "disclosure-third_parties"),
        datetimes=("entry-occurred_at", "disclosure-disclosed_at"),
        files=("entry-attachment",),
    ),
    Form(
        "keyperson1",
        "consent:disclosure_confidentiality",
        lambda w: ([w["disclosure:child:keyperson1"].pk], {"confidentiality": "yes"}),
    ),
    Form(
        "keyperson1",
        "consent:consent_create",
        lambda w: (
            [w["carer:child"].pk],
            {
                "child": _pk(w["child:child"]),
                "kind": "share",
                "purpose": "other",
                "purpose_other": "Forest school trips",
                "status": "given",
                "how": "written",
                "given_at": _now(hours=-1),
                "note": "Signed at the door.",
            },
        ),
        text=("purpose_other", "note"),
        datetimes=("given_at",),
        files=("evidence",),
        shown_on=lambda w: [reverse("consent:child", args=[w["child:child"].pk])],
    ),
    Form(
        "keyperson1",
        "consent:decision_create",
        lambda w: ([w["child:child"].pk], decision_form(w)),
        text=DECISION_TEXT,
    ),
    Form(
        "lead",
        "consent:emergency_share",
        lambda w: ([w["child:child"].pk], emergency_form(w)),
        text=(*DECISION_TEXT, "emergency_reason", "shared_what"),
        datetimes=("shared_at",),
    ),
    Form(
        "keyperson2",
        "consent:decision_shared",
        lambda w: (
            [_approved_decision(w).pk],
            {"shared_what": "The summary.", "shared_at": _now(), "shared_how": "phone"},
        ),
        text=("shared_what",),
        datetimes=("shared_at",),
    ),
    Form(
        "keyperson2",
        "consent:family_informed",
        lambda w: (
            [w["decision:other_child:keyperson2_referral"].pk],
            {"informed_at": _now(hours=-1), "how": "phone"},
        ),
        datetimes=("informed_at",),
    ),
    Form(
        "lead",
        "consent:family_not_informed",
        lambda w: (
            [w["decision:other_child:keyperson2_referral"].pk],
            {"reason": "It would put the child at risk."},
        ),
        text=("reason",),
    ),
    Form(
        "keyperson2",
        "consent:referral_acknowledged",
        lambda w: (
            [w["decision:other_child:keyperson2_referral"].pk],
            {"acknowledged_at": _now()},
        ),
        datetimes=("acknowledged_at",),
    ),
    Form(
        "keyperson2",
        "consent:referral_outcome",
        lambda w: (
            [_acknowledged(w).pk],
            {"outcome": "early_help", "outcome_at": _now(), "notes": "Offered."},
        ),
        text=("notes",),
        datetimes=("outcome_at",),
    ),
    Form(
        "lead",
        "admin:consent_sharingdecision_approve",
        lambda w: ([w["decision:child:practitioner"].pk], {"rationale": "Proportionate."}),
        text=("rationale",),
        shown_on=lambda w: [
            reverse(
                "admin:consent_sharingdecision_change", args=[w["decision:child:practitioner"].pk]
            ),
            reverse("consent:decision_detail", args=[w["decision:child:practitioner"].pk]),
        ],
    ),
    Form(
        "lead",
        "admin:consent_sharingdecision_decline",
        lambda w: ([w["decision:child:practitioner"].pk], {"rationale": "Not proportionate."}),
        text=("rationale",),
    ),
    # subject access
    Form(
        "lead",
        "access_requests:new",
        lambda w: ([], request_form(w)),
        text=("requester_name", "authority", "asked_for", "contact_email", "contact_address"),
        dates=("received_on",),
        shown_on=_sar_page,
    ),
    Form(
        "lead",
        "access_requests:ask_identity",
        lambda w: ([_received(w).pk], {"what": "Photo ID."}),
        text=("what",),
        shown_on=_sar_page,
    ),
    Form(
        "lead",
        "access_requests:identity",
        lambda w: (
            [_received(w).pk],
            {
                "method": "photo_id",
                "evidence_received_on": _today(),
                "confirmed_on": _today(),
                "note": "Passport seen.",
                "parental_responsibility": "on",
                "court_order_note": "",
            },
        ),
        text=("note", "court_order_note"),
        dates=("evidence_received_on", "confirmed_on"),
    ),
    Form(
        "lead",
        "access_requests:join",
        lambda w: _join(w),
        text=("note",),
        dates=("evidence_received_on", "confirmed_on"),
    ),
    Form(
        "lead",
        "access_requests:ask_consent",
        lambda w: (
            [w["sar:child"].pk],
            {"person_key": f"staff:{w.people.keyperson1.pk}"},
        ),
        text=("person_key",),
    ),
    Form(
        "lead",
        "access_requests:consent_reply",
        _consent_reply,
        text=("note",),
        dates=("replied_on",),
    ),
    Form(
        "lead",
        "access_requests:pause",
        lambda w: ([w["sar:child"].pk], {"asked": "Which years?", "started_on": _today()}),
        text=("asked",),
        dates=("started_on",),
        shown_on=lambda w: [reverse("access_requests:detail", args=[w["sar:child"].pk])],
    ),
    Form(
        "lead",
        "access_requests:resume",
        lambda w: ([_paused(w).pk], {"ended_on": _today()}),
        dates=("ended_on",),
    ),
    Form(
        "lead",
        "access_requests:extend",
        lambda w: ([w["sar:child"].pk], {"reason": "Numerous records."}),
        text=("reason",),
    ),
    Form(
        "lead",
        "access_requests:refuse",
        lambda w: ([w["sar:child"].pk], {"reason": "excessive", "explanation": "Repeated."}),
        text=("explanation",),
    ),
    Form(
        "lead",
        "access_requests:compile",
        lambda w: ([_confirmed(w).pk], {"other_searches": "The paper file."}),
        text=("other_searches",),
    ),
    Form(
        "lead",
        "access_requests:item",
        lambda w: (
            [w["sar:child"].pk, BundleItem.objects.get(request=w["sar:child"], kind="consent").pk],
            {**REVIEW, **PASSAGES},
        ),
        text=REVIEW_TEXT,
        shown_on=lambda w: [reverse("access_requests:detail", args=[w["sar:child"].pk])],
    ),
    Form(
        "lead",
        "access_requests:item",
        lambda w: _review_with_people(w),
        text=REVIEW_TEXT,
        name="access_requests:item (people named)",
    ),
    Form(
        "lead",
        "access_requests:check",
        lambda w: ([w["sar:submitted"].pk], {"accept": "no", "note": "Redact page 2."}),
        text=("note",),
    ),
    Form(
        "lead",
        "access_requests:mark_sent",
        lambda w: ([w["sar:released"].pk], {"how": "post"}),
    ),
    # accounts
    Form(
        "anonymous",
        "accounts:login",
        lambda w: ([], {"username": "keyperson2", "password": TEST_PASSWORD}),
        text=("username", "password"),
        counts_failures=SIGN_IN_FAILURES,
    ),
    Form(
        "unverified",
        "accounts:two_factor_verify",
        lambda w: (
            [],
            {"code": _two_factor_code(TOTPDevice.objects.get(user=w.people.keyperson1.user))},
        ),
        text=("code",),
        counts_failures=SIGN_IN_FAILURES,
    ),
    Form(
        "newcomer",
        "accounts:two_factor_enrol",
        lambda w: ([], {"code": w["_enrolment_code"]}),
        text=("code",),
        counts_failures=SIGN_IN_FAILURES | {"records_enrolmentcode"},
    ),
    Form(
        "newcomer",
        "accounts:two_factor_setup",
        _setup_code,
        text=("code",),
        ok=(200,),
        counts_failures=SIGN_IN_FAILURES | {"records_enrolmentcode"},
    ),
    Form(
        "keyperson1",
        "accounts:password_change",
        lambda w: (
            [],
            {
                "old_password": TEST_PASSWORD,
                "new_password1": "another-long-password-2",
                "new_password2": "another-long-password-2",
            },
        ),
        text=("old_password", "new_password1", "new_password2"),
    ),
    Form(
        "keyperson1",
        "accounts:backup_codes",
        lambda w: ([], {"password": TEST_PASSWORD}),
        text=("password",),
        ok=(200,),
        counts_failures=SIGN_IN_FAILURES,
    ),
]


def _from_the_group(w: World) -> dict[str, Any]:
    """The world's setting in a group with a second setting, where someone works already."""
    from records.models import SettingGroup

    from ..factories import make_setting, make_staff

    group = SettingGroup.objects.create(name="Example Group")
    here = w.people.lead.setting
    here.group = group
    here.save()
    other = make_setting("Otherside Nursery", group=group)
    make_staff("bankperson", Role.PRACTITIONER, setting=other, full_name="Bo Bank")
    return {
        "username": "bankperson",
        "role": Role.PRACTITIONER,
        "rooms": _pk(w.people.sunflower),
        "job_title": "Bank practitioner",
    }


# URL names that take no form of fields, and why.
NOT_A_FORM: dict[str, str] = {
    name: "a page to read (GET), or a download: no form"
    for name in (
        "lifecycle:queue",
        "lifecycle:certificate",
        "home:dashboard",
        "home:group_overview",
        "records:child_list",
        "records:child_detail",
        "records:child_contacts",
        "records:entry_detail",
        "records:attachment_download",
        "records:grant_list",
        "records:staff_list",
        "records:audit_child",
        "records:audit_log",
        "records:audit_export",
        "consent:child",
        "consent:disclosure_detail",
        "consent:carer",
        "consent:consent_evidence",
        "consent:decision_detail",
        "access_requests:list",
        "access_requests:detail",
        "access_requests:progress",
        "access_requests:draft",
        "access_requests:download",
        "access_requests:letter",
        "access_requests:link",
        "lifecycle:transfers",
        "lifecycle:transfer_copy",
        "lifecycle:rights_list",
        "governance:breaches",
        "governance:allegations",
        "safeguarding:triage",
        "safeguarding:actions",
        "safeguarding:notices",
        "safeguarding:reports",
        "safeguarding:evidence",
        "safeguarding:chronology_print",
        "safeguarding:chronology_print_download",
        "governance:privacy_notice",
        "governance:privacy_notice_pdf",
        "governance:record_of_processing",
        "governance:appropriate_policy",
        "records:my_records",
    )
}
NOT_A_FORM.update(
    {
        name: "a button with no field but the confirmation (includes/confirm.html)"
        for name in (
            "records:grant_revoke",
            "records:staff_deactivate",
            "records:staff_enrolment_code",
            "records:acting_lead_end",
            "access_requests:disclose_professionals",
            "access_requests:disclose_general",
            "access_requests:submit",
            "access_requests:render",
            "access_requests:approve",
            "access_requests:release",
            "access_requests:send_link",
            "access_requests:close",
            "accounts:logout",
            "lifecycle:review_now",
        )
    }
)
# Django's own admin pages (changelists, add and change forms of accounts, rooms, the setting,
# lockouts): not ours to fuzz. The sharing decision's approve and decline pages are ours: FORMS.
ADMIN = "otpadmin:"


def all_url_names() -> set[str]:
    names: set[str] = set()

    def walk(patterns: list[Any], namespace: str) -> None:
        for p in patterns:
            if isinstance(p, URLResolver):
                walk(p.url_patterns, f"{namespace}{p.namespace}:" if p.namespace else namespace)
            elif isinstance(p, URLPattern) and p.name:
                names.add(f"{namespace}{p.name}")

    walk(get_resolver().url_patterns, "")
    return names


def test_every_url_is_a_form_fuzzed_here_or_says_why_not():
    names = all_url_names()
    ours = {n for n in names if not n.startswith(ADMIN)}
    ours |= {"otpadmin:consent_sharingdecision_approve", "otpadmin:consent_sharingdecision_decline"}
    fuzzed = {
        f.url.replace("admin:", ADMIN, 1) if f.url.startswith("admin:") else f.url for f in FORMS
    }
    unknown = sorted(ours - fuzzed - set(NOT_A_FORM))
    assert not unknown, f"URLs neither fuzzed nor said to take no form: {unknown}"
    assert not (fuzzed & set(NOT_A_FORM))
    assert fuzzed <= names


# --- the world, and one post checked -------------------------------------------------------------


def build_form_world(people: Any) -> World:
    """The proofs' world, with a request waiting for its check and one released, and a newcomer
    who has an enrolment code and no two-factor device yet."""
    world = build_world(people)
    submitted = reviewed(people)
    sar_services.submit_for_check(sar=submitted, by=people.deputy.user)
    world.objects["sar:submitted"] = submitted
    done = approved(people, reviewed(people))
    sar_services.release_copy(sar=done, by=people.lead.user)
    world.objects["sar:released"] = done
    newcomer = make_staff("newcomer", Role.PRACTITIONER, rooms=[people.sunflower])
    world.objects["staff:newcomer"] = newcomer
    world.objects["_enrolment_code"] = account_services.reset_two_factor(
        newcomer.user, issued_by=people.lead.user, obj=newcomer
    )
    clients = {role: sign_in(Client(), world.user(role)) for role in ROLES}
    clients["anonymous"] = Client()
    clients["unverified"] = Client()
    clients["unverified"].force_login(people.keyperson1.user)
    clients["newcomer"] = Client()
    clients["newcomer"].force_login(newcomer.user)
    world.objects["_clients"] = clients
    return world


ERROR_MARKERS = ('class="error-summary"', 'class="errorlist', 'class="errornote"')


def _html(response: Any) -> str:
    if response.streaming or "html" not in response.get("Content-Type", ""):
        return ""
    return response.content.decode(errors="replace")


def _errors(html: str) -> str:
    """What the page says is wrong, in a line."""
    found = re.findall(
        r'class="(?:error-summary|errorlist[^"]*|errornote)"[^>]*>(.*?)</(?:div|ul|p)>', html, re.S
    )
    text = re.sub(r"<[^>]+>", " ", " ".join(found))
    return re.sub(r"\s+", " ", text).strip()[:300]


def _raw_markup(html: str) -> list[str]:
    return [m for m in RAW_MARKUP if m in html]


def _posted_ids(world: World, body: dict[str, Any]) -> list[tuple[str, Any]]:
    """The world's objects named by the values posted."""
    by_pk = {str(o.pk): (n, o) for n, o in world.objects.items() if hasattr(o, "pk")}
    found = []
    for value in body.values():
        for v in value if isinstance(value, list) else [value]:
            if isinstance(v, str) and v in by_pk:
                found.append(by_pk[v])
    return found


READ_KINDS = ("child", "entry", "disclosure", "consent", "decision")


@dataclass
class Poster:
    world: World
    log: list[str] = field(default_factory=list)

    def post(self, form: Form, replace: dict[str, Any], *, twice: bool = False) -> tuple[int, bool]:
        """Post the valid form with some fields replaced (``twice``: the valid form, then the same
        again, as a double click or a second tab would); check everything about the (last) post;
        return its status and whether it was accepted."""
        world = self.world
        client: Client = world["_clients"][form.role]
        cookies = copy.deepcopy(client.cookies)
        client.cookies.pop("messages", None)
        keys.clear_cache()
        sid = transaction.savepoint_create()
        try:
            args, body = form.setup(world)
            body.update(replace)
            body = {k: v for k, v in body.items() if v is not None}
            url = reverse(form.url, args=args)
            where = f"{form.key} as {form.role} with {_shown(replace)}"
            if twice:
                where = f"{form.key} as {form.role}, posted a second time"
                again = {k: _copy(v) for k, v in body.items()}
                first = client.post(url, body)
                assert first.status_code in form.ok, f"{where}: the first post gave {first}"
                client.cookies.pop("messages", None)
                body = again
            before = snapshot()
            # A second post may also be sent on elsewhere (to the next step, or with a message).
            ok = (*form.ok, 302) if twice else form.ok
            status, html, accepted = self._check(
                form, client, url, body, replace, before, where, ok
            )
        finally:
            transaction.savepoint_rollback(sid)
            client.cookies = cookies
        self.log.append(f"{form.key}: {status}{' accepted' if accepted else ''} {_errors(html)}")
        return status, accepted

    def _check(
        self,
        form: Form,
        client: Client,
        url: str,
        body: dict[str, Any],
        replace: dict[str, Any],
        before: Any,
        where: str,
        ok: tuple[int, ...],
    ) -> tuple[int, str, bool]:
        world = self.world
        try:
            response = client.post(url, body)
        except Exception as exc:  # the test client re-raises a view's exception: a 500
            raise AssertionError(f"{where}: server error {exc!r}") from exc
        status = response.status_code
        assert status < 500, f"{where}: {status}"
        html = _html(response)
        accepted = status in ok and not any(m in html for m in ERROR_MARKERS)
        pages = {url: html}
        if accepted:
            follow = [response["Location"]] if status == 302 else []
            follow = [page for page in follow if page.startswith("/")]
            for page in follow + form.shown_on(world):
                shown = client.get(page)
                assert shown.status_code < 500, f"{where}: {page} then gives {shown.status_code}"
                pages[page] = _html(shown)
            free = {*form.text, *form.dates, *form.datetimes, *form.files}
            chosen = {k: v for k, v in replace.items() if k not in free}
            for name, obj in _posted_ids(world, chosen):
                kind = name.split(":")[0]
                if kind in READ_KINDS and form.role in ROLES:
                    assert may_see(world, form.role, kind, obj), (
                        f"{where}: accepted {name}, which {form.role} may not see"
                    )
        else:
            after = snapshot(before.audit_max)
            changed = set(changed_tables(before, after)) - form.counts_failures
            assert status in (200, 400), f"{where}: refused with {status}"
            assert any(m in html for m in ERROR_MARKERS), f"{where}: refused without saying why"
            assert not changed, f"{where}: refused, yet rows changed in {sorted(changed)}"
            written = [e for e in new_audit_entries(before) if e.action != LogEntry.Action.ACCESS]
            assert not written, f"{where}: refused, yet the audit log records changes {written}"
        for page, text in pages.items():
            raw = _raw_markup(text)
            assert not raw, f"{where}: {page} shows {raw} unescaped"
        return status, html, accepted


def _copy(value: Any) -> Any:
    """The same again: a file is read once."""
    if isinstance(value, SimpleUploadedFile):
        content = value.read()
        value.seek(0)
        return SimpleUploadedFile(value.name or "", content, content_type=value.content_type or "")
    return value


def _shown(replace: dict[str, Any]) -> str:
    def short(v: Any) -> str:
        if isinstance(v, SimpleUploadedFile):
            return f"<file {v.name!r}>"
        text = repr(v)
        return text if len(text) < 80 else text[:60] + f"...({len(text)} chars)"

    return "{" + ", ".join(f"{k}: {short(v)}" for k, v in replace.items()) + "}"


@pytest.fixture
def form_world(people) -> World:
    return build_form_world(people)


def test_every_form_accepts_its_valid_post(form_world):
    """The valid form of each target is accepted as it is: the fuzzing below starts from a form
    that works, so a refusal is the hostile value's doing."""
    poster = Poster(form_world)
    refused = []
    for form in FORMS:
        try:
            _, accepted = poster.post(form, {})
        except AssertionError as exc:
            refused.append(str(exc).split("\n")[0])
            continue
        if not accepted:
            refused.append(f"{form.key}: the valid form was refused: {poster.log[-1]}")
    assert not refused, "\n".join(refused)


def test_every_form_posted_twice_is_taken_or_refused_with_a_reason(form_world):
    """A double click, a second tab, a colleague doing the same at the same moment: the second
    post of a valid form is accepted again or refused with a message, never a server error and
    never a silent page."""
    poster = Poster(form_world)
    failures = []
    for form in FORMS:
        try:
            poster.post(form, {}, twice=True)
        except AssertionError as exc:
            failures.append(str(exc).split("\n")[0])
    assert not failures, "\n".join(failures)


def base_of(world: World, form: Form) -> dict[str, Any]:
    """The valid form, made and then undone (its setup may change the database and a session)."""
    clients = world["_clients"]
    cookies = {role: copy.deepcopy(c.cookies) for role, c in clients.items()}
    sid = transaction.savepoint_create()
    try:
        return form.setup(world)[1]
    finally:
        transaction.savepoint_rollback(sid)
        for role, client in clients.items():
            client.cookies = cookies[role]


def _every_field(form: Form, base: dict[str, Any], value: Any) -> dict[str, Any]:
    return {name: value for name in form.fields(base) if name not in form.files}


def test_every_form_survives_the_worst_of_the_corpus(form_world):
    """Each form once with each of: every free-text field holding markup and script (kept, then
    shown escaped), every field holding a NUL, every field 10,000 characters long, every date the
    far future and the year 1, every file hostile."""
    poster = Poster(form_world)
    failures = []
    for form in FORMS:
        base = base_of(form_world, form)
        variants: list[dict[str, Any]] = [
            {name: f"{SCRIPT} {IMG}" for name in form.text},
            _every_field(form, base, "a\x00b"),
            _every_field(form, base, "A" * 10_000),
            {name: "9999-12-31" for name in form.dates}
            | {name: "9999-12-31T23:59" for name in form.datetimes},
            {name: "0001-01-01" for name in form.dates}
            | {name: "0001-01-01T00:00" for name in form.datetimes},
        ]
        for n, _file in enumerate(_files()):
            if form.files:
                variants.append({name: _files()[n] for name in form.files})
        for replace in variants:
            if not replace:
                continue
            try:
                poster.post(form, replace)
            except AssertionError as exc:
                failures.append(str(exc).split("\n")[0])
    assert not failures, "\n".join(failures)


def test_hostile_values_in_any_field_of_any_form(form_world):
    poster = Poster(form_world)

    @PROOF_SETTINGS
    @given(st.data())
    def hostile(data: st.DataObject) -> None:
        form = data.draw(st.sampled_from(FORMS), label="form")
        base = base_of(form_world, form)
        names = data.draw(
            st.lists(st.sampled_from(form.fields(base)), min_size=1, max_size=4, unique=True),
            label="fields",
        )
        ids = [str(o.pk) for o in form_world.objects.values() if hasattr(o, "pk")]
        replace: dict[str, Any] = {}
        for name in names:
            if name in form.files:
                replace[name] = data.draw(st.sampled_from(_files()), label=name)
                continue
            one = st.one_of(
                _text_values(),
                st.sampled_from(DATES if name in form.dates else DATETIMES),
                st.sampled_from(ids),
                st.just(str(uuid.uuid4())),
            )
            if name in form.dates or name in form.datetimes:
                one = st.one_of(st.sampled_from(DATES + DATETIMES), one)
            replace[name] = data.draw(
                st.one_of(one, st.lists(one, min_size=2, max_size=3)), label=name
            )
        poster.post(form, replace)

    hostile()


# --- the search and filter forms (GET) -----------------------------------------------------------

# Pages whose forms are sent by GET (search, filters), by someone who may use them; each field is
# found on the page itself, so a filter added later is fuzzed too. Query parameters read outside
# a form (the list of requests filtered by child, a decision superseding another) are named here.
SEARCH_PAGES: list[tuple[str, str, Callable[[World], list[Any]], tuple[str, ...]]] = [
    ("lead", "records:child_list", lambda w: [], ("page",)),
    ("keyperson1", "records:child_list", lambda w: [], ()),
    ("lead", "access_requests:list", lambda w: [], ("child", "show")),
    ("office", "access_requests:new", lambda w: [], ("child",)),
    ("lead", "records:audit_log", lambda w: [], ("page",)),
    ("lead", "records:audit_child", lambda w: [w["child:child"].pk], ("page",)),
    ("keyperson1", "consent:decision_create", lambda w: [w["child:child"].pk], ("supersedes",)),
    ("trustee", "safeguarding:reports", lambda w: [], ()),
    ("lead", "safeguarding:evidence", lambda w: [], ()),
]


def _get_form_fields(html: str) -> list[str]:
    names: set[str] = set()
    for form in re.findall(r"<form\b[^>]*>.*?</form>", html, re.S | re.I):
        head = form[: form.index(">")]
        if "post" in head.lower():
            continue
        names |= set(re.findall(r'name="([^"]+)"', form))
    return sorted(names - {"csrfmiddlewaretoken"})


def test_search_and_filter_forms_with_hostile_values(form_world):
    """No server error, and nothing of the query shown back unescaped, whatever is searched."""
    world = form_world
    pages = []
    for role, name, args, extra in SEARCH_PAGES:
        client = world["_clients"][role]
        url = reverse(name, args=args(world))
        fields = sorted({*_get_form_fields(_html(client.get(url))), *extra})
        assert fields, f"{name} has no search field"
        pages.append((client, url, fields))
    ids = [str(o.pk) for o in world.objects.values() if hasattr(o, "pk")]

    def check(client: Client, url: str, query: dict[str, Any]) -> None:
        where = f"GET {url} {_shown(query)}"
        try:
            response = client.get(url, query)
        except Exception as exc:
            raise AssertionError(f"{where}: server error {exc!r}") from exc
        assert response.status_code < 500, f"{where}: {response.status_code}"
        assert not _raw_markup(_html(response)), f"{where}: shows the query unescaped"

    failures = []
    for client, url, fields in pages:
        for value in ("a\x00b", f"{SCRIPT}{IMG}", "99999999999999999999", "9999-12-31"):
            try:
                check(client, url, dict.fromkeys(fields, value))
            except AssertionError as exc:
                failures.append(str(exc).split("\n")[0])
    assert not failures, "\n".join(failures)

    @PROOF_SETTINGS
    @given(st.data())
    def hostile(data: st.DataObject) -> None:
        client, url, fields = data.draw(st.sampled_from(pages), label="page")
        names = data.draw(st.lists(st.sampled_from(fields), min_size=1, unique=True))
        one = st.one_of(_text_values(), st.sampled_from(DATES + DATETIMES), st.sampled_from(ids))
        check(client, url, {n: data.draw(st.one_of(one, st.lists(one, min_size=2))) for n in names})

    hostile()


# --- the subject-access PDF ----------------------------------------------------------------------

HOSTILE_ENTRY = (
    f"Said {SCRIPT} then {IMG} and =cmd|' /C calc'!A0 and "
    "<a href='javascript:alert(1)'>here</a> \u202eevil\u202c done."
)


def _pdf_actions(pdf: pikepdf.Pdf) -> list[str]:
    """Any script or action the PDF would run: JavaScript anywhere, an action on opening, on a
    page or a field, a launch."""
    found = []
    root = pdf.Root
    for key in ("/OpenAction", "/AA"):
        if key in root:
            found.append(f"catalogue {key}")
    if "/Names" in root and "/JavaScript" in root.Names:
        found.append("catalogue /Names /JavaScript")
    for obj in pdf.objects:
        if isinstance(obj, pikepdf.Dictionary):
            for key in ("/JS", "/JavaScript", "/Launch", "/AA"):
                if key in obj:
                    found.append(f"object with {key}")
            if obj.get("/S") in (pikepdf.Name.JavaScript, pikepdf.Name.Launch):
                found.append(f"action {obj.get('/S')}")
            if "javascript:" in str(obj.get("/URI", "")).lower():
                found.append("a javascript: link")
    return found


def test_a_hostile_entry_is_text_in_the_released_pdf(people, client_for):
    """An entry and its amendment with markup and script, accepted by the forms, are compiled, reviewed, checked,
    rendered, approved and released: in the PDF the parent receives it is text, and the PDF runs
    nothing."""
    child = people.child
    response = client_for("keyperson1").post(
        reverse("records:entry_create", args=[child.pk]),
        {"category": "general", "occurred_at": _now(hours=-1), "text": HOSTILE_ENTRY},
    )
    assert response.status_code == 302
    entry = RecordEntry.objects.get(child=child)
    response = client_for("keyperson1").post(
        reverse("records:entry_amend", args=[entry.pk]),
        {"text": f"Amended: {IMG}", "reason": f"Because {SCRIPT}"},
    )
    assert response.status_code == 302
    page = client_for("keyperson1").get(reverse("records:child_detail", args=[child.pk]))
    assert not _raw_markup(page.content.decode())
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page.content.decode()
    release, password = released(people, reviewed(people))
    reader = PdfReader(io.BytesIO(release.pdf))
    assert reader.decrypt(password)
    text = re.sub(r"\s+", " ", "\n".join(p.extract_text() for p in reader.pages))
    pieces = (SCRIPT, IMG, "=cmd|' /C calc'!A0", "<a href='javascript:alert(1)'>here</a>")
    for piece in (*pieces, f"Amended: {IMG}"):
        assert piece in text, f"{piece!r} is not in the PDF as text"
    with pikepdf.open(io.BytesIO(release.pdf), password=password) as pdf:
        assert not _pdf_actions(pdf)
