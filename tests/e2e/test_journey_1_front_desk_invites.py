"""Journey 1, with the keyboard alone: the front desk signs in, adds a patient, opens an episode
of care and sends the intake link; the e-mail with the link goes out.

Nothing is clicked and no field is filled by selector: Tab / Shift+Tab move the focus (checked
to be visible at every stop), typing goes to the focused field, Enter / Space / arrows act.
"""

from __future__ import annotations

import datetime

import pytest
from django.core import mail

from clinic.models import EpisodeOfCare, Patient
from clinic.permissions import Role
from intake.models import IntakeInvitation
from tests.e2e.conftest import focus_is_on, press_and_load, tab_to
from tests.factories import PASSWORD, ClinicFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


def _type_into(page, locator, text: str) -> None:
    tab_to(page, locator)
    page.keyboard.type(text)


def test_front_desk_adds_a_patient_opens_an_episode_and_sends_the_link(journey):
    clinic = ClinicFactory(name="Lakeside Running Clinic")
    UserFactory(clinic=clinic, roles=[Role.CLINICIAN], full_name="Avery Lead")
    UserFactory(clinic=clinic, roles=[Role.CLINICIAN], full_name="Blake Second")
    desk = UserFactory(clinic=clinic, roles=[Role.FRONT_DESK], full_name="Frankie Desk")

    page = journey.open()
    page.goto(journey.url("/accounts/login/"))
    journey.check(page, "01-sign-in")
    # The sign-in form puts the focus in its first field.
    assert focus_is_on(page.get_by_label("E-mail address"))
    page.keyboard.type(desk.email)
    _type_into(page, page.get_by_label("Password"), PASSWORD)
    press_and_load(page)
    page.wait_for_url(journey.url("/"))
    journey.check(page, "02-dashboard")
    # The first Tab on a page reaches the skip link, which moves the focus to the content.
    page.keyboard.press("Tab")
    assert focus_is_on(page.get_by_role("link", name="Skip to content"))
    page.keyboard.press("Enter")
    assert focus_is_on(page.get_by_role("main"))
    tab_to(page, page.get_by_role("link", name="Patients"), backwards=True)

    press_and_load(page)
    page.wait_for_url(journey.url("/patients/"))
    journey.check(page, "03-patients")
    tab_to(page, page.get_by_role("main").get_by_role("link", name="Add a patient"))
    press_and_load(page)
    page.wait_for_url(journey.url("/patients/new/"))

    # Submitting the empty form lists the problems; the form keeps working from the keyboard.
    tab_to(page, page.get_by_role("button", name="Add patient"))
    press_and_load(page)
    assert page.get_by_role("alert").count() == 1
    journey.check(page, "04-add-patient-errors")

    _type_into(page, page.get_by_label("First name"), "Robin")
    _type_into(page, page.get_by_label("Last name"), "Okafor")
    # Chromium's date field takes the digits month, day, year in the en-US locale.
    _type_into(page, page.get_by_label("Date of birth"), "04021988")
    tab_to(page, page.get_by_label("Sex"))
    page.keyboard.type("Female")  # typing selects the matching option of a focused select
    email = page.get_by_role("textbox", name="E-mail")
    _type_into(page, email, "robin.okafor@example.tset")
    _type_into(page, page.get_by_label("Mobile phone"), "(312) 555-0134")
    # A typo in the address: Shift+Tab goes back to it, and it is typed again.
    tab_to(page, email, backwards=True)
    page.keyboard.press("Control+A")
    page.keyboard.type("robin.okafor@example.test")
    # Arrow keys move between the contact choices (and choose the one they reach).
    tab_to(page, page.get_by_role("radio", name="E-mail"))
    page.keyboard.press("ArrowDown")
    assert page.get_by_role("radio", name="Text message (SMS)").is_checked()
    page.keyboard.press("ArrowUp")
    assert page.get_by_role("radio", name="E-mail").is_checked()
    tab_to(page, page.get_by_label("Contact consent"))
    page.keyboard.press("Space")
    assert page.get_by_label("Contact consent").is_checked()
    journey.check(page, "05-add-patient-filled")
    press_and_load(page)  # Enter in a form submits it
    page.wait_for_url("**/patients/*/")
    patient = Patient.objects.get()
    assert (patient.first_name, patient.last_name, patient.date_of_birth) == (
        "Robin",
        "Okafor",
        datetime.date(1988, 4, 2),
    )
    assert (patient.sex, patient.email, patient.contact_consent) == ("female", "robin.okafor@example.test", True)
    journey.check(page, "06-patient")

    tab_to(page, page.get_by_role("link", name="Open an episode"))
    press_and_load(page)
    page.wait_for_url(f"**/patients/{patient.pk}/episodes/new/")
    _type_into(page, page.get_by_label("Presenting complaint"), "Right hip pain when running")
    tab_to(page, page.get_by_label("Lead clinician"))
    page.keyboard.type("Blake")
    journey.check(page, "07-open-episode")
    tab_to(page, page.get_by_role("button", name="Open episode"))
    press_and_load(page)
    page.wait_for_url("**/episodes/*/")
    episode = EpisodeOfCare.objects.get()
    assert episode.lead_clinician.full_name == "Blake Second"
    journey.check(page, "08-episode")

    # The patient's preferred channel (e-mail) is chosen; arrows would change it.
    tab_to(page, page.get_by_role("button", name="Send link"))
    press_and_load(page)
    assert "on its way" in page.get_by_role("status").inner_text()
    assert "Status: Sent · link sent by e-mail" in page.get_by_role("region", name="Intake").inner_text()
    journey.check(page, "09-link-sent")

    invitation = IntakeInvitation.objects.get()
    assert invitation.channel == "email"
    (message,) = mail.outbox
    assert message.to == ["robin.okafor@example.test"]
    assert "/intake/" in message.body
