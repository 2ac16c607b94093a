"""Confide's own URLs plus the baseline page, so both go through the same middleware."""

from django.urls import path

from config.urls import urlpatterns as confide_urlpatterns

from .plain import plain_chronology

urlpatterns = [
    path("bench/plain/<uuid:child_id>/", plain_chronology, name="bench_plain_chronology"),
    *confide_urlpatterns,
]
