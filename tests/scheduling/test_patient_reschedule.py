"""A patient moves their own visit to another free time of the same clinician, from a reminder's
link (e-mail or text message) or the portal, within the clinic's policy: not inside the notice
window, not beyond the horizon, only a time the page offered. The front desk sees the change
with its old and new time and offers the freed time to the wait list."""

from __future__ import annotations

import datetime
import re
from urllib.parse import urlsplit

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.utils import timezone

from clinic import messaging
from clinic.models import AuditEvent
from clinic.outbox import dispatch
from clinic.outbox.models import LinkAction, MessageKind, MessageLink, PatientMessage
from clinic.scheduling import patient_services, rules, services, visit_reminders
from clinic.scheduling.models import (
    Appointment,
    AppointmentStatus,
    PatientChange,
    PatientVisitChange,
    TimeOff,
    WaitListEntry,
    WorkingHours,
)
from tests.factories import EpisodeFactory

MOVE_LINK = re.compile(r"https?://[^/\s]+(/visit/move/[^/\s]+/)")
SHORT_LINK = re.compile(r"(Confirm|Cancel|New time|Stop): https?://[^/\s]+(/r/[^\s]+)")


@pytest.fixture(autouse=True)
def _open_every_day(clinic, clinician):
    """Working hours every day (so no weekend falls in a test's way) and no quiet hours."""
    clinic.quiet_hours_start = clinic.quiet_hours_end = datetime.time(0, 0)
    clinic.save()
    for weekday in range(7):
        WorkingHours.objects.create(clinician=clinician, weekday=weekday, start=datetime.time(8), end=datetime.time(17))


def _at(clinic, days: int, hour: int, minute: int = 0) -> datetime.datetime:
    day = timezone.localdate(timezone.now(), clinic.zone) + datetime.timedelta(days=days)
    return datetime.datetime.combine(day, datetime.time(hour, minute), tzinfo=clinic.zone)


@pytest.fixture
def visit(front_desk, episode, clinician, clinic):
    return services.appointment_book(
        actor=front_desk, episode=episode, clinician=clinician, starts_at=_at(clinic, 3, 10)
    )


def _deliver_reminder(visit) -> None:
    """Send the visit's first owed reminder as if its time had come."""
    message = visit_reminders.of_visit(visit).first()
    PatientMessage.objects.filter(pk=message.pk).update(due_at=timezone.now())
    assert dispatch.deliver(message_id=message.pk) is True


@pytest.fixture
def move_link(visit):
    mail.outbox.clear()
    _deliver_reminder(visit)
    return MOVE_LINK.search(mail.outbox[-1].body).group(1)


def _slot(moment: datetime.datetime) -> str:
    return moment.isoformat()


# --- The policy, as pure rules -------------------------------------------------------------------

ZONE = datetime.timezone(datetime.timedelta(hours=-6))
NOW = datetime.datetime(2026, 3, 2, 12, 0, tzinfo=datetime.UTC)


@pytest.mark.parametrize(
    ("visit_in", "notice_hours", "may"),
    [
        (datetime.timedelta(hours=25), 24, True),
        (datetime.timedelta(hours=24), 24, True),
        (datetime.timedelta(hours=23, minutes=59), 24, False),
        (datetime.timedelta(hours=1), 0, True),
        (datetime.timedelta(hours=-1), 0, False),
    ],
)
def test_a_patient_may_move_a_visit_only_outside_the_notice_window(visit_in, notice_hours, may):
    assert rules.patient_may_move(NOW + visit_in, NOW, datetime.timedelta(hours=notice_hours)) is may


def test_the_window_ends_with_the_clinics_day_horizon_days_ahead():
    zone = datetime.timezone(datetime.timedelta(hours=-6))
    earliest, end = rules.patient_window(NOW, datetime.timedelta(hours=24), 28, zone)
    assert earliest == NOW + datetime.timedelta(hours=24)
    assert end == datetime.datetime(2026, 3, 31, 0, 0, tzinfo=zone)


@pytest.mark.parametrize(
    ("start", "problem"),
    [
        (NOW + datetime.timedelta(days=2), None),
        (NOW - datetime.timedelta(minutes=1), "already passed"),
        (NOW + datetime.timedelta(hours=3), "too close"),
        (NOW + datetime.timedelta(days=40), "further ahead"),
        (NOW + datetime.timedelta(days=2, minutes=7), "not free"),
    ],
)
def test_a_chosen_time_must_be_offered_inside_the_window(start, problem):
    offered = [rules.Slot(NOW + datetime.timedelta(days=2), NOW + datetime.timedelta(days=2, minutes=30))]
    found = rules.patient_slot_problem(
        start,
        offered=offered,
        now=NOW,
        earliest=NOW + datetime.timedelta(hours=24),
        end=NOW + datetime.timedelta(days=28),
    )
    assert (found is None) if problem is None else (problem in found)


# --- The service ----------------------------------------------------------------------------------


def test_moving_bumps_the_sequence_clears_the_confirmation_and_audits_without_an_actor(visit, clinic):
    Appointment.objects.filter(pk=visit.pk).update(confirmed_at=timezone.now())
    visit.refresh_from_db()
    reminder_due = visit_reminders.of_visit(visit).get(kind=MessageKind.FIRST).due_at
    new_start = _at(clinic, 4, 14)
    moved = patient_services.appointment_reschedule_by_patient(appointment=visit, starts_at=new_start)
    moved.refresh_from_db()
    assert (moved.starts_at, moved.ends_at - moved.starts_at) == (new_start, visit.ends_at - visit.starts_at)
    assert moved.sequence == visit.sequence + 1
    assert moved.confirmed_at is None
    event = AuditEvent.objects.get(action="appointment.rescheduled_by_patient")
    assert (event.actor_id, event.object_id) == (None, visit.pk)
    change = PatientVisitChange.objects.get()
    assert (change.change, change.old_starts_at, change.new_starts_at) == (
        PatientChange.RESCHEDULED,
        visit.starts_at,
        new_start,
    )
    # The reminders follow the visit and the patient is told of the new time.
    first = visit_reminders.of_visit(moved).filter(kind=MessageKind.FIRST).latest("id")
    assert first.due_at - reminder_due == new_start - visit.starts_at
    assert PatientMessage.objects.filter(kind=MessageKind.VISIT_NOTICE, subject_id=visit.pk).exists()


def test_inside_the_notice_window_the_visit_cannot_be_moved(front_desk, episode, clinician, clinic):
    soon = (timezone.now() + datetime.timedelta(hours=5)).replace(second=0, microsecond=0)
    visit = services.appointment_book(
        actor=front_desk, episode=episode, clinician=clinician, starts_at=soon, override_reason="test"
    )
    with pytest.raises(ValidationError, match="too close to move online"):
        patient_services.appointment_reschedule_by_patient(appointment=visit, starts_at=_at(clinic, 4, 10))
    assert Appointment.objects.get(pk=visit.pk).starts_at == soon


def test_the_clinics_own_notice_window_is_used(visit, clinic):
    clinic.patient_change_notice_hours = 24 * 5
    clinic.save()
    visit.refresh_from_db()
    with pytest.raises(ValidationError, match="too close to move online"):
        patient_services.appointment_reschedule_by_patient(appointment=visit, starts_at=_at(clinic, 4, 10))


def test_a_time_beyond_the_horizon_is_refused(visit, clinic):
    with pytest.raises(ValidationError, match="further ahead"):
        patient_services.appointment_reschedule_by_patient(appointment=visit, starts_at=_at(clinic, 29, 10))
    clinic.patient_reschedule_horizon_days = 40
    clinic.save()
    visit.refresh_from_db()
    patient_services.appointment_reschedule_by_patient(appointment=visit, starts_at=_at(clinic, 29, 10))


def test_a_time_taken_by_another_visit_or_time_off_is_refused(visit, front_desk, clinician, clinic):
    other = EpisodeFactory(patient__clinic=clinic, lead_clinician=clinician)
    services.appointment_book(actor=front_desk, episode=other, clinician=clinician, starts_at=_at(clinic, 4, 10))
    TimeOff.objects.create(clinician=clinician, starts_at=_at(clinic, 5, 8), ends_at=_at(clinic, 5, 17))
    for taken in (_at(clinic, 4, 10), _at(clinic, 5, 9), _at(clinic, 4, 18)):
        with pytest.raises(ValidationError, match="not free"):
            patient_services.appointment_reschedule_by_patient(appointment=visit, starts_at=taken)
    assert Appointment.objects.get(pk=visit.pk).starts_at == visit.starts_at
    assert not PatientVisitChange.objects.exists()


def test_a_cancelled_visit_cannot_be_moved(visit, front_desk, clinic):
    services.appointment_cancel(actor=front_desk, appointment=visit, reason="Patient called")
    with pytest.raises(ValidationError, match="no longer booked"):
        patient_services.appointment_reschedule_by_patient(appointment=visit, starts_at=_at(clinic, 4, 10))


# --- From a reminder's link ------------------------------------------------------------------------


def test_the_move_page_lists_free_times_of_the_same_length_and_not_taken_ones(
    client, move_link, visit, front_desk, clinician, clinic
):
    other = EpisodeFactory(patient__clinic=clinic, lead_clinician=clinician)
    services.appointment_book(actor=front_desk, episode=other, clinician=clinician, starts_at=_at(clinic, 4, 10))
    page = client.get(move_link)
    text = page.content.decode()
    assert page.status_code == 200
    assert clinic.cancellation_policy in text
    assert f'value="{_slot(_at(clinic, 4, 9, 30))}"' in text
    assert f'value="{_slot(_at(clinic, 4, 10))}"' not in text  # taken by another visit
    assert f'value="{_slot(_at(clinic, 3, 10))}"' not in text  # the visit's own time
    assert "10:30 to 11:00" in text
    # Not inside the notice window: nothing today.
    assert f'value="{_slot(_at(clinic, 0, 16))}"' not in text


def test_a_reminder_link_moves_the_visit_once(client, move_link, visit, clinic):
    new_start = _at(clinic, 4, 11)
    review = client.post(move_link, {"slot": _slot(new_start)})
    assert review.status_code == 200
    assert "Yes, move my visit" in review.content.decode()
    assert Appointment.objects.get(pk=visit.pk).starts_at == visit.starts_at  # not yet
    done = client.post(move_link, {"slot": _slot(new_start), "confirm": "1"})
    assert done.status_code == 200
    assert "Your visit is moved" in done.content.decode()
    assert Appointment.objects.get(pk=visit.pk).starts_at == new_start
    assert MessageLink.objects.get(action=LinkAction.RESCHEDULE).used_at is not None
    again = client.post(move_link, {"slot": _slot(_at(clinic, 5, 11)), "confirm": "1"})
    assert again.status_code == 410
    assert "already been used" in again.content.decode()
    assert Appointment.objects.get(pk=visit.pk).starts_at == new_start


@pytest.mark.parametrize(
    "slot",
    [
        "",
        "tomorrow",
        "2026-13-45T10:00:00-06:00",
        "2026-03-05T10:00:00",  # no zone
        "2026-03-05T10:00:00-06:00\x00",
        "\x00",
        "9999-12-31T23:30:00+00:00",
        "0001-01-01T00:00:00+00:00",
        "0001-01-01T00:00:00+05:00",
        "9999-12-31T23:59:00-05:00",
        "x" * 5000,
    ],
)
def test_hostile_input_gets_a_clear_message_and_keeps_the_link(client, move_link, visit, slot):
    for data in ({"slot": slot}, {"slot": slot, "confirm": "1"}):
        response = client.post(move_link, data)
        assert response.status_code == 400
        assert 'role="alert"' in response.content.decode()
    assert MessageLink.objects.get(action=LinkAction.RESCHEDULE).used_at is None
    assert Appointment.objects.get(pk=visit.pk).starts_at == visit.starts_at


def test_a_tampered_past_or_taken_time_is_refused_and_the_link_still_works(
    client, move_link, visit, front_desk, clinician, clinic
):
    other = EpisodeFactory(patient__clinic=clinic, lead_clinician=clinician)
    services.appointment_book(actor=front_desk, episode=other, clinician=clinician, starts_at=_at(clinic, 4, 10))
    for start, words in (
        (_at(clinic, 4, 10, 7), "not free"),  # between the listed times
        (_at(clinic, 4, 10), "not free"),  # taken
        (_at(clinic, 4, 20), "not free"),  # after working hours
        (_at(clinic, -1, 10), "already passed"),
        (_at(clinic, 60, 10), "further ahead"),
    ):
        response = client.post(move_link, {"slot": _slot(start), "confirm": "1"})
        assert response.status_code == 400
        assert words in response.content.decode()
    assert MessageLink.objects.get(action=LinkAction.RESCHEDULE).used_at is None
    assert client.post(move_link, {"slot": _slot(_at(clinic, 4, 11)), "confirm": "1"}).status_code == 200


def test_inside_the_notice_window_the_page_gives_the_policy_and_phone_instead(
    client, front_desk, episode, clinician, clinic
):
    soon = (timezone.now() + datetime.timedelta(hours=30)).replace(second=0, microsecond=0)
    visit = services.appointment_book(
        actor=front_desk, episode=episode, clinician=clinician, starts_at=soon, override_reason="test"
    )
    mail.outbox.clear()
    _deliver_reminder(visit)
    link = MOVE_LINK.search(mail.outbox[-1].body).group(1)
    clinic.patient_change_notice_hours = 48
    clinic.save()
    page = client.get(link).content.decode()
    assert "Please call us to change this visit" in page
    assert clinic.phone.as_national in page
    assert clinic.cancellation_policy in page
    assert 'name="slot"' not in page
    refused = client.post(link, {"slot": _slot(_at(clinic, 4, 10)), "confirm": "1"})
    assert 'name="slot"' not in refused.content.decode()
    assert MessageLink.objects.get(action=LinkAction.RESCHEDULE).used_at is None


# --- What the front desk sees ----------------------------------------------------------------------


def test_the_dashboard_shows_moves_and_cancellations_with_old_and_new_times(
    client, move_link, visit, front_desk, clinic, episode
):
    new_start = _at(clinic, 4, 11)
    client.post(move_link, {"slot": _slot(new_start), "confirm": "1"})
    client.force_login(front_desk)
    dashboard = client.get("/").content.decode()
    change = PatientVisitChange.objects.get()
    assert "Visits patients changed themselves" in dashboard
    assert episode.patient.full_name in dashboard
    old_local, new_local = (timezone.localtime(moment, clinic.zone) for moment in (visit.starts_at, new_start))
    assert f"{old_local:%a} {old_local.day} {old_local:%b %H:%M}" in dashboard
    assert f"{new_local:%a} {new_local.day} {new_local:%b %H:%M}" in dashboard
    assert f"/schedule/patient-changes/{change.pk}/offer/" in dashboard


def test_the_freed_old_time_is_offered_to_the_wait_list(client, move_link, visit, front_desk, clinician, clinic):
    waiting = EpisodeFactory(patient__clinic=clinic, lead_clinician=clinician)
    WaitListEntry.objects.create(episode=waiting, created_by=front_desk)
    client.post(move_link, {"slot": _slot(_at(clinic, 4, 11)), "confirm": "1"})
    change = PatientVisitChange.objects.get()
    client.force_login(front_desk)
    offer = client.get(f"/schedule/patient-changes/{change.pk}/offer/")
    assert waiting.patient.full_name in offer.content.decode()
    response = client.post(f"/schedule/patient-changes/{change.pk}/offer/", {"entry": WaitListEntry.objects.get().pk})
    assert response.status_code == 302
    booked = Appointment.objects.get(episode=waiting)
    assert (booked.starts_at, booked.ends_at) == (visit.starts_at, visit.ends_at)


def test_another_clinics_front_desk_cannot_open_the_offer(client, move_link, clinic, other_clinic):
    from clinic.permissions import Role
    from tests.factories import UserFactory

    client.post(move_link, {"slot": _slot(_at(clinic, 4, 11)), "confirm": "1"})
    change = PatientVisitChange.objects.get()
    client.force_login(UserFactory(clinic=other_clinic, roles=[Role.FRONT_DESK]))
    assert client.get(f"/schedule/patient-changes/{change.pk}/offer/").status_code == 404


# --- Text messages ---------------------------------------------------------------------------------


@pytest.fixture
def texted(visit):
    patient = visit.episode.patient
    patient.preferred_contact_channel = "sms"
    patient.save()
    messaging.outbox.clear()
    _deliver_reminder(visit)
    [text] = messaging.outbox
    return text["body"]


@pytest.fixture
def _a_real_address(settings):
    settings.SITE_URL = "https://stride.example.org"


@pytest.mark.usefixtures("_a_real_address")
def test_a_text_reminder_carries_short_single_use_links_in_at_most_two_segments(texted):
    links = dict(SHORT_LINK.findall(texted))
    assert set(links) == {"Confirm", "Cancel", "New time", "Stop"}
    assert len(set(links.values())) == 4
    assert texted.isascii()
    assert len(texted) <= 306  # two GSM-7 segments
    assert MessageLink.objects.count() == 4


def test_a_text_messages_move_link_moves_the_visit_once(client, texted, visit, clinic):
    move = dict(SHORT_LINK.findall(texted))["New time"]
    assert client.get(move).status_code == 200
    new_start = _at(clinic, 4, 11)
    assert client.post(move, {"slot": _slot(new_start), "confirm": "1"}).status_code == 200
    assert Appointment.objects.get(pk=visit.pk).starts_at == new_start
    assert client.post(move, {"slot": _slot(_at(clinic, 5, 11)), "confirm": "1"}).status_code == 410


def test_a_text_messages_cancel_link_works_once_and_its_confirm_link_confirms(client, texted, visit):
    links = dict(SHORT_LINK.findall(texted))
    assert client.post(links["Confirm"]).status_code == 200
    assert Appointment.objects.get(pk=visit.pk).confirmed_at is not None
    assert client.post(links["Cancel"]).status_code == 200
    assert Appointment.objects.get(pk=visit.pk).status == AppointmentStatus.CANCELLED
    assert client.post(links["Cancel"]).status_code == 410


def test_a_forged_short_link_opens_nothing(client, texted):
    path = dict(SHORT_LINK.findall(texted))["Cancel"]
    raw, signature = urlsplit(path).path.rsplit("/", 1)[-1].split(".")
    forged = f"/r/{raw}.{'A' * len(signature)}"
    assert client.post(forged).status_code == 404
    assert client.get("/r/\x00").status_code == 404


# --- The policy on the clinic settings page ----------------------------------------------------------


def _settings_form(clinic, **policy) -> dict:
    return {
        "name": clinic.name,
        "time_zone": clinic.time_zone,
        "accent_color": "#1d5c7a",
        "paper_size": "letter",
        "intake_consent_text": "Consent.",
        "cancellation_policy": clinic.cancellation_policy,
        "quiet_hours_start": "21:00",
        "quiet_hours_end": "08:00",
        "save_clinic": "",
        **policy,
    }


def test_the_clinic_admin_sets_the_patients_policy(client, clinic_admin, clinic):
    assert (clinic.patient_change_notice_hours, clinic.patient_reschedule_horizon_days) == (24, 28)
    client.force_login(clinic_admin)
    page = client.get("/settings/").content.decode()
    assert "Patients may move a visit until (hours before it)" in page
    response = client.post(
        "/settings/",
        _settings_form(clinic, patient_change_notice_hours="48", patient_reschedule_horizon_days="14"),
    )
    assert response.status_code == 302
    clinic.refresh_from_db()
    assert (clinic.patient_change_notice_hours, clinic.patient_reschedule_horizon_days) == (48, 14)


@pytest.mark.parametrize(("hours", "days"), [("-1", "28"), ("24", "0"), ("24", "366"), ("721", "28"), ("x", "28")])
def test_an_impossible_policy_is_a_form_error_beside_the_field(client, clinic_admin, clinic, hours, days):
    client.force_login(clinic_admin)
    response = client.post(
        "/settings/", _settings_form(clinic, patient_change_notice_hours=hours, patient_reschedule_horizon_days=days)
    )
    assert response.status_code == 200
    assert 'class="field-error"' in response.content.decode()
    clinic.refresh_from_db()
    assert (clinic.patient_change_notice_hours, clinic.patient_reschedule_horizon_days) == (24, 28)


# --- Two patients at once, on PostgreSQL with real locks -------------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_patients_moving_to_the_same_time_at_once_get_it_once(front_desk, clinician, clinic):
    from tests.scheduling.test_reminder_concurrency import _in_parallel

    visits = [
        services.appointment_book(
            actor=front_desk,
            episode=EpisodeFactory(patient__clinic=clinic, lead_clinician=clinician),
            clinician=clinician,
            starts_at=_at(clinic, 3, hour),
        )
        for hour in (9, 11)
    ]
    wanted = _at(clinic, 4, 14)
    queue = list(visits)

    def move():
        try:
            patient_services.appointment_reschedule_by_patient(appointment=queue.pop(), starts_at=wanted)
        except ValidationError as refused:
            # Taken meanwhile: the database's exclusion constraint, or the re-check after the
            # other's commit; either way a message for the patient.
            return " ".join(refused.messages)
        return "moved"

    outcomes = _in_parallel(2, move)
    assert outcomes.count("moved") == 1
    assert any("another time" in outcome or "not free" in outcome for outcome in outcomes if outcome != "moved")
    assert Appointment.objects.filter(starts_at=wanted).count() == 1
    assert PatientVisitChange.objects.count() == 1


def test_a_text_messages_link_is_refused_to_an_address_that_used_up_its_bad_links(
    client, texted, settings, monkeypatch
):
    """Its 30-bit signature can be hit by a guess: a limited address has no link looked up."""
    import types

    import django_ratelimit.core

    monkeypatch.setattr(django_ratelimit.core, "time", types.SimpleNamespace(time=lambda: 1_800_000_000.0))
    settings.RATELIMIT_BAD_INTAKE_LINKS = "3/15m"
    move = dict(SHORT_LINK.findall(texted))["New time"]
    for n in range(3):
        assert client.get(f"/r/guess{n}.AAAAA").status_code == 404
    assert client.get(move).status_code == 429
