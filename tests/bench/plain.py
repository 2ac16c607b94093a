"""The baseline: the same rows in a bare model, shown by a plain Django view with no checks.

Imported only after ``django.setup()`` (the model needs the app registry). The table lives only in
the benchmark's temporary database; ``create_table`` makes it.
"""

from __future__ import annotations

from typing import Any

from django.db import connection, models
from django.http import HttpRequest, HttpResponse
from django.template import engines

from records.models import Category, Level


class PlainEntry(models.Model):
    """A record entry as a plain Django app would keep it: text in the clear, no author join."""

    id = models.UUIDField(primary_key=True)
    child_id = models.UUIDField(db_index=True)
    category = models.CharField(max_length=30, choices=Category.choices)
    level = models.PositiveSmallIntegerField(choices=Level.choices)
    occurred_at = models.DateTimeField()
    author_name = models.CharField(max_length=150)
    text = models.TextField()
    parent_informed = models.CharField(max_length=20)

    # Spelled out: the type checker's Django plugin only knows the models of installed apps.
    objects: models.Manager[PlainEntry] = models.Manager()

    class Meta:
        app_label = "bench"
        ordering = ["-occurred_at"]

    def __str__(self) -> str:
        return str(self.id)

    # What records/templatetags/chronology.py reads of an entry, for the like-for-like baseline:
    # the labels as a plain app would get them, and none of Confide's extras.
    significant = False
    is_placeholder = False
    has_body_map = False
    amendment_list: list[Any] = []
    attachment_list: list[Any] = []

    @property
    def category_label(self) -> str:
        return str(Category(self.category).label)

    @property
    def level_label(self) -> str:
        return str(Level(self.level).label)


def create_table() -> None:
    with connection.schema_editor() as editor:
        editor.create_model(PlainEntry)


# The same markup per entry as templates/records/child_detail.html (its date filter included),
# without the page around it.
TEMPLATE = engines["django"].from_string(
    """{% load confide_dates %}<!doctype html><html lang="en"><head><title>{{ name }}</title></head><body>
<h1>{{ name }}</h1>
<ol class="chronology">
{% for entry in entries %}
  <li class="entry level-{{ entry.level }}">
    <h3><a href="{% url 'records:entry_detail' entry.pk %}">{{ entry.get_category_display }}</a>
      <span class="tag tag-level-{{ entry.level }}">{{ entry.get_level_display }}</span></h3>
    <p class="meta">{{ entry.occurred_at|long_datetime }} · {{ entry.author_name }}{% if entry.parent_informed == "to_inform" %} · <strong>parent to be told</strong>{% endif %}</p>
    <div class="entry-text">{{ entry.text|linebreaks }}</div>
  </li>
{% endfor %}
</ol></body></html>"""
)


# The same page with the entries' markup made as Confide's page makes it (its chronology tag):
# like for like, so the ratio against it is what Confide's checks, decryption, audit and the
# page's other parts cost, without the tag's advantage over a template loop.
LIKE_TEMPLATE = engines["django"].from_string(
    """{% load chronology %}<!doctype html><html lang="en"><head><title>{{ name }}</title></head><body>
<h1>{{ name }}</h1>
<ol class="chronology">{% chronology_entries entries %}
</ol></body></html>"""
)


def plain_chronology(request: HttpRequest, child_id: Any) -> HttpResponse:
    entries = PlainEntry.objects.filter(child_id=child_id)
    return HttpResponse(TEMPLATE.render({"name": "A child", "entries": entries}, request))


def plain_chronology_like(request: HttpRequest, child_id: Any) -> HttpResponse:
    entries = PlainEntry.objects.filter(child_id=child_id)
    return HttpResponse(LIKE_TEMPLATE.render({"name": "A child", "entries": entries}, request))
