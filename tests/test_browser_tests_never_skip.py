"""The guard in tests/conftest.py: a skipped browser test is reported as a failure."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from .conftest import pytest_runtest_makereport


def outcome_of(report: SimpleNamespace, fixtures: list[str]) -> SimpleNamespace:
    hook = pytest_runtest_makereport(SimpleNamespace(fixturenames=fixtures), None)
    next(hook)
    with pytest.raises(StopIteration) as done:
        hook.send(report)
    return done.value.value


@pytest.mark.parametrize("fixture", ["page", "browser"])
def test_a_skipped_browser_test_fails(fixture):
    report = SimpleNamespace(skipped=True, outcome="skipped", longrepr="Skipped: no Chromium")
    result = outcome_of(report, ["people", fixture])
    assert result.outcome == "failed"
    assert "browser tests never skip" in result.longrepr
    assert "no Chromium" in result.longrepr


@pytest.mark.parametrize(
    ("skipped", "fixtures"), [(True, ["people"]), (False, ["page"])], ids=["other", "passed"]
)
def test_other_skips_and_passing_browser_tests_are_left_alone(skipped, fixtures):
    outcome = "skipped" if skipped else "passed"
    report = SimpleNamespace(skipped=skipped, outcome=outcome, longrepr=None)
    assert outcome_of(report, fixtures).outcome == outcome
