"""The booking form of a slot: a search shows no error of fields not yet filled in, the one
episode found is chosen, the visit type starts sensibly, and bad input on "Book visit" is a
message beside its field with what was typed kept, never a server error."""

from __future__ import annotations

import datetime
import re
import zoneinfo

import pytest
from django.urls import reverse
from django.utils import timezone

from clinic.models import Patient
from clinic.scheduling import rules
from clinic.scheduling.models import Appointment, AppointmentStatus, WorkingHours
from tests.factories import AppointmentFactory, EpisodeFactory

CHICAGO = zoneinfo.ZoneInfo("America/Chicago")


@pytest.fixture
def url(clinician):
    for weekday in range(7):
        WorkingHours.objects.create(clinician=clinician, weekday=weekday, start=datetime.time(8), end=datetime.time(17))
    day = timezone.localdate(timezone.now(), CHICAGO) + datetime.timedelta(days=1)
    start = datetime.datetime.combine(day, datetime.time(10), tzinfo=CHICAGO)
    return f"{reverse('schedule_book')}?clinician={clinician.pk}&start={start.isoformat()}"


def _tag(html: str, name: str, value) -> str:
    """The input or option of ``name`` with ``value``."""
    if name == "kind":
        return re.search(rf'<option value="{value}"[^>]*>', html).group(0)
    return re.search(rf'<input type="radio" name="{name}" value="{value}"[^>]*>', html).group(0)


@pytest.mark.parametrize(("visits", "expected"), [(0, "initial"), (1, "follow_up"), (7, "follow_up")])
def test_default_visit_kind(visits, expected):
    assert rules.default_visit_kind(visits) == expected


@pytest.mark.parametrize("visits", [-1, True, 1.0, None])
def test_default_visit_kind_refuses_impossible_counts(visits):
    with pytest.raises(ValueError, match="visits_in_episode"):
        rules.default_visit_kind(visits)


def test_a_search_shows_no_error_and_chooses_the_one_episode_found(client, front_desk, episode, url):
    client.force_login(front_desk)
    html = client.post(url, {"q": episode.patient.last_name, "search": ""}).content.decode()
    assert "Please correct" not in html
    assert "field-error" not in html
    assert "checked" in _tag(html, "episode", episode.pk)
    # No visit yet in the episode: its first is the initial evaluation.
    assert "selected" in _tag(html, "kind", "initial")


def test_an_episode_with_visits_starts_as_a_follow_up(client, front_desk, episode, clinician, url):
    AppointmentFactory(episode=episode, clinician=clinician)
    client.force_login(front_desk)
    html = client.post(url, {"q": episode.patient.last_name, "search": ""}).content.decode()
    assert "selected" in _tag(html, "kind", "follow_up")
    assert "selected" not in _tag(html, "kind", "initial")


def test_a_cancelled_visit_does_not_count(client, front_desk, episode, clinician, url):
    AppointmentFactory(episode=episode, clinician=clinician, status=AppointmentStatus.CANCELLED, cancel_reason="Ill")
    client.force_login(front_desk)
    html = client.post(url, {"q": episode.patient.last_name, "search": ""}).content.decode()
    assert "selected" in _tag(html, "kind", "initial")


def test_several_episodes_found_none_is_chosen(client, front_desk, clinic, episode, url):
    other = EpisodeFactory(patient__clinic=clinic, patient__last_name=episode.patient.last_name)
    client.force_login(front_desk)
    html = client.post(url, {"q": episode.patient.last_name, "search": ""}).content.decode()
    assert "checked" not in _tag(html, "episode", episode.pk)
    assert "checked" not in _tag(html, "episode", other.pk)
    assert "selected" in _tag(html, "kind", "follow_up")


def test_booking_without_an_episode_says_so_beside_it_and_keeps_what_was_typed(client, front_desk, episode, url):
    client.force_login(front_desk)
    response = client.post(
        url, {"q": episode.patient.last_name, "kind": "reassessment", "override_reason": "Asked by phone", "book": ""}
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert 'id="id_episode_errors"' in html
    assert "Choose the patient&#x27;s episode of care." in html
    assert f'value="{episode.patient.last_name}"' in html
    assert "selected" in _tag(html, "kind", "reassessment")
    assert 'value="Asked by phone"' in html
    assert not Appointment.objects.exists()


@pytest.mark.parametrize(
    ("fields", "field", "shown"),
    [
        ({"episode": ""}, "episode", "Choose the patient&#x27;s episode of care."),
        ({"episode": "abc"}, "episode", "choose one of their open episodes"),
        ({"episode": "1\x00"}, "episode", "choose one of their open episodes"),
        ({"episode": "9" * 5000}, "episode", "choose one of their open episodes"),
        ({"episode": "foreign"}, "episode", "choose one of their open episodes"),
        ({"kind": ""}, "kind", "Choose the type of visit."),
        ({"kind": "surgery"}, "kind", "Choose one of the visit types."),
        ({"override_reason": "Asked\x00"}, "override_reason", "control character"),
        ({"override_reason": "x" * 100_000}, "override_reason", "at most 200 characters"),
    ],
)
def test_bad_input_on_book_is_a_field_error(client, front_desk, episode, foreign_episode, url, fields, field, shown):
    # A name no other text on the page can hold (a random surname may be someone's first name).
    Patient.objects.filter(pk=foreign_episode.patient_id).update(last_name="Zebraquail")
    data = {"q": episode.patient.last_name, "episode": episode.pk, "kind": "follow_up", "book": "", **fields}
    if data["episode"] == "foreign":
        data["episode"] = foreign_episode.pk
    client.force_login(front_desk)
    response = client.post(url, data)
    html = response.content.decode()
    assert response.status_code == 200
    assert f'id="id_{field}_errors"' in html
    assert shown in html
    assert "Zebraquail" not in html
    assert not Appointment.objects.exists()


@pytest.mark.parametrize("q", ["Smith\x00", "x" * 100_000])
def test_a_hostile_search_is_an_error_beside_it(client, front_desk, episode, url, q):
    client.force_login(front_desk)
    for step in ("search", "book"):
        response = client.post(url, {"q": q, "episode": episode.pk, "kind": "follow_up", step: ""})
        assert response.status_code == 200
        assert 'id="id_q_errors"' in response.content.decode()
    assert not Appointment.objects.exists()


def test_another_clinics_patient_is_never_found(client, front_desk, episode, foreign_episode, url):
    client.force_login(front_desk)
    html = client.post(url, {"q": foreign_episode.patient.last_name, "search": ""}).content.decode()
    assert foreign_episode.patient.full_name not in html
    assert f'value="{foreign_episode.pk}"' not in html


def test_the_chosen_episode_is_booked_with_the_chosen_type(
    client, front_desk, episode, url, django_capture_on_commit_callbacks
):
    client.force_login(front_desk)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            url, {"q": episode.patient.last_name, "episode": episode.pk, "kind": "initial", "book": ""}
        )
    assert response.status_code == 302
    assert Appointment.objects.get().kind == "initial"


@pytest.mark.parametrize(
    "query",
    [
        "",
        "?start=2026-12-04T10:00",
        "?clinician=abc&start=2026-12-04T10:00",
        "?clinician=1%00&start=2026-12-04T10:00",
        "?clinician=99999999999999999999&start=2026-12-04T10:00",
        "?clinician={clinician}",
        "?clinician={clinician}&start=tomorrow",
        "?clinician={foreign}&start=2026-12-04T10:00",
    ],
    ids=["nothing", "no-clinician", "letters", "nul", "huge", "no-start", "bad-start", "other-clinic"],
)
def test_a_booking_address_without_a_usable_slot_goes_back_to_the_day_view(
    client, front_desk, clinician, foreign_episode, query
):
    client.force_login(front_desk)
    query = query.format(clinician=clinician.pk, foreign=foreign_episode.lead_clinician_id)

    response = client.get(reverse("schedule_book") + query, follow=True)

    assert response.redirect_chain[0] == (reverse("schedule_day"), 302)
    assert "Choose a free slot on the day view." in response.content.decode()
