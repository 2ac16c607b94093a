"""The settings ``make bench-load`` runs gunicorn and the ``db_worker``s with (tests/bench/load.py):
the project's own (read with DJANGO_DEBUG=1, so the development keys the bench data was made with,
loopback hosts and plain-HTTP cookies), then DEBUG off, as production runs them: no query log kept,
no template debugging. Tasks go to the database backend for the workers (CONFIDE_TASKS_BACKEND, set
by the runner); mail stays on the console."""

from config.settings import *  # noqa: F403 - the project's settings, one changed below

DEBUG = False
