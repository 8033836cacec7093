"""Every write of the stored outcomes (``notes.models.OutcomeEpisode``): each discharged episode judged once, as
``notes.outcome_selectors.rows`` judges it, so the outcomes page sums stored rows instead of judging every episode
on every read.

A row is written when the episode is discharged and written again when what it rests on changes afterwards: the
final measures or a follow-up answered by link, a finding or an assessment of the episode, its lead clinician, or
the clinic's MCIDs and PASS (``refresh_clinic``, in the background). A row whose episode is no longer discharged
is removed.
"""

from __future__ import annotations

import json
from collections.abc import Iterable

from django.db import transaction
from django.db.models import Min, Q
from django.utils import timezone

from clinic import queueing
from clinic.models import Clinic, EpisodeStatus
from notes import outcomes
from notes.models import OUTCOME_MEASURES, Discharge, FollowUp, FollowUpKind, OutcomeEpisode
from notes.outcome_selectors import episode_rows

# The thresholds a stored judgement rests on: a change to one re-judges the clinic's episodes.
JUDGING_KEYS = frozenset(
    {
        "odi_mcid_points",
        "odi_mcid_relative_pct",
        "lefs_mcid",
        "nprs_mcid_points",
        "nprs_mcid_relative_pct",
        "hos_adl_mcid",
        "hos_sport_mcid",
        "ihot12_mcid",
        "psfs_mdc_mean",
        "psfs_mdc_single",
        "hos_adl_pass",
        "ihot12_pass",
    }
)
BATCH = 2000


def _facts(clinic: Clinic, episode_ids: list[int]) -> list[OutcomeEpisode]:
    today = timezone.localdate(timezone=clinic.zone)
    chosen = Discharge.objects.filter(episode_id__in=episode_ids, episode__patient__clinic=clinic)
    due = {
        row["episode_id"]: row
        for row in FollowUp.objects.filter(episode_id__in=episode_ids, kind=FollowUpKind.FOLLOW_UP)
        .values("episode_id")
        .annotate(first_due=Min("due_on"), first_unanswered=Min("due_on", filter=Q(answered_at__isnull=True)))
        .order_by()
    }
    now = timezone.now()
    facts = []
    for row in episode_rows(chosen, clinic, today):
        judged = {outcome.measure: outcome for outcome in row.measures}
        fact = OutcomeEpisode(
            episode_id=row.episode_id,
            clinic=clinic,
            clinician_id=row.clinician_id,
            discharged_on=row.discharged_on,
            groups=json.dumps(outcomes.group_keys(row)),
            visits=row.visits,
            weeks=row.weeks,
            follow_up_due_on=due.get(row.episode_id, {}).get("first_due"),
            unanswered_due_on=due.get(row.episode_id, {}).get("first_unanswered"),
            refreshed_at=now,
        )
        for measure in OUTCOME_MEASURES:
            outcome = judged.get(measure)
            setattr(fact, f"{measure}_measured", outcome is not None)
            setattr(fact, f"{measure}_mcid", outcome and outcome.mcid_reached)
            setattr(fact, f"{measure}_pass", outcome and outcome.pass_reached)
        facts.append(fact)
    return facts


def refresh(episode_ids: Iterable[int]) -> int:
    """Store the outcome of each discharged episode of ``episode_ids`` anew (and drop it for one no longer
    discharged); how many are stored."""
    episode_ids = list(episode_ids)
    by_clinic: dict[int, list[int]] = {}
    for episode_id, clinic_id in Discharge.objects.filter(episode_id__in=episode_ids).values_list(
        "episode_id", "episode__patient__clinic_id"
    ):
        by_clinic.setdefault(clinic_id, []).append(episode_id)
    with transaction.atomic():
        OutcomeEpisode.objects.filter(episode_id__in=episode_ids).delete()
        stored = 0
        for clinic in Clinic.objects.filter(pk__in=by_clinic):
            stored += len(OutcomeEpisode.objects.bulk_create(_facts(clinic, by_clinic[clinic.pk])))
    return stored


def refresh_episode(episode_id: int) -> None:
    refresh([episode_id])


def refresh_clinic(clinic_id: int) -> int:
    """Re-judge every discharged episode of the clinic, a batch at a time (after its thresholds changed)."""
    episode_ids = list(
        Discharge.objects.filter(episode__patient__clinic_id=clinic_id)
        .order_by("episode_id")
        .values_list("episode_id", flat=True)
    )
    return sum(refresh(episode_ids[start : start + BATCH]) for start in range(0, len(episode_ids), BATCH))


def refresh_all() -> int:
    """Store every discharged episode's outcome: for episodes discharged before the table existed."""
    clinic_ids = Discharge.objects.values_list("episode__patient__clinic_id", flat=True).distinct().order_by()
    return sum(refresh_clinic(clinic_id) for clinic_id in set(clinic_ids))


def episode_changed(episode) -> None:
    """After a write to what a discharged episode's outcome rests on (an open one has none stored)."""
    if episode.status == EpisodeStatus.DISCHARGED:
        refresh_episode(episode.pk)


def on_episode_changed(sender, episode, **kwargs) -> None:
    episode_changed(episode)


def on_plan_signed(sender, version, **kwargs) -> None:
    episode_changed(version.plan.episode)


def on_thresholds_changed(sender, clinic, keys, **kwargs) -> None:
    if JUDGING_KEYS.intersection(keys):
        # Every discharged episode of the clinic is judged anew: too many for the request.
        from notes import tasks

        queueing.after_commit(tasks.refresh_clinic_outcomes, clinic.pk)
