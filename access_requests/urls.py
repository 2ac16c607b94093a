from django.urls import path

from . import views

app_name = "access_requests"

urlpatterns = [
    path("", views.sar_list, name="list"),
    path("new/", views.sar_new, name="new"),
    path("link/<str:token>/", views.sar_link, name="link"),
    path("<uuid:request_id>/", views.sar_detail, name="detail"),
    path("<uuid:request_id>/ask-identity/", views.sar_ask_identity, name="ask_identity"),
    path("<uuid:request_id>/identity/", views.sar_identity, name="identity"),
    path("<uuid:request_id>/join/", views.sar_join, name="join"),
    path("<uuid:request_id>/ask-consent/", views.sar_ask_consent, name="ask_consent"),
    path(
        "<uuid:request_id>/consent/<uuid:ask_id>/reply/",
        views.sar_consent_reply,
        name="consent_reply",
    ),
    path("<uuid:request_id>/pause/", views.sar_pause, name="pause"),
    path("<uuid:request_id>/resume/", views.sar_resume, name="resume"),
    path("<uuid:request_id>/extend/", views.sar_extend, name="extend"),
    path("<uuid:request_id>/refuse/", views.sar_refuse, name="refuse"),
    path("<uuid:request_id>/compile/", views.sar_compile, name="compile"),
    path("<uuid:request_id>/items/<uuid:item_id>/", views.sar_item, name="item"),
    path(
        "<uuid:request_id>/disclose-professionals/",
        views.sar_disclose_professionals,
        name="disclose_professionals",
    ),
    path(
        "<uuid:request_id>/disclose-general/",
        views.sar_disclose_general,
        name="disclose_general",
    ),
    path("<uuid:request_id>/submit/", views.sar_submit, name="submit"),
    path("<uuid:request_id>/check/", views.sar_check, name="check"),
    path("<uuid:request_id>/render/", views.sar_render, name="render"),
    path("<uuid:request_id>/progress/", views.sar_progress, name="progress"),
    path("<uuid:request_id>/draft.pdf", views.sar_draft, name="draft"),
    path("<uuid:request_id>/approve/", views.sar_approve, name="approve"),
    path("<uuid:request_id>/release/", views.sar_release, name="release"),
    path("<uuid:request_id>/download/", views.sar_download, name="download"),
    path("<uuid:request_id>/send-link/", views.sar_send_link, name="send_link"),
    path("<uuid:request_id>/sent/", views.sar_mark_sent, name="mark_sent"),
    path("<uuid:request_id>/close/", views.sar_close, name="close"),
    path("<uuid:request_id>/letters/<uuid:letter_id>/", views.sar_letter, name="letter"),
]

# Every URL name here, for the permission-matrix meta-tests.
URL_NAMES = frozenset(f"{app_name}:{p.name}" for p in urlpatterns if p.name)
