"""The patient-facing intake, one form per step, in plain language.

Each form's ``cleaned_data`` is stored as the step's answers (JSON); the questionnaire and
red-flag forms are built from the data in ``instruments.py`` and ``rules.py``.
"""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.db import models
from django.utils import timezone
from phonenumber_field.formfields import PhoneNumberField
from phonenumber_field.widgets import RegionalPhoneNumberWidget

from clinic import plausible_dates, text_input
from clinic.models import ContactChannel
from intake import consent, instruments, rules

YES_NO = [("yes", "Yes"), ("no", "No")]


def _choice_list(*labels: str) -> list[tuple[str, str]]:
    return [(label.lower().replace(" ", "_").replace(",", ""), label) for label in labels]


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


def _number(label: str, low: int, high: int, *, required: bool = True, help_text: str = "", step: str = "1"):
    return forms.DecimalField(
        label=label,
        min_value=low,
        max_value=high,
        max_digits=6,
        decimal_places=1,
        required=required,
        help_text=help_text,
        widget=forms.NumberInput(attrs={"inputmode": "decimal", "step": step}),
    )


def _rating(label: str) -> forms.TypedChoiceField:
    return forms.TypedChoiceField(
        label=label,
        choices=[(str(value), str(value)) for value in range(11)],
        coerce=int,
        widget=forms.RadioSelect(attrs={"class": "scale"}),
    )


class AboutForm(text_input.Form):
    email = forms.EmailField(
        label="E-mail address", required=False, widget=forms.EmailInput(attrs={"autocomplete": "email"})
    )
    mobile_phone = PhoneNumberField(
        label="Mobile phone number",
        required=False,
        help_text="With the area code, for example (312) 555-0134.",
        widget=RegionalPhoneNumberWidget(attrs={"autocomplete": "tel", "inputmode": "tel"}),
    )
    preferred_contact_channel = forms.ChoiceField(
        label="How should we contact you?", choices=ContactChannel.choices, widget=forms.RadioSelect
    )
    emergency_contact = forms.CharField(
        label="Emergency contact (name and phone number)", max_length=200, required=False
    )

    def clean(self):
        cleaned = super().clean()
        channel = cleaned.get("preferred_contact_channel")
        if channel == ContactChannel.EMAIL and not cleaned.get("email") and "email" not in self.errors:
            self.add_error("email", "Enter your e-mail address, or choose text message.")
        if channel == ContactChannel.SMS and not cleaned.get("mobile_phone") and "mobile_phone" not in self.errors:
            self.add_error("mobile_phone", "Enter your mobile number, or choose e-mail.")
        if cleaned.get("mobile_phone"):
            cleaned["mobile_phone"] = str(cleaned["mobile_phone"])
        return cleaned


class Signer(models.TextChoices):
    PATIENT = "patient", "I am the patient"
    GUARDIAN = "guardian", "I am the patient's parent or guardian, signing for them"


class ConsentForm(text_input.Form):
    agree = forms.BooleanField(
        label="I have read this and I agree",
        error_messages={"required": "Tick the box to agree, or contact the clinic if you have questions."},
    )
    signer = forms.ChoiceField(
        label="Who is signing?", choices=Signer.choices, initial=Signer.PATIENT, widget=forms.RadioSelect
    )
    signature = forms.CharField(
        label="Type your full name to sign",
        max_length=150,
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
        error_messages={"required": "Type your full name to sign."},
    )
    relationship = forms.CharField(
        label="Your relationship to the patient",
        help_text="Only when signing for the patient, e.g. mother, father, legal guardian.",
        max_length=60,
        required=False,
    )

    def __init__(self, *args, patient_name: tuple[str, str] | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.patient_name = patient_name

    def clean(self):
        cleaned = super().clean()
        signer, signature = cleaned.get("signer"), cleaned.get("signature")
        if signer == Signer.PATIENT and signature and self.patient_name:
            first, last = self.patient_name
            if not consent.signature_matches(signature, first_name=first, last_name=last):
                self.add_error(
                    "signature",
                    f"Type your name as the clinic has it ({first} {last}). If you are signing for the patient "
                    "as their parent or guardian, choose that above and type your own name.",
                )
        if signer == Signer.GUARDIAN and not cleaned.get("relationship", "").strip():
            self.add_error("relationship", "Say how you are related to the patient, e.g. mother or legal guardian.")
        if signer == Signer.PATIENT:
            cleaned["relationship"] = ""
        return cleaned


ONSET_CHOICES = [("sudden", "Suddenly (I remember when it started)"), ("gradual", "Gradually, over days or weeks")]
SINCE_CHOICES = [
    ("under_1_week", "Less than a week ago"),
    ("1_to_6_weeks", "1 to 6 weeks ago"),
    ("6_to_12_weeks", "6 to 12 weeks ago"),
    ("over_3_months", "More than 3 months ago"),
]
WORSE_WITH = _choice_list(
    "Running",
    "Running uphill",
    "Running downhill",
    "Sitting",
    "Standing",
    "Walking",
    "Bending forward",
    "Leaning back",
    "Stairs",
    "Lying down",
    "Coughing or sneezing",
)
BETTER_WITH = _choice_list("Rest", "Gentle movement", "Heat", "Ice", "Stretching", "Pain medicine", "Changing position")
PATTERN_CHOICES = [
    ("worse_morning", "Worse in the morning"),
    ("worse_evening", "Worse in the evening"),
    ("constant", "About the same all day"),
    ("varies", "It comes and goes"),
]
NERVE_SYMPTOMS = [("numbness", "Numbness"), ("tingling", "Tingling or pins and needles"), ("weakness", "Weakness")]


class ComplaintForm(text_input.Form):
    regions = forms.MultipleChoiceField(
        label="Where does it hurt?",
        choices=instruments.BODY_REGIONS,
        widget=forms.CheckboxSelectMultiple,
        help_text="Tick every area, or tap the areas on the picture. Left and right are your own left and right.",
        error_messages={"required": "Choose at least one area where it hurts."},
    )
    began = forms.ChoiceField(label="When did it start?", choices=SINCE_CHOICES, widget=forms.RadioSelect)
    onset = forms.ChoiceField(label="How did it start?", choices=ONSET_CHOICES, widget=forms.RadioSelect)
    onset_story = forms.CharField(
        label="What were you doing when it started, if anything?",
        max_length=1000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    # The NPRS items, worded as the instrument defines them.
    pain_now = _rating(instruments.NPRS.items[0].text)
    pain_least = _rating(instruments.NPRS.items[1].text)
    pain_worst = _rating(instruments.NPRS.items[2].text)
    worse_with = forms.MultipleChoiceField(
        label="What makes it worse?", choices=WORSE_WITH, widget=forms.CheckboxSelectMultiple, required=False
    )
    better_with = forms.MultipleChoiceField(
        label="What makes it better?", choices=BETTER_WITH, widget=forms.CheckboxSelectMultiple, required=False
    )
    pattern = forms.ChoiceField(
        label="How does it change over the day?", choices=PATTERN_CHOICES, widget=forms.RadioSelect
    )
    night_pain = forms.ChoiceField(label="Does the pain wake you at night?", choices=YES_NO, widget=forms.RadioSelect)
    nerve_symptoms = forms.MultipleChoiceField(
        label="Do you have any of these in your legs or feet?",
        choices=NERVE_SYMPTOMS,
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text="Leave empty if none.",
    )
    nerve_where = forms.CharField(label="Where do you feel them?", max_length=300, required=False)

    def clean(self):
        cleaned = super().clean()
        now, least, worst = (cleaned.get(f"pain_{name}") for name in ("now", "least", "worst"))
        if None not in (now, least, worst):
            if least > now:
                self.add_error("pain_least", "Your least pain cannot be higher than your pain right now.")
            if worst < now:
                self.add_error("pain_worst", "Your worst pain cannot be lower than your pain right now.")
        if cleaned.get("nerve_symptoms") and not cleaned.get("nerve_where"):
            self.add_error("nerve_where", "Tell us where you feel the numbness, tingling or weakness.")
        return cleaned


DISTANCE_UNITS = [("km", "Kilometres"), ("mi", "Miles")]
SURFACES = _choice_list("Road", "Trail", "Track", "Treadmill", "Grass")
RECENT_CHANGES = _choice_list(
    "New shoes", "New surface", "More hills", "More speed work", "More distance", "Back after a break"
)
KM_PER_MILE = Decimal("1.609344")


class RunningForm(text_input.Form):
    years_running = _number("How many years have you been running?", 0, 80)
    runs_per_week = _number("How many runs do you do in a usual week?", 0, 21)
    distance_unit = forms.ChoiceField(
        label="I measure distance in", choices=DISTANCE_UNITS, widget=forms.RadioSelect, initial="km"
    )
    weekly_now = _number("Distance per week now", 0, 500)
    weekly_2_weeks_ago = _number("Distance per week two weeks ago", 0, 500)
    weekly_4_weeks_ago = _number("Distance per week four weeks ago", 0, 500)
    longest_last_7_days = _number("Your longest single run in the last 7 days", 0, 250)
    longest_prior_30_days = _number(
        "Your longest single run in the 30 days before that", 0, 250, help_text="Put 0 if you did not run."
    )
    surfaces = forms.MultipleChoiceField(
        label="Where do you usually run?", choices=SURFACES, widget=forms.CheckboxSelectMultiple, required=False
    )
    shoes = forms.CharField(label="Which shoes do you run in?", max_length=200, required=False)
    shoe_age_months = _number("How many months old are they?", 0, 120, required=False)
    goal_race = forms.CharField(label="Are you training for a race? Which one?", max_length=200, required=False)
    goal_race_date = forms.DateField(label="Race date", required=False, widget=DateInput())
    recent_changes = forms.MultipleChoiceField(
        label="Has anything changed in your running in the last 2 months?",
        choices=RECENT_CHANGES,
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    recent_changes_notes = forms.CharField(label="Anything else that changed?", max_length=500, required=False)

    def clean_goal_race_date(self):
        race_date = self.cleaned_data.get("goal_race_date")
        if race_date and race_date < timezone.localdate():
            raise forms.ValidationError("The race date is in the past. Leave it empty if you have no upcoming race.")
        if race_date and (problem := plausible_dates.problem(race_date, timezone.localdate())):
            raise forms.ValidationError(problem)
        return race_date


class DailyLifeForm(text_input.Form):
    sitting_hours = _number("How many hours a day do you spend sitting?", 0, 24)
    work = forms.CharField(
        label="What is your work, and what does a usual day involve?", max_length=500, required=False
    )
    sleep_hours = _number("How many hours do you usually sleep?", 0, 24)
    other_sports = forms.CharField(label="Other sports or exercise", max_length=500, required=False)


IMAGING = _choice_list("X-ray", "MRI", "CT scan", "Ultrasound")


class HistoryForm(text_input.Form):
    prior_injuries = forms.CharField(
        label="Earlier injuries to your back, hips or legs",
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    surgery = forms.CharField(
        label="Operations you have had", max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    medications = forms.CharField(
        label="Medicines you take, including pain relief",
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    imaging = forms.MultipleChoiceField(
        label="Scans you have had for this problem",
        choices=IMAGING,
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    imaging_notes = forms.CharField(label="What did the scans show, if you know?", max_length=1000, required=False)
    other_conditions = forms.CharField(
        label="Other health conditions", max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class RedFlagForm(text_input.Form):
    """One required yes/no question per red flag the patient can report, each follow-up just
    after its question and required only after a "yes" to it."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        follow_ups = {follow_up.asked_after: follow_up for follow_up in rules.FOLLOW_UP_QUESTIONS}
        for question in rules.RED_FLAG_QUESTIONS:
            self.fields[question.code] = _yes_no(question.question)
            if question.code in follow_ups:
                follow_up = follow_ups[question.code]
                self.fields[follow_up.code] = _yes_no(follow_up.question, required=False)

    def clean(self):
        cleaned = super().clean()
        for follow_up in rules.FOLLOW_UP_QUESTIONS:
            if cleaned.get(follow_up.asked_after) == "yes" and not cleaned.get(follow_up.code):
                self.add_error(follow_up.code, "Answer yes or no.")
        return cleaned

    def emergency_answers(self) -> list[str]:
        # The age only ever adds a caution flag, so any age gives the same emergencies.
        flags = rules.raised_red_flags(red_flag_answers(self.cleaned_data), age=0, back_pain=False)
        return [flag.code for flag in flags if flag.tier == rules.Tier.EMERGENCY]


def _yes_no(label: str, *, required: bool = True) -> forms.ChoiceField:
    return forms.ChoiceField(
        label=label,
        choices=YES_NO,
        widget=forms.RadioSelect,
        required=required,
        error_messages={"required": "Answer yes or no."},
    )


def red_flag_answers(stored: dict) -> dict[str, bool | None]:
    """Stored red-flag answers ("yes", "no", "" when a follow-up was not answered) as the rules
    take them; an unanswered follow-up must read as unknown, never as "no"."""
    return {code: {"yes": True, "no": False}.get(value) for code, value in stored.items()}


class QuestionnaireForm(text_input.Form):
    """The questionnaires chosen for the patient's pain areas (NPRS is asked with the complaint).

    Items may be left empty: the scoring rule decides whether an incomplete questionnaire
    can be scored, and the summary says so.
    """

    def __init__(self, *args, chosen: list[instruments.Instrument], **kwargs):
        super().__init__(*args, **kwargs)
        self.chosen = chosen
        for instrument in chosen:
            for item in instrument.items:
                self.fields[field_name(instrument.code, item.code)] = forms.TypedChoiceField(
                    label=item.text,
                    choices=[(str(option.value), option.label) for option in item.options],
                    coerce=int,
                    empty_value=None,
                    required=False,
                    widget=forms.RadioSelect,
                )

        # The PSFS, optional for everyone (DOMAIN A "PSFS", B5.4): up to 3 activities in the patient's words.
        self.psfs = instruments.PSFS
        for number, item in enumerate(instruments.PSFS.items, start=1):
            self.fields[psfs_name_field(item.code)] = forms.CharField(
                label=f"Activity {number}", max_length=PSFS_NAME_LENGTH, required=False
            )
            self.fields[field_name(instruments.PSFS.code, item.code)] = forms.TypedChoiceField(
                label=f"How well can you do activity {number} today?",
                choices=[(str(option.value), option.label) for option in item.options],
                coerce=int,
                empty_value=None,
                required=False,
                widget=forms.RadioSelect,
            )

    def sections(self):
        """Fields grouped per instrument, for one fieldset each."""
        return [
            (instrument, [self[field_name(instrument.code, item.code)] for item in instrument.items])
            for instrument in self.chosen
        ]

    def psfs_rows(self):
        """(activity name field, rating field) per PSFS activity."""
        return [
            (self[psfs_name_field(item.code)], self[field_name(instruments.PSFS.code, item.code)])
            for item in instruments.PSFS.items
        ]

    def clean(self):
        cleaned = super().clean()
        for item in instruments.PSFS.items:
            name_key, rating_key = psfs_name_field(item.code), field_name(instruments.PSFS.code, item.code)
            if name_key in self.errors or rating_key in self.errors:
                continue
            name = " ".join((cleaned.get(name_key) or "").split())
            cleaned[name_key] = name
            if name and cleaned.get(rating_key) is None:
                self.add_error(rating_key, "Choose a number for this activity, or clear the activity.")
            elif cleaned.get(rating_key) is not None and not name:
                self.add_error(name_key, "Write the activity this number is for.")
        return cleaned


def field_name(instrument_code: str, item_code: str) -> str:
    return f"{instrument_code}__{item_code}"


PSFS_NAME_LENGTH = 100


def psfs_name_field(item_code: str) -> str:
    return f"{instruments.PSFS.code}__{item_code}_name"


def psfs_answers(answered: dict) -> tuple[dict[str, int | None], dict[str, str]]:
    """The saved questionnaire step's PSFS as (ratings, activity names), by item code; names only where given."""
    ratings, names = {}, {}
    for item in instruments.PSFS.items:
        ratings[item.code] = answered.get(field_name(instruments.PSFS.code, item.code))
        name = answered.get(psfs_name_field(item.code)) or ""
        if name:
            names[item.code] = name
    return ratings, names


class ReviewForm(text_input.Form):
    confirm = forms.BooleanField(
        label="My answers are complete and correct to the best of my knowledge",
        error_messages={"required": "Tick the box to confirm before you submit."},
    )


def as_km(value, unit: str) -> Decimal | None:
    """A stored distance answer (a string in JSON) in kilometres."""
    if value in (None, ""):
        return None
    return Decimal(str(value)) * KM_PER_MILE if unit == "mi" else Decimal(str(value))


# --- Staff forms ---------------------------------------------------------------------------------


class InvitationForm(text_input.Form):
    channel = forms.ChoiceField(label="Send by", choices=ContactChannel.choices, widget=forms.RadioSelect)


class ReviewNoteForm(text_input.Form):
    text = forms.CharField(label="Add a review note", max_length=5000, widget=forms.Textarea(attrs={"rows": 3}))


class RedFlagClearForm(text_input.Form):
    note = forms.CharField(
        label="Medical clearance: who cleared it, when, and why",
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
