"""Discharge: the clinician's page and API, the PDFs, the front desk's lapsed list, and the
follow-up questionnaires by link (through the outbox, with quiet hours and the opt-out)."""

from __future__ import annotations

import datetime
import io
import re
from decimal import Decimal

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.test import Client
from django.utils import timezone
from pypdf import PdfReader

from clinic.models import AuditEvent, EpisodeStatus
from clinic.outbox import dispatch
from clinic.outbox.models import MessageKind, MessageStatus, PatientMessage
from clinic.scheduling.models import AppointmentStatus
from clinic.webhooks.models import WebhookDelivery
from intake.models import Intake, IntakeStatus, QuestionnaireScore
from notes import discharge, discharge_documents
from notes.follow_up_messages import LINKS
from notes.models import Discharge, DischargeDocument, FollowUp, FollowUpConsent, FollowUpKind, FollowUpScore
from notes.templatetags.discharge_tags import DASHBOARD_LAPSED
from tests.factories import AppointmentFactory, EpisodeFactory, clinic_today
from tests.notes.conftest import signed_in
from tests.plans.helpers import api_client

FORM = {
    "reason": "goals_met",
    "reason_text": "",
    "discharged_on": "",
    "what_improved": "Pain down from 6 to 1",
    "home_program": "Glute bridge 3 x 12",
    "when_to_come_back": "If the pain comes back for more than a week",
    "referrer_name": "",
    "referrer_address": "",
}


def _intake_scores(episode, nprs_now=6, odi=Decimal("40")):
    submitted = timezone.now() - datetime.timedelta(days=30)
    intake = Intake.objects.create(episode=episode, status=IntakeStatus.SUBMITTED, submitted_at=submitted)
    for code, value in (("nprs", Decimal(nprs_now)), ("odi", odi)):
        QuestionnaireScore.objects.create(
            intake=intake,
            instrument=code,
            version="1",
            value=value,
            display=str(value),
            items_answered=3,
            items_total=3,
            complete=True,
            scored=True,
        )
    return intake


def _link_in(body: str) -> str:
    return re.search(r"/follow-up/([^/\s]+)/", body).group(1)


# --- The clinician's page ---------------------------------------------------------------------------


def test_the_page_prefills_the_home_program_from_the_signed_plan(client, clinician, episode, signed_plan):
    _intake_scores(episode)
    page = signed_in(client, clinician).get(f"/episodes/{episode.pk}/discharge/")
    assert page.status_code == 200
    body = page.content.decode()
    assert 'name="home_program"' in body
    program = discharge.home_program(episode)
    assert program
    assert program.splitlines()[0].split(":")[0] in body
    assert 'value="goals_met"' in body


def test_discharging_closes_the_episode_queues_the_summary_and_tells_webhooks(
    client, clinician, episode, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = signed_in(client, clinician).post(f"/episodes/{episode.pk}/discharge/", FORM)
    assert response.status_code == 302
    episode.refresh_from_db()
    assert episode.status == EpisodeStatus.DISCHARGED
    assert episode.closed_on == clinic_today()
    done = Discharge.objects.get(episode=episode)
    assert done.reason == "goals_met"
    assert done.discharged_by == clinician
    summary = DischargeDocument.objects.get(discharge=done)
    assert summary.kind == "summary"
    assert summary.status == "ready"
    assert AuditEvent.objects.filter(action="episode.discharged", object_id=done.pk).exists()
    # No follow-up without the patient's consent, and no final measures unless asked for.
    assert not FollowUp.objects.exists()
    page = client.get(f"/episodes/{episode.pk}/discharge/").content.decode()
    assert "Discharged" in page
    assert "download the PDF" in page


def test_the_discharged_page_keeps_the_summarys_lines_apart(client, clinician, episode):
    form = {**FORM, "home_program": "Glute bridge 3 x 12\nBird dog 2 x 10", "when_to_come_back": "Pain\n<b>again</b>"}
    signed_in(client, clinician).post(f"/episodes/{episode.pk}/discharge/", form)
    page = client.get(f"/episodes/{episode.pk}/discharge/").content.decode()
    assert "Glute bridge 3 x 12<br>Bird dog 2 x 10" in page
    assert "Pain<br>&lt;b&gt;again&lt;/b&gt;" in page


def test_the_webhook_event_names_the_episode_and_the_discharge(clinician, clinic_admin, episode):
    from clinic.webhooks import services as webhooks

    endpoint, _ = webhooks.endpoint_create(
        actor=clinic_admin, url="https://receiver.example.test/hooks", event_types=["episode.discharged"]
    )
    done = discharge.discharge_episode(actor=clinician, episode=episode, reason="goals_met")
    delivery = WebhookDelivery.objects.get(endpoint=endpoint)
    assert delivery.event_type == "episode.discharged"
    assert delivery.payload["data"] == {"episode": episode.pk, "discharge": done.pk}


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"reason": "other"}, "reason_text"),
        ({"referrer_name": "Dr Who", "letter_wanted": "on"}, "referrer_address"),
        ({"reason": "nonsense"}, "reason"),
        ({"discharged_on": "2999-01-01"}, "discharged_on"),
        ({"discharged_on": "not a day"}, "discharged_on"),
        ({"what_improved": "bad\x00text"}, "what_improved"),
    ],
)
def test_bad_input_is_refused_and_keeps_what_was_typed(client, clinician, episode, changes, field):
    response = signed_in(client, clinician).post(f"/episodes/{episode.pk}/discharge/", {**FORM, **changes})
    assert response.status_code == 400
    assert field in response.context["form"].errors
    assert "Glute bridge 3 x 12" in response.content.decode()
    episode.refresh_from_db()
    assert episode.status == EpisodeStatus.OPEN


def test_a_referrers_name_with_a_control_character_gets_one_message_naming_it(client, clinician, episode):
    changes = {"letter_wanted": "on", "referrer_name": "Dr Who\x00", "referrer_address": "1 High St"}
    response = signed_in(client, clinician).post(f"/episodes/{episode.pk}/discharge/", {**FORM, **changes})
    assert response.status_code == 400
    messages = response.context["form"].errors["referrer_name"]
    assert len(messages) == 1
    assert "U+0000" in messages[0]


def test_a_discharge_before_the_episode_opened_is_refused_on_the_form(client, clinician, episode):
    before = (episode.opened_on - datetime.timedelta(days=3)).isoformat()
    response = signed_in(client, clinician).post(
        f"/episodes/{episode.pk}/discharge/", {**FORM, "discharged_on": before}
    )
    assert response.status_code == 400
    assert "before the episode opened" in response.content.decode()


@pytest.mark.parametrize("role", ["front_desk", "clinic_admin"])
def test_only_clinicians_discharge_with_a_summary(client, episode, role, request):
    user = request.getfixturevalue(role)
    signed_in(client, user)
    assert client.get(f"/episodes/{episode.pk}/discharge/").status_code == 403
    assert client.post(f"/episodes/{episode.pk}/discharge/", FORM).status_code == 403
    assert Discharge.objects.count() == 0


def test_another_clinics_episode_is_not_found(client, clinician, foreign_episode):
    signed_in(client, clinician)
    assert client.get(f"/episodes/{foreign_episode.pk}/discharge/").status_code == 404
    assert client.post(f"/episodes/{foreign_episode.pk}/discharge/", FORM).status_code == 404


def test_an_episode_is_discharged_once(clinician, episode):
    discharge.discharge_episode(actor=clinician, episode=episode, reason="goals_met")
    with pytest.raises(Exception, match="already discharged"):
        discharge.discharge_episode(actor=clinician, episode=episode, reason="goals_met")


# --- PDFs ---------------------------------------------------------------------------------------------


def _pdf_text(document: DischargeDocument) -> str:
    document.refresh_from_db()
    with document.file.open("rb") as handle:
        return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(handle.read())).pages)


def test_the_summary_and_the_letter_render(clinician, episode, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        done = discharge.discharge_episode(
            actor=clinician,
            episode=episode,
            reason="referred_on",
            what_improved="Pain down from 6 to 1",
            home_program="Glute bridge 3 x 12",
            when_to_come_back="If the pain lasts a week",
            referrer_name="Dr Ada Referrer",
            referrer_address="1 Main Street\nSpringfield",
            letter_wanted=True,
        )
    summary = done.documents.get(kind="summary")
    letter = done.documents.get(kind="letter")
    text = _pdf_text(summary)
    assert "Glute bridge 3 x 12" in text
    assert "When to come back" in text
    assert "numbness" in text  # when to seek help, as on every handout
    letter_text = _pdf_text(letter)
    assert "Dr Ada Referrer" in letter_text
    assert "Springfield" in letter_text
    # Rendering again does nothing: the row records that it is done.
    assert discharge_documents.render(document_id=summary.pk) is False


def test_the_pdf_download_is_the_clinics_and_audited(client, clinician, front_desk, episode, foreign_episode):
    with_pdf = discharge.discharge_episode(actor=clinician, episode=episode, reason="goals_met")
    discharge_documents.render(document_id=with_pdf.documents.get().pk)
    document = with_pdf.documents.get()
    assert signed_in(client, clinician).get(f"/discharge-documents/{document.pk}/").status_code == 200
    assert AuditEvent.objects.filter(action="discharge.document_downloaded", object_id=document.pk).exists()
    assert signed_in(Client(), front_desk).get(f"/discharge-documents/{document.pk}/").status_code == 403
    other = discharge.discharge_episode(
        actor=foreign_episode.lead_clinician, episode=foreign_episode, reason="goals_met"
    ).documents.get()
    assert signed_in(Client(), clinician).get(f"/discharge-documents/{other.pk}/").status_code == 404


# --- The lapsed list ---------------------------------------------------------------------------------


def _lapsed_episode(patient, clinician, weeks=8):
    episode = EpisodeFactory(
        patient=patient, lead_clinician=clinician, opened_on=timezone.localdate() - datetime.timedelta(weeks=weeks + 2)
    )
    # Each at its own hour: one clinician is never booked twice at once.
    starts = timezone.now() - datetime.timedelta(weeks=weeks, hours=EpisodeFactory._meta.model.objects.count())
    AppointmentFactory(episode=episode, starts_at=starts, status=AppointmentStatus.COMPLETED)
    return episode


def test_the_front_desk_sees_lapsed_episodes_without_clinical_content(client, front_desk, patient, clinician):
    lapsed = _lapsed_episode(patient, clinician)
    recent = _lapsed_episode(patient, clinician, weeks=2)
    booked = _lapsed_episode(patient, clinician, weeks=9)
    AppointmentFactory(episode=booked)  # tomorrow
    page = signed_in(client, front_desk).get("/schedule/lapsed/").content.decode()
    assert f"/episodes/{lapsed.pk}/discharge/stopped-attending/" in page
    assert f"/episodes/{recent.pk}/discharge/" not in page
    assert f"/episodes/{booked.pk}/discharge/" not in page
    assert lapsed.presenting_complaint not in page
    assert AuditEvent.objects.filter(action="episode.lapsed_viewed", patient_id=patient.pk).exists()
    dashboard = client.get("/").content.decode()
    assert "Lapsed episodes" in dashboard
    assert f"/episodes/{lapsed.pk}/discharge/stopped-attending/" in dashboard


def test_the_clinics_own_number_of_weeks_counts(client, front_desk, patient, clinician):
    from clinic.models import ClinicThreshold

    lapsed = _lapsed_episode(patient, clinician, weeks=3)
    signed_in(client, front_desk)
    assert f"/episodes/{lapsed.pk}/" not in client.get("/schedule/lapsed/").content.decode()
    ClinicThreshold.objects.create(clinic=patient.clinic, key="lapsed_after_weeks", value=2)
    assert f"/episodes/{lapsed.pk}/" in client.get("/schedule/lapsed/").content.decode()


def test_the_longest_lapsed_come_first_and_the_never_attended_last(front_desk, patient, clinician):
    # Opened before the others: on SQLite, where nulls sort first, only the explicit order puts it last.
    never = EpisodeFactory(
        patient=patient, lead_clinician=clinician, opened_on=timezone.localdate() - datetime.timedelta(weeks=20)
    )
    recent = _lapsed_episode(patient, clinician, weeks=8)
    longest = _lapsed_episode(patient, clinician, weeks=12)
    assert list(discharge.lapsed_episodes(user=front_desk)) == [longest, recent, never]
    assert [row.last_attended_at is None for row in discharge.lapsed_episodes(user=front_desk)] == [False, False, True]


# The front desk's dashboard with its lapsed panel full: as many as with none shown
# (tests/clinic/test_pages.py), the panel one page of episodes with their patients.
FRONT_DESK_DASHBOARD_QUERIES = 14


def test_the_dashboards_lapsed_panel_queries_do_not_grow_with_lapsed_episodes(
    client, front_desk, patient, clinician, django_assert_num_queries
):
    for _ in range(3):
        _lapsed_episode(patient, clinician)
    signed_in(client, front_desk).get("/")  # warm-up: content types, first-session work
    with django_assert_num_queries(FRONT_DESK_DASHBOARD_QUERIES):
        client.get("/")
    for _ in range(12):
        _lapsed_episode(patient, clinician)
    with django_assert_num_queries(FRONT_DESK_DASHBOARD_QUERIES):
        html = client.get("/").content.decode()
    assert html.count("/discharge/stopped-attending/") == DASHBOARD_LAPSED
    assert 'href="/schedule/lapsed/">All lapsed episodes</a>' in html


def test_the_front_desk_discharges_a_lapsed_episode_and_the_questionnaires_go_by_link(
    client, front_desk, patient, clinician, django_capture_on_commit_callbacks
):
    lapsed = _lapsed_episode(patient, clinician)
    _intake_scores(lapsed)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = signed_in(client, front_desk).post(f"/episodes/{lapsed.pk}/discharge/stopped-attending/")
    assert response.status_code == 302
    lapsed.refresh_from_db()
    assert lapsed.status == EpisodeStatus.DISCHARGED
    done = Discharge.objects.get(episode=lapsed)
    assert done.reason == "stopped_attending"
    assert done.what_improved == ""
    final = FollowUp.objects.get(episode=lapsed, kind=FollowUpKind.FINAL)
    message = PatientMessage.objects.get(kind=MessageKind.FOLLOW_UP, subject_id=final.pk)
    if message.status == MessageStatus.PENDING:  # held by quiet hours at the time the test runs
        assert message.due_at > timezone.now()
    else:
        assert message.status == MessageStatus.SENT
        assert "/follow-up/" in mail.outbox[-1].body


def test_an_episode_that_is_not_lapsed_is_not_discharged_by_the_front_desk(client, front_desk, episode):
    AppointmentFactory(episode=episode)
    signed_in(client, front_desk).post(f"/episodes/{episode.pk}/discharge/stopped-attending/")
    episode.refresh_from_db()
    assert episode.status == EpisodeStatus.OPEN


def test_the_front_desk_cannot_discharge_another_clinics_episode(client, front_desk, foreign_episode):
    response = signed_in(client, front_desk).post(f"/episodes/{foreign_episode.pk}/discharge/stopped-attending/")
    assert response.status_code == 404


def test_the_clinic_admin_has_no_lapsed_list(client, clinic_admin):
    assert signed_in(client, clinic_admin).get("/schedule/lapsed/").status_code == 403


# --- Follow-up by link ----------------------------------------------------------------------------------


def _awake(clinic):
    """Quiet hours that never hold a message now."""
    clinic.quiet_hours_start = clinic.quiet_hours_end = datetime.time(0, 0)
    clinic.save()


def _consent(patient, clinician, agreed=True):
    FollowUpConsent.objects.create(patient=patient, agreed=agreed, recorded_by=clinician, recorded_at=timezone.now())


def test_follow_ups_are_scheduled_only_for_a_consenting_patient(clinician, episode, patient):
    discharge.discharge_episode(actor=clinician, episode=episode, reason="goals_met")
    assert not FollowUp.objects.exists()
    other = EpisodeFactory(patient=patient, lead_clinician=clinician)
    _consent(patient, clinician)
    discharge.discharge_episode(actor=clinician, episode=other, reason="goals_met")
    follow_up = FollowUp.objects.get(episode=other)
    assert follow_up.kind == FollowUpKind.FOLLOW_UP
    assert follow_up.due_on == discharge.discharge_rules.add_months(clinic_today(), 3)
    message = PatientMessage.objects.get(kind=MessageKind.FOLLOW_UP, subject_id=follow_up.pk)
    assert message.status == MessageStatus.PENDING
    assert message.due_at.date() >= follow_up.due_on - datetime.timedelta(1)


def test_the_discharge_form_records_consent(client, clinician, episode, patient):
    signed_in(client, clinician).post(f"/episodes/{episode.pk}/discharge/", {**FORM, "follow_up_consent": "on"})
    assert FollowUpConsent.objects.get(patient=patient).agreed
    assert FollowUp.objects.filter(episode=episode, kind=FollowUpKind.FOLLOW_UP).exists()


def _final(clinician, episode, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        discharge.discharge_episode(actor=clinician, episode=episode, reason="goals_met", send_final_measures=True)
    return FollowUp.objects.get(episode=episode, kind=FollowUpKind.FINAL)


def test_the_link_is_sent_and_the_answers_land_as_follow_up_scores(
    clinician, episode, django_capture_on_commit_callbacks
):
    _awake(episode.patient.clinic)
    _intake_scores(episode)
    mail.outbox.clear()
    follow_up = _final(clinician, episode, django_capture_on_commit_callbacks)
    follow_up.refresh_from_db()
    assert follow_up.sent_at is not None
    token = _link_in(mail.outbox[-1].body)
    assert "stop" in mail.outbox[-1].body.lower()  # a reminder carries the opt-out link
    patient_client = Client()
    page = patient_client.get(f"/follow-up/{token}/")
    assert page.status_code == 200
    body = page.content.decode()
    assert 'name="nprs__now"' in body
    assert 'name="odi__' in body
    answers = {"nprs__now": "1", "nprs__least": "0", "nprs__worst": "2"}
    assert patient_client.post(f"/follow-up/{token}/", answers).status_code == 200
    follow_up.refresh_from_db()
    assert follow_up.answered_at is not None
    nprs = FollowUpScore.objects.get(follow_up=follow_up, instrument="nprs")
    assert nprs.scored
    assert nprs.answers == {"now": 1, "least": 0, "worst": 2}
    assert FollowUpScore.objects.get(follow_up=follow_up, instrument="odi").scored is False
    # A second visit to the link finds it answered.
    assert "Thank you" in patient_client.get(f"/follow-up/{token}/").content.decode()


def test_bad_answers_are_refused_and_kept(clinician, episode, django_capture_on_commit_callbacks):
    _awake(episode.patient.clinic)
    mail.outbox.clear()
    _final(clinician, episode, django_capture_on_commit_callbacks)
    token = _link_in(mail.outbox[-1].body)
    response = Client().post(f"/follow-up/{token}/", {"nprs__now": "11", "nprs__worst": "3"})
    assert response.status_code == 400
    assert 'value="3" checked' in response.content.decode() or "checked" in response.content.decode()
    assert not FollowUpScore.objects.exists()


def test_a_blank_send_is_refused_and_the_link_still_answers(clinician, episode, django_capture_on_commit_callbacks):
    _awake(episode.patient.clinic)
    _intake_scores(episode)
    mail.outbox.clear()
    follow_up = _final(clinician, episode, django_capture_on_commit_callbacks)
    token = _link_in(mail.outbox[-1].body)
    patient_client = Client()
    response = patient_client.post(f"/follow-up/{token}/", {})
    assert response.status_code == 400
    assert "Answer at least one question before sending" in response.content.decode()
    follow_up.refresh_from_db()
    assert follow_up.answered_at is None
    assert not FollowUpScore.objects.exists()
    # The service refuses it too, whoever calls it.
    with pytest.raises(ValidationError):
        discharge.follow_up_answer(follow_up=follow_up, answers={"nprs": {"now": None}})
    assert patient_client.post(f"/follow-up/{token}/", {"nprs__now": "1"}).status_code == 200
    follow_up.refresh_from_db()
    assert follow_up.answered_at is not None


@pytest.mark.django_db
def test_a_forged_link_opens_nothing():
    assert Client().get("/follow-up/not-a-token/").status_code == 404
    forged, _ = LINKS.new()
    assert Client().get(f"/follow-up/{forged}/").status_code == 404


def test_the_opt_out_stops_follow_ups(clinician, episode, patient, django_capture_on_commit_callbacks):
    _awake(patient.clinic)
    patient.reminders_opted_out_at = timezone.now()
    patient.save()
    mail.outbox.clear()
    follow_up = _final(clinician, episode, django_capture_on_commit_callbacks)
    message = PatientMessage.objects.get(kind=MessageKind.FOLLOW_UP, subject_id=follow_up.pk)
    assert message.status == MessageStatus.SKIPPED
    assert not mail.outbox
    follow_up.refresh_from_db()
    assert follow_up.sent_at is None
    assert follow_up.token_hash is None


def test_quiet_hours_hold_the_link(clinician, episode, patient, django_capture_on_commit_callbacks):
    clinic = patient.clinic
    now = timezone.localtime(timezone.now(), clinic.zone)
    clinic.quiet_hours_start = (now - datetime.timedelta(hours=1)).time().replace(second=0, microsecond=0)
    clinic.quiet_hours_end = (now + datetime.timedelta(hours=2)).time().replace(second=0, microsecond=0)
    clinic.save()
    mail.outbox.clear()
    follow_up = _final(clinician, episode, django_capture_on_commit_callbacks)
    message = PatientMessage.objects.get(kind=MessageKind.FOLLOW_UP, subject_id=follow_up.pk)
    if message.status == MessageStatus.QUEUED:
        dispatch.deliver(message_id=message.pk)
        message.refresh_from_db()
    assert message.status == MessageStatus.PENDING
    assert message.due_at > timezone.now()
    assert not mail.outbox


def test_withdrawn_consent_cancels_a_scheduled_follow_up(clinician, episode, patient):
    _consent(patient, clinician)
    discharge.discharge_episode(actor=clinician, episode=episode, reason="goals_met")
    discharge.consent_set(actor=clinician, patient=patient, agreed=False)
    message = PatientMessage.objects.get(kind=MessageKind.FOLLOW_UP)
    assert message.status == MessageStatus.CANCELLED


# --- API ---------------------------------------------------------------------------------------------------


def test_the_api_discharges_and_reads_back(clinician, episode):
    api = api_client(clinician)
    response = api.post(
        "/api/discharges/",
        {"episode": episode.pk, "reason": "goals_met", "home_program": "Bridges"},
        format="json",
    )
    assert response.status_code == 201, response.content
    assert response.json()["home_program"] == "Bridges"
    listed = api.get("/api/discharges/").json()
    assert [row["episode"] for row in listed["results"]] == [episode.pk]
    assert AuditEvent.objects.filter(action="discharge.listed").exists()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"reason": "goals_met"}, "episode"),
        ({"reason": "nonsense"}, "reason"),
        ({"reason": "other"}, "reason_text"),
        ({"reason": "goals_met", "letter_wanted": True}, "referrer_name"),
        ({"reason": "goals_met", "discharged_on": "2999-01-01"}, "discharged_on"),
        ({"reason": ["goals_met"]}, "reason"),
        ({"reason": "goals_met", "what_improved": "x" * 5000}, "what_improved"),
    ],
)
def test_the_api_answers_bad_input_with_field_messages(clinician, episode, body, field):
    payload = {"episode": episode.pk, **body} if field != "episode" else body
    response = api_client(clinician).post("/api/discharges/", payload, format="json")
    assert response.status_code == 400
    assert field in response.json()
    episode.refresh_from_db()
    assert episode.status == EpisodeStatus.OPEN


def test_the_api_refuses_another_clinics_episode_and_the_front_desk(clinician, front_desk, foreign_episode, episode):
    response = api_client(clinician).post(
        "/api/discharges/", {"episode": foreign_episode.pk, "reason": "goals_met"}, format="json"
    )
    assert response.status_code == 400
    assert "episode" in response.json()
    assert api_client(front_desk).get("/api/discharges/").status_code == 403
    assert (
        api_client(front_desk)
        .post("/api/discharges/", {"episode": episode.pk, "reason": "goals_met"}, format="json")
        .status_code
        == 403
    )


def test_fhir_episode_of_care_is_finished_with_the_discharge(clinician, episode):
    from clinic.fhir import mapping

    discharge.discharge_episode(actor=clinician, episode=episode, reason="goals_met")
    episode.refresh_from_db()
    resource = mapping.episode_of_care(episode)
    assert resource["status"] == "finished"
    assert resource["period"]["end"] == episode.closed_on.isoformat()


def test_a_clinics_wording_that_does_not_fit_falls_back_to_the_shipped_text(client, clinician, episode):
    from intake.models import LicensedInstrumentText

    _intake_scores(episode)
    LicensedInstrumentText.objects.create(clinic=episode.patient.clinic, instrument="odi", licence_reference="L-1")
    assert [instrument.code for instrument in discharge.episode_instruments(episode)] == ["nprs", "odi"]
    assert signed_in(client, clinician).get(f"/episodes/{episode.pk}/discharge/").status_code == 200
