"""Demo subject-access requests for ``seed_demo``: one in each state a person should see.

Called after the setting, its staff, families and records exist (and inside seed_demo's
transaction). Made through the services, so the rules, the encryption and the audit apply; dates
are then moved back so the deadlines look lived in:

- just received (today, by the office, identity not yet checked);
- awaiting identity (received 3 days ago, proof of identity asked for);
- in review, with a third-party passage found from the consent ledger;
- approved and sent (rendered, approved by the Lead, released, posted);
- one overdue (clock started over a month ago, still being compiled).

All people are the fictional ones of records.demo_data.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.db.models import Count
from django.utils import timezone

from access_requests import services
from access_requests.models import (
    Channel,
    Decision,
    ItemKind,
    MentionDecision,
    RequesterKind,
    SubjectAccessRequest,
)
from consent.services import record_disclosure
from records.models import Child, Role, Staff
from records.services import record_entry

NEIGHBOUR = "Dana Whitlow (a neighbour)"
NEIGHBOUR_PASSAGE = "a neighbour, Dana Whitlow, had heard shouting from the flat"


def _carer_with_pr(child: Child) -> Any:
    return child.carers.filter(parental_responsibility=True).order_by("full_name").first()


def _record(child: Child, by: Staff, days_ago: int, asked_for: str, **extra: Any) -> Any:
    carer = _carer_with_pr(child)
    sar = services.record_request(
        by=by.user,
        received_on=timezone.localdate(),
        channel=extra.pop("channel", Channel.EMAIL),
        requester_kind=RequesterKind.CARER,
        requester_carer=carer,
        asked_for=asked_for,
        child=child,
        contact_email=carer.email or "",
        contact_address="" if carer.email else (carer.address or child.family.address or "-"),
        **extra,
    )
    if days_ago:
        received = timezone.localdate() - timedelta(days=days_ago)
        SubjectAccessRequest.objects.filter(pk=sar.pk).update(received_on=received)
        sar.received_on = received
    return sar


def _confirm(sar: Any, by: Staff, days_ago: int) -> None:
    day = timezone.localdate() - timedelta(days=days_ago)
    services.confirm_identity(
        sar=sar,
        by=by.user,
        method="photo_id",
        confirmed_on=day,
        evidence_received_on=day,
        parental_responsibility=True,
        court_order_note="No court order on our records."
        if sar.requester_carer.court_order_restrictions
        else "",
    )


def _review_everything(sar: SubjectAccessRequest, by: Staff) -> None:
    """As a careful reviewer would: staff and professionals disclosed in their role, everyone
    else found in an item redacted (an attachment that names someone withheld whole)."""
    services.disclose_staff_in_their_role(sar=sar, by=by.user)
    for item in sar.items.all():
        waiting = list(item.mentions.filter(decision=MentionDecision.PENDING))
        if not waiting:
            services.review_item(item=item, by=by.user, decision=Decision.DISCLOSE)
        elif item.kind == ItemKind.ATTACHMENT:
            services.review_item(
                item=item,
                by=by.user,
                decision=Decision.WITHHOLD,
                exemption="third_party",
                note="Names someone who has not consented.",
            )
        else:
            services.review_item(
                item=item,
                by=by.user,
                decision=Decision.REDACT,
                mentions={
                    str(m.pk): services.MentionChoice(MentionDecision.REDACT) for m in waiting
                },
            )


def _third_party_disclosure(child: Child, lead: Staff) -> None:
    """A neighbour's account, recorded in the consent ledger, and the entry that repeats it."""
    when = timezone.now() - timedelta(days=40)
    entry = record_entry(
        child=child,
        author=lead.user,
        category="concern",
        occurred_at=when,
        text=(
            f"{child.first_name}'s mum said {NEIGHBOUR_PASSAGE} last weekend and had asked "
            "whether everything was all right. Mum said it was the television. "
            f"{child.first_name} was quiet at drop-off but settled with the sand tray."
        ),
        parent_informed_now=True,
        informed_how="in_person",
    )
    record_disclosure(
        child=child,
        author=lead.user,
        discloser_kind="other",
        discloser_name=NEIGHBOUR,
        disclosed_at=when,
        what="Heard shouting from the flat late on Saturday night; worried about the children.",
        third_parties=[NEIGHBOUR],
        confidentiality="yes",
        entries=[entry],
    )


def seed_access_requests() -> dict[str, int]:
    """Add the demo requests; returns how many of each state were made."""
    lead = Staff.objects.get(role=Role.LEAD, active=True)
    deputy = Staff.objects.filter(role=Role.DEPUTY, active=True).first() or lead
    office = Staff.objects.filter(role=Role.OFFICE, active=True).first() or deputy
    children = list(
        Child.objects.filter(carers__parental_responsibility=True)
        .annotate(n=Count("entries"))
        .order_by("n", "last_name", "first_name")
        .distinct()[:5]
    )
    if len(children) < 5:
        return {}
    made: dict[str, int] = {}

    _record(
        children[0],
        office,
        0,
        "Asked at the office for a copy of everything we hold on her "
        "son, including anything written about her.",
        channel=Channel.SPOKEN,
    )
    made["received"] = 1

    waiting = _record(
        children[1],
        office,
        3,
        "Emailed asking for all records about his daughter and the family since she started.",
    )
    services.ask_for_identity(
        sar=waiting, by=deputy.user, what="Photo identification shown to the Lead or Deputy."
    )
    made["awaiting_identity"] = 1

    _third_party_disclosure(children[2], lead)
    review = _record(
        children[2],
        office,
        9,
        "All the notes you have made about my child and "
        "about me, including anything other people have told you.",
    )
    _confirm(review, deputy, 8)
    services.compile_bundle(
        sar=review, by=deputy.user, other_searches="The locked paper file in the office."
    )
    services.disclose_staff_in_their_role(sar=review, by=deputy.user)
    for item in review.items.filter(third_party=False)[:3]:
        services.review_item(item=item, by=deputy.user, decision=Decision.DISCLOSE)
    made["in_review"] = 1

    sent = _record(
        children[3], office, 26, "A copy of my child's file, please.", channel=Channel.LETTER
    )
    _confirm(sent, deputy, 25)
    services.compile_bundle(sar=sent, by=deputy.user)
    _review_everything(sent, deputy)
    services.submit_for_check(sar=sent, by=deputy.user)
    services.check_bundle(sar=sent, by=lead.user, accept=True)
    services.start_render(sar=sent, by=deputy.user)
    sent.refresh_from_db()
    if services.current_rendering(sent) is not None:
        services.approve_bundle(sar=sent, by=lead.user)
        services.release_copy(sar=sent, by=deputy.user)
        services.mark_sent(sar=sent, by=deputy.user, how="post")
        made["sent"] = 1

    overdue = _record(
        children[4],
        office,
        45,
        "Everything about my son, and why he was referred to the speech and language service.",
    )
    _confirm(overdue, lead, 40)
    SubjectAccessRequest.objects.filter(pk=overdue.pk).update(
        clock_started_on=timezone.localdate() - timedelta(days=40)
    )
    made["overdue"] = 1
    return made
