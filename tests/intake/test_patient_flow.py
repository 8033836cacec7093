"""The patient's side of the intake, driven through the test client: every step saved in turn,
resuming on another device, bad input at every step, submission (scores, red flags, load facts)
and the lock afterwards."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.test import Client
from django.utils import timezone
from django.utils.html import escape

from clinic import messaging
from clinic.models import Patient
from intake import rules, services
from intake.models import Intake, IntakeStatus, QuestionnaireScore, RedFlag
from tests.html_forms import read_form
from tests.intake.helpers import (
    STEP_CODES,
    VALID,
    as_lists,
    born_aged,
    complete_intake,
    error_summary,
    field_errors,
    fill_steps,
    is_emergency_page,
    link_step_data,
    patient_signature,
    post_step,
    questionnaire_data,
    send_invitation,
    shown_values,
    step_data,
    step_url,
    submit,
)

PAST_DAY = (datetime.date.today() - datetime.timedelta(days=2)).isoformat()


@pytest.fixture(autouse=True)
def _empty_sms_outbox():
    messaging.outbox.clear()


@pytest.fixture
def link(patient, episode, front_desk):
    """The patient's link; the patient is 35, so back pain alone raises no age caution."""
    Patient.objects.filter(pk=patient.pk).update(date_of_birth=born_aged(35))
    return send_invitation(episode, actor=front_desk)


def _intake(episode) -> Intake:
    return Intake.objects.get(episode=episode)


def _alerts_to(clinician) -> list:
    return [message for message in mail.outbox if message.to == [clinician.email]]


def _set_age(patient, age: int) -> None:
    Patient.objects.filter(pk=patient.pk).update(date_of_birth=born_aged(age))


# --- The whole intake -------------------------------------------------------------------------


def test_link_opens_the_first_step(client, link):
    response = client.get(link)
    assert response.status_code == 302
    assert response["Location"] == step_url(link, "about")
    page = client.get(response["Location"])
    assert page.status_code == 200
    assert "<h1>About you</h1>" in page.content.decode()
    assert "no-store" in page["Cache-Control"]  # health data stays out of shared caches


def test_whole_intake_is_submitted_scored_and_locked(
    client, link, episode, clinician, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = complete_intake(client, link)

    assert response.status_code == 302
    assert response["Location"] == f"{link}done/"
    done = client.get(response["Location"])
    assert done.status_code == 200
    assert "Thank you, your form is submitted" in done.content.decode()

    intake = _intake(episode)
    assert intake.status == IntakeStatus.SUBMITTED
    assert intake.submitted_at is not None
    assert set(intake.answers) == set(STEP_CODES) - {"review"}
    assert intake.drafts == {}
    assert intake.consent_name == patient_signature(link)
    assert intake.consent_signed_at is not None
    scores = {score.instrument: score for score in intake.scores.all()}
    assert set(scores) == {"nprs", "odi"}
    assert (scores["nprs"].value, scores["nprs"].display) == (Decimal(5), "5 / 10")
    assert scores["nprs"].detail == {"now": 5, "least": 2, "worst": 7}
    assert (scores["odi"].value, scores["odi"].display, scores["odi"].band) == (Decimal(40), "40.0 %", "moderate")
    assert intake.load_facts == []
    assert not RedFlag.objects.filter(episode=episode).exists()
    assert _alerts_to(clinician) == []


@pytest.mark.parametrize(
    ("regions", "expected"),
    [
        pytest.param(["low_back_left"], {"nprs": "4 / 10", "odi": "40.0 %"}, id="back-odi"),
        pytest.param(["hip_side_right"], {"nprs": "4 / 10", "lefs": "60 / 80"}, id="hip-lefs"),
        pytest.param(["thigh_back_left"], {"nprs": "4 / 10", "lefs": "60 / 80"}, id="leg-lefs"),
        pytest.param(
            ["buttock_right", "lower_leg_left"], {"nprs": "4 / 10", "odi": "40.0 %", "lefs": "60 / 80"}, id="both"
        ),
    ],
)
def test_questionnaires_follow_the_regions_chosen(client, link, episode, regions, expected):
    response = complete_intake(
        client,
        link,
        answers={
            "complaint": {"regions": regions, "pain_now": "4", "pain_least": "1", "pain_worst": "9"},
            "questionnaires": questionnaire_data(odi=2, lefs=3),
        },
    )
    assert response.status_code == 302
    scores = QuestionnaireScore.objects.filter(intake__episode=episode)
    assert {score.instrument: score.display for score in scores} == expected
    nprs = scores.get(instrument="nprs")
    assert nprs.value == 4
    assert nprs.detail == {"now": 4, "least": 1, "worst": 9}


def test_questionnaire_step_asks_only_the_chosen_instruments(client, link):
    fill_steps(client, link, until="questionnaires", answers={"complaint": {"regions": ["hip_front_left"]}})
    names = set(read_form(client.get(step_url(link, "questionnaires")).content.decode()).options)
    chosen = {name for name in names if not name.startswith("psfs__")}  # the optional PSFS is asked of everyone
    assert {name.split("__")[0] for name in chosen} == {"lefs"}
    assert len(chosen) == 20


# (case, unit, 2 weeks ago, now, longest last 7 days, longest 30 days before, facts as (code, value), message part)
LOAD_CASES = [
    ("25 to 40 km", "km", "25", "40", "14", "15", [("distance_progression", "60.0")], "25.0 km to 40.0 km"),
    ("exactly 30 %", "km", "30", "39", "14", "15", [], ""),
    ("single long run", "km", "30", "32", "17", "15", [("single_run_spike", "113.3")], "(17.0 km) is 113.3 %"),
    ("run exactly 110 %", "km", "30", "32", "16.5", "15", [], ""),
    ("no baseline", "km", "0", "20", "10", "0", [], ""),
    ("miles rise", "mi", "20", "27", "9", "10", [("distance_progression", "35.0")], "32.2 km to 43.5 km"),
    ("miles long run", "mi", "20", "21", "12", "10", [("single_run_spike", "120.0")], "(19.3 km) is 120.0 %"),
]


@pytest.mark.parametrize(
    ("unit", "before", "now", "longest", "prior", "facts", "message"),
    [pytest.param(*case[1:], id=case[0]) for case in LOAD_CASES],
)
def test_load_facts_come_from_the_running_step_in_km(
    client, link, episode, unit, before, now, longest, prior, facts, message
):
    running = {
        "distance_unit": unit,
        "weekly_2_weeks_ago": before,
        "weekly_now": now,
        "longest_last_7_days": longest,
        "longest_prior_30_days": prior,
    }
    complete_intake(client, link, answers={"running": running})
    intake = _intake(episode)
    assert intake.is_submitted
    assert [(fact["code"], str(fact["value"])) for fact in intake.load_facts] == facts
    assert all(message in fact["message"] for fact in intake.load_facts)


# --- Red flags -------------------------------------------------------------------------------------


@pytest.mark.parametrize("question", rules.RED_FLAG_QUESTIONS, ids=lambda question: question.code)
def test_each_yes_raises_its_coded_flag_and_alerts_the_lead_once(
    client, link, episode, clinician, patient, question, django_capture_on_commit_callbacks
):
    # Leg weakness is the emergency only when severe or getting worse, so its follow-up says so.
    follow_up = {rules.LEG_WEAKNESS_WORSE.code: "yes"} if question.code == "leg_weakness" else {}
    with django_capture_on_commit_callbacks(execute=True):
        response = complete_intake(client, link, answers={"red_flags": {question.code: "yes", **follow_up}})
    assert response.status_code == 302

    flags = list(RedFlag.objects.filter(episode=episode))
    assert [(flag.code, flag.tier, flag.label) for flag in flags] == [
        (question.code, question.tier, question.staff_label)
    ]
    assert flags[0].is_open
    assert flags[0].notified_at is not None
    alerts = _alerts_to(clinician)
    assert len(alerts) == 1
    assert f"/episodes/{episode.pk}/intake/" in alerts[0].body
    # The signs are named, in the clinician's words, as written (no HTML entities in a text e-mail).
    assert f": {question.staff_label}\n" in alerts[0].body + "\n"
    assert patient.last_name not in alerts[0].body + alerts[0].subject


# (case, age, regions, flag codes raised when every question is answered "no")
ALL_NO_CASES = [
    ("35, back pain", 35, ["low_back_left"], []),
    ("60, back pain", 60, ["low_back_left"], ["age_caution"]),
    ("51, buttock", 51, ["buttock_right"], ["age_caution"]),
    ("50, back pain", 50, ["low_back_right"], []),
    ("19, back pain", 19, ["low_back_left"], ["age_caution"]),
    ("20, back pain", 20, ["low_back_left"], []),
    ("60, hip only", 60, ["hip_side_left"], []),
]


@pytest.mark.parametrize(("age", "regions", "codes"), [pytest.param(*case[1:], id=case[0]) for case in ALL_NO_CASES])
def test_all_no_raises_nothing_but_the_age_caution(
    client, link, patient, episode, clinician, age, regions, codes, django_capture_on_commit_callbacks
):
    _set_age(patient, age)
    with django_capture_on_commit_callbacks(execute=True):
        complete_intake(
            client, link, answers={"complaint": {"regions": regions}, "questionnaires": questionnaire_data()}
        )
    assert _intake(episode).is_submitted
    flags = RedFlag.objects.filter(episode=episode)
    assert [flag.code for flag in flags] == codes
    assert all(flag.tier == "caution" for flag in flags)
    assert len(_alerts_to(clinician)) == len(codes)


def test_emergency_answer_shows_the_instruction_and_alerts_before_submit(
    client, link, episode, clinician, django_capture_on_commit_callbacks
):
    fill_steps(client, link, until="red_flags")
    with django_capture_on_commit_callbacks(execute=True):
        response = post_step(client, link, "red_flags", step_data("red_flags", {"bladder_problems": "yes"}))

    assert is_emergency_page(response)
    html = response.content.decode()
    assert "Please seek emergency care now" in html
    assert escape(rules.EMERGENCY_INSTRUCTION) in html
    assert step_url(link, "questionnaires") in html
    intake = _intake(episode)
    assert not intake.is_submitted
    assert intake.answers["red_flags"]["bladder_problems"] == "yes"
    flag = RedFlag.objects.get(episode=episode)
    assert (flag.code, flag.tier, flag.intake_id) == ("bladder_problems", "emergency", intake.pk)
    assert flag.notified_at is not None
    assert len(_alerts_to(clinician)) == 1

    # Finishing the form raises no second flag and sends no second alert.
    with django_capture_on_commit_callbacks(execute=True):
        post_step(client, link, "questionnaires", VALID["questionnaires"])
        response = submit(client, link)
    assert response.status_code == 302
    assert RedFlag.objects.filter(episode=episode).count() == 1
    assert len(_alerts_to(clinician)) == 1
    done = client.get(f"{link}done/").content.decode()
    assert escape(rules.EMERGENCY_INSTRUCTION) in done


def test_saving_the_emergency_answer_again_raises_no_second_flag(
    client, link, episode, clinician, django_capture_on_commit_callbacks
):
    fill_steps(client, link, until="red_flags")
    with django_capture_on_commit_callbacks(execute=True):
        for _ in range(2):
            response = post_step(client, link, "red_flags", step_data("red_flags", {"major_trauma": "yes"}))
            assert is_emergency_page(response)
    assert RedFlag.objects.filter(episode=episode, code="major_trauma").count() == 1
    assert len(_alerts_to(clinician)) == 1


def test_leg_weakness_neither_severe_nor_worse_is_a_caution_not_an_emergency(
    client, link, episode, clinician, django_capture_on_commit_callbacks
):
    fill_steps(client, link, until="red_flags")
    answers = {"leg_weakness": "yes", rules.LEG_WEAKNESS_WORSE.code: "no"}
    with django_capture_on_commit_callbacks(execute=True):
        response = post_step(client, link, "red_flags", step_data("red_flags", answers))
    assert response.status_code == 302
    assert not RedFlag.objects.filter(episode=episode).exists()

    with django_capture_on_commit_callbacks(execute=True):
        post_step(client, link, "questionnaires", VALID["questionnaires"])
        submit(client, link)
    flag = RedFlag.objects.get(episode=episode)
    assert (flag.code, flag.tier) == (rules.LEG_WEAKNESS_STABLE_CODE, "caution")
    assert flag.label.startswith("Leg weakness, reported as neither severe nor getting worse")
    assert "emergency" not in client.get(f"{link}done/").content.decode().lower()


def test_leg_weakness_getting_worse_or_severe_is_an_emergency_before_submit(
    client, link, episode, django_capture_on_commit_callbacks
):
    fill_steps(client, link, until="red_flags")
    answers = {"leg_weakness": "yes", rules.LEG_WEAKNESS_WORSE.code: "yes"}
    with django_capture_on_commit_callbacks(execute=True):
        response = post_step(client, link, "red_flags", step_data("red_flags", answers))
    assert is_emergency_page(response)
    flag = RedFlag.objects.get(episode=episode)
    assert (flag.code, flag.tier, flag.label) == (
        "leg_weakness",
        "emergency",
        rules.RED_FLAG_QUESTIONS_BY_CODE["leg_weakness"].staff_label,
    )


def test_leg_weakness_asks_whether_it_is_severe_or_getting_worse(client, link, episode):
    fill_steps(client, link, until="red_flags")
    page = client.get(step_url(link, "red_flags")).content.decode()
    assert escape(rules.LEG_WEAKNESS_WORSE.question) in page

    response = post_step(client, link, "red_flags", step_data("red_flags", {"leg_weakness": "yes"}))
    assert response.status_code == 200
    assert field_errors(response.content.decode(), rules.LEG_WEAKNESS_WORSE.code) == "Answer yes or no."
    assert "red_flags" not in _intake(episode).answers


def test_a_yes_to_weakness_stored_before_the_follow_up_existed_stays_an_emergency(
    client, link, episode, django_capture_on_commit_callbacks
):
    fill_steps(client, link)
    intake = _intake(episode)
    intake.answers["red_flags"] = {**VALID["red_flags"], "leg_weakness": "yes"}
    intake.save(update_fields=["answers"])
    with django_capture_on_commit_callbacks(execute=True):
        assert submit(client, link).status_code == 302
    flag = RedFlag.objects.get(episode=episode)
    assert (flag.code, flag.tier) == ("leg_weakness", "emergency")
    assert flag.label.startswith("Leg weakness, not asked whether severe or progressive")


# --- Resuming ------------------------------------------------------------------------------------


def test_resume_on_another_device_at_the_first_unfinished_step_with_answers_shown(client, link, episode):
    fill_steps(client, link, until="running")

    other_device = Client()
    response = other_device.get(link)
    assert response.status_code == 302
    assert response["Location"] == step_url(link, "running")
    for code in ("about", "consent", "complaint"):
        page = other_device.get(step_url(link, code))
        assert page.status_code == 200
        posted = link_step_data(link, code)
        assert shown_values(page.content.decode(), posted) == as_lists(posted), code


def test_resume_skips_to_review_when_every_step_is_saved(client, link):
    fill_steps(client, link)
    assert Client().get(link)["Location"] == step_url(link, "review")


def test_going_back_keeps_what_was_typed_as_a_draft(client, link, episode):
    fill_steps(client, link, until="running")
    typed = {"years_running": "6", "weekly_now": "45", "distance_unit": "mi"}
    response = post_step(client, link, "running", typed, go="back")
    assert response.status_code == 302
    assert response["Location"] == step_url(link, "complaint")
    intake = _intake(episode)
    assert "running" not in intake.answers
    assert intake.drafts["running"] == as_lists(typed)
    page = Client().get(step_url(link, "running")).content.decode()
    assert shown_values(page, typed) == as_lists(typed)


def test_going_back_from_the_first_step_is_not_an_error(client, link, episode):
    response = post_step(client, link, "about", step_data("about"), go="back")
    assert response.status_code in {200, 302}
    assert _intake(episode).drafts["about"] == as_lists(step_data("about"))


def test_unknown_step_goes_back_to_the_start(client, link):
    response = client.get(step_url(link, "no-such-step"))
    assert response.status_code == 302
    assert response["Location"] == link


# --- Bad input at every step ------------------------------------------------------------------------

# (case, step, changes to the step's valid data (None removes a field), field, message shown)
BAD_INPUT = [
    ("malformed e-mail", "about", {"email": "robin@@example"}, "email", "Enter a valid email address."),
    ("malformed phone", "about", {"mobile_phone": "12ab"}, "mobile_phone", "Enter a valid phone number"),
    ("e-mail channel, no e-mail", "about", {"email": ""}, "email", "Enter your e-mail address, or choose text"),
    (
        "sms channel, no phone",
        "about",
        {"preferred_contact_channel": "sms", "mobile_phone": ""},
        "mobile_phone",
        "Enter your mobile number, or choose e-mail.",
    ),
    (
        "no channel",
        "about",
        {"preferred_contact_channel": None},
        "preferred_contact_channel",
        "This field is required.",
    ),
    ("consent unticked", "consent", {"agree": None}, "agree", "Tick the box to agree"),
    ("not signed", "consent", {"signature": "  "}, "signature", "Type your full name to sign."),
    ("someone else's name", "consent", {"signature": "Mickey Mouse"}, "signature", "Type your name as the clinic"),
    (
        "guardian without relationship",
        "consent",
        {"signer": "guardian", "signature": "Sam Runner"},
        "relationship",
        "Say how you are related to the patient",
    ),
    ("signer unknown", "consent", {"signer": "friend"}, "signer", "Select a valid choice."),
    ("no region", "complaint", {"regions": None}, "regions", "Choose at least one area where it hurts."),
    ("unknown region", "complaint", {"regions": ["knee_left"]}, "regions", "Select a valid choice. knee_left"),
    ("pain 11", "complaint", {"pain_now": "11"}, "pain_now", "Select a valid choice. 11 is not one of"),
    ("pain missing", "complaint", {"pain_worst": None}, "pain_worst", "This field is required."),
    (
        "least above now",
        "complaint",
        {"pain_least": "6"},
        "pain_least",
        "Your least pain cannot be higher than your pain right now.",
    ),
    ("worst below now", "complaint", {"pain_worst": "4"}, "pain_worst", "Your worst pain cannot be lower"),
    ("nerve, no place", "complaint", {"nerve_symptoms": ["tingling"]}, "nerve_where", "Tell us where you feel"),
    ("years -1", "running", {"years_running": "-1"}, "years_running", "greater than or equal to 0."),
    ("weekly 501", "running", {"weekly_now": "501"}, "weekly_now", "less than or equal to 500."),
    ("weekly not a number", "running", {"weekly_now": "lots"}, "weekly_now", "Enter a number."),
    ("weekly missing", "running", {"weekly_2_weeks_ago": None}, "weekly_2_weeks_ago", "This field is required."),
    ("unit unknown", "running", {"distance_unit": "furlong"}, "distance_unit", "Select a valid choice."),
    ("race in the past", "running", {"goal_race_date": PAST_DAY}, "goal_race_date", "The race date is in the past."),
    ("race date malformed", "running", {"goal_race_date": "2031-13-45"}, "goal_race_date", "Enter a valid date."),
    ("sitting 25 h", "daily", {"sitting_hours": "25"}, "sitting_hours", "less than or equal to 24."),
    ("sleep missing", "daily", {"sleep_hours": None}, "sleep_hours", "This field is required."),
    ("history too long", "history", {"surgery": "x" * 2001}, "surgery", "at most 2000 characters (it has 2001)"),
    ("red flag unanswered", "red_flags", {"saddle_numbness": None}, "saddle_numbness", "Answer yes or no."),
    ("red flag maybe", "red_flags", {"weight_loss": "maybe"}, "weight_loss", "Select a valid choice. maybe"),
    ("ODI value 6", "questionnaires", {"odi__lifting": "6"}, "odi__lifting", "Select a valid choice. 6 is not"),
    ("ODI value -1", "questionnaires", {"odi__walking": "-1"}, "odi__walking", "Select a valid choice. -1 is not"),
    ("not confirmed", "review", {"confirm": None}, "confirm", "Tick the box to confirm before you submit."),
]


@pytest.mark.parametrize(
    ("step", "changes", "field", "message"), [pytest.param(*case[1:], id=case[0]) for case in BAD_INPUT]
)
def test_bad_input_is_shown_kept_as_a_draft_and_not_saved(client, link, episode, step, changes, field, message):
    fill_steps(client, link, until=step)
    before = _intake(episode).answers
    posted = link_step_data(link, step, changes)

    response = post_step(client, link, step, posted)

    assert response.status_code == 200
    assert "intake/step.html" in [template.name for template in response.templates]
    html = response.content.decode()
    assert escape(message) in field_errors(html, field)
    assert escape(message) in error_summary(html)
    assert "Please correct" in error_summary(html)
    # Every typed value is in the re-rendered form, save a choice the form does not offer.
    form = read_form(html)
    offered = {
        name: value
        for name, value in as_lists(posted).items()
        if name not in form.options or set(value) <= set(form.options[name])
    }
    assert shown_values(html, offered) == offered

    intake = _intake(episode)
    assert intake.answers == before
    assert step not in intake.answers
    assert intake.status == IntakeStatus.IN_PROGRESS
    assert intake.drafts[step] == as_lists(posted)

    # The draft comes back on another device, with the same error.
    later = Client().get(step_url(link, step)).content.decode()
    assert shown_values(later, offered) == offered
    assert escape(message) in field_errors(later, field)


def test_race_today_in_the_clinics_time_zone_is_not_in_the_past(client, link, episode, monkeypatch):
    """At 03:00 UTC it is still the evening before in Chicago, the clinic's time zone."""
    fill_steps(client, link, until="running")
    late_evening = timezone.now().replace(hour=3, minute=0, second=0, microsecond=0)
    clinic_today = timezone.localdate(late_evening, timezone=episode.patient.clinic.zone)
    assert clinic_today < late_evening.date()
    monkeypatch.setattr(timezone, "now", lambda: late_evening)

    response = post_step(client, link, "running", step_data("running", {"goal_race_date": clinic_today.isoformat()}))

    assert response.status_code == 302, field_errors(response.content.decode(), "goal_race_date")
    assert _intake(episode).answers["running"]["goal_race_date"] == clinic_today.isoformat()


def test_submit_with_a_missing_step_says_which(client, link, episode):
    fill_steps(client, link, until="daily")
    post_step(client, link, "red_flags", step_data("red_flags"))
    post_step(client, link, "questionnaires", VALID["questionnaires"])

    response = submit(client, link)

    assert response.status_code == 200
    summary = error_summary(response.content.decode())
    assert "Please complete these parts first: Daily life, Health history." in summary
    intake = _intake(episode)
    assert intake.status == IntakeStatus.IN_PROGRESS
    assert intake.submitted_at is None
    assert not intake.scores.exists()
    assert not RedFlag.objects.filter(episode=episode).exists()
    assert response.content.decode().count("Not answered yet.") == 2


# --- After submission -----------------------------------------------------------------------------


@pytest.fixture
def submitted(client, link, episode):
    assert complete_intake(client, link).status_code == 302
    return _intake(episode)


@pytest.mark.parametrize("code", STEP_CODES)
def test_after_submit_every_step_redirects_to_done_and_changes_nothing(client, link, submitted, code):
    done = f"{link}done/"
    assert client.get(step_url(link, code))["Location"] == done
    response = post_step(client, link, code, step_data(code, {"pain_now": "9", "email": "changed@example.test"}))
    assert response.status_code == 302
    assert response["Location"] == done
    response = post_step(client, link, code, {"weekly_now": "abc"}, go="back")
    assert response["Location"] == done

    intake = Intake.objects.get(pk=submitted.pk)
    assert intake.answers == submitted.answers
    assert intake.drafts == {}
    assert intake.submitted_at == submitted.submitted_at


def test_after_submit_the_link_opens_the_thank_you_page(client, link, submitted):
    assert client.get(link)["Location"] == f"{link}done/"
    page = client.get(f"{link}done/")
    assert page.status_code == 200
    assert "emergency" not in page.content.decode().lower()


@pytest.mark.parametrize(
    "change",
    [
        pytest.param(lambda intake: services.step_save(intake=intake, step_code="daily", answers={}), id="step_save"),
        pytest.param(
            lambda intake: services.step_save_draft(intake=intake, step_code="daily", raw={"sleep_hours": ["x"]}),
            id="step_save_draft",
        ),
        pytest.param(lambda intake: services.intake_submit(intake=intake), id="intake_submit"),
    ],
)
def test_after_submit_services_refuse_changes(submitted, change):
    with pytest.raises(ValidationError, match="submitted"):
        change(submitted)
    intake = Intake.objects.get(pk=submitted.pk)
    assert intake.answers == submitted.answers
    assert intake.drafts == {}
    assert QuestionnaireScore.objects.filter(intake=intake).count() == 2


def test_after_submit_no_new_link_can_be_sent(submitted, episode, front_desk):
    with pytest.raises(ValidationError, match="already submitted"):
        services.invitation_send(actor=front_desk, episode=episode, channel="email")


def test_submitted_contact_details_wait_for_the_front_desk(client, link, patient, episode):
    """Whoever holds the link may not be the patient: the record keeps its details until staff
    confirm the new ones (tests/clinic/test_contact_changes.py)."""
    before = (patient.email, str(patient.mobile_phone), patient.preferred_contact_channel)
    about = {"email": "new.address@example.test", "mobile_phone": "+13125550188", "preferred_contact_channel": "sms"}
    complete_intake(client, link, answers={"about": about})
    patient.refresh_from_db()
    assert (patient.email, str(patient.mobile_phone), patient.preferred_contact_channel) == before
    [change] = patient.contact_changes.all()
    assert (change.status, change.email, str(change.mobile_phone), change.preferred_contact_channel) == (
        "pending",
        "new.address@example.test",
        "+13125550188",
        "sms",
    )


def test_consent_records_name_time_and_address(client, link, episode):
    before = timezone.now()
    fill_steps(client, link, until="complaint")
    intake = _intake(episode)
    assert intake.consent_name == patient_signature(link)
    assert intake.consent_signed_at >= before
    assert intake.consent_ip == "127.0.0.1"


def test_a_parent_signs_for_the_patient_with_their_name_and_relationship(client, link, episode):
    fill_steps(client, link, until="consent")
    posted = link_step_data(
        link, "consent", {"signer": "guardian", "signature": "Sam Runner", "relationship": "Mother"}
    )

    assert post_step(client, link, "consent", posted).status_code == 302

    intake = _intake(episode)
    assert (intake.consent_name, intake.consent_relationship) == ("Sam Runner", "Mother")


def test_the_patient_signs_with_their_name_in_any_case_accents_and_spacing(client, link, episode):
    patient = episode.patient
    patient.first_name, patient.last_name = "Zoë", "Núñez"
    patient.save(update_fields=["first_name", "last_name"])
    fill_steps(client, link, until="consent")

    response = post_step(client, link, "consent", link_step_data(link, "consent", {"signature": "  zoe   NUNEZ "}))

    assert response.status_code == 302
    assert _intake(episode).consent_relationship == ""


def test_the_review_step_shows_the_answers_to_check(client, link, episode):
    fill_steps(client, link)

    html = client.get(step_url(link, "review")).content.decode()

    assert "Not answered yet." not in html
    assert "Long run on a cambered road" in html  # the onset story, as typed
    assert f"<dt>Signed by</dt><dd>{patient_signature(link)}</dd>" in html
    assert "<dt>Oswestry Disability Index</dt><dd>10 of 10 answered</dd>" in html
    assert "cannot be scored yet" not in html
    # As dialled in the clinic's country, not as stored.
    assert "<dt>Mobile phone number</dt><dd>(312) 555-0134</dd>" in html
    assert "+13125550134" not in html


def test_too_few_odi_sections_are_told_before_submitting(client, link, episode):
    few = {name: value for name, value in VALID["questionnaires"].items() if name.startswith("odi__")}
    for name in list(few)[:3]:
        few.pop(name)
    fill_steps(client, link, answers={"questionnaires": few})

    html = client.get(step_url(link, "review")).content.decode()

    assert "Some questionnaires cannot be scored yet" in html
    assert "Oswestry Disability Index: 7 of 10 sections answered (needs 8)." in html
    assert f'href="{step_url(link, "questionnaires")}"' in html
    # Submitting anyway is the patient's choice.
    assert submit(client, link).status_code == 302


def test_the_about_step_offers_the_saved_number_as_dialled(client, link, episode):
    post_step(client, link, "about", {**VALID["about"], "mobile_phone": "+1 312 555 0134"})
    assert _intake(episode).answers["about"]["mobile_phone"] == "+13125550134"
    html = client.get(step_url(link, "about")).content.decode()
    assert 'value="(312) 555-0134"' in html
    assert "+13125550134" not in html


# --- Queries per step ----------------------------------------------------------------------------


@pytest.mark.parametrize("code", STEP_CODES[:-1])
def test_a_step_page_costs_the_same_few_queries_whichever_step(client, link, code, django_assert_num_queries):
    """The link (with its intake, episode, patient and clinic in one query), the questionnaires'
    licensed wording on their step, and the patient's read written to the audit trail; nothing
    per field or per choice. (The test's transaction hides the INSERT's BEGIN and COMMIT.)"""
    fill_steps(client, link, until=code)
    with django_assert_num_queries(3 if code == "questionnaires" else 2):
        assert client.get(step_url(link, code)).status_code == 200


def test_saving_a_step_costs_a_fixed_number_of_queries(client, link, episode, django_assert_num_queries):
    """The link, then in one transaction the intake locked and read, its answers written and the
    save audited (BEGIN and COMMIT counted: the save's transaction is a savepoint in a test)."""
    client.get(step_url(link, "about"))
    with django_assert_num_queries(6):
        response = post_step(client, link, "complaint", link_step_data(link, "complaint"))
    assert response.status_code == 302
    assert "complaint" in _intake(episode).answers
