"""Read side of plans: the clinic's library as the generator's plain values, and the facts
a plan is drafted from (active findings, open red flags, load and intake facts)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import OuterRef, Prefetch, Q, Subquery

from assessments import scoring
from assessments import selectors as assessment_selectors
from assessments.models import Assessment
from clinic import thresholds
from intake import selectors as intake_selectors
from plans import library, rules
from plans.models import Contraindication, Intervention, PlanRule, PlanVersion, RunProgramTemplate, TreatmentPlan


def _dosage(row) -> library.Dosage:
    return library.Dosage(sets=row.sets, reps=row.reps, hold_seconds=row.hold_seconds, frequency=row.frequency)


def _has_dosage(row) -> bool:
    return bool(row.sets or row.reps or row.hold_seconds or row.frequency)


def as_intervention(row: Intervention) -> library.Intervention:
    return library.Intervention(
        key=row.key,
        prong=library.Prong(row.prong),
        name=row.name,
        target=row.target,
        technique=row.technique,
        tags=frozenset(row.tags),
        home_program=row.home_program,
        dosage=_dosage(row),
        instructions=row.instructions,
        progression=row.progression,
        regression=row.regression,
        cautions=row.cautions,
        illustration=row.shipped_illustration,
        source=row.source,
        patient_side=row.patient_side,
    )


def as_rule(row: PlanRule) -> library.PlanRule:
    """A rule as the generator reads it: its items of active interventions only (read ``items__intervention``
    in advance for many rules)."""
    return library.PlanRule(
        key=row.key,
        name=row.name,
        always=row.always,
        when_findings=frozenset(row.when_findings),
        when_load_facts=frozenset(row.when_load_facts),
        when_intake=frozenset(row.when_intake),
        when_detail=row.when_detail,
        items=tuple(
            library.RuleItem(item.intervention.key, _dosage(item) if _has_dosage(item) else None)
            for item in row.items.all()
            if item.intervention.active
        ),
        visits_per_week=row.visits_per_week,
        weeks=row.weeks,
        running_advice=tuple(row.running_advice),
        notes=tuple(row.notes),
        source=row.source,
    )


def library_for(clinic) -> rules.Library:
    """The clinic's active library, as the generator reads it."""
    interventions = {row.key: as_intervention(row) for row in Intervention.objects.filter(clinic=clinic, active=True)}
    plan_rules = [
        as_rule(row)
        for row in PlanRule.objects.filter(clinic=clinic, active=True).prefetch_related("items__intervention")
    ]
    contraindications = [
        library.Contraindication(
            key=row.key,
            name=row.name,
            when_findings=frozenset(row.when_findings),
            when_red_flag_tiers=frozenset(row.when_red_flag_tiers),
            when_red_flag_codes=frozenset(row.when_red_flag_codes),
            excludes_tags=frozenset(row.excludes_tags),
            excludes_prongs=frozenset(library.Prong(prong) for prong in row.excludes_prongs),
            blocks_plan=row.blocks_plan,
            hard=row.hard,
            reason=row.reason,
            referral=row.referral,
            source=row.source,
        )
        for row in Contraindication.objects.filter(clinic=clinic, active=True)
    ]
    return rules.Library(interventions=interventions, rules=plan_rules, contraindications=contraindications)


def _conditions(assessment: Assessment, intake: intake_selectors.PlanningFacts) -> dict:
    """The facts that choose rules and contraindications: the findings the rules read (derived ones and the
    clinician conditions, alike), the episode's red flags as they stand now, load and intake facts."""
    findings = [
        rules.FindingFact(code=row.code, side=row.side or None, label=row.label)
        for row in assessment_selectors.rule_findings(assessment)
    ]
    red_flags = [
        rules.RedFlagFact(code=flag.code, tier=flag.tier, label=flag.label, open=flag.cleared_at is None)
        for flag in assessment.episode.red_flags.all()
    ]
    # The library's intake conditions (INTAKE_FACT_LABELS): "hip_pain" stands for any lower-limb region.
    intake_facts = [
        code for code, reported in (("back_pain", intake.back_pain), ("hip_pain", intake.lower_limb_pain)) if reported
    ]
    return {
        "findings": findings,
        "red_flags": red_flags,
        "load_facts": list(intake.load_facts),
        "intake_facts": intake_facts,
    }


def facts_for(assessment: Assessment) -> dict:
    """Everything the generator reads about the patient, from the assessment and the intake."""
    intake = intake_selectors.planning_facts(assessment.episode)
    summary = assessment_selectors.summary(assessment)
    below_norm = tuple(
        (row.motion, side, getattr(row, side), row.norm.value)
        for row in summary.rom
        for side in scoring.SIDES
        if row.norm is not None and getattr(row, f"{side}_below_norm")
    )
    nprs = Decimal(assessment.pain_today) if assessment.pain_today is not None else intake.scores.get("nprs")
    return {
        **_conditions(assessment, intake),
        "baseline": rules.BaselineFacts(
            nprs=nprs,
            odi=intake.scores.get("odi"),
            lefs=intake.scores.get("lefs"),
            fms_composite=summary.fms.composite,
            rom_below_norm=below_norm,
        ),
    }


def excluded_rows(draft: rules.Draft, lib: rules.Library) -> list[dict]:
    """The draft's exclusions as a plan stores and shows them, with each intervention's name."""
    return [
        {
            "intervention": entry.intervention,
            "name": lib.interventions[entry.intervention].name,
            "prong": entry.prong.value,
            "reason": entry.reason,
            "contraindication": entry.contraindication,
            "hard": entry.hard,
            "because": list(entry.because),
        }
        for entry in draft.excluded
    ]


@dataclass(frozen=True)
class Screen:
    """What the contraindications say about a plan now: from the findings the rules read and the episode's red
    flags as they stand, so a medical clearance recorded after drafting counts at once."""

    blocked: bool  # an emergency red flag is open
    referrals: tuple[str, ...]
    excluded: tuple[dict, ...]  # as ``excluded_rows``
    # Every item of the clinic's active library these facts contraindicate, chosen by a rule or not.
    contraindicated: tuple[rules.Contraindicated, ...]


def screen(plan: TreatmentPlan, lib: rules.Library | None = None) -> Screen:
    """The referrals and exclusions a plan's page, the API and signing show: computed when asked, never stored
    with the draft, since red flags are raised and cleared on the episode after a plan is drafted. One reading
    of the facts and of the library (``lib``, when the caller has it already) serves both the rules' screening
    and the list of contraindicated items."""
    lib = lib or library_for(plan.episode.patient.clinic)
    facts = _conditions(plan.assessment, intake_selectors.planning_facts(plan.episode))
    draft = rules.generate(library=lib, baseline=rules.BaselineFacts(), **facts)
    return Screen(
        blocked=draft.blocked,
        referrals=draft.referrals,
        excluded=tuple(excluded_rows(draft, lib)),
        contraindicated=rules.contraindicated(findings=facts["findings"], red_flags=facts["red_flags"], library=lib),
    )


def thresholds_for_goals(clinic) -> dict[str, Decimal]:
    values = thresholds.for_clinic(clinic)
    return {
        **thresholds.mcid(values),
        "rom_mdc_deg": values["rom_mdc_deg"],
        "fms_low_composite": values["fms_low_composite"],
    }


def current_version(plan: TreatmentPlan):
    return plan.versions.order_by("-number").first()


def episode_plans(episode) -> list[TreatmentPlan]:
    """The episode's plans for its page, each with the assessment it was drafted from and, in
    ``latest``, its newest version (a list of one; empty while it was never signed).

    Two queries whatever the number of plans and versions; older versions, whose frozen bodies
    grow with every re-signing, are not read.
    """
    newest_number = PlanVersion.objects.filter(plan=OuterRef("plan")).order_by("-number").values("number")[:1]
    newest = PlanVersion.objects.filter(number=Subquery(newest_number))
    return list(
        episode.plans.select_related("assessment").prefetch_related(
            Prefetch("versions", queryset=newest, to_attr="latest")
        )
    )


def run_programs_for(clinic_id: int) -> list:
    """The walk-run programs a clinic may choose: the newest version of each program, its own edits included."""
    newest: dict[str, RunProgramTemplate] = {}
    for program in RunProgramTemplate.objects.filter(Q(clinic=None) | Q(clinic_id=clinic_id)).order_by(
        "key", "-version"
    ):
        newest.setdefault(program.key, program)
    return sorted(newest.values(), key=lambda program: program.name)
