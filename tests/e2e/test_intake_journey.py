"""A patient completes the intake on a phone, stopping half-way and resuming on another
device; the clinician then sees the scores and the red flag."""

from __future__ import annotations

import re

import pytest
from django.core import mail

from clinic.permissions import Role
from intake import rules, services
from tests.e2e.conftest import screenshot
from tests.factories import PASSWORD, EpisodeFactory, UserFactory

PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}


def _continue(page):
    page.get_by_role("button", name="Save and continue").click()


@pytest.mark.django_db(transaction=True)
def test_patient_completes_intake_on_a_phone_and_clinician_sees_it(live_server, browser):
    clinician = UserFactory(roles=[Role.CLINICIAN], email="lead@example.test")
    front_desk = UserFactory(clinic=clinician.clinic, roles=[Role.FRONT_DESK])
    episode = EpisodeFactory(
        patient__clinic=clinician.clinic,
        patient__first_name="Robin",
        patient__date_of_birth="1988-04-02",
        lead_clinician=clinician,
    )
    services.invitation_send(actor=front_desk, episode=episode, channel="email")
    link = re.search(r"http://\S+", mail.outbox[-1].body).group(0)
    link = live_server.url + link.split("127.0.0.1:8000", 1)[1]

    phone = browser.new_context(**PHONE)
    page = phone.new_page()
    page.goto(link)
    assert page.get_by_role("heading", level=1).inner_text() == "About you"
    _continue(page)
    page.get_by_label("I have read this and I agree").check()
    page.get_by_label("Type your full name to sign").fill("Robin Example")
    _continue(page)

    # The complaint: tap the body picture, then answer the rest.
    page.locator('[data-region="low_back_right"]').first.click()
    page.locator('[data-region="hip_side_right"]').first.click()
    assert page.locator('input[name="regions"][value="low_back_right"]').is_checked()
    page.get_by_label("1 to 6 weeks ago").check()
    page.get_by_label("Gradually, over days or weeks").check()
    for name, value in [("pain_now", "6"), ("pain_least", "3"), ("pain_worst", "8")]:
        page.locator(f'input[name="{name}"][value="{value}"]').check()
    page.get_by_label("About the same all day").check()
    page.locator('input[name="night_pain"][value="no"]').check()
    screenshot(page, "intake-phone-complaint")
    _continue(page)
    assert page.get_by_role("heading", level=1).inner_text() == "Your running"
    phone.close()

    # Later, on another device, the same link resumes where the patient stopped.
    laptop = browser.new_context(**PHONE)
    page = laptop.new_page()
    page.goto(link)
    assert page.get_by_role("heading", level=1).inner_text() == "Your running"
    page.get_by_role("link", name="Your pain").click()
    assert page.locator('input[name="pain_worst"][value="8"]').is_checked()
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
    page.get_by_label("How many hours a day do you spend sitting?").fill("9")
    _continue(page)
    _continue(page)  # health history: nothing to add

    for question in rules.RED_FLAG_QUESTIONS:
        answer = "yes" if question.code == "cancer_history" else "no"
        page.locator(f'input[name="{question.code}"][value="{answer}"]').check()
    _continue(page)
    assert page.get_by_role("heading", name="Oswestry Disability Index").count() == 1
    for item in ["pain_intensity", "personal_care", "lifting", "walking", "sitting", "standing", "sleeping"]:
        page.locator(f'input[name="odi__{item}"][value="2"]').check()
    for item in ["social_life", "travelling"]:
        page.locator(f'input[name="odi__{item}"][value="1"]').check()
    for number in range(1, 21):
        page.locator(f'input[name="lefs__activity_{number:02d}"][value="3"]').check()
    _continue(page)
    page.get_by_label("My answers are complete and correct").check()
    screenshot(page, "intake-phone-review")
    page.get_by_role("button", name="Submit my answers").click()
    assert page.get_by_role("heading", level=1).inner_text() == "Thank you, your form is submitted"
    screenshot(page, "intake-phone-done")
    laptop.close()

    desk = browser.new_context(viewport={"width": 1200, "height": 900})
    page = desk.new_page()
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("E-mail address").fill(clinician.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.locator("main").get_by_role("button", name="Sign in").click()
    urgent = page.get_by_role("region", name="Urgent: red flags to review")
    assert "Robin" in urgent.inner_text()
    assert "Urgent" in urgent.inner_text()
    urgent.get_by_role("link").first.click()
    scores = page.get_by_role("region", name="Questionnaire scores").inner_text()
    assert "6 / 10" in scores  # NPRS now
    assert "35.6 %" in scores  # ODI: 16 of 45
    assert "Moderate" in scores
    assert "60 / 80" in scores  # LEFS
    assert "Load flag" in page.get_by_role("region", name="Running load").inner_text()
    screenshot(page, "intake-clinician-summary")
    desk.close()
