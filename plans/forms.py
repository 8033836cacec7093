from __future__ import annotations

from django import forms

from clinic import text_input
from plans.models import Contraindication, Intervention, PlanItem, PlanRule, Prong, TreatmentPlan


class LinesField(forms.CharField):
    """A list of strings edited as one line each."""

    widget = forms.Textarea(attrs={"rows": 3})

    def prepare_value(self, value):
        return "\n".join(value) if isinstance(value, list) else value

    def to_python(self, value):
        text = super().to_python(value) or ""
        # Checked before splitting: splitlines() would take some controls (NEL, FS) for line breaks.
        text_input.ControlCharacterValidator(multiline=True)(text)
        return [line.strip() for line in text.splitlines() if line.strip()]


class CodesField(forms.CharField):
    """A list of codes edited as comma-separated text."""

    def prepare_value(self, value):
        return ", ".join(value) if isinstance(value, list) else value

    def to_python(self, value):
        text = super().to_python(value) or ""
        text_input.ControlCharacterValidator()(text)
        return [code.strip() for code in text.split(",") if code.strip()]


class ItemForm(text_input.ModelForm):
    class Meta:
        model = PlanItem
        fields = ["sets", "reps", "hold_seconds", "frequency", "side", "instructions"]
        labels = {"side": "Side (for the handout's wording)"}
        widgets = {"instructions": forms.Textarea(attrs={"rows": 3})}


class MarkedChoiceField(forms.ModelChoiceField):
    """Library items, each with what the clinician should know before adding it (``marks`` by key)."""

    marks: dict[str, str] = {}

    def label_from_instance(self, obj: Intervention) -> str:
        mark = self.marks.get(obj.key)
        return f"{obj.name} ({mark})" if mark else obj.name


class AddItemForm(text_input.Form):
    intervention = MarkedChoiceField(
        queryset=Intervention.objects.none(),
        label="Add from the library",
        error_messages={
            "required": "Choose an item from the library.",
            "invalid_choice": "Choose an item from your clinic's library.",
        },
    )
    override_reason = forms.CharField(
        label="Reason for adding a contraindicated item (needed only for items marked contraindicated)",
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args, clinic, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["intervention"].queryset = Intervention.objects.filter(clinic=clinic, active=True).order_by(
            "prong", "name"
        )

    def set_marks(self, marks: dict[str, str]) -> None:
        self.fields["intervention"].marks = marks


class PlanSettingsForm(text_input.ModelForm):
    goals = LinesField(label="Goals (one per line)", required=False)
    running_advice = LinesField(label="Running advice (one per line)", required=False)

    class Meta:
        model = TreatmentPlan
        fields = ["visits_per_week", "weeks", "goals", "running_advice"]
        labels = {"visits_per_week": "Visits per week", "weeks": "For how many weeks"}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for prong in Prong:
            self.fields[f"missing_{prong.value}"] = forms.CharField(
                label=f"If there is no {prong.label.lower()} item, why?",
                max_length=500,
                required=False,
                initial=self.instance.missing_prong_reasons.get(prong.value, ""),
            )

    def missing_prong_reasons(self) -> dict[str, str]:
        return {
            prong.value: self.cleaned_data[f"missing_{prong.value}"].strip()
            for prong in Prong
            if self.cleaned_data.get(f"missing_{prong.value}", "").strip()
        }


class InterventionForm(text_input.ModelForm):
    tags = CodesField(required=False, help_text="Comma-separated; contraindications match these.")

    class Meta:
        model = Intervention
        fields = [
            "name",
            "prong",
            "target",
            "technique",
            "tags",
            "home_program",
            "sets",
            "reps",
            "hold_seconds",
            "frequency",
            "instructions",
            "progression",
            "regression",
            "cautions",
            "patient_progression",
            "patient_cautions",
            "patient_side",
            "illustration",
            "active",
        ]


class PlanRuleForm(text_input.ModelForm):
    when_findings = CodesField(required=False, help_text="Finding codes, comma-separated; any one selects the rule.")
    when_load_facts = CodesField(required=False)
    when_intake = CodesField(required=False)
    running_advice = LinesField(required=False)
    notes = LinesField(
        label="Notes for the clinician",
        required=False,
        help_text="One per line; shown with the draft, never on the patient's handout.",
    )

    class Meta:
        model = PlanRule
        fields = [
            "name",
            "always",
            "when_findings",
            "when_load_facts",
            "when_intake",
            "when_detail",
            "visits_per_week",
            "weeks",
            "running_advice",
            "notes",
            "active",
        ]


class ContraindicationForm(text_input.ModelForm):
    when_findings = CodesField(required=False)
    when_red_flag_tiers = CodesField(required=False)
    when_red_flag_codes = CodesField(required=False)
    excludes_tags = CodesField(required=False)
    excludes_prongs = CodesField(required=False)

    class Meta:
        model = Contraindication
        fields = [
            "name",
            "when_findings",
            "when_red_flag_tiers",
            "when_red_flag_codes",
            "excludes_tags",
            "excludes_prongs",
            "blocks_plan",
            "hard",
            "reason",
            "referral",
            "active",
        ]

    def clean_excludes_prongs(self):
        prongs = self.cleaned_data["excludes_prongs"]
        unknown = [prong for prong in prongs if prong not in Prong.values]
        if unknown:
            raise forms.ValidationError(f"Unknown prong: {', '.join(unknown)}. Use {', '.join(Prong.values)}.")
        return prongs
