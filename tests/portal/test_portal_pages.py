"""The portal's pages: the patient's own home programs with their PDFs and next visits, and
nothing of anyone else; bad links are rate-limited; opens and downloads are audited."""

from __future__ import annotations

import datetime
import logging
import types
from urllib.parse import urlsplit

import django_ratelimit.core
import pytest
from django.test import Client
from django.utils import timezone

from clinic.models import AuditEvent
from clinic.portal import services
from intake import rules as intake_rules
from plans import handouts
from plans.models import Handout, HandoutStatus
from tests.factories import AppointmentFactory, EpisodeFactory, PatientFactory
from tests.plans.handout_helpers import PDF, home_item, plan_of, signed_version

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def _portal(patient) -> str:
    return urlsplit(services.link_issue(patient=patient)).path


def _page(response) -> str:
    return " ".join(response.content.decode().split())


@pytest.fixture
def program(episode):
    return signed_version(
        episode,
        [
            home_item("Glute bridge", illustration="static:plans/exercises/bird-dog.svg"),
            home_item("Side plank", frequency="2–3 times a week"),
        ],
    )


def test_home_shows_the_current_program_in_full_with_its_pdf(client, patient, program):
    portal = _portal(patient)
    page = _page(client.get(portal))
    assert "Glute bridge" in page
    assert "2 × 10, daily" in page
    assert "How to do Side plank." in page
    assert '<img src="/static/plans/exercises/bird-dog.svg" alt="Drawing of Glute bridge"' in page
    assert f'href="{portal}programs/{program.pk}/home-program.pdf"' in page
    assert "Take slightly shorter steps when you run." in page
    # A clinician-only item is not a home exercise.
    assert "Hip mobilisation" not in page


def test_the_program_pages_show_when_to_call_with_every_emergency_sign(client, patient, program):
    portal = _portal(patient)
    emergencies = [q for q in intake_rules.RED_FLAG_QUESTIONS if q.tier == intake_rules.Tier.EMERGENCY]
    for url in (portal, f"{portal}programs/{program.pk}/"):
        page = _page(client.get(url))
        assert "Seek emergency care at once if you have any of these:" in page, url
        for sign in handouts.WHEN_TO_CALL:
            assert f"<li>{sign}</li>" in page, url
        for question in emergencies:
            assert f"<li>{question.warning_sign}</li>" in page, (url, question.code)


def test_an_amended_plan_shows_the_new_version_and_keeps_the_old_one(client, patient, episode, program):
    newer = signed_version(episode, [home_item("Clamshell")], plan=program.plan)
    portal = _portal(patient)
    page = _page(client.get(portal))
    assert "Clamshell" in page
    assert "Glute bridge" not in page
    assert f'href="{portal}programs/{program.pk}/"' in page
    earlier = _page(client.get(f"{portal}programs/{program.pk}/"))
    assert "Glute bridge" in earlier
    viewed = AuditEvent.objects.get(action="portal.program_viewed")
    assert (viewed.actor_id, viewed.patient_id, viewed.object_id) == (None, patient.pk, program.pk)
    assert "replaced this program with a newer one" in earlier
    assert newer.pk != program.pk


def test_earlier_programs_are_told_apart_by_version_and_signed_date(client, patient, episode, program):
    # Amended twice on one day: the complaint and the date alone would give two identical entries.
    second = signed_version(episode, [home_item("Clamshell")], plan=program.plan, signed_at=program.signed_at)
    signed_version(episode, [home_item("Calf raise")], plan=program.plan, signed_at=program.signed_at)
    page = _page(client.get(_portal(patient)))
    day = timezone.localtime(program.signed_at, patient.clinic.zone).strftime("%-d %B %Y")
    complaint = episode.presenting_complaint
    for version in (program, second):
        assert f"{complaint}, version {version.number}, signed {day}</a>" in page


def test_home_lists_upcoming_visits_only(client, patient, episode, clinician):
    AppointmentFactory(episode=episode, starts_at=timezone.now() + datetime.timedelta(days=2))
    AppointmentFactory(episode=episode, starts_at=timezone.now() - datetime.timedelta(days=2))
    page = _page(client.get(_portal(patient)))
    assert page.count(f"with {clinician.full_name}") == 1


def test_the_pdf_downloads_as_an_attachment_that_is_not_cached_and_is_audited(client, patient, program):
    portal = _portal(patient)
    response = client.get(f"{portal}programs/{program.pk}/home-program.pdf")
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="home-program-v1.pdf"'
    assert "no-store" in response["Cache-Control"]
    assert b"".join(response.streaming_content) == PDF
    downloaded = AuditEvent.objects.get(action="portal.handout_downloaded")
    assert (downloaded.actor_id, downloaded.patient_id, downloaded.object_id) == (None, patient.pk, program.handout.pk)


def test_a_pdf_not_ready_yet_is_not_offered(client, patient, program):
    Handout.objects.filter(version=program).update(status=HandoutStatus.RENDERING, delivery="waiting")
    portal = _portal(patient)
    assert "home-program.pdf" not in _page(client.get(portal))
    assert client.get(f"{portal}programs/{program.pk}/home-program.pdf").status_code == 404


@pytest.mark.parametrize("suffix", ["", "home-program.pdf", "log/"])
def test_another_patients_program_answers_404(client, clinic, patient, program, suffix):
    stranger = PatientFactory(clinic=clinic)
    theirs = signed_version(EpisodeFactory(patient=stranger, lead_clinician=program.signed_by), [home_item("Secret")])
    portal = _portal(patient)
    response = client.get(f"{portal}programs/{theirs.pk}/{suffix}")
    assert response.status_code == 404
    assert "Secret" not in response.content.decode()
    assert client.post(f"{portal}programs/{theirs.pk}/log/", {f"v{theirs.pk}-day": "2026-01-01"}).status_code == 404


def test_opening_the_portal_is_audited_without_the_token(client, patient, program, caplog):
    portal = _portal(patient)
    token = portal.rstrip("/").rsplit("/", 1)[1]
    with caplog.at_level(logging.DEBUG):
        client.get(portal)
        client.get(f"{portal}programs/{program.pk}/home-program.pdf")
        client.get(f"{portal}programs/{program.pk}/log/")
    opened = AuditEvent.objects.get(action="portal.opened")
    assert (opened.actor_id, opened.patient_id) == (None, patient.pk)
    assert all(token not in record.getMessage() for record in caplog.records)
    assert not AuditEvent.objects.filter(changed_fields__icontains=token).exists()


# --- Rate limit on bad links --------------------------------------------------------------------

LIMIT = 3
ATTACKER = {"REMOTE_ADDR": "203.0.113.7"}
NEIGHBOUR = {"REMOTE_ADDR": "198.51.100.2"}


@pytest.fixture
def frozen_rate_clock(monkeypatch):
    """The rate limit counts in fixed windows; a frozen clock keeps the test inside one."""
    clock = types.SimpleNamespace(now=1_800_000_000.0)
    monkeypatch.setattr(django_ratelimit.core, "time", types.SimpleNamespace(time=lambda: clock.now))
    return clock


def test_bad_portal_links_are_refused_per_address_after_the_limit(client, settings, patient, frozen_rate_clock):
    settings.RATELIMIT_BAD_INTAKE_LINKS = f"{LIMIT}/15m"
    portal = _portal(patient)
    for attempt in range(LIMIT):
        assert client.get(f"/portal/guess-{attempt}/", **ATTACKER).status_code == 404
    refused = client.get("/portal/guess-again/", **ATTACKER)
    assert refused.status_code == 429
    assert "Please wait a moment" in refused.content.decode()
    # A genuine link's signature cannot be guessed: it still opens, for the patient behind the address.
    assert client.get(portal, **ATTACKER).status_code == 200
    assert Client().get("/portal/guess-again/", **NEIGHBOUR).status_code == 404
    frozen_rate_clock.now += 15 * 60
    assert client.get("/portal/guess-again/", **ATTACKER).status_code == 404


def test_good_links_do_not_use_up_the_limit(client, settings, patient):
    settings.RATELIMIT_BAD_INTAKE_LINKS = f"{LIMIT}/15m"
    portal = _portal(patient)
    for _ in range(LIMIT + 2):
        assert client.get(portal, **ATTACKER).status_code == 200
    assert client.get("/portal/guess/", **ATTACKER).status_code == 404


def test_a_patient_without_a_program_sees_empty_states(client, clinic):
    patient = PatientFactory(clinic=clinic)
    page = _page(client.get(_portal(patient)))
    assert "Your clinician has not given you a home program yet." in page
    assert "No visits booked." in page


def test_an_unsigned_plan_shows_nothing(client, patient, episode):
    plan_of(episode)
    assert "Your clinician has not given you a home program yet." in _page(client.get(_portal(patient)))


def test_a_sided_item_says_which_side_on_the_portal(client, patient, episode):
    signed_version(
        episode,
        [
            home_item(
                "Half-kneeling hip-flexor stretch",
                side="left",
                side_note="Stretch your left hip: kneel on your left knee.",
            ),
            home_item("Glute bridge"),
        ],
    )
    page = _page(client.get(_portal(patient)))
    assert "<strong>Your side:</strong> Stretch your left hip: kneel on your left knee." in page
    assert page.count("Your side:") == 1
