"""``{% chronology_entries entries %}``: the entries of a child's chronology, as the list's items.

Made here rather than by a template loop, as the strip's marks are (records.timeline): the
chronology is the heaviest page, and a template spends about 80 µs on each entry's dozen tags and
filters where this spends about 20 (make bench, chronology: a 500-entry file's markup fell from
about 42 ms to about 11). The markup is what the loop made, and every value is escaped the way
autoescaping escaped it (tests/records/test_chronology_markup.py renders both and compares).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django import template
from django.utils import timezone
from django.utils.html import conditional_escape, linebreaks
from django.utils.safestring import SafeString, mark_safe

from core.dates import long_datetime

from ..models import ParentInformed
from ..timeline import entry_url_pattern

register = template.Library()


def _when(moment: Any) -> str:
    """``{{ moment|long_datetime }}`` on a page that shows times in the current time zone (the
    child page has no ``{% localtime off %}``): nothing for an empty value."""
    if not isinstance(moment, datetime):
        return ""
    return long_datetime(timezone.localtime(moment) if timezone.is_aware(moment) else moment)


def _amendment(amendment: Any) -> str:
    author = conditional_escape(amendment.author.full_name)
    reason = conditional_escape(amendment.reason)
    return (
        f'\n    <div class="amendment"><p class="meta">Amended {_when(amendment.created_at)} by '
        f"{author} – {reason}</p>{linebreaks(amendment.text, autoescape=True)}</div>"
    )


def _entry(entry: Any, url: str) -> str:
    level = int(entry.level)
    significant = ' <span class="tag">Significant</span>' if entry.significant else ""
    by = "held apart" if entry.is_placeholder else conditional_escape(entry.author_name)
    to_tell = (
        " · <strong>parent to be told</strong>"
        if entry.parent_informed == ParentInformed.TO_INFORM
        else ""
    )
    amendments = "".join(_amendment(a) for a in entry.amendment_list)
    attachments = len(entry.attachment_list)
    files = (
        f'\n    <p class="meta">{attachments} attachment{"" if attachments == 1 else "s"}</p>'
        if attachments
        else ""
    )
    body_map = (
        '\n    <p class="meta">With a body map (on the entry\'s page)</p>'
        if entry.has_body_map
        else ""
    )
    return (
        f'\n  <li class="entry level-{level}">'
        f'\n    <h3><a href="{url.format(entry.pk)}">{conditional_escape(entry.category_label)}</a>'
        f'\n      <span class="tag tag-level-{level}">{conditional_escape(entry.level_label)}</span>'
        f"{significant}</h3>"
        f'\n    <p class="meta">{_when(entry.occurred_at)} · {by}{to_tell}</p>'
        f'\n    <div class="entry-text">{linebreaks(entry.text, autoescape=True)}</div>'
        f"{amendments}{files}{body_map}\n  </li>"
    )


@register.simple_tag
def chronology_entries(entries: Iterable[Any]) -> SafeString:
    """The list items of ``entries`` (from records.selectors.chronology: each with its
    ``author_name``, ``amendment_list`` and ``attachment_list``)."""
    url = entry_url_pattern()
    return mark_safe("".join(_entry(entry, url) for entry in entries))  # noqa: S308 - escaped
