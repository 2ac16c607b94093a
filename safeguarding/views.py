"""The triage queue: concerns waiting for the Lead, acknowledged with a next step."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone

from core.http import AuthenticatedHttpRequest, apply_service, require

from . import actions, alerts, notices, policy
from .forms import AcknowledgeForm, ActionForm, CompleteForm, OfstedNoticeForm
from .models import NextStep


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
