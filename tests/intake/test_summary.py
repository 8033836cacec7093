"""The staff's side of a submitted intake: the clinician's summary, review notes, red-flag
clearance, what the front desk may see, and the dashboards' intake panels."""

from __future__ import annotations

import datetime
import re

import pytest
from django.db import IntegrityError, connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django.utils.html import escape

from clinic import messaging
from clinic.models import AuditEvent, EpisodeOfCare, Patient
from clinic.permissions import Role
from intake import rules, services
from intake.instruments import BODY_REGION_LABELS
from intake.models import Intake, IntakeInvitation, RedFlag, ReviewNote
from tests.factories import EpisodeFactory, PatientFactory, UserFactory
from tests.intake.helpers import (
    born_aged,
    complete_intake,
    fill_steps,
    post_step,
    questionnaire_data,
    send_invitation,
    step_data,
)

STAFF_BACKEND = "clinic.backends.StaffBackend"
# A low back and outer hip complaint (ODI and LEFS), a 60 % two-week rise in distance, an
# emergency and an urgent red flag; the patient is 60, so back pain adds the age caution.
RICH_ANSWERS = {
    "complaint": {"regions": ["low_back_left", "hip_side_right"]},
    "running": {"weekly_2_weeks_ago": "25", "weekly_now": "40", "weekly_4_weeks_ago": "20"},
    "red_flags": {"bladder_problems": "yes", "cancer_history": "yes"},
    "questionnaires": questionnaire_data(odi=2, lefs=3),
}


@pytest.fixture(autouse=True)
def _empty_sms_outbox():
    messaging.outbox.clear()


def _login(client, user):
    client.force_login(user, backend=STAFF_BACKEND)
    return client


def _summary_url(episode) -> str:
    return f"/episodes/{episode.pk}/intake/"


def _page(response) -> str:
    return response.content.decode()


def _section(html: str, heading_id: str) -> str:
    match = re.search(rf'<section aria-labelledby="{heading_id}".*?</section>', html, re.S)
    assert match, heading_id
    return match.group(0)


@pytest.fixture
def intake(patient, episode, front_desk, django_capture_on_commit_callbacks):
    Patient.objects.filter(pk=patient.pk).update(
        first_name="Robin", last_name="Quillfeather", date_of_birth=born_aged(60)
    )
    link = send_invitation(episode, actor=front_desk)
    with django_capture_on_commit_callbacks(execute=True):
        assert complete_intake(Client(), link, answers=RICH_ANSWERS).status_code == 302
    return Intake.objects.get(episode=episode)


@pytest.fixture
def clinician_client(client, clinician):
    return _login(client, clinician)


# --- The clinician's summary -----------------------------------------------------------------------


def test_summary_shows_scores_with_the_odi_band(clinician_client, episode, intake):
    scores = _section(_page(clinician_client.get(_summary_url(episode))), "scores-heading")
    # One table row per instrument, keyed by the name in its first cell ("ODI (2.1a)").
    rows = {match[0]: match[1] for match in re.findall(r"<tr>\s*<td>(\w+) (.*?)</tr>", scores, re.S)}
    assert set(rows) == {"NPRS", "ODI", "LEFS"}
    assert "5 / 10" in rows["NPRS"]
    assert "least 2, worst 7" in rows["NPRS"]
    assert "40.0 %" in rows["ODI"]
    assert "Moderate" in rows["ODI"]
    assert "60 / 80" in rows["LEFS"]
    assert "Moderate" not in rows["LEFS"]


def test_summary_puts_red_flags_first(clinician_client, episode, intake):
    html = _page(clinician_client.get(_summary_url(episode)))
    order = [html.index(f'id="{heading}"') for heading in ("flags-heading", "scores-heading", "where-heading")]
    assert order == sorted(order)
    flags = _section(html, "flags-heading")
    for code in ("bladder_problems", "cancer_history"):
        assert escape(rules.RED_FLAG_QUESTIONS_BY_CODE[code].staff_label) in flags
    assert "Age 60 with back pain" in flags
    assert "Plan generation and manual therapy are blocked" in flags


def test_summary_lists_open_flags_most_severe_first(clinician_client, episode, intake):
    flags = _section(_page(clinician_client.get(_summary_url(episode))), "flags-heading")
    tiers = re.findall(r'<span class="tier tier-(\w+)">', flags)
    assert tiers == ["emergency", "urgent", "caution"]


def test_summary_lists_cleared_flags_after_open_ones(clinician_client, clinician, episode, intake):
    emergency = RedFlag.objects.get(episode=episode, code="bladder_problems")
    services.red_flag_clear(actor=clinician, red_flag=emergency, note="Seen in the ED, MRI normal")
    flags = _section(_page(clinician_client.get(_summary_url(episode))), "flags-heading")
    assert flags.index("Cleared ") > flags.index("History of cancer")
    assert flags.index("Cleared ") > flags.index("Age 60 with back pain")


def test_the_database_refuses_a_flag_cleared_before_it_was_raised(clinician, episode, intake):
    flag = RedFlag.objects.get(episode=episode, code="bladder_problems")
    flag.cleared_at, flag.cleared_by = flag.raised_at - datetime.timedelta(minutes=1), clinician
    flag.clearance_note = "Seen in the ED"
    with pytest.raises(IntegrityError), transaction.atomic():
        flag.save()
    flag.cleared_at = flag.raised_at
    flag.save()  # the same moment is allowed


def test_summary_shows_regions_load_and_grouped_answers(clinician_client, episode, intake):
    html = _page(clinician_client.get(_summary_url(episode)))
    where = _section(html, "where-heading")
    labels = [BODY_REGION_LABELS[code] for code in RICH_ANSWERS["complaint"]["regions"]]
    assert f"<p>{', '.join(labels)}</p>" in where
    assert '[data-region="low_back_left"] { fill' in where

    load = _section(html, "load-heading")
    assert "Weekly distance rose 60.0 % in two weeks (25.0 km to 40.0 km)" in load
    assert "<dt>Weekly distance now</dt><dd>40 kilometres</dd>" in load
    assert "<dt>Change in weekly distance over four weeks</dt><dd>+100 %</dd>" in load
    assert escape(rules.TEN_PERCENT_GUIDANCE) in load

    groups = dict(re.findall(r'<h2 id="group-\d+">(.*?)</h2>\s*<dl class="facts">(.*?)</dl>', html, re.S))
    assert list(groups) == [
        "About you",
        "Your pain",
        "Your running",
        "Daily life",
        "Health history",
        "Important symptoms",
    ]
    for title, question, answer in [
        ("About you", "How should we contact you?", "E-mail"),
        ("About you", "Mobile phone number", "(312) 555-0134"),
        ("Your pain", "How did it start?", "Gradually, over days or weeks"),
        ("Your pain", "What makes it worse?", "Running downhill, Sitting"),
        ("Your pain", "Does the pain wake you at night?", "No"),
        ("Your running", "I measure distance in", "Kilometres"),
        ("Daily life", "How many hours a day do you spend sitting?", "8"),
        ("Health history", "Earlier injuries to your back, hips or legs", "Hamstring strain in 2019"),
        ("Health history", "Scans you have had for this problem", "X-ray"),
        ("Important symptoms", rules.RED_FLAG_QUESTIONS_BY_CODE["cancer_history"].question, "Yes"),
        ("Important symptoms", rules.RED_FLAG_QUESTIONS_BY_CODE["weight_loss"].question, "No"),
    ]:
        assert f"<dt>{escape(question)}</dt><dd>{escape(answer)}</dd>" in groups[title], (title, question)


def test_summary_shows_miles_as_the_patient_gave_them(client, clinician, patient, episode, front_desk):
    Patient.objects.filter(pk=patient.pk).update(date_of_birth=born_aged(35))
    link = send_invitation(episode, actor=front_desk)
    running = {"distance_unit": "mi", "weekly_2_weeks_ago": "20", "weekly_now": "27"}
    complete_intake(Client(), link, answers={"running": running})
    load = _section(_page(_login(client, clinician).get(_summary_url(episode))), "load-heading")
    assert "<dt>Weekly distance now</dt><dd>27 miles</dd>" in load
    assert "(32.2 km to 43.5 km)" in load


def test_viewing_the_summary_is_audited(clinician_client, clinician, patient, episode, intake):
    clinician_client.get(_summary_url(episode))
    event = AuditEvent.objects.get(action="intake.viewed")
    assert (event.actor, event.patient_id, event.object_id) == (clinician, patient.pk, intake.pk)


# --- Review notes ---------------------------------------------------------------------------------


def test_clinician_adds_a_review_note_and_the_answers_stay(clinician_client, clinician, episode, intake):
    response = clinician_client.post(_summary_url(episode), {"text": "Phoned the patient; booked for today."})
    assert response.status_code == 302
    assert response["Location"] == _summary_url(episode)

    note = ReviewNote.objects.get(intake=intake)
    assert (note.author, note.text) == (clinician, "Phoned the patient; booked for today.")
    after = Intake.objects.get(pk=intake.pk)
    assert (after.answers, after.status, after.submitted_at) == (intake.answers, intake.status, intake.submitted_at)
    assert AuditEvent.objects.filter(action="intake.review_note_added", actor=clinician).exists()
    notes = _section(_page(clinician_client.get(_summary_url(episode))), "notes-heading")
    assert "Phoned the patient; booked for today." in notes
    assert clinician.full_name in notes


def test_empty_review_note_is_refused(clinician_client, episode, intake):
    response = clinician_client.post(_summary_url(episode), {"text": "   "})
    assert response.status_code == 200
    assert "This field is required." in _section(_page(response), "notes-heading")
    assert not ReviewNote.objects.exists()


# --- Clearing red flags ------------------------------------------------------------------------------


def test_clinician_clears_a_flag_with_a_note(clinician_client, clinician, episode, intake):
    flag = RedFlag.objects.get(episode=episode, code="cancer_history")
    response = clinician_client.post(f"/red-flags/{flag.pk}/clear/", {"note": "Oncologist: in remission 10 years"})
    assert response.status_code == 302
    assert response["Location"] == _summary_url(episode)

    flag.refresh_from_db()
    assert not flag.is_open
    assert (flag.cleared_by, flag.clearance_note) == (clinician, "Oncologist: in remission 10 years")
    assert AuditEvent.objects.filter(action="red_flag.cleared", actor=clinician, object_id=flag.pk).exists()
    flags = _section(_page(clinician_client.get(_summary_url(episode))), "flags-heading")
    assert f"by {clinician.full_name}: Oncologist: in remission 10 years" in flags


@pytest.mark.parametrize("note", ["", "   "])
def test_clearing_without_a_note_is_refused_and_the_flag_stays_open(clinician_client, episode, intake, note):
    flag = RedFlag.objects.get(episode=episode, code="bladder_problems")
    response = clinician_client.post(f"/red-flags/{flag.pk}/clear/", {"note": note}, follow=True)
    assert response.status_code == 200
    assert "Say why the flag is cleared" in _page(response)
    flag.refresh_from_db()
    assert flag.is_open
    assert flag.clearance_note == ""
    assert not AuditEvent.objects.filter(action="red_flag.cleared").exists()


@pytest.mark.parametrize(("role", "expected"), [("front_desk", 403), ("clinic_admin", 403), ("foreign", 404)])
def test_only_the_clinics_clinicians_clear_flags(client, request, other_clinic, episode, intake, role, expected):
    if role == "foreign":
        user = UserFactory(clinic=other_clinic, roles=[Role.CLINICIAN])
    else:
        user = request.getfixturevalue(role)
    flag = RedFlag.objects.get(episode=episode, code="bladder_problems")
    response = _login(client, user).post(f"/red-flags/{flag.pk}/clear/", {"note": "Looks fine to me"})
    assert response.status_code == expected
    flag.refresh_from_db()
    assert flag.is_open


# --- Who may see the summary ------------------------------------------------------------------------


@pytest.mark.parametrize(("role", "expected"), [("front_desk", 403), ("clinic_admin", 403), ("foreign", 404)])
@pytest.mark.parametrize("method", ["get", "post"])
def test_summary_is_for_the_clinics_clinicians_only(
    client, request, other_clinic, episode, intake, role, expected, method
):
    if role == "foreign":
        user = UserFactory(clinic=other_clinic, roles=[Role.CLINICIAN])
    else:
        user = request.getfixturevalue(role)
    response = getattr(_login(client, user), method)(_summary_url(episode), {"text": "Sneaky note"})
    assert response.status_code == expected
    assert "Quillfeather" not in _page(response)
    assert not AuditEvent.objects.filter(action="intake.viewed").exists()
    assert not ReviewNote.objects.exists()


def test_summary_needs_sign_in(client, episode, intake):
    response = client.get(_summary_url(episode))
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_front_desk_sees_the_status_but_no_answers_on_the_episode_page(client, front_desk, episode, intake):
    html = _page(_login(client, front_desk).get(f"/episodes/{episode.pk}/"))
    panel = _section(html, "intake-heading")
    assert "Status: <strong>Submitted</strong>" in panel
    for clinical in [
        "Hamstring strain",
        "Long run on a cambered road",
        "40.0 %",
        "History of cancer",
        "Open red flags",
        _summary_url(episode),
    ]:
        assert clinical not in html, clinical


def test_clinician_sees_open_flags_and_the_summary_link_on_the_episode_page(clinician_client, episode, intake):
    panel = _section(_page(clinician_client.get(f"/episodes/{episode.pk}/")), "intake-heading")
    assert "Open red flags" in panel
    assert "History of cancer" in panel
    assert f'href="{_summary_url(episode)}"' in panel


def _expire(episode) -> None:
    now = timezone.now()
    IntakeInvitation.objects.filter(intake__episode=episode).update(
        created_at=now - datetime.timedelta(days=20), expires_at=now - datetime.timedelta(minutes=1)
    )


# (status shown, how to get the episode there)
STATUSES = [
    ("Not sent", lambda episode, desk: None),
    ("Sending", lambda episode, desk: services.invitation_send(actor=desk, episode=episode, channel="email")),
    ("Sent", lambda episode, desk: send_invitation(episode, actor=desk)),
    ("Opened", lambda episode, desk: Client().get(send_invitation(episode, actor=desk))),
    (
        "In progress",
        lambda episode, desk: post_step(Client(), send_invitation(episode, actor=desk), "about", step_data("about")),
    ),
    ("Submitted", lambda episode, desk: complete_intake(Client(), send_invitation(episode, actor=desk))),
    (
        "Link revoked",
        lambda episode, desk: services.invitation_revoke(
            actor=desk, invitation=services.invitation_send(actor=desk, episode=episode, channel="email")
        ),
    ),
    ("Expired", lambda episode, desk: (send_invitation(episode, actor=desk), _expire(episode))),
]


@pytest.mark.parametrize(("status", "make"), [pytest.param(*case, id=case[0]) for case in STATUSES])
def test_front_desk_sees_the_intake_status(client, front_desk, patient, episode, status, make):
    Patient.objects.filter(pk=patient.pk).update(date_of_birth=born_aged(35))
    make(episode, front_desk)
    panel = _section(_page(_login(client, front_desk).get(f"/episodes/{episode.pk}/")), "intake-heading")
    assert f"Status: <strong>{status}</strong>" in panel


# --- Dashboards ---------------------------------------------------------------------------------------


def _flagged_episodes(clinic, lead, count: int) -> list:
    episodes = []
    for _ in range(count):
        episode = EpisodeFactory(patient=PatientFactory(clinic=clinic), lead_clinician=lead)
        RedFlag.objects.create(episode=episode, code="weight_loss", tier="urgent", label="Unexplained weight loss")
        RedFlag.objects.create(episode=episode, code="age_caution", tier="caution", label="Age 61 with back pain")
        episodes.append(episode)
    return episodes


def _pending_intakes(clinic, desk, count: int) -> list:
    episodes = [EpisodeFactory(patient=PatientFactory(clinic=clinic)) for _ in range(count)]
    for episode in episodes:
        send_invitation(episode, actor=desk)
    return episodes


def test_clinician_dashboard_lists_my_episodes_with_open_red_flags(
    clinician_client, clinic, clinician, episode, intake
):
    others = _flagged_episodes(clinic, UserFactory(clinic=clinic, roles=[Role.CLINICIAN]), 1)
    cleared = _flagged_episodes(clinic, clinician, 1)[0]
    for flag in cleared.red_flags.all():
        services.red_flag_clear(actor=clinician, red_flag=flag, note="Cleared by the GP")

    urgent = _section(_page(clinician_client.get("/")), "urgent-heading")
    assert "Urgent: red flags to review" in urgent
    assert f'<a href="{_summary_url(episode)}">Robin Quillfeather</a>' in urgent
    assert "History of cancer" in urgent
    assert _summary_url(others[0]) not in urgent
    assert _summary_url(cleared) not in urgent


def test_front_desk_dashboard_lists_pending_intakes(client, clinic, front_desk, episode, intake):
    pending = _pending_intakes(clinic, front_desk, 2)
    html = _page(_login(client, front_desk).get("/"))
    table = _section(html, "pending-intakes")
    for waiting in pending:
        assert f'<a href="/episodes/{waiting.pk}/">{waiting.patient.full_name}</a></td><td>Sent</td>' in table
    assert f"/episodes/{episode.pk}/" not in table  # submitted: no longer pending
    assert "urgent-heading" not in html
    assert "History of cancer" not in html


def _queries(client, path: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(path).status_code == 200
    return len(captured.captured_queries)


def test_clinician_dashboard_queries_do_not_grow_with_flagged_episodes(
    client, clinic, clinician, django_assert_max_num_queries
):
    _login(client, clinician)
    _flagged_episodes(clinic, clinician, 1)
    client.get("/")
    small = _queries(client, "/")
    _flagged_episodes(clinic, clinician, 4)
    with django_assert_max_num_queries(small):
        response = client.get("/")
    urgent = _section(_page(response), "urgent-heading")
    assert urgent.count('<a href="/episodes/') == 5
    assert urgent.count("Unexplained weight loss") == 5


def test_front_desk_dashboard_queries_do_not_grow_with_pending_intakes(
    client, clinic, front_desk, django_assert_max_num_queries
):
    _login(client, front_desk)
    _pending_intakes(clinic, front_desk, 1)
    client.get("/")
    small = _queries(client, "/")
    _pending_intakes(clinic, front_desk, 4)
    with django_assert_max_num_queries(small):
        response = client.get("/")
    assert _section(_page(response), "pending-intakes").count("<td>Sent</td>") == 5


def test_a_summary_before_submitting_says_so_in_words(clinician_client, episode, front_desk):
    EpisodeOfCare.objects.filter(pk=episode.pk).update(presenting_complaint="")
    link = send_invitation(episode, actor=front_desk)
    fill_steps(Client(), link, until="running")

    html = " ".join(_page(clinician_client.get(_summary_url(episode))).split())

    assert '<p class="muted">not submitted yet · consent signed' in html
    assert "submitted —" not in html
