"""Discharge, end to end: at the final visit the clinician discharges the episode with a summary
(goals met, final measures sent, a letter to the referrer, the patient agreeing to follow-ups),
first refused for the referrer's missing address; the summary and the letter come as PDFs. Three
months on the follow-up questionnaire goes by e-mail and the patient answers it on a small phone,
first refused when blank. The clinic admin then sees the episode counted on the outcomes page, once
the clinic's minimum group size lets the figures show, and downloads them as CSV."""

from __future__ import annotations

import csv
import datetime
import io
import re
from pathlib import Path

import pytest
import time_machine
from django.core import mail
from django.utils import timezone
from pypdf import PdfReader

from assessments.models import AssessmentKind
from clinic.models import EpisodeStatus
from clinic.outbox.tasks import dispatch_patient_messages
from clinic.permissions import Role
from clinic.scheduling.models import AppointmentStatus
from notes import discharge as discharge_services
from notes.discharge_rules import add_months
from notes.models import Discharge, FollowUp, FollowUpKind
from tests.e2e.conftest import SMALL_PHONE
from tests.e2e.preconditions import completed_assessment, signed_plan, submitted_intake
from tests.factories import AppointmentFactory, EpisodeFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)

REFERRER = "Dr Amara Osei"
REFERRER_ADDRESS = "Riverside Sports Medicine\n12 Mill Lane\nSpringfield"
COME_BACK = "If the back pain returns for more than a week, or runs over 10 km hurt again."


def _at(zone, day: datetime.date, hour: int, minute: int = 0) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time(hour, minute), tzinfo=zone)


def _treated(episode, *, clinician, front_desk, opened: datetime.date) -> None:
    """The episode's care before its discharge, each step on its own day: the intake (ODI and pain
    scored), the initial evaluation two days later and the plan signed that day."""
    zone = clinician.clinic.zone
    with time_machine.travel(_at(zone, opened, 12)):
        submitted_intake(episode, actor=front_desk)
    evaluated = opened + datetime.timedelta(days=2)
    with time_machine.travel(_at(zone, evaluated, 12)):
        assessment = completed_assessment(episode, clinician=clinician, kind=AssessmentKind.INITIAL, on=evaluated)
        signed_plan(assessment, clinician=clinician)


def _discharged_earlier(clinician, front_desk, *, name: str, discharged_on: datetime.date) -> None:
    """Another patient of the clinic, treated the same way, discharged with follow-ups agreed and
    their follow-up sent when due, never answered: the outcomes page's group needs the clinic's
    minimum of episodes before it shows a figure."""
    zone = clinician.clinic.zone
    first, last = name.split()
    episode = EpisodeFactory(
        patient__clinic=clinician.clinic,
        patient__first_name=first,
        patient__last_name=last,
        lead_clinician=clinician,
        opened_on=discharged_on - datetime.timedelta(days=45),
    )
    _treated(episode, clinician=clinician, front_desk=front_desk, opened=episode.opened_on)
    with time_machine.travel(_at(zone, discharged_on, 10)):
        discharge_services.discharge_episode(
            actor=clinician, episode=episode, reason="goals_met", follow_up_consent=True
        )
    (follow_up,) = FollowUp.objects.filter(episode=episode, kind=FollowUpKind.FOLLOW_UP)
    with time_machine.travel(_at(zone, follow_up.due_on, 9)):
        dispatch_patient_messages()


def _press(page, name: str) -> None:
    with page.expect_navigation():
        page.get_by_role("button", name=name).click()


def _pdf_text(page, link) -> str:
    """Download the PDF a link gives, as a person does, and read its text."""
    with page.expect_download() as download:
        link.click()
    content = Path(download.value.path()).read_bytes()
    assert content.startswith(b"%PDF"), content[:40]
    return re.sub(r"\s+", " ", " ".join(p.extract_text() for p in PdfReader(io.BytesIO(content)).pages))


def test_discharge_follow_up_and_outcomes(journey):
    clinician = UserFactory(roles=[Role.CLINICIAN], full_name="Dana Lead", clinic__name="Lakeside Running Clinic")
    clinic = clinician.clinic
    front_desk = UserFactory(clinic=clinic, roles=[Role.FRONT_DESK])
    admin = UserFactory(clinic=clinic, roles=[Role.CLINIC_ADMIN], full_name="Alex Admin")
    zone = clinic.zone
    # The final visit tomorrow at 10:00 in the clinic, whatever the hour the journey runs: out of
    # the quiet hours, so the final measures go at once.
    discharge_day = timezone.localdate(timezone=zone) + datetime.timedelta(days=1)
    opened = discharge_day - datetime.timedelta(days=44)
    episode = EpisodeFactory(
        patient__clinic=clinic,
        patient__first_name="Robin",
        patient__last_name="Okafor",
        patient__email="robin@example.test",
        lead_clinician=clinician,
        opened_on=opened,
    )
    _treated(episode, clinician=clinician, front_desk=front_desk, opened=opened)
    for days, name in ((130, "Kai Moreno"), (125, "Lee Nakamura")):
        _discharged_earlier(clinician, front_desk, name=name, discharged_on=discharge_day - datetime.timedelta(days))
    visit_starts = _at(zone, discharge_day, 9, 30)
    AppointmentFactory(
        episode=episode,
        starts_at=visit_starts,
        ends_at=visit_starts + datetime.timedelta(minutes=30),
        status=AppointmentStatus.CHECKED_IN,
    )
    home_program = discharge_services.home_program(episode)
    assert home_program, "the signed plan has a home program to pre-fill"
    mail.outbox.clear()

    # 1. At the final visit, the clinician discharges the episode with a summary.
    with time_machine.travel(_at(zone, discharge_day, 10), tick=True):
        desk = journey.open()
        journey.sign_in(desk, clinician)
        journey.check(desk, "01-dashboard")
        desk.goto(journey.url(f"/episodes/{episode.pk}/"))
        journey.check(desk, "02-episode")
        desk.get_by_role("link", name="Discharge with a summary").click()
        desk.wait_for_url(journey.url(f"/episodes/{episode.pk}/discharge/"))
        journey.check(desk, "03-discharge-form")
        measures = desk.get_by_role("region", name="Final measures").inner_text()
        assert "Oswestry" in measures, measures

        desk.get_by_role("group", name="Reason").get_by_label("Goals met", exact=True).check()
        desk.get_by_label("Send the patient the episode's questionnaires by link now").check()
        # The only measure the episode has twice: the pain the intake scored, then at the evaluation.
        improved = desk.get_by_label("What improved").input_value()
        assert improved == "Numeric Pain Rating Scale: 5 at the start, 6 now (no meaningful change).", improved
        assert desk.get_by_label("Home program to keep").input_value() == home_program
        assert desk.get_by_label("When to come back").input_value() == ""
        desk.get_by_label("When to come back").fill(COME_BACK)
        desk.get_by_label("Write a letter to the referrer").check()
        desk.get_by_label("Referrer's name").fill(REFERRER)
        consent = desk.get_by_label("The patient agrees to receive follow-up questionnaires after discharge")
        assert not consent.is_checked(), "off unless the patient said yes"
        consent.check()
        _press(desk, "Discharge the episode")

        # No address for the letter: refused, with what was typed kept.
        summary = desk.locator(".error-summary")
        assert "Referrer's address: A letter to the referrer needs their address." in summary.inner_text()
        journey.check(desk, "04-discharge-refused")
        assert desk.get_by_role("group", name="Reason").get_by_label("Goals met", exact=True).is_checked()
        assert desk.get_by_label("Send the patient the episode's questionnaires by link now").is_checked()
        assert desk.get_by_label("What improved").input_value() == improved
        assert desk.get_by_label("Home program to keep").input_value() == home_program
        assert desk.get_by_label("When to come back").input_value() == COME_BACK
        assert desk.get_by_label("Write a letter to the referrer").is_checked()
        assert desk.get_by_label("Referrer's name").input_value() == REFERRER
        assert consent.is_checked()
        assert not Discharge.objects.filter(episode=episode).exists()

        desk.get_by_label("Referrer's address").fill(REFERRER_ADDRESS)
        _press(desk, "Discharge the episode")
        assert desk.url == journey.url(f"/episodes/{episode.pk}/discharge/")
        assert "Episode discharged." in desk.get_by_role("status").inner_text()
        assert desk.get_by_role("heading", level=1).inner_text().startswith("Discharged:")
        journey.check(desk, "05-discharged")
        kept = desk.get_by_role("heading", name="Home program to keep").locator("xpath=following-sibling::p[1]")
        assert kept.inner_text().splitlines() == home_program.splitlines()
        episode.refresh_from_db()
        assert (episode.status, episode.closed_on) == (EpisodeStatus.DISCHARGED, discharge_day)
        done = Discharge.objects.get(episode=episode)
        assert (done.reason, done.referrer_name, done.when_to_come_back) == ("goals_met", REFERRER, COME_BACK)
        desk.get_by_role("link", name="Episode", exact=True).click()
        desk.wait_for_url(journey.url(f"/episodes/{episode.pk}/"))
        assert "Status\nDischarged" in desk.locator("main dl").first.inner_text()
        assert desk.get_by_role("link", name="Discharge with a summary").count() == 0
        journey.check(desk, "06-episode-discharged")
        desk.get_by_role("link", name="Discharge summary and follow-up").click()
        desk.wait_for_url(journey.url(f"/episodes/{episode.pk}/discharge/"))

        # 2. The summary and the letter, made by the worker (eager in tests), download as PDFs.
        documents = desk.locator("main li", has=desk.get_by_role("link", name="download the PDF"))
        assert documents.count() == 2, desk.locator("main").inner_text()
        first_exercise = home_program.splitlines()[0].split(":")[0]
        summary_pdf = _pdf_text(desk, documents.filter(has_text="Discharge summary").get_by_role("link"))
        for words in ("Robin Okafor, your care for Low back pain after long runs ended", first_exercise, COME_BACK):
            assert words in summary_pdf, (words, summary_pdf)
        assert REFERRER not in summary_pdf
        letter_pdf = _pdf_text(desk, documents.filter(has_text="Letter to the referrer").get_by_role("link"))
        for words in (f"Dear {REFERRER},", "Riverside Sports Medicine", "Thank you for referring Robin Okafor"):
            assert words in letter_pdf, (words, letter_pdf)
        assert "Reason: goals met." in letter_pdf, letter_pdf

        # The final measures went by link at once; the follow-up waits for its day.
        (final,) = [sent for sent in mail.outbox if "/follow-up/" in sent.body]
        assert final.to == ["robin@example.test"]
        (follow_up,) = FollowUp.objects.filter(episode=episode, kind=FollowUpKind.FOLLOW_UP)
        assert follow_up.due_on == add_months(discharge_day, 3)
        sent = desk.get_by_role("table", name="Final measures and follow-ups").locator("tbody tr")
        assert sent.filter(has_text="Final measures").inner_text().split("\t")[2] == f"{discharge_day:%-d %b %Y}"
        assert sent.filter(has_text="Follow-up after discharge").inner_text().split("\t")[1:3] == [
            f"{follow_up.due_on:%-d %b %Y}",
            "Not yet",
        ]
        journey.close(desk)

    # 3. Three months on, the follow-up goes when the quiet hours end; the patient answers on a phone.
    mail.outbox.clear()
    with time_machine.travel(_at(zone, follow_up.due_on, 9), tick=True):
        # Beat's dispatch (every minute) claims what is due; a reminder about the closed episode
        # is dropped as it goes, so the follow-up is the only message.
        assert dispatch_patient_messages() >= 1
        (message,) = mail.outbox
        assert message.to == ["robin@example.test"]
        link = re.search(r"https?://\S+/follow-up/\S+/", message.body).group(0)
        phone = journey.open(**SMALL_PHONE)
        phone.goto(journey.url(link))
        assert phone.get_by_role("heading", level=1).inner_text() == "How are you doing?"
        journey.check(phone, "07-follow-up")

        _press(phone, "Send my answers")
        assert "Answer at least one question" in phone.locator(".error-summary").inner_text()
        journey.check(phone, "08-follow-up-blank")
        follow_up.refresh_from_db()
        assert follow_up.answered_at is None

        instruments = discharge_services.episode_instruments(episode)
        for instrument in instruments:
            for item in instrument.items:
                # The second answer of each: the patient a little troubled still.
                question = phone.get_by_role("group", name=item.text, exact=True)
                question.get_by_label(item.options[1].label, exact=True).check()
        journey.screenshot(phone, "09-follow-up-answered")
        _press(phone, "Send my answers")
        assert phone.get_by_role("heading", level=1).inner_text() == "Thank you"
        journey.check(phone, "10-follow-up-thanks")
        follow_up.refresh_from_db()
        assert follow_up.answered_at is not None
        scores = {score.instrument: score for score in follow_up.scores.all()}
        assert set(scores) == {instrument.code for instrument in instruments}
        assert all(score.complete and score.scored for score in scores.values()), scores
        assert scores["odi"].value == 20  # every section's second statement: 10 of 50
        journey.close(phone)

    # 4. The next day the clinic admin looks at the outcomes: three episodes discharged alike,
    #    too few by default; the minimum group size lowered on the settings page; then the figures.
    with time_machine.travel(_at(zone, follow_up.due_on + datetime.timedelta(days=1), 11), tick=True):
        office = journey.open()
        journey.sign_in(office, admin)
        journey.check(office, "11-admin-dashboard")
        office.get_by_role("link", name="Clinic outcomes").click()
        office.wait_for_url(journey.url("/outcomes/"))
        table = office.get_by_role("table", name="Episodes, visits, weeks and follow-up")
        rows = table.locator("tbody tr")
        assert rows.count() >= 1
        for row in rows.all():
            cells = row.locator("td").all_inner_texts()
            assert cells[3] == "3 (too few to judge)", cells
            assert cells[6] == "Lost to follow-up: too few to judge (3)", cells
        journey.check(office, "12-outcomes-too-few")

        office.get_by_role("navigation", name="Main").get_by_role("link", name="Clinic settings").click()
        office.wait_for_url(journey.url("/settings/"))
        journey.check(office, "13-settings")
        minimum = office.get_by_label(re.compile(r"^Outcomes page: judge a group only from"))
        minimum.fill("1")
        _press(office, "Save thresholds")
        assert "greater than or equal to 3" in office.locator(".error-summary").inner_text()
        journey.check(office, "14-settings-refused")
        minimum.fill("3")
        _press(office, "Save thresholds")
        assert "Clinical thresholds saved." in office.get_by_role("status").inner_text()
        journey.check(office, "15-settings-saved")

        office.goto(journey.url("/outcomes/"))
        rows = office.get_by_role("table", name="Episodes, visits, weeks and follow-up").locator("tbody tr")
        groups = rows.count()
        assert groups >= 1
        for row in rows.all():
            cells = row.locator("td").all_inner_texts()
            assert cells[3] == "3", cells
            # Robin answered; the two others never did. Had the answer not counted: 100 %.
            assert cells[6] == "Lost to follow-up: 67 % of 3", cells
        journey.check(office, "16-outcomes")

        with office.expect_download() as download:
            office.get_by_role("link", name="Download these figures (CSV)").click()
        assert download.value.suggested_filename == "outcomes.csv"
        exported = list(csv.DictReader(io.StringIO(Path(download.value.path()).read_text(encoding="utf-8"))))
        counted = [row for row in exported if row["figure"] == "discharged episodes"]
        assert len(counted) == groups
        assert {(row["value"], row["episodes"]) for row in counted} == {("3", "3")}
        lost = [row for row in exported if row["figure"] == "share lost to follow-up (%)"]
        assert {(row["value"], row["episodes"]) for row in lost} == {("67", "3")}
