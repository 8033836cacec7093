"""Forms of walk-run programs: choosing one for a draft plan, and a clinic admin's edit of a program (a phase
per row, a rule per row: a structured form, never raw JSON)."""

from __future__ import annotations

from django import forms

from clinic import text_input
from plans import run_programs
from plans.models import RunProgramTemplate


class ChooseProgramForm(text_input.Form):
    program = forms.ModelChoiceField(
        queryset=RunProgramTemplate.objects.none(),
        required=False,
        empty_label="No return-to-run plan",
        label="Return-to-run program",
        help_text="Its phase table and rules become part of the plan when you sign it, on the handout and the portal.",
    )

    def __init__(self, *args, programs: list[RunProgramTemplate], **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["program"]
        field.queryset = RunProgramTemplate.objects.filter(pk__in=[program.pk for program in programs])
        field.label_from_instance = lambda program: (
            f"{program.name} (version {program.version}){' – low-quality source' if program.low_quality else ''}"
        )


def _whole(label: str, low: int, high: int, help_text: str = "", required: bool = False) -> forms.IntegerField:
    return forms.IntegerField(label=label, min_value=low, max_value=high, required=required, help_text=help_text)


class PhaseForm(text_input.Form):
    walk_min = _whole("Walk (minutes)", 0, 120, "0 for no walking.", required=True)
    run_min = _whole("Run (minutes)", 1, 240, "Leave empty to run the whole session.")
    repeats = _whole("Repeats", 1, 50, "How many walk/run blocks; leave empty for as many as the distance takes.")
    distance_m = _whole("Distance (metres)", 100, 50_000, "1 mile is 1,609 metres.")
    minutes = _whole("Session time (minutes)", 1, 300, "Leave empty when not given.")
    rpe = _whole("Effort (RPE 0–10)", 0, 10)
    rpe_label = forms.CharField(label="Effort in words", max_length=run_programs.MAX_TEXT, required=False)
    note = forms.CharField(label="Note", max_length=run_programs.MAX_TEXT, required=False)

    def clean(self):
        values = super().clean()
        if values.get("distance_m") is None and values.get("minutes") is None and not self.errors:
            raise forms.ValidationError("Give a distance or a session time.")
        return values

    def phase(self) -> dict:
        return {key: self.cleaned_data.get(key) for key in run_programs.PHASE_KEYS} | {
            "rpe_label": self.cleaned_data.get("rpe_label") or "",
            "note": self.cleaned_data.get("note") or "",
        }


class RuleForm(text_input.Form):
    text = forms.CharField(label="Rule", max_length=500, required=False)


PhaseFormSet = forms.formset_factory(
    PhaseForm,
    extra=1,
    max_num=run_programs.MAX_PHASES,
    validate_max=True,
    min_num=1,
    validate_min=True,
    can_delete=True,
)
RuleFormSet = forms.formset_factory(RuleForm, extra=2, max_num=20, validate_max=True)


class ProgramNameForm(text_input.Form):
    name = forms.CharField(label="Name", max_length=120)


def initial_phases(program: RunProgramTemplate) -> list[dict]:
    return [dict(phase) for phase in program.phases]


def filled_phases(formset) -> list[dict]:
    """The phases entered, in order; rows left wholly empty and rows marked for deletion are skipped."""
    deleted = set(map(id, formset.deleted_forms))
    return [form.phase() for form in formset if (form.has_changed() or form.initial) and id(form) not in deleted]


def filled_rules(formset) -> list[str]:
    return [form.cleaned_data["text"].strip() for form in formset if (form.cleaned_data.get("text") or "").strip()]
