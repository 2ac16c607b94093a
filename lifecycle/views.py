"""The destruction queue: the monthly review's offers, the Lead's approval, a second person's
confirmation, and the certificate."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from audit.log import log_event
from core.http import AuthenticatedHttpRequest, apply_service, require

from . import certificate, destruction, policy, selectors
from .events import Event
from .forms import CancelForm, DecideForm
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
        status=400 if step else 200,
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
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = (
        f'attachment; filename="destruction-certificate-{found.reference}.pdf"'
    )
    return response
