"""Journey 2: the patient opens the intake link from the e-mail on a phone, stops half-way
(closes the browser), opens the link again later and finds the answers kept, then finishes
and submits."""

from __future__ import annotations

import re

import pytest
from django.core import mail

from clinic.permissions import Role
from intake import rules, services
from intake.models import Intake
from tests.e2e.conftest import PHONE
from tests.factories import EpisodeFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


def _continue(page):
    page.get_by_role("button", name="Save and continue").click()
    page.wait_for_load_state()


def _heading(page) -> str:
    return page.get_by_role("heading", level=1).inner_text()


def test_patient_completes_the_intake_on_a_phone_in_two_sittings(journey):
    clinician = UserFactory(roles=[Role.CLINICIAN], email="lead@example.test")
    front_desk = UserFactory(clinic=clinician.clinic, roles=[Role.FRONT_DESK])
    episode = EpisodeFactory(
        patient__clinic=clinician.clinic,
        patient__first_name="Robin",
        patient__last_name="Example",
        patient__email="robin@example.test",
        patient__date_of_birth="1988-04-02",
        lead_clinician=clinician,
    )
    # Journey 1 sent it through the page; here the service does, and Celery (eager in tests) delivers.
    services.invitation_send(actor=front_desk, episode=episode, channel="email")
    (message,) = mail.outbox
    assert message.to == ["robin@example.test"]
    link = journey.url(re.search(r"https?://\S+/intake/\S+/", message.body).group(0))

    page = journey.open(**PHONE)
    page.goto(link)
    assert _heading(page) == "About you"
    journey.check(page, "01-about-you")
    _continue(page)
    assert _heading(page) == "Consent"
    journey.check(page, "02-consent")
    page.get_by_label("I have read this and I agree").check()
    # Another name is not a signature: the step asks again, keeping the tick.
    page.get_by_label("Type your full name to sign").fill("Mickey Mouse")
    _continue(page)
    assert _heading(page) == "Consent"
    assert "Type your name as the clinic has it (Robin Example)" in page.locator(".field-error").first.inner_text()
    assert page.get_by_label("I have read this and I agree").is_checked()
    page.get_by_label("Type your full name to sign").fill("robin  example")
    _continue(page)

    # The complaint: tap the body picture, then answer the rest.
    page.locator('[data-region="low_back_right"]').first.tap()
    page.locator('[data-region="hip_side_right"]').first.tap()
    assert page.locator('input[name="regions"][value="low_back_right"]').is_checked()
    page.get_by_label("1 to 6 weeks ago").check()
    page.get_by_label("Gradually, over days or weeks").check()
    for name, value in [("pain_now", "6"), ("pain_least", "3"), ("pain_worst", "8")]:
        page.locator(f'input[name="{name}"][value="{value}"]').check()
    page.get_by_label("About the same all day").check()
    page.locator('input[name="night_pain"][value="no"]').check()
    journey.check(page, "03-complaint")
    _continue(page)
    assert _heading(page) == "Your running"
    journey.check(page, "04-running-before-the-break")
    journey.close(page)  # the patient stops here and closes the browser

    # Later, in a new browser session, the same link resumes where the patient stopped.
    page = journey.open(**PHONE)
    page.goto(link)
    assert _heading(page) == "Your running"
    page.get_by_role("link", name="Your pain").click()
    page.wait_for_load_state()
    assert page.locator('input[name="pain_worst"][value="8"]').is_checked()
    assert page.locator('input[name="regions"][value="hip_side_right"]').is_checked()
    _continue(page)

    for label, value in [
        ("How many years have you been running?", "6"),
        ("How many runs do you do in a usual week?", "4"),
        ("Distance per week now", "40"),
        ("Distance per week two weeks ago", "25"),
        ("Distance per week four weeks ago", "22"),
        ("Your longest single run in the last 7 days", "16"),
        ("Your longest single run in the 30 days before that", "14"),
    ]:
        page.get_by_label(label).fill(value)
    page.get_by_label("Road").check()
    _continue(page)
    # A validation error keeps what was typed.
    page.get_by_label("How many hours a day do you spend sitting?").fill("30")
    page.get_by_label("How many hours do you usually sleep?").fill("7")
    _continue(page)
    assert page.get_by_role("alert").count() == 1
    assert page.get_by_label("How many hours do you usually sleep?").input_value() == "7"
    journey.check(page, "05-daily-life-with-an-error")
    page.get_by_label("How many hours a day do you spend sitting?").fill("9")
    _continue(page)
    journey.check(page, "06-health-history")
    _continue(page)  # nothing to add

    for question in rules.RED_FLAG_QUESTIONS:
        answer = "yes" if question.code in {"cancer_history", "leg_weakness"} else "no"
        page.locator(f'input[name="{question.code}"][value="{answer}"]').check()
    # Weakness neither severe nor getting worse is not an emergency: the form goes on.
    page.locator(f'input[name="{rules.LEG_WEAKNESS_WORSE.code}"][value="no"]').check()
    journey.check(page, "07-red-flags")
    _continue(page)
    assert page.get_by_role("heading", name="Oswestry Disability Index").count() == 1
    for item in ["pain_intensity", "personal_care", "lifting", "walking", "sitting", "standing", "sleeping"]:
        page.locator(f'input[name="odi__{item}"][value="2"]').check()
    for item in ["social_life", "travelling"]:
        page.locator(f'input[name="odi__{item}"][value="1"]').check()
    for number in range(1, 21):
        page.locator(f'input[name="lefs__activity_{number:02d}"][value="3"]').check()
    journey.check(page, "08-questionnaires")
    _continue(page)
    page.get_by_label("My answers are complete and correct").check()
    journey.check(page, "09-review")
    page.get_by_role("button", name="Submit my answers").click()
    page.wait_for_load_state()
    assert _heading(page) == "Thank you, your form is submitted"
    journey.check(page, "10-done")

    intake = Intake.objects.get(episode=episode)
    assert intake.is_submitted
    assert set(intake.scores.values_list("instrument", flat=True)) >= {"nprs", "odi", "lefs"}
    assert set(intake.red_flags.values_list("code", "tier")) == {
        ("cancer_history", "urgent"),
        (rules.LEG_WEAKNESS_STABLE_CODE, "caution"),
    }
    # The link keeps working after submitting, and says so, instead of showing the form again.
    page.goto(link)
    journey.check(page, "11-link-after-submitting")
