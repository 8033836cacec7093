"""The runner's forms: a run logged by hand, how a run felt, the pain the next morning. Phone
first: numbers as 0-10 scales with large targets, a duration as the runner's watch shows it."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django import forms

from clinic import text_input
from running import run_rules
from running.models import Run
from running.services.runs import Feel

SCALE = [(value, str(value)) for value in range(11)]
YES_NO = [("yes", "Yes"), ("no", "No")]
PAIN_HELP = "0 is no pain, 10 is the worst pain you can imagine."
RPE_HELP = "How hard it felt: 0 is resting, 10 is the hardest effort you can make."


def _scale(label: str, help_text: str, *, required: bool = True) -> forms.TypedChoiceField:
    return forms.TypedChoiceField(
        label=label,
        choices=SCALE,
        coerce=int,
        empty_value=None,
        required=required,
        widget=forms.RadioSelect,
        help_text=help_text,
    )


class FeelForm(text_input.Form):
    """How a run felt (DOMAIN B10.5): pain during it, effort, swelling or stiffness, a note."""

    pain_before = _scale("Pain before the run", PAIN_HELP)
    pain_during = _scale("Pain during the run", PAIN_HELP)
    rpe = _scale("Effort (RPE)", RPE_HELP)
    swelling_or_stiffness = forms.TypedChoiceField(
        label="Swelling or stiffness after the run?",
        choices=YES_NO,
        coerce=lambda value: value == "yes",
        widget=forms.RadioSelect,
    )
    note = forms.CharField(
        label="Anything else (optional)",
        required=False,
        max_length=Run._meta.get_field("note").max_length,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def feel(self) -> Feel:
        data = self.cleaned_data
        return Feel(
            pain_before=data["pain_before"],
            pain_during=data["pain_during"],
            rpe=data["rpe"],
            swelling_or_stiffness=data["swelling_or_stiffness"],
            note=data["note"].strip(),
        )

    @staticmethod
    def initial_of(run: Run) -> dict:
        swelling = run.swelling_or_stiffness
        return {
            "pain_before": run.pain_before,
            "pain_during": run.pain_during,
            "rpe": run.rpe,
            "swelling_or_stiffness": None if swelling is None else ("yes" if swelling else "no"),
            "note": run.note,
        }


class RunForm(FeelForm):
    """A run logged by hand: its day, optional start time, distance and duration, then how it felt."""

    local_date = forms.DateField(
        label="Day of the run", widget=forms.DateInput(attrs={"type": "date"}), help_text="Your own local date."
    )
    start_time = forms.TimeField(
        label="Start time (optional)", required=False, widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M")
    )
    distance_km = forms.DecimalField(
        label="Distance (km)",
        min_value=Decimal("0.01"),
        max_value=run_rules.MAX_DISTANCE_KM,
        max_digits=5,
        decimal_places=2,
        widget=forms.NumberInput(attrs={"step": "0.01", "inputmode": "decimal"}),
    )
    duration = forms.CharField(
        label="Time",
        max_length=12,
        help_text=run_rules.DURATION_HELP,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )

    field_order = [
        "local_date",
        "start_time",
        "distance_km",
        "duration",
        "pain_before",
        "pain_during",
        "rpe",
        "swelling_or_stiffness",
        "note",
    ]

    def __init__(self, *args, today: datetime.date, opened_on: datetime.date, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.today, self.opened_on = today, opened_on
        self.fields["local_date"].widget.attrs.update(max=today.isoformat(), min=opened_on.isoformat())

    def clean_local_date(self) -> datetime.date:
        day = self.cleaned_data["local_date"]
        problem = run_rules.run_day_problem(day, today=self.today, opened_on=self.opened_on)
        if problem:
            raise forms.ValidationError(problem)
        return day

    def clean_duration(self) -> int:
        seconds = run_rules.parse_duration(self.cleaned_data["duration"])
        if seconds is None:
            raise forms.ValidationError(f"The time could not be read. {run_rules.DURATION_HELP}")
        return seconds


class MorningForm(text_input.Form):
    morning_pain = _scale("Your pain this morning", PAIN_HELP)
