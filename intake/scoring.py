"""One scoring engine for every questionnaire in ``intake.instruments`` (DOMAIN A "Questionnaires"; B5.7).

Pure Python (no Django). Scores are exact Decimals, rounded only for ``Score.display``
(DOMAIN A "Units"; B5.1 "Rounding"). Item text never takes part, so the engine is the same
whether an instrument carries licensed text, our own wording or placeholders (DOMAIN B5.6).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Context, Decimal

from domain.facts import MCID_DEFAULTS, THRESHOLD_DEFAULTS
from intake.instruments import INSTRUMENTS, NOT_APPLICABLE, Instrument

# Enough digits for an exact-looking ODI fraction (e.g. 1600/45); independent of the caller's context.
_CONTEXT = Context(prec=28)

# DOMAIN B5.1 (S90, S96) wording for the five ODI bands.
BAND_LABELS: dict[str, str] = {
    "minimal": "Minimal",
    "moderate": "Moderate",
    "severe": "Severe",
    "crippled": "Crippled",
    "bed_bound": "Bed-bound or exaggerating",
}


@dataclass(frozen=True)
class Score:
    instrument: str
    version: str
    value: Decimal | None  # exact (not rounded); None when not scorable
    display: str  # "35.6 %", "62 / 80", "6 / 10" or "Not scored: ..."
    items_answered: int
    items_total: int
    complete: bool  # every non-optional item answered
    scored: bool
    band: str | None  # ODI band code (see BAND_LABELS); None otherwise
    detail: dict = field(default_factory=dict)


def _whole_number(value: object, name: str) -> int:
    """An int, or an integral Decimal (clinic thresholds are stored as Decimals)."""
    if isinstance(value, bool) or not isinstance(value, int | Decimal):
        raise ValueError(f"{name} must be a whole number, not {value!r}")
    if isinstance(value, Decimal) and (not value.is_finite() or value != value.to_integral_value()):
        raise ValueError(f"{name} must be a whole number, not {value}")
    return int(value)


def _checked_answers(instrument: Instrument, answers: Mapping[str, int | None]) -> dict[str, int | None]:
    """Every item code mapped to its answer or None. Refuses unknown codes and values outside the options."""
    unknown = sorted(set(answers) - set(instrument.item_codes))
    if unknown:
        raise ValueError(f"{instrument.code} has no item(s): {', '.join(unknown)}")
    checked: dict[str, int | None] = {}
    for item in instrument.items:
        value = answers.get(item.code)
        if value == NOT_APPLICABLE and item.allows_na:
            checked[item.code] = value
            continue
        # bool is an int in Python; True must not pass as 1.
        if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value not in item.values):
            allowed = ", ".join(str(v) for v in sorted(item.values))
            raise ValueError(f"{instrument.code}.{item.code}: {value!r} is not one of {allowed}")
        checked[item.code] = value
    return checked


def _counts(instrument: Instrument, checked: Mapping[str, int | None]) -> tuple[int, int, bool]:
    answered = sum(1 for value in checked.values() if value is not None)
    complete = all(checked[item.code] is not None for item in instrument.items if not item.optional)
    return answered, len(instrument.items), complete


def odi_band(value: Decimal) -> str:
    """ODI severity band by 20-point steps (DOMAIN B5.1, S90, S96).

    Edges: <= 20 minimal, 20 < x <= 40 moderate, 40 < x <= 60 severe, 60 < x <= 80 crippled,
    > 80 bed_bound. The source states the edges as integers (0-20, 21-40, ...); the convention for
    non-integer scores at the edges is unverified (DOMAIN B5.1), so we compare the exact value.
    """
    if value < 0 or value > 100:
        raise ValueError(f"ODI score must be 0-100, not {value}")
    for upper, band in ((20, "minimal"), (40, "moderate"), (60, "severe"), (80, "crippled")):
        if value <= upper:
            return band
    return "bed_bound"


def _format_one_decimal(value: Decimal) -> str:
    # DOMAIN B5.1: round only for display, 1 decimal. DOMAIN.md is silent on the rounding mode:
    # half-up (with 8-10 sections answered no ODI score ends in exactly .x5 anyway).
    return str(value.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


def _score_odi(instrument: Instrument, checked: Mapping[str, int | None], min_sections: int) -> Score:
    # DOMAIN B5.1, S90, S92, S93: ODI% = 100 x sum / (5 x sections answered); a skipped section takes 5
    # off the denominator (16/45 = 35.6 %); score only if >= min_sections answered (policy, default 8).
    answered, total, complete = _counts(instrument, checked)
    if not 1 <= min_sections <= total:
        raise ValueError(f"odi_min_sections must be 1-{total}, not {min_sections}")
    values = [value for value in checked.values() if value is not None]
    skipped = [code for code, value in checked.items() if value is None]
    detail = {"sum": sum(values), "max_possible": 5 * answered, "skipped": skipped}
    if answered < min_sections:
        return Score(
            instrument=instrument.code,
            version=instrument.version,
            value=None,
            display=f"Not scored: {answered} of {total} sections answered (needs {min_sections})",
            items_answered=answered,
            items_total=total,
            complete=complete,
            scored=False,
            band=None,
            detail=detail,
        )
    value = _CONTEXT.divide(Decimal(100 * sum(values)), Decimal(5 * answered))
    return Score(
        instrument=instrument.code,
        version=instrument.version,
        value=value,
        display=f"{_format_one_decimal(value)} %",
        items_answered=answered,
        items_total=total,
        complete=complete,
        scored=True,
        band=odi_band(value),
        detail=detail,
    )


def _score_lefs(instrument: Instrument, checked: Mapping[str, int | None], require_all: bool) -> Score:
    # DOMAIN B5.2, S97: sum of 20 items 0-4, range 0-80, higher is better.
    # Missing items: DOMAIN found no rule (unverified); default: score only when all 20 are answered.
    # With require_all=False the sum of the answered items is reported as it is (no proration, since
    # DOMAIN.md is silent on any), flagged incomplete in the display; it can only understate function.
    answered, total, complete = _counts(instrument, checked)
    maximum = max(option.value for item in instrument.items for option in item.options) * total
    values = [value for value in checked.values() if value is not None]
    detail = {"skipped": [code for code, value in checked.items() if value is None]}
    if answered == total or (not require_all and answered > 0):
        value = Decimal(sum(values))
        display = f"{value} / {maximum}"
        if answered < total:
            display += f" ({total - answered} of {total} items unanswered)"
        return Score(
            instrument=instrument.code,
            version=instrument.version,
            value=value,
            display=display,
            items_answered=answered,
            items_total=total,
            complete=complete,
            scored=True,
            band=None,
            detail=detail,
        )
    needs = f"needs all {total}" if require_all else "needs at least 1"
    return Score(
        instrument=instrument.code,
        version=instrument.version,
        value=None,
        display=f"Not scored: {answered} of {total} items answered ({needs})",
        items_answered=answered,
        items_total=total,
        complete=complete,
        scored=False,
        band=None,
        detail=detail,
    )


def _score_nprs(instrument: Instrument, checked: Mapping[str, int | None]) -> Score:
    # DOMAIN A / B5.3 (S170): NPRS 0-10 asked as now, best (least) and worst in 24 h. DOMAIN.md is silent
    # on which of the three is "the" score: we report "now" and keep all three in detail.
    answered, total, complete = _counts(instrument, checked)
    if "now" not in checked:
        raise ValueError(f"{instrument.code}: the NPRS rule needs an item 'now'")
    now = checked["now"]
    scored = now is not None
    return Score(
        instrument=instrument.code,
        version=instrument.version,
        value=Decimal(now) if scored else None,
        display=f"{now} / 10" if scored else "Not scored: pain right now not answered",
        items_answered=answered,
        items_total=total,
        complete=complete,
        scored=scored,
        band=None,
        detail=dict(checked),
    )


def score(
    instrument: Instrument,
    answers: Mapping[str, int | str | None],
    *,
    odi_min_sections: int = THRESHOLD_DEFAULTS["odi_min_sections"],
    lefs_require_all: bool = True,
    hos_max_unanswered: int = THRESHOLD_DEFAULTS["hos_max_unanswered"],
    ihot12_max_unanswered: int = THRESHOLD_DEFAULTS["ihot12_max_unanswered"],
) -> Score:
    """Score one instrument's raw answers ({item code: option value or None}).

    Raises ValueError for an item code the instrument does not have or a value that is not one of
    the item's option values (the form validates; the engine refuses too).
    """
    checked = _checked_answers(instrument, answers)
    if instrument.scoring == "odi":
        return _score_odi(instrument, checked, _whole_number(odi_min_sections, "odi_min_sections"))
    if instrument.scoring == "lefs":
        return _score_lefs(instrument, checked, lefs_require_all)
    if instrument.scoring == "nprs":
        return _score_nprs(instrument, checked)
    if instrument.scoring == "hos":
        return _score_hos(instrument, checked, _whole_number(hos_max_unanswered, "hos_max_unanswered"))
    if instrument.scoring == "ihot12":
        return _score_mean(instrument, checked, _whole_number(ihot12_max_unanswered, "ihot12_max_unanswered"))
    if instrument.scoring == "visag":
        return _score_visag(instrument, checked)
    if instrument.scoring == "psfs":
        return _score_psfs(instrument, checked)
    raise ValueError(f"Unknown scoring rule {instrument.scoring!r}")


def _as_decimal(value: object, name: str) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, int | Decimal):
        raise ValueError(f"{name} must be an int or Decimal, not {value!r}")
    result = Decimal(value)
    if not result.is_finite():
        raise ValueError(f"{name} must be finite, not {value}")
    return result


def is_meaningful_change(
    instrument_code: str,
    baseline: Decimal,
    current: Decimal,
    *,
    odi_mcid_points: int | Decimal = MCID_DEFAULTS["odi_mcid_points"],
    odi_mcid_relative: Decimal = MCID_DEFAULTS["odi_mcid_relative"],
    lefs_mcid: int | Decimal = MCID_DEFAULTS["lefs_mcid"],
    nprs_mcid_points: int | Decimal = MCID_DEFAULTS["nprs_mcid_points"],
    nprs_mcid_relative: Decimal = MCID_DEFAULTS["nprs_mcid_relative"],
    hos_adl_mcid: int | Decimal = MCID_DEFAULTS["hos_adl_mcid"],
    hos_sport_mcid: int | Decimal = MCID_DEFAULTS["hos_sport_mcid"],
    ihot12_mcid: int | Decimal = MCID_DEFAULTS["ihot12_mcid"],
    psfs_mdc_mean: int | Decimal = MCID_DEFAULTS["psfs_mdc_mean"],
    psfs_mdc_single: int | Decimal = MCID_DEFAULTS["psfs_mdc_single"],
) -> bool:
    """True when ``current`` is a clinically important *improvement* on ``baseline`` (DOMAIN B5.7).

    Direction comes from the instrument (ODI and NPRS improve downwards, LEFS upwards); a worsening
    is never "meaningful" here. Relative rules are skipped when the baseline is 0.
    """
    if instrument_code not in INSTRUMENTS:
        raise ValueError(f"Unknown instrument {instrument_code!r}")
    baseline = _as_decimal(baseline, "baseline")
    current = _as_decimal(current, "current")
    instrument = INSTRUMENTS[instrument_code]
    improvement = baseline - current if instrument.better == "lower" else current - baseline

    def relative_at_least(threshold: Decimal) -> bool:
        # Guard: a relative change from a baseline of 0 is undefined (DOMAIN B5.7).
        return baseline > 0 and _CONTEXT.divide(improvement, baseline) >= threshold

    if instrument.scoring == "odi":
        # DOMAIN B5.1 / B5.7, S94: >= 10 points or >= 30 % improvement.
        return improvement >= odi_mcid_points or relative_at_least(Decimal(odi_mcid_relative))
    if instrument.scoring == "lefs":
        # DOMAIN B5.2 / B5.7, S97: MCID 9 points, higher is better.
        return improvement >= lefs_mcid
    if instrument.scoring == "nprs":
        # DOMAIN B5.3 / B5.7, S100, S94: >= 2 points or >= 30 % improvement. The baseline-dependent
        # MCID of S101 (one cohort) is not used.
        return improvement >= nprs_mcid_points or relative_at_least(Decimal(nprs_mcid_relative))
    if instrument.scoring == "hos":
        # DOMAIN B12.4, S232: MCID 9 (ADL) / 6 (Sport) points, higher is better.
        return improvement >= (hos_adl_mcid if instrument_code == "hos_adl" else hos_sport_mcid)
    if instrument.scoring == "ihot12":
        # DOMAIN B12.4, S236: MCII 14 in non-operative hip pain (the clinic may set 13, the post-arthroscopy MCID).
        return improvement >= ihot12_mcid
    if instrument.scoring == "psfs":
        # DOMAIN B5.4 / B5.7, S103: the mean changes by at least the MDC of 2 points (one activity: 3, see
        # ``psfs_activity_changed``); it is an MDC, not an MCID: the smallest real change.
        return improvement >= psfs_mdc_mean
    if instrument.scoring == "visag":
        raise ValueError("VISA-G has no published MCID (unverified): its change is shown, not judged")
    raise ValueError(f"No change rule for scoring {instrument.scoring!r}")


# --- Hip and tendon measures, PSFS (DOMAIN A "Hip/tendon PROMs", "PSFS"; B5.4, B12.4) -----------------------------


def _not_scored(instrument: Instrument, answered: int, total: int, complete: bool, why: str, detail: dict) -> Score:
    return Score(
        instrument=instrument.code,
        version=instrument.version,
        value=None,
        display=f"Not scored: {why}",
        items_answered=answered,
        items_total=total,
        complete=complete,
        scored=False,
        band=None,
        detail=detail,
    )


def _scored(instrument: Instrument, value: Decimal, display: str, answered: int, total: int, detail: dict) -> Score:
    return Score(
        instrument=instrument.code,
        version=instrument.version,
        value=value,
        display=display,
        items_answered=answered,
        items_total=total,
        complete=answered == total,
        scored=True,
        band=None,
        detail=detail,
    )


def _score_hos(instrument: Instrument, checked: Mapping[str, int | str | None], max_unanswered: int) -> Score:
    # DOMAIN B12.4 (S230, S231): subscale % = 100 x sum / (4 x scored items answered); "not applicable" is
    # answered but leaves the denominator. Missing items: no published minimum (unverified); the clinic's
    # ``hos_max_unanswered`` (default 0: every item answered or N/A, DOMAIN's policy default).
    total = len(instrument.items)
    if not 0 <= max_unanswered < total:
        raise ValueError(f"hos_max_unanswered must be 0-{total - 1}, not {max_unanswered}")
    values = [value for value in checked.values() if isinstance(value, int)]
    not_applicable = [code for code, value in checked.items() if value == NOT_APPLICABLE]
    unanswered = [code for code, value in checked.items() if value is None]
    answered = total - len(unanswered)
    detail = {"sum": sum(values), "not_applicable": not_applicable, "unanswered": unanswered}
    if len(unanswered) > max_unanswered:
        allowed = "every item answered or not applicable" if max_unanswered == 0 else f"at most {max_unanswered}"
        why = f"{len(unanswered)} of {total} items unanswered (needs {allowed})"
        return _not_scored(instrument, answered, total, False, why, detail)
    if not values:
        return _not_scored(
            instrument, answered, total, not unanswered, "no item has a score (all not applicable)", detail
        )
    value = _CONTEXT.divide(Decimal(100 * sum(values)), Decimal(4 * len(values)))
    return _scored(instrument, value, f"{_format_one_decimal(value)} %", answered, total, detail)


def _score_mean(instrument: Instrument, checked: Mapping[str, int | str | None], max_unanswered: int) -> Score:
    # DOMAIN B12.4 (S234): iHOT-12 = mean of the 12 VAS items (0-100), higher is better. Missing items: rule
    # unverified; the clinic's ``ihot12_max_unanswered`` (default 0: all 12 answered, DOMAIN's default).
    total = len(instrument.items)
    if not 0 <= max_unanswered < total:
        raise ValueError(f"ihot12_max_unanswered must be 0-{total - 1}, not {max_unanswered}")
    values = [value for value in checked.values() if value is not None]
    unanswered = [code for code, value in checked.items() if value is None]
    detail = {"sum": sum(values), "unanswered": unanswered}
    if len(unanswered) > max_unanswered:
        allowed = f"all {total}" if max_unanswered == 0 else f"at least {total - max_unanswered}"
        why = f"{len(values)} of {total} items answered (needs {allowed})"
        return _not_scored(instrument, len(values), total, False, why, detail)
    value = _CONTEXT.divide(Decimal(sum(values)), Decimal(len(values)))
    return _scored(instrument, value, f"{_format_one_decimal(value)} / 100", len(values), total, detail)


def _score_visag(instrument: Instrument, checked: Mapping[str, int | str | None]) -> Score:
    # DOMAIN B12.4 (S240, S241): the VISA-G total (0-100) is entered from the scored paper form.
    total = checked.get("total")
    if total is None:
        return _not_scored(instrument, 0, 1, False, "no total entered", {})
    return _scored(instrument, Decimal(total), f"{total} / 100", 1, 1, {})


def _score_psfs(instrument: Instrument, checked: Mapping[str, int | str | None]) -> Score:
    # DOMAIN B5.4 / B5.7 (S103): mean of the rated activities (up to 3), 0-10, higher is better.
    ratings = {code: value for code, value in checked.items() if value is not None}
    total = len(instrument.items)
    if not ratings:
        return _not_scored(instrument, 0, total, True, "no activity rated", {})
    value = _CONTEXT.divide(Decimal(sum(ratings.values())), Decimal(len(ratings)))
    count = len(ratings)
    display = f"{_format_one_decimal(value)} / 10 ({count} activit{'y' if count == 1 else 'ies'})"
    return _scored(instrument, value, display, count, total, {"ratings": ratings})


def score_total(instrument: Instrument, total: object) -> Score:
    """The score of a score-only instrument entered as the paper form's own total (DOMAIN B12.4).

    Raises ValueError for an instrument without a total, or a total that is not a finite number within the
    instrument's range (e.g. a HOS of 104 %).
    """
    if instrument.total_range is None:
        raise ValueError(f"{instrument.name} is entered item by item, not as a total")
    if isinstance(total, bool) or not isinstance(total, int | Decimal) or not Decimal(total).is_finite():
        raise ValueError(f"{instrument.name}: the total must be a number, not {total!r}")
    low, high = instrument.total_range
    value = Decimal(total)
    if not low <= value <= high:
        raise ValueError(f"{instrument.name}: the total must be {low}-{high}, not {value}")
    unit = " %" if instrument.scoring == "hos" else f" / {high}"
    return Score(
        instrument=instrument.code,
        version=instrument.version,
        value=value,
        display=f"{_format_one_decimal(value)}{unit} (total entered)",
        items_answered=0,
        items_total=len(instrument.items),
        complete=False,
        scored=True,
        band=None,
        detail={"entered_as": "total"},
    )


def psfs_activity_changed(
    baseline: int, current: int, *, psfs_mdc_single: int | Decimal = MCID_DEFAULTS["psfs_mdc_single"]
) -> int:
    """One PSFS activity re-rated (0-10): +1 when better by at least the single-activity MDC (default 3,
    DOMAIN B5.4, S103), -1 when worse by as much, 0 otherwise."""
    for name, value in (("baseline", baseline), ("current", current)):
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 10:
            raise ValueError(f"PSFS {name} rating must be a whole number 0-10, not {value!r}")
    limit = _as_decimal(psfs_mdc_single, "psfs_mdc_single")
    if current - baseline >= limit:
        return 1
    if baseline - current >= limit:
        return -1
    return 0
