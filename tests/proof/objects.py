"""A small setting with something at every level for both children, built through the services
(and, where a service would refuse on purpose, through the models, as the permission matrices do),
for the heavy proofs of tests/proof.

The named people are those of tests/conftest.py: `child` is keyperson1's key child in the
Sunflower room (the practitioner's room too); `other_child` is keyperson2's, in the Bluebell room,
and of another family. What the world adds, beyond their rooms and key children, that changes who
may see what (and that the proofs' own rules, typed from DESIGN.md, know of):

- the practitioner holds a live need-to-know grant for `other_child` up to the sensitive level;
- keyperson2 once wrote a general entry about `child` (an author reads what they wrote);
- keyperson2's child-protection grant for `child` has ended, keyperson1's general grant for
  `other_child` was revoked, and keyperson1's break-glass opening of `other_child` has ended:
  none of them shows anything any more.
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass, field
from datetime import timedelta
from types import SimpleNamespace
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from access_requests import services as sar_services
from access_requests.models import (
    BundleItem,
    Channel,
    Letter,
    RequesterKind,
    SubjectAccessRequest,
    ThirdPartyConsent,
)
from consent import services as consent_services
from governance import allegations, policies
from governance.models import AllegationKind, Breach
from lifecycle.models import (
    Destruction,
    DestructionState,
    RightsRequest,
    SubjectKind,
    Transfer,
    TransferItem,
    TransferLink,
)
from records import leaving
from records.models import (
    ActingLead,
    Amendment,
    Attachment,
    BreakGlass,
    Category,
    Child,
    Destination,
    LeavingReason,
    Level,
    NeedToKnowGrant,
    RecordEntry,
    Staff,
    StaffRecord,
)
from safeguarding.models import Action, Alert, ChronologyPrint, OfstedNotice, PrintState

from ..access_requests.conftest import record
from ..consent import factories as consent_factories
from ..factories import a_pdf, a_png, make_child, make_entry

PRACTITIONERS = ("keyperson1", "keyperson2", "practitioner")
ROLES = ("lead", "deputy", *PRACTITIONERS, "office", "trustee", "chair", "it_admin")
# The trustees' roles (records.models.Role): the staff pages are not theirs to be on.
TRUSTEE_ROLES = ("chair", "safeguarding_trustee", "trustee")
# The rooms each named person works in, as tests/conftest.py makes them.
ROOMS = {"keyperson1": "Sunflower", "keyperson2": "Bluebell", "practitioner": "Sunflower"}
LEVELS = {"general": Level.GENERAL, "sensitive": Level.SENSITIVE, "cp": Level.CHILD_PROTECTION}


@dataclass
class World:
    people: SimpleNamespace
    # Every object of the world by a name that says what it is ("entry:other_child:cp").
    objects: dict[str, Any] = field(default_factory=dict)
    # What the world built that gives someone more than their role: (person, child, level).
    live_grants: list[tuple[str, str, int]] = field(default_factory=list)
    live_break_glass: list[tuple[str, str]] = field(default_factory=list)

    def __getitem__(self, name: str) -> Any:
        return self.objects[name]

    def of_kind(self, kind: str) -> list[tuple[str, Any]]:
        return [(n, o) for n, o in self.objects.items() if n.split(":")[0] == kind]

    def user(self, role: str) -> Any:
        person = getattr(self.people, role)
        return person if role == "it_admin" else person.user

    def staff(self, role: str) -> Staff | None:
        return None if role == "it_admin" else getattr(self.people, role)

    def child_name(self, child: Child) -> str:
        return "child" if child.pk == self.people.child.pk else "other_child"


def _attach(entry: RecordEntry, by: Staff) -> Attachment:
    png = a_png()
    attachment = Attachment(
        entry=entry,
        uploaded_by=by,
        filename="drawing.png",
        content_type="image/png",
        size=len(png),
        sha256=hashlib.sha256(png).hexdigest(),
        content=png,
    )
    attachment.save()
    return attachment


def _entries(world: World) -> None:
    p = world.people
    now = timezone.now()
    for name, child, key_person in (
        ("child", p.child, p.keyperson1),
        ("other_child", p.other_child, p.keyperson2),
    ):
        world.objects[f"child:{name}"] = child
        world.objects[f"carer:{name}"] = child.carers.get()
        made = {
            "general": make_entry(
                child, key_person, text="Built a tall tower.", occurred_at=now - timedelta(days=9)
            ),
            "sensitive": make_entry(
                child,
                p.lead,
                category=Category.CONCERN,
                text="Seemed tired and withdrawn.",
                occurred_at=now - timedelta(days=8),
            ),
            "cp": make_entry(
                child,
                p.lead,
                category=Category.CHILD_PROTECTION,
                text="Strategy meeting arranged.",
                occurred_at=now - timedelta(days=7),
            ),
        }
        for level, entry in made.items():
            world.objects[f"entry:{name}:{level}"] = entry
            world.objects[f"attachment:{name}:{level}"] = _attach(entry, entry.author)
            Amendment(
                entry=entry, author=entry.author, text="A later addition.", reason="Remembered."
            ).save()
    # Written by keyperson2 while covering the Sunflower room once: theirs to read, nothing more.
    covering = make_entry(
        p.child, p.keyperson2, text="Helped tidy the books.", occurred_at=now - timedelta(days=6)
    )
    world.objects["entry:child:by_keyperson2"] = covering
    world.objects["attachment:child:by_keyperson2"] = _attach(covering, p.keyperson2)
    # Restricted at a parent's request (Article 18): the Lead's alone, its author's too.
    restricted = make_entry(
        p.child, p.keyperson1, text="Talked about the move.", occurred_at=now - timedelta(days=5)
    )
    RecordEntry.objects.filter(pk=restricted.pk).update(restricted_at=now)
    restricted.refresh_from_db()
    world.objects["entry:child:restricted"] = restricted


def _access_rows(world: World) -> None:
    p = world.people
    now = timezone.now()
    live = NeedToKnowGrant(
        child=p.other_child,
        grantee=p.practitioner,
        level=Level.SENSITIVE,
        reason="Covering the Bluebell room this fortnight.",
        ends_at=now + timedelta(days=14),
        granted_by=p.lead,
    )
    live.save()
    world.objects["grant:practitioner_other_child_live"] = live
    world.live_grants.append(("practitioner", "other_child", Level.SENSITIVE))
    ended = NeedToKnowGrant(
        child=p.child,
        grantee=p.keyperson2,
        level=Level.CHILD_PROTECTION,
        reason="Covering during a strategy meeting.",
        starts_at=now - timedelta(days=20),
        ends_at=now - timedelta(days=1),
        granted_by=p.deputy,
    )
    ended.save()
    world.objects["grant:keyperson2_child_ended"] = ended
    revoked = NeedToKnowGrant(
        child=p.other_child,
        grantee=p.keyperson1,
        level=Level.GENERAL,
        reason="A visit to the Bluebell room.",
        starts_at=now - timedelta(days=3),
        ends_at=now + timedelta(days=3),
        revoked_at=now - timedelta(days=1),
        revoked_by=p.lead,
        granted_by=p.lead,
    )
    revoked.save()
    world.objects["grant:keyperson1_other_child_revoked"] = revoked
    opened = BreakGlass(
        child=p.other_child,
        staff=p.keyperson1,
        reason="Collected by an adult not on the list; Lead unreachable.",
        starts_at=now - timedelta(hours=6),
        ends_at=now - timedelta(hours=2),
    )
    opened.save()
    world.objects["break_glass:keyperson1_other_child_ended"] = opened
    acting = ActingLead(
        deputy=p.deputy,
        appointed_by=p.lead,
        reason="Lead on a training course.",
        starts_at=now + timedelta(days=1),
        ends_at=now + timedelta(days=2),
    )
    acting.save()
    world.objects["acting:deputy_tomorrow"] = acting
    for role in ("lead", "deputy", *PRACTITIONERS, "office", "trustee"):
        world.objects[f"staff:{role}"] = getattr(p, role)
    for role in ("keyperson1", "keyperson2", "deputy"):
        record_ = StaffRecord(
            staff=getattr(p, role),
            kind="supervision",
            recorded_by=p.lead,
            occurred_on=timezone.localdate() - timedelta(days=30),
            text="Termly supervision: workload discussed.",
        )
        record_.save()
        world.objects[f"staff_record:{role}"] = record_


def _consent(world: World) -> None:
    p = world.people
    f = consent_factories
    evidence = SimpleUploadedFile("signed.pdf", a_pdf("signed form"), "application/pdf")
    world.objects["disclosure:child:keyperson1"] = f.disclosure(p.child, p.keyperson1)
    world.objects["disclosure:child:lead_cp"] = f.disclosure(
        p.child, p.lead, level=Level.CHILD_PROTECTION
    )
    world.objects["disclosure:other_child:keyperson2"] = f.disclosure(p.other_child, p.keyperson2)
    world.objects["consent:child:lead"] = f.consent(p.child, p.lead, evidence=evidence)
    world.objects["consent:other_child:keyperson2"] = f.consent(
        p.other_child,
        p.keyperson2,
        evidence=SimpleUploadedFile("signed.pdf", a_pdf("other form"), "application/pdf"),
    )
    world.objects["decision:child:practitioner"] = f.propose(p.child, p.practitioner)
    world.objects["decision:child:keyperson1_cp"] = f.propose(
        p.child,
        p.keyperson1,
        recipient_kind="s47",
        lsp_procedures="yes",
        consent="not_sought",
        no_consent_reason="risk_of_harm",
        no_consent_explanation="Bruising the child explained as a punishment.",
        lawful_basis="legal_obligation",
    )
    world.objects["decision:child:lead_cp"] = f.propose(
        p.child,
        p.lead,
        recipient_kind="police",
        consent="not_sought",
        no_consent_reason="serious_offence",
        no_consent_explanation="A court order was breached at collection.",
        lawful_basis="legal_obligation",
    )
    world.objects["decision:other_child:keyperson2"] = f.propose(p.other_child, p.keyperson2)
    referral = f.propose(p.other_child, p.keyperson2, recipient_kind="s17", lsp_procedures="yes")
    consent_services.approve_sharing_decision(
        decision=referral, approver=p.lead.user, rationale="Needs family support."
    )
    consent_services.mark_shared(
        decision=referral,
        by=p.keyperson2.user,
        shared_what="The referral form.",
        shared_at=referral.proposed_at,
        shared_how="online_referral",
    )
    world.objects["decision:other_child:keyperson2_referral"] = referral


def _compiled(sar: SubjectAccessRequest, people: SimpleNamespace) -> SubjectAccessRequest:
    sar_services.confirm_identity(
        sar=sar,
        by=people.deputy.user,
        method="photo_id",
        confirmed_on=timezone.localdate(),
        evidence_received_on=timezone.localdate(),
        parental_responsibility=True,
    )
    sar_services.compile_bundle(sar=sar, by=people.deputy.user)
    return sar


def _ask(sar: SubjectAccessRequest, people: SimpleNamespace) -> ThirdPartyConsent:
    return ThirdPartyConsent.objects.create(
        request=sar,
        person_key="name:test",
        name="Jordan Quillfeather",
        asked_on=timezone.localdate(),
        asked_by=people.deputy,
        letter="Dear Jordan Quillfeather, ...",
    )


def _access_requests(world: World) -> None:
    p = world.people
    about_child = _compiled(record(p), p)
    other_carer = p.other_child.carers.get()
    about_other = _compiled(
        record(p, child=p.other_child, requester_carer=other_carer, by=p.keyperson2.user), p
    )
    own = sar_services.record_request(
        by=p.keyperson1.user,
        received_on=timezone.localdate(),
        channel=Channel.SPOKEN,
        requester_kind=RequesterKind.STAFF,
        requester_staff=p.keyperson1,
        asked_for="My supervision notes.",
    )
    leads_own = sar_services.record_request(
        by=p.office.user,
        received_on=timezone.localdate(),
        channel=Channel.EMAIL,
        requester_kind=RequesterKind.STAFF,
        requester_staff=p.lead,
        asked_for="Everything held about me.",
    )
    for name, sar in (
        ("child", about_child),
        ("other_child", about_other),
        ("staff_keyperson1", own),
        ("lead_own", leads_own),
    ):
        world.objects[f"sar:{name}"] = sar
        world.objects[f"letter:{name}"] = Letter.objects.filter(request=sar).first()
        if sar.compiled_at:
            world.objects[f"item:{name}"] = (
                BundleItem.objects.filter(request=sar).order_by("id").first()
            )
            world.objects[f"ask:{name}"] = _ask(sar, p)


TRANSFER_TOKEN = "a-receiving-dsl-token-of-the-proofs-world"


def _transfers(world: World) -> None:
    """A file being reviewed (of the child), one sent and waiting for receipt (of the other
    child; its link's token is TRANSFER_TOKEN), and a leaver with a child-protection entry whose
    file is not started (``_leaver``: not a ``child:``, so the proofs' rules about the two
    children are untouched)."""
    p = world.people
    today = timezone.localdate()
    common = {
        "receiving_setting": "Exampletown Primary School",
        "dsl_name": "Dana Safeguard",
        "dsl_email": "dsl@exampletown.example",
        "move_kind": "in_year",
        "due_on": today + timedelta(days=3),
        "started_by": p.lead,
    }
    review = Transfer.objects.create(child=p.child, **common)
    entry = world.objects["entry:child:cp"]
    world.objects["transfer_item:review"] = TransferItem.objects.create(
        transfer=review,
        kind="entry",
        source_id=entry.pk,
        occurred_at=entry.occurred_at,
        title="Child protection action",
        text=entry.text,
    )
    world.objects["transfer:review"] = review
    sent = Transfer.objects.create(
        child=p.other_child,
        state="sent",
        sent_at=timezone.now(),
        sent_by=p.lead,
        pdf=b"%PDF-1.7 the file as sent",
        sha256="0" * 64,
        **common,
    )
    TransferLink.objects.create(
        transfer=sent,
        token_hash=hashlib.sha256(TRANSFER_TOKEN.encode()).hexdigest(),
        expires_at=timezone.now() + timedelta(days=14),
        sent_at=timezone.now(),
    )
    world.objects["transfer:sent"] = sent
    leaver = make_child(room=p.sunflower, key_person=p.keyperson1)
    make_entry(leaver, p.lead, category=Category.CHILD_PROTECTION, text="Referral made.")
    leaving.record_leaving(
        by=p.lead.user,
        child=leaver,
        left_on=today - timedelta(days=1),
        destination_kind=Destination.SCHOOL,
        destination="Exampletown Primary School",
        reason=LeavingReason.STARTING_SCHOOL,
    )
    leaver.refresh_from_db()
    world.objects["_leaver"] = leaver
    world.objects["rights:child"] = RightsRequest.objects.create(
        kind="rectification",
        child=p.child,
        requester=p.child.carers.get(),
        received_on=today,
        due_on=today + timedelta(days=30),
        statement="That was not me at pick-up.",
        recorded_by=p.deputy,
    )


def _breaches(world: World) -> None:
    world.objects["policy:10.9"] = policies.add_policy(
        by=world.people.lead.user,
        number="10.9",
        title="Confidentiality and Client Access to Records",
        review_every_months=24,
        text="What we keep, and who may see it.",
        adopted_on=timezone.localdate().replace(day=1),
        approved_by="The chair",
    )
    world.objects["breach:bus"] = Breach.objects.create(
        reported_by=world.people.practitioner,
        aware_at=timezone.now() - timedelta(hours=2),
        what_happened="A register was left on the bus.",
    )


def _destructions(world: World) -> None:
    """An offer waiting for the Lead, and one destroyed (its certificate can be downloaded)."""
    p = world.people
    month = timezone.localdate().replace(day=1)
    world.objects["destruction:offered"] = Destruction.objects.create(
        kind=SubjectKind.CHILD,
        subject_id=uuid.uuid4(),
        reference="C-0000000a",
        whole=True,
        review_month=month,
    )
    world.objects["destruction:destroyed"] = Destruction.objects.create(
        kind=SubjectKind.CHILD,
        subject_id=uuid.uuid4(),
        reference="C-0000000b",
        whole=True,
        review_month=month,
        state=DestructionState.DESTROYED,
        approved_by=p.lead,
        approved_at=timezone.now(),
        confirmed_by=p.deputy,
        destroyed_at=timezone.now(),
        destroyed=[{"what": "record entries", "rule": "General records", "count": 2}],
    )


def add_allegation(world: World, name: str, children: list[Child] | None = None) -> None:
    """One of the world's allegations, by name ("against_keyperson1", "against_lead"), naming
    its usual child or ``children``."""
    p = world.people
    if name == "against_keyperson1":
        made = allegations.record(
            by=p.practitioner.user,
            accused=p.keyperson1,
            kind=AllegationKind.ALLEGATION,
            what_alleged="Was seen shaking a child by the shoulders.",
            children=children or [p.child],
            serious_harm=True,
        )
        world.objects["entry:child:placeholder"] = made.placeholders.first()
    else:
        made = allegations.record(
            by=p.deputy.user,
            accused=p.lead,
            kind=AllegationKind.LOW_LEVEL,
            what_alleged="Shouts at children at lunch.",
            children=children or [p.other_child],
        )
        world.objects["entry:other_child:placeholder"] = made.placeholders.first()
    world.objects[f"allegation:{name}"] = made


def _allegations(world: World) -> None:
    """An allegation against a key person (the Lead handles it) and one against the Lead (the
    safeguarding trustee does), each naming a child, whose placeholder is an entry like any other
    but hidden from the person accused."""
    add_allegation(world, "against_keyperson1")
    add_allegation(world, "against_lead")


def build_world(people: SimpleNamespace, *, with_allegations: bool = True) -> World:
    world = World(people=people)
    _entries(world)
    _access_rows(world)
    _consent(world)
    _access_requests(world)
    _destructions(world)
    _transfers(world)
    _breaches(world)
    if with_allegations:
        _allegations(world)
    for name in ("child", "other_child"):
        world.objects[f"alert:{name}"] = Alert.objects.create(entry=world[f"entry:{name}:cp"])
        world.objects[f"notice:{name}"] = OfstedNotice.objects.create(
            entry=world[f"entry:{name}:general"], due_on=timezone.localdate()
        )
        # A follow-up on the sensitive entry, given to the child's key person.
        key_person = world[f"entry:{name}:sensitive"].child.key_person
        world.objects[f"action:{name}"] = Action.objects.create(
            entry=world[f"entry:{name}:sensitive"],
            what="Talk to the parent at collection.",
            assignee=key_person,
            due_on=timezone.localdate(),
            set_by=people.lead,
        )
        # A chronology PDF the child's key person asked for: theirs alone.
        world.objects[f"print:{name}"] = ChronologyPrint.objects.create(
            child=world[f"entry:{name}:general"].child,
            requested_by=key_person,
            state=PrintState.READY,
            pdf=b"%PDF-1.7 a made-up file",
        )
    missing = [name for name, obj in world.objects.items() if obj is None]
    assert not missing, f"the world lacks {missing}"
    return world


def decision_body(world: World | None = None) -> dict[str, Any]:
    """A sharing decision's form, filled in as a practitioner would (the IDOR and fuzz proofs)."""
    return {
        "decision": "share",
        "recipient_kind": "health",
        "recipient_organisation": "Exampletown Health Visiting Team",
        "purpose": "To plan support together.",
        "lawful_basis": "public_task",
        "necessary_and_proportionate": "Only this term's observations.",
        "consent": "given",
        "lsp_procedures": "n/a",
        "service_agreement": "not_applicable",
        "summary": "Uses two-word phrases.",
    }


def emergency_body(decision: dict[str, Any], *, shared_at: str) -> dict[str, Any]:
    """An emergency share's form: a decision's form with why consent was not sought and what was
    shared, when."""
    body = {k: v for k, v in decision.items() if k != "decision"}
    body.update(
        recipient_kind="s47",
        consent="not_sought",
        no_consent_reason="would_increase_risk",
        no_consent_explanation="The adult collecting is the concern.",
        lawful_basis="legal_obligation",
        lsp_procedures="yes",
        emergency_reason="An unknown adult tried to collect the child.",
        shared_what="The incident account, by phone.",
        shared_at=shared_at,
        shared_how="phone",
    )
    return body
