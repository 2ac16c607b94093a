from django.urls import path

from . import views

app_name = "lifecycle"

urlpatterns = [
    path("destruction/", views.queue, name="queue"),
    path("destruction/review/", views.review_now, name="review_now"),
    path("destruction/<uuid:destruction_id>/", views.detail, name="detail"),
    path(
        "destruction/<uuid:destruction_id>/certificate.pdf",
        views.certificate_pdf,
        name="certificate",
    ),
    path("children/<uuid:child_id>/transfer/", views.transfer_start, name="transfer_start"),
    path("transfers/", views.transfer_list, name="transfers"),
    path("transfers/<uuid:transfer_id>/", views.transfer_detail, name="transfer"),
    path("transfers/<uuid:transfer_id>/copy.pdf", views.transfer_copy, name="transfer_copy"),
    path("transfer-link/<str:token>/", views.transfer_link, name="transfer_link"),
    path("children/<uuid:child_id>/rights/new/", views.rights_new, name="rights_new"),
    path("rights/", views.rights_list, name="rights_list"),
    path("rights/<uuid:request_id>/", views.rights_detail, name="rights"),
]
