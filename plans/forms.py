from __future__ import annotations

import re
from collections.abc import Iterable

from django import forms
from django.core.exceptions import ValidationError

from clinic import text_input
from plans import library, library_words
from plans.models import Contraindication, Intervention, PlanItem, PlanRule, Prong, RuleItem, TreatmentPlan


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


# --- The clinic's library ----------------------------------------------------------------------------


class CodesBoundField(forms.BoundField):
    @property
    def groups(self) -> list[tuple[str, list]]:
        """The boxes under their group headings, for fields offered in groups (e.g. findings by tier)."""
        if not self.field.group_of:
            return []
        groups: dict[str, list] = {}
        for choice in self.subwidgets:
            groups.setdefault(self.field.group_of.get(choice.data["value"], "Other"), []).append(choice)
        return list(groups.items())


class CodesChoiceField(forms.MultipleChoiceField):
    """A list of codes ticked from their names. A code the list does not name is refused by name; one the row
    already holds (saved from the admin site) is shown ticked, so the clinic admin sees it and can untick it."""

    widget = forms.CheckboxSelectMultiple

    def __init__(self, *, noun: str, choices=(), groups: list[tuple[str, list]] | None = None, **kwargs):
        self.noun = noun
        self.group_of: dict[str, str] = {}
        if groups is not None:
            choices = [choice for _, group in groups for choice in group]
            self.group_of = {code: legend for legend, group in groups for code, _ in group}
        self.known = frozenset(code for code, _ in choices)
        super().__init__(choices=choices, required=False, **kwargs)

    def get_bound_field(self, form, field_name):
        return CodesBoundField(form, self, field_name)

    def keep_shown(self, codes: Iterable[str]) -> None:
        """Offer the codes a row holds that the list does not name, so they show as ticked."""
        unknown = [code for code in codes if isinstance(code, str) and code not in self.known]
        self.choices = [*self.choices, *((code, f"{code} (not a known {self.noun}: untick it)") for code in unknown)]

    def validate(self, value):
        unknown = [code for code in value if code not in self.known]
        if unknown:
            shown = ", ".join(f"\u201c{text_input.without_control_characters(code)[:40]}\u201d" for code in unknown[:3])
            raise ValidationError(f"Not a known {self.noun}: {shown}. Choose from the list.", code="invalid_choice")


def _keep_shown(form: forms.ModelForm) -> None:
    for name, field in form.fields.items():
        if isinstance(field, CodesChoiceField):
            field.keep_shown(getattr(form.instance, name, None) or [])


TAG_PATTERN = re.compile(r"^[a-z][a-z0-9]*(?:_[a-z0-9]+)*$")


def tags_in_use(clinic) -> set[str]:
    """Every tag the clinic's interventions carry or its contraindications exclude."""
    tags: set[str] = set()
    for values in Intervention.objects.filter(clinic=clinic).values_list("tags", flat=True):
        tags.update(tag for tag in values or [] if isinstance(tag, str))
    for values in Contraindication.objects.filter(clinic=clinic).values_list("excludes_tags", flat=True):
        tags.update(tag for tag in values or [] if isinstance(tag, str))
    return tags


class InterventionForm(text_input.ModelForm):
    new_tags = forms.CharField(
        label="New tags",
        required=False,
        max_length=200,
        help_text=(
            "Only for a kind of treatment no tag above names: lower-case words joined by underscores, "
            "separated by commas (e.g. dry_needling)."
        ),
    )

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

    def __init__(self, *args, clinic, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["prong"].choices = [("", "Choose a prong"), *Prong.choices]
        self.fields["tags"] = CodesChoiceField(
            label="Tags",
            noun="tag",
            choices=library_words.tag_choices(tags_in_use(clinic)),
            help_text="Contraindications exclude interventions by these tags.",
        )
        self.order_fields([*self.Meta.fields[:5], "new_tags"])
        _keep_shown(self)

    def clean_new_tags(self) -> list[str]:
        tags = [tag.strip() for tag in self.cleaned_data["new_tags"].split(",") if tag.strip()]
        wrong = [tag for tag in tags if not TAG_PATTERN.match(tag) or len(tag) > 40]
        if wrong:
            shown = text_input.without_control_characters(wrong[0])[:40]
            raise ValidationError(
                f"\u201c{shown}\u201d is not a tag: use lower-case letters and digits, words joined by "
                "underscores (e.g. dry_needling)."
            )
        return tags

    @property
    def changed_data(self) -> list[str]:
        # A new tag is a change of the tags (as the audit row names it).
        changed = super().changed_data
        if "new_tags" not in changed:
            return changed
        return list(dict.fromkeys(["tags" if name == "new_tags" else name for name in changed]))

    def clean(self):
        cleaned = super().clean()
        if "tags" in cleaned and "new_tags" in cleaned:
            cleaned["tags"] = list(dict.fromkeys([*cleaned["tags"], *cleaned["new_tags"]]))
        return cleaned


def _finding_field(**kwargs) -> CodesChoiceField:
    return CodesChoiceField(noun="finding", groups=library_words.finding_groups(), **kwargs)


class PlanRuleForm(text_input.ModelForm):
    when_findings = _finding_field(
        label="Findings",
        help_text="Any one of the ticked findings, load facts or intake facts selects the rule.",
    )
    when_load_facts = CodesChoiceField(
        label="Running load", noun="running-load fact", choices=list(library.LOAD_FACT_LABELS.items())
    )
    when_intake = CodesChoiceField(
        label="Reported at intake", noun="intake fact", choices=list(library.INTAKE_FACT_LABELS.items())
    )
    when_detail = forms.ChoiceField(
        label="Leg-length reading",
        required=False,
        choices=[("", "Any reading"), *library_words.DETAIL_LABELS.items()],
        help_text="Only for a rule on leg-length discrepancy alone.",
    )
    running_advice = LinesField(label="Running advice for the patient (one per line)", required=False)
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
        labels = {
            "always": "Applies to every plan",
            "visits_per_week": "Visits per week",
            "weeks": "For how many weeks",
        }
        help_texts = {"always": ""}

    def __init__(self, *args, clinic, **kwargs):
        # ``clinic`` as the other library forms take it; the rule's items are a formset of their own.
        super().__init__(*args, **kwargs)
        _keep_shown(self)

    def clean(self):
        cleaned = super().clean()
        conditions = [cleaned.get(name) for name in ("when_findings", "when_load_facts", "when_intake")]
        if not cleaned.get("always") and not any(conditions) and not self.errors:
            raise ValidationError(
                "Tick at least one finding, running-load fact or intake fact, or tick \u201cApplies to every "
                "plan\u201d: a rule with no condition never applies."
            )
        if cleaned.get("when_detail") and cleaned.get("when_findings") != ["leg_length_discrepancy"]:
            self.add_error(
                "when_detail",
                "A leg-length reading applies only to a rule whose one finding is leg-length discrepancy: tick that "
                "finding alone, or choose \u201cAny reading\u201d.",
            )
        return cleaned


def _intervention_label(intervention: Intervention) -> str:
    inactive = ", inactive" if not intervention.active else ""
    return f"{intervention.name} ({intervention.get_prong_display().lower()}{inactive})"


class RuleItemForm(text_input.ModelForm):
    intervention = forms.ModelChoiceField(
        queryset=Intervention.objects.none(),
        label="Intervention",
        error_messages={"invalid_choice": "Choose an intervention from your clinic's library."},
    )

    class Meta:
        model = RuleItem
        fields = ["intervention", "order", "sets", "reps", "hold_seconds", "frequency"]
        labels = {"order": "Order", "sets": "Sets", "reps": "Reps", "hold_seconds": "Hold (seconds)"}
        help_texts = {
            "sets": "Leave the dosage empty to use the intervention's own.",
            "reps": "",
            "hold_seconds": "",
            "frequency": "",
        }

    def __init__(self, *args, clinic, interventions: list[Intervention], **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["intervention"]
        # Validated against the clinic's rows; listed from the formset's one reading of them.
        field.queryset = Intervention.objects.filter(clinic=clinic)
        field.choices = [("", "Choose an intervention"), *((row.pk, _intervention_label(row)) for row in interventions)]


class BaseRuleItemFormSet(forms.BaseInlineFormSet):
    """A rule's interventions. ``clinic``: whose library the rows choose from (read once for every row)."""

    def __init__(self, *args, clinic, **kwargs):
        interventions = list(Intervention.objects.filter(clinic=clinic).order_by("prong", "name"))
        kwargs["form_kwargs"] = {"clinic": clinic, "interventions": interventions}
        kwargs.setdefault("queryset", RuleItem.objects.select_related("intervention"))
        kwargs.setdefault("prefix", "items")
        super().__init__(*args, **kwargs)

    def add_fields(self, form, index):
        super().add_fields(form, index)
        if "DELETE" in form.fields:
            form.fields["DELETE"].label = "Remove from the rule"

    def clean(self):
        # In place of the model formset's own uniqueness check, whose message names database columns.
        seen: set[int] = set()
        for form in self.forms:
            if not hasattr(form, "cleaned_data") or form.cleaned_data.get("DELETE"):
                continue
            intervention = form.cleaned_data.get("intervention")
            if intervention is None:
                continue
            if intervention.pk in seen:
                form.add_error("intervention", "This intervention is already in the rule: list it once.")
            seen.add(intervention.pk)

    def chosen(self) -> list[dict]:
        """The rows kept, in order: each with its intervention and dosage override."""
        rows = [
            form.cleaned_data
            for form in self.forms
            if getattr(form, "cleaned_data", None)
            and not form.cleaned_data.get("DELETE")
            and form.cleaned_data.get("intervention") is not None
        ]
        return sorted(rows, key=lambda row: row.get("order") or 0)


# A rule of a dozen items is long; the cap only keeps a forged form from making thousands.
RuleItemFormSet = forms.inlineformset_factory(
    PlanRule,
    RuleItem,
    form=RuleItemForm,
    formset=BaseRuleItemFormSet,
    extra=2,
    can_delete=True,
    max_num=40,
    validate_max=True,
    absolute_max=40,
)


class ContraindicationForm(text_input.ModelForm):
    when_findings = _finding_field(label="Findings", help_text="Any one of the ticked findings or red flags raises it.")
    when_red_flag_tiers = CodesChoiceField(
        label="Any red flag of a tier", noun="red-flag tier", choices=list(library_words.RED_FLAG_TIER_LABELS.items())
    )
    when_red_flag_codes = CodesChoiceField(
        label="Red flags", noun="red flag", choices=list(library_words.RED_FLAG_LABELS.items())
    )
    excludes_prongs = CodesChoiceField(
        label="Excludes every item of these prongs", noun="prong", choices=list(library.PRONG_LABELS.items())
    )

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
        labels = {"blocks_plan": "Blocks the whole plan", "hard": "Hard (cannot be overridden)"}

    def __init__(self, *args, clinic, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["excludes_tags"] = CodesChoiceField(
            label="Excludes interventions tagged",
            noun="tag",
            choices=library_words.tag_choices(tags_in_use(clinic)),
        )
        self.order_fields(self.Meta.fields)
        _keep_shown(self)

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        if not any(cleaned.get(name) for name in ("when_findings", "when_red_flag_tiers", "when_red_flag_codes")):
            raise ValidationError("Tick at least one finding or red flag that raises it: with none it never applies.")
        if not cleaned.get("blocks_plan") and not (cleaned.get("excludes_tags") or cleaned.get("excludes_prongs")):
            raise ValidationError(
                "Tick the tags or prongs it excludes, or \u201cBlocks the whole plan\u201d: as it stands it "
                "excludes nothing."
            )
        return cleaned
