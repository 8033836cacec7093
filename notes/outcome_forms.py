"""The outcomes page's filters: by GET, every one optional, kept as typed when refused."""

from __future__ import annotations

from django import forms

from assessments.findings import CLINICIAN_CONDITIONS
from clinic import permissions, text_input
from clinic.forms import DateInput
from clinic.models import User
from clinic.permissions import Role
from notes.outcome_selectors import Filters
from notes.outcomes import NO_CONDITION

NO_CONDITION_CHOICE = "none"


class OutcomesFilterForm(text_input.Form):
    clinician = forms.ModelChoiceField(
        queryset=None, required=False, empty_label="Every clinician", label="Lead clinician"
    )
    discharged_from = forms.DateField(required=False, label="Discharged from", widget=DateInput())
    discharged_to = forms.DateField(required=False, label="Discharged up to", widget=DateInput())
    condition = forms.ChoiceField(
        required=False,
        label="Condition",
        choices=[("", "Every condition"), *CLINICIAN_CONDITIONS, (NO_CONDITION_CHOICE, "No condition coded")],
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["clinician"].queryset = (
            permissions.clinic_rows(user, User).filter(groups__name=Role.CLINICIAN.value).order_by("full_name", "pk")
        )

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("discharged_from"), cleaned.get("discharged_to")
        if start and end and start > end:
            self.add_error("discharged_to", "The last day is before the first day.")
        return cleaned

    def filters(self) -> Filters:
        data = self.cleaned_data
        clinician = data.get("clinician")
        return Filters(
            clinician_id=clinician.pk if clinician else None,
            discharged_from=data.get("discharged_from"),
            discharged_to=data.get("discharged_to"),
        )

    def condition_code(self) -> str | None:
        code = self.cleaned_data.get("condition") or None
        return NO_CONDITION if code == NO_CONDITION_CHOICE else code
