"""What the child page may link to in consent and sharing: asked of the one policy."""

from __future__ import annotations

from typing import Any

from django import template
from django.contrib.auth.models import AnonymousUser

from records import policy as records_policy

from .. import policy

register = template.Library()


@register.simple_tag(takes_context=True)
def consent_links(context: template.Context, child: Any) -> dict[str, bool]:
    request = context.get("request")
    user = getattr(request, "user", None) or AnonymousUser()
    return {
        "reads": policy.reads_consent(user),
        "can_write": records_policy.can_write_entry(user, child),
        "can_emergency": policy.can_record_emergency_share(user, child),
    }
