"""The assessment screen: one form, left and right side by side, every field optional in a
draft. Field names are flat (``rom_flexion_left``) so the API accepts the same names and
the same validation."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.utils import timezone

from assessments import findings, scoring
from assessments.models import Assessment, AssessmentKind, RomDevice, RomMode, SpecialTestResult
from clinic import plausible_dates, text_input
from intake import instruments

SIDES = scoring.SIDES
MM_PER_CM = 10


def _side_label(side: str) -> str:
    return "left" if side == "left" else "right"


def rom_field(motion: str, side: str) -> str:
    return f"rom_{motion}_{side}"


def special_field(test: str, side: str, detail: str = "result") -> str:
    return f"{test}_{side}_{detail}"


LEG_LENGTH_FIELDS = ("true_left", "true_right", "apparent_left", "apparent_right")
# Re-scored at visits from the patient's paper form (DOMAIN B5.6 "score-only" mode).
OUTCOME_INSTRUMENTS = (instruments.ODI, instruments.LEFS)


def outcome_field(instrument: str, item: str) -> str:
    return f"outcome_{instrument}_{item}"


RUNNING_FORM_FIELDS = tuple(findings.RUNNING_FORM)


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


def _visit_date(day):
    if day > timezone.localdate():
        raise forms.ValidationError("The visit date cannot be in the future.")
    if problem := plausible_dates.problem(day, timezone.localdate()):
        raise forms.ValidationError(problem)
    return day


class StartAssessmentForm(text_input.Form):
    kind = forms.ChoiceField(choices=AssessmentKind.choices, widget=forms.RadioSelect)
    assessed_on = forms.DateField(label="Date of the visit", widget=DateInput())

    def clean_assessed_on(self):
        return _visit_date(self.cleaned_data["assessed_on"])


class AssessmentForm(text_input.Form):
    """Everything recorded at one visit. ``rows()`` and friends group fields for the template."""

    assessed_on = forms.DateField(label="Date of the visit", widget=DateInput())
    rom_device = forms.ChoiceField(label="ROM measured with", choices=RomDevice.choices)
    rom_mode = forms.ChoiceField(label="ROM mode", choices=RomMode.choices)
    pain_today = forms.TypedChoiceField(
        label="Pain today (NPRS 0–10)",
        choices=[("", "—")] + [(str(value), str(value)) for value in range(11)],
        coerce=int,
        empty_value=None,
        required=False,
    )
    cadence = forms.IntegerField(label="Cadence (steps/min)", min_value=60, max_value=260, required=False)
    form_notes = forms.CharField(
        label="Running-form notes", max_length=3000, required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for motion in scoring.MOTIONS:
            low, high = scoring.PLAUSIBLE_ROM[motion]
            for side in SIDES:
                self.fields[rom_field(motion, side)] = forms.IntegerField(
                    label=f"{scoring.MOTION_LABELS[motion]}, {_side_label(side)} (degrees)",
                    min_value=low,
                    max_value=high,
                    required=False,
                    error_messages={
                        "min_value": f"{scoring.MOTION_LABELS[motion]} is plausible from {low}° to {high}°.",
                        "max_value": f"{scoring.MOTION_LABELS[motion]} is plausible from {low}° to {high}°.",
                    },
                    widget=forms.NumberInput(attrs={"inputmode": "numeric", "class": "deg"}),
                )
                self.fields[f"{rom_field(motion, side)}_pain"] = forms.BooleanField(
                    label=f"Pain on {scoring.MOTION_LABELS[motion].lower()}, {_side_label(side)}", required=False
                )
        for test in scoring.FMS_TESTS:
            for key in [f"{test.code}_{side}" for side in SIDES] if test.bilateral else [test.code]:
                side = key.rsplit("_", 1)[1] if test.bilateral else None
                self.fields[f"fms_{key}"] = forms.TypedChoiceField(
                    label=f"{test.label}{', ' + side if side else ''}",
                    choices=[("", "—"), ("3", "3"), ("2", "2"), ("1", "1"), ("0", "0 (pain)")],
                    coerce=int,
                    empty_value=None,
                    required=False,
                )
        for code, label in scoring.FMS_CLEARING_TESTS:
            self.fields[f"fms_{code}"] = forms.BooleanField(label=f"{label}: painful", required=False)
        low_mm, high_mm = scoring.PLAUSIBLE_LEG_LENGTH_MM
        for name in LEG_LENGTH_FIELDS:
            kind, side = name.split("_")
            self.fields[f"{name}_cm"] = forms.DecimalField(
                label=f"{kind.title()} leg length, {side} (cm)",
                min_value=Decimal(low_mm) / MM_PER_CM,
                max_value=Decimal(high_mm) / MM_PER_CM,
                decimal_places=1,
                max_digits=4,
                required=False,
                error_messages={"max_decimal_places": "Enter centimetres with at most one decimal (mm precision)."},
                widget=forms.NumberInput(attrs={"step": "0.1", "inputmode": "decimal"}),
            )
        result_choices = SpecialTestResult.choices
        for test, label in findings.SPECIAL_TESTS:
            for side in SIDES:
                self.fields[special_field(test, side)] = forms.ChoiceField(
                    label=f"{label}, {_side_label(side)}", choices=result_choices, initial="not_tested"
                )
            for side in SIDES:
                if test == "thomas":
                    self.fields[special_field(test, side, "structure")] = forms.ChoiceField(
                        label=f"Tight structure, {_side_label(side)}",
                        choices=[("", "—"), *findings.THOMAS_STRUCTURE_LABELS.items()],
                        required=False,
                    )
                if test == "slr":
                    self.fields[special_field(test, side, "angle")] = forms.IntegerField(
                        label=f"SLR angle, {_side_label(side)} (degrees)",
                        min_value=0,
                        max_value=scoring.PLAUSIBLE_ROM["flexion"][1],
                        required=False,
                    )
                    self.fields[special_field(test, side, "leg_symptoms")] = forms.BooleanField(
                        label=f"Reproduces leg symptoms, {_side_label(side)}", required=False
                    )
                if test == "faber":
                    self.fields[special_field(test, side, "location")] = forms.ChoiceField(
                        label=f"Where it hurts, {_side_label(side)}",
                        choices=[
                            ("", "—"),
                            ("groin", "Groin / front"),
                            ("posterior", "Back / sacral"),
                            ("lateral", "Side"),
                        ],
                        required=False,
                    )
        for name in RUNNING_FORM_FIELDS:
            self.fields[name] = forms.BooleanField(label=findings.RUNNING_FORM[name][1], required=False)
        for instrument in OUTCOME_INSTRUMENTS:
            for item in instrument.items:
                self.fields[outcome_field(instrument.code, item.code)] = forms.TypedChoiceField(
                    label=f"{instrument.code.upper()} {item.code.replace('_', ' ')}",
                    choices=[("", "—"), *[(str(option.value), str(option.value)) for option in item.options]],
                    coerce=int,
                    empty_value=None,
                    required=False,
                )

    # --- Cross-field rules: contradictions get a message on the field concerned ----------------

    def clean_assessed_on(self):
        return _visit_date(self.cleaned_data["assessed_on"])

    def clean(self):
        cleaned = super().clean()
        for motion in scoring.MOTIONS:
            values = {side: cleaned.get(rom_field(motion, side)) for side in SIDES}
            for side in SIDES:
                name = rom_field(motion, side)
                if cleaned.get(f"{name}_pain") and values[side] is None and name not in self.errors:
                    self.add_error(name, "Enter the angle, or untick the pain mark.")
            measured = [side for side in SIDES if values[side] is not None]
            if len(measured) == 1:
                missing = next(side for side in SIDES if side not in measured)
                if rom_field(motion, missing) not in self.errors:
                    self.add_error(
                        rom_field(motion, missing),
                        f"Enter the {missing} side too: asymmetry needs both sides (or clear both).",
                    )
        for kind in ("true", "apparent"):
            pair = [cleaned.get(f"{kind}_{side}_cm") for side in SIDES]
            if (pair[0] is None) != (pair[1] is None):
                missing = "left" if pair[0] is None else "right"
                if f"{kind}_{missing}_cm" not in self.errors:
                    self.add_error(f"{kind}_{missing}_cm", f"Enter both {kind} leg lengths, or neither.")
        if (
            cleaned.get("apparent_left_cm") is not None
            and cleaned.get("true_left_cm") is None
            and "true_left_cm" not in self.errors
        ):
            self.add_error("true_left_cm", "Enter the true lengths too: apparent lengths alone cannot be interpreted.")
        for test in scoring.FMS_TESTS:
            if test.bilateral:
                pair = [cleaned.get(f"fms_{test.code}_{side}") for side in SIDES]
                if (pair[0] is None) != (pair[1] is None):
                    missing = "left" if pair[0] is None else "right"
                    if f"fms_{test.code}_{missing}" not in self.errors:
                        self.add_error(f"fms_{test.code}_{missing}", "Score both sides of a bilateral test.")
        for side in SIDES:
            self._details_need_positive("thomas", side, ["structure"], cleaned)
            self._details_need_positive("faber", side, ["location"], cleaned)
            self._details_need_positive("slr", side, ["leg_symptoms"], cleaned)
            angle_field = special_field("slr", side, "angle")
            if cleaned.get(angle_field) is not None and cleaned.get(special_field("slr", side)) == "not_tested":
                self.add_error(angle_field, "The SLR was marked not tested: clear the angle or record the result.")
        return cleaned

    def _details_need_positive(self, test: str, side: str, details: list[str], cleaned: dict) -> None:
        if cleaned.get(special_field(test, side)) == "positive":
            return
        label = findings.SPECIAL_TEST_LABELS[test]
        for detail in details:
            name = special_field(test, side, detail)
            if cleaned.get(name):
                self.add_error(name, f"Only recorded when the {label} is positive on this side.")

    # --- Groups for the template ------------------------------------------------------------------

    def rom_rows(self):
        return [
            (
                scoring.MOTION_LABELS[motion],
                scoring.PLAUSIBLE_ROM[motion],
                [(self[rom_field(motion, side)], self[f"{rom_field(motion, side)}_pain"]) for side in SIDES],
            )
            for motion in scoring.MOTIONS
        ]

    def fms_rows(self):
        rows = []
        for test in scoring.FMS_TESTS:
            if test.bilateral:
                cells = [self[f"fms_{test.code}_{side}"] for side in SIDES]
            else:
                cells = [self[f"fms_{test.code}"]]
            clearing = self[f"fms_{test.clearing}"] if test.clearing else None
            rows.append((test.label, test.bilateral, cells, clearing))
        return rows

    def special_rows(self):
        rows = []
        for test, label in findings.SPECIAL_TESTS:
            sides = []
            for side in SIDES:
                extras = [
                    self[special_field(test, side, detail)]
                    for detail in ("structure", "angle", "leg_symptoms", "location")
                    if special_field(test, side, detail) in self.fields
                ]
                sides.append((self[special_field(test, side)], extras))
            rows.append((label, sides))
        return rows

    def running_fields(self):
        return [self[name] for name in RUNNING_FORM_FIELDS]

    def outcome_sections(self):
        """(instrument, its fields, whether any is filled in) for each visit questionnaire."""
        sections = []
        for instrument in OUTCOME_INSTRUMENTS:
            fields = [self[outcome_field(instrument.code, item.code)] for item in instrument.items]
            sections.append((instrument, fields, any(field.value() not in (None, "") for field in fields)))
        return sections


def initial_from(assessment: Assessment) -> dict:
    """The form's initial values from a saved assessment."""
    initial = {
        # Every special test starts "not tested", so a first partial save need not send all 18.
        **{special_field(test, side): "not_tested" for test, _ in findings.SPECIAL_TESTS for side in SIDES},
        "assessed_on": assessment.assessed_on,
        "rom_device": assessment.rom_device,
        "rom_mode": assessment.rom_mode,
        "pain_today": assessment.pain_today,
        "cadence": assessment.cadence,
        "form_notes": assessment.form_notes,
    }
    for name in RUNNING_FORM_FIELDS:
        initial[name] = getattr(assessment, name)
    for name in LEG_LENGTH_FIELDS:
        value = getattr(assessment, f"{name}_mm")
        initial[f"{name}_cm"] = None if value is None else Decimal(value) / MM_PER_CM
    for row in assessment.rom.all():
        for side in SIDES:
            initial[rom_field(row.motion, side)] = getattr(row, side)
            initial[f"{rom_field(row.motion, side)}_pain"] = getattr(row, f"{side}_painful")
    for row in assessment.fms.all():
        test = scoring.FMS_TESTS_BY_CODE[row.test]
        if test.bilateral:
            initial[f"fms_{row.test}_left"], initial[f"fms_{row.test}_right"] = row.left, row.right
        else:
            initial[f"fms_{row.test}"] = row.left
        if test.clearing:
            initial[f"fms_{test.clearing}"] = row.clearing_painful
    for row in assessment.outcome_scores.all():
        for item, value in row.answers.items():
            initial[outcome_field(row.instrument, item)] = value
    for row in assessment.special_tests.all():
        initial[special_field(row.test, row.side)] = row.result
        initial[special_field(row.test, row.side, "structure")] = row.structure
        initial[special_field(row.test, row.side, "angle")] = row.angle
        initial[special_field(row.test, row.side, "leg_symptoms")] = bool(row.reproduces_leg_symptoms)
        initial[special_field(row.test, row.side, "location")] = row.pain_location
    return initial


class DismissFindingForm(text_input.Form):
    reason = forms.CharField(
        label="Why dismiss this finding?", max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )


class AddFindingForm(text_input.Form):
    label = forms.CharField(label="Finding", max_length=300, help_text="In your own words, e.g. “Tender TFL, right”.")
    side = forms.ChoiceField(label="Side", choices=[("", "None"), ("left", "Left"), ("right", "Right")], required=False)
    reason = forms.CharField(label="Why add it?", max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))
