"""Approval, release and delivery: nothing leaves before the Lead's approval; the one-time link
works once, expires, is rate-limited and audited; the password is never stored."""

from __future__ import annotations

import hashlib
import re
import smtplib
from datetime import timedelta
from typing import Any

import pytest
from auditlog.models import LogEntry
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from access_requests import services
from access_requests.models import (
    DownloadLink,
    LinkAttempt,
    Release,
    Status,
    SubjectAccessRequest,
)
from access_requests.services import PassageRedaction

from .conftest import approved, checked, reviewed


def events(name: str) -> list[LogEntry]:
    return [e for e in LogEntry.objects.all() if (e.additional_data or {}).get("event") == name]


def test_submitting_with_items_unreviewed_is_refused(people, entries):
    from .conftest import confirmed

    sar = confirmed(people)
    services.compile_bundle(sar=sar, by=people.deputy.user)
    with pytest.raises(ValidationError) as exc:
        services.submit_for_check(sar=sar, by=people.deputy.user)
    assert "still to review" in " ".join(exc.value.messages)
    assert SubjectAccessRequest.objects.get(pk=sar.pk).status == Status.IN_REVIEW


def test_the_reviewer_cannot_be_the_second_checker(people, entries):
    sar = reviewed(people)
    services.submit_for_check(sar=sar, by=people.deputy.user)
    with pytest.raises(ValidationError) as exc:
        services.check_bundle(sar=sar, by=people.deputy.user, accept=True)
    assert "second person" in " ".join(exc.value.messages)
    assert SubjectAccessRequest.objects.get(pk=sar.pk).status == Status.AWAITING_CHECK


def test_review_decisions_need_an_exemption_and_a_note(people, entries):
    from .conftest import confirmed

    sar = confirmed(people)
    services.compile_bundle(sar=sar, by=people.deputy.user)
    item = sar.items.filter(kind="entry").first()
    assert item is not None
    cases: list[tuple[dict[str, Any], str]] = [
        ({"decision": "withhold"}, "exemption"),
        ({"decision": "withhold", "exemption": "other", "note": "x"}, "exemption_other"),
        ({"decision": "redact", "note": "x"}, "passages.0.passage"),
        (
            {"decision": "redact", "passages": [PassageRedaction("nope", "third_party", note="x")]},
            "passages.0.passage",
        ),
        (
            {"decision": "redact", "passages": [PassageRedaction(item.body, note="x")]},
            "passages.0.exemption",
        ),
        ({"decision": "disclose", "silent": True}, "silent"),
    ]
    for fields, field in cases:
        with pytest.raises(ValidationError) as exc:
            services.review_item(item=item, by=people.deputy.user, **fields)
        assert field in exc.value.error_dict, fields
        item.refresh_from_db()
        assert item.decision == "pending"


def test_nothing_leaves_before_the_leads_approval(people, entries, client_for):
    sar = checked(people)
    services.start_render(sar=sar, by=people.deputy.user)
    sar.refresh_from_db()
    with pytest.raises(ValidationError):
        services.release_copy(sar=sar, by=people.lead.user)
    with pytest.raises(PermissionDenied):
        services.approve_bundle(sar=sar, by=people.deputy.user)
    assert (
        client_for("lead").get(reverse("access_requests:download", args=[sar.pk])).status_code
        == 404
    )
    response = client_for("deputy").post(reverse("access_requests:send_link", args=[sar.pk]))
    assert response.status_code == 302
    assert not DownloadLink.objects.exists() and not Release.objects.exists()
    services.approve_bundle(sar=sar, by=people.lead.user)
    assert sar.status == Status.APPROVED and sar.approved_by == people.lead


def test_the_password_is_shown_once_and_never_stored(people, entries, client_for):
    sar = approved(people)
    response = client_for("lead").post(reverse("access_requests:release", args=[sar.pk]))
    match = re.search(r'aria-label="The password">([A-Z0-9-]+)<', response.content.decode())
    assert match
    password = match.group(1)
    release = Release.objects.get()
    assert release.sha256 == hashlib.sha256(release.pdf).hexdigest()
    stored = [str(v) for r in SubjectAccessRequest.objects.values() for v in r.values()]
    stored += [str(v) for r in Release.objects.values() for v in r.values()]
    stored += [str(e.additional_data) + str(e.changes) for e in LogEntry.objects.all()]
    assert not any(password in s for s in stored)
    # The detail page never shows it again.
    page = client_for("lead").get(reverse("access_requests:detail", args=[sar.pk])).content.decode()
    assert password not in page


def test_staff_download_is_an_attachment_and_audited(people, entries, client_for):
    sar = approved(people)
    release, _password = services.release_copy(sar=sar, by=people.lead.user)
    response = client_for("deputy").get(reverse("access_requests:download", args=[sar.pk]))
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    assert hashlib.sha256(response.content).hexdigest() == release.sha256
    rows = events("sar_pdf_downloaded")
    assert len(rows) == 1
    assert rows[0].actor == people.deputy.user
    assert rows[0].additional_data["sha256"] == release.sha256


def _link(people, entries) -> tuple[SubjectAccessRequest, str]:
    sar = approved(people)
    services.release_copy(sar=sar, by=people.lead.user)
    sent: dict[str, str] = {}

    def url(token: str) -> str:
        sent["token"] = token
        return f"https://confide.example.test/access-requests/link/{token}/"

    services.send_link(sar=sar, by=people.lead.user, link_url=url)
    return sar, sent["token"]


def test_the_link_is_emailed_and_the_request_is_sent(
    people, entries, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        sar, token = _link(people, entries)
    sar.refresh_from_db()
    assert sar.status == Status.SENT and sar.sent_how == "email_link"
    assert len(mail.outbox) == 1
    assert token in mail.outbox[0].body
    assert mail.outbox[0].to == ["parent@example.test"]
    assert "password" in mail.outbox[0].body
    assert not re.search(r"[A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{4}", str(mail.outbox[0].body))
    assert DownloadLink.objects.get().token_hash != token


def test_the_one_time_link_works_once(people, entries, client):
    sar, token = _link(people, entries)
    url = reverse("access_requests:link", args=[token])
    # Opening the page (as a mail scanner would) does not use it up.
    assert client.get(url).status_code == 200
    assert client.get(url).status_code == 200
    first = client.post(url)
    assert first.status_code == 200
    assert first["Content-Type"] == "application/pdf"
    assert first["Content-Disposition"].startswith("attachment;")
    assert hashlib.sha256(first.content).hexdigest() == sar.releases.get().sha256
    second = client.post(url)
    assert second.status_code == 410
    assert b"already been used" in second.content
    assert client.get(url).status_code == 410
    downloads = events("sar_pdf_downloaded")
    assert len(downloads) == 1 and downloads[0].additional_data["by"] == "requester"
    assert events("sar_link_refused")[0].additional_data["why"] == "used"


def test_an_expired_or_unknown_link_is_refused(people, entries, client):
    _sar, token = _link(people, entries)
    DownloadLink.objects.update(expires_at=timezone.now() - timedelta(minutes=1))
    response = client.post(reverse("access_requests:link", args=[token]))
    assert response.status_code == 410 and b"expired" in response.content
    response = client.post(reverse("access_requests:link", args=["not-a-real-token"]))
    assert response.status_code == 410 and b"not valid" in response.content
    assert DownloadLink.objects.get().used_at is None


def test_the_link_pages_are_rate_limited(people, entries, client):
    _sar, token = _link(people, entries)
    url = reverse("access_requests:link", args=["guess"])
    for _ in range(services.LINK_ATTEMPTS_PER_WINDOW):
        client.get(url)
    assert client.get(url).status_code == 429
    response = client.post(reverse("access_requests:link", args=[token]))
    assert response.status_code == 429
    assert DownloadLink.objects.get().used_at is None
    LinkAttempt.objects.update(at=timezone.now() - timedelta(hours=1))
    assert client.post(reverse("access_requests:link", args=[token])).status_code == 200


def test_sent_then_closed_keeps_the_record_of_what_was_released(people, entries):
    sar = approved(people)
    with pytest.raises(ValidationError):
        services.mark_sent(sar=sar, by=people.lead.user, how="post")
    services.release_copy(sar=sar, by=people.lead.user)
    services.mark_sent(sar=sar, by=people.lead.user, how="post")
    services.close_request(sar=sar, by=people.deputy.user)
    sar.refresh_from_db()
    assert sar.status == Status.CLOSED
    assert sar.approved_sha256 and sar.releases.get().source_sha256 == sar.approved_sha256
    assert sar.items.filter(reviewed_by__isnull=False).count() == sar.items.count()


@pytest.mark.django_db(transaction=True)
def test_two_simultaneous_uses_of_a_link_only_one_wins(people, entries):
    """The conditional UPDATE decides, on SQLite and PostgreSQL alike."""
    import threading
    import time

    from django.db import OperationalError, connection

    _sar, token = _link(people, entries)
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def attempt() -> None:
        barrier.wait()
        try:
            # SQLite's shared-cache test database answers "table is locked" instead of waiting:
            # retry then, as a person would press the button again.
            for pause in (0.05, 0.1, 0.2, 0.4, 0.8):
                try:
                    services.use_link(token=token)
                except OperationalError:
                    time.sleep(pause)
                    continue
                outcomes.append("won")
                return
        except services.LinkRefused:
            outcomes.append("refused")
        finally:
            connection.close()

    threads = [threading.Thread(target=attempt) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["refused", "won"]
    assert len(events("sar_pdf_downloaded")) == 1


def test_a_send_the_mail_server_refuses_leaves_the_request_as_it_was(
    people, entries, client_for, monkeypatch
):
    sar = approved(people)
    services.release_copy(sar=sar, by=people.lead.user)

    def refuse(*args, **kwargs):
        raise smtplib.SMTPRecipientsRefused({"parent@example.test": (550, b"No such user")})

    monkeypatch.setattr("access_requests.services.delivery.send_mail", refuse)
    response = client_for("deputy").post(
        reverse("access_requests:send_link", args=[sar.pk]), follow=True
    )
    assert "The email could not be sent" in response.content.decode()
    sar.refresh_from_db()
    assert sar.status == Status.APPROVED and sar.sent_at is None
    assert not DownloadLink.objects.exists()
    assert not events("sar_link_sent")
    # Fixed, it can be sent again.
    monkeypatch.undo()
    services.send_link(sar=sar, by=people.lead.user, link_url=lambda t: f"/l/{t}/")
    sar.refresh_from_db()
    assert sar.status == Status.SENT
    assert DownloadLink.objects.get().sent_at is not None


def test_the_request_page_shows_delivery_as_the_requester_lived_it(
    people, entries, client, client_for
):
    sar, token = _link(people, entries)
    link = DownloadLink.objects.get()
    assert link.sent_at is not None and link.opened_at is None
    url = reverse("access_requests:link", args=[token])
    client.get(url)
    link.refresh_from_db()
    opened = link.opened_at
    assert opened is not None
    client.get(url)
    link.refresh_from_db()
    assert link.opened_at == opened  # the first opening is kept
    client.post(url)
    client.post(url)
    client.get(url)
    link.refresh_from_db()
    assert link.used_at is not None and link.refused == 2
    page = client_for("lead").get(reverse("access_requests:detail", args=[sar.pk])).content
    page_text = page.decode()
    assert "Delivery, as the requester lived it" in page_text
    assert (
        "not yet"
        not in page_text.split("Delivery, as the requester lived it")[1].split("</table>")[0]
    )


@pytest.mark.django_db(transaction=True)
def test_a_failure_after_the_mail_server_took_the_email_leaves_the_emailed_link_working(
    people, entries, client, monkeypatch
):
    """The link is committed before the email goes: the email never names a link the database
    does not hold, whatever fails after the mail server took it."""
    sar = approved(people)
    services.release_copy(sar=sar, by=people.lead.user)
    sent: dict[str, str] = {}

    def url(token: str) -> str:
        sent["token"] = token
        return f"https://confide.example.test/access-requests/link/{token}/"

    def recording_fails(**kwargs):
        raise RuntimeError("the database went away while recording 'sent'")

    monkeypatch.setattr("access_requests.services.delivery.log_event", recording_fails)
    with pytest.raises(RuntimeError):
        services.send_link(sar=sar, by=people.lead.user, link_url=url)
    monkeypatch.undo()

    [message] = mail.outbox
    assert sent["token"] in message.body
    sar.refresh_from_db()
    assert sar.status == Status.APPROVED  # not shown as sent: it was not recorded
    assert DownloadLink.objects.get().sent_at is None
    response = client.post(reverse("access_requests:link", args=[sent["token"]]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
