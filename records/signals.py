"""Signals records sends to the apps above it, which it may not import.

``entry_recorded``: a record entry was written through ``services.record_entry`` (inside its
transaction). Sent with ``entry`` and ``urgent`` (the author's "the Lead should know now"). The
safeguarding app raises an alert for a concern or a child-protection entry.
"""

from django.dispatch import Signal

entry_recorded = Signal()
