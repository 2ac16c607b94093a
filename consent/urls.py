from django.urls import path

from . import views

app_name = "consent"

urlpatterns = [
    path("children/<uuid:child_id>/", views.child_sharing, name="child"),
    path(
        "children/<uuid:child_id>/disclosures/new/",
        views.disclosure_create,
        name="disclosure_create",
    ),
    path(
        "children/<uuid:child_id>/entry-with-disclosure/",
        views.entry_with_disclosure,
        name="entry_with_disclosure",
    ),
    path("children/<uuid:child_id>/sharing/new/", views.decision_create, name="decision_create"),
    path(
        "children/<uuid:child_id>/sharing/emergency/",
        views.emergency_share,
        name="emergency_share",
    ),
    path("disclosures/<uuid:disclosure_id>/", views.disclosure_detail, name="disclosure_detail"),
    path(
        "disclosures/<uuid:disclosure_id>/confidentiality/",
        views.disclosure_confidentiality,
        name="disclosure_confidentiality",
    ),
    path("carers/<uuid:carer_id>/", views.carer_consent, name="carer"),
    path("carers/<uuid:carer_id>/new/", views.consent_create, name="consent_create"),
    path(
        "consent-records/<uuid:record_id>/evidence/",
        views.consent_evidence,
        name="consent_evidence",
    ),
    path("sharing/<uuid:decision_id>/", views.decision_detail, name="decision_detail"),
    path("sharing/<uuid:decision_id>/shared/", views.decision_shared, name="decision_shared"),
    path(
        "sharing/<uuid:decision_id>/family-informed/",
        views.family_informed,
        name="family_informed",
    ),
    path(
        "sharing/<uuid:decision_id>/family-not-informed/",
        views.family_not_informed,
        name="family_not_informed",
    ),
    path(
        "sharing/<uuid:decision_id>/acknowledged/",
        views.referral_acknowledged,
        name="referral_acknowledged",
    ),
    path("sharing/<uuid:decision_id>/outcome/", views.referral_outcome, name="referral_outcome"),
]
