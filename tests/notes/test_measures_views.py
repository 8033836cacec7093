"""The note's re-measures and PART rows: saving, measuring again, removing; refused once signed
or for another author; another clinic's visit 404; hostile input 400; the database's own refusals;
the episode page's timeline and the progress page; query counts flat in the number of notes."""

from __future__ import annotations

import datetime

import pytest
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from assessments.progress import RomMethod
from clinic.models import AuditEvent
from notes import services
from notes.measures import PartExam, Remeasure
from notes.models import NoteMeasure, NotePartFinding, VisitNote
from tests.factories import AppointmentFactory, UserFactory
from tests.notes.conftest import complete
from tests.notes.conftest import signed_in as _as

SUPINE = RomMethod(position="supine", device="goniometer", mode="passive")


def _url(visit, tail=""):
    return f"/schedule/visits/{visit.pk}/note/{tail}"


def _measure(**changes) -> dict:
    """The "add a re-measure" row as the page posts it: hip flexion left, 118°, usual position."""
    return {
        "action": "add-measure",
        "measure-measure": "rom:flexion",
        "measure-side": "left",
        "measure-degrees": "118",
        "measure-position": "",
        "measure-device": "goniometer",
        "measure-mode": "passive",
    } | changes


def _part(**changes) -> dict:
    return {"action": "add-part", "part-segment": "L4", "part-pain": "on", "part-asymmetry": "on"} | changes


@pytest.fixture
def note(clinician, visit):
    return services.note_open(actor=clinician, appointment=visit)


@pytest.fixture
def signed_note(clinician, note):
    complete(note, clinician)
    return services.note_sign(actor=clinician, note=note)


# --- Saving ----------------------------------------------------------------------------------------


def test_a_rom_remeasure_is_saved_and_compared_with_the_baseline(client, clinician, visit, note):
    response = _as(client, clinician).post(_url(visit, "measures/"), _measure())
    assert response.status_code == 302
    assert response["Location"] == _url(visit)
    row = NoteMeasure.objects.get(note=note)
    # Left empty, the position is the motion's usual one (flexion: supine), as at the baseline.
    assert (row.kind, row.code, row.side, row.degrees, row.position, row.device, row.mode) == (
        "rom",
        "flexion",
        "left",
        118,
        "supine",
        "goniometer",
        "passive",
    )
    assert AuditEvent.objects.filter(action="visit_note.measure_saved", object_id=row.pk).exists()
    html = client.get(_url(visit)).content.decode()
    # The baseline (the factory's initial evaluation) had 110° supine: 8° is beyond the 5° MDC.
    assert "Hip flexion left</strong>: 118°" in html
    assert "Changed beyond MDC: better</strong>; baseline 110°" in html
    assert "change beyond MDC 5°" in html


def test_the_clinics_mdc_decides(client, clinician, clinic_admin, clinic, visit, note):
    from clinic import services as clinic_services

    clinic_services.thresholds_update(actor=clinic_admin, clinic=clinic, values={"rom_mdc_deg": 10})
    _as(client, clinician).post(_url(visit, "measures/"), _measure())
    assert "Within MDC</strong>; baseline 110°" in client.get(_url(visit)).content.decode()


def test_measuring_again_replaces_the_value(client, clinician, visit, note):
    _as(client, clinician).post(_url(visit, "measures/"), _measure())
    assert client.post(_url(visit, "measures/"), _measure(**{"measure-degrees": "100"})).status_code == 302
    assert list(NoteMeasure.objects.filter(note=note).values_list("degrees", flat=True)) == [100]
    assert "Changed beyond MDC: worse" in client.get(_url(visit)).content.decode()


def test_another_position_is_not_compared(client, clinician, visit, note):
    _as(client, clinician).post(_url(visit, "measures/"), _measure(**{"measure-position": "seated"}))
    assert (
        "<strong>Taken supine then seated: not comparable</strong>; baseline 110°"
        in client.get(_url(visit)).content.decode()
    )


def test_slr_angle_and_special_test(client, clinician, visit, note):
    _as(client, clinician)
    slr = {"measure-measure": "slr:slr", "measure-side": "right", "measure-degrees": "60"}
    assert client.post(_url(visit, "measures/"), _measure(**slr)).status_code == 302
    thomas = {"measure-measure": "special_test:thomas", "measure-degrees": "", "measure-result": "negative"}
    assert client.post(_url(visit, "measures/"), _measure(**thomas)).status_code == 302
    rows = {row.code: row for row in NoteMeasure.objects.filter(note=note)}
    assert (rows["slr"].degrees, rows["slr"].device, rows["slr"].result) == (60, "", "")
    assert (rows["thomas"].degrees, rows["thomas"].result, rows["thomas"].position) == (None, "negative", "")
    html = client.get(_url(visit)).content.decode()
    assert "SLR angle right</strong>: 60°" in html  # baseline 45°
    assert "Thomas test left</strong>: Negative" in html
    assert "Changed: better</strong>; baseline Positive" in html


def test_part_findings_are_saved_with_the_rule_cited(client, clinician, visit, note):
    assert _as(client, clinician).post(_url(visit, "measures/"), _part()).status_code == 302
    row = NotePartFinding.objects.get(note=note)
    assert (row.segment, row.pain, row.asymmetry, row.range_of_motion, row.tissue_tone) == (
        "L4",
        True,
        True,
        False,
        False,
    )
    html = client.get(_url(visit)).content.decode()
    assert "<strong>L4</strong>: P, A" in html
    assert "Meets the exam criteria for subluxation." in html
    assert "PART criteria text (secondary)" in html
    assert "S225" not in html
    # Examined again at the same segment: the row is replaced.
    client.post(_url(visit, "measures/"), _part(**{"part-asymmetry": ""}))
    assert NotePartFinding.objects.get(note=note).asymmetry is False
    assert "Does not meet the exam criteria for subluxation." in client.get(_url(visit)).content.decode()


def test_part_is_compared_with_the_segments_first_exam_in_an_earlier_note(client, clinician, episode, visit, note):
    earlier_start = visit.starts_at - datetime.timedelta(days=7)
    earlier = AppointmentFactory(
        episode=episode, starts_at=earlier_start, ends_at=earlier_start + datetime.timedelta(minutes=30)
    )
    first = services.note_open(actor=clinician, appointment=earlier)
    exam = PartExam(pain=True, asymmetry=True, range_of_motion=True)
    services.part_save(actor=clinician, note=first, segment="L4", exam=exam)
    _as(client, clinician).post(_url(visit, "measures/"), _part())
    html = client.get(_url(visit)).content.decode()
    assert "<strong>changed: better</strong>; first P, A, R" in html


def test_remove_a_remeasure_and_a_part_row(client, clinician, visit, note):
    measure = services.measure_save(
        actor=clinician, note=note, measure=Remeasure("rom", "flexion", "left", 118, method=SUPINE)
    )
    part = services.part_save(actor=clinician, note=note, segment="T6", exam=PartExam(pain=True))
    _as(client, clinician)
    assert client.post(_url(visit, "measures/"), {"action": "remove-measure", "row": measure.pk}).status_code == 302
    assert client.post(_url(visit, "measures/"), {"action": "remove-part", "row": part.pk}).status_code == 302
    assert not NoteMeasure.objects.exists()
    assert not NotePartFinding.objects.exists()
    assert AuditEvent.objects.filter(action="visit_note.measure_removed", object_id=measure.pk).exists()
    assert AuditEvent.objects.filter(action="visit_note.part_removed", object_id=part.pk).exists()


# --- Refusals --------------------------------------------------------------------------------------


def test_a_signed_note_takes_no_remeasure(client, clinician, visit, signed_note):
    services_error = "This note is signed and cannot be changed"
    for data in (_measure(), _part()):
        response = _as(client, clinician).post(_url(visit, "measures/"), data)
        assert response.status_code == 400
        assert services_error in response.content.decode()
    assert not NoteMeasure.objects.exists()
    assert not NotePartFinding.objects.exists()
    html = client.get(_url(visit)).content.decode()
    assert "Add a re-measure" not in html
    assert "Objective: re-measures" in html  # read-only, with the signed note


def test_a_signed_notes_remeasures_cannot_be_removed(client, clinician, visit, note):
    row = services.measure_save(
        actor=clinician, note=note, measure=Remeasure("rom", "flexion", "left", 118, method=SUPINE)
    )
    complete(note, clinician)
    services.note_sign(actor=clinician, note=note)
    response = _as(client, clinician).post(_url(visit, "measures/"), {"action": "remove-measure", "row": row.pk})
    assert response.status_code == 400
    assert NoteMeasure.objects.filter(pk=row.pk).exists()


def test_only_the_author_adds_remeasures(client, clinic, visit, note):
    colleague = UserFactory(clinic=clinic, roles=["Clinician"])
    response = _as(client, colleague).post(_url(visit, "measures/"), _measure())
    assert response.status_code == 400
    assert "Only the note&#x27;s author" in response.content.decode()
    assert not NoteMeasure.objects.exists()


def test_another_clinics_clinician_gets_404(client, visit, note, other_clinic):
    outsider = UserFactory(clinic=other_clinic, roles=["Clinician"])
    assert _as(client, outsider).post(_url(visit, "measures/"), _measure()).status_code == 404
    assert not NoteMeasure.objects.exists()


@pytest.mark.parametrize("role", ["front_desk", "clinic_admin"])
def test_writes_are_for_clinicians(request, client, visit, note, role):
    assert _as(client, request.getfixturevalue(role)).post(_url(visit, "measures/"), _measure()).status_code == 403
    assert not NoteMeasure.objects.exists()


def test_get_is_not_allowed(client, clinician, visit, note):
    assert _as(client, clinician).get(_url(visit, "measures/")).status_code == 405


def test_a_visit_without_a_note(client, clinician, visit):
    response = _as(client, clinician).post(_url(visit, "measures/"), _measure())
    assert response.status_code == 302
    assert not VisitNote.objects.exists()


def test_errors_sit_beside_their_fields_and_what_was_typed_is_kept(client, clinician, visit, note):
    data = _measure(**{"measure-measure": "rom:abduction", "measure-degrees": "95", "measure-position": "side_lying"})
    response = _as(client, clinician).post(_url(visit, "measures/"), data)
    assert response.status_code == 400
    html = response.content.decode()
    assert 'id="id_measure-degrees_errors">95° is not plausible here: expected 0° to 90°.' in html
    assert '<option value="rom:abduction" selected>' in html
    assert 'value="95"' in html
    assert '<option value="side_lying" selected>' in html
    assert not NoteMeasure.objects.exists()


@pytest.mark.parametrize(
    ("data", "field"),
    [
        (_measure(**{"measure-degrees": ""}), "degrees"),
        (_measure(**{"measure-measure": "special_test:slump", "measure-result": ""}), "result"),
        (_measure(**{"measure-measure": "slr:slr", "measure-degrees": "170"}), "degrees"),
        (_measure(**{"measure-side": ""}), "side"),
        (_part(**{"part-segment": ""}), "segment"),
    ],
)
def test_missing_or_implausible_values(client, clinician, visit, note, data, field):
    response = _as(client, clinician).post(_url(visit, "measures/"), data)
    assert response.status_code == 400
    prefix = "part" if data["action"] == "add-part" else "measure"
    assert f'id="id_{prefix}-{field}_errors"' in response.content.decode()


@pytest.mark.parametrize(
    "data",
    [
        _measure(**{"measure-measure": "rom:circumduction"}),
        _measure(**{"measure-measure": "rom"}),
        _measure(**{"measure-measure": "\x00"}),
        _measure(**{"measure-degrees": "1e9"}),
        _measure(**{"measure-degrees": "9" * 40}),
        _measure(**{"measure-degrees": "ninety"}),
        _measure(**{"measure-degrees": "-31"}),
        _measure(**{"measure-side": "middle"}),
        _measure(**{"measure-position": "upside_down"}),
        _measure(**{"measure-device": "tape\x00"}),
        _measure(**{"measure-mode": ""}),
        _measure(**{"measure-measure": "special_test:thomas", "measure-result": "not_tested"}),
        _part(**{"part-segment": "Z9"}),
        _part(**{"part-segment": "L4\x00"}),
        {"action": "explode"},
        {},
        {"action": "remove-measure", "row": "abc"},
        {"action": "remove-measure", "row": "9" * 40},
        {"action": "remove-part", "row": "-1"},
        {"action": "remove-measure", "row": "٣"},
    ],
)
def test_hostile_input_gives_400(client, clinician, visit, note, data):
    response = _as(client, clinician).post(_url(visit, "measures/"), data)
    assert response.status_code == 400
    assert not NoteMeasure.objects.exists()
    assert not NotePartFinding.objects.exists()


def test_another_notes_row_cannot_be_removed_through_this_note(client, clinician, episode, visit, note):
    other_start = visit.starts_at + datetime.timedelta(days=7)
    other = AppointmentFactory(
        episode=episode, starts_at=other_start, ends_at=other_start + datetime.timedelta(hours=1)
    )
    other_note = services.note_open(actor=clinician, appointment=other)
    row = services.measure_save(
        actor=clinician, note=other_note, measure=Remeasure("rom", "flexion", "left", 118, method=SUPINE)
    )
    response = _as(client, clinician).post(_url(visit, "measures/"), {"action": "remove-measure", "row": row.pk})
    assert response.status_code == 400
    assert NoteMeasure.objects.filter(pk=row.pk).exists()


# --- The database's own refusals ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "values",
    [
        {
            "kind": "rom",
            "code": "flexion",
            "degrees": 161,
            "position": "supine",
            "device": "goniometer",
            "mode": "active",
        },
        {
            "kind": "rom",
            "code": "abduction",
            "degrees": 95,
            "position": "supine",
            "device": "goniometer",
            "mode": "active",
        },
        {
            "kind": "rom",
            "code": "flexion",
            "degrees": None,
            "position": "supine",
            "device": "goniometer",
            "mode": "active",
        },
        {"kind": "rom", "code": "flexion", "degrees": 100, "position": "", "device": "goniometer", "mode": "active"},
        {"kind": "rom", "code": "flexion", "degrees": 100, "position": "supine", "device": "tape", "mode": "active"},
        {"kind": "rom", "code": "slr", "degrees": 100, "position": "supine", "device": "goniometer", "mode": "active"},
        {"kind": "slr", "code": "slr", "degrees": -1},
        {"kind": "slr", "code": "slr", "degrees": 40, "result": "positive"},
        {"kind": "slr", "code": "slr", "degrees": 40, "position": "supine"},
        {"kind": "special_test", "code": "thomas", "result": "unknown"},
        {"kind": "special_test", "code": "thomas", "result": "positive", "degrees": 3},
        {"kind": "special_test", "code": "lachman", "result": "positive"},
        {"kind": "fms", "code": "deep_squat", "degrees": 2},
        {"kind": "slr", "code": "slr", "degrees": 40, "side": "both"},
    ],
)
def test_the_database_refuses_an_impossible_remeasure(note, values):
    with pytest.raises(IntegrityError), transaction.atomic():
        NoteMeasure.objects.create(note=note, **({"side": "left"} | values))


def test_the_database_keeps_one_row_per_note_measure_and_side(note):
    NoteMeasure.objects.create(note=note, kind="slr", code="slr", side="left", degrees=40)
    NoteMeasure.objects.create(note=note, kind="slr", code="slr", side="right", degrees=40)
    with pytest.raises(IntegrityError), transaction.atomic():
        NoteMeasure.objects.create(note=note, kind="slr", code="slr", side="left", degrees=50)


def test_the_database_keeps_one_part_row_per_segment_and_known_segments(note):
    NotePartFinding.objects.create(note=note, segment="L4", pain=True)
    with pytest.raises(IntegrityError), transaction.atomic():
        NotePartFinding.objects.create(note=note, segment="L4")
    with pytest.raises(IntegrityError), transaction.atomic():
        NotePartFinding.objects.create(note=note, segment="L9")


# --- The episode page and the progress page -----------------------------------------------------------


def _noted_visit(episode, clinician, days: int, pain: int, degrees: int):
    start = timezone.now() - datetime.timedelta(days=days)
    visit = AppointmentFactory(episode=episode, starts_at=start, ends_at=start + datetime.timedelta(minutes=30))
    note = services.note_open(actor=clinician, appointment=visit)
    services.note_save(actor=clinician, note=note, values={"pain_now": pain, "response": "better"}, lines=[])
    services.measure_save(
        actor=clinician, note=note, measure=Remeasure("rom", "flexion", "left", degrees, method=SUPINE)
    )
    services.part_save(actor=clinician, note=note, segment="L5", exam=PartExam(range_of_motion=True, pain=True))
    return note


def test_the_episode_page_shows_the_notes_as_a_timeline_with_the_pain_trend(client, clinician, episode, signed_plan):
    _noted_visit(episode, clinician, days=14, pain=6, degrees=112)
    _noted_visit(episode, clinician, days=7, pain=3, degrees=120)
    html = _as(client, clinician).get(f"/episodes/{episode.pk}/").content.decode()
    timeline = html.split('id="visit-notes-h"', 1)[1].split("</section>", 1)[0]
    assert timeline.count("<article") == 2
    assert timeline.count("Draft, not signed") == 2
    assert "6/10" in timeline
    assert "3/10" in timeline
    assert "Hip flexion left: 112°, <strong>within MDC</strong>" in timeline
    assert "Hip flexion left: 120°, <strong>changed beyond MDC: better</strong>" in timeline
    assert "PART L5: P, R, meets the exam criteria for subluxation" in timeline
    assert '<svg xmlns="http://www.w3.org/2000/svg"' in timeline
    assert "Pain now at each visit" in timeline
    assert timeline.index("6/10") < timeline.index("3/10")  # oldest first


def test_the_front_desk_sees_no_note_on_the_episode_page(client, front_desk, clinician, episode, signed_plan):
    note = _noted_visit(episode, clinician, days=7, pain=3, degrees=120)
    services.note_save(actor=clinician, note=note, values={"response_text": "Zebraquail"}, lines=[])
    html = _as(client, front_desk).get(f"/episodes/{episode.pk}/").content.decode()
    assert "Zebraquail" not in html
    assert "Visit notes" not in html
    assert "Zebraquail" in _as(client, clinician).get(f"/episodes/{episode.pk}/").content.decode()


def test_the_progress_page_includes_the_visit_remeasures(client, clinician, episode, signed_plan):
    _noted_visit(episode, clinician, days=7, pain=3, degrees=120)
    html = _as(client, clinician).get(f"/episodes/{episode.pk}/progress/").content.decode()
    section = html.split('id="visit-remeasures-h"', 1)[1].split("</section>", 1)[0]
    assert '<th scope="row">Hip flexion left</th>' in section
    assert "110°" in section  # the baseline
    assert "Changed beyond MDC: better" in section
    assert "PART L5" in section


def _count(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


@pytest.mark.parametrize("page", ["note", "progress", "episode"])
def test_queries_do_not_grow_with_notes(client, clinician, episode, signed_plan, visit, note, page):
    """Each page loads the notes, their re-measures and PART rows, the baseline and the clinic's
    thresholds in a fixed number of queries."""
    services.measure_save(actor=clinician, note=note, measure=Remeasure("slr", "slr", "right", 50))
    _noted_visit(episode, clinician, days=3, pain=5, degrees=112)
    url = {"note": _url(visit), "progress": f"/episodes/{episode.pk}/progress/", "episode": f"/episodes/{episode.pk}/"}
    _as(client, clinician).get(url[page])  # the first page of a session also saves the session
    few = _count(client, url[page])
    for days in range(10, 16):
        _noted_visit(episode, clinician, days=days, pain=4, degrees=115)
    assert _count(client, url[page]) == few
    html = client.get(url[page]).content.decode()
    if page == "note":
        assert "SLR angle right</strong>: 50°" in html  # the note's own re-measure, among eight notes
    else:
        assert html.count("Hip flexion left") == 7


def test_a_colleague_reads_a_drafts_remeasures_without_its_forms(client, clinic, clinician, visit, note):
    # The baseline's SLR on the left was negative with no angle: nothing to compare with.
    services.measure_save(actor=clinician, note=note, measure=Remeasure("slr", "slr", "left", 70))
    colleague = UserFactory(clinic=clinic, roles=["Clinician"])
    html = _as(client, colleague).get(_url(visit)).content.decode()
    assert "SLR angle left</strong>: 70°" in html
    assert "<strong>Not comparable: a reading is missing</strong>" in html
    assert "Add a re-measure" not in html
    assert "remove-measure" not in html
