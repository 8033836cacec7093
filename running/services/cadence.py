"""Prescribing and stopping a step-rate retraining target."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from clinic import audit
from clinic.models import EpisodeOfCare, User
from running import cadence
from running.models import CadencePrescription, Run


def measured_baseline(episode: EpisodeOfCare) -> cadence.Baseline | None:
    """The baseline from the episode's latest runs whose device file gave a step rate."""
    rates = (
        Run.objects.filter(episode=episode, step_rate__isnull=False)
        .order_by("-started_at", "-id")
        .values_list("step_rate", flat=True)[: cadence.BASELINE_RUNS * 2]
    )
    return cadence.baseline(list(rates))


def prescribe(*, episode: EpisodeOfCare, actor: User, increase_pct: int) -> CadencePrescription:
    """A new target over today's baseline; it replaces the episode's current one."""
    if increase_pct not in cadence.INCREASES_PCT:
        raise ValidationError({"increase_pct": "Choose +5 % or +10 %."})
    measured = measured_baseline(episode)
    if measured is None:
        raise ValidationError(
            "No step rate to start from yet: it comes from the runner's watch files (FIT files that record cadence)."
        )
    with transaction.atomic():
        current = CadencePrescription.objects.select_for_update().filter(episode=episode, stopped_at__isnull=True)
        for old in current:
            _stop(old, actor)
        try:
            prescription = CadencePrescription.objects.create(
                episode=episode,
                baseline_steps_per_min=measured.steps_per_min,
                baseline_runs=measured.runs,
                increase_pct=increase_pct,
                target_steps_per_min=cadence.target(measured.steps_per_min, increase_pct),
                prescribed_by=actor,
            )
        except IntegrityError as error:
            # Two clinicians prescribing at once: the other's stands.
            raise ValidationError("This episode's step-rate prescription was just changed; reload the page.") from error
        audit.record(actor=actor, action="cadence.prescribed", obj=prescription, patient=episode.patient)
    return prescription


def stop(*, prescription: CadencePrescription, actor: User) -> None:
    with transaction.atomic():
        locked = CadencePrescription.objects.select_for_update().get(pk=prescription.pk)
        if locked.stopped_at is None:
            _stop(locked, actor)


def _stop(prescription: CadencePrescription, actor: User) -> None:
    prescription.stopped_at, prescription.stopped_by = timezone.now(), actor
    prescription.save(update_fields=["stopped_at", "stopped_by"])
    audit.record(
        actor=actor,
        action="cadence.stopped",
        obj=prescription,
        patient=prescription.episode.patient,
        changed_fields=["stopped_at"],
    )
