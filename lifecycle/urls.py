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
]
