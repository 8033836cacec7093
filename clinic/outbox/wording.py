"""The wording of messages to patients (reminders, visit notices, the home program's and the
intake link's messages): shipped defaults per kind and a small placeholder syntax.

A placeholder is a name in braces, such as ``{visit_time}``. Each kind allows its own names;
anything else in braces is refused when a clinic saves its wording, so a typo never reaches a
patient. Pure: no ORM, plain strings in and out.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

PLACEHOLDER = re.compile(r"\{([^{}]*)\}")

COMMON = ("first_name", "clinic_name", "clinic_phone")
VISIT_NOTICE = (*COMMON, "visit_when", "clinician")
BY_KIND: dict[str, tuple[str, ...]] = {
    "first": (*COMMON, "visit_day", "visit_time", "clinician", "visit_type"),
    "second": (*COMMON, "visit_day", "visit_time", "clinician", "visit_type"),
    "intake_nudge": (*COMMON, "sent_day"),
    "check_in": COMMON,
    "reassessment": (*COMMON, "plan_end_day"),
    "visit_booked": VISIT_NOTICE,
    "visit_moved": VISIT_NOTICE,
    "visit_cancelled": VISIT_NOTICE,
    "home_program": (*COMMON, "program", "clinician"),
    "intake_link": (*COMMON, "link", "valid_until"),
    # Goes to the address on record, which may not be the patient's: no name, no details.
    "contact_change": ("clinic_name", "clinic_phone"),
    "follow_up": (*COMMON, "link", "valid_until"),
    "run_morning": COMMON,
}


@dataclass(frozen=True)
class Wording:
    subject: str
    body: str
    sms_body: str


_VISIT = Wording(
    subject="Reminder: your visit on {visit_day} at {visit_time}",
    body=(
        "Hello {first_name},\n\n"
        "This is a reminder of your {visit_type} with {clinician} at {clinic_name} "
        "on {visit_day} at {visit_time}."
    ),
    sms_body="{clinic_name}: reminder of your visit on {visit_day} at {visit_time} with {clinician}.",
)


def _notice(what: str) -> Wording:
    # The same words by e-mail and text message: a notice is short.
    text = "{clinic_name}: " + what + " With {clinician}."
    return Wording(subject="{clinic_name}: " + what, body=text, sms_body=text)


_CONTACT_CHANGE = (
    "{clinic_name}: someone used your form link to ask us to change the e-mail address or mobile "
    "number we hold for you. We keep using this one until our staff have checked the change with you. "
    "If you did not ask for it, please call us on {clinic_phone}."
)

_HOME_PROGRAM = (
    "{clinic_name}: your {program} from {clinician} is ready. Open it, download the PDF and log your exercises here:"
)

DEFAULTS: dict[str, Wording] = {
    "first": _VISIT,
    "second": _VISIT,
    "intake_nudge": Wording(
        subject="Please finish your form for {clinic_name}",
        body=(
            "Hello {first_name},\n\n"
            "On {sent_day} we sent you a link to fill in your form before your first visit at "
            "{clinic_name}. It is not finished yet: please open the link in that message to carry on "
            "where you left off. If you cannot find it, call us on {clinic_phone} and we will send a new one."
        ),
        sms_body=(
            "{clinic_name}: your form is not finished yet. Please use the link we sent on {sent_day}, "
            "or call {clinic_phone} for a new one."
        ),
    ),
    "check_in": Wording(
        subject="How is your home program going?",
        body=(
            "Hello {first_name},\n\n"
            "Your home program from {clinic_name} is ready. Open the link below to see your exercises "
            "and tick off each day's session, so your clinician can see how it is going."
        ),
        sms_body="{clinic_name}: see your home program and log today's exercises:",
    ),
    "reassessment": Wording(
        subject="Time to book your re-assessment at {clinic_name}",
        body=(
            "Hello {first_name},\n\n"
            "Your current treatment plan at {clinic_name} ends around {plan_end_day}. "
            "Please call us on {clinic_phone} to book a re-assessment, so your clinician can check "
            "your progress."
        ),
        sms_body="{clinic_name}: your plan ends around {plan_end_day}. Call {clinic_phone} to book a re-assessment.",
    ),
    "visit_booked": _notice("Your visit is booked for {visit_when}."),
    "visit_moved": _notice("Your visit is moved to {visit_when}."),
    "visit_cancelled": _notice("Your visit on {visit_when} is cancelled."),
    "home_program": Wording(subject="{clinic_name}: your {program}", body=_HOME_PROGRAM, sms_body=_HOME_PROGRAM),
    "intake_link": Wording(
        subject="Before your visit: please fill in your form for {clinic_name}",
        body=(
            "Hello {first_name},\n\n"
            "Before your first visit to {clinic_name}, please fill in your intake form:\n\n"
            "{link}\n\n"
            "It takes about 15 minutes. Your answers are saved as you go, so you can stop and come back\n"
            "later with the same link, on any device. The link works until {valid_until}.\n\n"
            "Please do not forward this e-mail: the link opens your personal form.\n\n"
            "{clinic_name}\n{clinic_phone}"
        ),
        sms_body=(
            "{clinic_name}: please fill in your form before your visit: {link} "
            "(valid until {valid_until}; do not share this link)"
        ),
    ),
    "contact_change": Wording(
        subject="{clinic_name}: a change to your contact details",
        body=_CONTACT_CHANGE,
        sms_body=(
            "{clinic_name}: someone asked to change the contact details we hold for you. We keep using this one "
            "until our staff check with you. Not you? Please call us."
        ),
    ),
    "follow_up": Wording(
        subject="{clinic_name}: how are you doing?",
        body=(
            "Hello {first_name},\n\n"
            "Your care at {clinic_name} has finished. To help us see how you are doing, please answer a few "
            "short questions:\n\n{link}\n\n"
            "It takes about 5 minutes. The link works until {valid_until}. Please do not forward this e-mail: "
            "the link opens your personal questionnaire."
        ),
        sms_body="{clinic_name}: how are you doing? A few short questions: {link} (until {valid_until})",
    ),
    # The morning after a logged run: no run details, only that a question is waiting.
    "run_morning": Wording(
        subject="How do you feel this morning?",
        body=(
            "Hello {first_name},\n\n"
            "After your run yesterday, how much pain do you have this morning, from 0 to 10? "
            "Your answer helps {clinic_name} decide whether you are ready for the next step. It takes one tap:"
        ),
        sms_body="{clinic_name}: how much pain do you have this morning after your run (0-10)? One tap:",
    ),
}


def placeholders_in(text: str) -> list[str]:
    return [name.strip() for name in PLACEHOLDER.findall(text)]


def unknown_placeholders(text: str, kind: str) -> list[str]:
    """Names in braces the kind does not know, in order of first appearance."""
    allowed = set(BY_KIND.get(kind, ()))
    unknown: list[str] = []
    for name in placeholders_in(text):
        if name not in allowed and name not in unknown:
            unknown.append(name)
    return unknown


def allowed_list(kind: str) -> str:
    return ", ".join("{" + name + "}" for name in BY_KIND.get(kind, ()))


def fill(text: str, values: dict[str, str]) -> str:
    """Replace each known placeholder; text saved through validation has no unknown ones, and
    any left (a default edited outside the form) shows as typed rather than failing a send."""
    return PLACEHOLDER.sub(lambda match: values.get(match.group(1).strip(), match.group(0)), text)


# Made-up values for the clinic admin's preview; no real patient is ever shown there.
SAMPLE = {
    "first_name": "Alex",
    "clinic_name": "Your clinic",
    "clinic_phone": "(312) 555-0100",
    "visit_day": "Wednesday 2 December",
    "visit_time": "09:00",
    "clinician": "Dana Lead",
    "visit_type": "follow-up treatment",
    "sent_day": "28 November",
    "plan_end_day": "15 January",
    "visit_when": "Wednesday 02 December at 09:00",
    "program": "home program",
    "link": "https://clinic.example/intake/abc/",
    "valid_until": "16 December 2026",
}
