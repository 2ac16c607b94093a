"""The destruction queue: the monthly review's offers, the Lead's approval, a second person's
confirmation, and the certificate."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from audit.log import log_event
from core.http import AuthenticatedHttpRequest, apply_service, pdf_response, require
from records import leaving
from records import policy as records_policy
from records import selectors as records_selectors

from . import certificate, destruction, policy, rights, selectors, transfer
from .events import Event
from .forms import (
    CancelForm,
    ConfirmForm,
    CoverForm,
    DecideForm,
    ItemForm,
    LetterSentForm,
    PersonForm,
    ReceiptForm,
    RightsDecisionForm,
    RightsRequestForm,
    StartTransferForm,
    TellForm,
)
from .models import DestructionState


@login_required
def queue(request: AuthenticatedHttpRequest) -> HttpResponse:
    require(policy.can_review(request.user))
    rows = [(d, selectors.offered(d)) for d in destruction.queue()]
    return render(
        request,
        "lifecycle/queue.html",
        {
            "open": [(d, o) for d, o in rows if d.is_open],
            "settled": [(d, o) for d, o in rows if not d.is_open],
            "last_review": destruction.last_review(),
            "can_review_now": policy.can_approve(request.user),
        },
    )


@login_required
@require_POST
def review_now(request: AuthenticatedHttpRequest) -> HttpResponse:
    require(policy.can_approve(request.user))
    made = destruction.review(by=request.user)
    messages.success(
        request,
        f"{len(made)} new offer{'s' if len(made) != 1 else ''} of records past their date."
        if made
        else "Nothing new is past its retention date.",
    )
    return redirect("lifecycle:queue")


@login_required
def detail(request: AuthenticatedHttpRequest, destruction_id: str) -> HttpResponse:
    user = request.user
    require(policy.can_review(user))
    found = destruction.destruction_by_id(destruction_id)
    if found is None:
        raise Http404("No such destruction.")
    step = request.POST.get("step") if request.method == "POST" else None
    unknown = step is not None and step not in ("approve", "confirm", "cancel")
    decide_form = DecideForm(request.POST if step in ("approve", "confirm") or unknown else None)
    cancel_form = CancelForm(request.POST if step == "cancel" else None)
    if step == "approve" and decide_form.is_valid():
        if apply_service(decide_form, lambda: destruction.approve(by=user, destruction=found)):
            messages.success(request, "Approved: a second person now confirms it.")
            return redirect("lifecycle:detail", destruction_id=found.pk)
    elif step == "confirm" and decide_form.is_valid():
        if apply_service(decide_form, lambda: destruction.confirm(by=user, destruction=found)):
            messages.success(request, "The records are destroyed. The certificate is below.")
            return redirect("lifecycle:detail", destruction_id=found.pk)
    elif step == "cancel" and cancel_form.is_valid():
        reason = cancel_form.cleaned_data["cancel_reason"]
        if apply_service(
            cancel_form,
            lambda: destruction.cancel(by=user, destruction=found, reason=reason),
        ):
            messages.success(request, "These records are kept for now.")
            return redirect("lifecycle:detail", destruction_id=found.pk)
    elif unknown:
        decide_form.is_valid()
        decide_form.add_error(None, "Choose what to do: approve, confirm, or keep the records.")
    found.refresh_from_db()
    return render(
        request,
        "lifecycle/detail.html",
        {
            "destruction": found,
            "offered": selectors.offered(found),
            "decide_form": decide_form,
            "cancel_form": cancel_form,
            "step": step,
            "can_approve": found.state == DestructionState.PROPOSED and policy.can_approve(user),
            "can_confirm": found.state == DestructionState.APPROVED
            and policy.can_confirm(user, found),
            "approved_by_me": found.state == DestructionState.APPROVED
            and not policy.can_confirm(user, found),
        },
        status=400 if step is not None else 200,
    )


@login_required
def certificate_pdf(request: AuthenticatedHttpRequest, destruction_id: str) -> HttpResponse:
    require(policy.can_review(request.user))
    found = destruction.destruction_by_id(destruction_id)
    if found is None or found.state != DestructionState.DESTROYED:
        raise Http404("No certificate: nothing was destroyed.")
    pdf = certificate.certificate_pdf(found)
    log_event(
        actor=request.user,
        event=Event.CERTIFICATE_DOWNLOADED,
        obj=found,
        request=request,
        detail={"reference": found.reference},
    )
    return pdf_response(pdf, f"destruction-certificate-{found.reference}.pdf")


# --- the child-protection file moves on -------------------------------------------------------


@login_required
def transfer_start(request: AuthenticatedHttpRequest, child_id: str) -> HttpResponse:
    """Start sending a leaver's child-protection file to the next school's DSL."""
    user = request.user
    child = records_selectors.get_child_for_user(user, child_id)
    require(policy.can_transfer(user))
    under_way = transfer.under_way(child)
    if under_way is not None:
        return redirect("lifecycle:transfer", transfer_id=under_way.pk)
    row = leaving.leaving_of(child)
    form = StartTransferForm(
        request.POST or None,
        initial={"receiving_setting": row.destination if row else ""},
    )
    if request.method == "POST" and form.is_valid():
        started = apply_service(
            form, lambda: transfer.start(by=user, child=child, **form.cleaned_data)
        )
        if started is not None:
            messages.success(
                request,
                "The child-protection file is compiled. Review it: every other person it names "
                "is redacted unless you decide to pass them on.",
            )
            return redirect("lifecycle:transfer", transfer_id=started.pk)
    return render(
        request,
        "lifecycle/transfer_start.html",
        {
            "child": child,
            "form": form,
            "due": transfer.clock(child.left_on) if child.left_on else None,
        },
        status=400 if form.errors else 200,
    )


@login_required
def transfer_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    require(policy.can_see_transfers(request.user))
    return render(
        request,
        "lifecycle/transfer_list.html",
        {"transfers": transfer.transfers(), "today": timezone.localdate()},
    )


def _step_forms(request: AuthenticatedHttpRequest, step: str | None) -> dict[str, Any]:
    post = request.POST if request.method == "POST" else None
    return {
        "item": ItemForm(post if step == "item" else None),
        "person": PersonForm(post if step == "person" else None),
        "cover": CoverForm(post if step == "cover" else None),
        "receipt": ReceiptForm(post if step == "receipt" else None),
        "confirm": ConfirmForm(post if step in ("approve", "send") else None),
    }


@login_required
def transfer_detail(request: AuthenticatedHttpRequest, transfer_id: str) -> HttpResponse:
    """The Lead's review of a transfer, and each step after it."""
    user = request.user
    require(policy.can_see_transfers(user))
    found = transfer.transfer_by_id(transfer_id)
    if found is None:
        raise Http404("No such transfer.")
    step = request.POST.get("step") if request.method == "POST" else None
    if step is not None:
        require(policy.can_transfer(user))
    forms = _step_forms(request, step)
    done = _transfer_step(request, found, step, forms) if step else None
    if done is not None:
        return done
    if step is not None and not any(f.errors for f in forms.values()):
        forms["confirm"] = ConfirmForm(request.POST)
        forms["confirm"].is_valid()
        forms["confirm"].add_error(None, "Choose one of the steps on this page.")
    found = transfer.transfer_by_id(found.pk) or found
    return render(
        request,
        "lifecycle/transfer_detail.html",
        {
            "transfer": found,
            "items": list(found.items.all()),
            "people": list(found.people.all()),
            "shown": transfer.shown_items(found) if found.state == "review" else [],
            "forms": forms,
            "errors": [f for f in forms.values() if f.errors],
            "error_on": request.POST.get("target", "") if step else "",
            "can_transfer": policy.can_transfer(user),
            "reads_restricted": records_policy.reads_restricted(user),
        },
        status=400 if step is not None else 200,
    )


def _transfer_step(
    request: AuthenticatedHttpRequest, found: Any, step: str, forms: dict[str, Any]
) -> HttpResponse | None:
    user = request.user
    back = redirect("lifecycle:transfer", transfer_id=found.pk)
    if step == "item" and forms["item"].is_valid():
        item = transfer.item_by_id(found, request.POST.get("target", ""))
        if item is None:
            forms["item"].add_error(None, "Choose one of the records of this file.")
            return None
        data = forms["item"].cleaned_data
        if apply_service(
            forms["item"],
            lambda: transfer.set_item(
                by=user, item=item, included=data["included"], reason=data["left_out_reason"]
            ),
        ):
            return back
    elif step == "person" and forms["person"].is_valid():
        person = transfer.person_by_id(found, request.POST.get("target", ""))
        if person is None:
            forms["person"].add_error(None, "Choose one of the people named in this file.")
            return None
        data = forms["person"].cleaned_data
        if apply_service(
            forms["person"],
            lambda: transfer.decide_person(
                by=user, person=person, decision=data["decision"], reason=data["reason"]
            ),
        ):
            return back
    elif step == "cover" and forms["cover"].is_valid():
        if apply_service(
            forms["cover"],
            lambda: transfer.update_cover(by=user, transfer=found, **forms["cover"].cleaned_data),
        ):
            messages.success(request, "The cover sheet is saved.")
            return back
    elif step == "approve" and forms["confirm"].is_valid():
        result = apply_service(forms["confirm"], lambda: transfer.approve(by=user, transfer=found))
        if result is not None:
            approved, password = result
            # Shown once: the page is not stored by the browser, and never again.
            return render(
                request,
                "lifecycle/transfer_password.html",
                {"transfer": approved, "password": password},
            )
    elif step == "send" and forms["confirm"].is_valid():

        def link_url(token: str) -> str:
            return request.build_absolute_uri(reverse("lifecycle:transfer_link", args=[token]))

        if apply_service(
            forms["confirm"],
            lambda: transfer.send(by=user, transfer=found, link_url=link_url, request=request),
        ):
            messages.success(
                request,
                f"The link is emailed to {found.dsl_name}. Now phone them with the password.",
            )
            return back
    elif step == "receipt" and forms["receipt"].is_valid():
        data = forms["receipt"].cleaned_data
        if apply_service(
            forms["receipt"],
            lambda: transfer.record_phone_receipt(
                by=user,
                transfer=found,
                name=data["received_name"],
                role=data["received_role"],
                received_on=data["received_on"],
            ),
        ):
            messages.success(request, "The confirmation of receipt is recorded.")
            return back
    return None


@login_required
def transfer_copy(request: AuthenticatedHttpRequest, transfer_id: str) -> HttpResponse:
    """The copy sent, kept with the child's file (password-protected, as sent)."""
    require(policy.can_transfer(request.user))
    found = transfer.transfer_by_id(transfer_id)
    if found is None or not found.pdf:
        raise Http404("No copy.")
    data = transfer.kept_copy(by=request.user, transfer=found, request=request)
    return pdf_response(data, f"child-protection-file-{str(found.pk)[:8]}.pdf")


def transfer_link(request: HttpRequest, token: str) -> HttpResponse:
    """The receiving DSL's one-time link: a page (no sign-in), the file once, and the
    confirmation of receipt."""
    step = request.POST.get("step") if request.method == "POST" else None
    form = ReceiptForm(request.POST if step == "receipt" else None)
    try:
        if step == "download":
            sent = transfer.download(token, request)
            return pdf_response(bytes(sent.pdf), f"child-protection-file-{str(sent.pk)[:8]}.pdf")
        if step == "receipt" and form.is_valid():
            data = form.cleaned_data
            apply_service(
                form,
                lambda: transfer.confirm_by_link(
                    token=token,
                    request=request,
                    name=data["received_name"],
                    role=data["received_role"],
                    received_on=data["received_on"],
                ),
            )
            if not form.errors:
                return render(request, "lifecycle/transfer_link.html", {"thanked": True})
        link = transfer.open_link(token, request)
    except transfer.LinkRefused as exc:
        return render(
            request, "lifecycle/transfer_link.html", {"refused": str(exc)}, status=exc.status
        )
    return render(
        request,
        "lifecycle/transfer_link.html",
        {
            "link": link,
            "sent_by": transfer.sender_name(link),
            "form": form,
            "received": link.transfer.state == "received",
        },
        status=400 if form.errors else 200,
    )


# --- a parent's other rights -------------------------------------------------------------------


@login_required
def rights_new(request: AuthenticatedHttpRequest, child_id: str) -> HttpResponse:
    user = request.user
    child = records_selectors.get_child_for_user(user, child_id)
    require(policy.can_handle_rights(user))
    form = RightsRequestForm(
        request.POST or None,
        child=child,
        entries=records_policy.linkable_entries(user, child),
        initial={"received_on": timezone.localdate()},
    )
    if request.method == "POST" and form.is_valid():
        made = apply_service(
            form, lambda: rights.record_request(by=user, child=child, **form.cleaned_data)
        )
        if made is not None:
            messages.success(request, f"Recorded: the answer is due by {made.due_on:%d %B %Y}.")
            return redirect("lifecycle:rights", request_id=made.pk)
    return render(
        request,
        "lifecycle/rights_new.html",
        {"child": child, "form": form},
        status=400 if form.errors else 200,
    )


@login_required
def rights_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    require(policy.can_handle_rights(request.user))
    return render(
        request,
        "lifecycle/rights_list.html",
        {"requests": rights.requests(), "today": timezone.localdate()},
    )


@login_required
def rights_detail(request: AuthenticatedHttpRequest, request_id: str) -> HttpResponse:
    user = request.user
    require(policy.can_handle_rights(user))
    found = rights.request_by_id(request_id)
    if found is None:
        raise Http404("No such request.")
    step = request.POST.get("step") if request.method == "POST" else None
    post = request.POST if step is not None else None
    unknown = step is not None and step not in ("decide", "letter", "tell")
    decision_form = RightsDecisionForm(post if step == "decide" else None)
    letter_form = LetterSentForm(post if step == "letter" or unknown else None)
    tell_form = TellForm(post if step == "tell" else None)
    back = redirect("lifecycle:rights", request_id=found.pk)
    if step == "decide" and decision_form.is_valid():
        require(policy.can_decide_rights(user))
        if apply_service(
            decision_form,
            lambda: rights.decide(by=user, request=found, **decision_form.cleaned_data),
        ):
            messages.success(
                request, "Decided. Send the letter, and tell those it was shared with."
            )
            return back
    elif step == "letter" and letter_form.is_valid():
        sent_on = letter_form.cleaned_data["sent_on"]
        if apply_service(
            letter_form, lambda: rights.letter_sent(by=user, request=found, sent_on=sent_on)
        ):
            return back
    elif step == "tell" and tell_form.is_valid():
        decision = rights.decision_by_id(found, request.POST.get("target", ""))
        data = tell_form.cleaned_data
        if decision is None:
            tell_form.add_error(None, "Choose one of the recipients listed.")
        elif apply_service(
            tell_form,
            lambda: rights.tell_recipient(
                by=user, request=found, decision=decision, told_on=data["told_on"], how=data["how"]
            ),
        ):
            return back
    elif unknown:
        letter_form.is_valid()
        letter_form.add_error(None, "Choose one of the steps on this page.")
    told = {notice.decision_id: notice for notice in found.notices.all()}
    return render(
        request,
        "lifecycle/rights_detail.html",
        {
            "rr": found,
            "entries": list(found.entries.all()),
            "letter": rights.letter_text(found) if found.outcome else "",
            "recipients": [(d, told.get(d.pk)) for d in rights.recipients(found)],
            "decision_form": decision_form,
            "letter_form": letter_form,
            "tell_form": tell_form,
            "errors": [f for f in (decision_form, letter_form, tell_form) if f.errors],
            "can_decide": policy.can_decide_rights(user) and not found.outcome,
            "today": timezone.localdate(),
        },
        status=400 if step is not None else 200,
    )
