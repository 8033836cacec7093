"""The main pages of every role, the patient's link pages, the API's documentation and the Django
admin load in a real browser without one Content-Security-Policy violation: no inline script,
style or handler the policy refuses, nothing loaded from elsewhere. The browser reports each
violation as a securitypolicyviolation event and on its console; both are collected from before
the page's first script runs. (The journeys check the same on every page they visit.)"""

from __future__ import annotations

import datetime
import re
from urllib.parse import urlsplit

import pytest
from django.core import mail
from django.utils import timezone

from assessments import services as assessment_services
from assessments.models import AssessmentKind
from clinic.permissions import Role
from clinic.portal import services as portal_services
from clinic.two_factor import services as two_factor
from intake import services as intake_services
from tests.assessments.helpers import BASELINE_DAY, REASSESSMENT_DAY
from tests.e2e.conftest import DESK, PHONE, csp_violations, watch_csp
from tests.e2e.preconditions import completed_assessment, signed_plan, submitted_intake
from tests.factories import PASSWORD, AppointmentFactory, EpisodeFactory, UserFactory
from tests.two_factor import give_authenticator, next_code

pytestmark = pytest.mark.django_db(transaction=True)


class Visitor:
    """One browser profile that loads pages and collects what the policy refused on each."""

    def __init__(self, browser, base_url: str, **options):
        self.base_url = base_url
        self.context = browser.new_context(**{**DESK, "locale": "en-US", **options})
        self.page = self.context.new_page()
        watch_csp(self.page)
        self.refused: dict[str, list[str]] = {}
        # Requests sent and not yet answered: a page is looked at once all it asked for has come.
        self.in_flight: set = set()
        self.page.on("request", lambda request: self.in_flight.add(request))
        self.page.on("requestfinished", lambda request: self.in_flight.discard(request))
        self.page.on("requestfailed", lambda request: self.in_flight.discard(request))

    def sign_in(self, user) -> None:
        """The password, then (for a role that must use one) a code from the authenticator app:
        the sign-in pages are checked too."""
        if two_factor.is_required(user) and two_factor.authenticator_of(user) is None:
            give_authenticator(user)
        self.page.goto(self.base_url + "/accounts/login/")
        self.page.get_by_label("E-mail address").fill(user.email)
        self.page.get_by_label("Password").fill(PASSWORD)
        self.page.locator("main").get_by_role("button", name="Sign in").click()
        self.page.wait_for_load_state()
        self.note()
        if urlsplit(self.page.url).path == "/accounts/login/code/":
            self.page.get_by_label("Code from your authenticator app").fill(
                next_code(two_factor.authenticator_of(user))
            )
            self.page.locator("main").get_by_role("button", name="Sign in").click()
            self.page.wait_for_load_state()
            self.note()

    def visit(self, path: str, *, wait_for: str | None = None) -> None:
        response = self.page.goto(self.base_url + path if path.startswith("/") else path)
        assert response is not None, path
        assert response.status < 400, (path, response.status)
        if wait_for:
            self.page.wait_for_selector(wait_for)
        self.settle()
        self.note()

    def settle(self, timeout_ms: int = 10_000) -> None:
        """Wait until every request the page has made is answered (what it fetched after its load
        event too), instead of the half second of silence "networkidle" waits for on every page."""
        for _ in range(timeout_ms // 25):
            if not self.in_flight:
                return
            self.page.wait_for_timeout(25)
        raise AssertionError(f"{self.page.url} still waits for {[r.url for r in self.in_flight]}")

    def note(self) -> None:
        found = csp_violations(self.page)
        if found:
            self.refused[urlsplit(self.page.url).path] = found
        self.page.csp_console.clear()


@pytest.fixture
def clinic_with_records():
    """A clinic with a patient through intake, exam, re-exam and a signed plan, visits booked."""
    clinician = UserFactory(roles=[Role.CLINICIAN], full_name="Dana Lead", clinic__name="Lakeside Running Clinic")
    clinic = clinician.clinic
    episode = EpisodeFactory(
        patient__clinic=clinic,
        patient__first_name="Robin",
        patient__email="robin@example.test",
        lead_clinician=clinician,
    )
    submitted_intake(episode, actor=clinician)
    baseline = completed_assessment(episode, clinician=clinician, kind=AssessmentKind.INITIAL, on=BASELINE_DAY)
    completed_assessment(episode, clinician=clinician, kind=AssessmentKind.REASSESSMENT, on=REASSESSMENT_DAY)
    version = signed_plan(baseline, clinician=clinician)
    draft = assessment_services.assessment_start(
        actor=clinician, episode=EpisodeFactory(patient=episode.patient, lead_clinician=clinician), kind="initial"
    )
    tomorrow = timezone.localtime().replace(hour=10, minute=0, second=0, microsecond=0) + datetime.timedelta(days=1)
    visit = AppointmentFactory(episode=episode, clinician=clinician, starts_at=tomorrow)
    return {
        "clinic": clinic,
        "clinician": clinician,
        "episode": episode,
        "patient": episode.patient,
        "baseline": baseline,
        "draft": draft,
        "version": version,
        "visit": visit,
    }


def test_staff_pages_raise_no_policy_violation(browser, live_server, clinic_with_records):
    records = clinic_with_records
    clinic, episode, patient = records["clinic"], records["episode"], records["patient"]
    version, visit = records["version"], records["visit"]
    admin = UserFactory(clinic=clinic, roles=[Role.CLINIC_ADMIN], is_staff=True)
    desk = UserFactory(clinic=clinic, roles=[Role.FRONT_DESK])

    clinician = Visitor(browser, live_server.url)
    clinician.sign_in(records["clinician"])
    for path in [
        "/",
        "/patients/",
        f"/patients/{patient.pk}/",
        f"/episodes/{episode.pk}/",
        f"/episodes/{episode.pk}/intake/",
        f"/episodes/{episode.pk}/progress/",
        f"/assessments/{records['baseline'].pk}/",
        f"/assessments/{records['draft'].pk}/",
        f"/plans/{version.plan_id}/",
        f"/plans/{version.plan_id}/versions/{version.number}/",
        "/library/",
        "/schedule/my-calendar/",
    ]:
        clinician.visit(path)
    # The browsable API, as a developer opens it.
    clinician.visit("/api/patients/?format=api")
    clinician.visit(f"/api/episodes/{episode.pk}/?format=api")
    # Swagger UI builds the whole page with script: wait until it has shown the operations.
    clinician.visit("/api/docs/", wait_for=".opblock")

    front_desk = Visitor(browser, live_server.url)
    front_desk.sign_in(desk)
    start = timezone.localtime(visit.starts_at) + datetime.timedelta(hours=2)
    for path in [
        "/",
        "/schedule/",
        "/schedule/week/",
        f"/schedule/visits/{visit.pk}/",
        f"/schedule/book/?clinician={visit.clinician_id}&start={start:%Y-%m-%dT%H:%M}",
        "/patients/new/",
        f"/patients/{patient.pk}/edit/",
        f"/patients/{patient.pk}/episodes/new/",
    ]:
        front_desk.visit(path)

    clinic_admin = Visitor(browser, live_server.url)
    clinic_admin.sign_in(admin)
    for path in [
        "/",
        "/staff/",
        "/staff/new/",
        "/settings/",
        "/settings/reminder-wording/",
        "/settings/webhooks/",
        "/settings/webhooks/new/",
        "/staff/api-tokens/",
        "/staff/api-tokens/new/",
        "/accounts/api-tokens/",
        "/accounts/api-tokens/new/",
        f"/patients/{patient.pk}/audit/",
        "/admin/",
        "/admin/clinic/user/",
        f"/admin/clinic/user/{admin.pk}/change/",
        "/admin/plans/intervention/",
        "/admin/plans/intervention/add/",
        "/admin/plans/planrule/add/",
        "/admin/scheduling/timeoff/add/",
    ]:
        clinic_admin.visit(path)

    refused = {**clinician.refused, **front_desk.refused, **clinic_admin.refused}
    assert not refused, "\n".join(f"{path}: {found}" for path, found in refused.items())


def test_patient_link_pages_raise_no_policy_violation(browser, live_server, clinic_with_records):
    records = clinic_with_records
    episode = EpisodeFactory(
        patient__clinic=records["clinic"], patient__email="sam@example.test", lead_clinician=records["clinician"]
    )
    intake_services.invitation_send(actor=records["clinician"], episode=episode, channel="email")
    intake_link = re.search(r"https?://\S+(/intake/\S+/)", mail.outbox[-1].body).group(1)
    portal_link = urlsplit(portal_services.link_issue(patient=records["patient"])).path
    version = records["version"]

    patient = Visitor(browser, live_server.url, **PHONE)
    for path in [
        intake_link,
        f"{intake_link}step/about/",
        f"{intake_link}step/complaint/",
        f"{intake_link}step/running/",
        portal_link,
        f"{portal_link}programs/{version.pk}/",
        f"{portal_link}programs/{version.pk}/log/",
    ]:
        patient.visit(path)
    # The body picture's script ticks a box when an area is tapped.
    patient.visit(f"{intake_link}step/complaint/")
    patient.page.locator('[data-region="low_back_left"]').first.click()
    assert patient.page.locator('input[name="regions"][value="low_back_left"]').is_checked()
    patient.note()

    assert not patient.refused, "\n".join(f"{path}: {found}" for path, found in patient.refused.items())


def test_a_violation_is_caught(browser, live_server, clinic_with_records, settings):
    """The check can fail: with a policy that refuses the app's own stylesheet, the pages report it."""
    settings.CONTENT_SECURITY_POLICY = {"DIRECTIVES": {"default-src": ["'self'"], "style-src": ["'none'"]}}
    visitor = Visitor(browser, live_server.url)
    visitor.visit("/accounts/login/")
    assert any("style-src" in found for found in visitor.refused["/accounts/login/"])
