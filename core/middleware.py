"""Each request starts and ends with no data key unwrapped (core.keys): a key destroyed between
two requests stops working at the next one."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from . import keys


class KeyCacheMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        keys.clear_cache()
        try:
            return self.get_response(request)
        finally:
            keys.clear_cache()
