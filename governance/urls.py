from django.urls import path

from . import views

app_name = "governance"

urlpatterns = [
    path("breaches/", views.breach_list, name="breaches"),
    path("breaches/new/", views.breach_new, name="breach_new"),
    path("breaches/<uuid:breach_id>/", views.breach_detail, name="breach"),
    path("policies/", views.policy_list, name="policies"),
    path("access-review/", views.access_review_page, name="access_review"),
    path("privacy-notice/", views.privacy_notice, name="privacy_notice"),
    path("privacy-notice.pdf", views.privacy_notice_pdf, name="privacy_notice_pdf"),
    path("record-of-processing/", views.record_of_processing, name="record_of_processing"),
    path("appropriate-policy/", views.appropriate_policy, name="appropriate_policy"),
    path("policies/<uuid:policy_id>/", views.policy_detail, name="policy"),
    path("allegations/", views.allegation_list, name="allegations"),
    path("allegations/new/", views.allegation_new, name="allegation_new"),
    path("allegations/<uuid:allegation_id>/", views.allegation_detail, name="allegation"),
]
