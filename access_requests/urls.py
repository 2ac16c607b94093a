from django.urls import path

from . import views

urlpatterns = [
    path("", views.sar_list, name="sar_list"),
    path("new/", views.sar_new, name="sar_new"),
    path("link/<str:token>/", views.sar_link, name="sar_link"),
    path("<uuid:request_id>/", views.sar_detail, name="sar_detail"),
    path("<uuid:request_id>/ask-identity/", views.sar_ask_identity, name="sar_ask_identity"),
    path("<uuid:request_id>/identity/", views.sar_identity, name="sar_identity"),
    path("<uuid:request_id>/pause/", views.sar_pause, name="sar_pause"),
    path("<uuid:request_id>/resume/", views.sar_resume, name="sar_resume"),
    path("<uuid:request_id>/extend/", views.sar_extend, name="sar_extend"),
    path("<uuid:request_id>/refuse/", views.sar_refuse, name="sar_refuse"),
    path("<uuid:request_id>/compile/", views.sar_compile, name="sar_compile"),
    path("<uuid:request_id>/items/<uuid:item_id>/", views.sar_item, name="sar_item"),
    path("<uuid:request_id>/submit/", views.sar_submit, name="sar_submit"),
    path("<uuid:request_id>/check/", views.sar_check, name="sar_check"),
    path("<uuid:request_id>/render/", views.sar_render, name="sar_render"),
    path("<uuid:request_id>/progress/", views.sar_progress, name="sar_progress"),
    path("<uuid:request_id>/draft.pdf", views.sar_draft, name="sar_draft"),
    path("<uuid:request_id>/approve/", views.sar_approve, name="sar_approve"),
    path("<uuid:request_id>/release/", views.sar_release, name="sar_release"),
    path("<uuid:request_id>/download/", views.sar_download, name="sar_download"),
    path("<uuid:request_id>/send-link/", views.sar_send_link, name="sar_send_link"),
    path("<uuid:request_id>/sent/", views.sar_mark_sent, name="sar_mark_sent"),
    path("<uuid:request_id>/close/", views.sar_close, name="sar_close"),
    path("<uuid:request_id>/letters/<uuid:letter_id>/", views.sar_letter, name="sar_letter"),
]

# Every URL name here, for the permission-matrix meta-tests.
URL_NAMES = frozenset(p.name for p in urlpatterns if p.name)
