from django.urls import path

from . import views

app_name = "records"

urlpatterns = [
    path("settings/choose/", views.choose_setting, name="choose_setting"),
    path("children/", views.child_list, name="child_list"),
    path("children/new/", views.child_create, name="child_create"),
    path("children/import/", views.import_children, name="import_children"),
    path("children/<uuid:child_id>/", views.child_detail, name="child_detail"),
    path("children/<uuid:child_id>/edit/", views.child_edit, name="child_edit"),
    path("children/<uuid:child_id>/contacts/", views.child_contacts, name="child_contacts"),
    path("children/<uuid:child_id>/carers/new/", views.carer_create, name="carer_create"),
    path(
        "children/<uuid:child_id>/carers/<uuid:carer_id>/edit/",
        views.carer_edit,
        name="carer_edit",
    ),
    path("children/<uuid:child_id>/flags/", views.child_flags, name="child_flags"),
    path("families/new/", views.family_create, name="family_create"),
    path("children/<uuid:child_id>/entries/new/", views.entry_create, name="entry_create"),
    path("children/<uuid:child_id>/grants/new/", views.grant_create, name="grant_create"),
    path("children/<uuid:child_id>/break-glass/", views.break_glass_open, name="break_glass_open"),
    path("children/<uuid:child_id>/audit/", views.audit_child, name="audit_child"),
    path("children/<uuid:child_id>/leaving/", views.child_leaving, name="child_leaving"),
    path("terms/", views.terms, name="terms"),
    path("retention/", views.retention_page, name="retention"),
    path("my-records/", views.my_records, name="my_records"),
    path("entries/<uuid:entry_id>/", views.entry_detail, name="entry_detail"),
    path("entries/<uuid:entry_id>/amend/", views.entry_amend, name="entry_amend"),
    path("entries/<uuid:entry_id>/attach/", views.attachment_add, name="attachment_add"),
    path("entries/<uuid:entry_id>/informed/", views.entry_informed, name="entry_informed"),
    path(
        "entries/<uuid:entry_id>/not-informed/", views.entry_not_informed, name="entry_not_informed"
    ),
    path(
        "attachments/<uuid:attachment_id>/", views.attachment_download, name="attachment_download"
    ),
    path("grants/", views.grant_list, name="grant_list"),
    path("grants/<uuid:grant_id>/revoke/", views.grant_revoke, name="grant_revoke"),
    path(
        "break-glass/<uuid:access_id>/review/", views.break_glass_review, name="break_glass_review"
    ),
    path("staff/", views.staff_list, name="staff_list"),
    path("staff/new/", views.staff_create, name="staff_create"),
    path("staff/from-the-group/", views.staff_from_group, name="staff_from_group"),
    path("staff/acting-lead/", views.acting_lead, name="acting_lead"),
    path(
        "staff/acting-lead/<uuid:appointment_id>/end/",
        views.acting_lead_end,
        name="acting_lead_end",
    ),
    path("staff/<uuid:staff_id>/", views.staff_edit, name="staff_edit"),
    path("staff/<uuid:staff_id>/deactivate/", views.staff_deactivate, name="staff_deactivate"),
    path(
        "staff/<uuid:staff_id>/enrolment-code/",
        views.staff_enrolment_code,
        name="staff_enrolment_code",
    ),
    path("staff/<uuid:staff_id>/records/", views.staff_records, name="staff_records"),
    path("audit/", views.audit_log, name="audit_log"),
    path("audit/export/", views.audit_export, name="audit_export"),
]
