"""The breach log and its 72-hour clock.

Anyone who works here reports a suspected breach (what happened, when the setting became aware):
the clock starts then, and runs through weekends and bank holidays (UK GDPR Article 33: "without
undue delay and, where feasible, not later than 72 hours after having become aware of it"). The
Lead or the Deputy assesses it (what data, how many people, the risk); the Lead decides to report
to the ICO or not, with reasons (and records the report and its reference); the people affected are
told when the risk to them is high, or the note says why not; the actions taken are kept; then it
is closed. The clock is on the Lead's dashboard, and the Lead is emailed (no content: a link and
the hours left) when 24 and then 6 hours are left, as is the Deputy.
"""

from __future__ import annotations

import logging
import smtplib
from datetime import datetime
from typing import Any

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone

from audit.log import log_event
from core.http import uuid_or_404
from core.rules import blank, in_future, raise_errors, require
from records import policy as records_policy
from records.jobs import for_each_setting
from records.models import Setting

from . import policy
from .events import Event
from .models import Breach, IcoDecision, PeopleTold, Risk

logger = logging.getLogger(__name__)

# Hours left when the Lead is emailed, each once.
REMINDERS = (24, 6)


@transaction.atomic
def report(*, by: User, aware_at: datetime, what_happened: str) -> Breach:
    require(policy.can_report_breach(by))
    errors: dict[str, str] = {}
    if in_future(aware_at):
        errors["aware_at"] = "When the setting became aware cannot be in the future."
    if blank(what_happened):
        errors["what_happened"] = "Say what happened (what was lost, sent or seen, and how)."
    raise_errors(errors)
    staff = records_policy.staff_of(by)
    assert staff is not None
    breach = Breach.objects.create(
        reported_by=staff, aware_at=aware_at, what_happened=what_happened.strip()
    )
    log_event(actor=by, event=Event.BREACH_REPORTED, obj=breach, detail={"aware_at": str(aware_at)})
    return breach


def _open(breach: Breach) -> None:
    if breach.closed_at is not None:
        raise ValidationError("This breach is closed.")


@transaction.atomic
def assess(
    *,
    by: User,
    breach: Breach,
    data_affected: str,
    people_affected: int | None,
    risk: str,
    risk_reasoning: str,
) -> Breach:
    require(policy.can_manage_breaches(by))
    _open(breach)
    errors: dict[str, str] = {}
    if blank(data_affected):
        errors["data_affected"] = "Say what data it touched (names, health, safeguarding...)."
    if risk not in Risk.values:
        errors["risk"] = "Choose the risk to the people affected."
    if blank(risk_reasoning):
        errors["risk_reasoning"] = "Say why you judge the risk so."
    raise_errors(errors)
    breach.data_affected = data_affected.strip()
    breach.people_affected = people_affected
    if breach.decision == IcoDecision.NOT_REPORT and risk in (Risk.RISK, Risk.HIGH):
        # Now a risk: the decision not to report no longer stands, and the clock runs again.
        breach.decision, breach.decision_reason = "", ""
        breach.decided_by, breach.decided_at = None, None
    if breach.people_told == PeopleTold.NOT_NEEDED and risk == Risk.HIGH:
        breach.people_told, breach.people_told_note = "", ""
    breach.risk = risk
    breach.risk_reasoning = risk_reasoning.strip()
    breach.assessed_by = records_policy.staff_of(by)
    breach.save()
    log_event(actor=by, event=Event.BREACH_ASSESSED, obj=breach, detail={"risk": risk})
    return breach


@transaction.atomic
def decide(
    *,
    by: User,
    breach: Breach,
    decision: str,
    reason: str,
    ico_reported_at: datetime | None = None,
    ico_reference: str = "",
) -> Breach:
    """The Lead reports to the ICO (and records when, and the reference) or decides not to, with
    the reasons; a breach assessed as a risk cannot be left unreported."""
    require(policy.can_decide_breach(by))
    _open(breach)
    errors: dict[str, str] = {}
    if not breach.risk:
        errors["decision"] = "Assess the risk first."
    if decision not in IcoDecision.values:
        errors["decision"] = "Choose to report to the ICO or not."
    if blank(reason):
        errors["reason"] = "Give the reasons: they are what the ICO would ask for."
    if decision == IcoDecision.NOT_REPORT and breach.risk in (Risk.RISK, Risk.HIGH):
        errors["decision"] = (
            "The breach is assessed as a risk to people: it must be reported. Change the "
            "assessment first if it is not."
        )
    if decision == IcoDecision.REPORT:
        if ico_reported_at is None:
            errors["ico_reported_at"] = "Record when it was reported to the ICO."
        elif in_future(ico_reported_at):
            errors["ico_reported_at"] = "It cannot be reported in the future."
        elif ico_reported_at < breach.aware_at:
            errors["ico_reported_at"] = "It cannot be reported before the setting knew of it."
    raise_errors(errors)
    breach.decision = decision
    breach.decision_reason = reason.strip()
    breach.decided_by = records_policy.staff_of(by)
    breach.decided_at = timezone.now()
    breach.ico_reported_at = ico_reported_at if decision == IcoDecision.REPORT else None
    breach.ico_reference = ico_reference.strip() if decision == IcoDecision.REPORT else ""
    breach.save()
    late = breach.ico_reported_at is not None and breach.ico_reported_at > breach.ico_deadline
    log_event(
        actor=by,
        event=Event.BREACH_DECIDED,
        obj=breach,
        detail={"decision": decision, "late": late},
    )
    return breach


@transaction.atomic
def people_told(*, by: User, breach: Breach, told: str, note: str) -> Breach:
    require(policy.can_manage_breaches(by))
    _open(breach)
    errors: dict[str, str] = {}
    if told not in PeopleTold.values:
        errors["told"] = "Say whether the people affected were told."
    if blank(note):
        errors["note"] = "Say when and how they were told, or why they need not be."
    if told == PeopleTold.NOT_NEEDED and breach.risk == Risk.HIGH:
        errors["told"] = "The risk to them is high: the people affected must be told."
    raise_errors(errors)
    breach.people_told = told
    breach.people_told_note = note.strip()
    breach.save()
    log_event(actor=by, event=Event.BREACH_PEOPLE_TOLD, obj=breach, detail={"told": told})
    return breach


@transaction.atomic
def close(*, by: User, breach: Breach, actions: str) -> Breach:
    require(policy.can_manage_breaches(by))
    _open(breach)
    errors: dict[str, str] = {}
    if not breach.decision:
        errors["actions"] = "Decide about the ICO first."
    elif breach.decision == IcoDecision.NOT_REPORT and breach.risk in (Risk.RISK, Risk.HIGH):
        errors["actions"] = "The breach is a risk to people: report it to the ICO first."
    elif not breach.people_told:
        errors["actions"] = "Record whether the people affected were told first."
    elif breach.people_told == PeopleTold.NOT_NEEDED and breach.risk == Risk.HIGH:
        errors["actions"] = "The risk to them is high: tell the people affected first."
    if blank(actions):
        errors["actions"] = "Say what was done, so it does not happen again."
    raise_errors(errors)
    breach.actions = actions.strip()
    breach.closed_at = timezone.now()
    breach.save()
    log_event(actor=by, event=Event.BREACH_CLOSED, obj=breach)
    return breach


# --- the clock ------------------------------------------------------------------------------


def breaches() -> list[Breach]:
    return list(Breach.objects.select_related("reported_by"))


def breach_by_id(value: Any) -> Breach | None:
    return (
        Breach.objects.select_related("reported_by", "decided_by", "assessed_by")
        .filter(pk=uuid_or_404(value))
        .first()
    )


def running(now: datetime | None = None) -> list[tuple[Breach, float]]:
    """Breaches whose 72 hours still matter, with the hours left (negative: past), soonest
    first."""
    now = now or timezone.now()
    found = [
        (b, b.hours_left(now))
        for b in Breach.objects.filter(closed_at__isnull=True, ico_reported_at__isnull=True)
        if b.clock_running
    ]
    return sorted(found, key=lambda pair: pair[1])


def remind(now: datetime | None = None) -> int:
    """Email the Lead once when 24 hours are left, and once when 6 are (no content)."""
    now = now or timezone.now()
    sent = 0
    to = leaders()
    if not to:
        if running(now):
            logger.warning("A breach's clock is running and nobody has an email address to remind")
        return 0
    for breach, left in running(now):
        due = [h for h in REMINDERS if left <= h and h not in breach.reminders]
        if not due:
            continue
        body = render_to_string(
            "governance/emails/breach_clock.txt",
            {"breach": breach, "hours_left": max(int(left), 0), "setting": Setting.current()},
        )
        try:
            send_mail(
                "A data breach: the 72-hour clock is running",
                body,
                None,
                to,
                fail_silently=False,
            )
        except (OSError, smtplib.SMTPException) as exc:
            logger.warning("A breach reminder could not be sent: %s", exc)
            continue
        with transaction.atomic():
            Breach.objects.filter(pk=breach.pk).update(reminders=[*breach.reminders, *due])
            log_event(
                actor=None,
                event=Event.BREACH_REMINDER,
                obj=breach,
                detail={"hours_left": int(left)},
            )
        sent += 1
    return sent


def leaders() -> list[str]:
    """Who is reminded: the Lead and the Deputy (a Deputy may be acting Lead), and the chair of
    trustees (who answers for the setting as data controller), by email."""
    return records_policy.manager_emails(with_chair=True)


def remind_every_setting() -> str:
    return for_each_setting(remind, name="Breach reminders", done="breach reminders sent")
