"""Which sample cases a plan rule would fire on, for the clinic admin editing it.

Pure Python (no ORM). The cases are made up, not patients: each finding of the findings list alone (a
leg-length discrepancy once per reading, since a rule may ask for one), each running-load fact alone and each
intake fact alone. Each case is put to the plan generator itself (``plans.rules``) with a library holding this
one rule and the clinic's interventions and contraindications, so the preview shows what a draft would get
from the rule, and never matches differently from drafting.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from assessments.scoring import LLD_INTERPRETATION_LABELS
from plans import library, library_words, rules


@dataclass(frozen=True)
class Case:
    label: str
    findings: tuple[rules.FindingFact, ...] = ()
    load_facts: tuple[str, ...] = ()
    intake_facts: tuple[str, ...] = ()


@dataclass(frozen=True)
class Outcome:
    case: Case
    fires: bool
    adds: tuple[str, ...] = ()  # the names of the items the draft would get
    kept_out: tuple[str, ...] = ()  # items the rule chooses that a contraindication keeps out of this case


def _finding_cases() -> list[Case]:
    cases = []
    for code, label in library_words.FINDING_LABELS.items():
        if code == "leg_length_discrepancy":
            cases += [
                Case(f"{label}, {text}", (rules.FindingFact(code, None, f"{label}, {text}", detail=reading),))
                for reading, text in LLD_INTERPRETATION_LABELS.items()
                if reading != "none"
            ]
        else:
            cases.append(Case(label, (rules.FindingFact(code, None, label),)))
    return cases


SAMPLE_CASES: tuple[Case, ...] = (
    *_finding_cases(),
    *(Case(label, load_facts=(code,)) for code, label in library.LOAD_FACT_LABELS.items()),
    *(Case(label, intake_facts=(code,)) for code, label in library.INTAKE_FACT_LABELS.items()),
)


def preview(rule: library.PlanRule, lib: rules.Library, cases: tuple[Case, ...] = SAMPLE_CASES) -> list[Outcome]:
    """For each case, whether ``rule`` fires and what a draft from it alone would hold.

    Items naming an intervention ``lib`` does not hold (an inactive one) are left out, as drafting leaves them out.
    """
    rule = dataclasses.replace(rule, items=tuple(item for item in rule.items if item.intervention in lib.interventions))
    trial = rules.Library(interventions=lib.interventions, rules=(rule,), contraindications=lib.contraindications)
    outcomes = []
    for case in cases:
        if rules.rule_because(rule, case.findings, case.load_facts, case.intake_facts) is None:
            outcomes.append(Outcome(case, fires=False))
            continue
        draft = rules.generate(
            findings=case.findings,
            red_flags=(),
            load_facts=case.load_facts,
            intake_facts=case.intake_facts,
            baseline=rules.BaselineFacts(),
            library=trial,
        )
        outcomes.append(
            Outcome(
                case,
                fires=True,
                adds=tuple(lib.interventions[item.intervention].name for item in draft.items),
                kept_out=tuple(dict.fromkeys(lib.interventions[entry.intervention].name for entry in draft.excluded)),
            )
        )
    return outcomes
