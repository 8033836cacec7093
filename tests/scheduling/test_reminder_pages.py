"""What staff see of reminders: each visit's status on the day view, failed reminders on the
dashboard and day view, a patient's opt-out, and the clinic admin's wording pages."""

from __future__ import annotations

import datetime
import zoneinfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from clinic.models import AuditEvent
from clinic.outbox.models import MessageKind, MessageStatus, MessageWording, PatientMessage
from clinic.permissions import Role
from tests.factories import AppointmentFactory, EpisodeFactory, UserFactory

CHICAGO = zoneinfo.ZoneInfo("America/Chicago")


def _tomorrow_at(hour: int, minute: int = 0) -> datetime.datetime:
    day = timezone.localdate(timezone.now(), CHICAGO) + datetime.timedelta(days=1)
    return datetime.datetime.combine(day, datetime.time(hour, minute), tzinfo=CHICAGO)


def _visit_with_reminder(clinic, clinician, start, **reminder):
    visit = AppointmentFactory(
        episode=EpisodeFactory(patient__clinic=clinic, lead_clinician=clinician),
        clinician=clinician,
        starts_at=start,
        ends_at=start + datetime.timedelta(minutes=30),
    )
    PatientMessage.objects.create(
        patient=visit.episode.patient,
        episode=visit.episode,
        kind=MessageKind.SECOND,
        subject_id=visit.pk,
        due_at=start - datetime.timedelta(hours=2),
        **reminder,
    )
    return visit


def _day(client, start):
    return client.get(reverse("schedule_day"), {"day": f"{start:%Y-%m-%d}"}).content.decode()


def test_the_day_view_shows_each_visits_reminder_status(client, front_desk, clinic, clinician):
    start = _tomorrow_at(10)
    sent_at = start - datetime.timedelta(hours=2)
    sent = _visit_with_reminder(clinic, clinician, start, status=MessageStatus.SENT, sent_at=sent_at)
    sent.confirmed_at = timezone.now()
    sent.save()
    _visit_with_reminder(
        clinic,
        clinician,
        start + datetime.timedelta(hours=1),
        status=MessageStatus.FAILED,
        reason="The patient has no mobile phone number.",
    )
    client.force_login(front_desk)
    html = _day(client, start)
    local = sent_at.astimezone(CHICAGO)
    assert f"Reminder sent {local.day} {local:%b %H:%M} · Confirmed" in html
    assert "Reminder failed: the patient has no mobile phone number" in html


def test_day_view_queries_do_not_grow_with_reminders(
    client, front_desk, clinic, clinician, django_assert_max_num_queries
):
    start = _tomorrow_at(8)
    for number in range(2):
        _visit_with_reminder(clinic, clinician, start + datetime.timedelta(minutes=30 * number))
    client.force_login(front_desk)
    url = reverse("schedule_day") + f"?day={start:%Y-%m-%d}"
    with CaptureQueriesContext(connection) as small:
        client.get(url)
    for number in range(2, 12):
        _visit_with_reminder(clinic, clinician, start + datetime.timedelta(minutes=30 * number))
    with django_assert_max_num_queries(len(small)):
        response = client.get(url)
    assert response.content.decode().count("Reminder due") == 12


def test_failed_reminders_are_listed_on_the_dashboard_and_the_day_view(client, front_desk, clinic, clinician):
    start = _tomorrow_at(11)
    visit = _visit_with_reminder(
        clinic, clinician, start, status=MessageStatus.FAILED, reason="The provider refused the number."
    )
    client.force_login(front_desk)
    for html in (client.get(reverse("dashboard")).content.decode(), _day(client, start)):
        assert "Messages to patients that could not be sent" in html
        assert visit.episode.patient.full_name in html
        assert "The provider refused the number." in html


def test_failed_reminders_of_another_clinic_are_not_listed(client, front_desk, other_clinic):
    other_clinician = UserFactory(clinic=other_clinic, roles=[Role.CLINICIAN])
    visit = _visit_with_reminder(
        other_clinic, other_clinician, _tomorrow_at(11), status=MessageStatus.FAILED, reason="Refused."
    )
    client.force_login(front_desk)
    html = client.get(reverse("dashboard")).content.decode()
    assert visit.episode.patient.full_name not in html
    assert "Every message to a patient due lately went out." in html


def test_dashboard_queries_do_not_grow_with_failed_reminders(
    client, front_desk, clinic, clinician, django_assert_max_num_queries
):
    start = _tomorrow_at(8)
    _visit_with_reminder(clinic, clinician, start, status=MessageStatus.FAILED, reason="Refused.")
    client.force_login(front_desk)
    with CaptureQueriesContext(connection) as small:
        client.get(reverse("dashboard"))
    for number in range(1, 10):
        _visit_with_reminder(
            clinic, clinician, start + datetime.timedelta(minutes=30 * number), status="failed", reason="Refused."
        )
    with django_assert_max_num_queries(len(small)):
        html = client.get(reverse("dashboard")).content.decode()
    assert html.count("<td>Refused.</td>") == 10


# --- The patient's opt-out ----------------------------------------------------------------------


def test_the_front_desk_sees_and_clears_an_opt_out(client, front_desk, patient):
    patient.reminders_opted_out_at = timezone.now()
    patient.save()
    client.force_login(front_desk)
    page = client.get(reverse("patient_detail", args=[patient.pk])).content.decode()
    assert "The patient stopped reminders on" in page
    response = client.post(reverse("schedule_reminders_resume", args=[patient.pk]))
    assert response.status_code == 302
    patient.refresh_from_db()
    assert patient.reminders_opted_out_at is None
    assert AuditEvent.objects.filter(action="patient.reminders_resumed", actor=front_desk).exists()
    assert "Reminders go by e-mail" in client.get(reverse("patient_detail", args=[patient.pk])).content.decode()


def test_clearing_an_opt_out_checks_role_and_clinic(client, clinic_admin, front_desk, patient, foreign_patient):
    patient.reminders_opted_out_at = foreign_patient.reminders_opted_out_at = timezone.now()
    patient.save()
    foreign_patient.save()
    client.force_login(clinic_admin)
    assert client.post(reverse("schedule_reminders_resume", args=[patient.pk])).status_code == 403
    client.force_login(front_desk)
    assert client.post(reverse("schedule_reminders_resume", args=[foreign_patient.pk])).status_code == 404
    assert client.get(reverse("schedule_reminders_resume", args=[patient.pk])).status_code == 405
    patient.refresh_from_db()
    foreign_patient.refresh_from_db()
    assert patient.reminders_opted_out_at is not None
    assert foreign_patient.reminders_opted_out_at is not None


# --- Wording -------------------------------------------------------------------------------------


def test_clinic_settings_link_to_the_wording_page(client, clinic_admin):
    client.force_login(clinic_admin)
    assert reverse("reminder_wording_list") in client.get(reverse("clinic_settings")).content.decode()
    page = client.get(reverse("reminder_wording_list")).content.decode()
    assert "Home-program check-in" in page
    assert "Shipped default" in page


def test_the_clinic_admin_edits_previews_and_resets_wording(client, clinic_admin, clinic):
    client.force_login(clinic_admin)
    url = reverse("reminder_wording_edit", args=["first"])
    form = {
        "subject": "See you {visit_day}",
        "body": "Hi {first_name}, {clinician} expects you at {visit_time}.",
        "sms_body": "{clinic_name}: visit {visit_day} {visit_time}.",
    }
    preview = client.post(url, {**form, "preview": "1"}).content.decode()
    assert "Hi Alex, Dana Lead expects you at 09:00." in preview
    assert not MessageWording.objects.exists()
    assert client.post(url, {**form, "save": ""}).status_code == 302
    saved = MessageWording.objects.get(clinic=clinic, kind="first", appointment_type=None)
    assert saved.body == form["body"]
    assert AuditEvent.objects.filter(action="reminder_wording.created", actor=clinic_admin).exists()
    assert client.post(url, {**form, "reset": "1"}).status_code == 302
    assert not MessageWording.objects.exists()


def test_an_unknown_placeholder_is_a_form_error_naming_it_and_keeps_the_text(client, clinic_admin):
    client.force_login(clinic_admin)
    body = "Hi {frist_name}, see you {visit_day}."
    page = client.post(
        reverse("reminder_wording_edit", args=["second"]),
        {"subject": "Soon", "body": body, "sms_body": "Soon", "save": ""},
    )
    assert page.status_code == 200
    html = page.content.decode()
    assert "Unknown placeholder {frist_name}" in html
    assert "Hi {frist_name}, see you {visit_day}." in html
    assert not MessageWording.objects.exists()


def test_new_wording_for_a_visit_type_starts_from_the_clinics_wording_for_every_type(client, clinic_admin, clinic):
    from clinic.scheduling.models import AppointmentType

    visit_type = AppointmentType.objects.create(clinic=clinic, kind="follow_up", name="Follow-up", minutes=30)
    MessageWording.objects.create(
        clinic=clinic, kind="second", subject="Our own {visit_day}", body="Our body", sms_body="Our text"
    )
    client.force_login(clinic_admin)
    page = client.get(reverse("reminder_wording_edit_type", args=["second", visit_type.pk])).content.decode()
    assert "Our own {visit_day}" in page


def test_wording_per_visit_type_is_used_for_that_type_only(client, clinic_admin, clinic, front_desk, clinician):
    from django.core import mail

    from clinic.outbox import dispatch
    from clinic.scheduling import services

    services.appointment_types_seed(clinic=clinic)
    reassessment = clinic.appointment_types.get(kind="reassessment")
    client.force_login(clinic_admin)
    url = reverse("reminder_wording_edit_type", args=["first", reassessment.pk])
    form = {"subject": "Re-assessment {visit_day}", "body": "Bring your running shoes.", "sms_body": "Shoes!"}
    assert client.post(url, {**form, "save": ""}).status_code == 302
    clinic.quiet_hours_start = clinic.quiet_hours_end = datetime.time(0)
    clinic.save()
    episode = EpisodeFactory(patient__clinic=clinic, lead_clinician=clinician)
    start = (timezone.now() + datetime.timedelta(days=3)).replace(second=0, microsecond=0)
    for kind, offset in (("reassessment", 0), ("follow_up", 2)):
        services.appointment_book(
            actor=front_desk,
            episode=episode,
            clinician=clinician,
            starts_at=start + datetime.timedelta(hours=offset),
            kind=kind,
            override_reason="t",
        )
    mail.outbox.clear()
    # The visits were booked in the order they start; the outbox sends nothing before it is due.
    firsts = PatientMessage.objects.filter(kind=MessageKind.FIRST).order_by("subject_id")
    firsts.update(due_at=timezone.now())
    for row in firsts:
        dispatch.deliver(message_id=row.pk)
    special, usual = mail.outbox
    assert special.subject.startswith("Re-assessment ")
    assert special.body.startswith("Bring your running shoes.")
    assert usual.subject.startswith("Reminder: your visit on")


@pytest.mark.parametrize("role", [Role.FRONT_DESK, Role.CLINICIAN])
def test_only_the_clinic_admin_edits_wording(client, clinic, role):
    client.force_login(UserFactory(clinic=clinic, roles=[role]))
    assert client.get(reverse("reminder_wording_list")).status_code == 403
    assert client.get(reverse("reminder_wording_edit", args=["first"])).status_code == 403


def test_unknown_kinds_and_foreign_visit_types_are_404(client, clinic_admin, other_clinic):
    from clinic.scheduling.models import AppointmentType

    foreign = AppointmentType.objects.create(clinic=other_clinic, kind="follow_up", name="F", minutes=30)
    client.force_login(clinic_admin)
    assert client.get(reverse("reminder_wording_edit", args=["nonsense"])).status_code == 404
    assert client.get(reverse("reminder_wording_edit_type", args=["first", foreign.pk])).status_code == 404
    assert client.get(reverse("reminder_wording_edit_type", args=["check_in", foreign.pk])).status_code == 404


def test_wording_is_in_the_django_admin_for_the_clinic_admin(client, clinic_admin):
    client.force_login(clinic_admin)
    assert client.get("/admin/outbox/messagewording/").status_code == 200
    assert client.get("/admin/outbox/messagewording/add/").status_code == 200
