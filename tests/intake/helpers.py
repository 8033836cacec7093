"""Shared helpers of the intake tests: sending a real invitation, valid answers per step,
walking the patient's steps through the test client, and reading back what a form shows."""

from __future__ import annotations

import datetime
import re

from django.core import mail
from django.test import TestCase
from django.utils import timezone

from clinic import messaging
from intake import rules, selectors, services
from intake.instruments import LEFS, ODI
from intake.models import IntakeInvitation
from tests.html_forms import read_form

LINK_PATH = re.compile(r"https?://[^/\s]+(/intake/[^/\s]+/)")


def send_invitation(episode, *, actor, channel: str = "email") -> str:
    """Send an invitation the way staff do (service, Celery task after commit) and return the
    path of the link the patient received, e.g. ``/intake/<token>/``."""
    with TestCase.captureOnCommitCallbacks(execute=True):
        services.invitation_send(actor=actor, episode=episode, channel=channel)
    return last_link(channel)


def last_link(channel: str = "email") -> str:
    """The link path in the newest message of the e-mail or SMS outbox."""
    body = mail.outbox[-1].body if channel == "email" else messaging.outbox[-1]["body"]
    return LINK_PATH.search(body).group(1)


def token_of(link: str) -> str:
    return link.strip("/").split("/")[-1]


def step_url(link: str, code: str) -> str:
    return f"{link}step/{code}/"


def latest_invitation(episode) -> IntakeInvitation:
    return IntakeInvitation.objects.filter(intake__episode=episode).first()


def born_aged(age: int) -> datetime.date:
    """A date of birth that makes the patient exactly ``age`` today (1 January of that year)."""
    return datetime.date(timezone.localdate().year - age, 1, 1)


def questionnaire_data(*, odi: int | None = 2, lefs: int | None = 3) -> dict[str, str]:
    """Every ODI section and LEFS activity answered with one value (None leaves it out)."""
    data = {}
    for instrument, value in ((ODI, odi), (LEFS, lefs)):
        if value is not None:
            data.update({f"{instrument.code}__{item.code}": str(value) for item in instrument.items})
    return data


# Valid POST data per step, in step order. The complaint is low back only, so the
# questionnaire step asks the ODI alone; every red-flag question is answered "no".
VALID = {
    "about": {
        "email": "robin.runner@example.test",
        "mobile_phone": "(312) 555-0134",
        "preferred_contact_channel": "email",
        "emergency_contact": "Sam Runner +1 312 555 0177",
    },
    "consent": {"agree": "on", "signer": "patient", "signature": "Robin Runner"},
    "complaint": {
        "regions": ["low_back_left"],
        "began": "1_to_6_weeks",
        "onset": "gradual",
        "onset_story": "Long run on a cambered road",
        "pain_now": "5",
        "pain_least": "2",
        "pain_worst": "7",
        "worse_with": ["running_downhill", "sitting"],
        "pattern": "varies",
        "night_pain": "no",
    },
    "running": {
        "years_running": "6",
        "runs_per_week": "4",
        "distance_unit": "km",
        "weekly_now": "32",
        "weekly_2_weeks_ago": "30",
        "weekly_4_weeks_ago": "29",
        "longest_last_7_days": "14",
        "longest_prior_30_days": "15",
        "shoes": "Daily trainers",
        "goal_race": "Lakefront Half",
        "goal_race_date": (timezone.localdate() + datetime.timedelta(days=90)).isoformat(),
    },
    "daily": {"sitting_hours": "8", "work": "Accountant, desk all day", "sleep_hours": "7"},
    "history": {"prior_injuries": "Hamstring strain in 2019", "imaging": ["x-ray"]},
    "red_flags": {question.code: "no" for question in rules.RED_FLAG_QUESTIONS},
    "questionnaires": questionnaire_data(lefs=None),
    "review": {"confirm": "on"},
}
STEP_CODES = tuple(VALID)


def step_data(code: str, changes: dict | None = None) -> dict:
    """The valid data of a step with ``changes`` applied; a change to None removes the field."""
    data = {**VALID[code], **(changes or {})}
    return {name: value for name, value in data.items() if value is not None}


def patient_signature(link: str) -> str:
    """The name the patient of ``link`` signs the consent with: their own, as the clinic has it."""
    invitation, _ = selectors.invitation_for_link(token_of(link))
    patient = invitation.intake.episode.patient
    return f"{patient.first_name} {patient.last_name}"


def link_step_data(link: str, code: str, changes: dict | None = None) -> dict:
    """``step_data`` for the patient of ``link``: the consent is signed with their name unless changed."""
    if code == "consent":
        changes = {"signature": patient_signature(link), **(changes or {})}
    return step_data(code, changes)


def post_step(client, link: str, code: str, data: dict, *, go: str = "next", **extra):
    return client.post(step_url(link, code), {**data, "go": go}, **extra)


def fill_steps(client, link: str, *, until: str | None = None, answers: dict | None = None) -> None:
    """Save every step in order, stopping before ``until`` (all steps but the review by default).

    ``answers`` maps a step code to changes of its valid data (a whole replacement for the
    questionnaire step, whose fields depend on the regions chosen).
    """
    answers = answers or {}
    for code in STEP_CODES:
        if code == (until or "review"):
            return
        data = (
            answers[code]
            if code == "questionnaires" and code in answers
            else link_step_data(link, code, answers.get(code))
        )
        response = post_step(client, link, code, data)
        assert response.status_code == 302 or is_emergency_page(response), (code, response.status_code)


def is_emergency_page(response) -> bool:
    return response.status_code == 200 and "intake/emergency.html" in [t.name for t in response.templates]


def submit(client, link: str):
    return post_step(client, link, "review", VALID["review"])


def complete_intake(client, link: str, *, answers: dict | None = None):
    """Answer every step and submit; returns the submit response."""
    fill_steps(client, link, answers=answers)
    return submit(client, link)


# --- Reading a rendered form back -------------------------------------------------------------


def as_lists(data: dict) -> dict[str, list[str]]:
    return {name: sorted(value if isinstance(value, list) else [value]) for name, value in data.items()}


def shown_values(html: str, names) -> dict[str, list[str]]:
    """The values the rendered form holds for ``names``, as sorted lists."""
    values = read_form(html).lists
    return {name: sorted(values.get(name, [])) for name in names}


def field_errors(html: str, field: str) -> str:
    """The error text rendered next to one field ('' when none)."""
    match = re.search(rf'<p class="field-error"[^>]*id="id_{field}_errors"[^>]*>(.*?)</p>', html, re.S)
    if match is None:  # a single checkbox renders its error without an id
        match = re.search(rf'id="id_{field}"[^>]*>.*?</label>\s*<p class="field-error">(.*?)</p>', html, re.S)
    return match.group(1) if match else ""


def error_summary(html: str) -> str:
    match = re.search(r'<div class="error-summary".*?</div>', html, re.S)
    return match.group(0) if match else ""
