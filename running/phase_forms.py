"""The clinician's override of the pain rule's proposal: another step, with a reason."""

from __future__ import annotations

from django import forms

from clinic import text_input
from running.models import PhaseDecision, PhaseStep


class OverrideForm(text_input.Form):
    step = forms.ChoiceField(label="Your decision", choices=PhaseStep.choices, widget=forms.RadioSelect)
    reason = forms.CharField(
        label="Reason",
        max_length=PhaseDecision._meta.get_field("override_reason").max_length,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Why you decide otherwise than the proposal; kept with the decision.",
    )
