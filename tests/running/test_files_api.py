"""/api/run-files/: clinicians read the files' metadata, upload on a runner's behalf, decide."""

from __future__ import annotations

import pytest
from django.urls import reverse

from clinic.models import AuditEvent
from running.models import Run, RunFile, RunFileStatus
from running.services import uploads
from tests.running.files_fixtures import fit_upload, gpx, upload

LIST = "/api/run-files/"


@pytest.fixture
def eager(settings):
    settings.CELERY_TASK_ALWAYS_EAGER = True


def post_file(client, data, callbacks):
    with callbacks(execute=True):
        return client.post(LIST, data)


def test_a_clinician_uploads_on_the_runners_behalf(
    client, clinician, episode, eager, django_capture_on_commit_callbacks
):
    client.force_login(clinician)
    response = post_file(client, {"episode": episode.pk, "file": fit_upload()}, django_capture_on_commit_callbacks)
    assert response.status_code == 201, response.content
    row = RunFile.objects.get()
    assert row.uploaded_by == clinician
    body = client.get(f"{LIST}{row.pk}/").json()
    assert body["status"] == "parsed"
    assert body["metrics"]["distance_m"] == 1800
    assert "file" not in body
    assert AuditEvent.objects.filter(action="run_file.viewed", object_id=row.pk).exists()


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"file": ("run.txt", b"x")}, "file"),
        ({"file": ("run.fit", b"<gpx/>")}, "file"),
        ({"file": ("run.fit", b"")}, "file"),
        ({"episode": "nope"}, "episode"),
        ({"episode": 10**9}, "episode"),
    ],
)
def test_bad_uploads_are_400_with_field_messages(
    client, clinician, episode, data, field, django_capture_on_commit_callbacks
):
    client.force_login(clinician)
    payload = {"episode": episode.pk, "file": fit_upload()}
    if "file" in data:
        payload["file"] = upload(*data["file"])
    if "episode" in data:
        payload["episode"] = data["episode"]
    response = post_file(client, payload, django_capture_on_commit_callbacks)
    assert response.status_code == 400
    assert field in response.json()


def test_another_clinics_episode_is_unknown(client, clinician, foreign_episode, django_capture_on_commit_callbacks):
    client.force_login(clinician)
    response = post_file(
        client, {"episode": foreign_episode.pk, "file": fit_upload()}, django_capture_on_commit_callbacks
    )
    assert response.status_code == 400
    assert not RunFile.objects.exists()


def test_json_instead_of_a_file_is_a_400(client, clinician, episode):
    client.force_login(clinician)
    response = client.post(LIST, {"episode": episode.pk, "file": [1, 2]}, content_type="application/json")
    assert response.status_code == 400


def test_the_exact_same_file_is_refused(client, clinician, episode, eager, django_capture_on_commit_callbacks):
    client.force_login(clinician)
    post_file(client, {"episode": episode.pk, "file": fit_upload()}, django_capture_on_commit_callbacks)
    response = post_file(client, {"episode": episode.pk, "file": fit_upload()}, django_capture_on_commit_callbacks)
    assert response.status_code == 400
    assert response.json()["file"] == [uploads.EXACT_DUPLICATE]


def test_deciding_a_probable_duplicate(client, clinician, episode, eager, django_capture_on_commit_callbacks):
    client.force_login(clinician)
    post_file(client, {"episode": episode.pk, "file": fit_upload()}, django_capture_on_commit_callbacks)
    post_file(client, {"episode": episode.pk, "file": upload("run.gpx", gpx())}, django_capture_on_commit_callbacks)
    row = RunFile.objects.get(kind="gpx")
    assert row.status == RunFileStatus.PROBABLE_DUPLICATE
    listed = client.get(LIST, {"status": "probable_duplicate"}).json()
    assert [item["id"] for item in listed["results"]] == [row.pk]
    assert (
        client.post(f"{LIST}{row.pk}/decide/", {"decision": "maybe"}, content_type="application/json").status_code
        == 400
    )
    response = client.post(f"{LIST}{row.pk}/decide/", {"decision": "same"}, content_type="application/json")
    assert response.json()["status"] == "duplicate"
    again = client.post(f"{LIST}{row.pk}/decide/", {"decision": "different"}, content_type="application/json")
    assert again.status_code == 400
    assert Run.objects.count() == 1


@pytest.mark.parametrize("role", ["front_desk", "clinic_admin"])
def test_other_roles_are_forbidden(client, request, role, episode, django_capture_on_commit_callbacks):
    client.force_login(request.getfixturevalue(role))
    assert client.get(LIST).status_code == 403
    assert (
        post_file(client, {"episode": episode.pk, "file": fit_upload()}, django_capture_on_commit_callbacks).status_code
        == 403
    )


def test_another_clinics_file_is_not_found(client, clinician, foreign_episode, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        other = uploads.receive_file(foreign_episode, fit_upload())
    client.force_login(clinician)
    assert client.get(f"{LIST}{other.pk}/").status_code == 404
    assert client.get(LIST).json()["results"] == []


def test_the_schema_names_the_endpoints(client, clinician):
    client.force_login(clinician)
    schema = client.get(reverse("api-schema")).content.decode()
    assert "/api/run-files/{id}/decide/" in schema
