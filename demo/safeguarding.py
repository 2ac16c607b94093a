"""The safeguarding lead's loop in the demo: the year's concerns were each emailed when they were
written and triaged then (monitor), but for the last week's, which wait on the triage queue; one
of those has a follow-up action for the key person (all fictional)."""

from __future__ import annotations

from datetime import timedelta

from django.contrib.auth.models import User
from django.utils import timezone

from records import services as records_services
from records.models import Child, FlagKind, Staff
from safeguarding import actions
from safeguarding.models import Action, Alert, NextStep


def settle_alerts(*, lead: Staff) -> int:
    now = timezone.now()
    waiting = 0
    for alert in Alert.objects.select_related("entry__child"):
        alert.raised_at = alert.entry.recorded_at
        alert.sent_at = alert.raised_at
        alert.attempts = 1
        if alert.entry.occurred_at < now - timedelta(days=7):
            alert.acknowledged_at = alert.raised_at + timedelta(hours=3)
            alert.acknowledged_by = lead
            alert.next_step = NextStep.MONITOR
            alert.reason = "Discussed with the key person; watching at drop-off."
        else:
            waiting += 1
        alert.save()
    for recent in Alert.objects.filter(acknowledged_at__isnull=True).select_related(
        "entry__child__key_person"
    ):
        key_person = recent.entry.child.key_person
        # Given only to someone who may read the entry (the key person reads a concern, not a
        # child-protection action).
        if (
            key_person is not None
            and actions.possible_assignees(recent.entry).filter(pk=key_person.pk).exists()
        ):
            Action.objects.create(
                entry=recent.entry,
                what="Ask the parent at collection how the child has been at home this week.",
                assignee=key_person,
                due_on=timezone.localdate() + timedelta(days=2),
                set_by=lead,
            )
            break
    return waiting


# The flags on the demo's children (all fictional): first name, kind, details, days ago, EHCP.
FLAGS = (
    ("Leo", FlagKind.CP_PLAN, "Category: physical abuse. The setting is in the core group.", 70),
    (
        "Leo",
        FlagKind.SOCIAL_WORKER,
        "Jordan Example, Exampleshire Children's Services, assessment team; 01632 960300",
        100,
    ),
    ("Jayden", FlagKind.LOOKED_AFTER, "In foster care with Mr and Mrs Cole (kinship).", 340),
    (
        "Jayden",
        FlagKind.SOCIAL_WORKER,
        "Priya Example, Exampleshire Children's Services, looked-after children team; 01632 960301",
        340,
    ),
    ("Max", FlagKind.SEND, "Autism; EHC plan issued in the spring.", 300),
    ("Chidi", FlagKind.EAL, "English and Igbo at home.", 360),
    (
        "Chidi",
        FlagKind.PROFESSIONAL,
        "Sam Example, speech and language therapist; 01632 960302",
        120,
    ),
)


def flag_children(*, lead: User, children: dict[str, Child]) -> int:
    today = timezone.localdate()
    made = 0
    for name, kind, detail, days_ago in FLAGS:
        child = children.get(name)
        if child is None:
            continue
        records_services.add_flag(
            child=child,
            by=lead,
            kind=kind,
            detail=detail,
            ehcp=kind == FlagKind.SEND,
            started_on=max(child.started_on, today - timedelta(days=days_ago)),
        )
        made += 1
    return made
