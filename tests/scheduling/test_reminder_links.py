"""The links in a reminder: confirm, cancel (after a POST) and stop reminders; signed, single
use, no login, stored hashed; used, expired and forged links get a friendly page."""

from __future__ import annotations

import datetime
import re

import pytest
from django.core import mail
from django.utils import timezone

from clinic.models import AuditEvent
from clinic.outbox import dispatch
from clinic.outbox.models import MessageKind, MessageLink, MessageStatus, PatientMessage
from clinic.scheduling import services, visit_reminders
from clinic.scheduling.models import Appointment, AppointmentStatus
from clinic.signed_links import hash_token

LINK = re.compile(r"https?://[^/\s]+(/(visit/confirm|visit/cancel|visit/move|reminders/stop)/([^/\s]+)/)")


@pytest.fixture(autouse=True)
def _no_quiet_hours(clinic):
    clinic.quiet_hours_start = clinic.quiet_hours_end = datetime.time(0, 0)
    clinic.save()


@pytest.fixture
def visit(front_desk, episode, clinician):
    start = (timezone.now() + datetime.timedelta(days=3)).replace(second=0, microsecond=0)
    return services.appointment_book(
        actor=front_desk, episode=episode, clinician=clinician, starts_at=start, override_reason="test"
    )


def _reminder(visit, kind: str) -> PatientMessage:
    return visit_reminders.of_visit(visit).get(kind=kind)


def _deliver_now(message: PatientMessage) -> bool:
    """Send the reminder as if its time had come: the outbox sends nothing before it is due."""
    PatientMessage.objects.filter(pk=message.pk).update(due_at=timezone.now())
    return dispatch.deliver(message_id=message.pk)


@pytest.fixture
def links(visit):
    """The paths of the links in the visit's first reminder, by what they do; the second is still owed."""
    mail.outbox.clear()
    assert _deliver_now(_reminder(visit, MessageKind.FIRST)) is True
    found = {match.group(2): match.group(1) for match in LINK.finditer(mail.outbox[-1].body)}
    assert set(found) == {"visit/confirm", "visit/cancel", "visit/move", "reminders/stop"}
    return {
        "confirm": found["visit/confirm"],
        "cancel": found["visit/cancel"],
        "move": found["visit/move"],
        "stop": found["reminders/stop"],
    }


def test_the_reminder_prints_the_clinics_cancellation_policy(links, clinic):
    assert clinic.cancellation_policy
    assert f"Our cancellation policy: {clinic.cancellation_policy}" in mail.outbox[-1].body


def test_only_hashes_of_the_links_are_stored(links):
    stored = set(MessageLink.objects.values_list("token_hash", flat=True))
    raw = {LINK.search("http://x" + path).group(3).split(".")[0] for path in links.values()}
    assert stored == {hash_token(value) for value in raw}
    assert not any(path.strip("/").split("/")[-1] in stored for path in links.values())


def test_opening_the_confirm_link_asks_and_confirms_nothing(client, links, visit):
    page = client.get(links["confirm"])
    assert page.status_code == 200
    assert '<form method="post">' in page.content.decode()
    assert Appointment.objects.get(pk=visit.pk).confirmed_at is None


def test_confirming_marks_the_visit_confirmed_and_thanks_the_patient(client, links, visit):
    page = client.post(links["confirm"])
    assert page.status_code == 200
    assert "your visit is confirmed" in page.content.decode()
    visit.refresh_from_db()
    assert visit.confirmed_at is not None
    assert AuditEvent.objects.filter(action="appointment.confirmed_by_patient", actor=None).count() == 1
    # Opening or pressing it again thanks again and changes nothing.
    confirmed_at = visit.confirmed_at
    assert "your visit is confirmed" in client.get(links["confirm"]).content.decode()
    assert client.post(links["confirm"]).status_code == 200
    visit.refresh_from_db()
    assert visit.confirmed_at == confirmed_at


def test_moving_the_visit_clears_the_confirmation(client, links, visit, front_desk):
    client.post(links["confirm"])
    visit.refresh_from_db()
    services.appointment_reschedule(
        actor=front_desk, appointment=visit, starts_at=visit.starts_at + datetime.timedelta(days=1), override_reason="x"
    )
    assert Appointment.objects.get(pk=visit.pk).confirmed_at is None


def test_opening_the_cancel_link_cancels_nothing_and_shows_the_policy(client, links, visit, clinic):
    page = client.get(links["cancel"])
    assert page.status_code == 200
    html = page.content.decode()
    assert "Our cancellation policy" in html
    assert clinic.cancellation_policy.split(",")[0] in html
    assert '<form method="post">' in html
    assert Appointment.objects.get(pk=visit.pk).status == AppointmentStatus.BOOKED


def test_cancelling_by_post_frees_the_slot_and_reminders_stop(client, links, visit, front_desk, clinician):
    second = _reminder(visit, MessageKind.SECOND)
    assert second.status == MessageStatus.PENDING
    page = client.post(links["cancel"])
    assert page.status_code == 200
    assert "Your visit is cancelled" in page.content.decode()
    visit.refresh_from_db()
    assert (visit.status, visit.cancel_reason) == (AppointmentStatus.CANCELLED, services.PATIENT_CANCEL_REASON)
    second.refresh_from_db()
    assert second.status == MessageStatus.CANCELLED
    # The slot is free at once: the same time can be booked for someone else.
    from tests.factories import EpisodeFactory

    someone = EpisodeFactory(patient__clinic=visit.episode.patient.clinic, lead_clinician=clinician)
    services.appointment_book(
        actor=front_desk, episode=someone, clinician=clinician, starts_at=visit.starts_at, override_reason="x"
    )
    # The link works once.
    again = client.post(links["cancel"])
    assert again.status_code == 410
    assert "already been used" in again.content.decode()


def test_a_patient_cancellation_appears_free_on_the_day_view_and_can_be_offered(
    client, links, visit, front_desk, clinician
):
    from clinic.scheduling.models import WaitListEntry
    from tests.factories import EpisodeFactory

    waiting = EpisodeFactory(patient__clinic=visit.episode.patient.clinic, lead_clinician=clinician)
    WaitListEntry.objects.create(episode=waiting, created_by=front_desk)
    client.post(links["cancel"])
    client.force_login(front_desk)
    local = timezone.localtime(visit.starts_at, visit.episode.patient.clinic.zone)
    day = client.get(f"/schedule/?day={local:%Y-%m-%d}").content.decode()
    assert f'aria-label="{local:%H:%M} {visit.episode.patient.full_name}"' not in day
    # The dashboard lists the patient's cancellation with the way to offer the slot.
    dashboard = client.get("/").content.decode()
    assert "Visits patients changed themselves" in dashboard
    assert f"/schedule/visits/{visit.pk}/offer/" in dashboard
    offer = client.get(f"/schedule/visits/{visit.pk}/offer/")
    assert waiting.patient.full_name in offer.content.decode()
    entry = WaitListEntry.objects.get()
    response = client.post(f"/schedule/visits/{visit.pk}/offer/", {"entry": entry.pk})
    assert response.status_code == 302
    assert Appointment.objects.get(episode=waiting).starts_at == visit.starts_at


def test_the_links_expire_when_the_visit_starts(client, links, visit):
    # The visit's start has passed (the links' expiry is the start, tested below).
    MessageLink.objects.update(expires_at=timezone.now() - datetime.timedelta(minutes=1))
    for path in (links["confirm"], links["cancel"]):
        page = client.get(path)
        assert page.status_code == 410
        assert "This link has expired" in page.content.decode()
    assert client.post(links["cancel"]).status_code == 410
    assert Appointment.objects.get(pk=visit.pk).status == AppointmentStatus.BOOKED


def test_link_expiry_is_the_visit_start(links, visit):
    expiries = dict(MessageLink.objects.values_list("action", "expires_at"))
    assert expiries["confirm"] == expiries["cancel"] == visit.starts_at


@pytest.mark.parametrize("kind", ["confirm", "cancel", "stop"])
def test_a_forged_or_tampered_link_gets_a_friendly_page(client, links, kind):
    path = links[kind]
    token = path.strip("/").split("/")[-1]
    forged = path.replace(token, token[:-3] + ("abc" if not token.endswith("abc") else "xyz"))
    page = client.get(forged)
    assert page.status_code == 404
    assert "This link does not work" in page.content.decode()


def test_a_link_of_one_kind_does_not_open_another(client, links, visit):
    token = links["confirm"].strip("/").split("/")[-1]
    assert client.post(f"/visit/cancel/{token}/").status_code == 404
    assert Appointment.objects.get(pk=visit.pk).status == AppointmentStatus.BOOKED


def test_a_confirm_link_of_a_cancelled_visit_says_so(client, links, visit, front_desk):
    services.appointment_cancel(actor=front_desk, appointment=visit, reason="Ill")
    page = client.get(links["confirm"])
    assert page.status_code == 410
    assert "no longer booked" in page.content.decode()


def test_stopping_reminders_needs_a_post_and_then_no_reminder_is_sent(client, links, visit, episode):
    page = client.get(links["stop"])
    assert page.status_code == 200
    html = page.content.decode()
    assert '<form method="post">' in html
    # The page says exactly what stops and what still arrives (every kind is checked in
    # tests/outbox/test_plain_text_messages.py): the home program is not among what stops.
    stops, still = html.split("What still arrives")
    assert "Reminders before your visits" in stops
    assert "Your home program" not in stops
    assert "Your home program, when your clinician gives you one or changes it" in still
    episode.patient.refresh_from_db()
    assert episode.patient.reminders_opted_out_at is None
    assert client.post(links["stop"]).status_code == 200
    episode.patient.refresh_from_db()
    assert episode.patient.reminders_opted_out_at is not None
    # The next reminder is marked, not sent.
    second = _reminder(visit, MessageKind.SECOND)
    mail.outbox.clear()
    assert _deliver_now(second) is False
    second.refresh_from_db()
    assert second.status == MessageStatus.SKIPPED
    assert not mail.outbox


def test_patient_pages_carry_no_patient_details_in_the_address(links, episode):
    patient = episode.patient
    for path in links.values():
        assert patient.last_name not in path
        assert patient.email not in path
