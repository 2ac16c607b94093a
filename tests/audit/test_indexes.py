"""The indexes the audit pages and the dashboard rely on at a group's scale (DESIGN.md, "Measured
at scale"): the audit log's rows of one object by time, and the entries whose parent is still to
be told."""

from __future__ import annotations

import pytest
from django.db import connection

pytestmark = pytest.mark.django_db


def indexes(table: str) -> dict[str, list[str]]:
    with connection.cursor() as cursor:
        found = connection.introspection.get_constraints(cursor, table)
    return {name: info["columns"] for name, info in found.items() if info["index"]}


def test_the_audit_log_has_an_index_of_an_objects_rows_by_time():
    assert indexes("auditlog_logentry")["confide_logentry_object_time"] == [
        "content_type_id",
        "object_pk",
        "timestamp",
    ]


def test_entries_still_to_be_told_have_their_own_index():
    assert indexes("records_recordentry")["records_entry_to_inform"] == [
        "setting_id",
        "occurred_at",
    ]
