"""The chronology's filter (django-filter): by category, level, date range, author, and the
significant events only. It is made over the entries the person may read (records.policy), so a
filter only ever narrows what they see, never widens it."""

from __future__ import annotations

from datetime import datetime, time
from typing import Any

import django_filters
from django import forms
from django.db.models import QuerySet
from django.utils import timezone

from .forms import ByNameChoiceField
from .models import Category, Child, Level, RecordEntry, Staff


class AuthorFilter(django_filters.ModelChoiceFilter):
    field_class = ByNameChoiceField


class ChronologyFilter(django_filters.FilterSet):
    category = django_filters.ChoiceFilter(
        choices=Category.choices, label="Category", empty_label="Any category"
    )
    level = django_filters.ChoiceFilter(
        choices=Level.choices, label="Level", empty_label="Any level"
    )
    since = django_filters.DateFilter(
        method="filter_since", label="From", widget=forms.DateInput(attrs={"type": "date"})
    )
    until = django_filters.DateFilter(
        method="filter_until", label="To", widget=forms.DateInput(attrs={"type": "date"})
    )
    author = AuthorFilter(queryset=Staff.objects.none(), label="Recorded by", empty_label="Anyone")
    significant = django_filters.BooleanFilter(
        label="Significant events only",
        widget=forms.CheckboxInput,
        method="filter_significant",
    )

    class Meta:
        model = RecordEntry
        fields: list[str] = []

    def __init__(self, *args: Any, child: Child, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        readable = self.queryset
        # Only the categories and levels of entries the person may read: a practitioner is not
        # offered "child protection", which they never see.
        kinds = set(readable.order_by().values_list("category", "level").distinct())
        self.filters["category"].extra["choices"] = [
            (value, label) for value, label in Category.choices if value in {c for c, _ in kinds}
        ]
        self.filters["level"].extra["choices"] = [
            (value, label) for value, label in Level.choices if value in {lv for _, lv in kinds}
        ]
        # Only the authors of entries the person may read: a name is not offered for entries
        # they cannot see.
        self.filters["author"].queryset = Staff.objects.filter(
            pk__in=readable.exclude(hidden_from__isnull=False).values("author_id")
        ).order_by("full_name")

    def filter_since(self, queryset: QuerySet, name: str, value: Any) -> QuerySet:
        start = timezone.make_aware(datetime.combine(value, time.min))
        return queryset.filter(occurred_at__gte=start)

    def filter_until(self, queryset: QuerySet, name: str, value: Any) -> QuerySet:
        end = timezone.make_aware(datetime.combine(value, time.max))
        return queryset.filter(occurred_at__lte=end)

    def filter_significant(self, queryset: QuerySet, name: str, value: Any) -> QuerySet:
        return queryset.filter(significant=True) if value else queryset
