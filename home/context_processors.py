from typing import Any

from records import policy


def confide(request: Any) -> dict[str, Any]:
    user = getattr(request, "user", None)
    staff = policy.staff_of(user)
    return {
        "me": staff,
        "is_manager": policy.is_manager(user),
        "is_lead": policy.is_lead(user),
    }
