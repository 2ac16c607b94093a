"""Object storage for the tests of core.filestore: moto's S3 server (server mode, the same WSGI
application ``moto_server`` runs) on 127.0.0.1, on a port the system chooses, for the session; a
bucket of its own for each test, and the setting switched on for it.

The server's socket is bound before its thread starts, so there is nothing to wait for: the first
request is queued until the thread accepts it. Stopping it is bounded (werkzeug polls for the
shutdown every half second)."""

from __future__ import annotations

import socket
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import boto3
import pytest
from botocore.config import Config
from moto.moto_server.werkzeug_app import (
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)
from werkzeug.serving import make_server

from core import filestore

REGION = "eu-west-2"
CREDENTIALS = {"access_key": "testing", "secret_key": "testing"}


@pytest.fixture(scope="session")
def moto_endpoint() -> Iterator[str]:
    server = make_server(
        "127.0.0.1",
        0,
        DomainDispatcherApplication(create_backend_app),
        threaded=True,
        request_handler=MotoRequestHandler,
    )
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()
    thread.join(timeout=10)


def closed_endpoint() -> str:
    """A loopback address nothing listens on: a store that is down."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}"


def storage_config(endpoint: str, bucket: str) -> dict[str, Any]:
    """STORAGES["confide_files"] as config/settings.py makes it, for this endpoint; one attempt
    and short timeouts, so a store that is down fails the test's request at once."""
    return {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": bucket,
            "endpoint_url": endpoint,
            "region_name": REGION,
            "file_overwrite": True,
            "default_acl": None,
            "client_config": Config(
                connect_timeout=2, read_timeout=10, retries={"max_attempts": 1, "mode": "standard"}
            ),
            **CREDENTIALS,
        },
    }


@dataclass
class Bucket:
    client: Any
    name: str
    endpoint: str

    def objects(self) -> dict[str, bytes]:
        """Every object in the bucket, by name, as the store holds it."""
        listed = self.client.list_objects_v2(Bucket=self.name).get("Contents", [])
        return {
            item["Key"]: self.client.get_object(Bucket=self.name, Key=item["Key"])["Body"].read()
            for item in listed
        }

    def delete(self, name: str) -> None:
        self.client.delete_object(Bucket=self.name, Key=name)


def use_store(settings: Any, endpoint: str, bucket: str) -> None:
    """Files go to this store from now on (the storages handler is reset by the change)."""
    settings.CONFIDE_FILE_STORAGE = "s3"
    settings.STORAGES = {**settings.STORAGES, "confide_files": storage_config(endpoint, bucket)}


@pytest.fixture
def bucket(moto_endpoint: str, settings: Any) -> Iterator[Bucket]:
    """A new, empty bucket, and CONFIDE_FILE_STORAGE=s3 pointing at it."""
    name = f"confide-test-{uuid.uuid4().hex[:12]}"
    client = boto3.client(
        "s3",
        endpoint_url=moto_endpoint,
        region_name=REGION,
        aws_access_key_id=CREDENTIALS["access_key"],
        aws_secret_access_key=CREDENTIALS["secret_key"],
    )
    client.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": REGION})
    use_store(settings, moto_endpoint, name)
    filestore.forget_unsaved()
    yield Bucket(client, name, moto_endpoint)
    filestore.forget_unsaved()
