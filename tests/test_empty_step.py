"""A page of several steps, posted with an empty or unknown step, shows its page again with a
message a person can act on — never a server error, never a 404 (the fuzzed-forms proof found
an empty step crashing the page of a parent's request)."""

# ruff: noqa: F811 - `objects` is the permission matrix's fixture, imported to be used here
from __future__ import annotations

import pytest
from django.urls import reverse

from .conftest import sign_in
from .records.test_permission_matrix import objects  # noqa: F401 - the fixture

pytestmark = pytest.mark.django_db

PAGES = [
    ("lifecycle:rights", "rights", "lead"),
    ("lifecycle:detail", "destruction", "lead"),
    ("lifecycle:transfer", "transfer", "lead"),
    ("governance:breach", "breach", "lead"),
    ("governance:allegation", "allegation", "lead"),
    ("safeguarding:triage_item", "alert", "lead"),
]


@pytest.mark.parametrize(("name", "about", "who"), PAGES)
@pytest.mark.parametrize("step", ["", "nonsense"])
def test_an_empty_or_unknown_step_is_refused_with_a_reason(
    people,
    objects,
    client,
    name,
    about,
    who,
    step,
):
    sign_in(client, getattr(people, who).user)
    response = client.post(reverse(name, args=[objects[about].pk]), {"step": step})
    assert response.status_code == 400
    assert 'class="error-summary"' in response.content.decode()


@pytest.mark.parametrize(("name", "about"), [("lifecycle:transfer", "transfer")])
@pytest.mark.parametrize("step", ["item", "person"])
def test_a_target_not_in_the_file_is_refused_with_a_reason(
    people,
    objects,
    client,
    name,
    about,
    step,
):
    sign_in(client, people.lead.user)
    response = client.post(
        reverse(name, args=[objects[about].pk]),
        {"step": step, "target": "cbac5e1b-f38f-4592-ae39-e12de3a362e4", "included": "on"},
    )
    assert response.status_code == 400
    assert 'class="error-summary"' in response.content.decode()
