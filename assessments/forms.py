"""The assessment screen: one form, left and right side by side, every field optional in a
draft. Field names are flat (``rom_flexion_left``) so the API accepts the same names and
the same validation; the form gives the service typed values (``ExamInput`` and ``Visit``)."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.utils import timezone

from assessments import findings, scoring, sections
from assessments.models import Assessment, AssessmentKind, RomDevice, RomMode, SpecialTestResult
from assessments.records import OUTCOME_INSTRUMENTS, Visit
from clinic import plausible_dates, text_input
from domain.facts import SCORE_RANGES
from intake.instruments import item_label

SIDES = scoring.SIDES
MM_PER_CM = 10
_NPRS_LOW, _NPRS_HIGH = SCORE_RANGES["nprs"]


def _side_label(side: str) -> str:
    return "left" if side == "left" else "right"


def rom_field(motion: str, side: str) -> str:
    return f"rom_{motion}_{side}"


def rom_position_field(motion: str) -> str:
    return f"rom_{motion}_position"


def rom_device_field(motion: str) -> str:
    return f"rom_{motion}_device"


def special_field(test: str, side: str, detail: str = "result") -> str:
    return f"{test}_{side}_{detail}"


LEG_LENGTH_FIELDS = ("true_left", "true_right", "apparent_left", "apparent_right")


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


def _start_form_key(episode_pk: int) -> str:
    return f"start_assessment_form:{episode_pk}"


def keep_start_form(request, episode_pk: int, form: StartAssessmentForm) -> None:
    """Keep a refused start form's input for the episode page the clinician is sent back to."""
    request.session[_start_form_key(episode_pk)] = {name: str(form[name].data or "")[:40] for name in form.fields}


def start_form_for(request, episode_pk: int, initial: dict) -> StartAssessmentForm:
    """The episode page's start form: the refused input once, bound so its errors show beside the fields;
    else a blank form with ``initial``."""
    kept = request.session.pop(_start_form_key(episode_pk), None)
    if isinstance(kept, dict):
        form = StartAssessmentForm(kept)
        form.is_valid()
        return form
    return StartAssessmentForm(initial=initial)


# --- Sections of the exam form ----------------------------------------------------------------------
# Each section adds its fields to the page's form, checks what contradicts within it (a message on the
# field concerned), reads its cleaned values into the typed value the service stores, and groups its
# fields for the template.


class RomSection:
    def fields(self) -> dict[str, forms.Field]:
        fields: dict[str, forms.Field] = {}
        for motion in scoring.MOTIONS:
            low, high = scoring.PLAUSIBLE_ROM[motion]
            label = scoring.MOTION_LABELS[motion]
            plausible = f"{label} is plausible from {low}° to {high}°."
            for side in SIDES:
                fields[rom_field(motion, side)] = forms.IntegerField(
                    label=f"{label}, {_side_label(side)} (degrees)",
                    min_value=low,
                    max_value=high,
                    required=False,
                    error_messages={"min_value": plausible, "max_value": plausible},
                    widget=forms.NumberInput(attrs={"inputmode": "numeric", "class": "deg"}),
                )
                fields[f"{rom_field(motion, side)}_pain"] = forms.BooleanField(
                    label=f"Pain on {label.lower()}, {_side_label(side)}", required=False
                )
            # Both sides of a motion are measured the same way (DOMAIN B2.1: compare only like with like).
            fields[rom_position_field(motion)] = forms.ChoiceField(
                label=f"{label}: position",
                choices=[("", "Not recorded"), *scoring.ROM_POSITIONS.items()],
                required=False,
            )
            fields[rom_device_field(motion)] = forms.ChoiceField(
                label=f"{label}: device",
                choices=[("", "Usual device"), *RomDevice.choices],
                required=False,
                help_text="Usual device: the one chosen for the visit.",
            )
        return fields

    def check(self, form: forms.Form, cleaned: dict) -> None:
        for motion in scoring.MOTIONS:
            values = {side: cleaned.get(rom_field(motion, side)) for side in SIDES}
            for side in SIDES:
                name = rom_field(motion, side)
                if cleaned.get(f"{name}_pain") and values[side] is None and name not in form.errors:
                    form.add_error(name, "Enter the angle, or untick the pain mark.")
            measured = [side for side in SIDES if values[side] is not None]
            position = rom_position_field(motion)
            if measured and not cleaned.get(position) and position not in form.errors:
                form.add_error(position, "Choose the position the reading was taken in.")
            if len(measured) == 1:
                missing = next(side for side in SIDES if side not in measured)
                if rom_field(motion, missing) not in form.errors:
                    form.add_error(
                        rom_field(motion, missing),
                        f"Enter the {missing} side too: asymmetry needs both sides (or clear both).",
                    )

    def read(self, cleaned: dict) -> tuple[scoring.RomReading, ...]:
        return tuple(
            scoring.RomReading(
                motion,
                cleaned.get(rom_field(motion, "left")),
                cleaned.get(rom_field(motion, "right")),
                bool(cleaned.get(f"{rom_field(motion, 'left')}_pain")),
                bool(cleaned.get(f"{rom_field(motion, 'right')}_pain")),
                position=cleaned.get(rom_position_field(motion)) or "",
                device=cleaned.get(rom_device_field(motion)) or cleaned.get("rom_device") or "",
            )
            for motion in scoring.MOTIONS
        )

    def rows(self, form: forms.Form) -> list:
        return [
            (
                scoring.MOTION_LABELS[motion],
                scoring.PLAUSIBLE_ROM[motion],
                [(form[rom_field(motion, side)], form[f"{rom_field(motion, side)}_pain"]) for side in SIDES],
                (form[rom_position_field(motion)], form[rom_device_field(motion)]),
            )
            for motion in scoring.MOTIONS
        ]


class FmsSection:
    def fields(self) -> dict[str, forms.Field]:
        fields: dict[str, forms.Field] = {}
        for test in scoring.FMS_TESTS:
            for key in [f"{test.code}_{side}" for side in SIDES] if test.bilateral else [test.code]:
                side = key.rsplit("_", 1)[1] if test.bilateral else None
                fields[f"fms_{key}"] = forms.TypedChoiceField(
                    label=f"{test.label}{', ' + side if side else ''}",
                    choices=[("", "—"), ("3", "3"), ("2", "2"), ("1", "1"), ("0", "0 (pain)")],
                    coerce=int,
                    empty_value=None,
                    required=False,
                )
        for code, label in scoring.FMS_CLEARING_TESTS:
            fields[f"fms_{code}"] = forms.BooleanField(label=f"{label}: painful", required=False)
        return fields

    def check(self, form: forms.Form, cleaned: dict) -> None:
        for test in scoring.FMS_TESTS:
            if test.bilateral:
                pair = [cleaned.get(f"fms_{test.code}_{side}") for side in SIDES]
                if (pair[0] is None) != (pair[1] is None):
                    missing = "left" if pair[0] is None else "right"
                    if f"fms_{test.code}_{missing}" not in form.errors:
                        form.add_error(f"fms_{test.code}_{missing}", "Score both sides of a bilateral test.")

    def read(self, cleaned: dict) -> tuple[dict[str, int | None], dict[str, bool]]:
        raw = {key: cleaned.get(f"fms_{key}") for key in scoring.FMS_RAW_KEYS}
        clearing = {code: bool(cleaned.get(f"fms_{code}")) for code, _ in scoring.FMS_CLEARING_TESTS}
        return raw, clearing

    def rows(self, form: forms.Form) -> list:
        rows = []
        for test in scoring.FMS_TESTS:
            if test.bilateral:
                cells = [form[f"fms_{test.code}_{side}"] for side in SIDES]
            else:
                cells = [form[f"fms_{test.code}"]]
            clearing = form[f"fms_{test.clearing}"] if test.clearing else None
            rows.append((test.label, test.bilateral, cells, clearing))
        return rows


class LegLengthSection:
    def fields(self) -> dict[str, forms.Field]:
        low_mm, high_mm = scoring.PLAUSIBLE_LEG_LENGTH_MM
        fields: dict[str, forms.Field] = {}
        for name in LEG_LENGTH_FIELDS:
            kind, side = name.split("_")
            fields[f"{name}_cm"] = forms.DecimalField(
                label=f"{kind.title()} leg length, {side} (cm)",
                min_value=Decimal(low_mm) / MM_PER_CM,
                max_value=Decimal(high_mm) / MM_PER_CM,
                decimal_places=1,
                max_digits=4,
                required=False,
                error_messages={"max_decimal_places": "Enter centimetres with at most one decimal (mm precision)."},
                widget=forms.NumberInput(attrs={"step": "0.1", "inputmode": "decimal"}),
            )
        return fields

    def check(self, form: forms.Form, cleaned: dict) -> None:
        for kind in ("true", "apparent"):
            pair = [cleaned.get(f"{kind}_{side}_cm") for side in SIDES]
            if (pair[0] is None) != (pair[1] is None):
                missing = "left" if pair[0] is None else "right"
                if f"{kind}_{missing}_cm" not in form.errors:
                    form.add_error(f"{kind}_{missing}_cm", f"Enter both {kind} leg lengths, or neither.")
        if (
            cleaned.get("apparent_left_cm") is not None
            and cleaned.get("true_left_cm") is None
            and "true_left_cm" not in form.errors
        ):
            form.add_error("true_left_cm", "Enter the true lengths too: apparent lengths alone cannot be interpreted.")

    def read(self, cleaned: dict) -> dict[str, int | None]:
        """Each length in whole mm (ExamInput's unit), keyed as ExamInput's fields."""
        lengths = {}
        for name in LEG_LENGTH_FIELDS:
            value_cm = cleaned.get(f"{name}_cm")
            lengths[name] = None if value_cm is None else int((value_cm * MM_PER_CM).to_integral_value())
        return lengths


# Detail fields of the special tests that have them: test -> {field suffix: SpecialTest attribute}. The
# Thomas test's tight structures are a group of yes/no fields of their own (THOMAS_STRUCTURES).
_SPECIAL_DETAILS = {
    "slr": {"angle": "angle", "leg_symptoms": "reproduces_leg_symptoms"},
    "faber": {"location": "pain_location"},
}


# DOMAIN B4: the iliopsoas is the one-joint hip flexor the classic Thomas test was made for.
_THOMAS_CHOICE_LABELS = {
    "iliopsoas": "Iliopsoas (one-joint flexor)",
    "rectus_femoris": "Rectus femoris",
    "tfl_itb": "TFL / ITB",
}
_THOMAS_STRUCTURE_LIST = "{}, {} or {}".format(*findings.THOMAS_STRUCTURE_LABELS.values())


class SpecialTestSection:
    def fields(self) -> dict[str, forms.Field]:
        fields: dict[str, forms.Field] = {}
        for test, label in findings.SPECIAL_TESTS:
            for side in SIDES:
                fields[special_field(test, side)] = forms.ChoiceField(
                    label=f"{label}, {_side_label(side)}", choices=SpecialTestResult.choices, initial="not_tested"
                )
            for side in SIDES:
                fields.update(self._detail_fields(test, side))
        return fields

    @staticmethod
    def _detail_fields(test: str, side: str) -> dict[str, forms.Field]:
        if test == "thomas":
            return {
                special_field(test, side, structure): forms.BooleanField(
                    label=f"{_THOMAS_CHOICE_LABELS[structure]}, {_side_label(side)}", required=False
                )
                for structure in findings.THOMAS_STRUCTURES
            }
        if test == "slr":
            return {
                special_field(test, side, "angle"): forms.IntegerField(
                    label=f"SLR angle, {_side_label(side)} (degrees)",
                    min_value=0,
                    max_value=scoring.PLAUSIBLE_ROM["flexion"][1],
                    required=False,
                ),
                special_field(test, side, "leg_symptoms"): forms.BooleanField(
                    label=f"Reproduces leg symptoms, {_side_label(side)}", required=False
                ),
            }
        if test == "faber":
            return {
                special_field(test, side, "location"): forms.ChoiceField(
                    label=f"Where it hurts, {_side_label(side)}",
                    choices=[("", "—"), *findings.FABER_PAIN_LOCATION_LABELS.items()],
                    required=False,
                )
            }
        return {}

    def check(self, form: forms.Form, cleaned: dict) -> None:
        for side in SIDES:
            self._details_need_positive(form, "thomas", side, list(findings.THOMAS_STRUCTURES), cleaned)
            self._thomas_names_a_structure(form, side, cleaned)
            self._details_need_positive(form, "faber", side, ["location"], cleaned)
            self._details_need_positive(form, "slr", side, ["leg_symptoms"], cleaned)
            angle_field = special_field("slr", side, "angle")
            if cleaned.get(angle_field) is not None and cleaned.get(special_field("slr", side)) == "not_tested":
                form.add_error(angle_field, "The SLR was marked not tested: clear the angle or record the result.")

    @staticmethod
    def _thomas_names_a_structure(form: forms.Form, side: str, cleaned: dict) -> None:
        if cleaned.get(special_field("thomas", side)) != "positive":
            return
        if not any(cleaned.get(special_field("thomas", side, structure)) for structure in findings.THOMAS_STRUCTURES):
            form.add_error(
                special_field("thomas", side, findings.THOMAS_STRUCTURES[0]),
                f"A positive Thomas test names what is tight: tick at least one of {_THOMAS_STRUCTURE_LIST}.",
            )

    @staticmethod
    def _details_need_positive(form: forms.Form, test: str, side: str, details: list[str], cleaned: dict) -> None:
        if cleaned.get(special_field(test, side)) == "positive":
            return
        label = findings.SPECIAL_TEST_LABELS[test]
        for detail in details:
            name = special_field(test, side, detail)
            if cleaned.get(name):
                form.add_error(name, f"Only recorded when the {label} is positive on this side.")

    def read(self, cleaned: dict) -> dict[str, dict[str, findings.SpecialTest]]:
        tests: dict[str, dict[str, findings.SpecialTest]] = {}
        for test, _ in findings.SPECIAL_TESTS:
            for side in SIDES:
                details = {}
                for suffix, attribute in _SPECIAL_DETAILS.get(test, {}).items():
                    value = cleaned.get(special_field(test, side, suffix))
                    details[attribute] = None if value == "" else value  # an empty choice: not recorded
                if test == "thomas":
                    details["tight"] = frozenset(
                        structure
                        for structure in findings.THOMAS_STRUCTURES
                        if cleaned.get(special_field(test, side, structure))
                    )
                tests.setdefault(test, {})[side] = findings.SpecialTest(
                    result=cleaned.get(special_field(test, side)) or "not_tested", **details
                )
        return tests

    def rows(self, form: forms.Form) -> list:
        """(test label, [(result field, detail fields, tight-structure group or None) per side]) per test; the
        group is (legend, its yes/no fields)."""
        rows = []
        for test, label in findings.SPECIAL_TESTS:
            sides = []
            for side in SIDES:
                extras = [form[special_field(test, side, suffix)] for suffix in _SPECIAL_DETAILS.get(test, {})]
                group = None
                if test == "thomas":
                    group = (
                        f"Tight structures, {_side_label(side)} (when positive)",
                        [form[special_field(test, side, structure)] for structure in findings.THOMAS_STRUCTURES],
                    )
                sides.append((form[special_field(test, side)], extras, group))
            rows.append((label, sides))
        return rows


class RunningFormSection:
    def fields(self) -> dict[str, forms.Field]:
        return {
            name: forms.BooleanField(label=findings.RUNNING_FORM[name][1], required=False)
            for name in RUNNING_FORM_FIELDS
        }

    def read(self, cleaned: dict) -> dict[str, bool]:
        return {name: bool(cleaned.get(name)) for name in RUNNING_FORM_FIELDS}

    def rows(self, form: forms.Form) -> list:
        return [form[name] for name in RUNNING_FORM_FIELDS]


class OutcomeSection:
    def fields(self) -> dict[str, forms.Field]:
        fields: dict[str, forms.Field] = {}
        for instrument in OUTCOME_INSTRUMENTS:
            for item in instrument.items:
                fields[outcome_field(instrument.code, item.code)] = forms.TypedChoiceField(
                    label=item_label(instrument.code, item.code),
                    choices=[("", "—"), *[(str(option.value), str(option.value)) for option in item.options]],
                    coerce=int,
                    empty_value=None,
                    required=False,
                )
        return fields

    def read(self, cleaned: dict) -> dict[str, dict[str, int | None]]:
        return {
            instrument.code: {
                item.code: cleaned.get(outcome_field(instrument.code, item.code)) for item in instrument.items
            }
            for instrument in OUTCOME_INSTRUMENTS
        }

    def sections(self, form: forms.Form) -> list:
        """(instrument, its fields, whether any is filled in) for each visit questionnaire."""
        sections = []
        for instrument in OUTCOME_INSTRUMENTS:
            fields = [form[outcome_field(instrument.code, item.code)] for item in instrument.items]
            sections.append((instrument, fields, any(field.value() not in (None, "") for field in fields)))
        return sections


def not_tested_field(section: str) -> str:
    return f"{section}_not_tested"


def reason_field(section: str) -> str:
    return f"{section}_not_tested_reason"


class NotTestedMarks:
    """Each exam section's "not tested" mark with its optional reason. The mark's label is the
    section's name, so an error summary line reads "Leg length: ..."."""

    def fields(self) -> dict[str, forms.Field]:
        fields: dict[str, forms.Field] = {}
        for code, label in sections.SECTIONS:
            fields[not_tested_field(code)] = forms.BooleanField(label=label, required=False)
            fields[reason_field(code)] = forms.CharField(
                label=f"{label}: why not tested (optional)", max_length=300, required=False
            )
        return fields

    def check(self, form: forms.Form, cleaned: dict, exam: findings.ExamInput) -> None:
        for code in sections.contradicted(exam, form_notes=cleaned.get("form_notes") or ""):
            if not_tested_field(code) not in form.errors:
                form.add_error(not_tested_field(code), sections.MARKED_BUT_RECORDED)
        for code, _ in sections.SECTIONS:
            if cleaned.get(reason_field(code)) and not cleaned.get(not_tested_field(code)):
                form.add_error(reason_field(code), "Only given when the section is marked not tested.")

    def read(self, cleaned: dict) -> dict[str, str]:
        return {
            code: cleaned.get(reason_field(code)) or ""
            for code, _ in sections.SECTIONS
            if cleaned.get(not_tested_field(code))
        }

    def marks(self, form: forms.Form) -> dict[str, tuple]:
        return {code: (form[not_tested_field(code)], form[reason_field(code)]) for code, _ in sections.SECTIONS}


_ROM, _FMS, _LEG_LENGTH = RomSection(), FmsSection(), LegLengthSection()
_SPECIAL_TESTS, _RUNNING_FORM, _OUTCOMES = SpecialTestSection(), RunningFormSection(), OutcomeSection()
_NOT_TESTED = NotTestedMarks()


class AssessmentForm(text_input.Form):
    """Everything recorded at one visit, composed of the exam's sections; ``exam()`` and ``visit()``
    give the typed values the service stores. ``rom_rows()`` and friends group fields for the template."""

    assessed_on = forms.DateField(label="Date of the visit", widget=DateInput())
    rom_device = forms.ChoiceField(label="Usual ROM device", choices=RomDevice.choices)
    rom_mode = forms.ChoiceField(label="ROM mode", choices=RomMode.choices)
    pain_today = forms.TypedChoiceField(
        label=f"Pain today (NPRS {_NPRS_LOW}–{_NPRS_HIGH})",
        choices=[("", "—")] + [(str(value), str(value)) for value in range(_NPRS_LOW, _NPRS_HIGH + 1)],
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
        for section in (_ROM, _FMS, _LEG_LENGTH, _SPECIAL_TESTS, _RUNNING_FORM, _OUTCOMES, _NOT_TESTED):
            self.fields.update(section.fields())

    def clean_assessed_on(self):
        return _visit_date(self.cleaned_data["assessed_on"])

    def clean(self):
        cleaned = super().clean()
        for section in (_ROM, _LEG_LENGTH, _FMS, _SPECIAL_TESTS):
            section.check(self, cleaned)
        _NOT_TESTED.check(self, cleaned, self.exam())
        return cleaned

    # --- Typed values for the service (a valid form only) -----------------------------------------

    def exam(self) -> findings.ExamInput:
        cleaned = self.cleaned_data
        fms_raw, fms_clearing = _FMS.read(cleaned)
        return findings.ExamInput(
            rom=_ROM.read(cleaned),
            fms_raw=fms_raw,
            fms_clearing=fms_clearing,
            **_LEG_LENGTH.read(cleaned),
            special_tests=_SPECIAL_TESTS.read(cleaned),
            running_form=_RUNNING_FORM.read(cleaned),
            cadence=cleaned.get("cadence"),
            not_tested=_NOT_TESTED.read(cleaned),
        )

    def visit(self) -> Visit:
        cleaned = self.cleaned_data
        return Visit(
            assessed_on=cleaned["assessed_on"],
            rom_device=cleaned["rom_device"],
            rom_mode=cleaned["rom_mode"],
            pain_today=cleaned.get("pain_today"),
            form_notes=cleaned.get("form_notes") or "",
            outcomes=_OUTCOMES.read(cleaned),
        )

    # --- Groups for the template ------------------------------------------------------------------

    def rom_rows(self):
        return _ROM.rows(self)

    def fms_rows(self):
        return _FMS.rows(self)

    def special_rows(self):
        return _SPECIAL_TESTS.rows(self)

    def running_fields(self):
        return _RUNNING_FORM.rows(self)

    def outcome_sections(self):
        return _OUTCOMES.sections(self)

    def not_tested_marks(self):
        return _NOT_TESTED.marks(self)


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
    for code, _ in sections.SECTIONS:
        initial[not_tested_field(code)] = getattr(assessment, not_tested_field(code))
        initial[reason_field(code)] = getattr(assessment, reason_field(code))
    for name in LEG_LENGTH_FIELDS:
        value = getattr(assessment, f"{name}_mm")
        initial[f"{name}_cm"] = None if value is None else Decimal(value) / MM_PER_CM
    rows = {row.motion: row for row in assessment.rom.all()}
    for motion in scoring.MOTIONS:
        row = rows.get(motion)
        measured = row is not None and (row.left is not None or row.right is not None)
        # A reading keeps its position, even one not recorded; a motion not measured offers its usual one.
        kept = row is not None and (measured or row.position)
        initial[rom_position_field(motion)] = row.position if kept else scoring.DEFAULT_POSITIONS[motion]
        initial[rom_device_field(motion)] = "" if row is None or row.device == assessment.rom_device else row.device
        if row is None:
            continue
        for side in SIDES:
            initial[rom_field(motion, side)] = getattr(row, side)
            initial[f"{rom_field(motion, side)}_pain"] = getattr(row, f"{side}_painful")
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
        if row.test == "thomas":
            for structure in findings.THOMAS_STRUCTURES:
                initial[special_field(row.test, row.side, structure)] = getattr(row, f"{structure}_tight")
        initial[special_field(row.test, row.side, "angle")] = row.angle
        initial[special_field(row.test, row.side, "leg_symptoms")] = bool(row.reproduces_leg_symptoms)
        initial[special_field(row.test, row.side, "location")] = row.pain_location
    return initial


class DismissFindingForm(text_input.Form):
    reason = forms.CharField(
        label="Why dismiss this finding?", max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )


class AddFindingForm(text_input.Form):
    condition = forms.ChoiceField(
        label="Condition",
        choices=[("", "None: I describe it below"), *findings.CLINICIAN_CONDITIONS],
        required=False,
        help_text="A condition from the list drafts its programme and applies its contraindications in the plan.",
    )
    label = forms.CharField(
        label="Or in your own words",
        max_length=300,
        required=False,
        help_text="e.g. “Tender TFL, right”. Kept on the record; not used by the plan's rules.",
    )
    side = forms.ChoiceField(label="Side", choices=[("", "None"), ("left", "Left"), ("right", "Right")], required=False)
    reason = forms.CharField(label="Why add it?", max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))
