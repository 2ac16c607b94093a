"""What the child page may link to in consent and sharing: asked of the one policy."""

from __future__ import annotations

from typing import Any

from django import template

from records import policy as records_policy

from .. import policy

register = template.Library()


@register.simple_tag(takes_context=True)
def consent_links(context: template.Context, child: Any) -> dict[str, bool]:
    request = context.get("request")
    user = getattr(request, "user", None)
    return {
        "reads": policy.reads_consent(user),
        "can_write": records_policy.can_write_entry(user, child),
        "can_emergency": policy.can_record_emergency_share(user, child),
    }
