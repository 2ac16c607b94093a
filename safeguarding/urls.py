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
]
