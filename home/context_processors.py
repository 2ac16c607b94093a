"""What every page's header may offer this person: each link is shown when the policy says the
person may use the page behind it (the view asks the policy again)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest

from access_requests import policy as sar_policy
from records import policy


def confide(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None) or AnonymousUser()
    return {
        "me": policy.staff_of(user),
        "can_manage_grants": policy.can_manage_grants(user),
        "can_view_audit": policy.can_view_audit(user),
        "can_manage_staff": policy.can_manage_staff(user),
        "can_handle_requests": sar_policy.can_handle_requests(user),
    }
