"""Proof of the README's promises under attack and faults: property-based IDOR checks, a stateful
policy model, fuzzed forms, faults and tampering on PostgreSQL, the backup and restore drill.

These tests are marked ``heavy``: ``make test`` runs them in CI's PostgreSQL leg (they are
deselected, not skipped, on SQLite), with ``EXAMPLES`` hypothesis examples per property (50);
``make test-deep`` runs them with 500.
"""

import os

EXAMPLES = int(os.environ.get("CONFIDE_PROOF_EXAMPLES", "50"))
