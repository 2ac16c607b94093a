"""The demo requests seed_demo adds: one in each state, so every page looks lived in."""

from __future__ import annotations

from access_requests.models import Status, SubjectAccessRequest
from demo.access_requests import seed_access_requests

from ..factories import make_child, make_entry


def test_demo_requests_cover_every_state(people):
    for _ in range(3):
        child = make_child(room=people.sunflower, key_person=people.keyperson1)
        make_entry(child, people.keyperson1, text="Enjoyed story time with the puppets.")
    made = seed_access_requests()
    assert made == {
        "received": 1,
        "awaiting_identity": 1,
        "in_review": 1,
        "sent": 1,
        "overdue": 1,
    }
    statuses = sorted(SubjectAccessRequest.objects.values_list("status", flat=True))
    assert statuses == sorted(
        [
            Status.RECEIVED,
            Status.AWAITING_IDENTITY,
            Status.IN_REVIEW,
            Status.SENT,
            Status.IN_PROGRESS,
        ]
    )
    review = SubjectAccessRequest.objects.get(status=Status.IN_REVIEW)
    assert review.items.filter(third_party=True).exists()
    assert sum(1 for r in SubjectAccessRequest.objects.all() if r.is_overdue) == 1
    sent = SubjectAccessRequest.objects.get(status=Status.SENT)
    assert sent.releases.count() == 1 and sent.approved_by == people.lead
