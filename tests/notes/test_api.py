"""The visit-note API: open, read, edit, sign and add addenda through the services, clinicians of
the visit's clinic only; the front desk reads a visit's note state and nothing of its content;
every read audited; bad input a 400 naming the field."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from clinic import api_tokens
from clinic.models import AuditEvent
from notes import services
from notes.models import NoteAddendum, NoteItem, VisitNote
from tests.factories import AppointmentFactory, EpisodeFactory, UserFactory
from tests.notes.conftest import COMPLETE, complete
from tests.plans.helpers import api_client

# A word no other row holds: its absence from a response shows no note content reached it.
SECRET = "Zebraquail"


@pytest.fixture
def api(clinician):
    return api_client(clinician)


@pytest.fixture
def note(clinician, visit) -> VisitNote:
    return services.note_open(actor=clinician, appointment=visit)


def signed(note: VisitNote, clinician) -> VisitNote:
    complete(note, clinician)
    return services.note_sign(actor=clinician, note=note)


def _later_visit(episode, days: int):
    starts = timezone.now() + datetime.timedelta(days=days, hours=2)
    return AppointmentFactory(episode=episode, starts_at=starts, ends_at=starts + datetime.timedelta(minutes=30))


# --- Opening and reading --------------------------------------------------------------------


def test_opening_a_note_prefills_it_from_the_signed_plan_and_a_second_open_is_the_same_note(api, visit, signed_plan):
    response = api.post("/api/visit-notes/", {"appointment": visit.pk}, format="json")

    assert response.status_code == 201, response.data
    note = VisitNote.objects.get(appointment=visit)
    assert response.data["id"] == note.pk
    assert response.data["state"] == "draft"
    assert (response.data["plan"], response.data["plan_version"]) == (signed_plan.pk, 1)
    assert [(line["prong"], line["name"], line["from_plan"]) for line in response.data["lines"]] == [
        (item.prong.value, item.name, True) for item in signed_plan.versions.get().signed.items
    ]
    assert AuditEvent.objects.filter(action="visit_note.created", object_id=note.pk).count() == 1

    again = api.post("/api/visit-notes/", {"appointment": visit.pk}, format="json")

    assert again.status_code == 200
    assert again.data["id"] == note.pk
    assert VisitNote.objects.count() == 1
    # The first answer was the write (audited as such), the second a read of the note.
    assert AuditEvent.objects.filter(action="visit_note.viewed", object_id=note.pk).count() == 1


def test_another_clinics_visit_cannot_be_opened_and_its_note_is_not_found(api, foreign_episode, other_clinic):
    foreign_visit = AppointmentFactory(episode=foreign_episode)
    foreign_note = services.note_open(actor=foreign_episode.lead_clinician, appointment=foreign_visit)

    opened = api.post("/api/visit-notes/", {"appointment": foreign_visit.pk}, format="json")

    assert opened.status_code == 400
    assert "appointment" in opened.data
    for path in ("", "sign/", "addenda/"):
        method = api.get if path in ("", "addenda/") else api.post
        assert method(f"/api/visit-notes/{foreign_note.pk}/{path}").status_code == 404
    assert api.patch(f"/api/visit-notes/{foreign_note.pk}/", {"function": "x"}, format="json").status_code == 404
    assert api.get("/api/visit-notes/").data["count"] == 0
    assert api.get(f"/api/visit-note-states/{foreign_visit.pk}/").status_code == 404


def test_a_cancelled_visit_has_no_note(api, visit):
    visit.status = "cancelled"
    visit.cancel_reason = "Patient called"
    visit.save()

    response = api.post("/api/visit-notes/", {"appointment": visit.pk}, format="json")

    assert response.status_code == 400
    assert response.data == {"detail": ["A cancelled visit has no note."]}


def test_the_list_filters_by_episode_and_visit_and_audits_each_patient(api, clinician, episode, note, patient):
    other_episode = EpisodeFactory(patient=patient, lead_clinician=clinician)
    other = services.note_open(actor=clinician, appointment=_later_visit(other_episode, 3))

    by_episode = api.get("/api/visit-notes/", {"episode": episode.pk})
    by_visit = api.get("/api/visit-notes/", {"appointment": other.appointment_id})

    assert [row["id"] for row in by_episode.data["results"]] == [note.pk]
    assert [row["id"] for row in by_visit.data["results"]] == [other.pk]
    assert AuditEvent.objects.filter(action="visit_note.listed", patient_id=patient.pk).count() == 2


def test_reading_a_note_and_its_addenda_is_audited(api, clinician, note, patient):
    api.get(f"/api/visit-notes/{note.pk}/")
    signed(note, clinician)
    api.get(f"/api/visit-notes/{note.pk}/addenda/")

    reads = AuditEvent.objects.filter(action="visit_note.viewed", object_id=note.pk, patient_id=patient.pk)
    assert reads.count() == 2


def test_the_list_costs_the_same_queries_for_one_note_or_many(api, clinician, episode, note):
    signed(note, clinician)
    services.addendum_add(actor=clinician, note=note, text="Late entry")
    api.get("/api/visit-notes/")  # warm the permission caches
    with CaptureQueriesContext(connection) as one:
        first = api.get("/api/visit-notes/")
    for days in (2, 3, 4):
        more = services.note_open(actor=clinician, appointment=_later_visit(episode, days))
        NoteItem.objects.create(note=more, prong="exercise", name="Bridge")
    with CaptureQueriesContext(connection) as four:
        second = api.get("/api/visit-notes/")

    assert (first.data["count"], second.data["count"]) == (1, 4)
    assert len(four) == len(one)


# --- Writing ------------------------------------------------------------------------------------


def test_a_patch_saves_the_sections_changes_a_line_and_adds_one(api, note):
    line = note.items.first()

    response = api.patch(
        f"/api/visit-notes/{note.pk}/",
        {
            "pain_now": 2,
            "response": "better",
            "lines": [
                {"id": line.pk, "region": "SIJ R", "minutes": 8},
                {"prong": "soft_tissue", "name": "Gluteal release", "technique": "IASTM", "minutes": 6},
            ],
        },
        format="json",
    )

    assert response.status_code == 200, response.data
    note.refresh_from_db()
    assert (note.pain_now, note.response) == (2, "better")
    line.refresh_from_db()
    assert (line.region, line.minutes, line.technique) == ("SIJ R", 8, "")
    added = note.items.get(name="Gluteal release")
    assert (added.prong, added.technique, added.from_plan) == ("soft_tissue", "IASTM", False)
    assert response.data["lines"][-1]["name"] == "Gluteal release"
    assert AuditEvent.objects.filter(action="visit_note.saved", object_id=note.pk).count() == 1


def test_only_the_author_changes_the_note(clinic, note):
    colleague = UserFactory(clinic=clinic, roles=["Clinician"])

    response = api_client(colleague).patch(f"/api/visit-notes/{note.pk}/", {"function": SECRET}, format="json")

    assert response.status_code == 400
    assert response.data == {"detail": [services.NOT_YOURS]}
    assert VisitNote.objects.get(pk=note.pk).function == ""


def test_a_signed_note_is_not_changed_through_the_api(api, clinician, note):
    signed(note, clinician)
    line = note.items.first()

    changed = api.patch(
        f"/api/visit-notes/{note.pk}/", {"function": SECRET, "lines": [{"id": line.pk, "region": "C1"}]}, format="json"
    )
    signed_again = api.post(f"/api/visit-notes/{note.pk}/sign/")

    assert changed.status_code == 400
    assert changed.data == {"detail": [services.SIGNED_NOTE]}
    assert signed_again.status_code == 400
    assert VisitNote.objects.get(pk=note.pk).function != SECRET
    assert NoteItem.objects.get(pk=line.pk).region == "L4"


def test_signing_names_what_is_missing_then_signs(api, note):
    refused = api.post(f"/api/visit-notes/{note.pk}/sign/")

    assert refused.status_code == 400
    assert refused.data["detail"]
    assert VisitNote.objects.get(pk=note.pk).signed_at is None

    lines = [
        {"id": item.pk, "region": "L4", "technique": "side posture", "sets": 3, "reps": "10", "minutes": 5}
        for item in note.items.all()
    ]
    assert api.patch(f"/api/visit-notes/{note.pk}/", {**COMPLETE, "lines": lines}, format="json").status_code == 200
    response = api.post(f"/api/visit-notes/{note.pk}/sign/")

    assert response.status_code == 200, response.data
    assert response.data["state"] == "signed"
    assert response.data["signed_credentials"] == "DC"
    assert VisitNote.objects.get(pk=note.pk).signed_by_id == response.data["signed_by"]


def test_addenda_follow_a_signature_with_their_own_author(api, clinic, clinician, note):
    before = api.post(f"/api/visit-notes/{note.pk}/addenda/", {"text": "Too early"}, format="json")
    assert before.status_code == 400
    signed(note, clinician)
    colleague = UserFactory(clinic=clinic, roles=["Clinician"])

    added = api_client(colleague).post(
        f"/api/visit-notes/{note.pk}/addenda/", {"text": "Late entry: ice advised."}, format="json"
    )
    listed = api.get(f"/api/visit-notes/{note.pk}/addenda/")

    assert added.status_code == 201, added.data
    assert (added.data["author"], added.data["text"]) == (colleague.pk, "Late entry: ice advised.")
    assert [row["id"] for row in listed.data] == [added.data["id"]]
    assert NoteAddendum.objects.get().note_id == note.pk


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"pain_now": "ten"}, "pain_now"),
        ({"pain_now": 11}, "pain_now"),
        ({"pain_now": [3]}, "pain_now"),
        ({"response": "great"}, "response"),
        ({"function": "Runs\x00 5 km"}, "function"),
        ({"function": "x" * 5000}, "function"),
        ({"function": {"text": "x"}}, "function"),
        ({"total_minutes": 10, "timed_minutes": 20}, "detail"),
        ({"total_minutes": 601}, "total_minutes"),
        ({"lines": "none"}, "lines"),
        ({"lines": [{"prong": "exercise"}]}, "lines"),
        ({"lines": [{"prong": "yoga", "name": "Sun salute"}]}, "lines"),
        ({"lines": [{"id": 999999, "region": "L4"}]}, "lines"),
        ({"lines": [{"id": "first"}]}, "lines"),
        ({"lines": [{"prong": "exercise", "name": "Bridge", "status": "not_done"}]}, "detail"),
        ({"lines": [{"prong": "exercise", "name": "Bridge", "sets": 51}]}, "lines"),
        ({"lines": [{"prong": "exercise", "name": "Bridge", "region": "L" * 500}]}, "lines"),
    ],
)
def test_bad_input_is_a_400_naming_the_field_and_saves_nothing(api, note, body, field):
    before = (VisitNote.objects.filter(pk=note.pk).values().get(), note.items.count())

    response = api.patch(f"/api/visit-notes/{note.pk}/", body, format="json")

    assert response.status_code == 400, response.data
    assert field in response.data
    assert (VisitNote.objects.filter(pk=note.pk).values().get(), note.items.count()) == before


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/api/visit-notes/", ["appointment"]),
        ("/api/visit-notes/", {"appointment": "one"}),
        ("/api/visit-notes/", {"appointment": None}),
        ("/api/visit-notes/{note}/addenda/", {"text": ""}),
        ("/api/visit-notes/{note}/addenda/", {"text": "a\x00b"}),
        ("/api/visit-notes/{note}/addenda/", {"text": "x" * 4001}),
        ("/api/visit-notes/{note}/addenda/", {"text": ["Late", "entry"]}),
        ("/api/visit-notes/{note}/addenda/", {"text": None}),
    ],
)
def test_bad_bodies_of_the_posts_are_400s(api, clinician, note, path, body):
    signed(note, clinician)

    response = api.post(path.format(note=note.pk), body, format="json")

    assert response.status_code == 400, response.data
    assert not NoteAddendum.objects.exists()


# --- Roles: the front desk gets the state only, the clinic admin nothing ------------------------


@pytest.mark.parametrize("role", ["front_desk", "clinic_admin"])
def test_roles_without_clinical_records_get_no_note(request, note, role):
    client = api_client(request.getfixturevalue(role))

    assert client.get("/api/visit-notes/").status_code == 403
    assert client.get(f"/api/visit-notes/{note.pk}/").status_code == 403
    assert client.post("/api/visit-notes/", {"appointment": note.appointment_id}, format="json").status_code == 403
    assert client.post(f"/api/visit-notes/{note.pk}/sign/").status_code == 403


def test_the_front_desk_reads_whether_each_visit_is_noted_and_nothing_else(
    clinician, front_desk, episode, note, patient
):
    complete(note, clinician)
    VisitNote.objects.filter(pk=note.pk).update(function=SECRET)
    note.refresh_from_db()
    services.note_sign(actor=clinician, note=note)
    draft = services.note_open(actor=clinician, appointment=_later_visit(episode, 2))
    bare = _later_visit(episode, 3)
    client = api_client(front_desk)

    listed = client.get("/api/visit-note-states/", {"episode": episode.pk})
    one = client.get(f"/api/visit-note-states/{note.appointment_id}/")

    assert listed.status_code == 200
    assert {row["appointment"]: row["note_state"] for row in listed.data["results"]} == {
        note.appointment_id: "signed",
        draft.appointment_id: "draft",
        bare.pk: "none",
    }
    assert one.data == {"appointment": note.appointment_id, "episode": episode.pk, "note_state": "signed"}
    assert SECRET not in listed.content.decode() + one.content.decode()
    assert AuditEvent.objects.filter(action="visit_note.state_viewed", patient_id=patient.pk).count() == 1
    assert AuditEvent.objects.filter(action="visit_note.states_listed", patient_id=patient.pk).count() == 1


def test_the_clinic_admin_reads_no_note_state(clinic_admin, note):
    client = api_client(clinic_admin)

    assert client.get("/api/visit-note-states/").status_code == 403
    assert client.get(f"/api/visit-note-states/{note.appointment_id}/").status_code == 403


def test_note_states_cost_the_same_queries_for_one_visit_or_many(front_desk, clinician, episode, note):
    client = api_client(front_desk)
    client.get("/api/visit-note-states/")
    with CaptureQueriesContext(connection) as one:
        client.get("/api/visit-note-states/")
    for days in (2, 3, 4):
        services.note_open(actor=clinician, appointment=_later_visit(episode, days))
    with CaptureQueriesContext(connection) as four:
        response = client.get("/api/visit-note-states/")

    assert response.data["count"] == 4
    assert len(four) == len(one)


def test_a_token_reads_notes_only_with_the_clinical_scope(client, clinician, note):
    _, plain = api_tokens.api_token_create(actor=clinician, owner=clinician, name="Plain")
    _, clinical = api_tokens.api_token_create(actor=clinician, owner=clinician, name="Chart", clinical_scope=True)

    refused = client.get(f"/api/visit-notes/{note.pk}/", headers={"Authorization": f"Bearer {plain}"})
    allowed = client.get(f"/api/visit-notes/{note.pk}/", headers={"Authorization": f"Bearer {clinical}"})
    state = client.get(f"/api/visit-note-states/{note.appointment_id}/", headers={"Authorization": f"Bearer {plain}"})

    assert (refused.status_code, allowed.status_code, state.status_code) == (403, 200, 200)
