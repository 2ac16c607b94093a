"""Every log line is written once: Django's default gave the "django" logger a console handler of
its own beside the root's, so request warnings and task lines came out twice."""

from __future__ import annotations

import os
import subprocess
import sys

from django.conf import settings

LOG = """
import django
django.setup()
import logging
logging.getLogger("django.tasks").info("task-line-1")
logging.getLogger("django.request").warning("request-line-2")
logging.getLogger("access_requests.tasks").warning("our-line-3")
"""


def test_each_log_line_is_printed_once() -> None:
    done = subprocess.run(  # noqa: S603 - this Python, with a fixed script
        [sys.executable, "-c", LOG],
        cwd=settings.BASE_DIR,
        env=os.environ | {"DJANGO_SETTINGS_MODULE": "config.settings", "DJANGO_DEBUG": "1"},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    for line in ("task-line-1", "request-line-2", "our-line-3"):
        assert done.stderr.count(line) == 1, done.stderr
