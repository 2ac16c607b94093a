"""The termly access review: the Lead sees, on one page, everyone's role, the live need-to-know
grants, the acting-Lead periods and the break-glass openings of the term, ends what is no longer
needed (each line links to the one action that ends it), and confirms the review. It is due once
a term (the setting's own terms; with none recorded, every four months), on the Lead's dashboard
until done."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from audit.log import log_event
from core.rules import require
from records import leaving
from records import policy as records_policy
from records.models import ActingLead, BreakGlass, NeedToKnowGrant, Staff

from . import policy
from .events import Event
from .models import AccessReview

# With no terms recorded, a review is due this long after the last.
WITHOUT_TERMS = timedelta(days=122)


@dataclass(frozen=True)
class Lines:
    posts: list[Staff]
    grants: list[NeedToKnowGrant]
    acting: list[ActingLead]
    break_glass: list[BreakGlass]

    def counts(self) -> dict[str, int]:
        return {
            "posts": len(self.posts),
            "grants": len(self.grants),
            "acting": len(self.acting),
            "break_glass": len(self.break_glass),
        }


def _since(today: date) -> datetime:
    term = leaving.term_of(today)
    start = term.starts_on if term else today - WITHOUT_TERMS
    return timezone.make_aware(datetime.combine(start, time.min))


def lines(today: date | None = None) -> Lines:
    """What the review covers: every active post, the grants and acting-Lead periods still live
    or to come, and the break-glass openings of the term (or not yet reviewed)."""
    today = today or timezone.localdate()
    now = timezone.now()
    since = _since(today)
    return Lines(
        posts=list(Staff.objects.filter(active=True).select_related("user").order_by("role")),
        grants=list(
            NeedToKnowGrant.objects.filter(revoked_at__isnull=True, ends_at__gt=now)
            .select_related("child", "grantee")
            .order_by("ends_at")
        ),
        acting=list(
            ActingLead.objects.filter(revoked_at__isnull=True, ends_at__gt=now).select_related(
                "deputy"
            )
        ),
        break_glass=list(
            BreakGlass.objects.filter(Q(starts_at__gte=since) | Q(reviewed_at__isnull=True))
            .select_related("child", "staff")
            .order_by("-starts_at")
        ),
    )


def last_review() -> AccessReview | None:
    return AccessReview.objects.select_related("reviewed_by").first()


def is_due(today: date | None = None) -> bool:
    """No review since this term began (or, with no terms, for four months)."""
    today = today or timezone.localdate()
    latest = last_review()
    return latest is None or latest.reviewed_at < _since(today)


@transaction.atomic
def confirm(*, by: User, note: str = "", today: date | None = None) -> AccessReview:
    require(policy.can_review_access(by))
    today = today or timezone.localdate()
    staff = records_policy.staff_of(by)
    assert staff is not None
    term = leaving.term_of(today)
    found = lines(today)
    review = AccessReview.objects.create(
        reviewed_by=staff,
        term_name=term.name if term else "",
        counts=found.counts(),
        note=note.strip(),
    )
    log_event(actor=by, event=Event.ACCESS_REVIEWED, obj=review, detail=found.counts())
    return review


def reviews() -> list[Any]:
    return list(AccessReview.objects.select_related("reviewed_by")[:12])
