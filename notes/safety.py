"""Safety in the visit note, over plain values: new symptoms raise red flags through the intake's own
rule, and the episode's open red flags and findings refuse interventions through the plans' own
contraindications. Nothing is decided here that intake or plans do not already decide.

Sources: DOMAIN A "Red flags" and B6.1, B6.2 (the tiers and what each blocks: an emergency blocks the
plan and manual therapy, an urgent flag blocks spinal manipulation until medical clearance, a caution
flag blocks nothing); DOMAIN A "Manipulation" and B7.2 (absolute contraindications block thrust
techniques, relative ones need the clinician's acknowledgement).

Where DOMAIN is silent (product rules, each said again where it is coded):
* The note's checklist is the intake's red-flag catalogue, ticked by the clinician. An unticked item
  is "not reported", never a "no" that could hide a flag, except the leg-weakness pair: the clinician
  sees "weakness" and "severe, getting worse or foot drop" side by side, so weakness ticked alone is
  read as weakness that is neither (the intake's caution tier), not as the intake's unanswered
  follow-up (which it treats as the emergency).
* The age caution flag is an intake fact about the patient, not a new symptom: the note never raises it.
* A line is a thrust technique when its library intervention carries the "thrust" tag, or when the
  clinician marks it as one: spinal (lumbar, sacroiliac), read as the library's spinal thrusts are
  (tags "thrust" and "spinal_thrust"), or another joint (tag "thrust" only).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from intake import rules as intake_rules
from plans import library
from plans import rules as plan_rules

GIVEN = ("delivered", "modified")
LEG_WEAKNESS = "leg_weakness"
LEG_WEAKNESS_WORSE = intake_rules.LEG_WEAKNESS_WORSE.code


@dataclass(frozen=True)
class Symptom:
    """One item of the note's red-flag checklist: an intake question's code, in clinical words."""

    code: str
    label: str


def _checklist() -> tuple[Symptom, ...]:
    items = []
    for question in intake_rules.RED_FLAG_QUESTIONS:
        if question.code == LEG_WEAKNESS:
            # The intake's "leg_weakness" label names the emergency (severe or progressive weakness);
            # its plain question asks about weakness alone, so the pair is worded as the intake asks it.
            items.append(Symptom(LEG_WEAKNESS, "Leg weakness, one or both legs"))
            items.append(Symptom(LEG_WEAKNESS_WORSE, question.staff_label))
        else:
            items.append(Symptom(question.code, question.staff_label))
    return tuple(items)


SYMPTOMS: tuple[Symptom, ...] = _checklist()
SYMPTOM_CODES: frozenset[str] = frozenset(symptom.code for symptom in SYMPTOMS)


def symptom_answers(ticked: Iterable[str]) -> dict[str, bool | None]:
    """The intake rule's answers for the ticked checklist items: a ticked item is a "yes", any other
    is not reported (None), except the leg-weakness follow-up, a "no" when weakness alone is ticked.
    Raises ValueError for a code that is not on the checklist."""
    ticked = set(ticked)
    unknown = sorted(ticked - SYMPTOM_CODES)
    if unknown:
        raise ValueError(f"Unknown symptom(s): {', '.join(unknown)}")
    answers: dict[str, bool | None] = {code: (True if code in ticked else None) for code in SYMPTOM_CODES}
    if LEG_WEAKNESS in ticked and LEG_WEAKNESS_WORSE not in ticked:
        answers[LEG_WEAKNESS_WORSE] = False
    return answers


def raised_flags(ticked: Iterable[str]) -> list[intake_rules.RaisedFlag]:
    """The red flags the ticked new symptoms raise, through the intake's own rule and tiers (most
    severe first). The age caution is left out, as age is not a new symptom: with ``back_pain``
    False the rule never reads the age, so none is given."""
    return intake_rules.raised_red_flags(symptom_answers(ticked), age=0, back_pain=False)


# DOMAIN A "Red flags", B6.2: what each tier means for the visit, in plain words for the clinician.
TIER_MEANINGS: dict[str, str] = {
    intake_rules.Tier.EMERGENCY: (
        "Emergency: the patient needs emergency care today. While the flag is open, treatment is blocked "
        "in the note as it is in the plan."
    ),
    intake_rules.Tier.URGENT: (
        "Urgent: the patient needs a medical review. Spinal thrust manipulation is refused until a "
        "clinician records medical clearance; other care may go on."
    ),
    intake_rules.Tier.CAUTION: "Caution: shown for your judgement; it blocks nothing.",
}


# --- Thrust techniques and contraindications ----------------------------------------------------

THRUST_SPINAL = "spinal"
THRUST_OTHER = "other"
# The library's tags for a thrust (plans.library: the seeded lumbar and SI thrusts carry both; a hip
# thrust carries "thrust" only), which the contraindications read.
THRUST_MARK_TAGS: dict[str, frozenset[str]] = {
    "": frozenset(),
    THRUST_SPINAL: frozenset({"thrust", "spinal_thrust"}),
    THRUST_OTHER: frozenset({"thrust"}),
}


def line_tags(library_tags: Iterable[str], thrust_mark: str) -> frozenset[str]:
    """The tags the contraindications read for a note line: its library intervention's, with the
    clinician's thrust mark. Raises ValueError for an unknown mark."""
    if thrust_mark not in THRUST_MARK_TAGS:
        raise ValueError(f"Unknown thrust mark: {thrust_mark!r}")
    return frozenset(library_tags) | THRUST_MARK_TAGS[thrust_mark]


def is_thrust(tags: Iterable[str]) -> bool:
    return "thrust" in set(tags)


@dataclass(frozen=True)
class SafetyLine:
    """A note line as the contraindications read it."""

    name: str
    prong: str
    status: str
    tags: frozenset[str]


@dataclass(frozen=True)
class Refusal:
    """A contraindication against a line: ``hard`` refuses it as delivered; soft ones are shown."""

    hard: bool
    message: str


@dataclass(frozen=True)
class Screen:
    """What the episode's open red flags and findings say about the note's lines now."""

    blocked: bool  # a contraindication that blocks the plan (an emergency red flag) is open
    referrals: tuple[str, ...]
    refusals: Mapping[int, tuple[Refusal, ...]]  # by the line's position; lines with none left out

    def hard(self, position: int) -> list[str]:
        return [refusal.message for refusal in self.refusals.get(position, ()) if refusal.hard]

    def soft(self, position: int) -> list[str]:
        return [refusal.message for refusal in self.refusals.get(position, ()) if not refusal.hard]


def _probe(position: int, line: SafetyLine) -> library.Intervention:
    return library.Intervention(
        key=f"line-{position}",
        prong=library.Prong(line.prong),
        name=line.name,
        target="",
        technique="",
        tags=line.tags,
        home_program=False,
        dosage=library.Dosage(),
        instructions="",
        progression="",
        regression="",
        cautions="",
        illustration="",
        source="",
    )


def _message(name: str, entry: plan_rules.Excluded) -> str:
    because = f" Raised by: {'; '.join(entry.because)}." if entry.because else ""
    reason = entry.reason.strip()
    reason = reason if reason.endswith((".", "!", "?")) else f"{reason}."
    if entry.hard:
        return f"{name} cannot be marked delivered: {reason}{because}"
    return f"{name}: {reason}{because}"


def screen(
    lines: Sequence[SafetyLine],
    *,
    findings: Sequence[plan_rules.FindingFact],
    red_flags: Sequence[plan_rules.RedFlagFact],
    contraindications: Sequence[library.Contraindication],
) -> Screen:
    """Screen the note's lines exactly as the plan screens an item a clinician adds: the plan
    generator, with the clinic's contraindications and a rule that picks every line. A blocking
    contraindication (an emergency red flag) refuses every line, as it empties the plan. Only lines
    marked delivered or modified are refused; a line not done today is never in the way."""
    probes = {f"line-{position}": _probe(position, line) for position, line in enumerate(lines)}
    probe_library = plan_rules.Library(
        interventions=probes,
        rules=[
            library.PlanRule(
                key="note-lines",
                name="Delivered at the visit",
                when_findings=frozenset(),
                items=tuple(library.RuleItem(key) for key in probes),
                visits_per_week=1,
                weeks=1,
                running_advice=(),
                source="",
                always=True,
            )
        ],
        contraindications=tuple(contraindications),
    )
    draft = plan_rules.generate(
        findings=findings,
        red_flags=red_flags,
        load_facts=(),
        intake_facts=(),
        baseline=plan_rules.BaselineFacts(),
        library=probe_library,
    )
    refusals: dict[int, list[Refusal]] = {}
    for entry in draft.excluded:
        position = int(entry.intervention.removeprefix("line-"))
        line = lines[position]
        if line.status not in GIVEN:
            continue
        refusal = Refusal(entry.hard, _message(line.name, entry))
        if refusal not in refusals.setdefault(position, []):
            refusals[position].append(refusal)
    return Screen(
        blocked=draft.blocked,
        referrals=draft.referrals,
        refusals={position: tuple(found) for position, found in refusals.items()},
    )


def sign_problems(screen: Screen) -> list[str]:
    """Why the note cannot be signed for safety: each line marked delivered that a hard
    contraindication refuses, with the reason."""
    return [message for position in sorted(screen.refusals) for message in screen.hard(position)]
