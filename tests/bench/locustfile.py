"""The simulated staff of ``make bench-load`` (tests/bench/load.py starts locust with this file and
reads what it writes when it stops).

Each simulated person signs in as an account of their own (the bench data's: a Lead, a Deputy or a
practitioner of one of the settings, password and two-factor code from the plan), looks at the
children they may see, and then, with 1 to 3 seconds between clicks: of every 100 requests about
80 read (the children's list, a child's page, an entry, the form for a new one), 15 write (a new
entry: mostly general, some accidents and concerns, which also queue a safeguarding alert for the
workers) and 5 search the children by name. One more user, the first setting's Lead, starts the
render of a checked subject-access bundle every two minutes, which the two ``db_worker``s render
in the background.

The plan (accounts, password, authenticator secret, requests to render) comes from the file named
by ``BENCH_LOAD_PLAN``; the summary goes to ``BENCH_LOAD_RESULT``. Only the address locust is
given (127.0.0.1) is ever asked.
"""

from __future__ import annotations

import json
import os
import random
import re
import time
from datetime import datetime
from itertools import cycle
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from django_otp.oath import totp  # plain HMAC: no Django settings needed
from locust import HttpUser, between, constant, events, task
from locust.stats import calculate_response_time_percentile

PLAN = json.loads(Path(os.environ["BENCH_LOAD_PLAN"]).read_text())
ACCOUNTS = iter(PLAN["accounts"])
TOTP_KEY = bytes.fromhex(PLAN["totp_key"])
THINK = PLAN.get("think", [1, 3])
CHILD = re.compile(r'href="/children/([0-9a-f-]{36})/"')
ENTRY = re.compile(r'href="/entries/([0-9a-f-]{36})/"')
SETTING_FIELD = re.compile(r'name="confide_setting" value="([^"]+)"')
LONDON = ZoneInfo("Europe/London")
SIGN_IN = ("sign-in page", "sign-in", "two-factor")
TEXTS = cycle(
    [
        "Played in the sand tray with two friends, filling and emptying the buckets.",
        "Counted the cups at snack time and handed one to each friend.",
        "Painted a big yellow sun and talked about going to the beach.",
        "Settled quickly after drop-off and went straight to the train set.",
    ]
)


class SignInFailed(Exception):
    pass


def sign_in(user: HttpUser, username: str) -> None:
    """Password, then the authenticator's code, as a person signs in. A code is accepted once:
    a refused one is tried again with the next (30 seconds on), twice at most."""
    client = user.client
    client.get("/account/sign-in/", name="sign-in page")
    with client.post(
        "/account/sign-in/",
        {
            "csrfmiddlewaretoken": client.cookies.get("csrftoken", ""),
            "username": username,
            "password": PLAN["password"],
        },
        name="sign-in",
        catch_response=True,
    ) as response:
        if "/account/two-factor/" not in response.url:
            response.failure(f"the password of {username} was refused")
            raise SignInFailed(username)
    for _attempt in range(3):
        with client.post(
            "/account/two-factor/",
            {
                "csrfmiddlewaretoken": client.cookies.get("csrftoken", ""),
                "code": f"{totp(TOTP_KEY):06d}",
            },
            name="two-factor",
            catch_response=True,
        ) as response:
            if "/account/" not in response.url:
                return
            # Another person took this 30 seconds' code of the same account: wait for the next.
            response.success()
        time.sleep(31 - time.time() % 30)
    raise SignInFailed(username)


def signed_out(response: Any) -> bool:
    return "/account/sign-in/" in response.url


class Staff(HttpUser):
    wait_time = between(THINK[0], THINK[1])

    def on_start(self) -> None:
        self.username = next(ACCOUNTS)
        sign_in(self, self.username)
        self.children: list[str] = []
        self.entries: list[str] = []
        self.child_list()

    def read(self, url: str, name: str) -> str:
        with self.client.get(url, name=name, catch_response=True) as response:
            if signed_out(response):
                response.failure("signed out")
                return ""
            return str(response.text)

    @task(10)
    def child_list(self) -> None:
        found = CHILD.findall(self.read("/children/", "children's list"))
        if found:
            self.children = list(dict.fromkeys(found))

    @task(35)
    def child_page(self) -> None:
        if not self.children:
            return
        page = self.read(f"/children/{random.choice(self.children)}/", "child's page")
        found = ENTRY.findall(page)
        if found:
            self.entries = (found + self.entries)[:200]

    @task(20)
    def entry_page(self) -> None:
        if self.entries:
            self.read(f"/entries/{random.choice(self.entries)}/", "entry")

    @task(15)
    def add_entry(self) -> None:
        """The form (a read), then the entry (a write)."""
        if not self.children:
            return
        child = random.choice(self.children)
        form = self.read(f"/children/{child}/entries/new/", "new entry form")
        category = random.choices(["general", "accident", "concern"], weights=[80, 10, 10])[0]
        data = {
            "csrfmiddlewaretoken": self.client.cookies.get("csrftoken", ""),
            "category": category,
            "level": "",
            "occurred_at": datetime.now(LONDON).strftime("%Y-%m-%dT%H:%M"),
            "text": next(TEXTS),
        }
        if category != "general":
            data |= {"parent_informed_now": "on", "informed_how": "in_person"}
        setting = SETTING_FIELD.search(form)
        if setting:
            data["confide_setting"] = setting.group(1)
        with self.client.post(
            f"/children/{child}/entries/new/", data, name="add an entry", catch_response=True
        ) as response:
            # Recorded: back to the child's page. Refused (a practitioner whose child has
            # left, say): the form again, with why.
            if urlsplit(response.url).path != f"/children/{child}/":
                response.failure(f"the entry was not recorded ({response.status_code})")

    @task(5)
    def search(self) -> None:
        name = random.choice(PLAN["surnames"])[: random.randint(3, 6)]
        self.read(f"/children/?q={name}", "search")


class Renderer(HttpUser):
    """The background render: one checked bundle every two minutes (the first at once)."""

    fixed_count = 1
    wait_time = constant(PLAN["render_every"])

    def on_start(self) -> None:
        sign_in(self, PLAN["renderer"])
        self.queue = list(PLAN["requests"])

    @task
    def render(self) -> None:
        if not self.queue:
            return
        request_id = self.queue.pop(0)
        page = self.read_page(f"/access-requests/{request_id}/")
        with self.client.post(
            f"/access-requests/{request_id}/render/",
            {
                "csrfmiddlewaretoken": self.client.cookies.get("csrftoken", ""),
                **({"confide_setting": m.group(1)} if (m := SETTING_FIELD.search(page)) else {}),
            },
            name="start a render",
            catch_response=True,
        ) as response:
            if signed_out(response) or response.status_code >= 400:
                response.failure(f"the render was not started ({response.status_code})")

    def read_page(self, url: str) -> str:
        return str(self.client.get(url, name="request's page").text)


@events.quitting.add_listener
def summarise(environment: Any, **kwargs: Any) -> None:
    """The figures tests/bench/load.py prints: every request but the sign-ins in the response
    times (a sign-in's password hash is slow by design; its own figures beside them); every
    request in the error rate and the rate."""
    stats = environment.stats
    times: dict[int, int] = {}
    count = failures = 0
    by_name: dict[str, dict[str, Any]] = {}
    for (name, _method), entry in stats.entries.items():
        failures += entry.num_failures
        by_name[name] = {
            "requests": entry.num_requests,
            "failures": entry.num_failures,
            "p50_ms": entry.get_response_time_percentile(0.5),
            "p95_ms": entry.get_response_time_percentile(0.95),
            "max_ms": entry.max_response_time,
        }
        if name in SIGN_IN:
            continue
        count += entry.num_requests
        for rounded, n in entry.response_times.items():
            times[rounded] = times.get(rounded, 0) + n
    total = stats.total
    elapsed = max(total.last_request_timestamp - total.start_time, 1e-9)

    def percentile(p: float) -> float:
        return calculate_response_time_percentile(times, count, p) if count else 0

    summary = {
        "requests": total.num_requests,
        "failures": total.num_failures,
        "measured": count,
        "p50_ms": percentile(0.5),
        "p95_ms": percentile(0.95),
        "p99_ms": percentile(0.99),
        "rps": total.num_requests / elapsed,
        "seconds": elapsed,
        "by_name": by_name,
        "errors": [
            {"name": e.name, "error": str(e.error), "occurrences": e.occurrences}
            for e in stats.errors.values()
        ][:20],
    }
    assert failures == total.num_failures
    Path(os.environ["BENCH_LOAD_RESULT"]).write_text(json.dumps(summary, indent=2))
