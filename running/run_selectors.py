"""Read queries of the run log: a patient's own runs for the portal, an episode's for the
clinician's load ledger, the clinic's for the API. Each is bounded and scoped by its caller's
key (the portal link's patient, the episode, the user's clinic)."""

from __future__ import annotations

import datetime

from django.db.models import QuerySet

from clinic import permissions
from running import ledger
from running.models import ReturnToRun, ReturnToRunStatus, Run

LEDGER_RUNS = 30


def patient_runs(patient) -> QuerySet[Run]:
    """The patient's own runs, newest first (another patient's never)."""
    return Run.objects.filter(episode__patient=patient).order_by("-local_date", "-started_at", "-id")


def patient_run(patient, run_id: int) -> Run | None:
    return patient_runs(patient).select_related("episode__patient__clinic").filter(pk=run_id).first()


def active_plan(patient) -> ReturnToRun | None:
    """The patient's active return-to-run plan (one per episode; the newest if several episodes have one)."""
    return (
        ReturnToRun.objects.filter(episode__patient=patient, status=ReturnToRunStatus.ACTIVE)
        .select_related("episode")
        .order_by("-started_on", "-id")
        .first()
    )


def has_runs_or_plan(patient) -> bool:
    return active_plan(patient) is not None or patient_runs(patient).exists()


def runs_for_api(user) -> QuerySet[Run]:
    return permissions.scoped(user, Run).select_related("episode__patient").order_by("-local_date", "-id")


def episode_ledger(episode, *, progression_pct, spike_pct) -> list[ledger.LedgerRow]:
    """The load ledger of the episode's last ``LEDGER_RUNS`` runs, newest first: two queries,
    the runs shown and the 30 days of runs before the oldest of them."""
    shown = list(
        Run.objects.filter(episode=episode).order_by("-local_date", "-id").values_list("pk", "local_date")[:LEDGER_RUNS]
    )
    if not shown:
        return []
    since = min(day for _, day in shown) - datetime.timedelta(days=ledger.LONGEST_WINDOW)
    window = Run.objects.filter(episode=episode, local_date__gte=since).values_list(
        "pk", "local_date", "distance_m", "return_to_run_id", "protocol_planned"
    )
    sessions = [
        ledger.Session(pk, day, distance, in_plan=plan_id is not None, protocol_planned=planned)
        for pk, day, distance, plan_id, planned in window
    ]
    wanted = {pk for pk, _ in shown}
    rows = ledger.ledger(sessions, progression_threshold_pct=progression_pct, spike_threshold_pct=spike_pct)
    return [row for row in reversed(rows) if row.run_id in wanted]
