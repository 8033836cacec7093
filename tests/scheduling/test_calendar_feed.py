"""A clinician's calendar feed behind a secret, revocable URL, without patient names."""

from __future__ import annotations

import datetime
import re

from django.utils import timezone
from icalendar import Calendar

from clinic.scheduling.models import CalendarFeed
from tests.factories import AppointmentFactory


def _feed_path(client) -> str:
    page = client.post("/schedule/my-calendar/", {"create": ""}).content.decode()
    return re.search(r'value="http://testserver(/calendar/[^"]+\.ics)"', page).group(1)


def test_feed_lists_upcoming_visits_without_patient_names(client, clinician, episode):
    start = timezone.now() + datetime.timedelta(days=2)
    AppointmentFactory(
        episode=episode, clinician=clinician, starts_at=start, ends_at=start + datetime.timedelta(minutes=30)
    )
    client.force_login(clinician)
    path = _feed_path(client)
    client.logout()
    response = client.get(path)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    (event,) = Calendar.from_ical(response.content).walk("VEVENT")
    assert str(event["summary"]) == f"Follow-up treatment (episode {episode.pk})"
    assert episode.patient.last_name not in response.content.decode()
    assert not CalendarFeed.objects.filter(token_hash__contains=path.rsplit("/", 1)[1].removesuffix(".ics")).exists()


def test_a_new_feed_or_revoking_stops_the_old_address(client, clinician):
    client.force_login(clinician)
    old = _feed_path(client)
    new = _feed_path(client)
    assert client.get(old).status_code == 404
    assert client.get(new).status_code == 200
    client.post("/schedule/my-calendar/", {"revoke": ""})
    assert client.get(new).status_code == 404


def test_a_made_up_address_is_not_found(client, db):
    assert client.get("/calendar/not-a-real-token.ics").status_code == 404


def test_clinic_admin_has_no_feed(client, clinic_admin):
    client.force_login(clinic_admin)
    assert client.get("/schedule/my-calendar/").status_code == 403
