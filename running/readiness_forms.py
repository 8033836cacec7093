"""The return-to-run check's forms: the check itself, one small form per criterion, and a clinic's
wording of the criteria."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.utils import timezone

from clinic import text_input
from running import readiness
from running.models import REACH_FIELDS, Decision, PelvicControl, ReadinessCheck, ReadinessCriterion, Side
from running.services.readiness import Entry

DECISION_NEEDED = "Choose your decision."
_DATE = {"type": "date"}


def _reach(label: str) -> forms.DecimalField:
    return forms.DecimalField(
        label=label,
        required=False,
        min_value=Decimal("0.1"),
        max_value=300,
        max_digits=5,
        decimal_places=1,
        widget=forms.NumberInput(attrs={"step": "0.1", "inputmode": "decimal"}),
    )


def _percent(label: str) -> forms.DecimalField:
    return forms.DecimalField(
        label=label,
        required=False,
        min_value=0,
        max_value=100,
        max_digits=4,
        decimal_places=1,
        help_text=readiness.HOS_HELP,
        widget=forms.NumberInput(attrs={"step": "0.1", "inputmode": "decimal"}),
    )


class CheckForm(text_input.Form):
    """The check's own fields. The decision is asked for only when the check is recorded: the
    clinician first sees the checklist's verdict."""

    checked_on = forms.DateField(label="Date of the check", widget=forms.DateInput(attrs=_DATE, format="%Y-%m-%d"))
    pain_now = forms.IntegerField(
        label="Pain now (0–10)", min_value=0, max_value=10, help_text="0 is no pain, 10 the worst imaginable."
    )
    involved_side = forms.ChoiceField(
        label="Y-balance: involved side",
        choices=[("", "Not tested"), *Side.choices],
        required=False,
        help_text=readiness.Y_BALANCE_HELP,
    )
    reach_left_anterior = _reach("Left, anterior reach (cm)")
    reach_left_posteromedial = _reach("Left, posteromedial reach (cm)")
    reach_left_posterolateral = _reach("Left, posterolateral reach (cm)")
    reach_right_anterior = _reach("Right, anterior reach (cm)")
    reach_right_posteromedial = _reach("Right, posteromedial reach (cm)")
    reach_right_posterolateral = _reach("Right, posterolateral reach (cm)")
    hos_adl = _percent("HOS activities of daily living (%)")
    hos_sport = _percent("HOS sport (%)")
    decision = forms.ChoiceField(
        label="Your decision", choices=Decision.choices, required=False, widget=forms.RadioSelect
    )
    override_reason = forms.CharField(
        label="Reason for the decision",
        required=False,
        max_length=ReadinessCheck._meta.get_field("override_reason").max_length,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Required when you decide against the checklist's verdict.",
    )
    next_check_on = forms.DateField(
        label="Next check", required=False, widget=forms.DateInput(attrs=_DATE, format="%Y-%m-%d")
    )

    def __init__(self, *args, recording: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.recording = recording
        if not self.is_bound:
            self.initial.setdefault("checked_on", timezone.localdate())

    def clean(self):
        values = super().clean()
        if self.recording and not values.get("decision"):
            self.add_error("decision", DECISION_NEEDED)
        return values


class ItemForm(text_input.Form):
    """One criterion's result: a timed or counted result, or met / not met; pain; pelvic control."""

    value = forms.DecimalField(
        required=False,
        min_value=0,
        max_value=9999,
        max_digits=6,
        decimal_places=1,
        widget=forms.NumberInput(attrs={"step": "0.1", "inputmode": "decimal"}),
    )
    met = forms.ChoiceField(
        label="Result",
        choices=[("", "Not tested"), ("yes", "Met"), ("no", "Not met")],
        required=False,
        widget=forms.RadioSelect,
    )
    pain = forms.BooleanField(label="Painful", required=False)
    pelvic_control = forms.ChoiceField(
        label="Pelvic control",
        choices=[("", "Not recorded"), *PelvicControl.choices],
        required=False,
        widget=forms.RadioSelect,
    )
    note = forms.CharField(label="Note", required=False, max_length=300)

    def __init__(self, *args, criterion: ReadinessCriterion, **kwargs):
        kwargs["prefix"] = kwargs.get("prefix") or f"item-{criterion.key}"
        super().__init__(*args, **kwargs)
        self.criterion = criterion
        shipped = readiness.CRITERIA_BY_KEY[criterion.key]
        if shipped.kind != readiness.TASK or shipped.target is None:
            del self.fields["value"]
        else:
            unit = readiness.UNITS.get(shipped.unit, shipped.unit)
            self.fields["value"].label = f"Result ({unit})"
            self.fields["value"].help_text = f"At least {criterion.target.normalize():f} {unit} passes."
        if shipped.kind != readiness.TASK or shipped.target is not None:
            del self.fields["met"]
        if shipped.kind in (readiness.HOS_ADL, readiness.HOS_SPORT):
            del self.fields["pain"]
        if not shipped.control:
            del self.fields["pelvic_control"]

    def item(self) -> readiness.ItemInput:
        values = self.cleaned_data
        met = {"yes": True, "no": False}.get(values.get("met") or "")
        return readiness.ItemInput(
            self.criterion.key,
            value=values.get("value"),
            met=met,
            pain=bool(values.get("pain")),
            pelvic_control=values.get("pelvic_control") or "",
        )


def entry_of(form: CheckForm, item_forms: list[ItemForm]) -> Entry:
    values = {name: form.cleaned_data.get(name) for name in form.fields}
    values["involved_side"] = values.get("involved_side") or ""
    values["override_reason"] = values.get("override_reason") or ""
    return Entry(
        values=values,
        items={item_form.criterion.key: item_form.item() for item_form in item_forms},
        notes={item_form.criterion.key: item_form.cleaned_data.get("note") or "" for item_form in item_forms},
    )


# The check's fields a service refusal may name, to put it beside the right input.
CHECK_FIELD_NAMES = frozenset(CheckForm.base_fields) | frozenset(REACH_FIELDS)


class CriterionForm(text_input.ModelForm):
    """A clinic's wording, target and switch for one criterion."""

    class Meta:
        model = ReadinessCriterion
        fields = ["label", "measure", "target", "active"]
        labels = {"label": "Name", "measure": "How it is measured and passed", "target": "Least result that passes"}

    def __init__(self, *args, **kwargs):
        kwargs["prefix"] = kwargs.get("prefix") or f"criterion-{kwargs['instance'].key}"
        super().__init__(*args, **kwargs)
        shipped = readiness.CRITERIA_BY_KEY[self.instance.key]
        if shipped.kind != readiness.TASK or shipped.target is None:
            del self.fields["target"]
        else:
            unit = readiness.UNITS.get(shipped.unit, shipped.unit)
            self.fields["target"].label = f"Least result that passes ({unit})"
            self.fields["target"].required = True
            self.fields["target"].help_text = f"Published: {shipped.target.normalize():f} {unit}."
        self.fields["measure"].help_text = f"Published: {shipped.measure}."
