"""The planner's statistics are refreshed by a daily job: on SQLite it analyses the tables (which
SQLite never does by itself); on PostgreSQL autovacuum does it."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.db import connection

from core import schedules, statistics

pytestmark = pytest.mark.django_db


def test_the_daily_job_refreshes_the_statistics():
    assert "database_statistics" in {job.name for job in schedules.jobs()}
    call_command("run_schedules", "--job", "database_statistics", "--force")
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM sqlite_stat1")
            assert cursor.fetchone()[0] > 0
        assert statistics.refresh() == "SQLite's statistics refreshed"
    else:
        assert statistics.refresh() == "left to PostgreSQL's autovacuum"
