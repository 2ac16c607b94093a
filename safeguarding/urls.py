from django.urls import path

from . import views

app_name = "safeguarding"

urlpatterns = [
    path("triage/", views.triage, name="triage"),
    path("triage/<uuid:alert_id>/", views.triage_item, name="triage_item"),
    path("actions/", views.action_list, name="actions"),
    path("notifications/", views.notice_list, name="notices"),
    path("notifications/<uuid:notice_id>/", views.notice_detail, name="notice"),
    path("actions/<uuid:action_id>/", views.action_detail, name="action"),
    path("reports/", views.report_page, name="reports"),
    path("reports/evidence/", views.evidence_page, name="evidence"),
    path("decisions/<uuid:decision_id>/actions/", views.decision_actions, name="decision_actions"),
    path(
        "children/<uuid:child_id>/chronology/print/",
        views.print_chronology,
        name="print_chronology",
    ),
    path("chronology-prints/<uuid:print_id>/", views.chronology_print, name="chronology_print"),
    path(
        "chronology-prints/<uuid:print_id>/download/",
        views.chronology_print_download,
        name="chronology_print_download",
    ),
]
