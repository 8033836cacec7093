"""The runner's upload pages (portal link) and the clinician's panel on the episode page."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from django.urls import reverse

from clinic.models import AuditEvent
from clinic.permissions import Role
from clinic.portal import services as portal_services
from running.models import Run, RunFile, RunFileStatus
from running.services import uploads
from tests.factories import UserFactory
from tests.running.files_fixtures import fit_upload, gpx, upload


@pytest.fixture
def eager(settings):
    settings.CELERY_TASK_ALWAYS_EAGER = True


def token_for(patient) -> str:
    return urlsplit(portal_services.link_issue(patient=patient)).path.rstrip("/").rsplit("/", 1)[-1]


@pytest.fixture
def token(episode):
    return token_for(episode.patient)


def post_file(client, token, file, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        return client.post(reverse("portal_run_upload", args=[token]), {"file": file})


def test_the_upload_page_is_phone_first_and_accepts_the_three_kinds(client, token):
    html = client.get(reverse("portal_run_upload", args=[token])).content.decode()
    assert 'accept=".fit,.gpx,.tcx"' in html
    assert 'enctype="multipart/form-data"' in html
    assert "No files yet." in html


def test_uploading_a_fit_file_adds_the_run(client, token, episode, eager, django_capture_on_commit_callbacks):
    response = post_file(client, token, fit_upload(), django_capture_on_commit_callbacks)
    row = RunFile.objects.get()
    assert response.url == reverse("portal_run_upload_status", args=[token, row.pk])
    page = client.get(response.url).content.decode()
    assert "Read: run added" in page
    assert "1800 m" in page
    assert Run.objects.get().episode == episode
    assert AuditEvent.objects.filter(action="run_file.viewed_by_patient", object_id=row.pk).exists()


@pytest.mark.parametrize(
    ("file", "words"),
    [
        (upload("run.txt", b"hello"), "Choose a FIT, TCX or GPX file"),
        (upload("run.fit", b"<gpx></gpx>"), "is not a FIT file"),
        (upload("run.fit", b""), "empty"),
    ],
)
def test_refused_files_say_why_on_the_form(client, token, file, words, django_capture_on_commit_callbacks):
    response = post_file(client, token, file, django_capture_on_commit_callbacks)
    assert response.status_code == 400
    html = response.content.decode()
    assert words in html
    assert 'class="error-summary"' in html
    assert not RunFile.objects.exists()


def test_a_file_over_the_limit_is_refused_on_the_form(client, token, settings, django_capture_on_commit_callbacks):
    settings.RUN_FILE_MAX_BYTES = 2048
    response = post_file(client, token, fit_upload(), django_capture_on_commit_callbacks)
    assert response.status_code == 400
    assert "larger than" in response.content.decode()


def test_the_same_file_twice_is_refused(client, token, eager, django_capture_on_commit_callbacks):
    post_file(client, token, fit_upload(), django_capture_on_commit_callbacks)
    response = post_file(client, token, fit_upload("again.fit"), django_capture_on_commit_callbacks)
    assert response.status_code == 400
    assert "already uploaded this exact file" in response.content.decode()


def test_a_failed_file_tells_the_runner_why(client, token, eager, django_capture_on_commit_callbacks):
    response = post_file(client, token, upload("run.gpx", gpx(times=False)), django_capture_on_commit_callbacks)
    html = client.get(response.url).content.decode()
    assert "Could not be read" in html
    assert "no times" in html


def test_a_gpx_without_positions_asks_for_the_distance(client, token, eager, django_capture_on_commit_callbacks):
    response = post_file(client, token, upload("run.gpx", gpx(positions=False)), django_capture_on_commit_callbacks)
    status_url = response.url
    html = client.get(status_url).content.decode()
    assert 'name="distance_km"' in html
    refused = client.post(status_url, {"distance_km": "nine"})
    assert refused.status_code == 400
    assert 'value="nine"' in refused.content.decode()
    assert client.post(status_url, {"distance_km": "5.25"}).status_code == 302
    assert Run.objects.get().distance_m == 5250


def test_a_link_opens_only_its_own_patients_files(
    client, token, foreign_episode, eager, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        other = uploads.receive_file(foreign_episode, fit_upload())
    response = client.get(reverse("portal_run_upload_status", args=[token, other.pk]))
    assert response.status_code == 404


def test_a_bad_link_opens_nothing(client):
    assert client.get(reverse("portal_run_upload", args=["not-a-token"])).status_code == 404


def test_a_patient_without_an_open_episode_sees_why(client, episode, django_capture_on_commit_callbacks):
    episode.status, episode.closed_on = "discharged", episode.opened_on
    episode.save()
    token = token_for(episode.patient)
    assert "no open course of care" in client.get(reverse("portal_run_upload", args=[token])).content.decode()
    post_file(client, token, fit_upload(), django_capture_on_commit_callbacks)
    assert not RunFile.objects.exists()


@pytest.fixture
def probable(episode, eager, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        uploads.receive_file(episode, fit_upload())
    with django_capture_on_commit_callbacks(execute=True):
        row = uploads.receive_file(episode, upload("run.gpx", gpx()))
    row.refresh_from_db()
    assert row.status == RunFileStatus.PROBABLE_DUPLICATE
    return row


def test_the_clinician_sees_and_decides_a_probable_duplicate(client, clinician, episode, probable):
    client.force_login(clinician)
    html = client.get(reverse("episode_detail", args=[episode.pk])).content.decode()
    assert "Same run: discard the new one" in html
    assert "Different runs: keep both" in html
    response = client.post(reverse("run_file_decide", args=[probable.pk]), {"decision": "different"})
    assert response.status_code == 302
    probable.refresh_from_db()
    assert probable.status == RunFileStatus.PARSED
    assert Run.objects.count() == 2


@pytest.mark.parametrize("role", ["front_desk", "clinic_admin"])
def test_only_clinicians_see_or_decide(client, request, role, episode, probable):
    client.force_login(request.getfixturevalue(role))
    html = client.get(reverse("episode_detail", args=[episode.pk])).content.decode()
    assert "Runner's device files" not in html
    assert client.post(reverse("run_file_decide", args=[probable.pk]), {"decision": "same"}).status_code == 403
    probable.refresh_from_db()
    assert probable.status == RunFileStatus.PROBABLE_DUPLICATE


def test_another_clinics_clinician_gets_404(client, other_clinic, probable):
    stranger = UserFactory(clinic=other_clinic, roles=[Role.CLINICIAN])
    client.force_login(stranger)
    assert client.post(reverse("run_file_decide", args=[probable.pk]), {"decision": "same"}).status_code == 404


def test_a_nonsense_decision_changes_nothing(client, clinician, probable):
    client.force_login(clinician)
    client.post(reverse("run_file_decide", args=[probable.pk]), {"decision": "maybe\x00"})
    probable.refresh_from_db()
    assert probable.status == RunFileStatus.PROBABLE_DUPLICATE


def test_the_portal_home_links_to_the_upload_once_the_patient_runs(
    client, token, episode, eager, django_capture_on_commit_callbacks
):
    upload_path = reverse("portal_run_upload", args=[token])
    assert upload_path not in client.get(reverse("portal_home", args=[token])).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        uploads.receive_file(episode, fit_upload())
    assert upload_path in client.get(reverse("portal_home", args=[token])).content.decode()
