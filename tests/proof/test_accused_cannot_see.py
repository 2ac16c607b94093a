"""The person accused cannot learn that an allegation exists: a crawl of every URL as the accused.

For each person accused in the world (tests/proof/objects.py: a key person, whose allegation the
Lead handles, and the Lead, whose allegation the safeguarding trustee handles), signed in as them:

- every URL of the project without a parameter (GET), and every URL that takes an id, filled with
  every object of the world of its kind (tests/proof/test_idor.py's TARGETS), the allegation's own
  id and its placeholder's id (GET; POST where the URL only answers POST, with an empty form);
- every link found on those pages, followed (GET, bounded);
- the children's search with the allegation's words, and the audit log's export;
- the subject-access compilation of a request about the accused;

and no page, file or item holds the allegation's id, its reference, its placeholder's id, or its
words: 0 pages. More: the same crawl made before the allegation was recorded gives the same pages,
page for page (once the CSRF tokens, the CSP nonces and the clock's minutes are masked), and no
link more — so no count, date or message changed by it either (a file kept longer, a
child-protection entry counted on a leaving checklist). The same crawl as the allegation's handler
finds its words (so the crawl reaches where they are), which is what makes the 0 mean something.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from access_requests.compile import build_items
from access_requests.models import ItemKind, RequesterKind
from governance.models import Allegation

from ..access_requests.conftest import record
from ..conftest import sign_in
from ..factories import make_child, make_entry
from .objects import World, add_allegation, build_world
from .test_idor import OBJECT_KIND, TARGETS, _reverse

pytestmark = pytest.mark.heavy

# The crawl's bound: pages followed from links, beyond the URLs listed.
MAX_FOLLOWED = 400
# Never followed: they end the session or change something by GET.
NOT_FOLLOWED = re.compile(r"^/(account/sign-out|static/|media/)")


def _secrets(allegation: Allegation) -> list[str]:
    placeholders = [str(pk) for pk in allegation.placeholders.values_list("pk", flat=True)]
    return [
        str(allegation.pk),
        allegation.reference,
        str(allegation),
        allegation.what_alleged,
        *placeholders,
    ]


def _plain_urls() -> list[str]:
    urls: list[str] = []

    def walk(patterns: list[Any], namespace: str) -> None:
        for p in patterns:
            if isinstance(p, URLResolver):
                ns = f"{namespace}{p.namespace}:" if p.namespace else namespace
                walk(p.url_patterns, ns)
            elif isinstance(p, URLPattern) and p.name and not p.pattern.converters:
                name = f"{namespace}{p.name}"
                if name in ("accounts:logout",):
                    continue
                try:
                    urls.append(reverse(name))
                except Exception:  # noqa: S112 - a pattern with a regex group: no plain URL
                    continue

    walk(get_resolver().url_patterns, "")
    return urls


def _id_urls(world: World, allegation: Allegation | None) -> list[tuple[str, str]]:
    """(method, url) for every URL that takes an id, with every object of its kind, and with the
    allegation's and its placeholder's ids wherever one id is taken."""
    extra = (
        [allegation.pk, *allegation.placeholders.values_list("pk", flat=True)] if allegation else []
    )
    found: list[tuple[str, str]] = []
    for key, target in TARGETS.items():
        method = "get" if target.get else "post"
        if len(target.kinds) == 1:
            # (Django's admin echoes an id it does not know in its message "… doesn't exist":
            # the person's own words back, not the allegation's; its pages get the real ones.)
            ids = [obj.pk for _, obj in world.of_kind(target.kinds[0])]
            ids += [] if target.admin else extra
            found += [(method, _reverse(key, [pk])) for pk in ids]
        else:
            parent_kind, sub_kind = target.kinds
            for parent_name, parent in world.of_kind(parent_kind):
                for name, obj in world.of_kind(OBJECT_KIND[sub_kind]):
                    if name.split(":", 1)[1] == parent_name.split(":", 1)[1]:
                        found.append((method, _reverse(key, [parent.pk, obj.pk])))
    return found


def crawl(client: Client, world: World, allegation: Allegation | None) -> dict[str, str]:
    """Every page reached, by URL, with its body (text, or the bytes decoded as far as they go)."""
    pages: dict[str, str] = {}

    def fetch(method: str, url: str, data: dict[str, Any] | None = None) -> None:
        key = f"{method.upper()} {url}"
        if key in pages:
            return
        # Each request is undone afterwards, so the world stays the same for the next.
        sid = transaction.savepoint_create()
        try:
            response = getattr(client, method)(url, data or {})
            body = b"".join(response) if response.streaming else response.content
            pages[key] = body.decode("utf-8", errors="replace")
        finally:
            transaction.savepoint_rollback(sid)

    for url in _plain_urls():
        fetch("get", url)
    for method, url in _id_urls(world, allegation):
        fetch(method, url)
    fetch("get", reverse("records:child_list"), {"q": "shaking a child"})
    fetch("post", reverse("records:audit_export"))
    queue = [
        link
        for body in list(pages.values())
        for link in re.findall(r'href="(/[^"#]*)', body)
        if not NOT_FOLLOWED.match(link)
    ]
    followed = 0
    while queue and followed < MAX_FOLLOWED:
        link = queue.pop(0).replace("&amp;", "&")
        if f"GET {link}" in pages:
            continue
        fetch("get", link)
        followed += 1
        queue += [
            found
            for found in re.findall(r'href="(/[^"#]*)', pages[f"GET {link}"])
            if not NOT_FOLLOWED.match(found)
        ]
    return pages


# What differs between two identical requests: the CSRF token, the CSP nonce, the time now.
VOLATILE = [
    re.compile(r'(csrfmiddlewaretoken" value=")[^"]+'),
    re.compile(r'(nonce=")[^"]+'),
    re.compile(r"()\d{4}-\d\d-\d\dT\d\d:\d\d"),
    re.compile(r"()\b\d{1,2}:\d\d(:\d\d)?\b"),
    # A new enrolment code each time it is asked for.
    re.compile(r'(aria-label="Enrolment code">)[^<]+'),
]


def masked(body: str) -> str:
    for pattern in VOLATILE:
        body = pattern.sub(lambda m: m.group(1) + "…", body)
    return body


def changed_pages(before: dict[str, str], after: dict[str, str], new_ids: list[str]) -> list[str]:
    """Pages that differ, and pages reached only after, but for URLs made of the new ids."""
    found = []
    for url, body in after.items():
        if any(i in url for i in new_ids):
            continue
        if url not in before:
            found.append(f"{url}: reached only after the allegation")
        elif masked(body) != masked(before[url]):
            old, new = masked(before[url]), masked(body)
            at = (
                next(i for i, (a, b) in enumerate(zip(old, new, strict=False)) if a != b)
                if any(a != b for a, b in zip(old, new, strict=False))
                else min(len(old), len(new))
            )
            found.append(
                f"{url}: ...{old[max(at - 120, 0) : at + 80]!r} -> {new[max(at - 120, 0) : at + 80]!r}"
            )
    return found


def pages_with(pages: dict[str, str], secrets: list[str]) -> list[str]:
    """The pages holding a secret, each with the text around the first one found."""
    found = []
    for url, body in sorted(pages.items()):
        at = [(body.find(s), s) for s in secrets if s in body]
        if at:
            i, secret = min(at)
            found.append(f"{url}: {secret!r} in ...{body[max(i - 200, 0) : i + 60]!r}")
    return found


@pytest.mark.django_db(transaction=False)
@pytest.mark.parametrize(
    ("accused", "handler", "name"),
    [
        ("keyperson1", "lead", "allegation:against_keyperson1"),
        ("lead", "trustee", "allegation:against_lead"),
    ],
)
def test_a_crawl_as_the_accused_finds_nothing_of_the_allegation(people, accused, handler, name):
    world = build_world(people, with_allegations=False)
    # A child with nothing but general progress, whom the allegation also names: a
    # child-protection placeholder counted in their file would change what the accused reads of
    # it (how long a leaver's file is kept, their leaving checklist). The Lead sees leavers; a key
    # person, a child on roll.
    quiet = make_child(
        room=people.sunflower,
        key_person=people.keyperson2,
        first_name="Quinn",
        left_on=timezone.localdate() - timedelta(days=30) if accused == "lead" else None,
    )
    make_entry(quiet, people.keyperson2, text="Enjoyed the sand tray.")
    world.objects["child:quiet"] = quiet
    client = sign_in(Client(), world.user(accused))
    before = crawl(client, world, None)
    usual = people.child if accused == "keyperson1" else people.other_child
    add_allegation(world, name.split(":", 1)[1], children=[usual, quiet])
    allegation: Allegation = world[name]
    secrets = _secrets(allegation)

    as_accused = crawl(client, world, allegation)
    assert len(as_accused) > 150, "the crawl reached too little to prove anything"
    assert pages_with(as_accused, secrets) == []
    changed = changed_pages(before, as_accused, secrets)
    assert not changed, "\n".join(changed)

    # Their own subject-access file: the allegation is one item, for whoever handles the request
    # (the allegation's handler too) to decide on with the exemptions; nothing else of it.
    sar = record(
        people,
        requester_kind=RequesterKind.STAFF,
        requester_carer=None,
        requester_staff=world.staff(accused),
        child=None,
        asked_for="Everything you hold about me.",
    )
    items, mentions, _ = build_items(sar)
    assert [i.source_id for i in items if i.kind == ItemKind.HELD_APART] == [allegation.pk]
    rest = [str(vars(i)) for i in items if i.kind != ItemKind.HELD_APART]
    held = " ".join(rest) + " ".join(str(vars(m)) for m in mentions)
    assert not [s for s in secrets if s in held]

    # The same crawl as the handler reaches the allegation's words.
    as_handler = crawl(sign_in(Client(), world.user(handler)), world, allegation)
    assert pages_with(as_handler, [allegation.what_alleged])
