"""The query planner's statistics, kept fresh (the scheduled job ``database_statistics``, daily).

PostgreSQL's autovacuum analyses its tables by itself. SQLite never does: without statistics its
planner guesses, and on a setting with years of records it chose the setting's index (every row
of the setting) over the child's or the primary key for one child's entries — a child's page
four times slower after ten years than after one (``make bench``, ``chronology_10y``). ``ANALYZE``
with a bounded sample (``analysis_limit``) takes a moment whatever the database's size.
"""

from __future__ import annotations

from django.db import connection

# Rows sampled per index (SQLite's own suggestion is a few hundred to a thousand).
ANALYSIS_LIMIT = 1000


def refresh() -> str:
    if connection.vendor != "sqlite":
        return "left to PostgreSQL's autovacuum"
    with connection.cursor() as cursor:
        cursor.execute(f"PRAGMA analysis_limit={ANALYSIS_LIMIT}")
        cursor.execute("ANALYZE")
    return "SQLite's statistics refreshed"
