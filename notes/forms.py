from __future__ import annotations

from django import forms

from clinic import text_input
from notes.models import NOTE_FIELDS, ItemStatus, NoteAddendum, NoteItem, ProgressReport, Response, VisitNote
from plans.models import Prong

_SHORT_TEXT = forms.Textarea(attrs={"rows": 2})


class NoteForm(text_input.ModelForm):
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
]


# Sets × reps, load and the progression made are an exercise's dose; the other prongs' lines take
# minutes (Part A "Daily note": sets × reps, load or minutes), which keeps their form short on a phone.
EXERCISE_ONLY = ("sets", "reps", "load", "progression")


class NoteItemForm(text_input.ModelForm):
    """One line of the note; which line it is comes from the note, never from the form."""

    class Meta:
        model = NoteItem
        fields = LINE_FIELDS
        widgets = {"status": forms.RadioSelect}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.prong != Prong.EXERCISE:
            for name in EXERCISE_ONLY:
                del self.fields[name]


class NewLineForm(text_input.ModelForm):
    """An intervention added at the visit; left blank, nothing is added."""

    class Meta:
        model = NoteItem
        fields = ["prong", "name", *LINE_FIELDS]
        labels = {"name": "Intervention added at this visit"}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.required = False
        self.fields["prong"].choices = [("", "Choose a prong"), *Prong.choices]

    def clean(self):
        cleaned = super().clean()
        if self.is_blank():
            return cleaned
        if not cleaned.get("name"):
            self.add_error("name", "Name the intervention, or leave this line empty.")
        if not cleaned.get("prong"):
            self.add_error("prong", "Choose the prong of the added intervention.")
        if not cleaned.get("status"):
            cleaned["status"] = ItemStatus.DELIVERED
        return cleaned

    def is_blank(self) -> bool:
        data = getattr(self, "cleaned_data", {})
        return not any(data.get(name) for name in ("prong", "name", "region", "technique", "reps", "load"))

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
