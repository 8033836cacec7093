"""Every discharge goes through the discharge summary (reason, summary, follow-up): the episode's edit
form and API refuse to discharge on their own, an episode discharged with a summary keeps its status
and date, and only an episode closed before summaries existed is reopened or redated there."""

from __future__ import annotations

import datetime

import pytest

from clinic.models import AuditEvent, EpisodeOfCare, EpisodeStatus
from clinic.services import DISCHARGE_WITH_SUMMARY, SUMMARY_STAYS
from notes import discharge

STAFF_BACKEND = "clinic.backends.StaffBackend"


def _login(client, user):
    client.force_login(user, backend=STAFF_BACKEND)
    return client


@pytest.fixture
def dated_episode(episode):
    EpisodeOfCare.objects.filter(pk=episode.pk).update(opened_on=datetime.date(2024, 3, 10))
    return EpisodeOfCare.objects.get(pk=episode.pk)


@pytest.fixture
def closed_episode(dated_episode):
    EpisodeOfCare.objects.filter(pk=dated_episode.pk).update(status="discharged", closed_on=datetime.date(2024, 3, 20))
    return EpisodeOfCare.objects.get(pk=dated_episode.pk)


@pytest.fixture
def summarised_episode(dated_episode, clinician):
    discharge.discharge_episode(actor=clinician, episode=dated_episode, reason="goals_met")
    return EpisodeOfCare.objects.get(pk=dated_episode.pk)


def _form(episode, **changes) -> dict:
    return {
        "presenting_complaint": "Hip pain on long runs",
        "lead_clinician": episode.lead_clinician_id,
        "opened_on": episode.opened_on.isoformat(),
        **changes,
    }


def _patch(client, user, episode, body):
    return _login(client, user).patch(f"/api/episodes/{episode.pk}/", body, content_type="application/json")


@pytest.mark.parametrize("who", ["clinician", "front_desk"])
def test_an_open_episodes_edit_form_offers_no_discharge_and_says_where_it_is(client, request, dated_episode, who):
    user = request.getfixturevalue(who)
    html = _login(client, user).get(f"/episodes/{dated_episode.pk}/edit/").content.decode()
    assert 'name="status"' not in html
    assert 'name="closed_on"' not in html
    assert "discharged with a discharge summary" in html

    response = client.post(f"/episodes/{dated_episode.pk}/edit/", _form(dated_episode, status="discharged"))

    assert response.status_code == 302
    saved = EpisodeOfCare.objects.get(pk=dated_episode.pk)
    assert (saved.status, saved.closed_on) == (EpisodeStatus.OPEN, None)
    assert saved.presenting_complaint == "Hip pain on long runs"


def test_the_episode_page_offers_edit_and_a_discharge_with_a_summary(client, clinician, dated_episode):
    html = _login(client, clinician).get(f"/episodes/{dated_episode.pk}/").content.decode()
    assert "Edit episode</a>" in html
    assert "Edit or discharge" not in html
    assert f'href="/episodes/{dated_episode.pk}/discharge/"' in html


@pytest.mark.parametrize("body", [{"status": "discharged"}, {"status": "discharged", "closed_on": "2024-03-20"}])
@pytest.mark.parametrize("who", ["clinician", "front_desk"])
def test_the_api_refuses_to_discharge_an_open_episode(client, request, dated_episode, who, body):
    response = _patch(client, request.getfixturevalue(who), dated_episode, body)

    assert response.status_code == 400
    assert response.json()["status"] == [DISCHARGE_WITH_SUMMARY]
    saved = EpisodeOfCare.objects.get(pk=dated_episode.pk)
    assert (saved.status, saved.closed_on) == (EpisodeStatus.OPEN, None)
    assert not AuditEvent.objects.filter(action="episode.updated").exists()


def test_an_episode_closed_before_summaries_is_reopened_on_the_form(client, clinician, closed_episode):
    html = _login(client, clinician).get(f"/episodes/{closed_episode.pk}/edit/").content.decode()
    assert 'name="status"' in html

    response = client.post(f"/episodes/{closed_episode.pk}/edit/", _form(closed_episode, status="open"))

    assert response.status_code == 302
    saved = EpisodeOfCare.objects.get(pk=closed_episode.pk)
    assert (saved.status, saved.closed_on) == (EpisodeStatus.OPEN, None)
    event = AuditEvent.objects.get(action="episode.updated")
    assert event.changed_fields == ["closed_on", "presenting_complaint", "status"]


def test_an_episode_closed_before_summaries_is_redated_through_the_api(client, front_desk, closed_episode):
    response = _patch(client, front_desk, closed_episode, {"closed_on": "2024-03-25"})

    assert response.status_code == 200, response.content
    assert EpisodeOfCare.objects.get(pk=closed_episode.pk).closed_on == datetime.date(2024, 3, 25)


def test_an_episode_discharged_with_a_summary_keeps_its_status_and_date(client, clinician, summarised_episode):
    before = EpisodeOfCare.objects.filter(pk=summarised_episode.pk).values("status", "closed_on").get()
    html = _login(client, clinician).get(f"/episodes/{summarised_episode.pk}/edit/").content.decode()
    assert 'name="status"' not in html
    assert 'name="closed_on"' not in html

    reopened = _patch(client, clinician, summarised_episode, {"status": "open"})
    redated = _patch(client, clinician, summarised_episode, {"closed_on": "2024-03-11"})

    assert reopened.status_code == redated.status_code == 400
    assert reopened.json()["status"] == [SUMMARY_STAYS]
    assert redated.json()["closed_on"] == ["The closing date is the discharge summary's date."]
    assert EpisodeOfCare.objects.filter(pk=summarised_episode.pk).values("status", "closed_on").get() == before

    renamed = _patch(client, clinician, summarised_episode, {"presenting_complaint": "Right hip pain"})
    assert renamed.status_code == 200
    assert EpisodeOfCare.objects.get(pk=summarised_episode.pk).presenting_complaint == "Right hip pain"
