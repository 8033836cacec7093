"""Locust users for ``bench/load.py`` (run through it, not on its own: it seeds the data this
file reads from the JSON file named by ``STRIDE_LOAD_PLAN`` and starts the production run).

Four kinds of user, none waiting between requests (a closed loop, so the figures are what the
server can do, not what a think time allows):
  PatientIntake  each with its own intake link: the step page (GET), then the step's valid
                 answers (POST, CSRF token from the page), through six steps, round and round
  Clinician      signs in once, then opens patient pages and episode pages of the clinic
  FrontDesk      signs in once, then opens the day view (today and tomorrow)
  BareView       the plain Django view /healthz (no database, no session)

Every request goes to the app as it would from the TLS proxy in front of it: with
``X-Forwarded-Proto: https`` (the app runs with ``BEHIND_TLS_PROXY=true`` and redirects plain
HTTP) and the Origin of the https site. The cookie jar returns the app's Secure cookies over
the loopback's plain HTTP, as the proxy would have carried them over TLS.

Each request is checked (status, redirect target, page content); anything else counts as a
failure with its reason. Every sample (user class, request name, milliseconds, failed, time, reason) is
written at the end to the JSON file named by ``STRIDE_LOAD_SAMPLES``, from which load.py
computes the per-class and overall figures.
"""

from __future__ import annotations

import itertools
import json
import os
import random
import re
import time
from http.cookiejar import DefaultCookiePolicy
from urllib.parse import urlencode

from locust import FastHttpUser, constant, events, task
from locust.exception import StopUser

PLAN = json.loads(open(os.environ["STRIDE_LOAD_PLAN"]).read())  # noqa: SIM115 - read once at import
CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
# One link per virtual patient: no two users ever write the same intake.
_links = iter(PLAN["links"][int(os.environ.get("STRIDE_LINK_OFFSET", "0")) :])
_clinicians = itertools.cycle(PLAN["clinicians"])
_front_desk = itertools.cycle(PLAN["front_desk"])
_samples: list[tuple[str, str, float, bool, float, str]] = []


@events.request.add_listener
def _record(request_type, name, response_time, response_length, exception, context, **kwargs):
    failed = exception is not None
    reason = str(exception)[:120] if failed else ""
    _samples.append((context.get("user_class", "?"), name, response_time, failed, time.time(), reason))


@events.test_start.add_listener
def _started(environment, **kwargs):
    environment.stride_started = time.time()


@events.quitting.add_listener
def _write_samples(environment, **kwargs):
    with open(os.environ["STRIDE_LOAD_SAMPLES"], "w") as output:
        json.dump(
            {"started": getattr(environment, "stride_started", None), "stopped": time.time(), "samples": _samples},
            output,
        )


def _count(user_class: str) -> int:
    """How many users of the class the phase runs (load.py sets it): exact, not by weight."""
    return int(os.environ.get(f"STRIDE_USERS_{user_class.upper()}", "0"))


class StrideUser(FastHttpUser):
    abstract = True
    wait_time = constant(0)
    # The server's own limit is 30 s (gunicorn timeout); a request taking longer is a failure.
    network_timeout = 30.0
    connection_timeout = 10.0

    def on_start(self) -> None:
        # The proxy would have carried the Secure cookies over TLS; here they ride plain HTTP.
        self.client.cookiejar.set_policy(DefaultCookiePolicy(secure_protocols=("http", "https")))
        host = self.host.split("://", 1)[1]
        self.proxy_headers = {"X-Forwarded-Proto": "https", "Origin": f"https://{host}"}

    def context(self) -> dict:
        return {"user_class": type(self).__name__}

    def get(self, path: str, *, name: str, contains: str | None = None) -> str | None:
        with self.client.get(
            path, headers=self.proxy_headers, name=name, allow_redirects=False, catch_response=True
        ) as response:
            if response.status_code != 200:
                response.failure(f"status {response.status_code}")
                return None
            if contains is not None and contains not in (response.text or ""):
                response.failure(f"page without {contains!r}")
                return None
            return response.text

    def post(self, path: str, data: dict, *, name: str, redirect_to: str) -> bool:
        headers = {
            **self.proxy_headers,
            "Referer": f"{self.proxy_headers['Origin']}{path}",
            "Content-Type": "application/x-www-form-urlencoded",
        }
        # Lists (ticked boxes) become repeated fields, as a browser sends them.
        with self.client.post(
            path,
            data=urlencode(data, doseq=True),
            headers=headers,
            name=name,
            allow_redirects=False,
            catch_response=True,
        ) as response:
            location = response.headers.get("Location", "") if response.headers else ""
            if response.status_code != 302 or not location.endswith(redirect_to):
                response.failure(f"status {response.status_code}, to {location or '-'}")
                return False
            return True

    def csrf_from(self, page: str | None) -> str | None:
        match = CSRF_INPUT.search(page or "")
        return match.group(1) if match else None

    def sign_in(self, email: str) -> None:
        page = self.get("/accounts/login/", name="sign in: page", contains="csrfmiddlewaretoken")
        token = self.csrf_from(page)
        signed_in = token and self.post(
            "/accounts/login/",
            {"csrfmiddlewaretoken": token, "username": email, "password": PLAN["password"]},
            name="sign in: post",
            redirect_to="/",
        )
        if not signed_in:
            raise StopUser


class PatientIntake(StrideUser):
    fixed_count = _count("PatientIntake")

    def on_start(self) -> None:
        super().on_start()
        self.link = next(_links)
        self.steps = itertools.cycle(PLAN["steps"])

    @task
    def one_step(self) -> None:
        step = next(self.steps)
        path = f"/intake/{self.link}/step/{step['code']}/"
        page = self.get(path, name="intake: step page", contains="csrfmiddlewaretoken")
        token = self.csrf_from(page)
        if token is None:
            return
        self.post(
            path,
            {"csrfmiddlewaretoken": token, **step["answers"]},
            name="intake: step answers",
            redirect_to=f"/step/{step['next']}/",
        )


class Clinician(StrideUser):
    fixed_count = _count("Clinician")

    def on_start(self) -> None:
        super().on_start()
        self.sign_in(next(_clinicians))

    @task(3)
    def patient_page(self) -> None:
        patient_id, _ = random.choice(PLAN["patients"])  # noqa: S311 - picking a page, not a secret
        self.get(f"/patients/{patient_id}/", name="clinician: patient page", contains="Episodes of care")

    @task(2)
    def episode_page(self) -> None:
        _, episode_id = random.choice(PLAN["patients"])  # noqa: S311
        self.get(f"/episodes/{episode_id}/", name="clinician: episode page", contains='<h2 id="visits">')


class FrontDesk(StrideUser):
    fixed_count = _count("FrontDesk")

    def on_start(self) -> None:
        super().on_start()
        self.sign_in(next(_front_desk))

    @task(3)
    def today(self) -> None:
        self.get("/schedule/", name="front desk: day view", contains="Free slots")

    @task(1)
    def tomorrow(self) -> None:
        self.get(f"/schedule/?day={PLAN['tomorrow']}", name="front desk: day view", contains="Free slots")


class BareView(StrideUser):
    fixed_count = _count("BareView")

    @task
    def healthz(self) -> None:
        self.get("/healthz", name="bare view: /healthz", contains="ok")
