"""The consent tests use the named people of tests/conftest.py.

The Lead's and the Deputy's accounts have ``is_staff`` (records.services.create_staff gives it to
them), so they can enter the admin screen where the Lead approves sharing decisions; the test
factory does not, so it is set here.
"""

from __future__ import annotations

from types import SimpleNamespace

import pytest


@pytest.fixture
def people(people: SimpleNamespace) -> SimpleNamespace:
    for staff in (people.lead, people.deputy):
        staff.user.is_staff = True
        staff.user.save(update_fields=["is_staff"])
    return people
