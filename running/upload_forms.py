"""Forms of the runner's device files: the upload, and the distance for a file that has none."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError

from clinic import text_input
from running.models import DuplicateDecision
from running.services import uploads


class RunFileForm(text_input.Form):
    file = forms.FileField(
        label="Your run's file",
        help_text="The FIT, TCX or GPX file your watch's app exports for one run.",
        widget=forms.ClearableFileInput(attrs={"accept": uploads.ACCEPT}),
        error_messages={"required": "Choose the file of your run.", "empty": uploads.EMPTY},
    )

    def clean_file(self):
        uploaded = self.cleaned_data["file"]
        # Refused here, before anything is stored or read: size, then name.
        uploads.check_file(uploaded)
        return uploaded


class DistanceForm(text_input.Form):
    distance_km = forms.DecimalField(
        label="Distance (km)",
        help_text="Your file has no distance: enter it as your treadmill or watch showed it, such as 5.2.",
        min_value=Decimal("0.01"),
        max_value=Decimal(300),
        max_digits=6,
        decimal_places=2,
        widget=forms.NumberInput(attrs={"inputmode": "decimal", "step": "0.01"}),
    )

    def distance_m(self) -> int:
        return round(self.cleaned_data["distance_km"] * 1000)


class DecisionForm(text_input.Form):
    decision = forms.ChoiceField(choices=DuplicateDecision.choices)

    def clean_decision(self):
        value = self.cleaned_data["decision"]
        if value not in DuplicateDecision.values:
            raise ValidationError("Choose whether the runs are the same or different.")
        return value
