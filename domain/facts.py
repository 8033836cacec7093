"""Clinical facts from DOMAIN.md that more than one module uses: score ranges, MCIDs and the
defaults of the clinic's clinical thresholds.

A clinic overrides a threshold on its settings page (``clinic/thresholds.py`` lists each with its
label, bounds and source); the pure rules take these values as their keyword defaults.
"""

from __future__ import annotations

from decimal import Decimal

# DOMAIN A: NPRS 0-10, ODI 0-100 %, LEFS 0-80.
SCORE_RANGES: dict[str, tuple[int, int]] = {"nprs": (0, 10), "odi": (0, 100), "lefs": (0, 80)}

# DOMAIN B5.1-B5.3, B5.7 (S94, S97, S100): the smallest improvement that counts, in points or as a share of
# the baseline; a clinic overrides them on its settings page. The keys are ``intake.scoring.is_meaningful_change``'s
# keyword arguments.
MCID_DEFAULTS: dict[str, int | Decimal] = {
    "odi_mcid_points": 10,
    "odi_mcid_relative": Decimal("0.30"),
    "lefs_mcid": 9,
    "nprs_mcid_points": 2,
    "nprs_mcid_relative": Decimal("0.30"),
}

# The clinical thresholds' defaults, keyed as in clinic/thresholds.py (sources there).
THRESHOLD_DEFAULTS: dict[str, int | Decimal] = {
    "odi_min_sections": 8,  # DOMAIN A; B5.1 (S90, S93)
    "load_progression_pct": 30,  # DOMAIN A; B8 (S151)
    "load_spike_pct": 110,  # DOMAIN A; B8 (S153)
    "caution_age_over": 50,  # DOMAIN A; B6.1 (S110, S114)
    "caution_age_under": 20,  # DOMAIN A; B6.1 (S110, S114)
    "rom_asymmetry_deg": 10,  # DOMAIN A; B2.2 (S27)
    "rom_mdc_deg": 5,  # DOMAIN A; B2.3 (S29)
    "fms_low_composite": 14,  # DOMAIN A; B1.4 (S11, S14)
    "fms_total_mdc": Decimal("2.5"),  # DOMAIN B1.4 (S10, secondary)
    "lld_normal_below_mm": 5,  # DOMAIN A; B3.2
    "lld_significant_from_mm": 20,  # DOMAIN A; B3.2 (S43, S46)
    # One contractor's guidance, not a rule: CMS sets no fixed period.
    "note_unsigned_hours": 48,  # DOMAIN A "Signing and corrections"; B12.2 (S221, S222)
    # US Medicare Part B: a progress report at least once every 10 treatment days, counted from the first day
    # of the episode; used only where the clinic turns progress reports on (off by default for other payers).
    "progress_report_treatment_days": 10,  # DOMAIN A "Progress report / recertification"; B12.3 (S215)
    # US Medicare Part B: the plan of care is certified for at most 90 calendar days from the initial treatment;
    # treatment beyond needs a recertification. Same switch as the progress reports.
    "plan_certification_days": 90,  # DOMAIN A "Progress report / recertification"; B12.3 (S216)
    # Readiness to start running: one author's recommendation (expert opinion); the LSI formula is unverified.
    "rtr_y_balance_lsi_pct": 85,  # DOMAIN A "Return-to-run readiness (hip)"; B10.1 (S177, S188)
    "rtr_hos_adl_pct": 95,  # DOMAIN A "Return-to-run readiness (hip)"; B10.1 (S177), B12.4
    "rtr_hos_sport_pct": 90,  # DOMAIN A "Return-to-run readiness (hip)"; B10.1 (S177), B12.4
}

# --- Hip and tendon measures and the PSFS (DOMAIN A "Hip/tendon PROMs", "PSFS"; B5.4, B12.4) --------------------
# HOS subscales, iHOT-12 and VISA-G are 0-100 (B12.4, S230, S234, S240); the PSFS mean is 0-10 (B5.4, S103).
SCORE_RANGES |= {"hos_adl": (0, 100), "hos_sport": (0, 100), "ihot12": (0, 100), "visag": (0, 100), "psfs": (0, 10)}

MCID_DEFAULTS |= {
    "hos_adl_mcid": 9,  # B12.4 (S232, post-arthroscopy)
    "hos_sport_mcid": 6,  # B12.4 (S232, post-arthroscopy)
    # B12.4: MCID 13.0 after arthroscopy (S235) or MCII 14 in non-operative hip pain (S236). Runners in this
    # product are mostly treated without surgery, so the non-operative value is the default.
    "ihot12_mcid": 14,
    "psfs_mdc_mean": 2,  # B5.4 (S103): MDC (90 %) of the mean
    "psfs_mdc_single": 3,  # B5.4 (S103): MDC (90 %) of one activity
}
# VISA-G has no MCID: "MCID unverified" (B12.4, S239).

THRESHOLD_DEFAULTS |= {
    # Patient-acceptable symptom state, reached at or above the value (the direction of "acceptable" for a
    # higher-is-better score; DOMAIN.md is silent on whether the edge itself counts: it does here).
    "hos_adl_pass": 66,  # B12.4 (S233, secondary; non-operative FAIS)
    "ihot12_pass": 63,  # B12.4 (S236 non-operative; S235 post-arthroscopy gives 63.0 too)
    # Missing items: DOMAIN B12.4 finds no published minimum for the HOS and calls the iHOT-12 rule unverified;
    # its default is to score only when every item is answered (or N/A for the HOS). A clinic may allow a few.
    "hos_max_unanswered": 0,
    "ihot12_max_unanswered": 0,
    # Return-to-run pain-monitoring rule: the combination of sourced pieces is our own, and the model was tested in
    # Achilles tendinopathy, so hip and low-back use is an extrapolation.
    "rtr_step_back_pain": 5,  # DOMAIN A "Pain monitoring"; B10.3 (S180, S181): step back above this during a run
    "rtr_hold_pain": 4,  # DOMAIN B10.3 (S181): hold the phase from this during a run
    "rtr_progress_max_pain": 3,  # DOMAIN B10.3 (S178, S181): progress only at most this during a run
    "rtr_sessions_per_phase": 2,  # DOMAIN A "Walk-run progression"; B10.2 (S178): sessions before progressing
    # Probable duplicate device files: no source gives a tolerance (DOMAIN A "Import pitfalls", B11.2, unverified);
    # these are product choices a clinic edits. Times overlap once each run is widened by the minutes; distances
    # are similar within the percentage of the longer.
    "duplicate_start_minutes": 10,  # DOMAIN A "Import pitfalls" (no sourced default)
    "duplicate_distance_pct": 10,  # DOMAIN A "Import pitfalls" (no sourced default)
}
