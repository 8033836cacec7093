"""Writes of the return-to-run readiness check: recording a signed check, and a clinic's own
wording of the criteria. The verdict is always worked out here from what was entered, the
clinic's criteria and thresholds and the episode's open red flags at that moment: never taken
from the client."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from clinic import audit, permissions, thresholds
from clinic.models import Clinic, EpisodeOfCare, User
from intake.models import RedFlag
from running import readiness
from running.models import (
    GO_AHEAD,
    REACH_FIELDS,
    ReadinessCheck,
    ReadinessCriterion,
    ReadinessItemResult,
    ReturnToRun,
    ReturnToRunStatus,
)

OVERRIDE_NEEDS_REASON = "You are deciding against the checklist: say why."
EPISODE_CLOSED = "This episode is closed: a return-to-run check is recorded on an open episode."
REACHES_NEED_SIDE = "Choose the involved side: the reaches are compared against the other side."
FUTURE_CHECK = "A check cannot be dated after today."
NEXT_BEFORE_CHECK = "The next check cannot be before this one."
EDITABLE = ("label", "measure", "target", "active")


def criteria_for(clinic: Clinic) -> list[ReadinessCriterion]:
    """Every criterion in the clinic's words: its own row where it edited one, the published
    item otherwise (unsaved), in the checklist's order."""
    own = {row.key: row for row in ReadinessCriterion.objects.filter(clinic=clinic)}
    rows = []
    for order, shipped in enumerate(readiness.CRITERIA):
        row = own.get(shipped.key) or ReadinessCriterion(
            clinic=clinic,
            key=shipped.key,
            label=shipped.label,
            measure=shipped.measure,
            target=shipped.target,
        )
        row.order = order
        rows.append(row)
    return rows


def criteria_update(*, actor: User, clinic: Clinic, values: Mapping[str, Mapping]) -> list[str]:
    """Store the clinic's wording, target and switch of each criterion (``values``: key -> the
    fields of ``EDITABLE``); returns the keys changed. Clinic admins only."""
    if not permissions.can_change_clinic_settings(actor, clinic):
        raise PermissionDenied
    changed = []
    with transaction.atomic():
        for row in criteria_for(clinic):
            new = {name: values[row.key][name] for name in EDITABLE if row.key in values and name in values[row.key]}
            if readiness.CRITERIA_BY_KEY[row.key].target is None:
                new.pop("target", None)
            if all(getattr(row, name) == value for name, value in new.items()):
                continue
            for name, value in new.items():
                setattr(row, name, value)
            row.full_clean()
            row.save()
            changed.append(row.key)
        if changed:
            audit.record(actor=actor, action="clinic.readiness_criteria_updated", obj=clinic, changed_fields=changed)
    return changed


def open_red_flags(episode: EpisodeOfCare) -> list[tuple[str, str]]:
    """The episode's open red flags as (tier, label), most severe first."""
    return list(RedFlag.objects.filter(episode=episode, cleared_at__isnull=True).values_list("tier", "label"))


def active_return_to_run(episode: EpisodeOfCare) -> ReturnToRun | None:
    return ReturnToRun.objects.filter(episode=episode, status=ReturnToRunStatus.ACTIVE).first()


@dataclasses.dataclass(frozen=True)
class Entry:
    """A check as entered: the check's own fields (``ReadinessCheck`` names) and each criterion's
    result (``readiness.ItemInput``) with its optional note."""

    values: Mapping
    items: Mapping[str, readiness.ItemInput]
    notes: Mapping[str, str] = dataclasses.field(default_factory=dict)


def _y_balance(values: Mapping, items: Mapping[str, readiness.ItemInput]) -> readiness.YBalance | None:
    side = values.get("involved_side") or ""
    if not side:
        return None
    reaches = {
        s: {direction: values.get(f"reach_{s}_{direction}") for direction in readiness.DIRECTIONS}
        for s in readiness.SIDES
    }
    item = items.get("y_balance") or readiness.ItemInput("y_balance")
    return readiness.YBalance(involved=side, reaches=reaches, pain=item.pain, pelvic_control=item.pelvic_control)


def verdict_for(episode: EpisodeOfCare, entry: Entry) -> tuple[readiness.Verdict, list[ReadinessCriterion]]:
    """The rule's verdict on what was entered, with the clinic's active criteria it checked."""
    clinic = episode.patient.clinic
    criteria = [row for row in criteria_for(clinic) if row.active]
    limits = thresholds.for_clinic(clinic)
    verdict = readiness.readiness(
        entry.items.values(),
        _y_balance(entry.values, entry.items),
        entry.values.get("hos_adl"),
        entry.values.get("hos_sport"),
        open_red_flags(episode),
        thresholds={key: limits[key] for key in readiness.THRESHOLD_KEYS},
        criteria=[row.as_rule() for row in criteria],
    )
    return verdict, criteria


def _problems(values: Mapping, verdict: readiness.Verdict) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if any(values.get(name) is not None for name in REACH_FIELDS) and not values.get("involved_side"):
        errors["involved_side"] = [REACHES_NEED_SIDE]
    checked_on = values["checked_on"]
    if checked_on > timezone.localdate():
        errors["checked_on"] = [FUTURE_CHECK]
    next_check = values.get("next_check_on")
    if next_check is not None and next_check < checked_on:
        errors["next_check_on"] = [NEXT_BEFORE_CHECK]
    against = verdict.start != (values["decision"] in GO_AHEAD)
    if against and not (values.get("override_reason") or "").strip():
        errors["override_reason"] = [OVERRIDE_NEEDS_REASON]
    return errors


def check_record(*, actor: User, episode: EpisodeOfCare, entry: Entry) -> ReadinessCheck:
    """Record and sign a check: the rule's verdict and the thresholds it used are stored beside
    the clinician's decision. A decision against the verdict needs a reason."""
    if not permissions.can_change_clinical(actor, episode.patient):
        raise PermissionDenied
    if episode.closed_on is not None:
        raise ValidationError(EPISODE_CLOSED)
    values = dict(entry.values)
    with transaction.atomic():
        # One check at a time per episode, so the plan's phase and the red flags read are those of the moment.
        EpisodeOfCare.objects.select_for_update().filter(pk=episode.pk).first()
        verdict, criteria = verdict_for(episode, entry)
        errors = _problems(values, verdict)
        if errors:
            raise ValidationError(errors)
        plan = active_return_to_run(episode)
        limits = thresholds.for_clinic(episode.patient.clinic)
        profile = getattr(actor, "clinician_profile", None)
        check = ReadinessCheck(
            episode=episode,
            clinician=actor,
            return_to_run=plan,
            phase=plan.current_phase if plan else None,
            rule_start=verdict.start,
            rule_reasons=list(verdict.reasons),
            thresholds={key: str(limits[key]) for key in readiness.THRESHOLD_KEYS},
            signed_at=timezone.now(),
            signed_credentials=(getattr(profile, "credentials", "") or "")[:80],
            **{name: values.get(name) for name in _CHECK_FIELDS if name in values},
        )
        check.override_reason = (check.override_reason or "").strip()
        check.full_clean(exclude=["episode", "clinician", "return_to_run"])
        check.save()
        ReadinessItemResult.objects.bulk_create(_results(check, entry, verdict, criteria))
        audit.record(actor=actor, action="readiness_check.recorded", obj=check)
    return check


_CHECK_FIELDS = (
    "checked_on",
    "pain_now",
    "involved_side",
    *REACH_FIELDS,
    "hos_adl",
    "hos_sport",
    "decision",
    "override_reason",
    "next_check_on",
)


def _results(
    check: ReadinessCheck, entry: Entry, verdict: readiness.Verdict, criteria: Iterable[ReadinessCriterion]
) -> list[ReadinessItemResult]:
    by_key = {result.key: result for result in verdict.items}
    rows = []
    for order, criterion in enumerate(criteria):
        item = entry.items.get(criterion.key) or readiness.ItemInput(criterion.key)
        result = by_key[criterion.key]
        value = item.value
        if criterion.key == "hos_adl":
            value = check.hos_adl
        elif criterion.key == "hos_sport":
            value = check.hos_sport
        elif criterion.key == "y_balance":
            value = min(verdict.lsi.values()) if verdict.lsi else None
        rows.append(
            ReadinessItemResult(
                readiness_check=check,
                criterion_key=criterion.key,
                order=order,
                label=criterion.label,
                measure=criterion.measure,
                value=value,
                met=item.met,
                pain=item.pain,
                pelvic_control=item.pelvic_control,
                note=entry.notes.get(criterion.key, ""),
                passed=result.passed,
                reasons=list(result.reasons),
            )
        )
    return rows


def lsi_of(check: ReadinessCheck) -> dict[str, Decimal]:
    y_balance = check.y_balance()
    return y_balance.lsi() if y_balance else {}
