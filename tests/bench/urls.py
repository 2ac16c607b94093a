"""Confide's own URLs plus the baseline page, so both go through the same middleware."""

from django.urls import path

from config.urls import urlpatterns as confide_urlpatterns

from .plain import plain_chronology, plain_chronology_like

urlpatterns = [
    path("bench/plain/<uuid:child_id>/", plain_chronology, name="bench_plain_chronology"),
    path(
        "bench/plain-like/<uuid:child_id>/",
        plain_chronology_like,
        name="bench_plain_chronology_like",
    ),
    *confide_urlpatterns,
]
