"""Thin views: fetch through a selector, validate with a form, call a service, say what happened.
The Lead approves and declines in the admin screen (consent.admin), not here."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.forms import Form
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from audit.log import log_access
from core.http import AuthenticatedHttpRequest, apply_service, page_errors, require
from records import policy as records_policy
from records import selectors as records_selectors
from records.forms import EntryForm
from records.models import DEFAULT_LEVEL, Category, Level

from . import policy, selectors, services
from .events import Event
from .forms import (
    AcknowledgedForm,
    ConfidentialityForm,
    ConsentForm,
    DecisionForm,
    DisclosureForm,
    EmergencyShareForm,
    FamilyInformedForm,
    FamilyNotInformedForm,
    OutcomeForm,
    SharedForm,
)
from .models import DecisionKind, DecisionState, LeadDecision, SharingDecision

EXTENSIONS = {"application/pdf": "pdf", "image/jpeg": "jpg", "image/png": "png"}


def _posted(request: AuthenticatedHttpRequest) -> Any:
    # An empty POST is still a submission (to be refused with messages), unlike `POST or None`.
    return request.POST if request.method == "POST" else None


def _files(request: AuthenticatedHttpRequest) -> Any:
    return request.FILES if request.method == "POST" else None


# --- a child's consent and sharing ---------------------------------------------------------------


@login_required
def child_sharing(request: AuthenticatedHttpRequest, child_id: UUID | str) -> HttpResponse:
    """A child's sharing history, with its disclosures and the consent of its carers."""
    user = request.user
    child = records_selectors.get_child_for_user(user, child_id)
    require(policy.reads_consent(user))
    return render(
        request,
        "consent/child.html",
        {
            "child": child,
            "decisions": selectors.decisions_for_child(user, child, request=request),
            "disclosures": selectors.disclosures_for_child(user, child, request=request),
            "consent": selectors.consent_ledger_of_child(user, child, request=request),
            "carers": records_selectors.carers_of(child),
            "can_write": records_policy.can_write_entry(user, child),
            "can_emergency": policy.can_record_emergency_share(user, child),
        },
    )


# --- disclosures ------------------------------------------------------------------------------


@login_required
def disclosure_create(request: AuthenticatedHttpRequest, child_id: UUID | str) -> HttpResponse:
    user = request.user
    child = records_selectors.get_child_for_user(user, child_id)
    require(policy.can_record_disclosure(user, child))
    form = DisclosureForm(_posted(request), user=user, child=child)
    if request.method == "POST" and form.is_valid():
        disclosure = apply_service(
            form,
            lambda: services.record_disclosure(
                child=child, author=user, **form.service_arguments()
            ),
        )
        if disclosure is not None:
            messages.success(request, "The disclosure was recorded.")
            return redirect("consent:disclosure_detail", disclosure_id=disclosure.pk)
    return render(request, "consent/disclosure_form.html", {"child": child, "form": form})


@login_required
def entry_with_disclosure(request: AuthenticatedHttpRequest, child_id: UUID | str) -> HttpResponse:
    """A record entry and the disclosure it records, in one form and one transaction."""
    user = request.user
    child = records_selectors.get_child_for_user(user, child_id)
    require(policy.can_record_disclosure(user, child))
    data = _posted(request)
    entry_form = EntryForm(data, _files(request), prefix="entry")
    disclosure_form = DisclosureForm(
        data, user=user, child=child, with_entry=True, prefix="disclosure"
    )
    if request.method == "POST":
        entry_ok = entry_form.is_valid()
        disclosure_ok = disclosure_form.is_valid()
        if entry_ok and disclosure_ok:
            e = entry_form.cleaned_data
            disclosure_args = disclosure_form.service_arguments()
            disclosure_args["what"] = e["text"]
            result = apply_service(
                [entry_form, disclosure_form],
                lambda: services.record_entry_with_disclosure(
                    child=child,
                    author=user,
                    entry={
                        "category": e["category"],
                        "level": e["level"],
                        "occurred_at": e["occurred_at"],
                        "text": e["text"],
                        "parent_informed_now": e["parent_informed_now"],
                        "informed_how": e["informed_how"],
                        "attachments": [e["attachment"]] if e["attachment"] else [],
                        "urgent": e["urgent"],
                        "parent_said": e["parent_said"],
                        "serious": e["serious"],
                        "significant": e["significant"],
                    },
                    disclosure=disclosure_args,
                ),
            )
            if result is not None:
                messages.success(request, "The entry and its disclosure were recorded.")
                return redirect("consent:disclosure_detail", disclosure_id=result[1].pk)
    return render(
        request,
        "consent/entry_with_disclosure.html",
        {
            "child": child,
            "entry_form": entry_form,
            "disclosure_form": disclosure_form,
            "default_levels": {c: int(DEFAULT_LEVEL[c]) for c in Category.values},
            "levels": Level,
        },
    )


@login_required
def disclosure_detail(request: AuthenticatedHttpRequest, disclosure_id: UUID | str) -> HttpResponse:
    user = request.user
    disclosure = selectors.get_disclosure_for_user(user, disclosure_id, request=request)
    visible_child_ids = selectors.subject_children_seen(user, disclosure)
    entries = selectors.entries_linked_to(disclosure)
    readable = selectors.readable_entries(user, entries)
    return render(
        request,
        "consent/disclosure_detail.html",
        {
            "disclosure": disclosure,
            "child": disclosure.child,
            "visible_child_ids": visible_child_ids,
            "entries": readable,
            "hidden_entries": len(entries) - len(readable),
            "can_answer": policy.can_answer_confidentiality(user, disclosure),
        },
    )


@login_required
def disclosure_confidentiality(
    request: AuthenticatedHttpRequest, disclosure_id: UUID | str
) -> HttpResponse:
    """Answer "is it confidential?" when it was not asked at the time."""
    user = request.user
    disclosure = selectors.get_disclosure_for_user(user, disclosure_id, request=request)
    require(policy.can_answer_confidentiality(user, disclosure))
    form = ConfidentialityForm(_posted(request), disclosure=disclosure)
    if request.method == "POST" and form.is_valid():
        done = apply_service(
            form,
            lambda: services.answer_confidentiality(
                disclosure=disclosure, by=user, request=request, **form.answers()
            ),
        )
        if done is not None:
            messages.success(request, "The answers were recorded.")
            return redirect("consent:disclosure_detail", disclosure_id=disclosure.pk)
    return render(
        request,
        "consent/confidentiality_form.html",
        {"disclosure": disclosure, "child": disclosure.child, "form": form},
    )


# --- consent records --------------------------------------------------------------------------


@login_required
def carer_consent(request: AuthenticatedHttpRequest, carer_id: UUID | str) -> HttpResponse:
    """The consent record of a carer: the current state of each purpose, and its history."""
    user = request.user
    carer = selectors.get_carer_for_user(user, carer_id)
    children = selectors.children_of_carer(user, carer)
    return render(
        request,
        "consent/carer.html",
        {
            "carer": carer,
            "lines": selectors.consent_ledger_of_carer(user, carer, request=request),
            "children": children,
            "can_record": any(policy.can_record_consent(user, c) for c in children),
        },
    )


@login_required
def consent_create(request: AuthenticatedHttpRequest, carer_id: UUID | str) -> HttpResponse:
    user = request.user
    carer = selectors.get_carer_for_user(user, carer_id)
    children = selectors.children_of_carer(user, carer)
    require(any(policy.can_record_consent(user, c) for c in children))
    form = ConsentForm(_posted(request), _files(request), user=user, carer=carer)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        record = apply_service(
            form,
            lambda: services.record_consent(
                carer=carer,
                child=data["child"],
                author=user,
                kind=data["kind"],
                purpose=data["purpose"],
                purpose_other=data["purpose_other"],
                status=data["status"],
                how=data["how"],
                given_at=data["given_at"],
                note=data["note"],
                evidence=data["evidence"],
            ),
        )
        if record is not None:
            messages.success(request, "The consent record was added; earlier rows are kept.")
            return redirect("consent:carer", carer_id=carer.pk)
    return render(request, "consent/consent_form.html", {"carer": carer, "form": form})


@login_required
def consent_evidence(request: AuthenticatedHttpRequest, record_id: UUID | str) -> HttpResponse:
    record = selectors.get_consent_record_for_user(request.user, record_id, request=request)
    if not record.has_evidence:
        raise Http404("No evidence attached")
    log_access(actor=request.user, objects=[record], request=request, event=Event.EVIDENCE_OPENED)
    response = HttpResponse(record.evidence, content_type=record.evidence_content_type)
    extension = EXTENSIONS[record.evidence_content_type]
    response["Content-Disposition"] = f'attachment; filename="consent-{record.ref}.{extension}"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


# --- sharing decisions ------------------------------------------------------------------------


@login_required
def decision_create(request: AuthenticatedHttpRequest, child_id: UUID | str) -> HttpResponse:
    """Propose a decision to share, or not to share, for the Lead's approval. With
    ``?supersedes=<id>`` it starts from an earlier decision, which it will replace."""
    user = request.user
    child = records_selectors.get_child_for_user(user, child_id)
    require(policy.can_propose_sharing(user, child))
    initial: dict[str, Any] = {}
    earlier_id = request.GET.get("supersedes")
    if earlier_id and request.method != "POST":
        earlier = selectors.get_decision_for_user(user, earlier_id, request=request)
        require(earlier.child_id == child.pk)
        initial = selectors.decision_as_initial(earlier)
    form = DecisionForm(_posted(request), user=user, child=child, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        decision = apply_service(
            form,
            lambda: services.propose_sharing(
                child=child,
                author=user,
                decision=data["decision"],
                details=services.DecisionDetails.from_cleaned_data(data),
                supersedes=data["supersedes"],
            ),
        )
        if decision is not None:
            messages.success(
                request,
                "The decision was proposed. The Lead approves or declines it in the admin screen.",
            )
            return redirect("consent:decision_detail", decision_id=decision.pk)
    return render(
        request,
        "consent/decision_form.html",
        {"child": child, "form": form, "emergency": False},
    )


@login_required
def emergency_share(request: AuthenticatedHttpRequest, child_id: UUID | str) -> HttpResponse:
    """The Lead or Deputy records a share made in an emergency, straight after."""
    user = request.user
    child = records_selectors.get_child_for_user(user, child_id)
    require(policy.can_record_emergency_share(user, child))
    form = EmergencyShareForm(_posted(request), user=user, child=child)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        decision = apply_service(
            form,
            lambda: services.record_emergency_share(
                child=child,
                author=user,
                details=services.DecisionDetails.from_cleaned_data(data),
                emergency_reason=data["emergency_reason"],
                shared_what=data["shared_what"],
                shared_at=data["shared_at"],
                shared_how=data["shared_how"],
            ),
        )
        if decision is not None:
            messages.warning(
                request,
                "The emergency share was recorded as retrospective. The Lead must review it "
                "within one working day.",
            )
            return redirect("consent:decision_detail", decision_id=decision.pk)
    return render(
        request,
        "consent/decision_form.html",
        {"child": child, "form": form, "emergency": True},
    )


def _decision_page(
    request: AuthenticatedHttpRequest, decision: SharingDecision, **forms: Form
) -> HttpResponse:
    """The decision page; a form passed in (with its errors) replaces the blank one."""
    user = request.user
    file = selectors.decision_file(user, decision, request=request)
    context: dict[str, Any] = {
        "decision": decision,
        "child": decision.child,
        "file": file,
        "states": DecisionState,
        "can_mark_shared": (
            decision.state == DecisionState.APPROVED
            and decision.decision == DecisionKind.SHARE
            and policy.can_mark_shared(user, decision)
        ),
        "can_inform": decision.state == DecisionState.SHARED
        and policy.can_record_family_informed(user, decision),
        "can_not_inform": decision.state == DecisionState.SHARED
        and policy.can_decide_family_not_informed(user),
        "can_track_referral": decision.is_referral
        and decision.state in selectors.SHARED_STATES
        and policy.can_record_referral_response(user, decision),
        "can_approve": decision.lead_decision == LeadDecision.PENDING
        and policy.can_approve(user, decision),
        "can_supersede": decision.is_decided and policy.can_propose_sharing(user, decision.child),
        "admin_url": reverse("admin:consent_sharingdecision_change", args=[decision.pk]),
        # Follow-up actions (safeguarding) are set by the Lead and the Deputy.
        "can_follow_up": policy.can_use_decisions_admin(user),
        "shared_form": SharedForm(),
        "informed_form": FamilyInformedForm(),
        "not_informed_form": FamilyNotInformedForm(),
        "acknowledged_form": AcknowledgedForm(),
        "outcome_form": OutcomeForm(),
    }
    context.update(forms)
    context["page_errors"] = page_errors(*forms.values())
    return render(request, "consent/decision_detail.html", context, status=400 if forms else 200)


@login_required
def decision_detail(request: AuthenticatedHttpRequest, decision_id: UUID | str) -> HttpResponse:
    decision = selectors.get_decision_for_user(request.user, decision_id, request=request)
    return _decision_page(request, decision)


@login_required
@require_POST
def decision_shared(request: AuthenticatedHttpRequest, decision_id: UUID | str) -> HttpResponse:
    user = request.user
    decision = selectors.get_decision_for_user(user, decision_id, request=request)
    require(policy.can_mark_shared(user, decision))
    form = SharedForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        done = apply_service(
            form,
            lambda: services.mark_shared(
                decision=decision,
                by=user,
                shared_what=data["shared_what"],
                shared_at=data["shared_at"],
                shared_how=data["shared_how"],
                request=request,
            ),
        )
        if done is not None:
            messages.success(request, "Recorded what was shared, when and how.")
            return redirect("consent:decision_detail", decision_id=decision.pk)
    return _decision_page(request, decision, shared_form=form)


@login_required
@require_POST
def family_informed(request: AuthenticatedHttpRequest, decision_id: UUID | str) -> HttpResponse:
    user = request.user
    decision = selectors.get_decision_for_user(user, decision_id, request=request)
    require(policy.can_record_family_informed(user, decision))
    form = FamilyInformedForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        done = apply_service(
            form,
            lambda: services.record_family_informed(
                decision=decision,
                by=user,
                informed_at=data["informed_at"],
                how=data["how"],
                request=request,
            ),
        )
        if done is not None:
            messages.success(request, "Recorded that the family was told.")
            return redirect("consent:decision_detail", decision_id=decision.pk)
    return _decision_page(request, decision, informed_form=form)


@login_required
@require_POST
def family_not_informed(request: AuthenticatedHttpRequest, decision_id: UUID | str) -> HttpResponse:
    user = request.user
    decision = selectors.get_decision_for_user(user, decision_id, request=request)
    require(policy.can_decide_family_not_informed(user))
    form = FamilyNotInformedForm(request.POST)
    if form.is_valid():
        done = apply_service(
            form,
            lambda: services.decide_family_not_informed(
                decision=decision, lead=user, reason=form.cleaned_data["reason"], request=request
            ),
        )
        if done is not None:
            messages.success(request, "Recorded your decision not to tell the family, and why.")
            return redirect("consent:decision_detail", decision_id=decision.pk)
    return _decision_page(request, decision, not_informed_form=form)


@login_required
@require_POST
def referral_acknowledged(
    request: AuthenticatedHttpRequest, decision_id: UUID | str
) -> HttpResponse:
    user = request.user
    decision = selectors.get_decision_for_user(user, decision_id, request=request)
    require(policy.can_record_referral_response(user, decision))
    form = AcknowledgedForm(request.POST)
    if form.is_valid():
        done = apply_service(
            form,
            lambda: services.record_referral_acknowledged(
                decision=decision,
                by=user,
                acknowledged_at=form.cleaned_data["acknowledged_at"],
                request=request,
            ),
        )
        if done is not None:
            messages.success(request, "Recorded the acknowledgement of the referral.")
            return redirect("consent:decision_detail", decision_id=decision.pk)
    return _decision_page(request, decision, acknowledged_form=form)


@login_required
@require_POST
def referral_outcome(request: AuthenticatedHttpRequest, decision_id: UUID | str) -> HttpResponse:
    user = request.user
    decision = selectors.get_decision_for_user(user, decision_id, request=request)
    require(policy.can_record_referral_response(user, decision))
    form = OutcomeForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        done = apply_service(
            form,
            lambda: services.record_referral_outcome(
                decision=decision,
                by=user,
                outcome=data["outcome"],
                outcome_at=data["outcome_at"],
                notes=data["notes"],
                request=request,
            ),
        )
        if done is not None:
            messages.success(request, "Recorded the outcome of the referral.")
            return redirect("consent:decision_detail", decision_id=decision.pk)
    return _decision_page(request, decision, outcome_form=form)
