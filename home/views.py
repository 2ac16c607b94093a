"""The dashboard, which gathers what each app has waiting for the person, and the error pages."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from access_requests.selectors import dashboard_tasks as sar_dashboard_tasks
from consent import selectors as consent_selectors
from core.http import AuthenticatedHttpRequest
from records import policy as records_policy
from records import selectors
from safeguarding import actions

from . import group
from .lead_dashboard import governance_summary, lead_summary


@login_required
def dashboard(request: AuthenticatedHttpRequest) -> HttpResponse:
    user = request.user
    to_inform = selectors.entries_to_inform(user)
    consent_tasks = consent_selectors.dashboard_tasks(user)
    sar_tasks = sar_dashboard_tasks(user)
    context = {
        "key_children": selectors.my_key_children(user),
        "my_actions": actions.my_actions(user),
        "today": timezone.localdate(),
        "to_inform": to_inform[:50],
        "grants_expiring": selectors.grants_expiring_soon(user),
        "my_grants": selectors.my_grants(user),
        "break_glass_reviews": selectors.break_glass_to_review(user),
        "consent_tasks": consent_tasks,
        "sar_tasks": sar_tasks,
        "governance_counts": governance_summary(user),
        "works_with_children": not records_policy.is_trustee(user),
        "lead_summary": lead_summary(
            user, sar_tasks=sar_tasks, consent_tasks=consent_tasks, to_inform=to_inform
        ),
    }
    return render(request, "home/dashboard.html", context)


@login_required
def group_overview(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Counts across the group's settings, for a group role only (others: 404)."""
    rows = group.overview(request.user)
    if not rows:
        raise Http404("No group")
    return render(request, "home/group.html", {"rows": rows})


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "404.html", status=404)


def server_error(request: HttpRequest) -> HttpResponse:
    return render(request, "500.html", status=500)
