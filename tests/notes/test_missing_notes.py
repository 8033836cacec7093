"""Completed visits without a signed note: allowed, and listed on the clinician's dashboard."""

from __future__ import annotations

import datetime
import itertools

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from clinic.permissions import Role
from clinic.scheduling.models import AppointmentStatus
from notes import rules, selectors, services
from notes.models import VisitNote
from tests.factories import AppointmentFactory, EpisodeFactory, PatientFactory, UserFactory
from tests.notes.conftest import COMPLETE

STAFF_BACKEND = "clinic.backends.StaffBackend"
_SLOTS = itertools.count(1)


def _visit(clinic, clinician, *, status=AppointmentStatus.COMPLETED, name="Mossfern"):
    episode = EpisodeFactory(patient=PatientFactory(clinic=clinic, last_name=name), lead_clinician=clinician)
    starts = timezone.now() - datetime.timedelta(hours=next(_SLOTS))
    return AppointmentFactory(
        episode=episode, starts_at=starts, ends_at=starts + datetime.timedelta(minutes=30), status=status
    )


def _section(html):
    return html.split('id="my-missing-notes"', 1)[1].split("</section>", 1)[0]


def _dashboard(client, user):
    client.force_login(user, backend=STAFF_BACKEND)
    return client.get("/").content.decode()


def test_lists_completed_visits_with_no_note_or_an_unsigned_one(client, clinic, clinician):
    no_note = _visit(clinic, clinician)
    draft = _visit(clinic, clinician)
    services.note_open(actor=clinician, appointment=draft)
    signed = _visit(clinic, clinician)
    note = services.note_open(actor=clinician, appointment=signed)
    line = rules.LineDraft(prong="exercise", name="Bridge", region="hip", technique="floor", sets=3, reps="10")
    services.note_save(actor=clinician, note=note, values=COMPLETE, lines=[(None, line)])
    services.note_sign(actor=clinician, note=note)
    booked = _visit(clinic, clinician, status=AppointmentStatus.BOOKED)

    section = _section(_dashboard(client, clinician))

    assert "Visits without a signed note (2)" in section
    assert f"/schedule/visits/{no_note.pk}/note/" in section
    assert f"/schedule/visits/{draft.pk}/note/" in section
    assert f"/schedule/visits/{signed.pk}/note/" not in section
    assert f"/schedule/visits/{booked.pk}/note/" not in section
    assert "no note" in section
    assert "note not signed" in section


def test_a_draft_past_the_limit_is_listed_once_under_notes_to_finish(client, clinic, clinician):
    visit = _visit(clinic, clinician)
    note = services.note_open(actor=clinician, appointment=visit)
    VisitNote.objects.filter(pk=note.pk).update(created_at=timezone.now() - datetime.timedelta(hours=49))

    html = _dashboard(client, clinician)

    assert "Visits without a signed note (0)" in _section(html)
    assert "Notes to finish (1)" in html


def test_a_colleagues_draft_on_my_visit_stays_listed(client, clinic, clinician):
    """Only the author's own overdue drafts are in their notes to finish; the visit's clinician still
    sees their visit has no signed note."""
    colleague = UserFactory(clinic=clinic, roles=[Role.CLINICIAN])
    visit = _visit(clinic, clinician)
    note = services.note_open(actor=colleague, appointment=visit)
    VisitNote.objects.filter(pk=note.pk).update(created_at=timezone.now() - datetime.timedelta(hours=49))

    assert "Visits without a signed note (1)" in _section(_dashboard(client, clinician))


def test_only_my_own_visits_of_my_clinic(client, clinic, other_clinic, clinician):
    _visit(clinic, UserFactory(clinic=clinic, roles=[Role.CLINICIAN]), name="Zebraquail")
    foreign = UserFactory(clinic=other_clinic, roles=[Role.CLINICIAN])
    _visit(other_clinic, foreign, name="Zebraquailor")

    section = _section(_dashboard(client, clinician))

    assert "Visits without a signed note (0)" in section
    assert "Zebraquail" not in section


def test_the_front_desk_sees_no_such_list(client, clinic, clinician, front_desk):
    _visit(clinic, clinician)
    assert 'id="my-missing-notes"' not in _dashboard(client, front_desk)


def test_completing_a_visit_without_a_note_is_allowed(clinic, clinician):
    visit = _visit(clinic, clinician, status=AppointmentStatus.CHECKED_IN)
    visit.status = AppointmentStatus.COMPLETED
    visit.full_clean()
    visit.save()
    assert list(selectors.visits_without_signed_note(user=clinician, limit_hours=48)) == [visit]


def _queries(client) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/").status_code == 200
    return len(queries)


def test_the_query_count_does_not_grow_with_visits(client, clinic, clinician):
    _visit(clinic, clinician)
    client.force_login(clinician, backend=STAFF_BACKEND)
    client.get("/")  # the first page of a session also saves the session
    few = _queries(client)
    for _ in range(selectors.DASHBOARD_NOTES + 2):
        services.note_open(actor=clinician, appointment=_visit(clinic, clinician))

    html = client.get("/").content.decode()

    assert f"Visits without a signed note ({selectors.DASHBOARD_NOTES + 3})" in html
    assert "The oldest 10 are listed." in _section(html)
    assert _queries(client) == few + 1  # the count, once the list is full
