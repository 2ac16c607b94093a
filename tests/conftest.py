"""The named people every test can use (a fictional setting).

- lead: the Lead Practitioner
- deputy: the Deputy Lead Practitioner
- keyperson1: key person to `child`, works in the Sunflower room
- keyperson2: key person to `other_child`, works in the Bluebell room
- practitioner: works in the Sunflower room, key person to nobody
- office: the office administrator
- trustee: the safeguarding trustee (handles an allegation against the Lead)
- chair: the chair of trustees
- it_admin: a Django superuser with no staff profile
"""

from __future__ import annotations

import os
from types import SimpleNamespace
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice
from hypothesis import settings

from records.models import Role

from .browser.fixtures import browser, page  # noqa: F401 - fixtures for every browser test
from .factories import TEST_PASSWORD, make_child, make_room, make_staff

BROWSER_FIXTURES = frozenset({"page", "browser"})


def pytest_collection_modifyitems(config: Any, items: list[Any]) -> None:
    """The heavy proofs (tests/proof) run in CI's PostgreSQL leg and with ``make test-deep``; on
    SQLite they are deselected (not skipped), so the SQLite leg stays quick."""
    from django.db import connection

    if connection.vendor == "postgresql" or os.environ.get("CONFIDE_DEEP") == "1":
        return
    heavy = [item for item in items if item.get_closest_marker("heavy")]
    if heavy:
        config.hook.pytest_deselected(items=heavy)
        items[:] = [item for item in items if not item.get_closest_marker("heavy")]


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: Any, call: Any) -> Any:
    """Browser tests never skip (they fail, saying what is missing): a skip of any test that
    uses the browser — its ``page``, or the session's ``browser`` directly — is reported as a
    failure, so CI cannot pass without them."""
    report = yield
    if report.skipped and BROWSER_FIXTURES & set(getattr(item, "fixturenames", ())):
        report.outcome = "failed"
        report.longrepr = (
            f"A browser test was skipped, and browser tests never skip: {report.longrepr}"
        )
    return report


@pytest.fixture(autouse=True)
def fast_password_hashing(settings: Any) -> None:
    # Argon2 is deliberately slow; tests that check the real hasher override this with `settings`.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def sign_in(client: Client, user: Any) -> Client:
    """Signed in with a verified two-factor session, as after a real sign-in."""
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
    client.force_login(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return client


def make_people(setting: Any = None, suffix: str = "") -> SimpleNamespace:
    """The named people of a setting (the first setting's, or ``setting``'s, their usernames
    ending in ``suffix``): two rooms, a Lead, a Deputy, two key people, a practitioner, the
    office and a child in each room. The IT administrator belongs to no setting."""
    s = suffix
    tag = f" {s.strip('-').upper()}" if s else ""
    sunflower = make_room("Sunflower", setting=setting)
    bluebell = make_room("Bluebell", setting=setting)
    lead = make_staff(f"lead{s}", Role.LEAD, full_name=f"Lee Lead{tag}", setting=sunflower.setting)
    deputy = make_staff(
        f"deputy{s}", Role.DEPUTY, full_name=f"Dee Deputy{tag}", setting=sunflower.setting
    )
    keyperson1 = make_staff(
        f"keyperson1{s}", Role.PRACTITIONER, rooms=[sunflower], full_name=f"Kay One{tag}"
    )
    keyperson2 = make_staff(
        f"keyperson2{s}", Role.PRACTITIONER, rooms=[bluebell], full_name=f"Kay Two{tag}"
    )
    practitioner = make_staff(
        f"practitioner{s}", Role.PRACTITIONER, rooms=[sunflower], full_name=f"Pat Practitioner{tag}"
    )
    office = make_staff(
        f"office{s}", Role.OFFICE, full_name=f"Olly Office{tag}", setting=sunflower.setting
    )
    trustee = make_staff(
        f"trustee{s}",
        Role.SAFEGUARDING_TRUSTEE,
        full_name=f"Tess Trustee{tag}",
        setting=sunflower.setting,
    )
    chair = make_staff(
        f"chair{s}", Role.CHAIR, full_name=f"Chris Chair{tag}", setting=sunflower.setting
    )
    User = get_user_model()
    it_admin = User.objects.filter(username="it_admin").first() or User.objects.create_superuser(
        "it_admin", "it@example.test", TEST_PASSWORD
    )
    child = make_child(room=sunflower, key_person=keyperson1)
    other_child = make_child(room=bluebell, key_person=keyperson2)
    return SimpleNamespace(
        setting=sunflower.setting,
        sunflower=sunflower,
        bluebell=bluebell,
        lead=lead,
        deputy=deputy,
        keyperson1=keyperson1,
        keyperson2=keyperson2,
        practitioner=practitioner,
        office=office,
        trustee=trustee,
        chair=chair,
        it_admin=it_admin,
        child=child,
        other_child=other_child,
    )


@pytest.fixture
def people(db: Any) -> SimpleNamespace:
    return make_people()


@pytest.fixture
def client_for(people: SimpleNamespace) -> Any:
    """client_for("lead") is a client signed in (with two-factor) as that named person."""

    def make(name: str) -> Client:
        person = getattr(people, name)
        user = person if name == "it_admin" else person.user
        return sign_in(Client(), user)

    return make


# Hypothesis: the CI profile (the default) runs each property as often as the issues ask (the
# due-date property 10,000 times); HYPOTHESIS_PROFILE=dev runs a tenth of that while working.
settings.register_profile("ci", max_examples=10_000, deadline=None, database=None)
settings.register_profile("dev", max_examples=1_000, deadline=None, database=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


@pytest.fixture(autouse=True, scope="session")
def anchors_of_this_run(tmp_path_factory: Any) -> Any:
    """Anchors written outside a test's own fixture (a class's shared demo, say) go to this run's
    own directory, never to the development database's under .secrets/."""
    from django.conf import settings as django_settings

    django_settings.CONFIDE_AUDIT_ANCHOR_DIR = tmp_path_factory.mktemp("anchors")
    return django_settings.CONFIDE_AUDIT_ANCHOR_DIR


@pytest.fixture(autouse=True)
def anchors_of_this_test(settings: Any, tmp_path: Any) -> Any:
    """Each test anchors its audit chain in a directory of its own (audit.anchors)."""
    settings.CONFIDE_AUDIT_ANCHOR_DIR = tmp_path / "anchors"
    return settings.CONFIDE_AUDIT_ANCHOR_DIR


@pytest.fixture(autouse=True)
def no_keys_from_another_test() -> Any:
    """Each test starts with no data key unwrapped, as each request does."""
    from core import keys

    keys.clear_cache()
    yield
    keys.clear_cache()
