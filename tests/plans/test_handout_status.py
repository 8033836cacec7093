"""The version page's live handout status: htmx polls a small fragment while the PDF is made
and sent, and stops when it is done; without JavaScript the page still says everything."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.contrib.staticfiles import finders
from django.utils import timezone

from plans.models import Handout, HandoutDelivery, HandoutStatus
from tests.plans.handout_helpers import signed_version

pytestmark = pytest.mark.django_db

POLL = 'hx-trigger="every 2s"'


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def _fragment(client, version) -> str:
    response = client.get(f"/plans/{version.plan_id}/versions/{version.number}/handout/")
    assert response.status_code == 200
    return response.content.decode()


@pytest.mark.parametrize(
    ("status", "delivery", "polls"),
    [
        (HandoutStatus.QUEUED, HandoutDelivery.WAITING, True),
        (HandoutStatus.RENDERING, HandoutDelivery.WAITING, True),
        (HandoutStatus.READY, HandoutDelivery.OWED, True),
        (HandoutStatus.READY, HandoutDelivery.NOT_SENT, False),
        (HandoutStatus.FAILED, HandoutDelivery.WAITING, False),
    ],
)
def test_the_fragment_polls_only_while_something_is_still_happening(
    client, clinician, episode, status, delivery, polls
):
    version = signed_version(episode, [])
    Handout.objects.filter(version=version).update(status=status, delivery=delivery)
    client.force_login(clinician)
    fragment = _fragment(client, version)
    assert (POLL in fragment) is polls
    assert (f'hx-get="/plans/{version.plan_id}/versions/1/handout/"' in fragment) is polls
    assert 'aria-live="polite"' in fragment


def test_the_version_page_embeds_the_polling_fragment_and_works_without_javascript(client, clinician, episode):
    version = signed_version(episode, [])
    Handout.objects.filter(version=version).update(status=HandoutStatus.QUEUED, delivery=HandoutDelivery.WAITING)
    client.force_login(clinician)
    page = client.get(f"/plans/{version.plan_id}/versions/1/").content.decode()
    assert POLL in page
    # Without JavaScript the link reloads the page.
    assert f'<a href="/plans/{version.plan_id}/versions/1/">Check again</a>' in page


def test_htmx_is_served_from_our_own_static_files(client, clinician, episode):
    version = signed_version(episode, [])
    client.force_login(clinician)
    page = client.get(f"/plans/{version.plan_id}/versions/1/").content.decode()
    assert '<script src="/static/django_htmx/htmx-2.min.js" defer></script>' in page
    assert "://" not in page.split("<script", 1)[1].split(">", 1)[0]
    assert Path(finders.find("django_htmx/htmx-2.min.js")).read_text(encoding="utf-8").startswith("var htmx=")


def test_a_failed_handout_shows_the_retry_button_to_clinicians(client, clinician, episode):
    version = signed_version(episode, [])
    Handout.objects.filter(version=version).update(status=HandoutStatus.FAILED, error="OSError", delivery="waiting")
    client.force_login(clinician)
    fragment = _fragment(client, version)
    assert "It could not be made (OSError)." in fragment
    assert f'action="/plans/{version.plan_id}/versions/1/handout/retry/"' in fragment


def test_the_fragment_says_when_and_how_it_was_sent(client, clinician, episode):
    version = signed_version(episode, [])
    sent_at = timezone.make_aware(timezone.datetime(2026, 3, 4, 15, 30), episode.patient.clinic.zone)
    Handout.objects.filter(version=version).update(
        delivery=HandoutDelivery.SENT, delivered_at=sent_at, delivery_channel="sms", delivery_error=""
    )
    client.force_login(clinician)
    fragment = " ".join(_fragment(client, version).split())
    assert "Sent to the patient: <strong>yes</strong>, by Text message (SMS) on 4 Mar 2026 15:30" in fragment


def test_the_fragment_is_for_clinical_staff_of_the_clinic_only(client, front_desk, episode, other_clinic):
    from tests.factories import UserFactory

    version = signed_version(episode, [])
    url = f"/plans/{version.plan_id}/versions/1/handout/"
    client.force_login(front_desk)
    assert client.get(url).status_code == 403
    client.force_login(UserFactory(clinic=other_clinic, roles=["Clinician"]))
    assert client.get(url).status_code == 404
    client.logout()
    assert client.get(url).status_code == 302
