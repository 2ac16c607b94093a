"""The privacy notice is made from the setting's data: its retention schedule, the recipients it
has actually shared with, its ICO number; the same text is in every subject-access file."""

from __future__ import annotations

import io

import pytest
from django.urls import reverse
from pypdf import PdfReader

from records import retention

from ..conftest import sign_in
from ..consent.factories import emergency

pytestmark = pytest.mark.django_db


def test_the_notice_shows_the_schedule_the_recipients_and_the_ico_number(people, client):
    emergency(people.child, people.deputy)  # shared with children's social care (s47)
    people.setting.ico_registration_number = "ZB123456"
    people.setting.save()
    sign_in(client, people.keyperson1.user)
    page = client.get(reverse("governance:privacy_notice")).content.decode()

    for rule in retention.rules():
        assert rule.applies_to.replace("'", "&#x27;") in page
    assert "children&#x27;s social care (section 47, child protection)" in page
    assert "ZB123456" in page
    assert "lawful bases" in page

    pdf = client.get(reverse("governance:privacy_notice_pdf"))
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.content)).pages)
    assert "ZB123456" in text and "Information Commissioner" in text


def test_the_same_text_is_in_a_subject_access_file(people):
    from access_requests.pdf import bundle_html

    from ..access_requests.conftest import reviewed

    html = bundle_html(reviewed(people))
    for rule in retention.rules():
        assert rule.applies_to.replace("'", "&#x27;") in html
    assert "Who receives it (recipients)" in html
    assert "Each decision to share about your child" in html


def test_anyone_without_a_post_gets_no_notice(people, client):
    sign_in(client, people.it_admin)
    assert client.get(reverse("governance:privacy_notice")).status_code == 404


def test_the_record_of_processing_and_the_appropriate_policy_come_from_the_same_data(
    people, client
):
    emergency(people.child, people.deputy)
    sign_in(client, people.deputy.user)
    record = client.get(reverse("governance:record_of_processing")).content.decode()
    policy = client.get(reverse("governance:appropriate_policy")).content.decode()

    for rule in retention.rules():
        assert rule.applies_to.replace("'", "&#x27;") in record
    assert "children&#x27;s social care (section 47, child protection)" in record
    assert "Schedule 1 paragraph 18" in policy
    assert "Safeguarding and child protection" in policy
    assert "The register and the child&#x27;s file" not in policy  # not special-category
    client.logout()
    sign_in(client, people.keyperson1.user)
    assert client.get(reverse("governance:record_of_processing")).status_code == 404
