"""The child-protection file moves on with the child.

When a child leaves for a school or another setting, the Lead sends their child-protection file
to the designated safeguarding lead (DSL) there, apart from the general file:

1. **Compiled through the policy**: the entries at child-protection level, the concerns, the
   disclosures at child-protection level or linked to those entries, and the sharing decisions
   and referrals to social care or the police — as they are at that moment (a snapshot,
   encrypted under the child's key).
2. **Reviewed by the Lead**, as a parent's file is: every third party the records name (other
   children, other families' carers, names in the consent ledger; staff act in their role) is
   found by access_requests.third_parties and **redacted unless the Lead decides to pass it on,
   with a reason** — nobody has to notice them. An item can be left out, with a reason.
3. **A PDF/UA with a cover sheet** (who, when, the professionals involved, the current plan),
   protected with a password shown once to the Lead, who gives it by phone.
4. **A one-time link** emailed to the named DSL (the email names no child); the DSL downloads the
   file once and **confirms receipt** through the link (name, role, date), or the Lead records a
   confirmation by phone. An unconfirmed transfer is chased by email every 3 working days.
5. **A clock**: within 5 school days of an in-year move, or within the first 5 school days of a
   new term (KCSIE's rule for schools, followed as good practice), counted on the setting's terms
   (records.leaving) and working days; late ones are on the Lead's dashboard.

The copy sent is kept with the child's file (its retention follows the child-protection file's),
and the audit log records what was sent, to whom, and each step.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
import smtplib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Q
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.safestring import SafeString

from access_requests import compile as sar_compile
from access_requests import third_parties
from access_requests.pdf import Segment, encrypt_pdf, redact, render_html, segments_html
from access_requests.services.delivery import LinkRefused as TooManyTries
from access_requests.services.delivery import check_rate, link_token_hash, new_password
from audit.log import log_event
from consent.models import CP_RECIPIENTS, REFERRAL_RECIPIENTS, Disclosure, SharingDecision
from consent.working_days import next_working_day
from core import tenancy
from core.http import uuid_or_404, uuid_or_none
from core.rules import raise_errors, require
from records import leaving
from records import policy as records_policy
from records.jobs import for_each_setting
from records.models import (
    Category,
    Child,
    ChildFlag,
    FileHandOver,
    Leaving,
    Level,
    RecordEntry,
    Setting,
)
from records.selectors import with_amendments

from . import policy
from .events import Event
from .models import (
    ItemKind,
    MoveKind,
    PersonDecision,
    ReceivedHow,
    Transfer,
    TransferItem,
    TransferLink,
    TransferPerson,
    TransferState,
)

logger = logging.getLogger(__name__)

# How many school days the file has, and how long its link works.
SCHOOL_DAYS = 5
LINK_DAYS = 14
# An unconfirmed transfer is chased after this many working days, and again after as many.
CHASE_AFTER = 3
REDACTED_LABEL = "Third party: not passed on"


def add_school_days(day: date, count: int) -> date:
    for _ in range(count):
        day = next_working_day(day)
    return day


def clock(left_on: date) -> tuple[str, date]:
    """The kind of move and the day the file is due at the new school: within 5 school days of
    an in-year move; within the first 5 school days of a new term when the child leaves at the
    end of a term or in a holiday (the setting's own terms; with none recorded, in-year)."""
    term = leaving.term_of(left_on)
    if term is not None and left_on < term.ends_on:
        return MoveKind.IN_YEAR, add_school_days(left_on, SCHOOL_DAYS)
    first = leaving.first_term_day_after(left_on)
    if first is None:
        return MoveKind.IN_YEAR, add_school_days(left_on, SCHOOL_DAYS)
    return MoveKind.NEW_TERM, add_school_days(first, SCHOOL_DAYS - 1)


# --- compiling ----------------------------------------------------------------------------


def _cp_entries(child: Child) -> list[RecordEntry]:
    # A placeholder for an allegation against a member of staff is not part of the child's
    # file: the allegation is kept, and shared, by whoever handles it.
    among = RecordEntry.objects.filter(child=child, hidden_from__isnull=True).filter(
        Q(level=Level.CHILD_PROTECTION)
        | Q(category__in=[Category.CHILD_PROTECTION, Category.CONCERN])
    )
    return with_amendments(list(among.select_related("author")), among)


def _items(transfer: Transfer, child: Child) -> list[TransferItem]:
    entries = _cp_entries(child)
    entry_ids = {e.pk for e in entries}
    disclosures = (
        Disclosure.objects.filter(child=child)
        .filter(Q(level=Level.CHILD_PROTECTION) | Q(entries__in=entry_ids))
        .distinct()
    )
    decisions = (
        SharingDecision.objects.filter(child=child)
        .filter(
            Q(recipient_kind__in=CP_RECIPIENTS | REFERRAL_RECIPIENTS) | Q(entries__in=entry_ids)
        )
        .select_related("author")
        .distinct()
    )
    items = [
        TransferItem(
            transfer=transfer,
            kind=ItemKind.ENTRY,
            source_id=e.pk,
            occurred_at=e.occurred_at,
            title=e.get_category_display(),
            byline=f"Recorded by {e.author.full_name}",
            text=sar_compile.entry_body(e),
            restricted=e.restricted_at is not None,
        )
        for e in entries
    ]
    items += [
        TransferItem(
            transfer=transfer,
            kind=ItemKind.DISCLOSURE,
            source_id=d.pk,
            occurred_at=d.disclosed_at,
            title="Disclosure",
            byline="Told by: "
            + (
                d.discloser_carer.full_name
                if d.discloser_carer
                else d.discloser_name or d.get_discloser_kind_display()
            ),
            text=d.what,
        )
        for d in disclosures.select_related("discloser_carer")
    ]
    items += [
        TransferItem(
            transfer=transfer,
            kind=ItemKind.DECISION,
            source_id=d.pk,
            occurred_at=d.proposed_at,
            title=f"Sharing decision: {d.get_recipient_kind_display()}",
            byline=f"To {d.recipient_display}; proposed by {d.author.full_name}",
            text=sar_compile.decision_body(d),
        )
        for d in decisions
    ]
    items += [
        TransferItem(
            transfer=transfer,
            kind=ItemKind.FLAG,
            source_id=f.pk,
            occurred_at=timezone.make_aware(datetime.combine(f.started_on, time(12))),
            title=f"Flag: {f.label}",
            byline=f"From {f.started_on:%-d %B %Y}"
            + (f" until {f.ended_on:%-d %B %Y}" if f.ended_on else " (current)")
            + f"; recorded by {f.author.full_name}",
            text=f.detail,
        )
        # The welfare flags (a plan, child in need, looked after, early help, a social worker);
        # SEND and EAL go with the general file.
        for f in ChildFlag.objects.filter(child=child, level__gte=Level.SENSITIVE).select_related(
            "author"
        )
    ]
    return sorted(items, key=lambda item: item.occurred_at)


def _professionals(items: list[TransferItem]) -> str:
    """The recipients of the sharing decisions and referrals in the file, once each."""
    ids = [item.source_id for item in items if item.kind == ItemKind.DECISION]
    seen: list[str] = []
    for decision in SharingDecision.objects.filter(pk__in=ids).order_by("proposed_at"):
        line = decision.recipient_display
        if line not in seen:
            seen.append(line)
    return "\n".join(seen)


def _texts(transfer: Transfer, items: list[TransferItem]) -> list[str]:
    """Everything of the file the school reads besides the fixed words: the records and the
    cover sheet's own text."""
    return [
        *(f"{item.byline}\n{item.text}" for item in items),
        transfer.professionals,
        transfer.current_plan,
    ]


def _named_in_fields(child: Child, items: list[TransferItem]) -> list[tuple[str, str, str]]:
    """People named in free-text fields that a name search may not recognise (who told us, the
    person a decision went to): (key, kind, name), each a third party to decide on."""
    named: list[tuple[str, str, str]] = []
    disclosures = Disclosure.objects.filter(
        pk__in=[i.source_id for i in items if i.kind == ItemKind.DISCLOSURE],
        discloser_carer__isnull=True,
    )
    # The whole field, not only a name found in it ("neighbour, Jordan Smith"): redacted unless
    # the Lead passes it on.
    for disclosure in disclosures:
        if disclosure.discloser_name.strip():
            named.append((disclosure.discloser_name.strip(), "teller", "Who told us"))
    decisions = SharingDecision.objects.filter(
        pk__in=[i.source_id for i in items if i.kind == ItemKind.DECISION]
    )
    for decision in decisions:
        if decision.recipient_person.strip():
            named.append((decision.recipient_person.strip(), "professional", "A recipient"))
    return [(third_parties.ledger_key(name), kind, name) for name, kind, _what in named]


def _find_people(
    transfer: Transfer, child: Child, items: list[TransferItem]
) -> list[TransferPerson]:
    """Everyone the file names who is not the child, their family or staff in their role, not
    yet decided on: redacted unless the Lead passes them on."""
    known = {person.key: person for person in transfer.people.all()} if transfer.pk else {}
    carers = set(child.carers.values_list("pk", flat=True))
    directory = third_parties.directory({child.pk}, carers, None)
    found: dict[str, TransferPerson] = {}

    def row_for(key: str, kind: str, name: str) -> TransferPerson:
        row = found.get(key) or known.get(key)
        if row is None:
            row = TransferPerson(transfer=transfer, key=key[:120], kind=kind, name=name, words=[])
        found[key] = row
        return row

    for text in _texts(transfer, items):
        for key, hit in directory.find(text).items():
            row = row_for(key, hit.person.kind, hit.person.name)
            for word in hit.words:
                if word not in row.words:
                    row.words.append(word)
    for key, kind, name in _named_in_fields(child, items):
        row = row_for(key, kind, name)
        if name not in row.words:
            row.words.append(name)
    return list(found.values())


@transaction.atomic
def start(
    *,
    by: User,
    child: Child,
    receiving_setting: str,
    dsl_name: str,
    dsl_email: str,
    dsl_phone: str = "",
    current_plan: str = "",
) -> Transfer:
    """The Lead starts sending a leaver's child-protection file on: the pack is compiled at
    once, and waits for the Lead's review."""
    require(policy.can_transfer(by))
    errors: dict[str, str] = {}
    if child.left_on is None:
        errors["receiving_setting"] = (
            "Record the child's leaving first (date, and where they go): the clock counts from it."
        )
    elif Transfer.objects.filter(child=child).exclude(state=TransferState.RECEIVED).exists():
        errors["receiving_setting"] = "A transfer of this child's file is already under way."
    if not receiving_setting.strip():
        errors["receiving_setting"] = "Name the school or setting the child moves to."
    if not dsl_name.strip():
        errors["dsl_name"] = "Name their designated safeguarding lead: the file goes to them alone."
    raise_errors(errors)
    assert child.left_on is not None
    move_kind, due_on = clock(child.left_on)
    staff = records_policy.staff_of(by)
    assert staff is not None
    transfer = Transfer(
        child=child,
        receiving_setting=receiving_setting.strip(),
        dsl_name=dsl_name.strip(),
        dsl_email=dsl_email.strip(),
        dsl_phone=dsl_phone.strip(),
        move_kind=move_kind,
        due_on=due_on,
        current_plan=current_plan.strip(),
        started_by=staff,
    )
    items = _items(transfer, child)
    transfer.professionals = _professionals(items)
    if not items:
        raise ValidationError(
            {
                "receiving_setting": "This child has no child-protection file to send on (no "
                "entry at child-protection level, concern or referral). Record that on the "
                "leaving checklist instead."
            }
        )
    transfer.save()
    TransferItem.objects.bulk_create(items)
    TransferPerson.objects.bulk_create(_find_people(transfer, child, items))
    log_event(
        actor=by,
        event=Event.TRANSFER_STARTED,
        obj=transfer,
        detail={"items": len(items), "due_on": str(due_on), "move": move_kind},
    )
    return transfer


def _editable(transfer: Transfer) -> None:
    if transfer.state != TransferState.REVIEW:
        raise ValidationError("The file was approved: it can no longer be changed.")


@transaction.atomic
def set_item(*, by: User, item: TransferItem, included: bool, reason: str = "") -> TransferItem:
    require(policy.can_transfer(by))
    _editable(item.transfer)
    if not included and not reason.strip():
        raise ValidationError({"left_out_reason": "Say why this record is not passed on."})
    item.included = included
    item.left_out_reason = "" if included else reason.strip()
    item.save(update_fields=["included", "left_out_reason"])
    log_event(
        actor=by,
        event=Event.TRANSFER_REVIEWED,
        obj=item.transfer,
        detail={"item": str(item.pk), "included": included},
    )
    return item


@transaction.atomic
def decide_person(
    *, by: User, person: TransferPerson, decision: str, reason: str = ""
) -> TransferPerson:
    """Redact a third party (the default), or pass them on, saying why the receiving school
    needs to know."""
    require(policy.can_transfer(by))
    _editable(person.transfer)
    if decision not in PersonDecision.values:
        raise ValidationError({"decision": "Choose to redact this person or pass them on."})
    if decision == PersonDecision.PASS_ON and not reason.strip():
        raise ValidationError(
            {"reason": "Say why the receiving school needs to know who this person is."}
        )
    person.decision = decision
    person.reason = reason.strip() if decision == PersonDecision.PASS_ON else ""
    person.save(update_fields=["decision", "reason"])
    log_event(
        actor=by,
        event=Event.TRANSFER_REVIEWED,
        obj=person.transfer,
        detail={"person": str(person.pk), "decision": decision},
    )
    return person


@transaction.atomic
def update_cover(
    *, by: User, transfer: Transfer, professionals: str, current_plan: str
) -> Transfer:
    require(policy.can_transfer(by))
    _editable(transfer)
    transfer.professionals = professionals.strip()
    transfer.current_plan = current_plan.strip()
    transfer.save(update_fields=["professionals", "current_plan"])
    # Whoever the new words name is found as in the records: redacted unless passed on.
    items = list(transfer.items.all())
    for person in _find_people(transfer, transfer.child, items):
        person.save()
    log_event(actor=by, event=Event.TRANSFER_REVIEWED, obj=transfer, detail={"cover": True})
    return transfer


# --- the file -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Shown:
    item: TransferItem
    byline: SafeString
    text: SafeString


def _redactions(transfer: Transfer) -> list[tuple[str, str]]:
    return [
        (word, REDACTED_LABEL)
        for person in transfer.people.filter(decision=PersonDecision.REDACT)
        for word in person.words
    ]


def shown_items(transfer: Transfer) -> list[Shown]:
    """The items as the receiving school sees them: third parties redacted."""
    words = _redactions(transfer)
    return [
        Shown(
            item,
            segments_html(_segments(item.byline, words)),
            segments_html(_segments(item.text, words)),
        )
        for item in transfer.items.filter(included=True)
    ]


def _segments(text: str, words: list[tuple[str, str]]) -> list[Segment]:
    return redact(text, [], words) or [Segment("")]


def file_html(transfer: Transfer) -> str:
    child = transfer.child
    words = _redactions(transfer)
    return render_to_string(
        "lifecycle/transfer_pdf.html",
        {
            "transfer": transfer,
            "child": child,
            "setting": Setting.current(),
            "lead": records_policy.the_lead(),
            "items": shown_items(transfer),
            "professionals": segments_html(_segments(transfer.professionals, words)),
            "current_plan": segments_html(_segments(transfer.current_plan, words)),
            "left_out": transfer.items.filter(included=False).count(),
            "redacted": transfer.people.filter(decision=PersonDecision.REDACT).count(),
            "made_on": timezone.localdate(),
            "css": (Path(__file__).parent.parent / "access_requests" / "pdf.css").read_text(),
        },
    )


@transaction.atomic
def approve(*, by: User, transfer: Transfer) -> tuple[Transfer, str]:
    """The Lead approves the reviewed file: it is made (PDF/UA) and protected with a new
    password, returned once to be given to the receiving DSL by phone; never stored."""
    require(policy.can_transfer(by))
    locked = Transfer.objects.select_for_update().get(pk=transfer.pk)
    _editable(locked)
    if not locked.items.filter(included=True).exists():
        raise ValidationError("Every record is left out: there is nothing to send.")
    pdf, pages = render_html(file_html(locked))
    password = new_password()
    protected = encrypt_pdf(pdf, password)
    locked.pdf = protected
    locked.sha256 = hashlib.sha256(protected).hexdigest()
    locked.pages = pages
    locked.state = TransferState.READY
    locked.approved_by = records_policy.staff_of(by)
    locked.approved_at = timezone.now()
    locked.save()
    log_event(
        actor=by,
        event=Event.TRANSFER_APPROVED,
        obj=locked,
        detail={
            "sha256": locked.sha256,
            "items": locked.items.filter(included=True).count(),
            "third_parties_redacted": locked.people.filter(decision=PersonDecision.REDACT).count(),
        },
    )
    return locked, password


def send(
    *, by: User, transfer: Transfer, link_url: Callable[[str], str], request: Any = None
) -> TransferLink:
    """Email the receiving DSL a one-time link to the file (the email names no child). As for a
    parent's link: the link is made and committed, the email sent, then "sent" recorded; a mail
    server that refuses it leaves nothing sent and no link."""
    require(policy.can_transfer(by))
    with transaction.atomic():
        locked = Transfer.objects.select_for_update().get(pk=transfer.pk)
        if locked.state not in (TransferState.READY, TransferState.SENT):
            raise ValidationError("Approve the file before sending it.")
        if not locked.dsl_email.strip():
            raise ValidationError("There is no email address for the receiving DSL.")
        # A new link replaces the old: one link works at a time.
        TransferLink.objects.filter(
            transfer=locked, used_at__isnull=True, expires_at__gt=timezone.now()
        ).update(expires_at=timezone.now())
        token = secrets.token_urlsafe(32)
        link = TransferLink.objects.create(
            transfer=locked,
            token_hash=link_token_hash(token),
            expires_at=timezone.now() + timedelta(days=LINK_DAYS),
        )
    body = render_to_string(
        "lifecycle/emails/transfer_link.txt",
        {
            "transfer": locked,
            "url": link_url(token),
            "expires_at": link.expires_at,
            "setting": Setting.current(),
        },
    )
    try:
        send_mail(
            "A child-protection file for your school",
            body,
            None,
            [locked.dsl_email.strip()],
            fail_silently=False,
        )
    except (OSError, smtplib.SMTPException) as exc:
        logger.warning("The transfer link could not be emailed: %s", exc)
        TransferLink.objects.filter(pk=link.pk, sent_at__isnull=True).delete()
        raise ValidationError(
            "The email could not be sent: the mail server did not accept it. Nothing was "
            "recorded as sent and no link was made; check the address and try again."
        ) from None
    with transaction.atomic():
        now = timezone.now()
        TransferLink.objects.filter(pk=link.pk).update(sent_at=now)
        Transfer.objects.filter(pk=locked.pk).update(
            state=TransferState.SENT,
            sent_at=now,
            sent_by=records_policy.staff_of(by),
        )
        log_event(
            actor=by,
            event=Event.TRANSFER_SENT,
            obj=locked,
            request=request,
            detail={
                "to": locked.receiving_setting,
                "dsl": locked.dsl_name,
                "sha256": locked.sha256,
                "expires_at": str(link.expires_at),
            },
        )
    return link


# --- the receiving DSL's link ---------------------------------------------------------------


class LinkRefused(Exception):
    def __init__(self, message: str, status: int = 410) -> None:
        super().__init__(message)
        self.status = status


def find_link(token: str) -> TransferLink | None:
    """A link by its token, whichever setting sent it (nobody is signed in)."""
    return (
        TransferLink.objects.select_related("transfer")
        .filter(token_hash=link_token_hash(token))
        .first()
    )


def open_link(token: str, request: HttpRequest) -> TransferLink:
    """The page behind a link: counted against the address (access_requests' rate limit)."""
    try:
        check_rate(request)
    except TooManyTries as exc:
        raise LinkRefused(str(exc), status=exc.status) from exc
    link = find_link(token)
    if link is None or link.expires_at <= timezone.now():
        why = "unknown" if link is None else "expired"
        if link is None:
            log_event(
                actor=None, event=Event.TRANSFER_LINK_REFUSED, request=request, detail={"why": why}
            )
        else:
            with tenancy.working_in(link.transfer.setting_id):
                log_event(
                    actor=None,
                    event=Event.TRANSFER_LINK_REFUSED,
                    obj=link.transfer,
                    request=request,
                    detail={"why": why},
                )
        raise LinkRefused("This link is not valid or has expired. Ask the setting for a new one.")
    TransferLink.objects.filter(pk=link.pk, opened_at__isnull=True).update(opened_at=timezone.now())
    return link


def download(token: str, request: HttpRequest) -> Transfer:
    """The one download of the file: a conditional UPDATE only one request can win."""
    link = open_link(token, request)
    with tenancy.working_in(link.transfer.setting_id):
        now = timezone.now()
        with transaction.atomic():
            won = TransferLink.objects.filter(pk=link.pk, used_at__isnull=True).update(
                used_at=now, used_from=request.META.get("REMOTE_ADDR") or None
            )
            if won:
                return _downloaded(link, request)
        log_event(
            actor=None,
            event=Event.TRANSFER_LINK_REFUSED,
            obj=link.transfer,
            request=request,
            detail={"why": "used"},
        )
        raise LinkRefused(
            "The file was already downloaded through this link. If that was not you, call "
            "the setting at once."
        )


def _downloaded(link: TransferLink, request: HttpRequest) -> Transfer:
    log_event(
        actor=None,
        event=Event.TRANSFER_DOWNLOADED,
        obj=link.transfer,
        request=request,
        detail={"sha256": link.transfer.sha256},
    )
    return Transfer.objects.get(pk=link.transfer_id)


def _received(transfer: Transfer, *, name: str, role: str, received_on: date) -> dict[str, str]:
    errors: dict[str, str] = {}
    if not name.strip():
        errors["received_name"] = "Give the name of who received the file."
    if not role.strip():
        errors["received_role"] = "Give their role (the designated safeguarding lead, say)."
    if received_on > timezone.localdate():
        errors["received_on"] = "The day it was received cannot be in the future."
    elif transfer.sent_at and received_on < timezone.localdate(transfer.sent_at):
        errors["received_on"] = "The file cannot have been received before it was sent."
    if transfer.state == TransferState.RECEIVED:
        errors["received_name"] = "Receipt of this file is already confirmed."
    elif transfer.state != TransferState.SENT:
        errors["received_name"] = "The file has not been sent yet."
    return errors


def _record_receipt(
    transfer: Transfer, *, name: str, role: str, received_on: date, how: str, by: Any
) -> Transfer:
    locked = Transfer.objects.select_for_update().get(pk=transfer.pk)
    raise_errors(_received(locked, name=name, role=role, received_on=received_on))
    locked.received_name = name.strip()
    locked.received_role = role.strip()
    locked.received_on = received_on
    locked.received_how = how
    locked.received_recorded_by = records_policy.staff_of(by) if by is not None else None
    locked.state = TransferState.RECEIVED
    locked.save()
    # The leaver's checklist: the child-protection file is sent on.
    Leaving.objects.filter(child_id=locked.child_id).update(cp_file=FileHandOver.TRANSFERRED)
    log_event(
        actor=by,
        event=Event.TRANSFER_RECEIVED,
        obj=locked,
        detail={"how": how, "received_on": str(received_on)},
    )
    return locked


def confirm_by_link(
    *, token: str, request: HttpRequest, name: str, role: str, received_on: date
) -> Transfer:
    """The receiving DSL confirms receipt through their link (before or after downloading)."""
    link = open_link(token, request)
    with tenancy.working_in(link.transfer.setting_id), transaction.atomic():
        return _record_receipt(
            link.transfer,
            name=name,
            role=role,
            received_on=received_on,
            how=ReceivedHow.LINK,
            by=None,
        )


@transaction.atomic
def record_phone_receipt(
    *, by: User, transfer: Transfer, name: str, role: str, received_on: date
) -> Transfer:
    """The Lead records a confirmation of receipt given by phone."""
    require(policy.can_transfer(by))
    return _record_receipt(
        transfer, name=name, role=role, received_on=received_on, how=ReceivedHow.PHONE, by=by
    )


# --- the clock, and chasing ------------------------------------------------------------------


def waiting() -> list[Transfer]:
    """Transfers not yet confirmed received, oldest due first."""
    return list(
        Transfer.objects.exclude(state=TransferState.RECEIVED)
        .select_related("child")
        .order_by("due_on")
    )


@dataclass(frozen=True)
class Clock:
    late: int
    unconfirmed: int


def clock_counts(today: date | None = None) -> Clock:
    """For the Lead's dashboard: files not sent by their day, and files sent but not confirmed."""
    today = today or timezone.localdate()
    open_rows = Transfer.objects.exclude(state=TransferState.RECEIVED)
    late = open_rows.filter(sent_at__isnull=True, due_on__lt=today).count()
    unconfirmed = open_rows.filter(state=TransferState.SENT).count()
    return Clock(late, unconfirmed)


def _chase_due(transfer: Transfer, today: date) -> bool:
    last = transfer.chased_at or transfer.sent_at
    return last is not None and add_school_days(timezone.localdate(last), CHASE_AFTER) <= today


def chase(today: date | None = None) -> int:
    """Email the receiving DSL of each file sent and not confirmed (every 3 working days): the
    email names no child, and asks them to confirm through their link, or to call."""
    today = today or timezone.localdate()
    chased = 0
    for transfer in Transfer.objects.filter(state=TransferState.SENT):
        if not _chase_due(transfer, today):
            continue
        body = render_to_string(
            "lifecycle/emails/transfer_chase.txt",
            {"transfer": transfer, "setting": Setting.current()},
        )
        try:
            send_mail(
                "Please confirm you received a child-protection file",
                body,
                None,
                [transfer.dsl_email.strip()],
                fail_silently=False,
            )
        except (OSError, smtplib.SMTPException) as exc:
            logger.warning("A transfer could not be chased: %s", exc)
            continue
        with transaction.atomic():
            Transfer.objects.filter(pk=transfer.pk).update(
                chased_at=timezone.now(), chases=transfer.chases + 1
            )
            log_event(
                actor=None,
                event=Event.TRANSFER_CHASED,
                obj=transfer,
                detail={"chases": transfer.chases + 1},
            )
        chased += 1
    return chased


def chase_every_setting() -> str:
    """The scheduled task: each setting's unconfirmed transfers."""
    return for_each_setting(chase, name="Transfer chasing", done="transfers chased")


# --- reading -------------------------------------------------------------------------------


def transfer_by_id(value: Any) -> Transfer | None:
    return (
        Transfer.objects.select_related("child", "approved_by", "sent_by", "started_by")
        .filter(pk=uuid_or_404(value))
        .first()
    )


def item_by_id(transfer: Transfer, value: Any) -> TransferItem | None:
    """One of the file's records, by the id a form posted (None for anything else: the form
    says so)."""
    pk = uuid_or_none(value)
    return transfer.items.filter(pk=pk).first() if pk is not None else None


def person_by_id(transfer: Transfer, value: Any) -> TransferPerson | None:
    pk = uuid_or_none(value)
    return transfer.people.filter(pk=pk).first() if pk is not None else None


def transfers() -> list[Transfer]:
    return list(Transfer.objects.select_related("child"))


def kept_copy(*, by: User, transfer: Transfer, request: Any = None) -> bytes:
    """The copy sent, kept with the child's file (the Lead's; password-protected as sent)."""
    require(policy.can_transfer(by))
    if not transfer.pdf:
        raise ValidationError("The file is not made yet.")
    log_event(actor=by, event=Event.TRANSFER_COPY_DOWNLOADED, obj=transfer, request=request)
    return bytes(transfer.pdf)


def under_way(child: Child) -> Transfer | None:
    """The child's transfer not yet confirmed received, if any."""
    return Transfer.objects.filter(child=child).exclude(state=TransferState.RECEIVED).first()


def sender_name(link: TransferLink) -> str:
    """The setting that sent a link (shown on the link's page, with no child's name)."""
    found = Setting.objects.filter(pk=link.transfer.setting_id).values_list("name", flat=True)
    return found.first() or "A setting"
