"""Every write of plans: the clinic's library, drafting from an assessment, editing, signing."""

from __future__ import annotations

import dataclasses

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.db.models import Max, Q
from django.templatetags.static import static
from django.utils import timezone
from django.utils.text import slugify

from assessments import selectors as assessment_selectors
from assessments.models import Assessment
from clinic import audit, permissions
from clinic.models import Clinic, User
from clinic.webhooks import services as webhooks
from clinic.webhooks.rules import EventType
from plans import follow_ups, handouts, library, rules, run_programs, selectors, signals, versions
from plans.models import (
    Contraindication,
    Intervention,
    PlanItem,
    PlanRule,
    PlanStatus,
    PlanVersion,
    Prong,
    RuleItem,
    RunProgramTemplate,
    TreatmentPlan,
)
from plans.signed import SignedItem, SignedPlan

DOSAGE_FIELDS = ("sets", "reps", "hold_seconds", "frequency")


# --- The clinic's library ---------------------------------------------------------------------


def _dosage_values(dosage: library.Dosage | None) -> dict:
    if dosage is None:
        return {"sets": None, "reps": "", "hold_seconds": "", "frequency": ""}
    return {
        "sets": dosage.sets,
        "reps": dosage.reps,
        "hold_seconds": dosage.hold_seconds,
        "frequency": dosage.frequency,
    }


def library_seed(*, clinic: Clinic) -> int:
    """Add the shipped interventions, rules and contraindications the clinic lacks (by key).

    Rows the clinic already has are left as they are: its edits are never overwritten. A new
    clinic's first draft seeds the whole library, so the rows go in one INSERT per table.
    """
    with transaction.atomic():
        by_key = {row.key: row for row in Intervention.objects.filter(clinic=clinic)}
        interventions = Intervention.objects.bulk_create(
            Intervention(
                clinic=clinic,
                key=item.key,
                prong=item.prong.value,
                name=item.name,
                target=item.target,
                technique=item.technique,
                tags=sorted(item.tags),
                home_program=item.home_program,
                instructions=item.instructions,
                progression=item.progression,
                regression=item.regression,
                cautions=item.cautions,
                patient_progression=item.patient_progression,
                patient_cautions=item.patient_cautions,
                shipped_illustration=item.illustration,
                source=item.source,
                patient_side=item.patient_side,
                **_dosage_values(item.dosage),
            )
            for item in library.INTERVENTIONS
            if item.key not in by_key
        )
        by_key.update((row.key, row) for row in interventions)
        existing_rules = set(PlanRule.objects.filter(clinic=clinic).values_list("key", flat=True))
        new_rules = [rule for rule in library.PLAN_RULES if rule.key not in existing_rules]
        rows = PlanRule.objects.bulk_create(
            PlanRule(
                clinic=clinic,
                key=rule.key,
                name=rule.name,
                always=rule.always,
                when_findings=sorted(rule.when_findings),
                when_load_facts=sorted(rule.when_load_facts),
                when_intake=sorted(rule.when_intake),
                when_detail=rule.when_detail,
                visits_per_week=rule.visits_per_week,
                weeks=rule.weeks,
                running_advice=list(rule.running_advice),
                notes=list(rule.notes),
                source=rule.source,
            )
            for rule in new_rules
        )
        RuleItem.objects.bulk_create(
            RuleItem(rule=row, intervention=by_key[item.intervention], order=number, **_dosage_values(item.dosage))
            for rule, row in zip(new_rules, rows, strict=True)
            for number, item in enumerate(rule.items)
        )
        existing_contra = set(Contraindication.objects.filter(clinic=clinic).values_list("key", flat=True))
        contraindications = Contraindication.objects.bulk_create(
            Contraindication(
                clinic=clinic,
                key=contra.key,
                name=contra.name,
                when_findings=sorted(contra.when_findings),
                when_red_flag_tiers=sorted(contra.when_red_flag_tiers),
                when_red_flag_codes=sorted(contra.when_red_flag_codes),
                excludes_tags=sorted(contra.excludes_tags),
                excludes_prongs=sorted(prong.value for prong in contra.excludes_prongs),
                blocks_plan=contra.blocks_plan,
                hard=contra.hard,
                reason=contra.reason,
                referral=contra.referral,
                source=contra.source,
            )
            for contra in library.CONTRAINDICATIONS
            if contra.key not in existing_contra
        )
    return len(interventions) + len(rows) + len(contraindications)


# --- Drafting ----------------------------------------------------------------------------------

NOTHING_TO_DRAFT_FROM = "Nothing recorded to draft from: record at least one exam section or add a finding."


def _require(actor: User, plan_or_assessment) -> None:
    if not permissions.can_change_clinical(actor, plan_or_assessment.episode.patient):
        raise PermissionDenied


def plan_draft(*, actor: User, assessment: Assessment) -> TreatmentPlan:
    """Run the generator on a completed assessment and store the result as an editable draft."""
    _require(actor, assessment)
    if not assessment.is_completed:
        raise ValidationError("Complete the assessment before drafting a plan.")
    if assessment.nothing_recorded and not assessment_selectors.rule_findings(assessment).exists():
        raise ValidationError(NOTHING_TO_DRAFT_FROM)
    clinic = assessment.episode.patient.clinic
    if not Intervention.objects.filter(clinic=clinic).exists():
        library_seed(clinic=clinic)
    lib = selectors.library_for(clinic)
    draft = rules.generate(library=lib, mcid=selectors.thresholds_for_goals(clinic), **selectors.facts_for(assessment))
    if draft.blocked:
        raise ValidationError(
            "Plan generation is blocked while an emergency red flag is open. " + " ".join(draft.referrals)
        )
    interventions = {row.key: row for row in Intervention.objects.filter(clinic=clinic)}
    with transaction.atomic():
        plan = TreatmentPlan.objects.create(
            episode=assessment.episode,
            assessment=assessment,
            created_by=actor,
            visits_per_week=draft.visits_per_week,
            weeks=draft.weeks,
            goals=list(draft.goals),
            running_advice=list(draft.running_advice),
            referrals=list(draft.referrals),
            clinician_notes=list(draft.notes),
            excluded=selectors.excluded_rows(draft, lib),
        )
        orders: dict[str, int] = {}
        for item in draft.items:
            row = interventions[item.intervention]
            orders[item.prong.value] = orders.get(item.prong.value, -1) + 1
            PlanItem.objects.create(
                plan=plan,
                intervention=row,
                prong=item.prong.value,
                name=row.name,
                instructions=row.instructions,
                home_program=row.home_program,
                order=orders[item.prong.value],
                because=list(item.because),
                side=item.side or "",
                **_dosage_values(item.dosage),
            )
        audit.record(actor=actor, action="plan.drafted", obj=plan)
    return plan


# --- Editing -----------------------------------------------------------------------------------


def _edited(plan: TreatmentPlan) -> None:
    """Any change after a signature makes the plan a draft again, until the next signature."""
    if plan.status != PlanStatus.DRAFT:
        plan.status = PlanStatus.DRAFT
    plan.save()


def _sentence(text: str) -> str:
    text = text.strip()
    return text if text.endswith((".", "!", "?")) else f"{text}."


def _exclusions(plan: TreatmentPlan, intervention: Intervention) -> tuple[bool, list[rules.Excluded]]:
    """Whether the plan is blocked, and every contraindication that excludes ``intervention``
    for this patient now, whichever rule (or none) would choose it.

    Asks the generator itself, with a one-item library and a rule that always picks it, so
    the clinic's contraindications are applied exactly as when drafting.
    """
    clinic = plan.episode.patient.clinic
    item = selectors.as_intervention(intervention)
    probe = rules.Library(
        interventions={item.key: item},
        rules=[
            library.PlanRule(
                key="probe",
                name="Added by the clinician",
                when_findings=frozenset(),
                items=(library.RuleItem(item.key),),
                visits_per_week=1,
                weeks=1,
                running_advice=(),
                source="",
                always=True,
            )
        ],
        contraindications=selectors.library_for(clinic).contraindications,
    )
    draft = rules.generate(library=probe, **selectors.facts_for(plan.assessment))
    return draft.blocked, [entry for entry in draft.excluded if entry.intervention == item.key]


def item_add(*, actor: User, plan: TreatmentPlan, intervention: Intervention, override_reason: str = "") -> PlanItem:
    """Add from the library. An item a soft contraindication excludes needs a written reason;
    one that any hard contraindication excludes cannot be added."""
    _require(actor, plan)
    if intervention.clinic_id != plan.episode.patient.clinic_id:
        raise ValidationError({"intervention": "Choose an intervention from your clinic's library."})
    if plan.items.filter(intervention=intervention).exists():
        raise ValidationError({"intervention": f"{intervention.name} is already in the plan."})
    blocked, exclusions = _exclusions(plan, intervention)
    if blocked:
        raise ValidationError({"intervention": "Nothing can be added while an emergency red flag is open."})
    hard = [entry for entry in exclusions if entry.hard]
    if hard:
        raise ValidationError({"intervention": f"{intervention.name} cannot be added: {hard[0].reason}"})
    override = override_text = ""
    if exclusions:
        if not override_reason.strip():
            # Each reason is a sentence of its own: wrapping them in brackets doubled their full stops.
            reasons = " ".join(dict.fromkeys(_sentence(entry.reason) for entry in exclusions))
            raise ValidationError(
                {"override_reason": f"{intervention.name} is contraindicated. {reasons} Give a reason."}
            )
        override = ",".join(entry.contraindication for entry in exclusions)[:60]
        override_text = " ".join(dict.fromkeys(entry.reason for entry in exclusions))
    with transaction.atomic():
        last = plan.items.filter(prong=intervention.prong).aggregate(last=Max("order"))["last"]
        item = PlanItem.objects.create(
            plan=plan,
            intervention=intervention,
            prong=intervention.prong,
            name=intervention.name,
            instructions=intervention.instructions,
            home_program=intervention.home_program,
            order=(last + 1) if last is not None else 0,
            because=["Added by the clinician"],
            override_contraindication=override,
            override_reason=override_reason.strip() if override else "",
            override_contraindication_reason=override_text,
            override_by=actor if override else None,
            **{name: getattr(intervention, name) for name in DOSAGE_FIELDS},
        )
        _edited(plan)
        audit.record(
            actor=actor,
            action="plan.contraindication_overridden" if override else "plan.item_added",
            obj=item,
            changed_fields=["override_reason"] if override else [],
        )
    return item


def item_update(*, actor: User, item: PlanItem, **fields) -> PlanItem:
    _require(actor, item.plan)
    changed = [name for name, value in fields.items() if getattr(item, name) != value]
    if not changed:
        return item
    for name in changed:
        setattr(item, name, fields[name])
    item.full_clean()
    with transaction.atomic():
        item.save()
        _edited(item.plan)
        audit.record(actor=actor, action="plan.item_changed", obj=item, changed_fields=changed)
    return item


def item_remove(*, actor: User, item: PlanItem) -> None:
    plan = item.plan
    _require(actor, plan)
    with transaction.atomic():
        audit.record(actor=actor, action="plan.item_removed", obj=item)
        item.delete()
        _edited(plan)


def item_move(*, actor: User, item: PlanItem, up: bool) -> None:
    """Swap with the neighbour in the same prong."""
    plan = item.plan
    _require(actor, plan)
    siblings = list(plan.items.filter(prong=item.prong).order_by("order", "id"))
    index = next(number for number, row in enumerate(siblings) if row.pk == item.pk)
    other = index - 1 if up else index + 1
    if not 0 <= other < len(siblings):
        return
    siblings[index], siblings[other] = siblings[other], siblings[index]
    with transaction.atomic():
        for number, row in enumerate(siblings):
            if row.order != number:
                row.order = number
                row.save(update_fields=["order", "updated_at"])
        _edited(plan)
        audit.record(actor=actor, action="plan.reordered", obj=plan)


def plan_update(*, actor: User, plan: TreatmentPlan, **fields) -> TreatmentPlan:
    """Visit frequency, duration, goals, running advice and reasons for a missing prong."""
    _require(actor, plan)
    changed = [name for name, value in fields.items() if getattr(plan, name) != value]
    if not changed:
        return plan
    for name in changed:
        setattr(plan, name, fields[name])
    plan.full_clean()
    with transaction.atomic():
        _edited(plan)
        audit.record(actor=actor, action="plan.updated", obj=plan, changed_fields=changed)
    return plan


# --- Signing -----------------------------------------------------------------------------------


def missing_prongs(plan: TreatmentPlan) -> list[str]:
    present = set(plan.items.values_list("prong", flat=True))
    return [prong.value for prong in Prong if prong.value not in present]


def _illustration(intervention: Intervention | None) -> str:
    """The clinic's uploaded picture (a storage name) or the shipped drawing (a static path)."""
    if intervention is None:
        return ""
    if intervention.illustration:
        return f"media:{intervention.illustration.name}"
    if intervention.shipped_illustration:
        return f"static:plans/exercises/{intervention.shipped_illustration}"
    return ""


def _return_to_run(program: RunProgramTemplate | None) -> dict:
    """The walk-run program as signed (a copy: a later version of the program never changes it)."""
    if program is None:
        return {}
    return {
        "return_to_run": {
            "key": program.key,
            "name": program.name,
            "version": program.version,
            "phases": list(program.phases),
            "rules": list(program.rules),
            "source": program.source,
            "low_quality": program.low_quality,
        }
    }


def snapshot(plan: TreatmentPlan, signer: User, screen: selectors.Screen) -> dict:
    """The frozen content of a signed version: everything the handout and the schedule need, with the referrals
    and exclusions of the red flags and clearances as they stand at the signature (``screen``)."""
    profile = getattr(signer, "clinician_profile", None)
    return {
        "episode": plan.episode_id,
        "assessment": plan.assessment_id,
        "clinician": {"name": signer.full_name, "credentials": profile.credentials if profile else ""},
        "visits_per_week": plan.visits_per_week,
        "weeks": plan.weeks,
        "goals": list(plan.goals),
        "running_advice": list(plan.running_advice),
        "referrals": list(screen.referrals),
        "missing_prong_reasons": dict(plan.missing_prong_reasons),
        "excluded": list(screen.excluded),
        "clinician_notes": list(plan.clinician_notes),
        **_return_to_run(plan.run_program),
        "items": [
            {
                "intervention": item.intervention.key if item.intervention else "",
                "name": item.name,
                "prong": item.prong,
                "dosage": item.dosage_text,
                **{name: getattr(item, name) for name in DOSAGE_FIELDS},
                "instructions": item.instructions,
                "side": item.side,
                "side_note": item.side_note,
                "progression": item.intervention.patient_progression if item.intervention else "",
                "cautions": item.intervention.patient_cautions if item.intervention else "",
                "home_program": item.home_program,
                "because": list(item.because),
                "illustration": _illustration(item.intervention),
                "override_contraindication": item.override_contraindication,
                "override_reason": item.override_reason,
                "override_contraindication_reason": item.override_contraindication_reason,
                "override_by": item.override_by.full_name if item.override_by else "",
            }
            for item in plan.items.select_related("intervention", "override_by").order_by("prong", "order", "id")
        ],
    }


def plan_sign(*, actor: User, plan: TreatmentPlan) -> PlanVersion:
    """Freeze the draft as the next immutable version, with its difference from the last."""
    _require(actor, plan)
    with transaction.atomic():
        plan = TreatmentPlan.objects.select_for_update().select_related("episode__patient").get(pk=plan.pk)
        unexplained = [
            library.PRONG_LABELS[prong] for prong in missing_prongs(plan) if not plan.missing_prong_reasons.get(prong)
        ]
        if unexplained:
            raise ValidationError(
                f"The plan has no {', '.join(unexplained)} item. Add one, or say why it is left out, before signing."
            )
        screen = selectors.screen(plan)
        if screen.blocked:
            raise ValidationError(
                "A plan cannot be signed while an emergency red flag is open. " + " ".join(screen.referrals)
            )
        body = snapshot(plan, actor, screen)
        previous = selectors.current_version(plan)
        changes = versions.diff(previous.body, body) if previous else []
        if previous and (plan.status == PlanStatus.SIGNED or not changes):
            raise ValidationError("Nothing has changed since the last signed version.")
        version = PlanVersion.objects.create(
            plan=plan,
            number=(previous.number + 1) if previous else 1,
            body=body,
            changes=[dataclasses.asdict(change) for change in changes],
            signed_by=actor,
            signed_at=timezone.now(),
        )
        plan.status = PlanStatus.SIGNED
        plan.save(update_fields=["status", "updated_at"])
        audit.record(actor=actor, action="plan.signed", obj=version)
        webhooks.emit(
            EventType.PLAN_SIGNED,
            clinic_id=plan.episode.patient.clinic_id,
            data={"episode": plan.episode_id, "plan": plan.pk, "version": version.number},
        )
        handouts.queue(version)
        follow_ups.plan_signed(version)
        signals.plan_version_signed.send(sender=PlanVersion, version=version)
    return version


def illustration_url(reference: str) -> str:
    """The URL of a snapshot's illustration reference (see ``_illustration``)."""
    kind, _, name = reference.partition(":")
    if kind == "media":
        return default_storage.url(name)
    if kind == "static":
        return static(name)
    return ""


def home_program(signed: SignedPlan) -> list[tuple[SignedItem, str]]:
    """The patient-facing part of a signed plan: exercises and self-care, in order, each
    with the URL of its picture."""
    return [(item, illustration_url(item.illustration)) for item in signed.home_items]


KEY_LENGTH = 60


def _free_key(model, clinic: Clinic, name: str, fallback: str) -> str:
    """A key for a new row, from its name: a slug, numbered when the clinic already holds it."""
    base = slugify(name)[: KEY_LENGTH - 4].strip("-") or fallback
    taken = set(model.objects.filter(clinic=clinic, key__startswith=base).values_list("key", flat=True))
    number = 1
    key = base
    while key in taken:
        number += 1
        key = f"{base}-{number}"
    return key


def library_save(*, actor: User, form, items=None):
    """Save a clinic admin's new or edited intervention, rule or contraindication (``items``: a rule's
    interventions, an inline formset), with its audit row.

    A new row gets a key made from its name, unique in the clinic. Signed plans keep their own snapshot,
    so a change here never reaches them. A clash with a row saved at the same moment (the same key, or
    the same intervention twice in a rule) is a ValidationError, not a database error.
    """
    row = form.instance
    adding = row.pk is None
    if adding:
        if not permissions.can_edit_library(actor):
            raise PermissionDenied
        row.clinic = actor.clinic
    elif not permissions.can_edit_library_row(actor, row):
        raise PermissionDenied
    model = type(row)
    try:
        with transaction.atomic():
            if adding:
                row.key = _free_key(model, actor.clinic, form.cleaned_data["name"], model._meta.model_name)
            form.save()
            if items is not None:
                items.instance = row
                items.save()
            changed = [*form.changed_data, *(["items"] if items is not None and items.has_changed() else [])]
            audit.record(
                actor=actor,
                action=f"library.{model._meta.model_name}_{'added' if adding else 'updated'}",
                obj=row,
                changed_fields=changed,
            )
    except IntegrityError as error:
        if adding:
            row.pk = None
        raise ValidationError(
            "Someone saved a change to the library at the same moment. Check the form and save again."
        ) from error
    return row


# --- Walk-run programs -------------------------------------------------------------------------


def run_program_choose(*, actor: User, plan: TreatmentPlan, program: RunProgramTemplate | None) -> TreatmentPlan:
    """Add a walk-run program to the draft (or take it away with None); signing puts it in the version."""
    _require(actor, plan)
    if program is not None and program.clinic_id not in (None, plan.episode.patient.clinic_id):
        raise PermissionDenied
    if plan.run_program_id == (program.pk if program else None):
        return plan
    plan.run_program = program
    with transaction.atomic():
        _edited(plan)
        audit.record(actor=actor, action="plan.updated", obj=plan, changed_fields=["run_program"])
    return plan


def run_program_save(
    *, actor: User, base: RunProgramTemplate, name: str, phases: list, rule_texts: list
) -> RunProgramTemplate:
    """A clinic admin's edit of a program: always a new version of the clinic's own, the next number for the key,
    so a version a plan was signed with stays as it was."""
    if not permissions.can_change_clinic_settings(actor) or base.clinic_id not in (None, actor.clinic_id):
        raise PermissionDenied
    problems = run_programs.phase_problems(phases) + run_programs.rule_problems(rule_texts)
    if problems:
        raise ValidationError({"phases": problems})
    top = RunProgramTemplate.objects.filter(Q(clinic=None) | Q(clinic_id=actor.clinic_id), key=base.key).aggregate(
        top=Max("version")
    )["top"]
    program = RunProgramTemplate(
        clinic_id=actor.clinic_id,
        key=base.key,
        name=name,
        version=(top or 0) + 1,
        phases=phases,
        rules=rule_texts,
        source=base.source,
        low_quality=base.low_quality,
        created_by=actor,
    )
    program.full_clean(validate_constraints=False)
    try:
        with transaction.atomic():
            program.save()
            audit.record(actor=actor, action="run_program.saved", obj=program)
    except IntegrityError as error:
        raise ValidationError(
            "Someone saved this program at the same moment; open it again and repeat the edit."
        ) from error
    return program
