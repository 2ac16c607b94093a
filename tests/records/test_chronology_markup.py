"""The chronology's entries are made in Python (records/templatetags/chronology.py), not by a
template loop: the markup must be what the loop made, every value escaped as autoescaping
escaped it, in every case the loop had (amendments, attachments, a body map, significant, a
placeholder held apart, a parent to be told)."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

import pytest
from django.template import Context, Template
from django.urls import reverse, set_script_prefix

from records import selectors, services
from records.models import Attachment, Category, Level
from records.templatetags.chronology import chronology_entries

from ..conftest import sign_in
from ..factories import make_entry

# The template loop the tag replaced, as it was (templates/records/child_detail.html).
LOOP = """{% load confide_dates %}{% for entry in entries %}
  <li class="entry level-{{ entry.level }}">
    <h3><a href="{% url 'records:entry_detail' entry.pk %}">{{ entry.category_label }}</a>
      <span class="tag tag-level-{{ entry.level }}">{{ entry.level_label }}</span>{% if entry.significant %} <span class="tag">Significant</span>{% endif %}</h3>
    <p class="meta">{{ entry.occurred_at|long_datetime }} · {% if entry.is_placeholder %}held apart{% else %}{{ entry.author_name }}{% endif %}{% if entry.parent_informed == "to_inform" %} · <strong>parent to be told</strong>{% endif %}</p>
    <div class="entry-text">{{ entry.text|linebreaks }}</div>
    {% for amendment in entry.amendment_list %}
    <div class="amendment"><p class="meta">Amended {{ amendment.created_at|long_datetime }} by {{ amendment.author.full_name }} – {{ amendment.reason }}</p>{{ amendment.text|linebreaks }}</div>
    {% endfor %}
    {% if entry.attachment_list %}<p class="meta">{{ entry.attachment_list|length }} attachment{{ entry.attachment_list|length|pluralize }}</p>{% endif %}
    {% if entry.has_body_map %}<p class="meta">With a body map (on the entry's page)</p>{% endif %}
  </li>
{% endfor %}"""


def squeezed(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r">\s+<", "><", str(html))).strip()


def attach(entry: Any, by: Any, name: str) -> None:
    Attachment(
        entry=entry,
        uploaded_by=by,
        filename=name,
        content_type="image/png",
        size=3,
        sha256="0" * 64,
        content=b"png",
    ).save()


@pytest.fixture
def varied(people: Any) -> list[Any]:
    """Entries of every shape the loop had, with characters that must be escaped."""
    people.keyperson1.full_name = "Kay O'Neil & <Sons>"
    people.keyperson1.save()
    winter = datetime(2026, 1, 14, 9, 5, tzinfo=UTC)
    summer = datetime(2026, 7, 3, 23, 30, tzinfo=UTC)  # the next day in London
    make_entry(people.child, people.keyperson1, occurred_at=winter)
    worry = make_entry(
        people.child,
        people.keyperson1,
        category=Category.CONCERN,
        text='Said "<script>alert(1)</script>" & cried.\n\nLater: settled.\nAte lunch.',
        occurred_at=summer,
        significant=True,
    )
    services.amend_entry(
        entry=worry, author=people.lead.user, text="Mum <b>phoned</b>.", reason="Added a call & <i>"
    )
    services.amend_entry(entry=worry, author=people.lead.user, text="Again.", reason="Twice")
    attach(worry, people.keyperson1, "one.png")
    injury = make_entry(
        people.child,
        people.lead,
        category=Category.ACCIDENT,
        body_map=[{"x": 10, "y": 20, "note": "graze"}],
        occurred_at=summer,
    )
    attach(injury, people.lead, "a.png")
    attach(injury, people.lead, "b.png")
    make_entry(
        people.child, people.lead, category=Category.CHILD_PROTECTION, level=Level.CHILD_PROTECTION
    )
    entries = selectors.chronology(people.lead.user, people.child)
    entries[-1].hidden_from_id = people.deputy.pk  # shown as a placeholder would be
    return entries


@pytest.mark.django_db
def test_the_tag_makes_what_the_template_loop_made(varied: list[Any]) -> None:
    ours = chronology_entries(varied)
    theirs = Template(LOOP).render(Context({"entries": varied}))
    assert squeezed(ours) == squeezed(theirs)
    # The cases were there to compare.
    for expected in (
        "Significant",
        "held apart",
        "parent to be told",
        "With a body map",
        "1 attachment<",
        "2 attachments",
        "Amended",
        "&lt;script&gt;",
        "Kay O&#x27;Neil &amp; &lt;Sons&gt;",
        "Added a call &amp; &lt;i&gt;",
        "Mum &lt;b&gt;phoned&lt;/b&gt;",
        "4 July 2026, 00:30",
        "14 January 2026, 09:05",
    ):
        assert expected in ours, expected
    assert "<script>" not in ours


@pytest.mark.django_db
def test_the_child_page_shows_the_entries_by_the_tag(client: Any, people: Any) -> None:
    entry = make_entry(people.child, people.keyperson1, text="Built a <tower> & knocked it down.")
    page = sign_in(client, people.lead.user).get(
        reverse("records:child_detail", args=[people.child.pk])
    )
    html = page.content.decode()
    assert page.status_code == 200
    assert html.count('class="entry level-') == 1
    assert reverse("records:entry_detail", args=[entry.pk]) in html
    assert "Built a &lt;tower&gt; &amp; knocked it down." in html


@pytest.mark.django_db
def test_links_follow_the_script_prefix_as_the_url_tag_did(people: Any) -> None:
    # Served under a sub-path, the links carry it, whatever page made the first one.
    make_entry(people.child, people.keyperson1)
    entries = selectors.chronology(people.lead.user, people.child)
    assert chronology_entries(entries)  # a first link made at the root
    set_script_prefix("/confide/")
    try:
        ours = chronology_entries(entries)
        theirs = Template(LOOP).render(Context({"entries": entries}))
    finally:
        set_script_prefix("/")
    assert 'href="/confide/' in ours
    assert squeezed(ours) == squeezed(theirs)
    assert 'href="/confide/' not in chronology_entries(entries)
