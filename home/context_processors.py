"""What every page's header may offer this person: each link is shown when the policy says the
person may use the page behind it (the view asks the policy again)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest
from django.utils.html import format_html

from access_requests import policy as sar_policy
from core import tenancy
from governance import policy as governance_policy
from lifecycle import policy as lifecycle_policy
from records import policy
from safeguarding import policy as safeguarding_policy


def confide(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None) or AnonymousUser()
    working = tenancy.working_setting()
    several = len(getattr(request, "confide_posts", ())) > 1
    return {
        "me": policy.staff_of(user),
        # Every form carries the setting it was drawn in (records.middleware refuses a mismatch).
        "setting_field": format_html(
            '<input type="hidden" name="confide_setting" value="{}">', working
        )
        if working
        else "",
        # Where the person works, named in the header only when they could work elsewhere
        # (their posts were read once, by records.middleware).
        "working_setting": policy.working_setting_of(user) if several else None,
        "other_posts": several,
        "can_see_group": policy.can_see_group_counts(user),
        "can_manage_grants": policy.can_manage_grants(user),
        "can_manage_terms": policy.can_manage_terms(user),
        "can_manage_holds": policy.can_manage_holds(user),
        "can_review_destruction": lifecycle_policy.can_review(user),
        "can_see_transfers": lifecycle_policy.can_see_transfers(user),
        "can_manage_breaches": governance_policy.can_manage_breaches(user),
        "can_manage_allegations": governance_policy.can_manage_allegations(user),
        "can_record_allegation": governance_policy.can_record_allegation(user),
        "can_read_breaches": governance_policy.can_read_breaches(user),
        "can_read_policies": governance_policy.can_read_policies(user),
        "can_list_children": policy.can_list_children(user),
        "has_own_records": policy.has_own_staff_records(user),
        "can_appoint_acting_lead": policy.can_appoint_acting_lead(user),
        "can_report_breach": governance_policy.can_report_breach(user),
        "can_manage_policies": governance_policy.can_manage_policies(user),
        "can_review_access": governance_policy.can_review_access(user),
        "can_view_audit": policy.can_view_audit(user),
        "can_triage": safeguarding_policy.can_triage(user),
        "can_read_reports": safeguarding_policy.can_read_reports(user),
        "has_actions_page": safeguarding_policy.has_actions_page(user),
        "can_manage_staff": policy.can_manage_staff(user),
        "can_handle_requests": sar_policy.can_handle_requests(user),
    }
