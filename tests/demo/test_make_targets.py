"""The Makefile as a newcomer uses it: `make codes` in a new terminal, `make run PORT=8010`."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from django.conf import settings

ROOT = Path(settings.BASE_DIR)


def _make(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603 - make with fixed arguments, in the project
        ["make", "--no-print-directory", *args],  # noqa: S607 - make from the PATH, as a person runs it
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def _fresh_terminal(tmp_path: Path) -> dict[str, str]:
    """A new terminal: no virtualenv activated, no DJANGO_DEBUG, a database of its own."""
    env = {
        name: value
        for name, value in os.environ.items()
        if name not in ("DJANGO_DEBUG", "VIRTUAL_ENV", "DATABASE_URL")
    }
    env["PATH"] = os.pathsep.join(
        part for part in env.get("PATH", "").split(os.pathsep) if ".venv" not in part
    )
    env["DATABASE_URL"] = f"sqlite:///{tmp_path / 'new.sqlite3'}"
    return env


def test_make_codes_runs_from_a_new_terminal_and_says_what_to_do_first(tmp_path: Path) -> None:
    done = _make("codes", env=_fresh_terminal(tmp_path))
    # It reached demo_signins with DEBUG on (else it would refuse for DJANGO_DEBUG), and says
    # how to set the database up rather than showing a traceback.
    assert done.returncode != 0
    assert "run `make run` first" in done.stderr
    assert "DJANGO_DEBUG" not in done.stderr
    assert "Traceback" not in done.stderr


def test_make_run_and_make_codes_follow_the_port() -> None:
    run = _make("-n", "run", "PORT=8010").stdout
    assert "runserver 127.0.0.1:8010" in run
    assert "demo_signins --url http://127.0.0.1:8010/" in run
    codes = _make("-n", "codes", "PORT=8010").stdout
    assert "demo_signins --url http://127.0.0.1:8010/" in codes
    assert "runserver 127.0.0.1:8000" in _make("-n", "run").stdout
