"""IDOR by property: for every URL that takes an id, the id of an object the person may not see
gets the same 404 as an id that names nothing, and a POST with it changes nothing.

"May not see" is decided here by rules typed out from DESIGN.md's permission table and its edge
rules (`may_see`), never by asking the application's policy. The world (tests/proof/objects.py)
holds something at every level for both children, of two families and two rooms, with a live
grant, an ended one, a revoked one and an ended break-glass opening, so "other children's, other
rooms', higher levels, other families', other requests'" all occur. Where a URL takes two ids
(a request and its item, letter or consent letter; a child and its carer), an item of another
request, or a carer of another child, under an id the person may use, is hidden too.

What "the same" means, for a hidden object H and an id R that names nothing, the request made
by the same signed-in person with R in H's place:
- the same status (404 for the application's pages; the admin screen answers as Django's admin
  does, a redirect or a 403, and the same for both) and the same page, once the CSRF token, the
  CSP nonce and the ids themselves are masked;
- no row of any table changes, GET or POST (every table is read before and after: its number of
  rows and a digest of every row), except the session's own row, which records when it was last
  used;
- the audit log only grows, and by the same entries as for R, apart from "refused" events. Those
  are expected: DESIGN.md asks that every refusal be audited, so a refusal names H and the person,
  and for record content (entries, attachments, disclosures, consent records, sharing decisions)
  one is required. Nobody else reads the audit log's refusals but the Lead and the Deputy, so the
  difference tells the person nothing.

Choices for a bounded run: the world is built once per test function (the examples share it) and
each example runs inside a savepoint that is rolled back, so every example meets the same world.
`test_every_id_taking_url_refuses_a_hidden_object` goes through every (URL, person, method) once
(so none is left untested by chance); `test_hidden_objects_get_the_same_404_as_random_ids` draws
(person, URL, object, method) from every hidden combination, EXAMPLES times. A child who has
left is hidden from their room and key person (`test_a_child_who_left_...`), checked apart.
"""

from __future__ import annotations

import hashlib
import re
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pytest
from auditlog.models import LogEntry
from django.db import connection, transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core import keys
from records.models import Child, Level

from ..conftest import sign_in
from . import EXAMPLES
from .objects import (
    PRACTITIONERS,
    ROLES,
    ROOMS,
    TRUSTEE_ROLES,
    World,
    build_world,
    decision_body,
    emergency_body,
)

pytestmark = pytest.mark.heavy

PROOF_SETTINGS = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

# --- who may see what: typed from DESIGN.md, never computed from a policy module ---------------


def _is_author(world: World, role: str, obj: Any) -> bool:
    staff = world.staff(role)
    return staff is not None and obj.author_id == staff.pk


def _works_with(world: World, role: str, child: Child) -> bool:
    """Key person, or working in the child's room ("own + room")."""
    staff = world.staff(role)
    if role not in PRACTITIONERS or staff is None:
        return False
    return child.key_person_id == staff.pk or child.room.name == ROOMS[role]


def _grant_level(world: World, role: str, child: Child) -> int:
    """The highest level of this person's live grant for the child (0: none)."""
    name = world.child_name(child)
    return max((lvl for who, c, lvl in world.live_grants if who == role and c == name), default=0)


def _broke_glass(world: World, role: str, child: Child) -> bool:
    return (role, world.child_name(child)) in world.live_break_glass


def sees_child(world: World, role: str, child: Child) -> bool:
    """The table's "child's name, room, register": Lead, Deputy, office all; key person own + room;
    practitioner room; a grant lists the child; an author reads what they wrote (so knows whom
    it is about); IT none."""
    if role in ("lead", "deputy", "office"):
        return True
    if role not in PRACTITIONERS:
        return False
    staff = world.staff(role)
    wrote = any(
        o.author_id == staff.pk
        for n, o in world.of_kind("entry")
        if o.child_id == child.pk and staff is not None
    )
    return (
        _works_with(world, role, child)
        or _grant_level(world, role, child) > 0
        or _broke_glass(world, role, child)
        or wrote
    )


def reads(world: World, role: str, obj: Any) -> bool:
    """Record content about a child at a level (entries, and disclosures and consent records like
    them): general "own + room"; sensitive "own" (the key person); child protection Lead and
    Deputy; anyone else through a grant up to that level, or break-glass; authors read what they
    wrote; the office and IT read none. An entry restricted at a parent's request (Article 18):
    the Lead alone."""
    if getattr(obj, "restricted_at", None) is not None:
        return role == "lead"
    staff = world.staff(role)
    if getattr(obj, "hidden_from_id", None) is not None and (
        staff is None or obj.hidden_from_id == staff.pk
    ):
        # An allegation's placeholder: never the person accused, whatever their role.
        return False
    if role in ("lead", "deputy"):
        return True
    if role not in PRACTITIONERS:
        return False
    child = obj.child
    staff = world.staff(role)
    assert staff is not None
    if _is_author(world, role, obj) or _broke_glass(world, role, child):
        return True
    if _grant_level(world, role, child) >= obj.level:
        return True
    if obj.level == Level.GENERAL:
        return _works_with(world, role, child)
    if obj.level == Level.SENSITIVE:
        return child.key_person_id == staff.pk
    return False


def sees_decision(world: World, role: str, decision: Any) -> bool:
    """The edge rule "Proposers always see their own proposals and sharing decisions; other
    child-protection-level decisions stay with the Lead and Deputy"; otherwise as record
    content."""
    if role in ("lead", "deputy") or _is_author(world, role, decision):
        return True
    if decision.level >= Level.CHILD_PROTECTION:
        return False
    return reads(world, role, decision)


def sees_carer_consent(world: World, role: str, carer: Any) -> bool:
    """A carer's consent ledger is record content (not the office's, not IT's) about the carer's
    children and family."""
    if role in ("office", "it_admin"):
        return False
    children = list(carer.children.all()) + list(carer.family.children.all())
    return any(sees_child(world, role, c) for c in children)


def sees_request(world: World, role: str, sar: Any) -> bool:
    """Subject access beyond its arrival: Lead and Deputy; a member of staff's request is the
    Lead's alone; the Lead's own is the safeguarding trustee's (who sees no other)."""
    about = {sar.requester_staff_id, sar.staff_subject_id} - {None}
    if role == "trustee":
        return world.people.lead.pk in about
    if role == "lead":
        return world.people.lead.pk not in about
    if role == "deputy":
        return not about
    return False


def sees_allegation(world: World, role: str, allegation: Any) -> bool:
    """Only whoever handles it: the Lead, unless the Lead is accused; then the safeguarding
    trustee and the chair. Never the person accused, nor the person who recorded it."""
    staff = world.staff(role)
    if staff is None or allegation.accused_id == staff.pk:
        return False
    if allegation.accused_id == world.people.lead.pk:
        return role in ("trustee", "chair")
    return role == "lead"


def may_see(world: World, role: str, kind: str, obj: Any) -> bool:
    """Whether this person may know that this object exists, by kind."""
    if kind == "child":
        return sees_child(world, role, obj)
    if kind in ("entry", "disclosure", "consent"):
        return reads(world, role, obj)
    if kind == "attachment":
        return reads(world, role, obj.entry)
    if kind == "decision":
        return sees_decision(world, role, obj)
    if kind == "carer":
        return sees_carer_consent(world, role, obj)
    if kind in ("grant", "break_glass"):
        return role in ("lead", "deputy")  # "give / revoke grants"; break-glass reviewed by them
    if kind == "staff":
        # "staff accounts and roles": the Lead's, except the trustees' (added by the IT
        # administrator: the safeguarding trustee handles an allegation against the Lead).
        return role == "lead" and obj.role not in TRUSTEE_ROLES
    if kind == "staff_record":
        return role == "lead"  # "confidential staff records: all"
    if kind == "acting":
        return role in ("lead", "trustee")  # the Lead, or the safeguarding trustee, appoints
    if kind == "allegation":
        return sees_allegation(world, role, obj)
    if kind == "action":
        # Follow-up actions: the Lead and the Deputy; anyone else their own, while they may read
        # the entry it hangs on.
        staff = world.staff(role)
        own = staff is not None and obj.assignee_id == staff.pk
        return (role in ("lead", "deputy") or own) and reads(world, role, obj.entry)
    if kind == "notice":
        # What Ofsted must hear: the Lead and the Deputy.
        return role in ("lead", "deputy") and reads(world, role, obj.entry)
    if kind == "alert":
        # The triage queue: the Lead and the Deputy, for entries they read.
        return role in ("lead", "deputy") and reads(world, role, obj.entry)
    if kind == "print":
        # A chronology PDF: only the person who asked for it, while they may print the child's
        # chronology (the Lead, the Deputy, the child's key person).
        staff = world.staff(role)
        if staff is None or obj.requested_by_id != staff.pk:
            return False
        return role in ("lead", "deputy") or obj.child.key_person_id == staff.pk
    if kind == "sar":
        return sees_request(world, role, obj)
    if kind in ("breach", "policy"):
        # The breach log and the policy register: kept by the Lead and Deputy, read by trustees.
        return role in ("lead", "deputy", "trustee", "chair")
    if kind in ("destruction", "transfer", "rights"):
        # "the destruction queue and its certificates"; "transfers: their list and clock"
        return role in ("lead", "deputy")
    raise AssertionError(f"no rule for {kind}")


# --- every URL that takes an id, and how to fill it ---------------------------------------------


def _now(days: int = 0) -> str:
    return (timezone.localtime() + timedelta(days=days)).strftime("%Y-%m-%dT%H:%M")


def _today() -> str:
    return timezone.localdate().isoformat()


@dataclass(frozen=True)
class Target:
    """What a URL's ids name (``kinds``: its parameters in order), whether it answers GET, and
    a plausible form for a POST (what someone allowed would send)."""

    kinds: tuple[str, ...]
    get: bool = True
    body: Callable[[World], dict[str, Any]] = lambda w: {}
    # The admin screen answers someone who may not be there as Django's admin does.
    admin: bool = False


def _child_body(w: World) -> dict[str, Any]:
    p = w.people
    return {
        "first_name": "Robin",
        "last_name": "Examplechild",
        "date_of_birth": "2022-05-01",
        "started_on": "2025-09-01",
        "room": p.sunflower.pk,
        "key_person": p.keyperson1.pk,
        "family": p.child.family_id,
    }


CARER = {"full_name": "Alex Example", "relationship": "father", "parental_responsibility": "yes"}
CARER["phone"] = "01632 960001"
ENTRY = {"category": "general", "occurred_at": "", "text": "Painted a rainbow."}


def _entry_body(w: World) -> dict[str, Any]:
    return {**ENTRY, "occurred_at": _now()}


def _grant_body(w: World) -> dict[str, Any]:
    return {
        "grantee": w.people.practitioner.pk,
        "level": "3",
        "reason": "Needs to know.",
        "ends_at": _now(3),
    }


def _emergency_body(w: World) -> dict[str, Any]:
    return emergency_body(decision_body(w), shared_at=_now())


def _disclosure_body(w: World) -> dict[str, Any]:
    return {
        "discloser_kind": "professional",
        "discloser_name": "The health visitor",
        "disclosed_at": _now(),
        "what": "The family has moved house.",
        "confidentiality": "no",
        "subject_confidentiality": "not_asked",
    }


def _with_prefix(prefix: str, body: dict[str, Any]) -> dict[str, Any]:
    return {f"{prefix}-{k}": v for k, v in body.items()}


def _entry_with_disclosure_body(w: World) -> dict[str, Any]:
    disclosure = _disclosure_body(w)
    del disclosure["what"]
    return {**_with_prefix("entry", _entry_body(w)), **_with_prefix("disclosure", disclosure)}


def _consent_body(w: World) -> dict[str, Any]:
    return {
        "child": w.people.child.pk,
        "kind": "share",
        "purpose": "health_visitor",
        "status": "given",
        "how": "written",
        "given_at": _now(),
    }


def _file(name: str = "scan.png") -> Any:
    from django.core.files.uploadedfile import SimpleUploadedFile

    from ..factories import a_png

    return SimpleUploadedFile(name, a_png(), content_type="image/png")


CONFIRM = {"confirm": "yes"}
RATIONALE = {"rationale": "Proportionate, and the family agreed."}
CHILD_PAGE = ("child",)
SAR = ("sar",)

TARGETS: dict[str, Target] = {
    # records: a child's pages
    "records:child_detail": Target(CHILD_PAGE),
    "records:child_edit": Target(CHILD_PAGE, body=_child_body),
    "records:child_contacts": Target(CHILD_PAGE),
    "records:child_flags": Target(
        CHILD_PAGE,
        body=lambda w: {
            "step": "add",
            "kind": "eal",
            "detail": "Polish at home.",
            "started_on": timezone.localdate().isoformat(),
        },
    ),
    "records:carer_create": Target(CHILD_PAGE, body=lambda w: dict(CARER)),
    "records:carer_edit": Target(("child", "carer_of_child"), body=lambda w: dict(CARER)),
    "records:entry_create": Target(CHILD_PAGE, body=_entry_body),
    "records:grant_create": Target(CHILD_PAGE, body=_grant_body),
    "records:break_glass_open": Target(CHILD_PAGE, body=lambda w: {"reason": "Child at risk."}),
    "records:audit_child": Target(CHILD_PAGE),
    "records:child_leaving": Target(
        CHILD_PAGE,
        body=lambda w: {
            "step": "leaving",
            "left_on": timezone.localdate().isoformat(),
            "destination_kind": "home",
            "destination": "",
            "reason": "moved_away",
        },
    ),
    # records: entries and attachments
    "records:entry_detail": Target(("entry",)),
    "records:entry_amend": Target(("entry",), body=lambda w: {"text": "Also:", "reason": "Why."}),
    "records:attachment_add": Target(("entry",), get=False, body=lambda w: {"attachment": _file()}),
    "records:entry_informed": Target(
        ("entry",), get=False, body=lambda w: {"informed_at": _now(), "how": "phone"}
    ),
    "records:entry_not_informed": Target(
        ("entry",), get=False, body=lambda w: {"reason": "It would put the child at risk."}
    ),
    "records:attachment_download": Target(("attachment",)),
    # records: grants, break-glass, staff, acting Lead
    "records:grant_revoke": Target(("grant",), get=False, body=lambda w: dict(CONFIRM)),
    "records:break_glass_review": Target(("break_glass",), body=lambda w: {"note": "Reviewed."}),
    "records:staff_edit": Target(
        ("staff",), body=lambda w: {"full_name": "A New Name", "role": "practitioner"}
    ),
    "records:staff_deactivate": Target(("staff",), get=False, body=lambda w: dict(CONFIRM)),
    "records:staff_enrolment_code": Target(("staff",), get=False),
    "records:staff_records": Target(
        ("staff",),
        body=lambda w: {"kind": "supervision", "occurred_on": _today(), "text": "Notes."},
    ),
    "records:acting_lead_end": Target(("acting",), get=False, body=lambda w: dict(CONFIRM)),
    # consent
    "consent:child": Target(CHILD_PAGE),
    "consent:disclosure_create": Target(CHILD_PAGE, body=_disclosure_body),
    "consent:entry_with_disclosure": Target(CHILD_PAGE, body=_entry_with_disclosure_body),
    "consent:decision_create": Target(CHILD_PAGE, body=decision_body),
    "consent:emergency_share": Target(CHILD_PAGE, body=_emergency_body),
    "consent:disclosure_detail": Target(("disclosure",)),
    "consent:disclosure_confidentiality": Target(
        ("disclosure",), body=lambda w: {"confidentiality": "yes"}
    ),
    "consent:carer": Target(("carer",)),
    "consent:consent_create": Target(("carer",), body=_consent_body),
    "consent:consent_evidence": Target(("consent",)),
    "consent:decision_detail": Target(("decision",)),
    "consent:decision_shared": Target(
        ("decision",),
        get=False,
        body=lambda w: {"shared_what": "The form.", "shared_at": _now(), "shared_how": "phone"},
    ),
    "consent:family_informed": Target(
        ("decision",), get=False, body=lambda w: {"informed_at": _now(), "how": "phone"}
    ),
    "consent:family_not_informed": Target(
        ("decision",), get=False, body=lambda w: {"reason": "It would put the child at risk."}
    ),
    "consent:referral_acknowledged": Target(
        ("decision",), get=False, body=lambda w: {"acknowledged_at": _now()}
    ),
    "consent:referral_outcome": Target(
        ("decision",),
        get=False,
        body=lambda w: {"outcome": "early_help", "outcome_at": _now(), "notes": "Offered."},
    ),
    # subject access
    "access_requests:detail": Target(SAR),
    "access_requests:ask_identity": Target(SAR, get=False, body=lambda w: {"what": "Photo ID."}),
    "access_requests:identity": Target(
        SAR,
        get=False,
        body=lambda w: {
            "method": "photo_id",
            "evidence_received_on": _today(),
            "confirmed_on": _today(),
            "parental_responsibility": "on",
        },
    ),
    "access_requests:join": Target(
        SAR,
        get=False,
        body=lambda w: {
            "carer": w["carer:child"].pk,
            "method": "known",
            "confirmed_on": _today(),
        },
    ),
    "access_requests:ask_consent": Target(
        SAR, get=False, body=lambda w: {"person_key": "name:test"}
    ),
    "access_requests:consent_reply": Target(
        ("sar", "ask_of_sar"),
        get=False,
        body=lambda w: {"answer": "yes", "replied_on": _today()},
    ),
    "access_requests:pause": Target(
        SAR, get=False, body=lambda w: {"asked": "Which years?", "started_on": _today()}
    ),
    "access_requests:resume": Target(SAR, get=False, body=lambda w: {"ended_on": _today()}),
    "access_requests:extend": Target(SAR, get=False, body=lambda w: {"reason": "Numerous."}),
    "access_requests:refuse": Target(
        SAR, get=False, body=lambda w: {"reason": "excessive", "explanation": "Repeated."}
    ),
    "access_requests:compile": Target(SAR, get=False, body=lambda w: {"other_searches": ""}),
    "access_requests:item": Target(
        ("sar", "item_of_sar"), body=lambda w: {"decision": "disclose", "note": "Fine."}
    ),
    "access_requests:disclose_professionals": Target(SAR, get=False),
    "access_requests:disclose_general": Target(SAR, get=False, body=lambda w: dict(CONFIRM)),
    "access_requests:submit": Target(SAR, get=False),
    "access_requests:check": Target(SAR, get=False, body=lambda w: {"accept": "yes"}),
    "access_requests:render": Target(SAR, get=False),
    "access_requests:progress": Target(SAR),
    "access_requests:draft": Target(SAR),
    "access_requests:approve": Target(SAR, get=False),
    "access_requests:release": Target(SAR, get=False),
    "access_requests:download": Target(SAR),
    "access_requests:send_link": Target(SAR, get=False),
    "access_requests:mark_sent": Target(SAR, get=False, body=lambda w: {"how": "post"}),
    "access_requests:close": Target(SAR, get=False),
    "access_requests:letter": Target(("sar", "letter_of_sar")),
    # a record's end
    "lifecycle:detail": Target(
        ("destruction",), body=lambda w: {"step": "cancel", "cancel_reason": "Still needed."}
    ),
    "lifecycle:certificate": Target(("destruction",)),
    "lifecycle:transfer_start": Target(
        CHILD_PAGE,
        body=lambda w: {
            "receiving_setting": "Exampletown Primary",
            "dsl_name": "Dana Safeguard",
            "dsl_email": "dsl@example.test",
        },
    ),
    "lifecycle:transfer": Target(
        ("transfer",),
        body=lambda w: {"step": "cover", "professionals": "Health visitor", "current_plan": ""},
    ),
    "lifecycle:transfer_copy": Target(("transfer",)),
    "lifecycle:rights_new": Target(
        CHILD_PAGE,
        body=lambda w: {
            "kind": "objection",
            "requester": w["carer:child"].pk,
            "received_on": _today(),
            "statement": "Please stop the photos.",
        },
    ),
    "governance:policy": Target(
        ("policy",),
        body=lambda w: {
            "text": "Reviewed.",
            "adopted_on": _today(),
            "approved_by": "The chair",
        },
    ),
    "governance:breach": Target(
        ("breach",), body=lambda w: {"step": "close", "actions": "Registers are locked away."}
    ),
    "lifecycle:rights": Target(("rights",), body=lambda w: {"step": "letter", "sent_on": _today()}),
    "safeguarding:notice": Target(("notice",), body=lambda w: {"agencies_apply": "no"}),
    "safeguarding:action": Target(("action",), body=lambda w: {"note": "Spoke to mum."}),
    "safeguarding:decision_actions": Target(
        ("decision",),
        body=lambda w: {
            "what": "Chase the duty team.",
            "assignee": w.people.deputy.pk,
            "due_on": _today(),
        },
    ),
    "safeguarding:print_chronology": Target(CHILD_PAGE, body=lambda w: {"significant": "on"}),
    "safeguarding:chronology_print": Target(("print",)),
    "safeguarding:chronology_print_download": Target(("print",)),
    "safeguarding:triage_item": Target(
        ("alert",), body=lambda w: {"next_step": "monitor", "reason": "Watch at drop-off."}
    ),
    "governance:allegation": Target(
        ("allegation",),
        body=lambda w: {"step": "lado", "referred_at": _now(), "advice": "Investigate."},
    ),
    # The Lead's approval in the admin screen (uuid ids), and the decision's own admin pages
    # (Django's `path` converter, which takes a uuid too).
    "otpadmin:consent_sharingdecision_approve": Target(
        ("decision_approval",), admin=True, body=lambda w: dict(RATIONALE)
    ),
    "otpadmin:consent_sharingdecision_decline": Target(
        ("decision_approval",), admin=True, body=lambda w: dict(RATIONALE)
    ),
    "otpadmin:consent_sharingdecision_change": Target(("decision_admin",), admin=True),
    "otpadmin:consent_sharingdecision_history": Target(("decision_admin",), admin=True),
    "otpadmin:consent_sharingdecision_delete": Target(("decision_admin",), admin=True),
    "route:admin/consent/sharingdecision/<path:object_id>/": Target(
        ("decision_admin",), admin=True
    ),
}

# URLs with a parameter that names no record a person may or may not see, and why.
_ADMIN_ONLY_FOR_ACCOUNTS = (
    "accounts and settings in the admin screen, for the IT administrator and the Lead: they name "
    "no child, family, entry or request (tests/records/test_admin.py)"
)
NOT_ABOUT_RECORDS: dict[str, str] = {
    "lifecycle:transfer_link": (
        "the receiving DSL's one-time link: a random token, not an id (tests/lifecycle/"
        "test_transfer.py tries used and unknown tokens)"
    ),
    "access_requests:link": (
        "the requester's one-time link: a random token, not an id (tests/access_requests/"
        "test_delivery.py tries wrong, used and expired tokens)"
    ),
    "otpadmin:view_on_site": "Django's admin redirect to an object's page: no model has one",
    **{
        f"otpadmin:{model}_{view}": _ADMIN_ONLY_FOR_ACCOUNTS
        for model in (
            "auth_group",
            "auth_user",
            "axes_accessattempt",
            "axes_accessfailurelog",
            "axes_accesslog",
            "records_room",
            "records_setting",
            "records_settinggroup",
            "records_grouprole",
        )
        for view in ("change", "delete", "history")
    },
    "otpadmin:auth_user_password_change": _ADMIN_ONLY_FOR_ACCOUNTS,
    **{
        f"route:admin/{model}/<path:object_id>/": _ADMIN_ONLY_FOR_ACCOUNTS
        for model in (
            "auth/group",
            "auth/user",
            "axes/accessattempt",
            "axes/accessfailurelog",
            "axes/accesslog",
            "records/room",
            "records/setting",
            "records/settinggroup",
            "records/grouprole",
        )
    },
}

ID_CONVERTERS = ("UUIDConverter", "IntConverter")


@dataclass(frozen=True)
class Pattern:
    key: str  # "namespace:name", or "route:<route>" for a pattern without a name
    route: str
    params: tuple[str, ...]
    converters: tuple[str, ...]


def url_patterns_with_parameters() -> list[Pattern]:
    """Every URL pattern of the project that takes a parameter, with its full route."""
    found: list[Pattern] = []

    def walk(patterns: list[Any], namespace: str, prefix: str) -> None:
        for p in patterns:
            if isinstance(p, URLResolver):
                ns = f"{namespace}{p.namespace}:" if p.namespace else namespace
                walk(p.url_patterns, ns, prefix + str(p.pattern))
            elif isinstance(p, URLPattern):
                converters = getattr(p.pattern, "converters", {})
                if not converters:
                    continue
                route = prefix + str(p.pattern)
                key = f"{namespace}{p.name}" if p.name else f"route:{route}"
                found.append(
                    Pattern(
                        key,
                        route,
                        tuple(converters),
                        tuple(type(c).__name__ for c in converters.values()),
                    )
                )

    walk(get_resolver().url_patterns, "", "")
    return found


def test_every_url_that_takes_an_id_is_known():
    """A new URL with an id (or any other parameter) fails here until TARGETS says how to fill
    it with an object someone may not see, or NOT_ABOUT_RECORDS says why it names no record."""
    patterns = url_patterns_with_parameters()
    keys_ = {p.key for p in patterns}
    unknown = sorted(keys_ - set(TARGETS) - set(NOT_ABOUT_RECORDS))
    assert not unknown, f"URLs with an id that test_idor does not know how to fill: {unknown}"
    stale = sorted((set(TARGETS) | set(NOT_ABOUT_RECORDS)) - keys_)
    assert not stale, f"URLs named here that no longer exist: {stale}"
    for p in patterns:
        if p.key in TARGETS:
            assert len(TARGETS[p.key].kinds) == len(p.params), p
    with_ids = [p for p in patterns if set(p.converters) & set(ID_CONVERTERS)]
    assert {p.key for p in with_ids} <= set(TARGETS), "every uuid/int URL is exercised"
    # What is covered, so the count is visible in the run (-rA) and a shrinking map is noticed.
    assert len(with_ids) >= 66


# --- the hidden cases ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    role: str
    url: str
    # The object names (of the world) in the URL, in order, and which of them are hidden.
    names: tuple[str, ...]
    hidden: tuple[bool, ...]
    methods: tuple[str, ...] = field(compare=False, default=("get", "post"))

    def __str__(self) -> str:
        shown = ", ".join(
            f"{'HIDDEN ' if h else ''}{n}" for n, h in zip(self.names, self.hidden, strict=True)
        )
        return f"{self.role} -> {self.url} [{shown}]"


def _reverse(key: str, args: list[Any]) -> str:
    if key.startswith("route:"):
        route = key.removeprefix("route:")
        return "/" + re.sub(r"<[^>]+>", lambda _: str(args.pop(0)), route)
    return reverse(key, args=args)


# Which roles each kind's admin page lets in: "approve or decline a sharing decision: Lead yes;
# Deputy only as acting Lead" (the world's Deputy is not acting today); the decision pages of the
# admin screen are the Lead's and the Deputy's (the Deputy reads every decision).
ADMIN_SEES = {"decision_approval": ("lead",), "decision_admin": ("lead", "deputy")}
OBJECT_KIND = {"carer_of_child": "carer", "ask_of_sar": "ask", "item_of_sar": "item"}
OBJECT_KIND["letter_of_sar"] = "letter"


def hidden_cases(world: World) -> list[Case]:
    cases: list[Case] = []
    for key, target in TARGETS.items():
        methods = ("get", "post") if target.get else ("post",)
        for role in ROLES:
            if target.admin:
                kind = target.kinds[0]
                if role in ADMIN_SEES[kind]:
                    continue
                for name, _ in world.of_kind("decision"):
                    cases.append(Case(role, key, (name,), (True,), methods))
            elif len(target.kinds) == 1:
                kind = target.kinds[0]
                for name, obj in world.of_kind(kind):
                    if kind == "staff" and name == f"staff:{role}":
                        continue  # their own account: they know it exists
                    if not may_see(world, role, kind, obj):
                        cases.append(Case(role, key, (name,), (True,), methods))
            else:
                parent_kind, sub_kind = target.kinds
                for parent_name, parent in world.of_kind(parent_kind):
                    parent_hidden = not may_see(world, role, parent_kind, parent)
                    for name, _ in world.of_kind(OBJECT_KIND[sub_kind]):
                        belongs = name.split(":", 1)[1] == parent_name.split(":", 1)[1]
                        if parent_hidden or not belongs:
                            hidden = (parent_hidden, parent_hidden or not belongs)
                            cases.append(Case(role, key, (parent_name, name), hidden, methods))
    return cases


# --- what a request changed ----------------------------------------------------------------------

# The signed-in session's row records when it was last used, on every request.
MOVING_TABLES = frozenset({"django_session"})
# Rows of the audit tables only grow: by id (a seal's sequence is its chain's own).
AUDIT_TABLES = {
    "auditlog_logentry": "id",
    "records_sealedentry": "entry_id",
    "records_auditseal": "id",
    "audit_readitem": "entry_id",
}


def _plain(value: Any) -> Any:
    return bytes(value) if isinstance(value, memoryview) else value


def _digest(rows: list[tuple[Any, ...]]) -> str:
    return hashlib.sha256(
        repr(sorted(repr(tuple(_plain(v) for v in row)) for row in rows)).encode()
    ).hexdigest()


@dataclass
class Snapshot:
    tables: dict[str, tuple[int, str]]
    audit_max: dict[str, int]


def snapshot(audit_before: dict[str, int] | None = None) -> Snapshot:
    """Every table's number of rows and a digest of its rows; for the audit log's tables (which
    only grow), those of the rows that existed at ``audit_before`` (or now)."""
    tables: dict[str, tuple[int, str]] = {}
    audit_max: dict[str, int] = {}
    with connection.cursor() as cursor:
        for table in sorted(connection.introspection.table_names(cursor)):
            if table in MOVING_TABLES:
                continue
            quoted = connection.ops.quote_name(table)
            if table in AUDIT_TABLES:
                column = connection.ops.quote_name(AUDIT_TABLES[table])
                cursor.execute(f"SELECT MAX({column}) FROM {quoted}")  # noqa: S608 - our names
                audit_max[table] = cursor.fetchone()[0] or 0
                limit = (audit_before or audit_max)[table]
                cursor.execute(f"SELECT * FROM {quoted} WHERE {column} <= %s", [limit])  # noqa: S608
            else:
                cursor.execute(f"SELECT * FROM {quoted}")  # noqa: S608 - our own table names
            rows = cursor.fetchall()
            tables[table] = (len(rows), _digest(rows))
    return Snapshot(tables, audit_max)


def changed_tables(before: Snapshot, after: Snapshot) -> list[str]:
    return sorted(
        t
        for t in before.tables.keys() | after.tables.keys()
        if before.tables.get(t) != after.tables.get(t)
    )


def new_audit_entries(before: Snapshot) -> list[LogEntry]:
    return list(
        LogEntry.objects.filter(pk__gt=before.audit_max["auditlog_logentry"]).order_by("pk")
    )


def _event(entry: LogEntry) -> str:
    data = entry.additional_data
    return str(data.get("event", "")) if isinstance(data, dict) else ""


def _sealed(entries: list[LogEntry]) -> bool:
    from audit.models import SealedEntry

    ids = {e.pk for e in entries}
    return (
        set(SealedEntry.objects.filter(entry_id__in=ids).values_list("entry_id", flat=True)) == ids
    )


# --- one request, checked ------------------------------------------------------------------------

CSRF = re.compile(r'(name="csrfmiddlewaretoken" value=")[^"]*"')
NONCE = re.compile(r'(nonce=")[^"]*"')


def normalised(response: Any, ids: list[str]) -> tuple[int, str, str, str]:
    body = response.content.decode(errors="replace") if not response.streaming else ""
    body = NONCE.sub(r'\1"', CSRF.sub(r'\1"', body))
    location = response.get("Location", "")
    for value in ids:
        body, location = body.replace(value, "<id>"), location.replace(value, "<id>")
    return response.status_code, response.get("Content-Type", ""), location, body


CONTENT_KINDS = ("entry", "attachment", "disclosure", "consent", "decision")


def _kind_of(name: str) -> str:
    return name.split(":")[0]


@dataclass
class Prober:
    world: World
    clients: dict[str, Client]

    def request(self, role: str, method: str, url: str, body: dict[str, Any]) -> Any:
        client = self.clients[role]
        # A message left by one request would show on the next page: each starts without.
        client.cookies.pop("messages", None)
        if method == "get":
            return client.get(url)
        return client.post(url, body)

    def check(self, case: Case, method: str) -> None:
        world = self.world
        target = TARGETS[case.url]
        objects = [world[n] for n in case.names]
        real = [str(o.pk) for o in objects]
        fake = [str(uuid.uuid4()) if h else r for r, h in zip(real, case.hidden, strict=True)]
        hidden_ids = [r for r, h in zip(real, case.hidden, strict=True) if h]
        masked = hidden_ids + [f for f, h in zip(fake, case.hidden, strict=True) if h]
        body = target.body(world) if method == "post" else {}
        keys.clear_cache()
        sid = transaction.savepoint_create()
        try:
            start = snapshot()
            hidden = self.request(case.role, method, _reverse(case.url, list(real)), body)
            hidden_audit = new_audit_entries(start)
            body = target.body(world) if method == "post" else {}  # a file is read once
            random = self.request(case.role, method, _reverse(case.url, list(fake)), body)
            end = snapshot(start.audit_max)
            seen = {e.pk for e in hidden_audit}
            random_audit = [e for e in new_audit_entries(start) if e.pk not in seen]
            all_sealed = _sealed(hidden_audit + random_audit)
        finally:
            transaction.savepoint_rollback(sid)
        where = f"{method.upper()} {case}"
        got, expected = normalised(hidden, masked), normalised(random, masked)
        if not target.admin:
            assert hidden.status_code == 404, f"{where}: {hidden.status_code}, not 404"
        assert got[:3] == expected[:3], f"{where}: {got[:3]} but for a random id {expected[:3]}"
        assert got[3] == expected[3], f"{where}: the page differs from a random id's"
        # Neither request may change a row (a random id's no more than a hidden one's).
        changed = changed_tables(start, end)
        assert not changed, f"{where}: rows changed in {changed}"
        # The audit log grew by what a random id gives, and refusals naming the hidden object.
        user = world.user(case.role)
        refusals = [e for e in hidden_audit if _event(e) == "refused"]
        for e in refusals:
            assert e.object_pk in hidden_ids and e.actor_id == user.pk, f"{where}: {e}"
        others = Counter(self._shape(e, masked) for e in hidden_audit if e not in refusals)
        assert others == Counter(self._shape(e, masked) for e in random_audit), (
            f"{where}: the audit log grew differently from a random id's"
        )
        assert not any(_event(e) == "refused" for e in random_audit)
        assert all_sealed, f"{where}: an audit entry left unsealed"
        named = {e.object_pk for e in refusals}
        for name, obj_id in zip(case.names, real, strict=True):
            if obj_id in hidden_ids and _kind_of(name) in CONTENT_KINDS and not target.admin:
                assert obj_id in named, f"{where}: the refusal of {name} is not audited"

    @staticmethod
    def _shape(entry: LogEntry, masked: list[str]) -> tuple[Any, ...]:
        pk = "<id>" if entry.object_pk in masked else entry.object_pk
        return (entry.action, entry.actor_id, entry.content_type_id, pk, _event(entry))


def prober(world: World) -> Prober:
    clients = {role: sign_in(Client(), world.user(role)) for role in ROLES}
    return Prober(world, clients)


@pytest.fixture
def world(people) -> World:
    return build_world(people)


def test_the_rules_see_what_design_md_says(world):
    """The rules themselves, on the world's edges (so a mistake in them is not mistaken for the
    application's)."""
    w = world
    assert sees_child(w, "practitioner", w["child:other_child"])  # a live grant lists the child
    assert reads(w, "practitioner", w["entry:other_child:sensitive"])  # up to its level
    assert not reads(w, "practitioner", w["entry:other_child:cp"])  # and no higher
    assert not reads(w, "practitioner", w["entry:child:sensitive"])  # room: general only
    assert reads(w, "keyperson1", w["entry:child:sensitive"]) and not reads(
        w, "keyperson1", w["entry:child:cp"]
    )
    # A revoked grant and an ended break-glass opening show nothing.
    assert not sees_child(w, "keyperson1", w["child:other_child"])
    assert sees_child(w, "keyperson2", w["child:child"])  # wrote an entry about the child
    assert reads(w, "keyperson2", w["entry:child:by_keyperson2"])
    assert not reads(w, "keyperson2", w["entry:child:general"])  # nothing else of the child
    assert sees_decision(w, "keyperson1", w["decision:child:keyperson1_cp"])  # their proposal
    assert not sees_decision(w, "keyperson1", w["decision:child:lead_cp"])
    assert not sees_request(w, "deputy", w["sar:staff_keyperson1"])
    assert not sees_request(w, "lead", w["sar:lead_own"])
    assert not sees_carer_consent(w, "office", w["carer:child"])
    cases = hidden_cases(w)
    assert {c.url for c in cases} == set(TARGETS)  # every URL has someone it hides from
    assert {c.role for c in cases} == set(ROLES)


def test_every_id_taking_url_refuses_a_hidden_object(world):
    """Every URL, for every person from whom something it takes is hidden, by each method it
    answers, once (the object picked in turn): no URL or person is left out by chance."""
    probe = prober(world)
    by_url: dict[tuple[str, str, str], list[Case]] = {}
    for case in hidden_cases(world):
        for method in case.methods:
            by_url.setdefault((case.url, case.role, method), []).append(case)
    failures = []
    for n, ((_url, _role, method), cases) in enumerate(sorted(by_url.items())):
        case = cases[(n * 7) % len(cases)]
        try:
            probe.check(case, method)
        except AssertionError as exc:
            failures.append(str(exc).split("\n")[0])
    assert not failures, "\n".join(failures)


def test_hidden_objects_get_the_same_404_as_random_ids(world):
    probe = prober(world)
    cases = hidden_cases(world)
    drawn = st.sampled_from(cases).flatmap(
        lambda c: st.tuples(st.just(c), st.sampled_from(c.methods))
    )

    @PROOF_SETTINGS
    @given(drawn)
    def hidden_is_random(case_method: tuple[Case, str]) -> None:
        probe.check(*case_method)

    hidden_is_random()


def test_a_child_who_left_is_hidden_from_their_room_and_key_person(world):
    """DESIGN.md: "From the leaving date (plus a grace period the setting sets, default none)
    room staff and the key person no longer see the child; authors keep only what they wrote,
    until the grace ends": with no grace, keyperson1 (key person, author of the general entry)
    and the Sunflower practitioner see nothing of a child who left yesterday."""
    child = world["child:child"]
    Child.objects.filter(pk=child.pk).update(left_on=timezone.localdate() - timedelta(days=1))
    probe = prober(world)
    failures = []
    for role in ("keyperson1", "practitioner"):
        for url, name in (
            ("records:child_detail", "child:child"),
            ("records:child_contacts", "child:child"),
            ("records:entry_detail", "entry:child:general"),
            ("records:attachment_download", "attachment:child:general"),
            ("consent:carer", "carer:child"),
        ):
            try:
                probe.check(Case(role, url, (name,), (True,)), "get")
            except AssertionError as exc:
                failures.append(str(exc).split("\n")[0])
    assert not failures, "\n".join(failures)
