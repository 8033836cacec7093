"""A clinician's calendar feed behind a secret, revocable URL, without patient names."""

from __future__ import annotations

import datetime
import re

import pytest
from django.contrib.auth.models import Group
from django.utils import timezone
from icalendar import Calendar

from clinic import services as clinic_services
from clinic.models import AuditEvent, User
from clinic.permissions import Role
from clinic.scheduling import rules
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


@pytest.mark.parametrize(
    ("active", "clinician", "owner_clinic", "feed_clinic", "alive"),
    [
        (True, True, 1, 1, True),
        (False, True, 1, 1, False),  # deactivated
        (True, False, 1, 1, False),  # no longer a clinician
        (True, True, 2, 1, False),  # moved to another clinic
        (True, True, None, 1, False),  # no clinic at all
    ],
)
def test_feed_alive(active, clinician, owner_clinic, feed_clinic, alive):
    assert (
        rules.feed_alive(
            owner_active=active, owner_is_clinician=clinician, owner_clinic_id=owner_clinic, feed_clinic_id=feed_clinic
        )
        is alive
    )


def _live_feed(client, clinician, episode) -> str:
    start = timezone.now() + datetime.timedelta(days=2)
    AppointmentFactory(
        episode=episode, clinician=clinician, starts_at=start, ends_at=start + datetime.timedelta(minutes=30)
    )
    client.force_login(clinician)
    path = _feed_path(client)
    client.logout()
    assert client.get(path).status_code == 200
    return path


def test_deactivating_the_account_revokes_the_feed_at_once(client, clinician, clinic_admin, episode):
    path = _live_feed(client, clinician, episode)

    clinic_services.staff_update(
        actor=clinic_admin, staff=clinician, full_name=clinician.full_name, roles=[Role.CLINICIAN], is_active=False
    )

    assert client.get(path).status_code == 404
    feed = CalendarFeed.objects.get(clinician=clinician)
    assert feed.revoked_at is not None
    assert AuditEvent.objects.filter(action="calendar_feed.revoked", object_id=feed.pk, actor=clinic_admin).exists()


def test_taking_away_the_clinician_role_revokes_the_feed(client, clinician, clinic_admin, episode):
    path = _live_feed(client, clinician, episode)

    clinic_services.staff_update(
        actor=clinic_admin, staff=clinician, full_name=clinician.full_name, roles=[Role.FRONT_DESK], is_active=True
    )

    assert client.get(path).status_code == 404
    assert CalendarFeed.objects.get(clinician=clinician).revoked_at is not None


@pytest.mark.parametrize(
    "change",
    [
        pytest.param(lambda user, other: User.objects.filter(pk=user.pk).update(is_active=False), id="deactivated"),
        pytest.param(lambda user, other: user.groups.clear(), id="role removed"),
        pytest.param(lambda user, other: User.objects.filter(pk=user.pk).update(clinic=other), id="moved clinic"),
    ],
)
def test_a_feed_whose_owner_changed_by_any_route_dies_when_next_asked(client, clinician, episode, other_clinic, change):
    """However the account changed (the Django admin, a shell), the feed answers 404 and is revoked."""
    path = _live_feed(client, clinician, episode)

    change(clinician, other_clinic)

    assert client.get(path).status_code == 404
    feed = CalendarFeed.objects.get(clinician=clinician)
    assert feed.revoked_at is not None
    assert AuditEvent.objects.filter(action="calendar_feed.revoked", object_id=feed.pk, actor=None).exists()
    # Revoked for good: restoring the account does not bring the old address back.
    User.objects.filter(pk=clinician.pk).update(is_active=True, clinic=episode.patient.clinic)
    clinician.groups.add(Group.objects.get(name=Role.CLINICIAN.value))
    assert client.get(path).status_code == 404


def test_front_desk_has_no_feed(client, front_desk):
    client.force_login(front_desk)
    assert client.get("/schedule/my-calendar/").status_code == 403
    assert client.post("/schedule/my-calendar/", {"create": ""}).status_code == 403
    assert not CalendarFeed.objects.exists()
