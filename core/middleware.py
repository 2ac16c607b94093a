"""Each request starts and ends with no data key unwrapped (core.keys): a key destroyed between
two requests stops working at the next one."""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from . import keys
from .crypto import DecryptionError
from .filestore import FileStorageError

logger = logging.getLogger(__name__)


class KeyCacheMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        keys.clear_cache()
        try:
            return self.get_response(request)
        finally:
            keys.clear_cache()


class IntegrityFailureMiddleware:
    """A ciphertext that fails to decrypt (tampered, moved to another row or child, downgraded,
    emptied, or its key destroyed) stops the page with a plain message and status 500, never a
    blank field. The failure itself was audited where it happened (core.signals)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, DecryptionError):
            return None
        logger.error("decryption failed on %s: %s", request.path, exception)
        return render(request, "integrity_failed.html", status=500)


class FileStorageFailureMiddleware:
    """The object store that keeps attachments and PDFs (core.filestore) could not be reached, or
    refused: a plain page that says so, status 503. A save it stopped was rolled back whole (the
    services are transactions), so nothing was half-saved; a read changed nothing."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, FileStorageError):
            return None
        logger.error("the object store failed on %s: %s", request.path, exception)
        return render(request, "file_storage_failed.html", status=503)
