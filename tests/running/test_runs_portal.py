"""The runner's pages: phase and next session, a run logged by hand (kept input on errors, no 500
on hostile input), how a file run felt, the next-morning pain; another patient's run is 404;
reads audited; the portal home links here only when there is something to show."""

from __future__ import annotations

import datetime

import pytest

from clinic.models import AuditEvent
from running.models import Run, RunSource
from tests.factories import EpisodeFactory, PatientFactory
from tests.running import runs_fixtures
from tests.running.runs_fixtures import local_today, log, portal_path

pytestmark = pytest.mark.django_db

run_episode = runs_fixtures.run_episode
return_to_run = runs_fixtures.return_to_run


def _page(response) -> str:
    return " ".join(response.content.decode().split())


def _form(**changes) -> dict:
    data = {
        "local_date": "",
        "start_time": "07:15",
        "distance_km": "1.61",
        "duration": "22:30",
        "pain_before": "1",
        "pain_during": "2",
        "rpe": "3",
        "swelling_or_stiffness": "no",
        "note": "Easy loop",
    }
    data.update(changes)
    return data


def test_the_runs_page_shows_the_phase_and_next_session_in_plain_words(client, return_to_run):
    page = _page(client.get(f"{portal_path(return_to_run.episode.patient)}runs/"))
    assert "Your return to running: phase 1" in page
    assert "walk 2 min, then run 3 min, and repeat" in page
    assert "1.61 km in all" in page
    assert "at an effort of about 3 out of 10" in page
    assert "No runs logged yet." in page


def test_logging_a_run_by_hand_saves_it_and_opens_its_page(client, return_to_run):
    patient = return_to_run.episode.patient
    runs_url = f"{portal_path(patient)}runs/"
    day = local_today(patient.clinic) - datetime.timedelta(days=1)
    response = client.post(runs_url, _form(local_date=day.isoformat()))
    run = Run.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"{runs_url}{run.pk}/"
    assert (run.local_date, run.distance_m, run.moving_s, run.pain_during, run.rpe) == (day, 1610, 1350, 2, 3)
    assert (run.swelling_or_stiffness, run.note, run.phase, run.protocol_planned) == (False, "Easy loop", 1, True)
    page = _page(client.get(runs_url))
    assert f"{day:%A} {day.day} {day:%B %Y}" in page
    assert "1.61 km in 22:30, pain 2/10" in page
    assert "Next-morning pain not given yet" in page


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"local_date": "2999-01-01"}, "The day of the run cannot be in the future."),
        ({"local_date": "1900-01-01"}, "The day of the run cannot be before your care began"),
        ({"local_date": "not a day"}, "Enter a valid date."),
        ({"distance_km": "0"}, "greater than or equal to 0.01"),
        ({"distance_km": "1.234"}, "no more than 2 decimal places"),
        ({"distance_km": "abc"}, "Enter a number."),
        ({"duration": "ninety"}, "The time could not be read."),
        ({"duration": "25:00:00"}, "The time could not be read."),
        ({"pain_during": "11"}, "Select a valid choice."),
        ({"rpe": ""}, "This field is required."),
        ({"swelling_or_stiffness": "maybe"}, "Select a valid choice."),
        ({"note": "Fine\x00"}, "invisible control character"),
        ({"note": "x" * 2001}, "at most 2000 characters"),
    ],
)
def test_bad_input_is_refused_with_its_message_and_what_was_typed_kept(client, run_episode, changes, message):
    data = {**_form(local_date=local_today(run_episode.patient.clinic).isoformat()), **changes}
    response = client.post(f"{portal_path(run_episode.patient)}runs/", data)
    page = _page(response)
    assert response.status_code == 400
    assert message in page
    assert 'value="Easy loop"' in page or "Easy loop</textarea>" in page or "note" in changes
    assert 'aria-describedby="' in page
    assert not Run.objects.exists()


def test_a_hostile_post_gives_no_500(client, run_episode):
    url = f"{portal_path(run_episode.patient)}runs/"
    hostile = (
        {},
        {"local_date": ["a", "b"]},
        {"distance_km": "-" * 5000, "duration": "\x00"},
        {"distance_km": "1e400", "start_time": "25:99"},
    )
    for data in hostile:
        assert client.post(url, data).status_code == 400


def test_a_file_run_asks_how_it_felt_and_keeps_it_editable_until_the_morning_answer(client, run_episode):
    patient = run_episode.patient
    run = Run.objects.create(
        episode=run_episode,
        source=RunSource.FILE,
        started_at=datetime.datetime.now(tz=datetime.UTC) - datetime.timedelta(hours=3),
        local_date=local_today(patient.clinic),
        distance_m=5000,
        moving_s=1800,
    )
    url = f"{portal_path(patient)}runs/{run.pk}/"
    assert "How did it feel?" in _page(client.get(url))
    response = client.post(
        url, {"pain_before": "1", "pain_during": "3", "rpe": "4", "swelling_or_stiffness": "yes", "note": ""}
    )
    assert response.status_code == 302
    run.refresh_from_db()
    assert (run.pain_during, run.rpe, run.swelling_or_stiffness) == (3, 4, True)
    assert "Change how it felt" in _page(client.get(url))
    assert client.post(f"{url}morning/", {"morning_pain": "2"}).status_code == 302
    run.refresh_from_db()
    assert run.morning_pain == 2
    page = _page(client.get(url))
    assert "Change how it felt" not in page
    assert "2/10" in page
    client.post(url, {"pain_before": "2", "pain_during": "9", "rpe": "9", "swelling_or_stiffness": "no"})
    run.refresh_from_db()
    assert run.pain_during == 3


def test_the_morning_answer_is_taken_once(client, run_episode):
    run = log(run_episode)
    url = f"{portal_path(run_episode.patient)}runs/{run.pk}/morning/"
    assert client.post(url, {"morning_pain": "11"}).status_code == 400
    assert client.post(url, {"morning_pain": "1"}).status_code == 302
    assert client.post(url, {"morning_pain": "5"}).status_code == 302
    run.refresh_from_db()
    assert run.morning_pain == 1
    assert "You already answered: pain 1/10." in _page(client.get(url))


def test_another_patients_run_is_404_on_every_page(client, run_episode):
    other = EpisodeFactory(patient=PatientFactory(clinic=run_episode.patient.clinic))
    other.opened_on = run_episode.opened_on
    other.save()
    theirs = log(other)
    portal = portal_path(run_episode.patient)
    for suffix in (f"runs/{theirs.pk}/", f"runs/{theirs.pk}/morning/"):
        assert client.get(f"{portal}{suffix}").status_code == 404
        assert client.post(f"{portal}{suffix}", {"morning_pain": "1"}).status_code == 404
    theirs.refresh_from_db()
    assert theirs.morning_pain is None
    assert theirs.note not in _page(client.get(f"{portal}runs/")) or theirs.note == ""


def test_reads_are_audited_without_an_actor(client, run_episode):
    run = log(run_episode)
    portal = portal_path(run_episode.patient)
    client.get(f"{portal}runs/")
    client.get(f"{portal}runs/{run.pk}/")
    listed = AuditEvent.objects.get(action="run.listed_by_patient")
    viewed = AuditEvent.objects.get(action="run.viewed_by_patient")
    assert (listed.actor, listed.patient_id) == (None, run_episode.patient_id)
    assert (viewed.actor, viewed.object_id) == (None, run.pk)


def test_the_log_is_paginated(client, run_episode):
    for days_ago in range(12):
        log(run_episode, days_ago=days_ago + 3)
    url = f"{portal_path(run_episode.patient)}runs/"
    assert "Page 1 of 2" in _page(client.get(url))
    assert "Page 2 of 2" in _page(client.get(f"{url}?page=2"))
    assert client.get(f"{url}?page=abc").status_code == 200


def test_the_portal_home_links_to_the_runs_page_only_with_a_plan_or_runs(client, run_episode):
    portal = portal_path(run_episode.patient)
    assert "Your runs: log a run" not in _page(client.get(portal))
    log(run_episode)
    assert f'href="{portal}runs/"' in _page(client.get(portal))


def test_without_an_open_episode_nothing_can_be_logged(client, run_episode):
    run_episode.status, run_episode.closed_on = "discharged", local_today(run_episode.patient.clinic)
    run_episode.save()
    url = f"{portal_path(run_episode.patient)}runs/"
    assert "runs cannot be logged here" in _page(client.get(url))
    assert client.post(url, _form()).status_code == 404
