"""The patient's daily check-in: which exercises they did and their pain, in a few taps."""

from __future__ import annotations

from collections.abc import Sequence

from django import forms

from clinic import text_input
from clinic.portal import adherence
from plans.signed import SignedItem

PAIN_CHOICES = [(value, str(value)) for value in range(11)]


class CheckInForm(text_input.Form):
    day = forms.DateField(widget=forms.HiddenInput)
    done_items = forms.TypedMultipleChoiceField(
        label="Which exercises did you do?",
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Tick each one you did that day.",
    )
    did_none = forms.BooleanField(label="I did none of them that day", required=False)
    pain = forms.TypedChoiceField(
        label="Your pain that day",
        choices=PAIN_CHOICES,
        coerce=int,
        empty_value=None,
        required=False,
        widget=forms.RadioSelect,
        help_text="0 is no pain, 10 is the worst pain you can imagine.",
    )

    def __init__(self, *args, items: Sequence[SignedItem], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["done_items"].choices = [(index, item.name) for index, item in enumerate(items)]

    def clean(self):
        cleaned = super().clean()
        if "done_items" in cleaned and "pain" in cleaned:
            problem = adherence.check_in_answers_problem(
                cleaned["done_items"], cleaned["pain"], cleaned.get("did_none", False)
            )
            if problem:
                self.add_error(*problem)
        return cleaned
