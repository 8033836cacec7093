"""A person signs in as each role in a real browser and lands on that role's dashboard."""

from __future__ import annotations

import pytest

from clinic.permissions import Role
from tests.factories import PASSWORD, AppointmentFactory, ClinicFactory, EpisodeFactory, UserFactory
from tests.two_factor import give_authenticator


@pytest.mark.parametrize(
    ("role", "sections", "nav_links", "hidden_links"),
    [
        (
            Role.CLINICIAN,
            ["My visits today", "New intakes to review", "My open episodes"],
            ["Patients", "API docs"],
            ["Staff", "Clinic settings"],
        ),
        (
            Role.FRONT_DESK,
            ["Today's schedule", "Open episodes with no next visit"],
            ["Patients", "API docs"],
            ["Staff"],
        ),
        (Role.CLINIC_ADMIN, ["Staff accounts"], ["Staff", "Clinic settings", "Admin", "API docs"], []),
    ],
)
@pytest.mark.django_db(transaction=True)
def test_sign_in_lands_on_role_dashboard(journey, role, sections, nav_links, hidden_links):
    clinic = ClinicFactory(name="Riverside Running Clinic")
    user = UserFactory(clinic=clinic, roles=[role], email=f"{role.name.lower()}@example.test")
    if role != Role.FRONT_DESK:
        give_authenticator(user)
    lead = user if role == Role.CLINICIAN else UserFactory(clinic=clinic, roles=[Role.CLINICIAN])
    AppointmentFactory(episode=EpisodeFactory(patient__clinic=clinic, lead_clinician=lead))

    page = journey.open()
    page.goto(journey.url("/"))  # sends you to sign in first
    journey.check(page, "sign-in")
    page.get_by_label("E-mail address").fill(user.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.locator("main").get_by_role("button", name="Sign in").click()
    page.wait_for_url(lambda url: not url.endswith("/accounts/login/"))
    # Clinicians and clinic admins type a code from their authenticator app next.
    journey.enter_code(page, user)

    page.wait_for_url(journey.url("/"))
    assert page.get_by_role("heading", level=1).inner_text().startswith("Good day")
    for section in sections:
        assert page.get_by_role("heading", name=section).count() == 1, section
    navigation = page.get_by_role("navigation", name="Main")
    for link in nav_links:
        assert navigation.get_by_role("link", name=link, exact=True).count() == 1, link
    for link in hidden_links:
        assert navigation.get_by_role("link", name=link, exact=True).count() == 0, link
    journey.check(page, f"dashboard-{role.name.lower()}")


@pytest.mark.django_db(transaction=True)
def test_wrong_password_keeps_email_and_says_why(journey):
    user = UserFactory(roles=[Role.FRONT_DESK])
    page = journey.open()
    page.goto(journey.url("/accounts/login/"))
    page.get_by_label("E-mail address").fill(user.email)
    page.get_by_label("Password").fill("not-the-password")
    page.locator("main").get_by_role("button", name="Sign in").click()
    assert page.get_by_role("alert").inner_text().count("do not match an active account") == 1
    assert page.get_by_label("E-mail address").input_value() == user.email
    journey.check(page, "sign-in-refused")
