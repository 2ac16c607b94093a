"""The index of what read events covered (audit.models.ReadItem) against the sealed lists it
repeats (audit.log.READ_ITEMS): the chain proves the lists; this proves the index still agrees,
so "who read this entry" cannot be made to forget a read by removing an index row."""

from __future__ import annotations

from collections import defaultdict

from auditlog.models import LogEntry

from .log import READ_ITEMS, listed_items
from .models import ReadItem

CHUNK = 2000


def problems(*, limit: int = 10) -> list[str]:
    """Up to ``limit`` disagreements between the index and the lists: read events whose index
    rows differ from the items they list (walking the log in chunks of CHUNK events, memory
    bounded whatever its size), and index rows that hang from an event listing nothing."""
    found: list[str] = []
    last = 0
    while len(found) < limit:
        events = list(
            LogEntry.objects.filter(pk__gt=last, additional_data__has_key=READ_ITEMS)
            .order_by("pk")
            .only("pk", "additional_data")[:CHUNK]
        )
        if not events:
            break
        # By the events' own ids: an event written meanwhile is not half seen.
        indexed: dict[int, list[str]] = defaultdict(list)
        for entry_id, object_pk in ReadItem.objects.filter(
            entry_id__in=[event.pk for event in events]
        ).values_list("entry_id", "object_pk"):
            indexed[entry_id].append(object_pk)
        for event in events:
            if sorted(indexed.get(event.pk, [])) != sorted(listed_items(event)):
                found.append(f"log entry {event.pk}: its index rows differ from the items it lists")
        last = events[-1].pk
    stray = (
        ReadItem.objects.exclude(entry__additional_data__has_key=READ_ITEMS)
        .values_list("entry_id", flat=True)
        .distinct()[:limit]
    )
    found += [f"log entry {pk}: index rows, yet it lists no items read" for pk in stray]
    return found[:limit]
