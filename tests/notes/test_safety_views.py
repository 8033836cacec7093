"""Safety on the note's page: new symptoms raise the episode's red flags as the intake does, and the
episode's contraindications refuse lines marked delivered (beside the line, and at signing)."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from clinic.models import AuditEvent
from clinic.webhooks import services as webhooks
from clinic.webhooks.models import WebhookDelivery
from intake import rules as intake_rules
from intake import services as intake_services
from intake.models import RedFlag
from notes import rules, services
from notes.models import NoteItem, VisitNote
from plans.models import Intervention
from tests.factories import UserFactory
from tests.notes.conftest import complete
from tests.notes.conftest import note_form_data as _form
from tests.notes.conftest import signed_in as _as


def _url(visit):
    return f"/schedule/visits/{visit.pk}/note/"


def _not_done(note) -> dict:
    return {
        **{f"line-{index}-status": "not_done" for index, _ in enumerate(note.items.all())},
        **{f"line-{index}-not_done_reason": "Sent for medical review" for index, _ in enumerate(note.items.all())},
    }


ADDED_THRUST = {
    "new-intervention_key": "lumbar-hvla-thrust",
    "new-status": "delivered",
    "new-region": "L5",
    "new-technique": "side-lying HVLA",
    "new-minutes": "5",
}


@pytest.fixture
def note(clinician, visit):
    return services.note_open(actor=clinician, appointment=visit)


@pytest.fixture
def thrust_line(note):
    """A line of the plan whose library intervention is a spinal thrust."""
    return NoteItem.objects.create(
        note=note,
        order=99,
        prong="manipulation",
        name="Lumbar spine manipulation (HVLA thrust)",
        from_plan=True,
        intervention_key="lumbar-hvla-thrust",
    )


def _position(note, item) -> int:
    return list(note.items.all()).index(item)


# --- New symptoms raise red flags ----------------------------------------------------------------


def test_a_note_that_raises_an_emergency_flag_and_then_refuses_a_thrust(client, clinician, visit, note):
    _as(client, clinician)
    data = _form(note, red_flag_symptoms=["saddle_numbness"], new_symptoms="Numb when sitting") | ADDED_THRUST
    response = client.post(_url(visit), data)
    assert response.status_code == 400
    html = response.content.decode()

    flag = RedFlag.objects.get(episode=visit.episode)
    assert (flag.code, flag.tier, flag.intake_id, flag.cleared_at) == ("saddle_numbness", "emergency", None, None)
    assert AuditEvent.objects.filter(action="red_flag.raised", object_id=flag.pk, actor_id=clinician.pk).exists()
    note.refresh_from_db()
    assert note.red_flag_symptoms == ["saddle_numbness"]
    assert note.new_symptoms == "Numb when sitting"
    # The thrust is not added, and the flag is on the page with its tier and what it means.
    assert not note.items.filter(intervention_key="lumbar-hvla-thrust").exists()
    assert "Saddle numbness – suspected cauda equina" in html
    assert "Emergency: the patient needs emergency care today" in html
    assert 'id="id_new-status_errors"' in html
    assert "Lumbar spine manipulation (HVLA thrust) cannot be marked delivered: An emergency red flag is open" in html

    # The next save ticks nothing, but the flag is open on the episode: the thrust is still refused.
    response = client.post(_url(visit), _form(note) | ADDED_THRUST)
    assert response.status_code == 400
    assert RedFlag.objects.filter(episode=visit.episode).count() == 1
    assert not note.items.filter(intervention_key="lumbar-hvla-thrust").exists()

    # Nothing delivered, every line not done with its reason: the note of the referral can be signed.
    response = client.post(_url(visit), _form(note, action="sign") | _not_done(note))
    assert response.status_code == 302
    note.refresh_from_db()
    assert note.is_signed
    # Unticking the symptom cleared nothing: clearance is a recorded clinical act.
    assert RedFlag.objects.get(pk=flag.pk).cleared_at is None


def test_an_urgent_flag_refuses_the_spinal_thrust_and_signing_names_why(client, clinician, visit, note, thrust_line):
    _as(client, clinician)
    position = _position(note, thrust_line)
    response = client.post(_url(visit), _form(note, red_flag_symptoms=["weight_loss"]))
    assert response.status_code == 400
    html = response.content.decode()
    assert RedFlag.objects.get(episode=visit.episode).tier == "urgent"
    assert f'id="id_line-{position}-status_errors"' in html
    assert "An urgent red flag is open: spinal manipulation is blocked" in html
    assert "Unexplained weight loss" in html
    assert "Urgent: the patient needs a medical review" in html
    # The other lines (mobilisations, exercises) carry no error.
    assert html.count("cannot be marked delivered") == 2  # beside the line and in the error summary
    # Signing is refused, with the reason.
    response = client.post(_url(visit), _form(note, action="sign"))
    assert response.status_code == 400
    assert not VisitNote.objects.get(pk=note.pk).is_signed

    # The thrust not done today: saved and signed; the mobilisations were delivered.
    response = client.post(
        _url(visit),
        _form(
            note,
            action="sign",
            **{f"line-{position}-status": "not_done", f"line-{position}-not_done_reason": "Urgent flag"},
        ),
    )
    assert response.status_code == 302
    assert VisitNote.objects.get(pk=note.pk).is_signed


def test_signing_is_refused_when_a_flag_is_raised_after_the_lines_were_saved(clinician, visit, note, thrust_line):
    complete(note, clinician)
    assert NoteItem.objects.get(pk=thrust_line.pk).status == "delivered"
    # The intake raises it meanwhile (the one service that raises red flags).
    intake_services.red_flags_raise(
        episode=visit.episode, flags=intake_rules.raised_red_flags({"cancer_history": True}, age=40, back_pain=False)
    )
    with pytest.raises(ValidationError) as refused:
        services.note_sign(actor=clinician, note=note)
    assert any(
        "Lumbar spine manipulation (HVLA thrust) cannot be marked delivered" in message and "malignancy" in message
        for message in refused.value.messages
    )


def test_the_page_shows_a_stored_delivered_thrust_as_refused(client, clinician, visit, note, thrust_line):
    complete(note, clinician)
    RedFlag.objects.create(episode=visit.episode, code="weight_loss", tier="urgent", label="Zebraquail weight loss")
    html = _as(client, clinician).get(_url(visit)).content.decode()
    assert "Zebraquail weight loss" in html
    assert f'id="line-{_position(note, thrust_line)}-refused"' in html
    assert "Mark it not done today, with the reason." in html


@pytest.mark.parametrize(("mark", "refused"), [("", False), ("other", False), ("spinal", True)])
def test_an_added_line_marked_thrust_is_refused_as_its_kind(client, clinician, visit, note, mark, refused):
    """An urgent flag refuses spinal thrust only (as in plans); a hip thrust goes on."""
    RedFlag.objects.create(episode=visit.episode, code="weight_loss", tier="urgent", label="Weight loss")
    added = {
        "new-prong": "manipulation",
        "new-name": "Zebraquail manipulation",
        "new-thrust": mark,
        "new-status": "delivered",
        "new-region": "Hip R",
        "new-technique": "long-axis",
        "new-minutes": "5",
    }
    response = _as(client, clinician).post(_url(visit), _form(note) | added)
    assert response.status_code == (400 if refused else 302)
    assert note.items.filter(name="Zebraquail manipulation").exists() is not refused
    if not refused:
        assert note.items.get(name="Zebraquail manipulation").thrust == mark


def test_a_caution_flag_blocks_nothing(client, clinician, visit, note, thrust_line):
    response = _as(client, clinician).post(_url(visit), _form(note, red_flag_symptoms=["leg_weakness"]))
    assert response.status_code == 302
    flag = RedFlag.objects.get(episode=visit.episode)
    assert (flag.code, flag.tier) == ("leg_weakness_stable", "caution")
    assert NoteItem.objects.get(pk=thrust_line.pk).status == "delivered"
    html = client.get(_url(visit)).content.decode()
    assert "Caution: shown for your judgement; it blocks nothing." in html


def test_a_flag_already_open_is_not_raised_twice(client, clinician, visit, note):
    intake_services.red_flags_raise(
        episode=visit.episode, flags=intake_rules.raised_red_flags({"night_pain": True}, age=40, back_pain=False)
    )
    response = _as(client, clinician).post(_url(visit), _form(note, red_flag_symptoms=["night_pain"]))
    assert response.status_code == 302
    assert RedFlag.objects.filter(episode=visit.episode).count() == 1


def test_a_note_without_symptoms_raises_nothing(client, clinician, visit, note):
    response = _as(client, clinician).post(_url(visit), _form(note, new_symptoms="Zebraquail stiffness"))
    assert response.status_code == 302
    assert not RedFlag.objects.exists()
    assert not AuditEvent.objects.filter(action="red_flag.raised").exists()
    html = client.get(_url(visit)).content.decode()
    assert 'id="note-flags-h"' not in html


def test_the_checklist_is_a_labelled_fieldset(client, clinician, visit, note):
    html = _as(client, clinician).get(_url(visit)).content.decode()
    assert "<legend>New red-flag symptoms" in html
    assert 'name="red_flag_symptoms" value="saddle_numbness"' in html
    assert 'for="id_red_flag_symptoms_0"' in html
    # The library list says which techniques are thrusts.
    assert "Lumbar spine manipulation (HVLA thrust) (thrust technique)" in html
    assert "<legend>Thrust technique" in html


def test_the_signed_note_shows_the_flags_it_raised(client, clinician, visit, note):
    _as(client, clinician)
    data = _form(note, red_flag_symptoms=["cancer_history"], action="sign")
    assert client.post(_url(visit), data).status_code == 302
    html = client.get(_url(visit)).content.decode()
    assert "History of cancer with back pain – suspected metastasis" in html
    assert "(from the new symptoms in this note)" in html


# --- Another clinic, hostile input ---------------------------------------------------------------


def test_another_clinics_clinician_gets_404_and_raises_nothing(client, visit, note, other_clinic):
    outsider = UserFactory(clinic=other_clinic, roles=["Clinician"])
    _as(client, outsider)
    assert client.get(_url(visit)).status_code == 404
    assert client.post(_url(visit), _form(note, red_flag_symptoms=["saddle_numbness"])).status_code == 404
    assert not RedFlag.objects.exists()


@pytest.mark.parametrize(
    "changes",
    [
        {"red_flag_symptoms": ["\x00"]},
        {"red_flag_symptoms": ["saddle_numbness\x00"]},
        {"red_flag_symptoms": ["age_caution"]},
        {"red_flag_symptoms": ["x" * 100_000]},
        {"new_symptoms": "numb " * 100_000, "red_flag_symptoms": ["saddle_numbness"]},
        {"new_symptoms": "numb\x00", "red_flag_symptoms": ["saddle_numbness"]},
        {"new-intervention_key": "\x00", "new-status": "delivered"},
        {"new-intervention_key": "no-such-technique", "new-status": "delivered"},
        {"new-name": "Thrust", "new-prong": "manipulation", "new-thrust": "sideways"},
        {"new-name": "Thrust", "new-prong": "exercise", "new-thrust": "spinal"},
    ],
)
def test_hostile_input_gives_form_errors_and_raises_nothing(client, clinician, visit, note, changes):
    response = _as(client, clinician).post(_url(visit), _form(note) | changes)
    assert response.status_code == 400
    assert not RedFlag.objects.exists()
    assert VisitNote.objects.get(pk=note.pk).red_flag_symptoms == []


@pytest.mark.parametrize("mark", ["\x00", "sideways"])
def test_a_hostile_thrust_mark_on_a_plan_line(client, clinician, visit, note, thrust_line, mark):
    data = _form(note) | {f"line-{_position(note, thrust_line)}-thrust": mark}
    assert _as(client, clinician).post(_url(visit), data).status_code == 400
    assert NoteItem.objects.get(pk=thrust_line.pk).thrust == ""


def test_the_service_refuses_unknown_symptoms(clinician, note):
    with pytest.raises(ValidationError):
        services.note_save(actor=clinician, note=note, values={"red_flag_symptoms": ["age_caution"]}, lines=[])
    assert not RedFlag.objects.exists()


# --- The alert and the event, as for an intake's flag --------------------------------------------


def test_a_flag_from_a_note_alerts_the_lead_clinician_and_owes_its_event(
    clinician, clinic_admin, visit, note, mailoutbox, django_capture_on_commit_callbacks
):
    hooks = "https://receiver.example.test/hooks"
    webhooks.endpoint_create(actor=clinic_admin, url=hooks, event_types=["red_flag.raised"])
    with django_capture_on_commit_callbacks(execute=True):
        services.note_save(actor=clinician, note=note, values={"red_flag_symptoms": ["bladder_problems"]}, lines=[])
    flag = RedFlag.objects.get(episode=visit.episode)
    (delivery,) = WebhookDelivery.objects.filter(event_type="red_flag.raised")
    assert delivery.payload["data"] == {"episode": visit.episode_id, "red_flag": flag.pk}
    (message,) = mailoutbox
    assert message.to == [visit.episode.lead_clinician.email]
    assert "New symptoms recorded in a visit note raised 1 red flag" in message.body
    # No intake on this episode: the link is the episode's page, not an intake summary that is not there.
    assert f"/episodes/{visit.episode_id}/" in message.body


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_the_draft_page_queries_do_not_grow_with_thrust_lines_or_flags(client, clinician, visit, note):
    _as(client, clinician)
    RedFlag.objects.create(episode=visit.episode, code="aaa_signs", tier="emergency", label="Zebraquail aneurysm")
    client.get(_url(visit))  # the first page of a session also saves the session
    few = _queries(client, _url(visit))
    for index, code in enumerate(["weight_loss", "night_pain", "cancer_history"]):
        RedFlag.objects.create(episode=visit.episode, code=code, tier="urgent", label=f"Zebraquail {code}")
        thrust = "lumbopelvic-thrust"
        NoteItem.objects.create(
            note=note, order=50 + index, prong="manipulation", name=f"Thrust {index}", intervention_key=thrust
        )
        NoteItem.objects.create(note=note, order=60 + index, prong="manipulation", name=f"Hip {index}", thrust="other")
    html = client.get(_url(visit)).content.decode()
    assert html.count('class="tier tier-') == 4
    assert html.count("Zebraquail aneurysm") > 1  # in the list, and beside each line it refuses
    assert _queries(client, _url(visit)) == few


def test_an_added_line_from_a_retired_library_item_is_refused(clinician, visit, note):
    Intervention.objects.filter(clinic=visit.episode.patient.clinic, key="lumbar-hvla-thrust").update(active=False)
    line = rules.LineDraft(prong="manipulation", name="HVLA", intervention_key="lumbar-hvla-thrust")
    with pytest.raises(ValidationError, match="library"):
        services.note_save(actor=clinician, note=note, values={}, lines=[(None, line)])
    assert not note.items.filter(intervention_key="lumbar-hvla-thrust").exists()
