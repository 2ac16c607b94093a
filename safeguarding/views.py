"""The triage queue: concerns waiting for the Lead, acknowledged with a next step."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone

from consent import selectors as consent_selectors
from core.http import AuthenticatedHttpRequest, apply_service, page_errors, pdf_response, require
from records import policy as records_policy
from records import selectors as records_selectors

from . import actions, alerts, evidence, notices, policy, printing, reports
from .forms import AcknowledgeForm, ActionForm, CompleteForm, OfstedNoticeForm, PeriodForm
from .models import PRINT_KEPT_DAYS, NextStep


@login_required
def triage(request: AuthenticatedHttpRequest) -> HttpResponse:
    user = request.user
    require(policy.can_triage(user))
    seen = alerts.last_seen(user)
    now = timezone.now()
    rows = [
        (alert, seen is None or alert.raised_at > seen, alerts.is_late(alert, now))
        for alert in alerts.queue(user)
    ]
    alerts.seen_now(user)
    return render(request, "safeguarding/triage.html", {"rows": rows, "last_seen": seen})


TRIAGE_STEPS = ("acknowledge", "action")


@login_required
def triage_item(request: AuthenticatedHttpRequest, alert_id: str) -> HttpResponse:
    user = request.user
    require(policy.can_triage(user))
    found = alerts.alert_for(user, alert_id)
    if found is None:
        raise Http404("Not found.")
    step = request.POST.get("step", "acknowledge") if request.method == "POST" else None
    unknown = step is not None and step not in TRIAGE_STEPS
    post = request.POST if step is not None else None
    ack = AcknowledgeForm(post if step == "acknowledge" or unknown else None)
    action = ActionForm(
        post if step == "action" else None, assignees=actions.possible_assignees(found.entry)
    )
    if unknown:
        ack.is_valid()
        ack.add_error(None, "Choose one of the steps on this page.")
    elif step == "acknowledge" and ack.is_valid():
        done = apply_service(
            ack, lambda: alerts.acknowledge(by=user, alert=found, **ack.cleaned_data)
        )
        if done is not None:
            if done.next_step == NextStep.REFER:
                messages.success(
                    request, "Acknowledged. Now record the referral as a sharing decision."
                )
                return redirect("consent:decision_create", child_id=done.entry.child_id)
            messages.success(request, "Acknowledged.")
            return redirect("safeguarding:triage_item", alert_id=found.pk)
    elif step == "action" and action.is_valid():
        made = apply_service(
            action,
            lambda: actions.set_action(by=user, entry=found.entry, **action.cleaned_data),
        )
        if made is not None:
            messages.success(request, f"The action is {made.assignee.full_name}'s.")
            return redirect("safeguarding:triage_item", alert_id=found.pk)
    return render(
        request,
        "safeguarding/triage_item.html",
        {
            "alert": found,
            "form": ack,
            "action_form": action,
            "actions": actions.on_entry(user, found.entry),
            "late": alerts.is_late(found),
            "errors": [f for f in (ack, action) if f.errors],
        },
        status=400 if step is not None else 200,
    )


@login_required
def action_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    user = request.user
    require(policy.has_actions_page(user))
    return render(
        request,
        "safeguarding/action_list.html",
        {
            "mine": actions.my_actions(user),
            "overdue": actions.overdue(user),
            "today": timezone.localdate(),
        },
    )


@login_required
def action_detail(request: AuthenticatedHttpRequest, action_id: str) -> HttpResponse:
    user = request.user
    found = actions.action_for(user, action_id)
    if found is None:
        raise Http404("Not found.")
    # An action has the level of what it hangs on: a sensitive one's reading is audited.
    records_selectors.log_reads(user, [found], request=request)
    form = CompleteForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        done = apply_service(
            form, lambda: actions.complete(by=user, action=found, **form.cleaned_data)
        )
        if done is not None:
            messages.success(request, "Recorded as done.")
            return redirect("safeguarding:actions")
    return render(
        request,
        "safeguarding/action_detail.html",
        {"action": found, "form": form, "today": timezone.localdate()},
        status=400 if form.errors else 200,
    )


@login_required
def decision_actions(request: AuthenticatedHttpRequest, decision_id: str) -> HttpResponse:
    """Follow-up actions on a sharing decision or a referral: set by the Lead and the Deputy."""
    user = request.user
    # The decision first: asking for one the person may not see is a refusal, audited.
    decision = consent_selectors.get_decision_for_user(user, decision_id, request=request)
    require(policy.can_set_actions(user))
    form = ActionForm(request.POST or None, assignees=actions.possible_assignees(decision))
    if request.method == "POST" and form.is_valid():
        made = apply_service(
            form, lambda: actions.set_action(by=user, decision=decision, **form.cleaned_data)
        )
        if made is not None:
            messages.success(request, f"The action is {made.assignee.full_name}'s.")
            return redirect("safeguarding:decision_actions", decision_id=decision.pk)
    return render(
        request,
        "safeguarding/decision_actions.html",
        {"decision": decision, "form": form, "actions": actions.on_decision(user, decision)},
        status=400 if form.errors else 200,
    )


@login_required
def notice_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    user = request.user
    require(policy.can_triage(user))
    rows = [(n, n.late()) for n in notices.visible(user).select_related("entry__child")]
    return render(request, "safeguarding/notice_list.html", {"rows": rows})


@login_required
def notice_detail(request: AuthenticatedHttpRequest, notice_id: str) -> HttpResponse:
    user = request.user
    require(policy.can_triage(user))
    found = notices.notice_for(user, notice_id)
    if found is None:
        raise Http404("Not found.")
    saved = "" if found.agencies_apply is None else ("yes" if found.agencies_apply else "no")
    form = OfstedNoticeForm(
        request.POST or None,
        initial={"ofsted_reference": found.ofsted_reference, "agencies_apply": saved},
    )
    if request.method == "POST" and form.is_valid():
        done = apply_service(
            form, lambda: notices.record(by=user, notice=found, **form.cleaned_data)
        )
        if done is not None:
            messages.success(request, "Saved.")
            return redirect("safeguarding:notice", notice_id=found.pk)
    return render(
        request,
        "safeguarding/notice_detail.html",
        {"notice": found, "form": form, "late": found.late()},
        status=400 if form.errors else 200,
    )


# --- the chronology for a conference ----------------------------------------------------------


@login_required
def print_chronology(request: AuthenticatedHttpRequest, child_id: str) -> HttpResponse:
    """The chronology as a PDF for a child-protection conference: the filter chosen on the
    child's page (GET), made in the background once asked (POST)."""
    user = request.user
    child = records_selectors.get_child_for_user(user, child_id)
    require(records_policy.can_print_chronology(user, child))
    params = request.POST if request.method == "POST" else request.GET
    chosen = printing.chosen_words(user, child, params)
    error = ""
    if request.method == "POST":
        try:
            made = printing.ask(by=user, child=child, params=params)
        except ValidationError as exc:
            error = " ".join(exc.messages)
        else:
            messages.success(request, "The PDF is being made: it is ready in a moment.")
            return redirect("safeguarding:chronology_print", print_id=made.pk)
    return render(
        request,
        "safeguarding/print_chronology.html",
        {
            "child": child,
            "chosen": chosen,
            "hidden": printing.hidden_fields(params),
            "prints": printing.prints_of(user, child),
            "error": error,
        },
        status=400 if error else 200,
    )


@login_required
def chronology_print(request: AuthenticatedHttpRequest, print_id: str) -> HttpResponse:
    found = printing.print_for(request.user, print_id)
    if found is None:
        raise Http404("Not found.")
    return render(
        request,
        "safeguarding/chronology_print.html",
        {"made": found, "kept_days": PRINT_KEPT_DAYS},
    )


@login_required
def chronology_print_download(request: AuthenticatedHttpRequest, print_id: str) -> HttpResponse:
    found = printing.print_for(request.user, print_id)
    if found is None or not found.is_ready:
        raise Http404("Not found.")
    pdf = printing.download(by=request.user, made=found, request=request)
    response = HttpResponse(pdf, content_type="application/pdf")
    stamp = timezone.localtime(found.requested_at).strftime("%Y-%m-%d")
    response["Content-Disposition"] = f'attachment; filename="chronology-{stamp}.pdf"'
    response["Cache-Control"] = "no-store"
    return response


# --- reports and the policy evidence pack ---------------------------------------------------


def _chosen_period(
    request: AuthenticatedHttpRequest,
) -> tuple[PeriodForm, reports.Period | None]:
    """The period asked for (by default this academic year), or None, with the form's errors,
    when the choice is not one of the setting's."""
    known = reports.calendar(request.user)
    asked = request.GET if "period" in request.GET else None
    form = PeriodForm(asked, choices=known.choices, initial={"period": known.default})
    if asked is None:
        return form, known.periods[known.default]
    if form.is_valid():
        return form, known.periods[form.cleaned_data["period"]]
    return form, None


@login_required
def report_page(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Counts for the Lead, the Deputy and the trustees, by term and academic year."""
    user = request.user
    require(policy.can_read_reports(user))
    form, period = _chosen_period(request)
    report = None
    if period is not None:
        report = reports.report_for(user, period)
        reports.record_reading(by=user, period=period, page="reports", request=request)
    return render(
        request,
        "safeguarding/reports.html",
        {"form": form, "report": report, "page_errors": page_errors(form)},
        status=400 if period is None else 200,
    )


@login_required
def evidence_page(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The policy evidence pack: the page (GET), or its PDF (GET with ?format=pdf)."""
    user = request.user
    require(policy.can_read_reports(user))
    form, period = _chosen_period(request)
    if period is not None and request.GET.get("format") == "pdf":
        pdf = evidence.pack_pdf(by=user, period=period, request=request)
        return pdf_response(pdf, evidence.filename(period))
    pack = None
    if period is not None:
        pack = evidence.pack_for(user, period)
        reports.record_reading(by=user, period=period, page="evidence", request=request)
    return render(
        request,
        "safeguarding/evidence.html",
        {"form": form, "pack": pack, "page_errors": page_errors(form)},
        status=400 if period is None else 200,
    )
