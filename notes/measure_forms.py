"""The note's "add a re-measure" and "PART at a segment" rows: each reads what was typed into the
typed value the service stores, with every problem beside its field."""

from __future__ import annotations

from django import forms

from assessments import progress, scoring
from clinic import text_input
from notes import measures

SIDE_CHOICES = [("left", "Left"), ("right", "Right")]
_POSITIONS_HINT = ", ".join(
    f"{scoring.MOTION_LABELS[motion].removeprefix('Hip ').lower()} {position.replace('_', '-')}"
    for motion, position in scoring.DEFAULT_POSITIONS.items()
)


class RemeasureForm(text_input.Form):
    """One re-measure. Fields another kind of measure does not use are ignored, so switching the
    measure after typing loses nothing that matters."""

    measure = forms.ChoiceField(
        label="Measure", choices=[("", "Choose what you re-measured"), *measures.measure_choices()]
    )
    side = forms.ChoiceField(label="Side", choices=SIDE_CHOICES, widget=forms.RadioSelect)
    degrees = forms.IntegerField(
        label="Degrees",
        required=False,
        min_value=-30,
        max_value=180,
        help_text="For a hip motion or the SLR angle, in whole degrees.",
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )
    result = forms.ChoiceField(
        label="Result",
        required=False,
        choices=list(measures.RESULT_LABELS.items()),
        widget=forms.RadioSelect,
        help_text="For a special test.",
    )
    position = forms.ChoiceField(
        label="Position",
        required=False,
        choices=[("", "The motion's usual position"), *scoring.ROM_POSITIONS.items()],
        help_text=f"For a hip motion. Usual positions: {_POSITIONS_HINT}. Compare only like with like.",
    )
    device = forms.ChoiceField(label="Device", required=False, choices=list(scoring.ROM_DEVICES.items()))
    mode = forms.ChoiceField(label="Range", required=False, choices=list(scoring.ROM_MODES.items()))

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("prefix", "measure")
        kwargs.setdefault("initial", {"device": "goniometer", "mode": "passive"})
        super().__init__(*args, **kwargs)

    def clean(self):
        cleaned = super().clean()
        kind, _, code = (cleaned.get("measure") or "").partition(":")
        if not kind or not cleaned.get("side"):
            return cleaned
        if kind == measures.SPECIAL_TEST:
            if not cleaned.get("result"):
                self.add_error("result", "Choose the test's result: positive or negative.")
            return cleaned
        degrees = cleaned.get("degrees")
        if degrees is None:
            if "degrees" not in self.errors:
                self.add_error("degrees", "Enter the degrees measured.")
            return cleaned
        low, high = scoring.PLAUSIBLE_ROM[code] if kind == measures.ROM else measures.SLR_RANGE
        if not low <= degrees <= high:
            self.add_error("degrees", f"{degrees}° is not plausible here: expected {low}° to {high}°.")
        if kind == measures.ROM:
            for name in ("device", "mode"):
                if not cleaned.get(name):
                    self.add_error(name, "Say how the motion was measured: readings are compared only like with like.")
        return cleaned

    def remeasure(self) -> measures.Remeasure:
        cleaned = self.cleaned_data
        kind, _, code = cleaned["measure"].partition(":")
        side = cleaned["side"]
        if kind == measures.SPECIAL_TEST:
            return measures.Remeasure(kind=kind, code=code, side=side, result=cleaned["result"])
        if kind == measures.SLR:
            return measures.Remeasure(kind=kind, code=code, side=side, degrees=cleaned["degrees"])
        method = progress.RomMethod(
            position=cleaned["position"] or scoring.DEFAULT_POSITIONS[code],
            device=cleaned["device"],
            mode=cleaned["mode"],
        )
        return measures.Remeasure(kind=kind, code=code, side=side, degrees=cleaned["degrees"], method=method)


class PartForm(text_input.Form):
    """The PART exam at one segment: tick what was found; none ticked records "none found"."""

    segment = forms.ChoiceField(label="Segment", choices=[("", "Choose a segment"), *measures.SEGMENTS])
    pain = forms.BooleanField(label="P: pain / tenderness", required=False)
    asymmetry = forms.BooleanField(label="A: asymmetry / misalignment", required=False)
    range_of_motion = forms.BooleanField(label="R: range-of-motion abnormality", required=False)
    tissue_tone = forms.BooleanField(label="T: tissue / tone change", required=False)

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("prefix", "part")
        super().__init__(*args, **kwargs)

    def exam(self) -> measures.PartExam:
        return measures.PartExam(**{name: self.cleaned_data[name] for name, _ in measures.PART_CRITERIA})
