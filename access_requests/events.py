"""What the audit log records of a subject-access request beyond auditlog's change rows.

A move from one status to the next writes ``sar_<status>`` (services.common._move): the statuses
are the model's ``Status``.
"""

from enum import StrEnum


class Event(StrEnum):
    SAR_APPROVED = "sar_approved"
    SAR_CLOCK_RESUMED = "sar_clock_resumed"
    SAR_COMPILED = "sar_compiled"
    SAR_CONSENT_ASKED = "sar_consent_asked"
    SAR_DRAFT_DOWNLOADED = "sar_draft_downloaded"
    SAR_GENERAL_DISCLOSED = "sar_general_disclosed"
    SAR_ITEM_READ = "sar_item_read"
    SAR_JOINED = "sar_joined"
    SAR_LINK_REFUSED = "sar_link_refused"
    SAR_LINK_SENT = "sar_link_sent"
    SAR_PDF_DOWNLOADED = "sar_pdf_downloaded"
    SAR_READ = "sar_read"
    SAR_RECEIVED = "sar_received"
    SAR_RELEASED = "sar_released"
    SAR_RENDER_FAILED = "sar_render_failed"
    SAR_STAFF_DISCLOSED = "sar_staff_disclosed"
    SAR_RENDER_QUEUED = "sar_render_queued"
    SAR_RENDERED = "sar_rendered"
