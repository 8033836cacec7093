"""The seed library for treatment plans: interventions, plan rules and contraindications (DOMAIN A; B6.2; B7).

Pure Python (no Django). Both the database seeding and the plan generator (``plans.rules``) read these frozen
tuples, so a clinic starts from the same library the tests check. Every entry names its DOMAIN section and
source ids in ``source``. Where DOMAIN.md is silent the value is a clinic-editable default and ``source`` says
"DOMAIN.md is silent: clinic default" (for the part it covers). That is how the ``CITED_*`` tuples are written,
for checking against DOMAIN.md; ``INTERVENTIONS``, ``PLAN_RULES`` and ``CONTRAINDICATIONS``, which the seeding and
the generator read, hold the same entries in the reader's words (``domain.citations.readable``): the literature's
titles instead of source ids, no section codes, "clinic default".

Conventions
* Keys are stable slugs (hyphens); an exercise's illustration is "<key>.svg".
* Doses are template defaults a clinician edits per patient (DOMAIN B7.4: "derived from these general anchors,
  not condition-specific evidence"). Where DOMAIN gives a range of *sets* ("2–3 × 10–15") ``Dosage.sets`` is a
  whole number, so the default starts at the low end of the range (ACSM: "one set minimum with more sets if time
  allows", B7.4 S128) and the progression names the top of the range. Ranges of reps, holds and frequency are
  kept as DOMAIN gives them.
* Patient-facing text (``instructions``, ``running_advice``) is plain language in our own words.
* Contraindication rows of the B7.5 matrix say "do not auto-prescribe": they are encoded as soft exclusions
  (``hard=False``: left out of the draft, the clinician may add the item back with a reason). Hard exclusions are
  kept for what DOMAIN makes a block: emergency red flags (B6.2) and thrust techniques under an urgent red flag or
  an absolute manipulation contraindication (A "Manipulation"; B7.2).
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from enum import StrEnum
from typing import TypeVar

from domain.citations import readable

SILENT = "DOMAIN.md is silent: clinic default"


class Prong(StrEnum):
    MANIPULATION = "manipulation"
    SOFT_TISSUE = "soft_tissue"
    EXERCISE = "exercise"


# DOMAIN B7: the three prongs, in the order a plan lists them.
PRONG_ORDER: tuple[Prong, ...] = (Prong.MANIPULATION, Prong.SOFT_TISSUE, Prong.EXERCISE)
PRONG_LABELS: dict[str, str] = {
    Prong.MANIPULATION: "Joint manipulation / mobilisation",
    Prong.SOFT_TISSUE: "Soft-tissue work",
    Prong.EXERCISE: "Corrective exercise",
}

# DOMAIN.md gives no visit frequency and no plan length (B7 is silent on both): clinic defaults. A rule states
# its own numbers only where DOMAIN gives a programme length (e.g. gluteal tendinopathy, 8 weeks, B7.4 S131).
DEFAULT_VISITS_PER_WEEK = 1
DEFAULT_WEEKS = 6
DEFAULT_SCHEDULE_SOURCE = f"{SILENT} (DOMAIN gives no visit frequency or plan length)"

OTHER_SIDE: dict[str, str] = {"left": "right", "right": "left"}


def with_side(text: str, side: str | None) -> str:
    """Patient-facing text with "{side}" as the patient's side ("left" / "right") and "{other}" as the other one.

    Without a side the placeholders and the space after them go ("your {side} shoe" reads "your shoe"), so a
    sentence written for a side still reads for both.
    """
    if side in OTHER_SIDE:
        return text.replace("{side}", side).replace("{other}", OTHER_SIDE[side])
    return text.replace("{side} ", "").replace("{other} ", "").replace("{side}", "").replace("{other}", "")


def side_note(patient_side: str, side: str | None) -> str:
    """Which side an item is done on, in the patient's words; "" for an item with no side or no sided wording."""
    return with_side(patient_side, side).strip() if patient_side.strip() and side in OTHER_SIDE else ""


@dataclass(frozen=True)
class Dosage:
    sets: int | None = None
    reps: str = ""  # per set, e.g. "10–15", "10–15 each side", "2–4 holds each side"
    hold_seconds: str = ""  # per hold, e.g. "20–30"
    frequency: str = ""  # e.g. "daily", "2–3 times a week"

    def __post_init__(self) -> None:
        if self.sets is not None and (isinstance(self.sets, bool) or not isinstance(self.sets, int) or self.sets < 1):
            raise ValueError(f"sets must be a whole number of 1 or more, or None, not {self.sets!r}")

    def text(self) -> str:
        """One line, e.g. "2 × 10–15, 2–3 times a week" or "2–4 holds each side, 20–30 s each, daily"; "" if empty."""
        if self.sets and self.reps:
            volume = f"{self.sets} × {self.reps}"
        elif self.reps:
            volume = self.reps
        elif self.sets:
            volume = f"{self.sets} sets" if self.sets > 1 else "1 set"
        else:
            volume = ""
        hold = ""
        if self.hold_seconds:
            hold = f"{self.hold_seconds} s each" if volume else f"{self.hold_seconds} s"
        return ", ".join(part for part in (volume, hold, self.frequency) if part)

    def is_empty(self) -> bool:
        return not (self.sets or self.reps or self.hold_seconds or self.frequency)


@dataclass(frozen=True)
class Intervention:
    key: str  # stable slug
    prong: Prong
    name: str
    target: str  # "lumbar spine", "sacroiliac joint", "hip" or a muscle
    technique: str  # clinician-facing
    tags: frozenset[str]  # read by contraindications (excludes_tags)
    home_program: bool  # True for exercises and self-care the patient does at home
    dosage: Dosage
    instructions: str  # patient-facing, plain language; "" for clinic-only techniques
    progression: str
    regression: str
    cautions: str  # clinician-facing
    illustration: str  # shipped SVG file name for exercises ("<key>.svg"); "" otherwise
    source: str
    # Printed on the handout: plain words drawn from the template range and the cautions above.
    patient_progression: str = ""
    patient_cautions: str = ""
    # For an item done on one side: which side, in the patient's words, with "{side}" for the side of the findings
    # that chose it and "{other}" for the other side (plans.rules.with_side). "" for an item with no side.
    patient_side: str = ""


# --- Interventions ----------------------------------------------------------------------------------------

_MANIPULATION: tuple[Intervention, ...] = (
    Intervention(
        key="lumbar-hvla-thrust",
        prong=Prong.MANIPULATION,
        name="Lumbar spine manipulation (HVLA thrust)",
        target="lumbar spine",
        technique="High-velocity, low-amplitude thrust to the lumbar spine.",
        tags=frozenset({"thrust", "spinal_thrust"}),
        home_program=False,
        dosage=Dosage(),  # DOMAIN.md is silent on a dose: clinician judgement per visit.
        instructions="",
        progression="",
        regression="Lumbar mobilisation (low velocity, low amplitude) when thrust is not suitable (B7.2, S123).",
        cautions=(
            "Likely responder (clinical prediction rule) with at least 4 of 5: no symptoms below the knee, episode "
            "of 16 days or less, FABQ-work 19 or less, lumbar hypomobility on posterior-anterior springing, at least "
            "one hip with prone internal rotation of 35° or more (B7.2, S121, S122). Absolute contraindications block "
            "thrust; relative ones need your acknowledgement (B7.2). Use only as part of a package that includes "
            "exercise (NICE NG59, S120)."
        ),
        illustration="",
        source=f"DOMAIN B7.2 (S120, S121, S122); contraindications B7.2 (S123–S126); dose: {SILENT}",
    ),
    Intervention(
        key="lumbopelvic-thrust",
        prong=Prong.MANIPULATION,
        name="Side-lying lumbopelvic (SI) thrust",
        target="sacroiliac joint",
        technique="Side-lying lumbopelvic thrust manipulation for an SI pain pattern.",
        tags=frozenset({"thrust", "spinal_thrust"}),
        home_program=False,
        dosage=Dosage(),  # DOMAIN.md is silent on a dose (the case series reports success within 2 visits).
        instructions="",
        progression="",
        regression="Mobilisation when thrust is not suitable (B7.2, S123).",
        cautions=(
            "Tested with the lumbar clinical prediction rule: 11 of 12 case-series patients met 'success' within "
            "2 visits (B7.2, S122). Absolute contraindications block thrust; relative ones need your "
            "acknowledgement (B7.2)."
        ),
        illustration="",
        source=f"DOMAIN B7.2 (S122); contraindications B7.2 (S123–S126); dose: {SILENT}",
    ),
    Intervention(
        key="lumbar-mobilisation",
        prong=Prong.MANIPULATION,
        name="Lumbar mobilisation",
        target="lumbar spine",
        technique="Low-velocity, low-amplitude mobilisation of the lumbar spine.",
        tags=frozenset({"mobilisation"}),
        home_program=False,
        dosage=Dosage(),
        instructions="",
        progression="Lumbar HVLA thrust when the clinical prediction rule fits and nothing contraindicates it (B7.2).",
        regression="",
        cautions=(
            "May be considered case by case when thrust is blocked (B7.2, S123). In radicular pain, choose the "
            "direction by directional preference / centralisation (B7.4, S137, low quality)."
        ),
        illustration="",
        source=f"DOMAIN B7.2 (S121, S123); B7.4 radicular note (S137); dose: {SILENT}",
    ),
    Intervention(
        key="hip-mobilisation",
        prong=Prong.MANIPULATION,
        name="Hip mobilisation",
        target="hip",
        technique="Mobilisation of the hip joint for hip stiffness contributing to low-back or hip pain.",
        tags=frozenset({"mobilisation"}),
        home_program=False,
        dosage=Dosage(),
        instructions="",
        progression="",
        regression="",
        cautions=(
            "Hip internal rotation above 35° is part of the lumbar prediction rule; direct evidence for runners is "
            "unverified (B7.2, S121)."
        ),
        illustration="",
        source=f"DOMAIN B7.2 (S121; runners unverified); dose: {SILENT}",
    ),
)

_SOFT_TISSUE: tuple[Intervention, ...] = (
    Intervention(
        key="paraspinal-massage",
        prong=Prong.SOFT_TISSUE,
        name="Paraspinal massage",
        target="lumbar paraspinal muscles",
        technique="Manual soft-tissue work to the lumbar paraspinal muscles.",
        tags=frozenset({"massage"}),
        home_program=False,
        dosage=Dosage(),  # DOMAIN B7.3: "per session, clinician judgement".
        instructions="",
        progression="",
        regression="",
        cautions="As part of a package that includes exercise (NICE NG59, S120).",
        illustration="",
        source="DOMAIN B7.3 (S120; dose: per session, clinician judgement); Part A (tense lower-back muscles)",
    ),
    Intervention(
        key="gluteal-piriformis-release",
        prong=Prong.SOFT_TISSUE,
        name="Gluteal and piriformis soft-tissue release",
        target="gluteals and piriformis",
        technique="Manual soft-tissue release of the gluteals, including massage of the piriformis 'knot'.",
        tags=frozenset({"massage"}),
        home_program=False,
        dosage=Dosage(),
        instructions="",
        progression="",
        regression="",
        cautions="As part of a package that includes exercise (NICE NG59, S120).",
        illustration="",
        source="DOMAIN B7.3 (S120; dose: per session, clinician judgement); Part A (massage of the piriformis knot)",
    ),
    Intervention(
        key="hip-flexor-soft-tissue",
        prong=Prong.SOFT_TISSUE,
        name="Hip-flexor soft-tissue work (iliacus / iliopsoas)",
        target="iliacus / iliopsoas",
        technique="Manual soft-tissue work to the hip flexors (iliacus, iliopsoas).",
        tags=frozenset({"massage"}),
        home_program=False,
        dosage=Dosage(),
        instructions="",
        progression="",
        regression="",
        cautions="As part of a package that includes exercise (NICE NG59, S120).",
        illustration="",
        source="DOMAIN B7.3 (S120; dose: per session, clinician judgement); Part A (tight iliacus from sitting)",
    ),
    Intervention(
        key="tfl-itb-soft-tissue",
        prong=Prong.SOFT_TISSUE,
        name="TFL / proximal ITB soft-tissue work",
        target="TFL / proximal ITB",
        technique="Manual soft-tissue work to the tensor fasciae latae and the proximal iliotibial band.",
        tags=frozenset({"massage", "compression_trochanter"}),
        home_program=False,
        dosage=Dosage(),
        instructions="",
        progression="",
        regression="",
        cautions=(
            "In gluteal tendinopathy avoid direct deep pressure and compressive stretching over an irritable "
            "greater trochanter (B7.3, S132)."
        ),
        illustration="",
        source="DOMAIN B7.3 (S120, S132; dose: per session, clinician judgement)",
    ),
    Intervention(
        key="iastm",
        prong=Prong.SOFT_TISSUE,
        name="Instrument-assisted soft-tissue mobilisation (IASTM)",
        target="paraspinals, gluteals, piriformis, TFL, hip flexors",
        technique="Soft-tissue mobilisation with a hand-held instrument.",
        tags=frozenset({"instrument"}),
        home_program=False,
        dosage=Dosage(),
        instructions="",
        progression="",
        regression="",
        cautions="No dosage source found (B7.3, unverified).",
        illustration="",
        source=f"DOMAIN B7.3 (no dosage source - unverified); dose: {SILENT}",
    ),
    Intervention(
        key="active-release",
        prong=Prong.SOFT_TISSUE,
        name="Active Release Technique (ART)",
        target="paraspinals, gluteals, piriformis, TFL, hip flexors",
        technique="Soft-tissue tension applied while the patient moves the muscle through its range.",
        tags=frozenset({"massage"}),
        home_program=False,
        dosage=Dosage(),
        instructions="",
        progression="",
        regression="",
        cautions="No dosage source found (B7.3, unverified).",
        illustration="",
        source=f"DOMAIN B7.3 (no dosage source - unverified); dose: {SILENT}",
    ),
    Intervention(
        key="foam-rolling",
        prong=Prong.SOFT_TISSUE,
        name="Foam rolling",
        target="quads, hamstrings, gluteals, ITB / TFL region",
        technique="Self-massage with a foam roller at home.",
        tags=frozenset({"self_massage"}),
        home_program=True,
        # DOMAIN B7.3 (S129, S130): 1–3 sets of 30–120 s per area. DOMAIN.md is silent on how often: clinic default.
        dosage=Dosage(reps="1–3 sets per area", hold_seconds="30–120"),
        instructions=(
            "Place the foam roller on the floor and rest the area to be treated on it. Use your arms and legs to "
            "roll slowly back and forth over the muscle. Keep the pressure firm but bearable. Do not roll directly "
            "over a bony point or a spot that gives sharp pain."
        ),
        progression="Up to 3 sets of 120 s per area (top of the template range, B7.3).",
        regression="1 set of 30 s per area, or less body weight on the roller.",
        cautions=(
            "Range-of-motion gains appear greater for programmes longer than 4 weeks; effects on performance and "
            "recovery are unclear (B7.3, S129, S130). In gluteal tendinopathy avoid deep pressure over an irritable "
            "greater trochanter (B7.3, S132)."
        ),
        patient_progression="Build up to 3 rounds of 2 minutes on each area.",
        patient_cautions="Roll gently. If the outside of your hip is sore to touch, do not press hard on that spot.",
        illustration="",
        source=f"DOMAIN B7.3 (S129, S130); frequency, progression, regression: {SILENT}",
    ),
    Intervention(
        key="damp-heat",
        prong=Prong.SOFT_TISSUE,
        name="Damp heat",
        target="lower back / buttock",
        technique="Home self-care: damp heat on the painful area for relief.",
        tags=frozenset({"heat"}),
        home_program=True,
        dosage=Dosage(),  # DOMAIN.md is silent on a dose: as needed for relief.
        instructions=(
            "Put damp heat, such as a warm damp towel, on the sore area. Use it as needed for relief. It should "
            "feel comfortably warm, never hot."
        ),
        progression="",
        regression="",
        cautions="",
        illustration="",
        source=f"DOMAIN Part A (damp heat for relief); dose and how-to wording: {SILENT}",
    ),
    Intervention(
        key="icing",
        prong=Prong.SOFT_TISSUE,
        name="Icing",
        target="buttock (piriformis)",
        technique="Home self-care: ice on the painful area for relief.",
        tags=frozenset({"ice"}),
        home_program=True,
        dosage=Dosage(),  # DOMAIN.md is silent on a dose: as needed for relief.
        instructions=(
            "Wrap ice or a cold pack in a thin cloth and place it on the sore area of your buttock. Use it as needed "
            "for relief. Do not put ice straight onto bare skin."
        ),
        progression="",
        regression="",
        cautions="",
        illustration="",
        source=f"DOMAIN Part A (icing for piriformis syndrome); dose and how-to wording: {SILENT}",
    ),
)

_STRENGTH_WEEKLY = "2–3 times a week"  # DOMAIN B7.4 resistance anchor (S128)
_STRETCH_DAILY = "daily"  # DOMAIN B7.4 static-stretch anchor: daily is most effective (S127)

_EXERCISES: tuple[Intervention, ...] = (
    Intervention(
        key="glute-bridge",
        prong=Prong.EXERCISE,
        name="Glute bridge",
        target="gluteus maximus (hip extensors)",
        technique="Supine bridge for hip extensor strength.",
        tags=frozenset({"strength", "lumbar_extension"}),
        home_program=True,
        dosage=Dosage(sets=2, reps="10–15", frequency=_STRENGTH_WEEKLY),
        instructions=(
            "Lie on your back with your knees bent and your feet flat on the floor, hip-width apart. Squeeze your "
            "buttocks and lift your hips until your body is in a straight line from shoulders to knees. Pause, then "
            "lower slowly. Do not arch your lower back at the top."
        ),
        progression="Build up to 3 sets of 15 (top of the template range).",
        regression="Fewer repetitions, or lift your hips only part of the way.",
        cautions="If extending the lower back is painful, reduce the range (B7.4).",
        patient_progression="Build up to 3 sets of 15.",
        patient_cautions="If arching your lower back hurts, lift your hips less high.",
        illustration="glute-bridge.svg",
        source=(
            "DOMAIN B7.4 (S128 dose anchor); Part A prevention default 3 × 12 and 'most prescribed corrective "
            f"exercise'; progression, regression: {SILENT}"
        ),
    ),
    Intervention(
        key="clamshell",
        prong=Prong.EXERCISE,
        name="Clamshell",
        target="hip abductors / external rotators",
        technique="Side-lying clamshell for hip abductor and external-rotator activation.",
        tags=frozenset({"strength"}),
        home_program=True,
        dosage=Dosage(sets=2, reps="10–15 each side", frequency=_STRENGTH_WEEKLY),
        instructions=(
            "Lie on your side with your hips and knees bent and your feet together. Keeping your feet touching, "
            "lift your top knee as far as is comfortable without rolling your hips backwards. Lower slowly. Finish "
            "the set, then turn over and work the other side."
        ),
        progression="Build up to 3 sets of 15 each side (top of the template range).",
        regression="Fewer repetitions, or a smaller lift of the knee.",
        cautions="In gluteal tendinopathy avoid positions that push the hip into adduction (B7.4, S132).",
        patient_progression="Build up to 3 sets of 15 on each side.",
        patient_cautions="Keep your top knee from dropping across towards the other leg.",
        patient_side="Work your {side} hip: lie on your {other} side and lift your {side} knee.",
        illustration="clamshell.svg",
        source=f"DOMAIN B7.4 (S128, S132); progression, regression: {SILENT}",
    ),
    Intervention(
        key="side-lying-hip-abduction",
        prong=Prong.EXERCISE,
        name="Side-lying hip abduction (side leg lifts)",
        target="gluteus medius",
        technique="Side-lying hip abduction from a neutral hip position for gluteus medius strength.",
        tags=frozenset({"strength"}),
        home_program=True,
        dosage=Dosage(sets=2, reps="10–15 each side", frequency=_STRENGTH_WEEKLY),
        instructions=(
            "Lie on your side with your bottom knee bent and your top leg straight, in line with your body. Start "
            "with the top leg level with your hip, not dropped across the other leg. Lift the top leg towards the "
            "ceiling, leading with the heel and keeping your toes facing forward, then lower slowly. Keep your hips "
            "stacked and do not let the leg drift forward."
        ),
        progression="Build up to 3 sets of 15 each side (top of the template range).",
        regression="Fewer repetitions, or a smaller lift.",
        cautions=(
            "Gluteal tendinopathy: progressive loading is the core treatment, but start from neutral, not adducted, "
            "positions (B7.4, S131, S132, S133)."
        ),
        patient_progression="Build up to 3 sets of 15 on each side.",
        patient_cautions="Start with your top leg in line with your body, not crossed in front of the other.",
        patient_side="Work your {side} hip: lie on your {other} side and lift your {side} leg.",
        illustration="side-lying-hip-abduction.svg",
        source=f"DOMAIN B7.4 (S128, S131, S132, S133); Part A ('side leg lifts'); progression, regression: {SILENT}",
    ),
    Intervention(
        key="hip-flexor-stretch",
        prong=Prong.EXERCISE,
        name="Half-kneeling hip-flexor stretch",
        target="iliopsoas / rectus femoris",
        technique="Half-kneeling static stretch of the hip flexors with a posterior pelvic tilt.",
        tags=frozenset({"stretch", "static_stretch"}),
        home_program=True,
        dosage=Dosage(reps="2–4 holds each side", hold_seconds="20–30", frequency=_STRETCH_DAILY),
        instructions=(
            "Kneel on one knee, with a cushion under it, and put the other foot flat on the floor in front of you. "
            "Tuck your tailbone under and squeeze the buttock of the kneeling leg. Shift your body gently forward "
            "until you feel a stretch at the front of the hip. Keep your lower back from arching. Hold, then switch "
            "sides."
        ),
        progression="4 holds of 30 s each side (top of the template range).",
        regression="2 shorter holds, or a smaller forward shift.",
        cautions="Do not arch the lumbar spine; hold off if the front of the hip pinches (FAI) (B7.4).",
        patient_progression="Build up to 4 holds of 30 seconds on each side.",
        patient_cautions="Do not arch your lower back. Ease off if you feel pinching at the front of your hip.",
        patient_side="Stretch your {side} hip: kneel on your {side} knee.",
        illustration="hip-flexor-stretch.svg",
        source=(
            "DOMAIN B7.4 (S127); Part A ('most prescribed corrective exercise', post-run hip-flexor stretch); "
            f"progression, regression: {SILENT}"
        ),
    ),
    Intervention(
        key="plank",
        prong=Prong.EXERCISE,
        name="Front plank",
        target="trunk (abdominal and back muscles)",
        technique="Front plank hold for trunk endurance.",
        tags=frozenset({"trunk"}),
        home_program=True,
        dosage=Dosage(reps="3–5 holds", hold_seconds="10–30", frequency=_STRENGTH_WEEKLY),
        instructions=(
            "Lie face down, then lift your body onto your forearms and toes, with your elbows under your shoulders. "
            "Keep a straight line from your head to your heels and gently tighten your tummy muscles. Do not let "
            "your hips sag or rise up. Hold, then rest."
        ),
        progression="5 holds of 30 s (top of the template range); Part A's prevention default is 3 × 30–60 s.",
        regression="Shorter holds, or hold with your knees on the floor instead of your toes.",
        cautions="Stop if back pain spreads into the leg (peripheralises) (B7.4).",
        patient_progression="Build up to 5 holds of 30 seconds.",
        patient_cautions="Stop if your back pain spreads into your leg.",
        illustration="plank.svg",
        source=(
            "DOMAIN B7.4 (S127/S128 anchors; dose unverified); Part A prevention default 3 × 30–60 s; frequency: "
            f"S128 anchor; progression, regression: {SILENT}"
        ),
    ),
    Intervention(
        key="side-plank",
        prong=Prong.EXERCISE,
        name="Side plank (side bridge)",
        target="lateral trunk / quadratus lumborum",
        technique="Side bridge hold, knee-bent version to start (McGill-style).",
        tags=frozenset({"trunk"}),
        home_program=True,
        dosage=Dosage(reps="3–5 holds each side", hold_seconds="about 10", frequency=_STRENGTH_WEEKLY),
        instructions=(
            "Lie on your side, propped on your forearm with your elbow under your shoulder and your knees bent. "
            "Lift your hips so your body is in a straight line from your head to your knees. Hold, then lower "
            "gently. Turn over and do the other side."
        ),
        progression="Legs straight, with the feet stacked, once the knee-bent version is easy.",
        regression="Fewer or shorter holds.",
        cautions="Start with the knee-bent version (B7.4).",
        patient_progression="Once the bent-knee version is easy, straighten your legs and stack your feet.",
        patient_cautions="Start with your knees bent.",
        illustration="side-plank.svg",
        source=(
            "DOMAIN B7.4 (S135; dose unverified); Part A prevention default 3 × 30–60 s; frequency: S128 anchor; "
            f"progression: {SILENT}"
        ),
    ),
    Intervention(
        key="bird-dog",
        prong=Prong.EXERCISE,
        name="Bird dog",
        target="lumbopelvic control (back and abdominal muscles)",
        technique="Quadruped opposite arm and leg reach with a neutral spine (McGill-style).",
        tags=frozenset({"trunk"}),
        home_program=True,
        dosage=Dosage(reps="6–10 each side", hold_seconds="8–10", frequency=_STRENGTH_WEEKLY),
        instructions=(
            "Kneel on all fours with your hands under your shoulders and your knees under your hips. Keep your back "
            "flat and still. Reach one arm forward and the opposite leg back until both are level with your body. "
            "Hold, return slowly, then switch sides."
        ),
        progression="10 each side with 10 s holds (top of the template range); Part A's default is 3 × 10 each side.",
        regression="Move only the leg, or only the arm, keeping the back still.",
        cautions="Keep the spine neutral (B7.4).",
        patient_progression="Build up to 10 on each side, holding each for 10 seconds.",
        patient_cautions="Keep your back still and level; do not let it sag or twist.",
        illustration="bird-dog.svg",
        source=(
            "DOMAIN B7.4 (S135; dose unverified); Part A prevention default 3 × 10 each side; frequency: S128 "
            f"anchor; progression, regression: {SILENT}"
        ),
    ),
    Intervention(
        key="single-leg-deadlift",
        prong=Prong.EXERCISE,
        name="Single-leg deadlift",
        target="posterior chain and single-leg control",
        technique="Single-leg hip hinge for posterior-chain strength and single-leg control.",
        tags=frozenset({"strength", "hip_hinge"}),
        home_program=True,
        dosage=Dosage(sets=2, reps="8–12 each leg", frequency=_STRENGTH_WEEKLY),
        instructions=(
            "Stand on one leg with a slight bend in the knee. Hinge forward at the hips and let your other leg "
            "reach straight back, keeping your back flat. Go only as far as you can keep your hips level and your "
            "balance. Squeeze your buttock to stand back up. Finish the set, then change legs."
        ),
        progression="Build up to 3 sets of 12 each leg (top of the template range); Part A's default is 3 × 10.",
        regression="Fewer repetitions, a smaller hinge, or a fingertip on a wall for balance.",
        cautions="Avoid in acute radicular pain if the hip hinge reproduces leg symptoms (B7.4, caution unverified).",
        patient_progression="Build up to 3 sets of 12 on each leg.",
        patient_cautions="Stop if bending forward at the hip brings on pain down your leg.",
        patient_side="Work your {side} leg: stand on your {side} leg.",
        illustration="single-leg-deadlift.svg",
        source=(
            "DOMAIN B7.4 (S128; caution unverified); Part A prevention default 3 × 10 each leg; progression, "
            f"regression: {SILENT}"
        ),
    ),
    Intervention(
        key="cat-cow",
        prong=Prong.EXERCISE,
        name="Cat-cow",
        target="spinal mobility",
        technique="Slow quadruped spinal flexion and extension cycles.",
        tags=frozenset({"mobility", "flexion"}),
        home_program=True,
        dosage=Dosage(sets=1, reps="10 slow cycles", frequency="daily"),
        instructions=(
            "Kneel on all fours with your hands under your shoulders and your knees under your hips. Slowly round "
            "your back up towards the ceiling and let your head drop. Then slowly let your back dip and lift your "
            "head. Move gently and stay within a comfortable range."
        ),
        progression="2 sets of 10 slow cycles (top of the template range).",
        regression="Fewer cycles, or a smaller range.",
        cautions="The flexion phase may aggravate flexion-intolerant disc pain (B7.4, S137 low quality; unverified).",
        patient_progression="Build up to 2 sets of 10 slow movements.",
        patient_cautions="If rounding your back makes your pain worse or spread, leave that part out and tell us.",
        illustration="cat-cow.svg",
        source=f"DOMAIN B7.4 (S137 low quality; unverified); progression, regression: {SILENT}",
    ),
    Intervention(
        key="childs-pose",
        prong=Prong.EXERCISE,
        name="Child's pose",
        target="lumbar spine and hips (flexion stretch)",
        technique="Kneeling lumbar and hip flexion stretch.",
        tags=frozenset({"stretch", "static_stretch", "flexion"}),
        home_program=True,
        dosage=Dosage(reps="2–4 holds", hold_seconds="20–30", frequency=_STRETCH_DAILY),
        instructions=(
            "Kneel on the floor and sit your bottom back towards your heels. Reach your arms forward along the floor "
            "and let your chest rest towards your thighs. Breathe slowly and relax into the stretch. Hold, then come "
            "up slowly."
        ),
        progression="4 holds of 30 s (top of the template range).",
        regression="Fewer or shorter holds, or a pillow between your heels and bottom.",
        cautions="Same flexion caution as cat-cow (B7.4, caution unverified).",
        patient_progression="Build up to 4 holds of 30 seconds.",
        patient_cautions="If bending forward makes your pain worse or spread, stop and tell us.",
        illustration="childs-pose.svg",
        source=f"DOMAIN B7.4 (S127; caution unverified); frequency: S127 anchor; progression, regression: {SILENT}",
    ),
    Intervention(
        key="hamstring-stretch",
        prong=Prong.EXERCISE,
        name="Lying hamstring stretch",
        target="hamstrings",
        technique="Supine static hamstring stretch, knee straightened with the hands behind the thigh.",
        tags=frozenset({"stretch", "static_stretch", "hamstring_stretch"}),
        home_program=True,
        dosage=Dosage(reps="2–4 holds each side", hold_seconds="20–30", frequency=_STRETCH_DAILY),
        instructions=(
            "Lie on your back with one knee bent and that foot flat on the floor. Lift the other leg, hold it behind "
            "the thigh, and straighten the knee until you feel a gentle stretch at the back of the thigh. Do not "
            "pull hard or bounce. Stop if you feel pain, tingling or numbness going down the leg. Hold, then switch "
            "sides."
        ),
        progression="4 holds of 30 s each side (top of the static-stretch range).",
        regression="Fewer or shorter holds, with the knee less straight.",
        cautions=(
            "Not with radicular leg pain or a positive SLR / slump: tensioning an irritated nerve can increase "
            "radiating symptoms (B7.5, weak; Part A: stretching the hamstring aggravates sciatica)."
        ),
        patient_progression="Build up to 4 holds of 30 seconds on each side.",
        patient_cautions="Stop and tell us if the stretch brings on pain, tingling or numbness down your leg.",
        patient_side="Stretch the back of your {side} thigh: lift and straighten your {side} leg.",
        illustration="hamstring-stretch.svg",
        source=(
            "DOMAIN Part A (hamstring stretching; post-run stretches); B7.4 static-stretch anchors (S127); B7.5 "
            f"(S136, S138); progression, regression: {SILENT}"
        ),
    ),
    Intervention(
        key="itb-stretch",
        prong=Prong.EXERCISE,
        name="Standing ITB stretch",
        target="ITB / TFL",
        technique="Standing side-bend stretch with the leg crossed behind (hip adduction).",
        tags=frozenset({"stretch", "static_stretch", "itb_stretch"}),
        home_program=True,
        dosage=Dosage(reps="2–4 holds each side", hold_seconds="20–30", frequency=_STRETCH_DAILY),
        instructions=(
            "Stand side-on to a wall and put a hand on it for balance. Cross the leg nearest the wall behind your "
            "other leg. Gently push your hips towards the wall until you feel a stretch along the outside of the "
            "hip. Hold, then turn round and stretch the other side."
        ),
        progression="4 holds of 30 s each side (top of the static-stretch range).",
        regression="Fewer or shorter holds.",
        cautions=(
            "Not in gluteal tendinopathy: adduction compresses the gluteal tendons against the trochanter (B7.5, "
            "moderate, S132)."
        ),
        patient_progression="Build up to 4 holds of 30 seconds on each side.",
        patient_side="Stretch the outside of your {side} hip: cross your {side} leg behind the other.",
        illustration="itb-stretch.svg",
        source=f"DOMAIN B7.4 static-stretch anchors (S127); B7.5 (S132); progression, regression: {SILENT}",
    ),
    Intervention(
        key="piriformis-stretch",
        prong=Prong.EXERCISE,
        name="Crossed-leg piriformis stretch",
        target="piriformis",
        technique="Supine stretch pulling the flexed hip across the body (flexion with adduction).",
        tags=frozenset({"stretch", "static_stretch", "adducted_piriformis_stretch", "deep_hip_flexion_adduction"}),
        home_program=True,
        dosage=Dosage(reps="2–4 holds each side", hold_seconds="20–30", frequency=_STRETCH_DAILY),
        instructions=(
            "Lie on your back with both knees bent. Hold one knee with both hands and gently pull it up and across "
            "towards the opposite shoulder until you feel a stretch deep in the buttock. Hold, then switch sides. "
            "Stop if you feel a pinch at the front of the hip."
        ),
        progression="4 holds of 30 s each side (top of the static-stretch range).",
        regression="Fewer or shorter holds, pulling the knee less far across.",
        cautions=(
            "Not in gluteal tendinopathy (adducted stretch, B7.5 moderate, S132). Flexion with adduction can "
            "provoke suspected FAI (B7.5, unverified)."
        ),
        patient_progression="Build up to 4 holds of 30 seconds on each side.",
        patient_cautions="Ease off if you feel pinching at the front of your hip.",
        patient_side="Stretch your {side} buttock: pull your {side} knee up and across.",
        illustration="piriformis-stretch.svg",
        source=(
            "DOMAIN Part A (hip stretching for piriformis syndrome); B7.4 static-stretch anchors (S127); B7.5 "
            f"(S132; FAI row unverified); progression, regression: {SILENT}"
        ),
    ),
)

# No plan rule chooses these: only a clinician adds them (plans.rules.clinicians_choice_only; the library tests list
# them). DOMAIN B7 gives no condition that calls for them: IASTM and ART have targets "as above" and no dosage
# source (B7.3, unverified); cat-cow and child's pose have a purpose but no condition, and a flexion caution (B7.4,
# B7.5); the hamstring stretch is Part A prevention advice with no finding for tight hamstrings, and B7.5 excludes
# it with neural tension; B7.4 lists no ITB stretch, and B7.5 excludes it in gluteal tendinopathy, which overlaps
# ITB / TFL pain (B7.1).
# As written, with DOMAIN's section codes and source ids; the library a clinic reads is ``INTERVENTIONS``.
CITED_INTERVENTIONS: tuple[Intervention, ...] = _MANIPULATION + _SOFT_TISSUE + _EXERCISES


_Entry = TypeVar("_Entry", Intervention, "PlanRule", "Contraindication")

# Stable codes, not words: never rewritten.
_CODE_FIELDS = frozenset({"key", "illustration", "when_detail", "intervention"})


def in_readers_words(entry: _Entry) -> _Entry:
    """``entry`` with every text a user can read passed through ``domain.citations.readable``."""
    changes = {}
    for item in fields(entry):
        value = getattr(entry, item.name)
        if item.name in _CODE_FIELDS:
            continue
        if type(value) is str:
            changes[item.name] = readable(value)
        elif isinstance(value, tuple) and all(type(text) is str for text in value):
            changes[item.name] = tuple(readable(text) for text in value)
    return replace(entry, **changes)


INTERVENTIONS: tuple[Intervention, ...] = tuple(in_readers_words(item) for item in CITED_INTERVENTIONS)
INTERVENTIONS_BY_KEY: dict[str, Intervention] = {item.key: item for item in INTERVENTIONS}


# --- Facts a rule can read besides findings -----------------------------------------------------------------

# intake.rules load-fact codes (DOMAIN A "Load management"; B8) with the wording a draft shows as "because".
LOAD_FACT_LABELS: dict[str, str] = {
    "distance_progression": "Weekly running distance rose quickly over two weeks",
    "single_run_spike": "A recent run was much longer than the longest run of the previous 30 days",
}
# Intake facts the plans service derives from the intake (complaint regions).
INTAKE_FACT_LABELS: dict[str, str] = {
    "back_pain": "Back pain reported at intake",
    "hip_pain": "Hip pain reported at intake",
}


# --- Plan rules ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RuleItem:
    intervention: str  # Intervention.key
    dosage: Dosage | None = None  # overrides the intervention's default dosage


@dataclass(frozen=True)
class PlanRule:
    """A rule selects its items when ANY of its conditions holds (a matching finding, load fact or intake fact).

    ``when_detail``: when set, a finding matches only if its detail equals this value. For
    "leg_length_discrepancy" the detail is the leg-length interpretation ("structural", "functional", "mixed",
    "unclassified"; see ``plans.rules.finding_detail``) - chosen over matching free label text, so "structural
    or mixed" can never pass for "structural".
    ``always``: a base rule that applies to every plan (no condition).
    ``notes``: clinician-facing reminders shown with the draft (not patient-facing).
    """

    key: str
    name: str
    when_findings: frozenset[str]
    items: tuple[RuleItem, ...]
    visits_per_week: int
    weeks: int
    running_advice: tuple[str, ...]
    source: str
    when_load_facts: frozenset[str] = frozenset()
    when_intake: frozenset[str] = frozenset()
    when_detail: str = ""
    always: bool = False
    notes: tuple[str, ...] = ()
    schedule_source: str = DEFAULT_SCHEDULE_SOURCE


def _items(*keys: str) -> tuple[RuleItem, ...]:
    return tuple(RuleItem(key) for key in keys)


_REDUCE_MILEAGE = "Run less each week for now: cutting back your distance for a while can ease the pain."
_SHORTER_STRIDE = "Take slightly shorter steps when you run, so your foot lands closer to under your body."

CITED_PLAN_RULES: tuple[PlanRule, ...] = (
    PlanRule(
        key="hip-flexor-pattern",
        name="Tight hip flexors / reduced hip extension",
        when_findings=frozenset(
            {"hip_flexor_tightness", "rectus_femoris_tightness", "reduced_hip_extension", "hip_flexor_strain"}
        ),
        items=_items("hip-mobilisation", "hip-flexor-soft-tissue", "hip-flexor-stretch", "glute-bridge"),
        visits_per_week=DEFAULT_VISITS_PER_WEEK,
        weeks=DEFAULT_WEEKS,
        running_advice=(
            "Long spells of sitting can tighten the muscles at the front of your hips. Get up and move about "
            "regularly when you have to sit for a long time.",
            "When your hip cannot stretch back fully as you run, your lower back takes extra strain. The stretch and "
            "the bridge in your plan work on this.",
        ),
        source=(
            "DOMAIN Part A (hip flexors tight from sitting; reduced hip extension loads the lumbar spine); B7.1; "
            "B7.2 (S121); B7.3 (S120); B7.4 (S127)"
        ),
    ),
    PlanRule(
        key="hip-stiffness",
        name="Hip stiffness",
        when_findings=frozenset(
            {
                "reduced_hip_flexion",
                "reduced_hip_abduction",
                "reduced_hip_adduction",
                "reduced_hip_internal_rotation",
                "reduced_hip_external_rotation",
            }
        ),
        items=_items("hip-mobilisation"),
        visits_per_week=DEFAULT_VISITS_PER_WEEK,
        weeks=DEFAULT_WEEKS,
        running_advice=(),
        source="DOMAIN B7.2 (S121: hip stiffness contributing to LBP or hip pain; runners unverified)",
    ),
    PlanRule(
        key="piriformis-deep-gluteal",
        name="Piriformis / deep gluteal pattern",
        when_findings=frozenset({"deep_gluteal_piriformis", "piriformis_syndrome"}),
        # Part A also lists hamstring and lower-back stretching: not auto-prescribed here because deep gluteal
        # syndrome irritates the sciatic nerve (B4, S74) and tensioning an irritated nerve can increase radiating
        # symptoms (B7.5); the clinician may add them.
        items=_items(
            "gluteal-piriformis-release",
            "foam-rolling",
            "icing",
            "damp-heat",
            "piriformis-stretch",
            "side-lying-hip-abduction",
            "glute-bridge",
        ),
        visits_per_week=DEFAULT_VISITS_PER_WEEK,
        weeks=DEFAULT_WEEKS,
        running_advice=(_REDUCE_MILEAGE,),
        source=(
            "DOMAIN Part A (piriformis remedies: massage of the knot, icing, then hip stretching and side leg lifts; "
            "damp heat and reduced mileage for relief); B7.1 (S74, S139, S140); B7.3 (S120, S129)"
        ),
        notes=(
            "Part A also lists hamstring and lower-back stretching for piriformis syndrome; they are not "
            "auto-prescribed because hamstring stretching can aggravate sciatic symptoms (Part A; B7.5).",
        ),
    ),
    PlanRule(
        key="neural-tension-radicular",
        name="Neural tension / radicular pain",
        when_findings=frozenset({"neural_tension_positive", "lumbar_radiculopathy"}),
        items=_items("lumbar-mobilisation", "bird-dog", "plank"),
        visits_per_week=DEFAULT_VISITS_PER_WEEK,
        weeks=DEFAULT_WEEKS,
        running_advice=(_REDUCE_MILEAGE,),
        source="DOMAIN B7.1 (S69, S70, S72, S121); B7.2 (S123); B7.4 radicular note (S137, S138); Part A",
        notes=(
            "Radicular pain: choose exercise direction by directional preference / centralisation; many patients "
            "centralise with extension (B7.4, S137, low quality). Neural 'stretches' should be gentle glides (B7.5).",
        ),
    ),
    PlanRule(
        key="abductor-weakness-hip-drop",
        name="Hip abductor weakness / hip drop / poor single-leg control",
        when_findings=frozenset(
            {"hip_abductor_weakness", "contralateral_hip_drop", "poor_single_leg_control", "knee_valgus"}
        ),
        items=_items("side-lying-hip-abduction", "clamshell", "single-leg-deadlift", "glute-bridge"),
        visits_per_week=DEFAULT_VISITS_PER_WEEK,
        weeks=DEFAULT_WEEKS,
        running_advice=(_SHORTER_STRIDE,),
        source="DOMAIN Part A (hip drop, knee valgus; shorter stride); B4 (S77, S79–S81); B7.4 (S128)",
    ),
    PlanRule(
        key="si-joint-pattern",
        name="SI joint pain pattern",
        when_findings=frozenset({"si_joint_pain_pattern", "si_joint_pain"}),
        items=_items("lumbopelvic-thrust", "bird-dog", "glute-bridge"),
        visits_per_week=DEFAULT_VISITS_PER_WEEK,
        weeks=DEFAULT_WEEKS,
        running_advice=(),
        source="DOMAIN B7.1 (S82, S83, S63); B7.2 (S122); B7.4 (S128, S135)",
    ),
    PlanRule(
        key="lateral-hip-itb-tfl",
        name="Lateral hip / ITB-TFL tension",
        when_findings=frozenset({"tfl_itb_tension", "itb_tfl_pain"}),
        items=_items("tfl-itb-soft-tissue", "foam-rolling", "side-lying-hip-abduction"),
        visits_per_week=DEFAULT_VISITS_PER_WEEK,
        weeks=DEFAULT_WEEKS,
        running_advice=(
            _SHORTER_STRIDE,
            "Try running on a different surface for a while, or a change of running shoes.",
        ),
        source="DOMAIN Part A (lateral hip pain: shorter stride, change of surface or shoes); B7.1; B7.3 (S120, S129)",
        notes=("ITB / TFL pain overlaps with gluteal tendinopathy (B7.1); check the greater trochanter (B4, S77).",),
    ),
    PlanRule(
        key="gluteal-tendinopathy",
        name="Gluteal tendinopathy programme",
        when_findings=frozenset({"gluteal_tendinopathy"}),
        items=_items("side-lying-hip-abduction", "glute-bridge"),
        visits_per_week=DEFAULT_VISITS_PER_WEEK,
        weeks=8,  # DOMAIN B7.4 (S131): the LEAP trial's 8-week education-plus-exercise programme.
        running_advice=(
            "Avoid lying on the painful side unless you have a pillow between your knees.",
            "Avoid sitting or standing with your legs crossed. Positions that bring the knee across your body press "
            "on the sore tendons at the side of the hip.",
        ),
        source="DOMAIN B7.4 (S131, S133, S134); B7.5 (S132); B7.1",
        notes=(
            "Programme of load-management education plus exercise (LEAP, B7.4 S131); more than 35 % did not improve "
            "over 12 weeks (S133).",
        ),
        schedule_source=f"DOMAIN B7.4 (S131): 8 weeks; visits per week: {SILENT}",
    ),
    PlanRule(
        key="core-control",
        name="Trunk and single-leg control",
        when_findings=frozenset(
            {
                "fms_low_composite",
                "fms_score_one_trunk_stability_pushup",
                "fms_score_one_rotary_stability",
                "fms_asymmetry_rotary_stability",
                "poor_single_leg_control",
            }
        ),
        items=_items("plank", "side-plank", "bird-dog", "single-leg-deadlift"),
        visits_per_week=DEFAULT_VISITS_PER_WEEK,
        weeks=DEFAULT_WEEKS,
        running_advice=(),
        source=(
            "DOMAIN Part A (weak abdominal and back muscles; prevention defaults); B1.4 (S15, S16); B7.4 (S128, "
            f"S135); choice of FMS codes: {SILENT}"
        ),
    ),
    PlanRule(
        key="running-form",
        name="Running form",
        when_findings=frozenset(
            {
                "overstriding",
                "forward_lean_from_waist",
                "lumbar_hyperextension",
                "contralateral_hip_drop",
                "knee_valgus",
            }
        ),
        items=(),
        visits_per_week=DEFAULT_VISITS_PER_WEEK,
        weeks=DEFAULT_WEEKS,
        running_advice=(
            "Lean slightly forward from your ankles, not by bending at the waist.",
            _SHORTER_STRIDE,
            "Keep your tummy muscles gently tightened as you run.",
        ),
        source="DOMAIN Part A (running form causes; lean from the ankles, shorter stride, engaged core; gait analysis)",
        notes=("Running form is suspected: consider a gait analysis (Part A).",),
    ),
    PlanRule(
        key="over-pronation",
        name="Over-pronation",
        when_findings=frozenset({"overpronation"}),
        items=(),
        visits_per_week=DEFAULT_VISITS_PER_WEEK,
        weeks=DEFAULT_WEEKS,
        running_advice=(
            "Your feet roll inwards a lot as you run. A change of running shoes, or shoe inserts (orthotics), may "
            "help.",
        ),
        source="DOMAIN Part A (footwear change or orthotics for over-pronation; podiatrist if severe)",
        notes=("Refer to a podiatrist if the over-pronation is severe (Part A).",),
    ),
    PlanRule(
        key="structural-leg-length",
        name="Structural leg-length discrepancy",
        when_findings=frozenset({"leg_length_discrepancy"}),
        when_detail="structural",
        items=(),
        visits_per_week=DEFAULT_VISITS_PER_WEEK,
        weeks=DEFAULT_WEEKS,
        running_advice=(
            # The lift goes on the short side (B3.1: blocks under the short side); the finding's side is the short
            # leg.
            "A thin lift inside your {side} shoe, under your {side} heel, may help even out your leg lengths. Start "
            "with no more than about 6 mm. We will check it within a week; if it has not helped, take it out.",
        ),
        source="DOMAIN Part A 'Heel lift'; B3.3 (S44, S48, S49)",
        notes=(
            "Heel lift only for a confirmed structural discrepancy, never on a hunch; start at most ~6 mm in the "
            "shoe, re-check within a week, remove if no relief (Part A; B3.3). Address functional asymmetry before "
            "treating an anatomic discrepancy (B3.3, S44).",
        ),
    ),
    PlanRule(
        key="running-load",
        name="Running load",
        when_findings=frozenset(),
        when_load_facts=frozenset({"distance_progression", "single_run_spike"}),
        items=(),
        visits_per_week=DEFAULT_VISITS_PER_WEEK,
        weeks=DEFAULT_WEEKS,
        running_advice=(
            _REDUCE_MILEAGE,
            "When the pain allows, build your weekly distance back up gradually.",
            "Avoid single runs that are much longer than your longest run of the past month.",
            "As a cautious guide, add about 10 % to your weekly distance at a time. This is a guide only, not a "
            "guarantee against injury.",
        ),
        source="DOMAIN A 'Load management'; B8 (S150, S151, S153)",
    ),
    PlanRule(
        key="non-specific-back-pain",
        name="Non-specific low-back pain",
        when_findings=frozenset({"non_specific_low_back_pain"}),
        when_intake=frozenset({"back_pain"}),
        items=_items("lumbar-hvla-thrust", "paraspinal-massage", "damp-heat", "glute-bridge", "plank", "bird-dog"),
        visits_per_week=DEFAULT_VISITS_PER_WEEK,
        weeks=DEFAULT_WEEKS,
        running_advice=(_REDUCE_MILEAGE,),
        source=(
            "DOMAIN B7.1 (S110, S120); B7.2 (S121); B7.3 (S120); Part A (damp heat and reduced mileage for relief; "
            "strengthening back and abdominal muscles in most low-back pain)"
        ),
    ),
    PlanRule(
        key="base-programme",
        name="Base programme: the two most prescribed corrective exercises",
        when_findings=frozenset(),
        always=True,
        items=_items("hip-flexor-stretch", "glute-bridge"),
        visits_per_week=DEFAULT_VISITS_PER_WEEK,
        weeks=DEFAULT_WEEKS,
        running_advice=("Warm up before each run with a few minutes of easy, moving exercises.",),
        source=(
            "DOMAIN Part A (the most prescribed corrective exercises: hip-flexor stretch and glute bridge; dynamic "
            "warm-up before runs)"
        ),
    ),
)
PLAN_RULES: tuple[PlanRule, ...] = tuple(in_readers_words(rule) for rule in CITED_PLAN_RULES)
PLAN_RULES_BY_KEY: dict[str, PlanRule] = {rule.key: rule for rule in PLAN_RULES}


# --- Contraindications ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Contraindication:
    """Active when any of its conditions holds (a finding, or an OPEN red flag of a tier or code)."""

    key: str
    name: str
    hard: bool  # True: hard block; False: soft - left out of the draft, the clinician may add it back with a reason
    reason: str  # shown to the clinician
    source: str
    when_findings: frozenset[str] = frozenset()
    when_red_flag_tiers: frozenset[str] = frozenset()
    when_red_flag_codes: frozenset[str] = frozenset()
    excludes_tags: frozenset[str] = frozenset()
    excludes_prongs: frozenset[Prong] = frozenset()
    blocks_plan: bool = False
    referral: str = ""


CITED_CONTRAINDICATIONS: tuple[Contraindication, ...] = (
    Contraindication(
        key="emergency-red-flag",
        name="Emergency red flag",
        when_red_flag_tiers=frozenset({"emergency"}),
        excludes_prongs=frozenset(PRONG_ORDER),
        blocks_plan=True,
        hard=True,
        reason="An emergency red flag is open: plan generation and all manual therapy are blocked.",
        referral=(
            "Emergency care now: the patient must go to emergency care at once (same day); confirm they have gone."
        ),
        source="DOMAIN A 'Red flags'; B6.1, B6.2 (S110–S113); B7.5",
    ),
    Contraindication(
        key="urgent-red-flag",
        name="Urgent red flag",
        when_red_flag_tiers=frozenset({"urgent"}),
        excludes_tags=frozenset({"spinal_thrust"}),
        hard=True,
        reason=(
            "An urgent red flag is open: spinal manipulation is blocked until a clinician records medical clearance."
        ),
        referral="Urgent medical review: record medical clearance before any spinal manipulation.",
        source="DOMAIN A 'Red flags'; B6.1, B6.2 (S110, S111, S114–S118)",
    ),
    Contraindication(
        # B7.2 absolute contraindications that map to intake red flags: spinal infection, malignancy (bone tumour),
        # severe osteoporosis / fracture. They block lumbar, SI and hip thrust (B7.5), not only spinal thrust.
        # The emergency ones (cauda equina, fracture after major trauma, aortic aneurysm, progressive neurological
        # deficit) are covered by the plan block above.
        key="manipulation-absolute-red-flag",
        name="Absolute contraindication to thrust manipulation",
        when_red_flag_codes=frozenset({"infection_signs", "cancer_history", "fragility_fracture"}),
        excludes_tags=frozenset({"thrust"}),
        hard=True,
        reason=(
            "A red flag matching an absolute contraindication to manipulation (infection, malignancy, fragility "
            "fracture / severe osteoporosis) is open: no lumbar, SI or hip thrust."
        ),
        source="DOMAIN B7.2 (S123–S126); B7.5",
    ),
    Contraindication(
        key="radicular-hamstring-stretch",
        name="Radicular signs: no sustained hamstring stretching",
        when_findings=frozenset({"neural_tension_positive", "lumbar_radiculopathy"}),
        excludes_tags=frozenset({"hamstring_stretch"}),
        hard=False,
        reason=(
            "Positive SLR / slump or radicular leg pain: tensioning an irritated nerve can increase radiating "
            "symptoms; use gentle nerve glides instead (weak evidence; the clinic's method: stretching the "
            "hamstring aggravates sciatica)."
        ),
        source="DOMAIN B7.5 (S136, S138; weak); Part A",
    ),
    Contraindication(
        key="radicular-thrust-relative",
        name="Radicular signs: relative contraindication to thrust",
        when_findings=frozenset({"neural_tension_positive", "lumbar_radiculopathy"}),
        excludes_tags=frozenset({"thrust"}),
        hard=False,
        reason=(
            "Disc herniation with radicular syndrome is a relative contraindication to thrust manipulation: "
            "acknowledge before adding it."
        ),
        source="DOMAIN A 'Manipulation'; B7.2 relative contraindications (S124, S125)",
    ),
    Contraindication(
        key="gluteal-tendinopathy-compression",
        name="Gluteal tendinopathy: no adducted stretches or trochanter compression",
        when_findings=frozenset({"gluteal_tendinopathy"}),
        excludes_tags=frozenset({"itb_stretch", "adducted_piriformis_stretch", "compression_trochanter"}),
        hard=False,
        reason=(
            "Gluteal tendinopathy: hip adduction compresses the gluteal tendons against the greater trochanter; "
            "no ITB stretches, crossed-leg / adducted piriformis stretches or deep pressure over the trochanter "
            "(moderate evidence)."
        ),
        source="DOMAIN A 'Contraindications'; B7.3, B7.5 (S132; moderate)",
    ),
    Contraindication(
        key="fai-deep-flexion-adduction",
        name="Suspected FAI: no deep hip flexion with adduction",
        when_findings=frozenset({"fai_suspected"}),
        excludes_tags=frozenset({"deep_hip_flexion_adduction"}),
        hard=False,
        reason=(
            "Suspected FAI: deep end-range hip flexion stretches with adduction / internal rotation can provoke "
            "impingement (unverified)."
        ),
        source="DOMAIN B7.5 (unverified)",
    ),
)
CONTRAINDICATIONS: tuple[Contraindication, ...] = tuple(in_readers_words(item) for item in CITED_CONTRAINDICATIONS)
CONTRAINDICATIONS_BY_KEY: dict[str, Contraindication] = {item.key: item for item in CONTRAINDICATIONS}

# B7.5 / B7.2 rows not encoded, and why: shown in docs and checked by the library tests.
NOT_ENCODED: tuple[tuple[str, str], ...] = (
    (
        "Flexion-intolerant / peripheralises with flexion (B7.5, weak, S137)",
        "No finding or clinician condition code records flexion intolerance yet; the 'flexion' tag is on cat-cow "
        "and child's pose so a future code can exclude them.",
    ),
    (
        "Sleeping on the affected side without a pillow in gluteal tendinopathy (B7.5)",
        "Not an intervention: given as running / daily-life advice in the gluteal tendinopathy rule.",
    ),
    (
        "Seated toe-touch and long holds in slump-type positions with radicular pain (B7.5)",
        "Not in the seed library; add the 'hamstring_stretch' tag to such an item to exclude it.",
    ),
    (
        "Manipulation contraindications without an intake or finding code (B7.2): acute inflammatory arthropathy, "
        "ligament rupture / instability, bleeding disorder or anticoagulation, spondylolisthesis, pregnancy, "
        "hypermobility, osteopenia, benign bone tumour, post-surgical joint, long-term corticosteroids",
        "No code records them; the clinician checks them before any thrust.",
    ),
)

# Tags a contraindication reads that no seeded intervention carries, with why they are kept. Empty today: every
# tag the seeded contraindications read is on at least one seeded intervention (checked by the library tests).
# A clinic-added hip thrust should carry the "thrust" tag, which the absolute and relative thrust rows read.
DOCUMENTED_UNUSED_TAGS: dict[str, str] = {}
