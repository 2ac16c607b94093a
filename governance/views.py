"""The breach log: a suspected breach reported by anyone; assessed, decided and closed by the
Lead and the Deputy, against the 72-hour clock."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone

from core.http import AuthenticatedHttpRequest, apply_service, pdf_response, require

from . import access_review, allegations, breaches, policies, policy, privacy
from .forms import (
    AccessReviewForm,
    AllegationForm,
    AssessForm,
    CloseForm,
    ConcludeForm,
    DecideForm,
    LadoForm,
    OfstedForm,
    PeopleToldForm,
    PolicyForm,
    PolicyReviewForm,
    ReportForm,
    StrategyForm,
)

STEPS = ("assess", "decide", "told", "close")


@login_required
def breach_new(request: AuthenticatedHttpRequest) -> HttpResponse:
    user = request.user
    require(policy.can_report_breach(user))
    form = ReportForm(
        request.POST or None,
        initial={"aware_at": timezone.localtime().replace(second=0, microsecond=0)},
    )
    if request.method == "POST" and form.is_valid():
        made = apply_service(form, lambda: breaches.report(by=user, **form.cleaned_data))
        if made is not None:
            messages.success(
                request,
                "Thank you: the Lead is told on their dashboard. Tell them in person too, today.",
            )
            if policy.can_manage_breaches(user):
                return redirect("governance:breach", breach_id=made.pk)
            return redirect("home:dashboard")
    return render(
        request, "governance/breach_new.html", {"form": form}, status=400 if form.errors else 200
    )


@login_required
def breach_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    require(policy.can_read_breaches(request.user))
    now = timezone.now()
    rows = [(b, b.hours_left(now) if b.clock_running else None) for b in breaches.breaches()]
    return render(request, "governance/breach_list.html", {"rows": rows})


@login_required
def breach_detail(request: AuthenticatedHttpRequest, breach_id: str) -> HttpResponse:
    user = request.user
    require(policy.can_read_breaches(user))
    found = breaches.breach_by_id(breach_id)
    if found is None:
        raise Http404("No such breach.")
    step = request.POST.get("step") if request.method == "POST" else None
    # The trustees read the log; the Lead and the Deputy keep it.
    require(step is None or policy.can_manage_breaches(user))
    unknown = step is not None and step not in STEPS
    post = request.POST if step is not None else None
    forms: dict[str, Any] = {
        "assess": AssessForm(post if step == "assess" or unknown else None),
        "decide": DecideForm(post if step == "decide" else None),
        "told": PeopleToldForm(post if step == "told" else None),
        "close": CloseForm(post if step == "close" else None),
    }
    if unknown:
        forms["assess"].is_valid()
        forms["assess"].add_error(None, "Choose one of the steps on this page.")
    elif step is not None and forms[step].is_valid():
        data = forms[step].cleaned_data
        actions = {
            "assess": lambda: breaches.assess(by=user, breach=found, **data),
            "decide": lambda: breaches.decide(by=user, breach=found, **data),
            "told": lambda: breaches.people_told(by=user, breach=found, **data),
            "close": lambda: breaches.close(by=user, breach=found, **data),
        }
        if step == "decide":
            require(policy.can_decide_breach(user))
        if apply_service(forms[step], actions[step]) is not None:
            messages.success(request, "Saved.")
            return redirect("governance:breach", breach_id=found.pk)
    found = breaches.breach_by_id(found.pk) or found
    return render(
        request,
        "governance/breach_detail.html",
        {
            "breach": found,
            "hours_left": found.hours_left() if found.clock_running else None,
            "forms": forms,
            "errors": [f for f in forms.values() if f.errors],
            "can_decide": policy.can_decide_breach(user),
            "can_manage": policy.can_manage_breaches(user),
        },
        status=400 if step is not None else 200,
    )


# --- the policy register ---------------------------------------------------------------------


@login_required
def policy_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    require(policy.can_read_policies(request.user))
    require(request.method != "POST" or policy.can_manage_policies(request.user))
    form = PolicyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        made = apply_service(
            form, lambda: policies.add_policy(by=request.user, **form.cleaned_data)
        )
        if made is not None:
            messages.success(request, f"Policy {made.number} is on the register.")
            return redirect("governance:policy", policy_id=made.pk)
    return render(
        request,
        "governance/policy_list.html",
        {
            "rows": policies.register(),
            "form": form,
            "soon_days": policies.SOON_DAYS,
            "can_manage": policy.can_manage_policies(request.user),
        },
        status=400 if form.errors else 200,
    )


@login_required
def policy_detail(request: AuthenticatedHttpRequest, policy_id: str) -> HttpResponse:
    require(policy.can_read_policies(request.user))
    require(request.method != "POST" or policy.can_manage_policies(request.user))
    found = policies.policy_by_id(policy_id)
    if found is None:
        raise Http404("No such policy.")
    latest = policies.current(found)
    form = PolicyReviewForm(
        request.POST or None,
        initial={"text": latest.text if latest else "", "adopted_on": timezone.localdate()},
    )
    if request.method == "POST" and form.is_valid():
        done = apply_service(
            form, lambda: policies.review(by=request.user, found=found, **form.cleaned_data)
        )
        if done is not None:
            messages.success(request, "The review is recorded; the earlier version is kept.")
            return redirect("governance:policy", policy_id=found.pk)
    return render(
        request,
        "governance/policy_detail.html",
        {
            "policy": found,
            "versions": policies.versions_of(found),
            "form": form,
            "can_manage": policy.can_manage_policies(request.user),
        },
        status=400 if form.errors else 200,
    )


# --- the termly access review ------------------------------------------------------------------


@login_required
def access_review_page(request: AuthenticatedHttpRequest) -> HttpResponse:
    user = request.user
    require(policy.can_review_access(user))
    form = AccessReviewForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        note = form.cleaned_data["note"]
        if apply_service(form, lambda: access_review.confirm(by=user, note=note)) is not None:
            messages.success(request, "The access review is recorded for this term.")
            return redirect("governance:access_review")
    return render(
        request,
        "governance/access_review.html",
        {
            "lines": access_review.lines(),
            "due": access_review.is_due(),
            "reviews": access_review.reviews(),
            "form": form,
        },
        status=400 if form.errors else 200,
    )


# --- the privacy notice --------------------------------------------------------------------------


@login_required
def privacy_notice(request: AuthenticatedHttpRequest) -> HttpResponse:
    require(policy.can_report_breach(request.user))
    return render(request, "governance/privacy_notice.html", privacy.context())


@login_required
def privacy_notice_pdf(request: AuthenticatedHttpRequest) -> HttpResponse:
    require(policy.can_report_breach(request.user))
    return pdf_response(privacy.notice_pdf(), "privacy-notice.pdf")


@login_required
def record_of_processing(request: AuthenticatedHttpRequest) -> HttpResponse:
    require(policy.can_read_policies(request.user))
    return render(request, "governance/record_of_processing.html", privacy.record_context())


@login_required
def appropriate_policy(request: AuthenticatedHttpRequest) -> HttpResponse:
    require(policy.can_read_policies(request.user))
    return render(request, "governance/appropriate_policy.html", privacy.record_context())


# --- allegations against staff ------------------------------------------------------------------

ALLEGATION_STEPS = ("lado", "strategy", "ofsted", "conclude")


@login_required
def allegation_new(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Anyone records an allegation or a low-level concern about a colleague; then it is gone
    from their sight."""
    user = request.user
    require(policy.can_record_allegation(user))
    form = AllegationForm(
        request.POST or None,
        colleagues=allegations.colleagues(user),
        children=allegations.children_to_name(user),
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        made = apply_service(
            form,
            lambda: allegations.record(
                by=user,
                accused=data["accused"],
                kind=data["kind"],
                what_alleged=data["what_alleged"],
                occurred_on=data["occurred_on"],
                serious_harm=data["serious_harm"],
                children=list(data["children"]),
            ),
        )
        if made is not None:
            messages.success(
                request,
                "Thank you. It has gone to the person who handles it, and you will not see it "
                "here again. Tell nobody else, the person it is about included. If a child is in "
                "danger now, call 999.",
            )
            return redirect("home:dashboard")
    return render(
        request,
        "governance/allegation_new.html",
        {"form": form},
        status=400 if form.errors else 200,
    )


@login_required
def allegation_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    require(policy.can_manage_allegations(request.user))
    rows = policy.visible_allegations(request.user).select_related("accused")
    return render(request, "governance/allegation_list.html", {"rows": rows})


@login_required
def allegation_detail(request: AuthenticatedHttpRequest, allegation_id: str) -> HttpResponse:
    user = request.user
    require(policy.can_manage_allegations(user))
    found = allegations.allegation_for(user, allegation_id)
    if found is None:
        raise Http404("Not found.")
    can_act = policy.can_act_on_allegation(user, found)
    step = request.POST.get("step") if request.method == "POST" else None
    require(step is None or can_act)
    unknown = step is not None and step not in ALLEGATION_STEPS
    post = request.POST if step is not None else None
    forms: dict[str, Any] = {
        "lado": LadoForm(post if step == "lado" or unknown else None),
        "strategy": StrategyForm(post if step == "strategy" else None),
        "ofsted": OfstedForm(post if step == "ofsted" else None),
        "conclude": ConcludeForm(post if step == "conclude" else None),
    }
    if unknown:
        forms["lado"].is_valid()
        forms["lado"].add_error(None, "Choose one of the steps on this page.")
    elif step is not None and forms[step].is_valid():
        data = forms[step].cleaned_data
        actions = {
            "lado": lambda: allegations.refer_to_lado(by=user, allegation=found, **data),
            "strategy": lambda: allegations.record_strategy(by=user, allegation=found, **data),
            "ofsted": lambda: allegations.tell_ofsted(by=user, allegation=found, **data),
            "conclude": lambda: allegations.conclude(by=user, allegation=found, **data) or "gone",
        }
        done = apply_service(forms[step], actions[step])
        if done == "gone":
            messages.success(request, "Found malicious: the record and its placeholders are gone.")
            return redirect("governance:allegations")
        if done is not None:
            messages.success(request, "Saved.")
            return redirect("governance:allegation", allegation_id=found.pk)
    else:
        allegations.log_read(user, found, request)
    shown = allegations.allegation_for(user, found.pk) or found
    return render(
        request,
        "governance/allegation_detail.html",
        {
            "allegation": shown,
            "children": allegations.children_named(shown),
            "history": allegations.history(shown),
            "forms": forms,
            "errors": [f for f in forms.values() if f.errors],
            "can_act": can_act,
            "handler": policy.handler_post(shown.handler),
        },
        status=400 if step is not None else 200,
    )
