"""Clinical thresholds: every one a clinic setting whose default comes from DOMAIN.md (stated in
``domain/facts.py``, which the pure rules share).

The table below is the single list; a clinic admin overrides values on the settings page
(stored as ``ClinicThreshold`` rows). Code reads them with ``for_clinic(clinic)``.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from domain.facts import MCID_DEFAULTS, THRESHOLD_DEFAULTS


@dataclass(frozen=True)
class Threshold:
    key: str
    default: Decimal
    label: str
    unit: str
    minimum: Decimal
    maximum: Decimal
    source: str
    help: str = ""


def _clinical(key: str) -> Decimal:
    """A clinical default is stated once, beside the pure rules that take it as their default."""
    return Decimal(THRESHOLD_DEFAULTS[key])


THRESHOLDS: tuple[Threshold, ...] = (
    Threshold(
        "intake_link_days",
        Decimal(14),
        "Intake link valid for",
        "days",
        Decimal(1),
        Decimal(90),
        "Product decision (issue 3)",
    ),
    Threshold(
        "odi_min_sections",
        _clinical("odi_min_sections"),
        "ODI: fewest sections answered to score",
        "sections",
        Decimal(1),
        Decimal(10),
        "DOMAIN A; B5.1 (S90, S93)",
        "A policy choice: the ODI authors give no firm minimum.",
    ),
    Threshold(
        "load_progression_pct",
        _clinical("load_progression_pct"),
        "Flag a two-week increase in weekly distance above",
        "%",
        Decimal(5),
        Decimal(200),
        "DOMAIN A; B8 (S151)",
        "Borderline evidence (p = 0.07); a prompt to discuss load, not a rule.",
    ),
    Threshold(
        "load_spike_pct",
        _clinical("load_spike_pct"),
        "Flag a single run longer than this share of the 30-day longest run",
        "%",
        Decimal(100),
        Decimal(300),
        "DOMAIN A; B8 (S153)",
    ),
    Threshold(
        "caution_age_over",
        _clinical("caution_age_over"),
        "Caution flag: back pain over the age of",
        "years",
        Decimal(30),
        Decimal(80),
        "DOMAIN A; B6.1 (S110, S114)",
        "Sources use 50 or 55.",
    ),
    Threshold(
        "caution_age_under",
        _clinical("caution_age_under"),
        "Caution flag: back pain under the age of",
        "years",
        Decimal(10),
        Decimal(30),
        "DOMAIN A; B6.1 (S110, S114)",
        "Sources use 16 to 20.",
    ),
)
THRESHOLDS += (
    Threshold(
        "rom_asymmetry_deg",
        _clinical("rom_asymmetry_deg"),
        "Hip ROM: flag a left-right difference of at least",
        "degrees",
        Decimal(3),
        Decimal(45),
        "DOMAIN A; B2.2 (S27)",
        "Ellison's equality band, not a validated pathology threshold.",
    ),
    Threshold(
        "rom_mdc_deg",
        _clinical("rom_mdc_deg"),
        "Hip ROM: smallest real change (MDC)",
        "degrees",
        Decimal(1),
        Decimal(20),
        "DOMAIN A; B2.3 (S29)",
        "Unverified as a universal value: replace with device-specific MDCs when known.",
    ),
    Threshold(
        "fms_low_composite",
        _clinical("fms_low_composite"),
        "FMS: show the screening cue at a composite of at most",
        "points",
        Decimal(0),
        Decimal(21),
        "DOMAIN A; B1.4 (S11, S14)",
        "A screening cue only, never an injury prediction.",
    ),
    Threshold(
        "fms_total_mdc",
        _clinical("fms_total_mdc"),
        "FMS: smallest real change in the composite (MDC95)",
        "points",
        Decimal(1),
        Decimal(10),
        "DOMAIN B1.4 (S10, secondary)",
    ),
    Threshold(
        "lld_normal_below_mm",
        _clinical("lld_normal_below_mm"),
        "Leg length: normal variation below",
        "mm",
        Decimal(1),
        Decimal(20),
        "DOMAIN A; B3.2",
        "A synthesis of disagreeing sources, not a published classification.",
    ),
    Threshold(
        "lld_significant_from_mm",
        _clinical("lld_significant_from_mm"),
        "Leg length: significant from",
        "mm",
        Decimal(5),
        Decimal(60),
        "DOMAIN A; B3.2 (S43, S46)",
    ),
)
THRESHOLDS += (
    Threshold(
        "reminder_first_hours",
        Decimal(48),
        "First appointment reminder, hours before the visit",
        "hours",
        Decimal(1),
        Decimal(336),
        "Product default (issue 7); not clinical",
    ),
    Threshold(
        "reminder_second_hours",
        Decimal(2),
        "Second appointment reminder, hours before the visit (0: none)",
        "hours",
        Decimal(0),
        Decimal(48),
        "Product default (issue 7); not clinical",
    ),
)

THRESHOLDS += (
    Threshold(
        "portal_link_days",
        Decimal(30),
        "Patient portal link valid for",
        "days",
        Decimal(1),
        Decimal(180),
        "Product default (issue 7); not clinical",
    ),
)

THRESHOLDS += (
    Threshold(
        "intake_nudge_days",
        Decimal(3),
        "Nudge about an unfinished intake, days after its link was sent (0: none)",
        "days",
        Decimal(0),
        Decimal(30),
        "Product default (issue 7); not clinical",
    ),
    Threshold(
        "check_in_days",
        Decimal(3),
        "Home-program check-in message, days after a plan is signed (0: none)",
        "days",
        Decimal(0),
        Decimal(30),
        "Product default (issue 7); not clinical",
        "Not sent when the patient is already logging the home program.",
    ),
    Threshold(
        "reassessment_notice_days",
        Decimal(7),
        "Re-assessment reminder, days before the signed plan ends (0: none)",
        "days",
        Decimal(0),
        Decimal(60),
        "Product default (issue 7); not clinical",
        "Not sent when a re-assessment visit is booked.",
    ),
    Threshold(
        "reminder_opt_out_link_days",
        Decimal(90),
        "Stop-reminders link in a reminder valid for",
        "days",
        Decimal(1),
        Decimal(365),
        "Product default (issue 7); not clinical",
    ),
)

THRESHOLDS += (
    Threshold(
        "note_unsigned_hours",
        _clinical("note_unsigned_hours"),
        "Visit notes: list an unsigned note as to finish after",
        "hours",
        Decimal(1),
        Decimal(336),
        "DOMAIN A; B12.2 (S221, S222)",
        "Sign on the day of the visit where you can; one payer's guidance accepts 24 to 48 hours.",
    ),
    Threshold(
        "progress_report_treatment_days",
        _clinical("progress_report_treatment_days"),
        "Progress reports: one at least every",
        "treatment days",
        Decimal(2),
        Decimal(60),
        "DOMAIN A 'Progress report / recertification'; B12.3 (S215)",
        "The US Medicare Part B rule, counted from the first day of the episode; used only when progress reports "
        "are turned on in the clinic details. Other payers and countries set no such interval.",
    ),
    Threshold(
        "plan_certification_days",
        _clinical("plan_certification_days"),
        "Plan of care: certified for at most",
        "calendar days",
        Decimal(30),
        Decimal(90),
        "DOMAIN A 'Progress report / recertification'; B12.3 (S216)",
        "The US Medicare Part B rule: counted from the first treatment, and again from each re-certification by "
        "the physician or non-physician practitioner; treatment beyond it needs a re-certification. Used only "
        "when progress reports are turned on in the clinic details.",
    ),
)

# Readiness to start running. The source is cited in the reader's words: its id is not in domain/citations.py.
_RTR_SOURCE = (
    "DOMAIN A 'Return-to-run readiness (hip)'; B10.1; IJSPT 2022, one author's recommendation (expert opinion)"
)
THRESHOLDS += (
    Threshold(
        "rtr_y_balance_lsi_pct",
        _clinical("rtr_y_balance_lsi_pct"),
        "Return to running: Y-balance limb symmetry index of at least",
        "%",
        Decimal(50),
        Decimal(100),
        _RTR_SOURCE,
        "LSI = involved ÷ uninvolved × 100 for each reach direction; the formula and whether reaches are "
        "normalised to limb length are unverified.",
    ),
    Threshold(
        "rtr_hos_adl_pct",
        _clinical("rtr_hos_adl_pct"),
        "Return to running: HOS activities of daily living above",
        "%",
        Decimal(0),
        Decimal(100),
        _RTR_SOURCE,
    ),
    Threshold(
        "rtr_hos_sport_pct",
        _clinical("rtr_hos_sport_pct"),
        "Return to running: HOS sport above",
        "%",
        Decimal(0),
        Decimal(100),
        _RTR_SOURCE,
    ),
)


_RTR_HELP = (
    "Part of the return-to-run pain rule. The combination of these limits is our own; the pain-monitoring model "
    "behind it was tested in Achilles tendinopathy, so using it for hip and low-back pain is an extrapolation."
)
THRESHOLDS += (
    Threshold(
        "rtr_step_back_pain",
        _clinical("rtr_step_back_pain"),
        "Return to run: propose a step back when pain during a run is above",
        "/10",
        Decimal(1),
        Decimal(10),
        "DOMAIN A 'Pain monitoring'; B10.3 (S180, S181, S183)",
        _RTR_HELP,
    ),
    Threshold(
        "rtr_hold_pain",
        _clinical("rtr_hold_pain"),
        "Return to run: propose holding the phase when pain during a run is at least",
        "/10",
        Decimal(1),
        Decimal(10),
        "DOMAIN B10.3 (S181)",
        _RTR_HELP,
    ),
    Threshold(
        "rtr_progress_max_pain",
        _clinical("rtr_progress_max_pain"),
        "Return to run: progress only when pain during a run is at most",
        "/10",
        Decimal(0),
        Decimal(10),
        "DOMAIN B10.3 (S178, S181)",
        _RTR_HELP,
    ),
    Threshold(
        "rtr_sessions_per_phase",
        _clinical("rtr_sessions_per_phase"),
        "Return to run: sessions done in a phase before progressing",
        "sessions",
        Decimal(1),
        Decimal(10),
        "DOMAIN A 'Walk-run progression'; B10.2 (S178)",
        "The published return-to-run program asks for each phase at least twice.",
    ),
)


_UNVERIFIED_TOLERANCE = (
    "No published value: a product choice, unverified. A file that matches is shown to the clinician to decide."
)
THRESHOLDS += (
    Threshold(
        "duplicate_start_minutes",
        _clinical("duplicate_start_minutes"),
        "Device files: a run counts as possibly the same as one already logged when their times overlap, "
        "each widened by",
        "minutes",
        Decimal(0),
        Decimal(240),
        "DOMAIN A 'Import pitfalls'; B11.2",
        _UNVERIFIED_TOLERANCE,
    ),
    Threshold(
        "duplicate_distance_pct",
        _clinical("duplicate_distance_pct"),
        "Device files: and their distances differ by at most",
        "%",
        Decimal(0),
        Decimal(100),
        "DOMAIN A 'Import pitfalls'; B11.2",
        _UNVERIFIED_TOLERANCE,
    ),
)


def _mcid(key: str) -> Decimal:
    return Decimal(MCID_DEFAULTS[key])


def _mcid_pct(key: str) -> Decimal:
    """A relative MCID is a share of the baseline in the rules and a percentage on the settings page."""
    return (Decimal(MCID_DEFAULTS[key]) * 100).quantize(Decimal(1))


_OSTELO = "Ostelo et al. 2008 (Spine), international consensus"
THRESHOLDS += (
    Threshold(
        "odi_mcid_points",
        _mcid("odi_mcid_points"),
        "ODI: meaningful improvement of at least",
        "points",
        Decimal(1),
        Decimal(50),
        _OSTELO,
        "Either this or the relative improvement below counts.",
    ),
    Threshold(
        "odi_mcid_relative_pct",
        _mcid_pct("odi_mcid_relative"),
        "ODI: or a meaningful improvement of at least this share of the baseline",
        "%",
        Decimal(5),
        Decimal(100),
        _OSTELO,
    ),
    Threshold(
        "lefs_mcid",
        _mcid("lefs_mcid"),
        "LEFS: meaningful improvement of at least",
        "points",
        Decimal(1),
        Decimal(40),
        "Binkley et al. 1999 (Physical Therapy)",
    ),
    Threshold(
        "nprs_mcid_points",
        _mcid("nprs_mcid_points"),
        "NPRS: meaningful improvement of at least",
        "points",
        Decimal(1),
        Decimal(10),
        "Childs et al. 2005 (Spine)",
        "Either this or the relative improvement below counts.",
    ),
    Threshold(
        "nprs_mcid_relative_pct",
        _mcid_pct("nprs_mcid_relative"),
        "NPRS: or a meaningful improvement of at least this share of the baseline",
        "%",
        Decimal(5),
        Decimal(100),
        _OSTELO,
    ),
)

_MARTIN = "Martin et al. 2008 (Arthroscopy), after hip arthroscopy"
_NON_OPERATIVE = "published non-operative hip pain cohort"
THRESHOLDS += (
    Threshold(
        "hos_adl_mcid",
        _mcid("hos_adl_mcid"),
        "HOS activities of daily living: meaningful improvement of at least",
        "points",
        Decimal(1),
        Decimal(50),
        _MARTIN,
        "Measured in patients after hip arthroscopy; the measurement error is about 3 points.",
    ),
    Threshold(
        "hos_sport_mcid",
        _mcid("hos_sport_mcid"),
        "HOS sport: meaningful improvement of at least",
        "points",
        Decimal(1),
        Decimal(50),
        _MARTIN,
        "Measured in patients after hip arthroscopy; the measurement error is about 3 points.",
    ),
    Threshold(
        "hos_adl_pass",
        _clinical("hos_adl_pass"),
        "HOS activities of daily living: acceptable state at or above",
        "%",
        Decimal(1),
        Decimal(100),
        "Hoit et al. 2026 (AJSM), non-operative hip impingement; read in a summary only",
        "The score at which patients with hip impingement treated without surgery rated their state acceptable. "
        "No acceptable-state value is published for HOS sport, VISA-G or the PSFS.",
    ),
    Threshold(
        "ihot12_mcid",
        _mcid("ihot12_mcid"),
        "iHOT-12: meaningful improvement of at least",
        "points",
        Decimal(1),
        Decimal(50),
        _NON_OPERATIVE,
        "Clinic default: 14, the smallest important improvement in hip pain treated without surgery. After hip "
        "arthroscopy the published value is 13 (from the spread of scores, not from patients' ratings).",
    ),
    Threshold(
        "ihot12_pass",
        _clinical("ihot12_pass"),
        "iHOT-12: acceptable state at or above",
        "points",
        Decimal(1),
        Decimal(100),
        _NON_OPERATIVE,
        "63 in hip pain treated without surgery and after arthroscopy; one UK cohort found 59.5.",
    ),
    Threshold(
        "psfs_mdc_mean",
        _mcid("psfs_mdc_mean"),
        "PSFS: smallest real change of the mean",
        "points",
        Decimal(1),
        Decimal(10),
        "published PSFS scoring guide",
        "A measurement error (90 % confidence), not a patient-rated important change.",
    ),
    Threshold(
        "psfs_mdc_single",
        _mcid("psfs_mdc_single"),
        "PSFS: smallest real change of one activity",
        "points",
        Decimal(1),
        Decimal(10),
        "published PSFS scoring guide",
        "A measurement error (90 % confidence), not a patient-rated important change.",
    ),
    Threshold(
        "hos_max_unanswered",
        _clinical("hos_max_unanswered"),
        "HOS: items that may be left unanswered and still score (each subscale)",
        "items",
        Decimal(0),
        Decimal(4),
        "Clinic default",
        "No published rule on missing items was found; by default every scored item must be answered or marked "
        "not applicable.",
    ),
    Threshold(
        "ihot12_max_unanswered",
        _clinical("ihot12_max_unanswered"),
        "iHOT-12: items that may be left unanswered and still score",
        "items",
        Decimal(0),
        Decimal(4),
        "Clinic default",
        "No published rule on missing items was found (unverified); by default all 12 items must be answered.",
    ),
)

# Discharge and follow-up (notes/discharge_rules.py): product defaults, not clinical facts.
THRESHOLDS += (
    Threshold(
        "lapsed_after_weeks",
        Decimal(6),
        "List an open episode as lapsed after this many weeks without a visit",
        "weeks",
        Decimal(1),
        Decimal(52),
        "Product decision (clinic default); no published source",
        "Only when no visit is booked ahead. The front desk may then discharge it as 'stopped attending'.",
    ),
    Threshold(
        "follow_up_months",
        Decimal(3),
        "Send the outcome questionnaires again, months after discharge (0: never)",
        "months",
        Decimal(0),
        Decimal(24),
        "Product default; not clinical",
        "Only to patients who agreed to follow-up questionnaires.",
    ),
)

# The runner's run log (DOMAIN A "Runner's post-run log", "B8 load flags during return to run"): product
# decisions, not clinical facts, so their defaults live here rather than in domain/facts.py.
THRESHOLDS += (
    Threshold(
        "run_morning_prompt_hour",
        Decimal(8),
        "Runner's next-morning pain question: sent at (hour of the day)",
        "o'clock",
        Decimal(5),
        Decimal(12),
        "Product decision: no published source",
        "The morning after a logged run, in the clinic's time zone; still held back during quiet hours.",
    ),
    Threshold(
        "run_protocol_distance_tolerance_pct",
        Decimal(10),
        "Return to run: a run counts as the prescribed session within",
        "% of the phase's distance",
        Decimal(0),
        Decimal(50),
        "Product decision: no published source",
        "A run this close to the distance of the runner's current phase is labelled protocol-planned; "
        "its load flags are then shown as information only.",
    ),
)

# The clinic outcomes page (notes/outcomes.py): a product default, not a clinical fact.
THRESHOLDS += (
    Threshold(
        "outcomes_min_group",
        Decimal(5),
        "Outcomes page: judge a group only from this many discharged episodes",
        "episodes",
        Decimal(3),
        Decimal(100),
        "Product decision (clinic default); no published source",
        "Smaller groups show their number of episodes and 'too few to judge', so no figure rests on a handful of "
        "patients who could be recognised.",
    ),
)

BY_KEY = {threshold.key: threshold for threshold in THRESHOLDS}


def for_clinic(clinic) -> dict[str, Decimal]:
    """Every threshold for ``clinic``: its own value where it set one, the default otherwise."""
    values = {threshold.key: threshold.default for threshold in THRESHOLDS}
    if clinic is not None:
        values.update(clinic.thresholds.filter(key__in=BY_KEY).values_list("key", "value"))
    return values


def mcid(values: dict[str, Decimal]) -> dict[str, Decimal]:
    """A clinic's MCIDs (from ``for_clinic``) as ``intake.scoring.is_meaningful_change``'s keyword arguments."""
    return {
        "odi_mcid_points": values["odi_mcid_points"],
        "odi_mcid_relative": values["odi_mcid_relative_pct"] / 100,
        "lefs_mcid": values["lefs_mcid"],
        "nprs_mcid_points": values["nprs_mcid_points"],
        "nprs_mcid_relative": values["nprs_mcid_relative_pct"] / 100,
        **{key: values[key] for key in ("hos_adl_mcid", "hos_sport_mcid", "ihot12_mcid")},
        **{key: values[key] for key in ("psfs_mdc_mean", "psfs_mdc_single")},
    }
