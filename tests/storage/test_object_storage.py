"""Attachments and PDFs in object storage (core.filestore), against moto's S3 server on loopback:
the bucket holds the same ciphertext the column would have, under a name that says nothing, and
the column only a reference; the files read back whole through the pages; a row deleted or
destroyed takes its object with it, and a replaced file's goes with the daily sweep; a store that
is down or has no bucket gives a clear page and saves nothing; values written to the database
before the switch still read; and with no setting the files stay in the database."""

from __future__ import annotations

import hashlib
import io
import re
import runpy
import uuid
from datetime import timedelta
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from auditlog.models import LogEntry
from django.conf import settings as django_settings
from django.core.exceptions import ImproperlyConfigured
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.core.signals import request_finished
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from access_requests import services as sar_services
from access_requests.models import Release, Rendering, RenderState
from core import filestore, reencrypt
from lifecycle import destruction
from records import moving
from records.models import Attachment
from safeguarding import printing
from safeguarding.models import ChronologyPrint, PrintState

from ..access_requests.conftest import approved, checked, record
from ..factories import a_pdf, a_png, make_entry
from ..lifecycle.test_destruction import a_full_file
from .conftest import closed_endpoint, use_store

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
PHRASE = "Seen at the Exampleshire clinic about the bruise on Tuesday"
NAME = re.compile(r"files/[0-9a-f]{32}")


def stored(model: Any, pk: Any, field: str) -> str:
    """What the row's column holds, as the database has it."""
    return str(model._base_manager.filter(pk=pk).values_list(field, flat=True).get())


def attach(client: Any, entry: Any, data: bytes, name: str = "clinic letter.pdf") -> Any:
    upload = SimpleUploadedFile(name, data, content_type="application/pdf")
    return client.post(reverse("records:attachment_add", args=[entry.pk]), {"attachment": upload})


def an_attachment(people: Any, data: bytes | None = None) -> Attachment:
    entry = make_entry(people.child, people.keyperson1)
    attachment = Attachment(
        entry=entry,
        uploaded_by=people.keyperson1,
        filename="picture.png",
        content_type="image/png",
        size=len(data or a_png()),
        sha256="0" * 64,
        content=data or a_png(),
    )
    attachment.save()
    return attachment


def download(client: Any, attachment: Attachment) -> Any:
    return client.get(reverse("records:attachment_download", args=[attachment.pk]))


# --- the default ---------------------------------------------------------------------------------


def read_settings(monkeypatch: pytest.MonkeyPatch, **env: str) -> dict[str, Any]:
    """config/settings.py, run afresh with these variables (and none of object storage's else)."""
    for name in ("CONFIDE_FILE_STORAGE", "CONFIDE_S3_BUCKET", "CONFIDE_S3_ENDPOINT_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.delenv("CONFIDE_S3_REGION", raising=False)
    monkeypatch.setenv("DJANGO_DEBUG", "1")
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return runpy.run_path(str(ROOT / "config" / "settings.py"))


def test_with_no_object_storage_settings_files_stay_in_the_database(people, monkeypatch):
    configured = read_settings(monkeypatch)
    assert configured["CONFIDE_FILE_STORAGE"] == "database"
    assert "confide_files" not in configured["STORAGES"]
    assert django_settings.CONFIDE_FILE_STORAGE == "database"
    assert not filestore.enabled()

    data = a_pdf(PHRASE)
    attachment = an_attachment(people, data)
    column = stored(Attachment, attachment.pk, "content")
    assert column.startswith("v2$") and not filestore.is_reference(column)
    assert Attachment.objects.get(pk=attachment.pk).content == data
    assert filestore.sweep() == "files are kept in the database: nothing to sweep"


def test_the_settings_make_the_s3_storage_and_refuse_half_a_configuration(monkeypatch):
    configured = read_settings(
        monkeypatch,
        CONFIDE_FILE_STORAGE="s3",
        CONFIDE_S3_BUCKET="confide-files",
        CONFIDE_S3_ENDPOINT_URL="https://objects.example.test",
        CONFIDE_S3_REGION="eu-west-2",
    )
    entry = configured["STORAGES"]["confide_files"]
    assert entry["BACKEND"] == "storages.backends.s3.S3Storage"
    assert entry["OPTIONS"]["bucket_name"] == "confide-files"
    assert entry["OPTIONS"]["endpoint_url"] == "https://objects.example.test"
    assert entry["OPTIONS"]["region_name"] == "eu-west-2"
    # No credentials in the settings: boto3 reads its own variables.
    assert not {"access_key", "secret_key"} & set(entry["OPTIONS"])
    # Back at database with the bucket still named: new files go to the database, and the
    # files written to the store while it was on still read.
    back = read_settings(monkeypatch, CONFIDE_S3_BUCKET="confide-files")
    assert back["CONFIDE_FILE_STORAGE"] == "database"
    assert back["STORAGES"]["confide_files"]["OPTIONS"]["bucket_name"] == "confide-files"
    with pytest.raises(ImproperlyConfigured, match="CONFIDE_S3_BUCKET"):
        read_settings(monkeypatch, CONFIDE_FILE_STORAGE="s3")
    with pytest.raises(ImproperlyConfigured, match="database .* or s3"):
        read_settings(monkeypatch, CONFIDE_FILE_STORAGE="ftp")


# --- in the bucket, and back -------------------------------------------------------------------


def test_an_attachment_uploaded_through_the_page_is_an_object_with_no_plaintext(
    bucket, people, client_for
):
    entry = make_entry(people.child, people.keyperson1)
    data = a_pdf(PHRASE)
    client = client_for("keyperson1")
    assert attach(client, entry, data).status_code == 302

    attachment = Attachment.objects.get(entry=entry)
    column = stored(Attachment, attachment.pk, "content")
    # The column holds a reference only: no ciphertext.
    assert filestore.is_reference(column) and len(column) < 120 and "v2$" not in column
    objects = bucket.objects()
    [(name, body)] = objects.items()
    assert NAME.fullmatch(name) and column == f"obj${name}${hashlib.sha256(body).hexdigest()}"
    # Nothing in the name or the bytes says whose it is or what it says.
    for secret in (str(entry.pk), str(people.child.pk), str(attachment.pk), "clinic"):
        assert secret not in name
    assert body.startswith(b"v2$")
    for plain in (b"%PDF", PHRASE.encode(), b"clinic letter", str(people.child.pk).encode()):
        assert plain not in body

    response = download(client, attachment)
    assert response.status_code == 200
    assert response.content == data


def test_a_released_subject_access_pdf_is_an_object_and_downloads_whole(bucket, people, client_for):
    make_entry(people.child, people.keyperson1, text="Built a tall tower with the blocks.")
    sar = approved(people)
    client = client_for("lead")
    response = client.post(reverse("access_requests:release", args=[sar.pk]))
    password = re.search(r'aria-label="The password">([A-Z0-9-]+)<', response.content.decode())
    assert password

    release = Release.objects.get(request=sar)
    rendering = Rendering.objects.get(request=sar)
    references = {
        stored(Release, release.pk, "pdf"),
        stored(Rendering, rendering.pk, "pdf"),
    }
    assert all(filestore.is_reference(reference) for reference in references)
    objects = bucket.objects()
    assert set(objects) == {filestore.name_of(reference) for reference in references}
    for body in objects.values():
        assert body.startswith(b"v2$")
        assert b"%PDF" not in body and b"tall tower" not in body

    response = client.get(reverse("access_requests:download", args=[sar.pk]))
    assert response.status_code == 200
    assert hashlib.sha256(response.content).hexdigest() == release.sha256
    reader = PdfReader(io.BytesIO(response.content))
    assert reader.is_encrypted and reader.decrypt(password.group(1))
    assert "Built a tall tower" in "".join(page.extract_text() for page in reader.pages)


def test_files_saved_before_the_switch_or_after_it_is_undone_still_read(
    bucket, people, client_for, settings
):
    settings.CONFIDE_FILE_STORAGE = "database"
    data = a_pdf("written before the switch")
    before = an_attachment(people, data)
    settings.CONFIDE_FILE_STORAGE = "s3"

    response = download(client_for("keyperson1"), before)
    assert response.status_code == 200 and response.content == data
    assert stored(Attachment, before.pk, "content").startswith("v2$")
    assert bucket.objects() == {}
    # New files go to the store; the old one stays where it is.
    after = an_attachment(people)
    assert filestore.is_reference(stored(Attachment, after.pk, "content"))
    assert len(bucket.objects()) == 1
    assert Attachment.objects.get(pk=before.pk).content == data

    # Switched back, the bucket still named: new files go to the database, the object reads.
    settings.CONFIDE_FILE_STORAGE = "database"
    later = an_attachment(people, data)
    assert stored(Attachment, later.pk, "content").startswith("v2$")
    assert download(client_for("keyperson1"), after).content == a_png()
    assert len(bucket.objects()) == 1


# --- deleting ------------------------------------------------------------------------------------


def test_deleting_a_row_deletes_its_object_once_the_deletion_commits(
    bucket, people, django_capture_on_commit_callbacks
):
    first, second, third = an_attachment(people), an_attachment(people), an_attachment(people)
    assert len(bucket.objects()) == 3
    name = filestore.name_of(stored(Attachment, first.pk, "content"))

    # A deletion rolled back keeps the row and its object.
    with (
        django_capture_on_commit_callbacks(execute=True),
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        Attachment.objects.filter(pk=first.pk).delete()
        raise RuntimeError("changed my mind")
    assert name in bucket.objects()
    assert Attachment.objects.get(pk=first.pk).content == a_png()

    # A queryset's delete (as destruction's), and a row loaded without its file.
    with django_capture_on_commit_callbacks(execute=True):
        Attachment.objects.filter(pk=first.pk).delete()
        Attachment.objects.defer("content").get(pk=second.pk).delete()
    assert set(bucket.objects()) == {filestore.name_of(stored(Attachment, third.pk, "content"))}


def test_a_destruction_deletes_the_objects_of_what_it_destroys(
    bucket, people, django_capture_on_commit_callbacks
):
    kept = an_attachment(people)
    child = a_full_file(people)
    [attachment] = Attachment.objects.filter(entry__child=child)
    gone = filestore.name_of(stored(Attachment, attachment.pk, "content"))
    assert gone in bucket.objects()

    [whole] = [d for d in destruction.review(by=people.lead.user) if d.subject_id == child.pk]
    destruction.approve(by=people.lead.user, destruction=whole)
    whole.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=True):
        destruction.confirm(by=people.deputy.user, destruction=whole)

    assert not Attachment._base_manager.filter(pk=attachment.pk).exists()
    assert set(bucket.objects()) == {filestore.name_of(stored(Attachment, kept.pk, "content"))}


def test_a_replaced_or_expired_file_is_swept_once_unreferenced_and_old(
    bucket, people, django_capture_on_commit_callbacks
):
    made = ChronologyPrint(
        child=people.child,
        requested_by=people.lead,
        state=PrintState.READY,
        pdf=a_pdf("the first print"),
    )
    made.save()
    first = stored(ChronologyPrint, made.pk, "pdf")
    past_the_grace = timezone.now() + filestore.SWEEP_GRACE + timedelta(minutes=1)

    # Loaded, given a new file, saved: the new object replaces the old in the row. The old one
    # stays in the store (a copy of the row loaded before may still write it back).
    data = a_pdf("the second print")
    with django_capture_on_commit_callbacks(execute=True):
        loaded = ChronologyPrint.objects.get(pk=made.pk)
        loaded.pdf = data
        loaded.save()
    second = stored(ChronologyPrint, made.pk, "pdf")
    assert second != first
    assert set(bucket.objects()) == {filestore.name_of(first), filestore.name_of(second)}
    assert ChronologyPrint.objects.get(pk=made.pk).pdf == data

    # The sweep: not while it is young; once it is old, the one no row refers to, and never
    # the one the row refers to, however old.
    assert filestore.sweep() == "0 objects no record refers to removed"
    assert len(bucket.objects()) == 2
    assert filestore.sweep(now=past_the_grace) == "1 objects no record refers to removed"
    assert set(bucket.objects()) == {filestore.name_of(second)}
    assert ChronologyPrint.objects.get(pk=made.pk).pdf == data

    # Expired without being read (the job defers the PDF): the row stays, emptied; its object
    # goes with the sweep.
    with django_capture_on_commit_callbacks(execute=True):
        assert printing.expire_old_prints(now=timezone.now() + timedelta(days=60)) == 1
    assert ChronologyPrint.objects.get(pk=made.pk).pdf == b""
    assert set(bucket.objects()) == {filestore.name_of(second)}
    assert filestore.sweep(now=past_the_grace) == "0 objects no record refers to removed"
    a_day_after = past_the_grace + filestore.SWEEP_GRACE
    assert filestore.sweep(now=a_day_after) == "1 objects no record refers to removed"
    assert bucket.objects() == {}


@pytest.mark.django_db(transaction=True)
def test_an_object_whose_row_was_rolled_back_is_deleted_when_the_work_ends(bucket, people):
    saved = an_attachment(people)
    sar = record(people)
    # A render finished under a token that is no longer the request's: its Rendering is
    # rolled back (access_requests.services.finish_render), after its PDF was uploaded.
    finished = sar_services.finish_render(
        sar_id=sar.pk, token=uuid.uuid4(), pdf=a_pdf("superseded"), pages=1
    )
    assert finished is None and not Rendering.objects.exists()
    assert len(bucket.objects()) == 2

    request_finished.send(sender=None)  # the end of the request (or task_finished, of the task)
    assert set(bucket.objects()) == {filestore.name_of(stored(Attachment, saved.pk, "content"))}
    assert Attachment.objects.get(pk=saved.pk).content == a_png()


def test_the_sweep_deletes_only_old_objects_no_row_refers_to(bucket, people):
    kept = an_attachment(people)
    orphan = filestore.put("v2$an upload whose row never came", model=Attachment, attname="content")
    filestore.forget_unsaved()
    assert len(bucket.objects()) == 2

    # Young: it may belong to a transaction not yet committed.
    assert filestore.sweep() == "0 objects no record refers to removed"
    assert len(bucket.objects()) == 2
    assert filestore.sweep(older_than=timedelta(0)) == "1 objects no record refers to removed"
    assert set(bucket.objects()) == {filestore.name_of(stored(Attachment, kept.pk, "content"))}
    assert filestore.name_of(orphan) not in bucket.objects()
    call_command("run_schedules", "--job", "file_storage_sweep", "--force", stdout=StringIO())


# --- failures ------------------------------------------------------------------------------------


@pytest.mark.parametrize("failure", ["store down", "no bucket"])
def test_a_store_that_fails_refuses_the_upload_clearly_and_saves_nothing(
    failure, bucket, people, client_for, settings
):
    if failure == "store down":
        use_store(settings, closed_endpoint(), bucket.name)
    else:
        use_store(settings, bucket.endpoint, "confide-no-such-bucket")
    entry = make_entry(people.child, people.keyperson1)
    events = LogEntry.objects.count()

    response = attach(client_for("keyperson1"), entry, a_pdf(PHRASE))

    assert response.status_code == 503
    assert b"Files cannot be reached just now" in response.content
    assert b"nothing of it was saved" in response.content
    assert not Attachment.objects.filter(entry=entry).exists()
    assert LogEntry.objects.count() == events
    assert bucket.objects() == {}


def test_a_release_the_store_refuses_leaves_no_release(bucket, people, client_for, settings):
    make_entry(people.child, people.keyperson1, text="Built a tall tower with the blocks.")
    sar = approved(people)
    use_store(settings, closed_endpoint(), bucket.name)

    response = client_for("lead").post(reverse("access_requests:release", args=[sar.pk]))

    assert response.status_code == 503
    assert not Release.objects.filter(request=sar).exists()
    sar.refresh_from_db()
    assert sar.status == "approved"


def test_a_pdf_made_in_the_background_that_the_store_refuses_is_marked_failed(
    bucket, people, settings, django_capture_on_commit_callbacks
):
    make_entry(people.child, people.keyperson1, text="Built a tall tower with the blocks.")
    sar = checked(people)
    use_store(settings, closed_endpoint(), bucket.name)

    with django_capture_on_commit_callbacks(execute=True):
        sar_services.start_render(sar=sar, by=people.deputy.user)
        made = printing.ask(by=people.lead.user, child=people.child, params={})

    sar.refresh_from_db()
    assert sar.render_state == RenderState.FAILED
    assert "FileStorageError" in sar.render_error
    assert not Rendering.objects.filter(request=sar).exists()
    made.refresh_from_db()
    assert made.state == PrintState.FAILED
    assert made.error.startswith("The PDF could not be stored")
    assert not filestore.is_reference(stored(ChronologyPrint, made.pk, "pdf"))
    assert ChronologyPrint.objects.get(pk=made.pk).pdf == b""


def test_a_store_that_is_down_gives_a_clear_page_when_reading(bucket, people, client_for, settings):
    attachment = an_attachment(people)
    use_store(settings, closed_endpoint(), bucket.name)

    response = download(client_for("keyperson1"), attachment)

    assert response.status_code == 503
    assert b"Files cannot be reached just now" in response.content
    # Not taken for tampering: the store is down, the record is not changed.
    assert not LogEntry.objects.filter(additional_data__event="decryption_failed").exists()


def test_a_missing_object_fails_like_tampering_and_the_check_names_its_row(
    bucket, people, client_for
):
    attachment = an_attachment(people)
    other = an_attachment(people)
    bucket.delete(filestore.name_of(stored(Attachment, attachment.pk, "content")))

    response = download(client_for("keyperson1"), attachment)
    assert response.status_code == 500
    assert b"failed its integrity check" in response.content
    failed = LogEntry.objects.get(additional_data__event="decryption_failed")
    assert failed.object_pk == str(attachment.pk)
    assert download(client_for("keyperson1"), other).content == a_png()
    # An object swapped for another row's (the name and the digest no longer agree): refused.
    third = an_attachment(people)
    other_name = filestore.name_of(stored(Attachment, other.pk, "content"))
    third_body = bucket.objects()[filestore.name_of(stored(Attachment, third.pk, "content"))]
    bucket.client.put_object(Bucket=bucket.name, Key=other_name, Body=third_body)
    assert download(client_for("keyperson1"), other).status_code == 500
    assert LogEntry.objects.filter(additional_data__event="decryption_failed").count() == 2

    out, err = StringIO(), StringIO()
    with pytest.raises(CommandError, match="1 row"):
        call_command("check_file_storage", stdout=out, stderr=err)
    assert f"records.Attachment {attachment.pk}" in err.getvalue()
    assert "values in object storage: 3" in out.getvalue()


# --- the rest of the code that reads stored values --------------------------------------------


def test_a_setting_moved_to_another_deployment_carries_the_bytes(bucket, people):
    attachment = an_attachment(people)
    column = stored(Attachment, attachment.pk, "content")
    [body] = bucket.objects().values()
    pem, public = moving.new_transfer_key()

    payload = moving.open_bundle(
        moving.export(people.setting, public).data, moving.load_private_key(pem)
    )

    rows = dict((label, found) for label, found in payload["rows"])
    [row] = [r for r in rows["records.attachment"] if r["id"] == str(attachment.pk)]
    assert row["content"] == body.decode() and row["content"].startswith("v2$")
    assert column not in str(payload)


def test_reencrypt_leaves_the_objects_as_they_are(bucket, people):
    attachment = an_attachment(people)
    column = stored(Attachment, attachment.pk, "content")
    before = bucket.objects()

    outcome = reencrypt.run()

    assert outcome.failures == []
    assert stored(Attachment, attachment.pk, "content") == column
    assert bucket.objects() == before
