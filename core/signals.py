"""Signals core sends to the layers above it, which it may not import.

``decryption_failed``: a stored ciphertext failed to decrypt (tampered, moved to another row, or
its key is gone). Sent with ``instance`` (the model instance), ``field`` (the field's name) and
``message``. The audit app records it (audit.apps.AuditConfig.ready); the read then fails loudly.
"""

from django.dispatch import Signal

decryption_failed = Signal()

# ``row_tampered``: a row that grants access (a grant, a member of staff's role or rooms, an acting
# Lead period, a break-glass opening) has a seal that does not match its columns (core.integrity):
# it grants nothing. Sent with ``instance``, ``field`` (the seal's column) and ``message``.
row_tampered = Signal()
