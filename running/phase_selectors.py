"""Reads of the walk-run phases: the episode page's panel and the clinician's dashboard lists, each in a fixed
number of queries whatever the number of runs."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db.models import Q
from django.utils import timezone

from clinic import permissions
from plans import run_programs
from running.models import DecisionStatus, PhaseDecision, PhaseStep, ReturnToRun, Run

PANEL_RUNS = 20
DASHBOARD_ROWS = 20
# How long a step back stays on the dashboard: a product choice, long enough to be seen at the next visit.
STEPPED_BACK_DAYS = 14
PHASE_CHANGES = [PhaseStep.PROGRESS, PhaseStep.STEP_BACK, PhaseStep.COMPLETE]


@dataclass(frozen=True)
class RunRow:
    run: Run
    prescribed_m: int | None  # the distance of the phase the run was done in
    share: int | None  # the run's distance as a percentage of it


@dataclass(frozen=True)
class Panel:
    plan: ReturnToRun
    phase: dict  # the current phase as the tables print it
    rows: list  # every phase, as printed
    runs: list[RunRow]
    run_count: int
    pending: PhaseDecision | None
    decided: list[PhaseDecision]


def _row(plan: ReturnToRun, run: Run) -> RunRow:
    prescribed = None
    if run.phase and run.phase <= len(plan.phases):
        prescribed = plan.phases[run.phase - 1].get("distance_m")
    share = round(100 * run.distance_m / prescribed) if prescribed and run.distance_m is not None else None
    return RunRow(run, prescribed, share)


def panel(episode) -> Panel | None:
    """The episode's newest return-to-run plan with its latest runs and decisions (four queries)."""
    plan = ReturnToRun.objects.filter(episode=episode).select_related("plan_version").first()
    if plan is None:
        return None
    runs = list(plan.runs.order_by("-started_at", "-id")[:PANEL_RUNS])
    decisions = list(plan.decisions.select_related("decided_by", "run").order_by("-created_at", "-id")[:PANEL_RUNS])
    rows = run_programs.rows(plan.phases)
    return Panel(
        plan=plan,
        phase=rows[plan.current_phase - 1] if plan.current_phase <= len(rows) else {},
        rows=rows,
        runs=[_row(plan, run) for run in runs],
        run_count=len(runs) if len(runs) < PANEL_RUNS else plan.runs.count(),
        pending=next((d for d in decisions if d.status == DecisionStatus.PROPOSED), None),
        decided=[d for d in decisions if d.status in (DecisionStatus.CONFIRMED, DecisionStatus.OVERRIDDEN)],
    )


@dataclass(frozen=True)
class Dashboard:
    to_confirm: list[PhaseDecision]
    stepped_back: list[PhaseDecision]

    @property
    def patients(self) -> list:
        return [d.return_to_run.episode.patient for d in [*self.to_confirm, *self.stepped_back]]


def dashboard(user) -> Dashboard:
    """Proposals to change a phase that wait for a clinician, and runners stepped back lately (two queries)."""
    rows = permissions.scoped(user, PhaseDecision).select_related("return_to_run__episode__patient", "run")
    since = timezone.now() - datetime.timedelta(days=STEPPED_BACK_DAYS)
    stepped = Q(decided_step=PhaseStep.STEP_BACK) | Q(decided_step="", proposed_step=PhaseStep.STEP_BACK)
    return Dashboard(
        to_confirm=list(
            rows.filter(status=DecisionStatus.PROPOSED, proposed_step__in=PHASE_CHANGES).order_by("created_at")[
                :DASHBOARD_ROWS
            ]
        ),
        stepped_back=list(
            rows.filter(
                stepped, status__in=[DecisionStatus.CONFIRMED, DecisionStatus.OVERRIDDEN], decided_at__gte=since
            ).order_by("-decided_at")[:DASHBOARD_ROWS]
        ),
    )
