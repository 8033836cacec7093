"""note_open, note_save, note_sign and addendum_add: pre-fill, audit, read-only once signed."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction

from clinic.models import AuditEvent
from clinic.portal.models import HomeProgramCheckIn
from clinic.scheduling.models import AppointmentStatus
from notes import rules, services
from notes.models import NoteAddendum, NoteItem, VisitNote
from tests.factories import AppointmentFactory, UserFactory
from tests.notes.conftest import COMPLETE, complete, filled


def test_open_prefills_every_signed_item_and_audits(clinician, visit, signed_plan):
    note = services.note_open(actor=clinician, appointment=visit)
    version = signed_plan.versions.get()
    assert note.plan_version == version
    assert [(item.prong, item.name, item.from_plan) for item in note.items.all()] == [
        (item.prong.value, item.name, True) for item in version.signed.items
    ]
    assert {item.status for item in note.items.all()} == {"delivered"}
    assert AuditEvent.objects.filter(action="visit_note.created", object_id=note.pk).exists()
    # A second open is the same note, not another.
    assert services.note_open(actor=clinician, appointment=visit) == note
    assert VisitNote.objects.count() == 1


def test_open_carries_the_last_note_and_the_portal_log(clinician, episode, visit, signed_plan):
    first = services.note_open(actor=clinician, appointment=visit)
    complete(first, clinician)
    item = first.items.first()
    NoteItem.objects.filter(pk=item.pk).update(region="SIJ R", load="red band")
    later = visit.starts_at + datetime.timedelta(days=3)
    second_visit = AppointmentFactory(episode=episode, starts_at=later, ends_at=later + datetime.timedelta(minutes=30))
    version = signed_plan.versions.get()
    day = later.astimezone(episode.patient.clinic.zone).date()
    HomeProgramCheckIn.objects.create(version=version, day=day - datetime.timedelta(days=1), done_items=[0], pain=4)
    HomeProgramCheckIn.objects.create(version=version, day=day - datetime.timedelta(days=2), done_items=[], pain=6)
    second = services.note_open(actor=clinician, appointment=second_visit)
    carried = second.items.get(name=item.name, prong=item.prong)
    assert (carried.region, carried.load, carried.progression) == ("SIJ R", "red band", "")
    assert second.adherence == "Portal log: exercises done on 1 of 3 days; pain 4–6/10 (latest 4)."


def test_open_without_a_signed_plan_has_no_lines(clinician, episode):
    note = services.note_open(actor=clinician, appointment=AppointmentFactory(episode=episode))
    assert note.plan_version is None
    assert not note.items.exists()


@pytest.mark.parametrize("role", ["front_desk", "clinic_admin"])
def test_only_clinicians_open_notes(request, role, visit):
    with pytest.raises(PermissionDenied):
        services.note_open(actor=request.getfixturevalue(role), appointment=visit)


def test_another_clinics_clinician_cannot_open(visit, other_clinic):
    with pytest.raises(PermissionDenied):
        services.note_open(actor=UserFactory(clinic=other_clinic, roles=["Clinician"]), appointment=visit)


def test_a_cancelled_visit_has_no_note(clinician, visit):
    visit.status, visit.cancel_reason = AppointmentStatus.CANCELLED, "ill"
    visit.save()
    with pytest.raises(ValidationError):
        services.note_open(actor=clinician, appointment=visit)


def test_sign_names_every_missing_element_then_signs(clinician, visit):
    note = services.note_open(actor=clinician, appointment=visit)
    with pytest.raises(ValidationError) as refused:
        services.note_sign(actor=clinician, note=note)
    assert "Give the total treatment minutes." in refused.value.messages
    assert "Give the plan for the next visit." in refused.value.messages
    assert note.signed_at is None
    complete(note, clinician)
    services.note_sign(actor=clinician, note=note)
    note.refresh_from_db()
    assert note.signed_by == clinician
    assert note.signed_credentials == "DC"
    assert AuditEvent.objects.filter(action="visit_note.signed", object_id=note.pk).exists()


def test_a_signed_note_is_read_only(clinician, visit):
    note = complete(services.note_open(actor=clinician, appointment=visit), clinician)
    services.note_sign(actor=clinician, note=note)
    for attempt in (
        lambda: services.note_save(actor=clinician, note=note, values={"next_visit": "changed"}, lines=[]),
        lambda: services.note_sign(actor=clinician, note=note),
    ):
        with pytest.raises(ValidationError, match="signed"):
            attempt()
    note.next_visit = "changed behind the service"
    with pytest.raises(PermissionError):
        note.save()
    note.refresh_from_db()
    assert note.next_visit == COMPLETE["next_visit"]


def test_only_the_author_saves_or_signs(clinician, clinic, visit):
    note = services.note_open(actor=clinician, appointment=visit)
    colleague = UserFactory(clinic=clinic, roles=["Clinician"])
    with pytest.raises(ValidationError, match="author"):
        services.note_save(actor=colleague, note=note, values={"function": "x"}, lines=[])


def test_save_refuses_another_notes_line(clinician, episode, visit):
    note = services.note_open(actor=clinician, appointment=visit)
    other = services.note_open(actor=clinician, appointment=AppointmentFactory(episode=episode))
    foreign = NoteItem.objects.create(note=other, prong="exercise", name="Bridge")
    with pytest.raises(PermissionDenied):
        services.note_save(actor=clinician, note=note, values={}, lines=[(foreign, filled(foreign))])


def test_addendum_keeps_the_original(clinician, clinic, visit):
    note = complete(services.note_open(actor=clinician, appointment=visit), clinician)
    with pytest.raises(ValidationError):
        services.addendum_add(actor=clinician, note=note, text="Before signing")
    services.note_sign(actor=clinician, note=note)
    signed = VisitNote.objects.get(pk=note.pk)
    colleague = UserFactory(clinic=clinic, roles=["Clinician"])
    addendum = services.addendum_add(actor=colleague, note=note, text="  Late entry: ice advised.  ")
    assert (addendum.author, addendum.text) == (colleague, "Late entry: ice advised.")
    after = VisitNote.objects.get(pk=note.pk)
    assert [getattr(after, f) for f in services.NOTE_FIELDS] == [getattr(signed, f) for f in services.NOTE_FIELDS]
    assert after.updated_at == signed.updated_at
    with pytest.raises(PermissionError):
        addendum.save()
    with pytest.raises(ValidationError):
        services.addendum_add(actor=colleague, note=note, text="   ")
    assert AuditEvent.objects.filter(action="visit_note.addendum_added", object_id=addendum.pk).exists()


def _refused(make_row) -> bool:
    try:
        with transaction.atomic():
            make_row()
    except IntegrityError:
        return True
    return False


@pytest.mark.parametrize(
    ("fields", "refused"),
    [
        ({}, False),
        ({"pain_now": 11}, True),
        ({"pain_since_last": 11}, True),
        ({"response": "great"}, True),
        ({"total_minutes": 20, "timed_minutes": 21}, True),
        ({"total_minutes": 20, "timed_minutes": 20}, False),
        ({"timed_minutes": 20}, False),
    ],
)
def test_note_constraints(clinician, visit, fields, refused):
    assert _refused(lambda: VisitNote.objects.create(appointment=visit, author=clinician, **fields)) is refused


def test_database_refuses_rows(clinician, visit):
    note = VisitNote.objects.create(appointment=visit, author=clinician)
    assert _refused(lambda: VisitNote.objects.create(appointment=visit, author=clinician))
    assert _refused(lambda: VisitNote.objects.filter(pk=note.pk).update(signed_by=clinician))
    assert _refused(lambda: NoteItem.objects.create(note=note, prong="massage", name="x"))
    assert _refused(lambda: NoteItem.objects.create(note=note, prong="exercise", name="x", status="not_done"))
    assert not _refused(
        lambda: NoteItem.objects.create(
            note=note, prong="exercise", name="x", status="not_done", not_done_reason="pain"
        )
    )
    assert _refused(lambda: NoteAddendum.objects.create(note=note, author=clinician, text=""))


def test_line_draft_fields_match_the_model():
    model_fields = {field.name for field in NoteItem._meta.get_fields()}
    assert set(rules.LineDraft.__dataclass_fields__) <= model_fields
