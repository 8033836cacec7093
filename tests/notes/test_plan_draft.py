"""A note's progression drafts a new plan version through the plans' own flow: never signed here,
drafted once, refused while the plan is already in draft; the note page links to it."""

from __future__ import annotations

import dataclasses

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from clinic.models import AuditEvent
from clinic.permissions import Role
from notes import selectors, services
from notes.models import NotePlanDraft
from notes.progression import dose_text
from plans import services as plan_services
from plans.models import Intervention, PlanStatus, PlanVersion
from tests.factories import UserFactory
from tests.notes.conftest import filled

STAFF_BACKEND = "clinic.backends.StaffBackend"


@pytest.fixture
def note(clinician, visit):
    return services.note_open(actor=clinician, appointment=visit)


def _home_exercise(note):
    """The note's first line drawn from a home-program exercise of the signed plan."""
    home = {item.name for item in note.plan_version.signed.items if item.prong == "exercise" and item.home_program}
    return next(item for item in note.items.all() if item.name in home)


def _progress(actor, note, **fields):
    """Save the note with every line filled, and ``fields`` on the first home-program exercise."""
    target = _home_exercise(note)
    lines = []
    for item in note.items.all():
        line = filled(item)
        if item.pk == target.pk:
            line = dataclasses.replace(line, **fields)
        lines.append((item, line))
    services.note_save(actor=actor, note=note, values={}, lines=lines)
    return target


def _signed_item(plan, name):
    return next(item for item in plan.versions.order_by("-number").first().signed.items if item.name == name)


def test_a_dose_progression_drafts_the_next_version_unsigned(clinician, note, signed_plan):
    target = _progress(clinician, note, sets=4, reps="12", load="5 kg", progression="heavier")

    draft = services.note_plan_draft(actor=clinician, note=note)

    signed_plan.refresh_from_db()
    assert signed_plan.status == PlanStatus.DRAFT
    assert (draft.number, draft.from_version.number) == (2, 1)
    assert not PlanVersion.objects.filter(plan=signed_plan, number=2).exists()
    item = signed_plan.items.get(name=target.name)
    assert (item.sets, item.reps) == (4, "12 with 5 kg")
    before = _signed_item(signed_plan, target.name)
    assert draft.changes == [f"{target.name}: {dose_text(before.sets, before.reps)} → 4 × 12 with 5 kg"]
    assert AuditEvent.objects.filter(action="visit_note.plan_drafted", object_id=str(draft.pk)).count() == 1

    # Signed through the plans' flow, the new version carries the dose (the handout and portal follow it).
    version = plan_services.plan_sign(actor=clinician, plan=signed_plan)
    assert version.number == 2
    signed = _signed_item(signed_plan, target.name)
    assert (signed.sets, signed.reps) == (4, "12 with 5 kg")


def test_a_second_click_returns_the_same_draft(clinician, note, signed_plan):
    _progress(clinician, note, sets=4, progression="more sets")
    first = services.note_plan_draft(actor=clinician, note=note)

    again = services.note_plan_draft(actor=clinician, note=note)

    assert again.pk == first.pk
    assert NotePlanDraft.objects.count() == 1
    assert AuditEvent.objects.filter(action="visit_note.plan_drafted").count() == 1


def test_refused_while_the_plan_is_already_in_draft(clinician, note, signed_plan):
    _progress(clinician, note, sets=4, progression="more sets")
    plan_services.plan_update(actor=clinician, plan=signed_plan, weeks=signed_plan.weeks + 1)

    with pytest.raises(ValidationError, match="awaiting signature as version 2"):
        services.note_plan_draft(actor=clinician, note=note)
    assert not NotePlanDraft.objects.exists()


def test_nothing_to_draft_when_the_dose_stays(clinician, note, signed_plan):
    signed = _signed_item(signed_plan, _home_exercise(note).name)
    _progress(clinician, note, sets=signed.sets, reps=signed.reps, progression="slower tempo")

    with pytest.raises(ValidationError, match="Nothing in this note changes the home program"):
        services.note_plan_draft(actor=clinician, note=note)
    signed_plan.refresh_from_db()
    assert signed_plan.status == PlanStatus.SIGNED


def test_a_replacement_goes_through_the_plans_library_and_checks(clinician, clinic, note, signed_plan):
    in_plan = set(signed_plan.items.values_list("name", flat=True))
    other = Intervention.objects.filter(clinic=clinic, prong="exercise").exclude(name__in=in_plan).first()
    target = _progress(clinician, note, sets=2, reps="8", progression=f"replaced by {other.name}")

    draft = services.note_plan_draft(actor=clinician, note=note)

    names = set(signed_plan.items.values_list("name", flat=True))
    assert other.name in names
    assert target.name not in names
    added = signed_plan.items.get(name=other.name)
    assert (added.sets, added.reps) == (2, "8")
    assert draft.changes == [f"{target.name} replaced by {other.name} (2 × 8)"]


def test_an_unknown_replacement_is_refused(clinician, note, signed_plan):
    _progress(clinician, note, progression="replaced by Zebraquail hops")

    with pytest.raises(ValidationError, match="Zebraquail hops is not in your clinic's exercise library"):
        services.note_plan_draft(actor=clinician, note=note)
    signed_plan.refresh_from_db()
    assert signed_plan.status == PlanStatus.SIGNED


def test_a_dose_the_plan_cannot_hold_is_refused_whole(clinician, note, signed_plan):
    _progress(clinician, note, reps="1" * 30, load="9" * 30, progression="much more")

    with pytest.raises(ValidationError, match="Make this change on the plan's page"):
        services.note_plan_draft(actor=clinician, note=note)
    signed_plan.refresh_from_db()
    assert signed_plan.status == PlanStatus.SIGNED


@pytest.mark.parametrize("role", [Role.FRONT_DESK, Role.CLINIC_ADMIN])
def test_only_clinicians_draft(clinic, clinician, note, role):
    _progress(clinician, note, sets=4, progression="more sets")
    with pytest.raises(PermissionDenied):
        services.note_plan_draft(actor=UserFactory(clinic=clinic, roles=[role]), note=note)


def test_another_clinics_clinician_cannot_draft(clinician, note, other_clinic):
    _progress(clinician, note, sets=4, progression="more sets")
    with pytest.raises(PermissionDenied):
        services.note_plan_draft(actor=UserFactory(clinic=other_clinic, roles=[Role.CLINICIAN]), note=note)


def test_the_note_page_offers_then_links_the_draft(client, clinician, note, signed_plan, visit):
    _progress(clinician, note, sets=4, progression="more sets")
    client.force_login(clinician, backend=STAFF_BACKEND)

    page = client.get(f"/schedule/visits/{visit.pk}/note/").content.decode()
    assert "Draft a new plan version with these changes" in page
    assert not NotePlanDraft.objects.exists()

    response = client.post(f"/schedule/visits/{visit.pk}/note/plan-draft/")
    assert response.status_code == 302
    page = client.get(f"/schedule/visits/{visit.pk}/note/").content.decode()
    assert "Drafted plan version 2, awaiting signature" in page
    assert f"/plans/{signed_plan.pk}/" in page
    assert "Draft a new plan version with these changes" not in page

    client.post(f"/schedule/visits/{visit.pk}/note/plan-draft/")
    assert NotePlanDraft.objects.count() == 1

    plan_services.plan_sign(actor=clinician, plan=signed_plan)
    page = client.get(f"/schedule/visits/{visit.pk}/note/").content.decode()
    assert "Plan version 2 signed" in page


def test_the_page_says_why_it_cannot_draft(client, clinician, note, visit):
    _progress(clinician, note, progression="replaced by Zebraquail hops")
    client.force_login(clinician, backend=STAFF_BACKEND)

    page = client.get(f"/schedule/visits/{visit.pk}/note/").content.decode()

    assert "Zebraquail hops is not in your clinic&#x27;s exercise library" in page
    assert "Draft a new plan version with these changes" not in page


def test_the_front_desk_cannot_post_a_draft(client, front_desk, clinician, note, visit):
    _progress(clinician, note, sets=4, progression="more sets")
    client.force_login(front_desk, backend=STAFF_BACKEND)
    assert client.post(f"/schedule/visits/{visit.pk}/note/plan-draft/").status_code == 403
    assert not NotePlanDraft.objects.exists()


def test_another_clinics_visit_is_not_found(client, other_clinic, clinician, note, visit):
    _progress(clinician, note, sets=4, progression="more sets")
    client.force_login(UserFactory(clinic=other_clinic, roles=[Role.CLINICIAN]), backend=STAFF_BACKEND)
    assert client.post(f"/schedule/visits/{visit.pk}/note/plan-draft/").status_code == 404


def test_progress_selector_without_a_plan_is_empty(clinician, episode):
    from tests.factories import AppointmentFactory

    note = services.note_open(actor=clinician, appointment=AppointmentFactory(episode=episode))
    progress = selectors.plan_progress(note)
    assert progress.draft is None
    assert progress.found.changes == ()
