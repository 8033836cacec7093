"""Dates the clinic records fall between 1900 and five years ahead (a clinic default against
typing errors, not a clinical fact): forms, models and the API refuse the rest with a message on
the field, and the database refuses a fixed window (1900 to 2099) by check constraints."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from assessments.forms import StartAssessmentForm
from assessments.models import Assessment
from clinic import plausible_dates
from clinic.forms import EpisodeForm
from clinic.models import EpisodeOfCare, Patient
from clinic.portal.models import HomeProgramCheckIn
from clinic.scheduling import services as scheduling_services
from clinic.scheduling.models import Appointment, TimeOff
from intake.forms import RunningForm
from intake.models import RedFlag
from tests.factories import AppointmentFactory
from tests.plans.handout_helpers import home_item, signed_version

pytestmark = pytest.mark.django_db

STAFF_BACKEND = "clinic.backends.StaffBackend"
TODAY = datetime.date(2026, 6, 15)


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (datetime.date(1900, 1, 1), None),
        (datetime.date(1899, 12, 31), "Check the year: the date is before 1900."),
        (datetime.date(1, 1, 1), "Check the year: the date is before 1900."),
        (datetime.date(138, 5, 1), "Check the year: the date is before 1900."),
        (TODAY, None),
        (datetime.date(2031, 6, 15), None),
        (datetime.date(2031, 6, 16), "Check the year: the date is more than 5 years ahead."),
        (datetime.date(9999, 12, 31), "Check the year: the date is more than 5 years ahead."),
    ],
)
def test_which_dates_are_plausible(day, expected):
    assert plausible_dates.problem(day, TODAY) == expected


def test_five_years_after_29_february_is_28_february():
    assert plausible_dates.latest(datetime.date(2028, 2, 29)) == datetime.date(2033, 2, 28)


# --- The database refuses ----------------------------------------------------------------------

YEAR_1 = datetime.date(1, 1, 1)
YEAR_138 = datetime.date(138, 5, 1)
YEAR_2100 = datetime.date(2100, 1, 1)


def _moment(day: datetime.date) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time(9), tzinfo=datetime.UTC)


def _refused(rows, **values) -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        rows.update(**values)


@pytest.mark.parametrize("day", [YEAR_1, datetime.date(1899, 12, 31), YEAR_2100])
def test_the_database_refuses_an_implausible_birth_date(patient, day):
    _refused(Patient.objects.filter(pk=patient.pk), date_of_birth=day)


@pytest.mark.parametrize("field", ["opened_on", "closed_on"])
@pytest.mark.parametrize("day", [YEAR_138, YEAR_2100])
def test_the_database_refuses_an_implausible_episode_date(episode, field, day):
    values = {field: day} if field == "opened_on" else {"status": "discharged", "closed_on": day}
    if field == "closed_on" and day == YEAR_138:
        values["opened_on"] = YEAR_138
    _refused(EpisodeOfCare.objects.filter(pk=episode.pk), **values)


@pytest.mark.parametrize("day", [YEAR_1, YEAR_2100])
def test_the_database_refuses_an_implausible_assessment_date(episode, clinician, day):
    assessment = Assessment.objects.create(episode=episode, clinician=clinician)
    _refused(Assessment.objects.filter(pk=assessment.pk), assessed_on=day)


@pytest.mark.parametrize("day", [datetime.date(1, 1, 2), datetime.date(1899, 12, 30), datetime.date(2099, 12, 31)])
def test_the_database_refuses_an_implausible_visit_or_time_off(episode, clinician, day):
    visit = AppointmentFactory(episode=episode, clinician=clinician)
    start = _moment(day)
    _refused(Appointment.objects.filter(pk=visit.pk), starts_at=start, ends_at=start + datetime.timedelta(days=2))
    off = TimeOff.objects.create(clinician=clinician, starts_at=timezone.now(), ends_at=timezone.now())
    _refused(TimeOff.objects.filter(pk=off.pk), starts_at=start, ends_at=start + datetime.timedelta(days=2))


def test_the_database_refuses_an_implausible_red_flag_date(episode):
    flag = RedFlag.objects.create(episode=episode, code="test", tier="urgent", label="Test")
    _refused(RedFlag.objects.filter(pk=flag.pk), raised_at=_moment(YEAR_1))
    _refused(RedFlag.objects.filter(pk=flag.pk), cleared_at=_moment(YEAR_2100), clearance_note="Cleared")


def test_the_database_refuses_an_implausible_check_in_day(episode, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    version = signed_version(episode, [home_item("Glute bridge")])
    check_in = HomeProgramCheckIn.objects.create(version=version, day=timezone.localdate())
    _refused(HomeProgramCheckIn.objects.filter(pk=check_in.pk), day=YEAR_1)


def test_the_database_keeps_a_plausible_date(episode):
    EpisodeOfCare.objects.filter(pk=episode.pk).update(opened_on=datetime.date(1900, 1, 1))
    assert EpisodeOfCare.objects.get(pk=episode.pk).opened_on == datetime.date(1900, 1, 1)


# --- Forms, models, services and the API refuse with a message ------------------------------------


def test_an_assessment_in_year_1_is_refused_by_the_form_and_the_model(episode, clinician):
    form = StartAssessmentForm({"kind": "initial", "assessed_on": "0001-01-01"})
    assert form.errors["assessed_on"] == ["Check the year: the date is before 1900."]
    with pytest.raises(ValidationError) as refused:
        Assessment(episode=episode, clinician=clinician, assessed_on=YEAR_1).full_clean()
    assert "assessed_on" in refused.value.message_dict


def test_an_episode_opened_in_year_138_is_refused(episode):
    form = EpisodeForm(
        {"presenting_complaint": "Hip pain", "lead_clinician": episode.lead_clinician_id, "opened_on": "0138-05-01"},
        user=episode.lead_clinician,
    )
    assert form.errors["opened_on"] == ["Check the year: the date is before 1900."]


def test_a_visit_in_year_9999_is_refused_before_any_arithmetic(episode, clinician, front_desk):
    with pytest.raises(ValidationError) as refused:
        scheduling_services.appointment_book(
            actor=front_desk,
            episode=episode,
            clinician=clinician,
            starts_at=datetime.datetime(9999, 12, 31, 23, 30, tzinfo=datetime.UTC),
        )
    assert refused.value.message_dict["starts_at"] == ["Check the year: the date is more than 5 years ahead."]


def test_the_api_refuses_a_visit_in_year_1(client, front_desk, episode, clinician):
    client.force_login(front_desk, backend=STAFF_BACKEND)
    response = client.post(
        "/api/appointments/",
        {"episode": episode.pk, "clinician": clinician.pk, "starts_at": "0001-01-01T09:00:00Z"},
        content_type="application/json",
    )
    assert response.status_code == 400
    assert "Check the year" in response.json()["starts_at"][0]


def test_time_off_in_year_1_is_refused(clinician):
    off = TimeOff(clinician=clinician, starts_at=_moment(YEAR_1), ends_at=_moment(datetime.date(1, 1, 3)))
    with pytest.raises(ValidationError) as refused:
        off.full_clean()
    assert "starts_at" in refused.value.message_dict


def test_a_race_date_years_ahead_is_refused():
    far = (timezone.localdate() + datetime.timedelta(days=366 * 6)).isoformat()
    form = RunningForm({"goal_race_date": far})
    form.is_valid()
    assert form.errors["goal_race_date"] == ["Check the year: the date is more than 5 years ahead."]
