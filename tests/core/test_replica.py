"""A read replica for the reports (core.replica): inside reports_from_replica() reads go to the
replica when one is configured, writes never; without one nothing changes; the reports count
there."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from django.urls import reverse

from core import replica
from records.models import Child

pytestmark = pytest.mark.django_db


def with_a_replica(settings: Any) -> None:
    settings.CONFIDE_READ_REPLICA = True


def test_reads_go_to_the_replica_only_inside_a_report(settings):
    router = replica.ReplicaRouter()
    with replica.reports_from_replica():
        assert router.db_for_read(Child) is None  # no replica configured: the primary
    with_a_replica(settings)
    assert router.db_for_read(Child) is None
    with replica.reports_from_replica():
        assert router.db_for_read(Child) == "replica"
        assert router.db_for_write(Child) is None
        with replica.from_primary():
            assert router.db_for_read(Child) is None
        assert router.db_for_read(Child) == "replica"
    assert router.db_for_read(Child) is None
    assert router.allow_migrate("replica", "records") is False
    assert router.allow_migrate("default", "records") is True


def test_the_report_counts_on_the_replica(settings, people, client_for, monkeypatch):
    from safeguarding import reports

    with_a_replica(settings)
    seen: list[bool] = []
    real = reports._counts

    def counting(*args: Any, **kwargs: Any) -> Any:
        seen.append(replica.reading_replica())
        # The test's database stands in for the replica: count on the primary.
        with replica.from_primary():
            return real(*args, **kwargs)

    monkeypatch.setattr(reports, "_counts", counting)
    assert client_for("lead").get(reverse("safeguarding:reports")).status_code == 200
    assert seen == [True]
    assert replica.reading_replica() is False


SHOW = """
import django
django.setup()
from django.conf import settings
replica = settings.DATABASES["replica"]
default = settings.DATABASES["default"]
print(settings.DATABASE_ROUTERS, settings.CONFIDE_READ_REPLICA, replica["TEST"]["MIRROR"])
print(default["OPTIONS"]["prepare_threshold"], default["DISABLE_SERVER_SIDE_CURSORS"])
print(replica["OPTIONS"]["prepare_threshold"])
"""


def test_the_environment_names_a_replica_and_pgbouncer():
    env = os.environ | {
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DJANGO_DEBUG": "1",
        "DATABASE_URL": "postgres://confide@127.0.0.1:6432/confide",
        "DATABASE_REPLICA_URL": "postgres://confide@127.0.0.1:5433/confide",
        "DATABASE_PGBOUNCER": "1",
    }
    out = subprocess.run(  # noqa: S603 - this interpreter, our own script
        [sys.executable, "-c", SHOW],
        env=env,
        cwd=Path(__file__).resolve().parents[2],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split("\n")
    assert out[0] == "['core.replica.ReplicaRouter'] True default"
    assert out[1] == "None True"
    assert out[2] == "None"
