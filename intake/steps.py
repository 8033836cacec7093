"""The intake's steps, in order: each a title and the form that asks it."""

from __future__ import annotations

from dataclasses import dataclass

from django import forms as django_forms
from django.utils.datastructures import MultiValueDict

from intake import forms, instruments
from intake.models import Intake, LicensedInstrumentText


@dataclass(frozen=True)
class Step:
    code: str
    title: str
    form_class: type[django_forms.Form]


STEPS: tuple[Step, ...] = (
    Step("about", "About you", forms.AboutForm),
    Step("consent", "Consent", forms.ConsentForm),
    Step("complaint", "Your pain", forms.ComplaintForm),
    Step("running", "Your running", forms.RunningForm),
    Step("daily", "Daily life", forms.DailyLifeForm),
    Step("history", "Health history", forms.HistoryForm),
    Step("red_flags", "Important symptoms", forms.RedFlagForm),
    Step("questionnaires", "Questionnaires", forms.QuestionnaireForm),
    Step("review", "Check and submit", forms.ReviewForm),
)
BY_CODE = {step.code: step for step in STEPS}
# Every step but the last must be saved before the intake can be submitted.
REQUIRED_BEFORE_SUBMIT = tuple(step.code for step in STEPS[:-1])


def chosen_instruments(intake: Intake) -> list[instruments.Instrument]:
    """The questionnaires for this patient's pain areas, NPRS excepted (asked with the pain),
    in the clinic's licensed wording where it has entered one."""
    regions = intake.answers.get("complaint", {}).get("regions", [])
    licensed = {
        row.instrument: row for row in LicensedInstrumentText.objects.filter(clinic_id=intake.episode.patient.clinic_id)
    }
    chosen = []
    for instrument in instruments.instruments_for_regions(regions):
        if instrument.code == "nprs":
            continue
        chosen.append(licensed[instrument.code].apply(instrument) if instrument.code in licensed else instrument)
    return chosen


def _about_initial(intake: Intake) -> dict:
    patient = intake.episode.patient
    return {
        "email": patient.email,
        "mobile_phone": str(patient.mobile_phone or ""),
        "preferred_contact_channel": patient.preferred_contact_channel,
    }


def build_form(step: Step, intake: Intake, data=None) -> django_forms.Form:
    """The step's form: bound to ``data`` when posted, else to an unfinished draft, else
    filled with the saved answers."""
    kwargs = {}
    if step.form_class is forms.QuestionnaireForm:
        kwargs = {"chosen": chosen_instruments(intake)}
    elif step.form_class is forms.ConsentForm:
        patient = intake.episode.patient
        kwargs = {"patient_name": (patient.first_name, patient.last_name)}
    if data is None and step.code in intake.drafts:
        data = MultiValueDict(intake.drafts[step.code])
    if data is not None:
        return step.form_class(data, **kwargs)
    initial = intake.answers.get(step.code)
    if initial is None and step.code == "about":
        initial = _about_initial(intake)
    return step.form_class(initial=initial or {}, **kwargs)


def next_step(step: Step) -> Step | None:
    index = STEPS.index(step)
    return STEPS[index + 1] if index + 1 < len(STEPS) else None


def previous_step(step: Step) -> Step | None:
    index = STEPS.index(step)
    return STEPS[index - 1] if index > 0 else None


def first_unfinished(intake: Intake) -> Step:
    for step in STEPS[:-1]:
        if step.code not in intake.answers:
            return step
    return STEPS[-1]
