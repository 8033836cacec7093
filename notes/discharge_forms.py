"""The discharge page's form and the patient's follow-up questionnaire form."""

from __future__ import annotations

from django import forms
from django.utils import timezone

from clinic import text_input
from intake.forms import QuestionnaireForm, field_name
from notes import discharge_rules
from notes.models import Discharge, DischargeReason

_TEXT = forms.Textarea(attrs={"rows": 4})


class DischargeForm(text_input.ModelForm):
    send_final_measures = forms.BooleanField(
        label="Send the patient the episode's questionnaires by link now",
        required=False,
        help_text="Their answers are the final measures. To measure at a visit instead, record a re-assessment first.",
    )
    follow_up_consent = forms.BooleanField(
        label="The patient agrees to receive follow-up questionnaires after discharge",
        required=False,
        help_text="Off unless the patient said yes. When on, the questionnaires go again some months after "
        "discharge (a clinic setting, 3 months by default).",
    )

    class Meta:
        model = Discharge
        fields = [
            "reason",
            "reason_text",
            "discharged_on",
            "what_improved",
            "home_program",
            "when_to_come_back",
            "letter_wanted",
            "referrer_name",
            "referrer_address",
        ]
        widgets = {
            "reason": forms.RadioSelect,
            "discharged_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "what_improved": _TEXT,
            "home_program": _TEXT,
            "when_to_come_back": _TEXT,
            "referrer_address": forms.Textarea(attrs={"rows": 3}),
        }
        labels = {"discharged_on": "Discharge day"}
        help_texts = {
            "reason_text": "Needed when the reason is other.",
            "what_improved": "Pre-filled with the first and latest questionnaire scores of the episode.",
            "home_program": "Pre-filled from the latest signed plan's home program.",
            "when_to_come_back": "In the patient's words: the signs that mean they should book again.",
            "letter_wanted": "A PDF letter to the referrer with the same summary.",
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reason"].choices = list(DischargeReason.choices)
        self.fields["discharged_on"].required = False

    def clean_discharged_on(self):
        day = self.cleaned_data.get("discharged_on")
        if day and day > timezone.localdate():
            raise forms.ValidationError("The discharge day cannot be in the future.")
        return day

    def clean(self):
        values = super().clean()
        if values.get("reason") == DischargeReason.OTHER and not (values.get("reason_text") or "").strip():
            self.add_error("reason_text", "Say why, when the reason is other.")
        if values.get("letter_wanted"):
            for name, label in (("referrer_name", "name"), ("referrer_address", "address")):
                if name not in self.errors and not (values.get(name) or "").strip():
                    self.add_error(name, f"A letter to the referrer needs their {label}.")
        return values

    def _post_clean(self):
        # The service builds and checks the row (with its episode); the form checks only its fields.
        pass


class FollowUpAnswersForm(QuestionnaireForm):
    """The episode's questionnaires, by link after discharge. Any question may be left empty, but
    not all of them: the link answers once, and a blank send would use it up with nothing to score
    while counting the patient as followed up."""

    def clean(self):
        cleaned = super().clean()
        names = [field_name(instrument.code, item.code) for instrument in self.chosen for item in instrument.items]
        if names and all(cleaned.get(name) is None for name in names):
            raise forms.ValidationError(discharge_rules.NOTHING_ANSWERED, code="nothing_answered")
        return cleaned
