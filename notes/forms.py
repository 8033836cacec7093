from __future__ import annotations

from django import forms
from django.utils import timezone

from clinic import text_input
from notes import safety
from notes.models import (
    FUTURE_CERTIFICATION,
    NOTE_FIELDS,
    ItemStatus,
    NoteAddendum,
    NoteItem,
    PlanCertification,
    ProgressReport,
    Response,
    ThrustMark,
    VisitNote,
)
from plans.models import Prong

_SHORT_TEXT = forms.Textarea(attrs={"rows": 2})


class NoteForm(text_input.ModelForm):
    red_flag_symptoms = forms.MultipleChoiceField(
        label="New red-flag symptoms",
        choices=[(symptom.code, symptom.label) for symptom in safety.SYMPTOMS],
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text=(
            "Tick each one the patient reports as new since the last visit; the same red flags as the "
            "intake are raised on the episode. Describe them in the box above."
        ),
    )

    class Meta:
        model = VisitNote
        fields = NOTE_FIELDS
        widgets = {
            "function": _SHORT_TEXT,
            "adherence": _SHORT_TEXT,
            "new_symptoms": _SHORT_TEXT,
            "response": forms.RadioSelect(choices=Response.choices),
            "response_text": _SHORT_TEXT,
            "next_visit": _SHORT_TEXT,
            "changes": _SHORT_TEXT,
        }
        help_texts = {
            "adherence": "Pre-filled from what the patient logged in the portal since the last visit.",
            "timed_minutes": "Minutes of one-on-one, timed interventions; 0 if none.",
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Three radio buttons, without the empty choice a blank field gets: left unanswered, the
        # draft saves, and signing asks for it.
        self.fields["response"].choices = list(Response.choices)
        self.initial["red_flag_symptoms"] = list(self.instance.red_flag_symptoms or [])

    def clean_red_flag_symptoms(self) -> list[str]:
        ticked = set(self.cleaned_data["red_flag_symptoms"])
        return [symptom.code for symptom in safety.SYMPTOMS if symptom.code in ticked]


LINE_FIELDS = [
    "status",
    "not_done_reason",
    "region",
    "technique",
    "minutes",
    "sets",
    "reps",
    "load",
    "progression",
    "thrust",
]

_THRUST_CHOICES = [("", "No"), *ThrustMark.choices]
_THRUST_HELP = "Thrust techniques are refused while the episode's red flags or findings contraindicate them."


# Sets × reps, load and the progression made are an exercise's dose; the other prongs' lines take
# minutes (Part A "Daily note": sets × reps, load or minutes), which keeps their form short on a phone.
EXERCISE_ONLY = ("sets", "reps", "load", "progression")


class NoteItemForm(text_input.ModelForm):
    """One line of the note; which line it is comes from the note, never from the form."""

    class Meta:
        model = NoteItem
        fields = LINE_FIELDS
        widgets = {"status": forms.RadioSelect, "thrust": forms.RadioSelect}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.prong != Prong.EXERCISE:
            for name in EXERCISE_ONLY:
                del self.fields[name]
        if self.instance.prong == Prong.MANIPULATION:
            self.fields["thrust"].choices = _THRUST_CHOICES
            self.fields["thrust"].help_text = _THRUST_HELP
        else:
            del self.fields["thrust"]


class NewLineForm(text_input.ModelForm):
    """An intervention added at the visit, picked from the clinic's library (which says which are
    thrust techniques) or named; left blank, nothing is added."""

    class Meta:
        model = NoteItem
        fields = ["intervention_key", "prong", "name", *LINE_FIELDS]
        labels = {"name": "Or name the intervention added at this visit", "intervention_key": "From your library"}
        widgets = {"thrust": forms.RadioSelect}

    def __init__(self, *args, picks: list | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.picks = {pick.key: pick for pick in picks or []}
        for field in self.fields.values():
            field.required = False
        self.fields["prong"].choices = [("", "Choose a prong"), *Prong.choices]
        groups = [
            (label, [(pick.key, pick.label) for pick in self.picks.values() if pick.prong == prong])
            for prong, label in Prong.choices
        ]
        self.fields["intervention_key"] = forms.ChoiceField(
            label="From your library",
            choices=[("", "None: name it below"), *((label, group) for label, group in groups if group)],
            required=False,
        )
        self.fields["thrust"].choices = _THRUST_CHOICES
        self.fields["thrust"].help_text = f"For a manipulation named below. {_THRUST_HELP}"

    def clean(self):
        cleaned = super().clean()
        if self.is_blank():
            return cleaned
        pick = self.picks.get(cleaned.get("intervention_key") or "")
        if pick is not None:
            cleaned["name"] = cleaned.get("name") or pick.name
            cleaned["prong"] = cleaned.get("prong") or pick.prong
            if cleaned["prong"] != pick.prong:
                self.add_error("prong", f"{pick.name} is in another prong; leave the prong empty to take its own.")
        if cleaned.get("thrust") and cleaned.get("prong") not in (None, "", Prong.MANIPULATION):
            self.add_error("thrust", "Only a manipulation can be a thrust technique.")
        if not cleaned.get("name"):
            self.add_error("name", "Name the intervention, or leave this line empty.")
        if not cleaned.get("prong"):
            self.add_error("prong", "Choose the prong of the added intervention.")
        if not cleaned.get("status"):
            cleaned["status"] = ItemStatus.DELIVERED
        return cleaned

    def is_blank(self) -> bool:
        data = getattr(self, "cleaned_data", {})
        return not any(
            data.get(name) for name in ("intervention_key", "prong", "name", "region", "technique", "reps", "load")
        )

    def _post_clean(self):
        if not self.is_blank():
            super()._post_clean()


class AddendumForm(text_input.ModelForm):
    class Meta:
        model = NoteAddendum
        fields = ["text"]
        labels = {"text": "Addendum"}
        help_texts = {"text": "A correction or late entry; the signed note stays as it was."}
        widgets = {"text": forms.Textarea(attrs={"rows": 3})}


class ProgressReportForm(text_input.ModelForm):
    class Meta:
        model = ProgressReport
        fields = ["goal_progress", "plans", "goal_changes"]
        widgets = {
            "goal_progress": forms.Textarea(attrs={"rows": 6}),
            "plans": forms.Textarea(attrs={"rows": 3}),
            "goal_changes": forms.Textarea(attrs={"rows": 3}),
        }
        help_texts = {
            "goal_progress": "Each goal of the signed plan, with the progress toward it at this re-assessment.",
            "plans": "What treatment continues, and for how long.",
            "goal_changes": "Goals added, changed or met; leave empty if none.",
        }


class PlanCertificationForm(text_input.ModelForm):
    class Meta:
        model = PlanCertification
        fields = ["certified_on", "certified_by"]
        widgets = {"certified_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")}
        labels = {"certified_on": "Date of the certification", "certified_by": "Certified by"}
        help_texts = {
            "certified_on": "The day the physician or non-physician practitioner signed it; a new certified period "
            "starts on this day.",
            "certified_by": "Their name and credentials, as on the signed plan of care. A chiropractor may not "
            "certify or re-certify a therapy plan of care (US Medicare Part B).",
        }

    def clean_certified_on(self):
        # The clinic's day: the middleware activates the clinic's time zone for its staff.
        certified_on = self.cleaned_data["certified_on"]
        if certified_on > timezone.localdate():
            raise forms.ValidationError(FUTURE_CERTIFICATION)
        return certified_on
