"""The note's pages: who may see what, editing, signing, addenda, bad input, query counts."""

from __future__ import annotations

import datetime
import itertools

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from clinic.models import AuditEvent
from notes import selectors, services
from notes.models import NoteAddendum, NoteItem, VisitNote
from tests.factories import AppointmentFactory, EpisodeFactory, PatientFactory, UserFactory
from tests.notes.conftest import complete
from tests.notes.conftest import note_form_data as _form
from tests.notes.conftest import signed_in as _as


def _url(visit, tail=""):
    return f"/schedule/visits/{visit.pk}/note/{tail}"


@pytest.fixture
def note(clinician, visit):
    return services.note_open(actor=clinician, appointment=visit)


@pytest.fixture
def signed_note(clinician, note):
    complete(note, clinician)
    return services.note_sign(actor=clinician, note=note)


# --- Who sees what -------------------------------------------------------------------------------


@pytest.mark.parametrize(("role", "status"), [("clinician", 200), ("front_desk", 403), ("clinic_admin", 403)])
def test_note_page_role_matrix(request, client, signed_note, visit, role, status):
    response = _as(client, request.getfixturevalue(role)).get(_url(visit))
    assert response.status_code == status
    if status == 403:
        assert "Runs 5 km" not in response.content.decode()


@pytest.mark.parametrize("tail", ["", "open/", "addenda/"])
def test_another_clinics_clinician_gets_404(client, signed_note, visit, other_clinic, tail):
    outsider = UserFactory(clinic=other_clinic, roles=["Clinician"])
    method = client.get if tail == "" else client.post
    assert method(_url(visit, tail)).status_code in (302,)  # not logged in: to the login page
    assert getattr(_as(client, outsider), method.__name__)(_url(visit, tail)).status_code == 404


@pytest.mark.parametrize("role", ["front_desk", "clinic_admin"])
@pytest.mark.parametrize("tail", ["open/", "addenda/"])
def test_writes_are_for_clinicians(request, client, visit, role, tail):
    assert _as(client, request.getfixturevalue(role)).post(_url(visit, tail), {"text": "x"}).status_code == 403
    assert not VisitNote.objects.exists()


def test_front_desk_sees_only_that_the_visit_is_noted(client, front_desk, clinician, visit, note):
    html = _as(client, front_desk).get(f"/schedule/visits/{visit.pk}/").content.decode()
    assert "Noted, not signed yet" in html
    assert _url(visit) not in html
    complete(note, clinician)
    services.note_sign(actor=clinician, note=note)
    html = client.get(f"/schedule/visits/{visit.pk}/").content.decode()
    assert "Note signed" in html
    assert "Repeat; progress clamshells" not in html
    assert _url(visit) not in html


def test_clinician_writes_the_note_from_the_visit_page(client, clinician, visit):
    html = _as(client, clinician).get(f"/schedule/visits/{visit.pk}/").content.decode()
    assert "No note yet" in html
    assert _url(visit, "open/") in html
    response = client.post(_url(visit, "open/"))
    assert response.status_code == 302
    assert response["Location"] == _url(visit)
    page = client.get(_url(visit))
    assert page.status_code == 200
    note = VisitNote.objects.get(appointment=visit)
    assert all(item.name in page.content.decode() for item in note.items.all())
    assert AuditEvent.objects.filter(action="visit_note.viewed", object_id=note.pk).exists()


# --- Editing and signing -------------------------------------------------------------------------


def test_save_then_sign(client, clinician, visit, note):
    _as(client, clinician)
    assert client.post(_url(visit), _form(note)).status_code == 302
    note.refresh_from_db()
    assert note.function == "Runs 5 km"
    assert set(note.items.values_list("region", flat=True)) == {"L4"}
    assert note.signed_at is None
    assert client.post(_url(visit), _form(note, action="sign")).status_code == 302
    note.refresh_from_db()
    assert note.signed_by == clinician
    html = client.get(_url(visit)).content.decode()
    assert "Signed" in html
    assert 'name="function"' not in html
    assert "Add the addendum" in html


def test_sign_refused_keeps_what_was_typed_and_says_what_is_missing(client, clinician, visit, note):
    data = _form(note, action="sign", next_visit="", total_minutes="", function="Typed, kept")
    response = _as(client, clinician).post(_url(visit), data)
    assert response.status_code == 400
    html = response.content.decode()
    assert "Give the plan for the next visit." in html
    assert "Give the total treatment minutes." in html
    # The summary counts the messages it lists, not the one place they belong to.
    assert "Please correct 2 problems" in html
    assert "Typed, kept" in html
    note.refresh_from_db()
    assert note.signed_at is None


def test_not_done_needs_a_reason(client, clinician, visit, note):
    response = _as(client, clinician).post(_url(visit), _form(note, **{"line-0-status": "not_done"}))
    assert response.status_code == 400
    assert "Say why the intervention was not done." in response.content.decode()


def test_timed_minutes_within_total(client, clinician, visit, note):
    response = _as(client, clinician).post(_url(visit), _form(note, timed_minutes="31"))
    assert response.status_code == 400
    assert "Timed minutes cannot be more than the total minutes." in response.content.decode()


def test_an_intervention_added_at_the_visit(client, clinician, visit, note):
    count = note.items.count()
    data = _form(note, **{"new-prong": "soft_tissue", "new-name": "Foam rolling", "new-minutes": "5"})
    assert _as(client, clinician).post(_url(visit), data).status_code == 302
    added = note.items.get(name="Foam rolling")
    assert (added.prong, added.minutes, added.from_plan, added.order) == ("soft_tissue", 5, False, count)


def test_edit_of_a_signed_note_is_refused(client, clinician, visit, signed_note):
    before = VisitNote.objects.get(pk=signed_note.pk)
    response = _as(client, clinician).post(_url(visit), _form(signed_note, function="Rewritten"))
    assert response.status_code == 400
    assert "cannot be changed" in response.content.decode()
    after = VisitNote.objects.get(pk=signed_note.pk)
    assert (after.function, after.updated_at) == (before.function, before.updated_at)


def test_addendum_shows_author_and_time_and_keeps_the_original(client, clinic, visit, signed_note):
    colleague = UserFactory(clinic=clinic, roles=["Clinician"], full_name="Robin Cover")
    response = _as(client, colleague).post(_url(visit, "addenda/"), {"text": "Late entry: ice advised."})
    assert response.status_code == 302
    html = client.get(_url(visit)).content.decode()
    assert "Added by Robin Cover" in html
    assert "Late entry: ice advised." in html
    assert "Repeat; progress clamshells" in html  # the original, as signed
    assert _as(client, colleague).post(_url(visit, "addenda/"), {"text": ""}).status_code == 400


def test_addendum_before_signing_is_refused(client, clinician, visit, note):
    response = _as(client, clinician).post(_url(visit, "addenda/"), {"text": "Too early"})
    assert response.status_code == 400
    assert not NoteAddendum.objects.exists()


@pytest.mark.parametrize(
    "changes",
    [
        {"function": "bad\x00text"},
        {"function": "x" * 5000},
        {"pain_now": "eleven"},
        {"pain_now": "11"},
        {"total_minutes": "-5"},
        {"response": "great"},
        {"line-0-status": "exploded"},
        {"line-0-sets": "9" * 30},
        {"line-0-region": "L4\x00"},
        {"new-name": "\x00"},
    ],
)
def test_hostile_input_gives_form_errors(client, clinician, visit, note, changes):
    response = _as(client, clinician).post(_url(visit), _form(note, **changes))
    assert response.status_code == 400
    assert 'class="field-error"' in response.content.decode() or "error-summary" in response.content.decode()
    assert VisitNote.objects.get(pk=note.pk).function == ""


def test_hostile_addendum(client, clinician, visit, signed_note):
    for text in ("\x00", "x" * 5000):
        assert _as(client, clinician).post(_url(visit, "addenda/"), {"text": text}).status_code == 400
    assert not NoteAddendum.objects.exists()


# --- Query counts --------------------------------------------------------------------------------


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_note_page_queries_do_not_grow_with_lines_or_addenda(client, clinician, visit, signed_note):
    _as(client, clinician)
    services.addendum_add(actor=clinician, note=signed_note, text="One")
    client.get(_url(visit))  # the first page of a session also saves the session
    few = _queries(client, _url(visit))
    for index in range(6):
        NoteItem.objects.create(note=signed_note, prong="exercise", name=f"Extra {index}", region="hip")
        services.addendum_add(
            actor=UserFactory(clinic=visit.episode.patient.clinic, roles=["Clinician"]),
            note=signed_note,
            text=f"More {index}",
        )
    assert _queries(client, _url(visit)) == few


def test_edit_page_queries_do_not_grow_with_lines(client, clinician, visit, note):
    _as(client, clinician)
    client.get(_url(visit))  # the first page of a session also saves the session
    few = _queries(client, _url(visit))
    for index in range(6):
        NoteItem.objects.create(note=note, prong="exercise", name=f"Extra {index}")
    assert _queries(client, _url(visit)) == few


# --- The dashboard's notes to finish ---------------------------------------------------------------


_SLOTS = itertools.count(1)


def _unsigned(clinic, clinician, hours_ago):
    episode = EpisodeFactory(patient=PatientFactory(clinic=clinic), lead_clinician=clinician)
    starts = timezone.now() - datetime.timedelta(hours=next(_SLOTS))
    visit = AppointmentFactory(episode=episode, starts_at=starts, ends_at=starts + datetime.timedelta(minutes=30))
    note = services.note_open(actor=clinician, appointment=visit)
    VisitNote.objects.filter(pk=note.pk).update(created_at=timezone.now() - datetime.timedelta(hours=hours_ago))
    return note


def _section(html):
    return html.split('id="my-notes"', 1)[1].split("</section>", 1)[0]


def test_dashboard_lists_notes_to_finish(client, clinic, clinician):
    old = _unsigned(clinic, clinician, 50)
    _unsigned(clinic, clinician, 10)  # within the limit
    _unsigned(clinic, UserFactory(clinic=clinic, roles=["Clinician"]), 50)  # a colleague's
    section = _section(_as(client, clinician).get("/").content.decode())
    assert "Notes to finish (1)" in section
    assert _url(old.appointment) in section


def test_the_limit_is_the_clinics_setting(client, clinic, clinician, clinic_admin):
    from clinic import services as clinic_services

    _unsigned(clinic, clinician, 10)
    clinic_services.thresholds_update(actor=clinic_admin, clinic=clinic, values={"note_unsigned_hours": 8})
    assert "Notes to finish (1)" in _section(_as(client, clinician).get("/").content.decode())


def test_dashboard_queries_do_not_grow_with_notes(client, clinic, clinician):
    _unsigned(clinic, clinician, 50)
    _as(client, clinician)
    client.get("/")  # the first page of a session also saves the session
    few = _queries(client, "/")
    for _ in range(selectors.DASHBOARD_NOTES + 2):
        _unsigned(clinic, clinician, 50)
    html = client.get("/").content.decode()
    assert f"Notes to finish ({selectors.DASHBOARD_NOTES + 3})" in html
    assert _queries(client, "/") == few + 1  # the count, once the list is full


def test_a_line_of_another_prong_keeps_its_exercise_fields(client, clinician, visit, note):
    line = note.items.exclude(prong="exercise").order_by("order").first()
    NoteItem.objects.filter(pk=line.pk).update(load="kept")
    index = list(note.items.all()).index(line)
    form = _form(note)
    form.pop(f"line-{index}-sets")
    form.pop(f"line-{index}-reps")
    html = _as(client, clinician).get(_url(visit)).content.decode()
    assert f'name="line-{index}-minutes"' in html
    assert f'name="line-{index}-sets"' not in html
    form[f"line-{index}-minutes"] = "5"
    assert client.post(_url(visit), form).status_code == 302
    line.refresh_from_db()
    assert (line.load, line.minutes, line.region) == ("kept", 5, "L4")


def test_a_draft_past_the_limit_says_so(client, clinician, visit, note):
    _as(client, clinician)
    assert "past your clinic's limit" not in client.get(_url(visit)).content.decode()
    VisitNote.objects.filter(pk=note.pk).update(created_at=timezone.now() - datetime.timedelta(hours=49))
    assert "past your clinic's limit" in client.get(_url(visit)).content.decode()
