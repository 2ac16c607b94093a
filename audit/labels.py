"""Plain English for the audit page: what each event or change means to a Lead reading the log.

Every app's event codes are named here (a test checks that none is missing); the audit app imports
none of them — these are only the codes' words."""

from __future__ import annotations

LABELS: dict[str, str] = {
    # reads
    "read": "Read",
    "attachment_opened": "Opened an attachment",
    "evidence_opened": "Opened consent evidence",
    "staff_record_read": "Read a staff record",
    "sar_read": "Read a subject-access request",
    "sar_item_read": "Read an item of a subject-access file",
    "sar_draft_downloaded": "Downloaded a draft subject-access PDF",
    "sar_pdf_downloaded": "Downloaded the released subject-access PDF",
    # refusals and integrity
    "refused": "Refused: tried to open something they may not see",
    "decryption_failed": "Integrity failure: a record failed to decrypt (tampered or moved)",
    "row_seal_failed": "Integrity failure: an access row's seal did not match (tampered)",
    # sign-in
    "signed_in": "Signed in",
    "login_failed": "Failed sign-in",
    "locked_out": "Sign-in locked after repeated failures",
    "two_factor_enrolled": "Set up two-factor sign-in",
    "backup_codes_issued": "Was given new backup codes",
    "enrolment_code_issued": "Was given an enrolment code",
    # access beyond the role
    "grant_revoked": "Revoked a need-to-know grant",
    "setting_chosen": "Chose the setting to work in",
    "break_glass_opened": "Opened a child's records in an emergency (break-glass)",
    "acting_lead_ended": "Ended an acting-Lead period",
    "staff_deactivated": "Deactivated a member of staff",
    "post_added": "Was given a post in this setting (a person who works in several)",
    "children_imported": "Imported children, families and carers from a CSV file (counts only)",
    # a child leaves; the calendar
    "leaving_recorded": "Recorded that a child leaves",
    "leaving_changed": "Changed a child's leaving",
    "leaving_checklist": "Updated a leaver's checklist",
    "term_added": "Added a term",
    "term_removed": "Removed a term",
    "hold_placed": "Placed a legal hold",
    "hold_lifted": "Lifted a legal hold",
    "retention_changed": "Changed a line of the retention schedule",
    # destruction with proof
    "destruction_proposed": "Records past their retention date were offered for destruction",
    "destruction_approved": "Approved a destruction (a second person confirms it)",
    "destruction_cancelled": "Kept records that were offered for destruction",
    "records_destroyed": "Destroyed records past their retention date (kinds and counts only)",
    "destruction_certificate_downloaded": "Downloaded a destruction certificate",
    # the child-protection file moves on
    "transfer_started": "Compiled a child-protection file to send to the next school",
    "transfer_reviewed": "Reviewed a child-protection file to send on (a record or a person)",
    "transfer_approved": "Approved a child-protection file to send on (made the file)",
    "transfer_sent": "Sent a child-protection file's link to the next school's safeguarding lead",
    "transfer_downloaded": "The next school's safeguarding lead downloaded the file",
    "transfer_link_refused": "A child-protection file's link was refused (used already)",
    "transfer_received": "Receipt of a child-protection file was confirmed",
    "transfer_chased": "Chased a confirmation of receipt of a child-protection file",
    "transfer_copy_downloaded": "Downloaded the kept copy of a child-protection file sent on",
    # the setting as data controller
    "breach_reported": "Reported a data breach",
    "breach_assessed": "Assessed a data breach",
    "breach_decided": "Decided whether to report a data breach to the ICO",
    "breach_people_told": "Recorded whether the people affected by a breach were told",
    "breach_closed": "Closed a data breach",
    "breach_reminder_sent": "The Lead was reminded of a breach's 72-hour clock",
    "policy_reviewed": "Added a policy, or recorded its review (a new version)",
    "access_reviewed": "Confirmed the termly access review",
    # a parent's other rights
    "rights_request_received": "Recorded a parent's request to correct, erase, restrict or object",
    "rights_request_decided": "Decided a parent's request to correct, erase, restrict or object",
    "rights_letter_sent": "Sent the answer to a parent's request",
    "rights_recipient_told": "Told a recipient of shared records of a correction, erasure or restriction",
    # consent and sharing
    "confidentiality_answered": "Recorded whether a disclosure is confidential",
    "sharing_emergency_recorded": "Recorded an emergency share",
    "sharing_shared": "Recorded that information was shared",
    "sharing_family_informed": "Recorded that the family was told of a share",
    "sharing_family_not_informed": "Decided the family is not told of a share",
    "referral_acknowledged": "Recorded a referral's acknowledgement",
    "referral_outcome": "Recorded a referral's outcome",
    # subject access
    "sar_received": "Recorded a subject-access request",
    "sar_joined": "Joined requests into one",
    "sar_consent_asked": "Asked a third party's consent",
    "sar_clock_resumed": "Resumed a request's clock",
    "sar_compiled": "Compiled a subject-access file",
    "sar_general_disclosed": "Disclosed the plain general entries in one step",
    "sar_staff_disclosed": "Disclosed staff named in their role",
    "sar_render_queued": "Asked for the subject-access PDF",
    "sar_rendered": "The subject-access PDF was made",
    "sar_render_failed": "The subject-access PDF could not be made",
    "sar_approved": "Approved a subject-access file",
    "sar_released": "Released a subject-access file",
    "sar_link_sent": "Sent a download link",
    "sar_link_refused": "Refused a download-link attempt",
    # the deployment
    "keys_rotated": "Encryption keys rotated",
    "values_reencrypted": "Records re-encrypted into the current format",
    "backup_made": "A backup was made",
    "restored": "A backup was restored",
    "setting_exported": "The setting was exported to leave the group",
    "setting_imported": "The setting was imported from another deployment",
    "audit_exported": "Exported the audit log",
    "alert_acknowledged": "Acknowledged a concern on the triage queue",
    "action_set": "Set a follow-up action",
    "action_done": "Recorded a follow-up action as done",
    "chronology_print_asked": "Asked for a child's chronology as a PDF (for a conference)",
    "chronology_printed": "A child's chronology PDF was made (the entries in it read)",
    "chronology_print_downloaded": "Downloaded a child's chronology PDF",
    "ofsted_notice_recorded": "Recorded telling Ofsted (or the agencies) of a serious incident",
    "report_read": "Read the reports (counts only, for a period)",
    "evidence_pack_downloaded": "Downloaded the policy evidence pack (PDF, counts only)",
    # allegations against staff (held apart: shown only on the allegation's own page)
    "allegation_recorded": "Recorded an allegation or low-level concern",
    "allegation_child_named": "Named a child (a placeholder was added)",
    "allegation_read": "Read the allegation",
    "allegation_lado_referred": "Recorded the referral to the LADO",
    "allegation_strategy": "Recorded the strategy discussion and suspension",
    "allegation_ofsted_told": "Recorded that Ofsted was told",
    "allegation_concluded": "Recorded the outcome",
    "allegation_removed": "Removed the allegation",
}

CHANGES = {0: "Created", 1: "Changed", 2: "Deleted", 3: "Read"}


def describe(code: str | None, action: int) -> str:
    if code:
        return LABELS.get(code, code.replace("_", " ").capitalize())
    return CHANGES.get(action, "Changed")
