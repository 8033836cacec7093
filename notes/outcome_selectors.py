"""What the clinic outcomes page (``notes.outcomes``) reads.

``tallies``, what the page reads: the stored outcomes (``notes.outcome_facts``) of the episodes the filters keep,
counted in two grouped queries, so a read costs a few hundred grouped rows whatever the number of episodes.
``rows``: one row per discharged episode, built in a fixed number of ``values()`` queries and judged in Python;
what is stored for each episode, and what the stored figures are checked against.

An episode's readings are the outcome scores the progress page compares (``assessments.selectors``): the
intake's questionnaires, the completed assessments' re-scored questionnaires and pain today, and the final
measures answered by link at discharge, oldest first, the questionnaire before the clinician's measurement on
the same day. A follow-up questionnaire after discharge is not a discharge outcome; whether it was answered is
what "lost to follow-up" says (one was due, the day passed, and it is still unanswered).
"""

from __future__ import annotations

import datetime
import json
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from django.db import connection
from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from assessments.findings import CLINICIAN_CONDITION_LABELS
from assessments.models import Assessment, AssessmentStatus, Finding, OutcomeScore
from assessments.outcome_measures import PASS_KEYS
from clinic import permissions, thresholds
from clinic.models import User
from clinic.scheduling.models import Appointment
from intake.models import QuestionnaireScore
from intake.scoring import is_meaningful_change
from notes import discharge
from notes.models import OUTCOME_MEASURES, Discharge, FollowUp, FollowUpKind, FollowUpScore, OutcomeEpisode
from notes.outcomes import EpisodeRow, MeasureOutcome, MeasureTally, Tally
from plans.models import PlanVersion

# The measures in the order the page lists them: the low-back and general ones, then the hip and tendon ones.
MEASURES = OUTCOME_MEASURES
# DOMAIN B12.4 (S239): the VISA-G has no verified MCID; its change is never judged.
NO_MCID = frozenset({"visag"})
_WEEK = Decimal(7)
_TALLIED = ("measured", "mcid_known", "mcid_reached", "pass_known", "pass_reached")


@dataclass(frozen=True)
class Filters:
    clinician_id: int | None = None
    discharged_from: datetime.date | None = None
    discharged_to: datetime.date | None = None


def _filtered(rows: QuerySet, filters: Filters, clinician: str) -> QuerySet:
    """``rows`` (with a ``discharged_on``) as the filters choose them; ``clinician`` names the lead clinician's id."""
    if filters.clinician_id is not None:
        rows = rows.filter(**{clinician: filters.clinician_id})
    if filters.discharged_from is not None:
        rows = rows.filter(discharged_on__gte=filters.discharged_from)
    if filters.discharged_to is not None:
        rows = rows.filter(discharged_on__lte=filters.discharged_to)
    return rows


def discharges(user: User, filters: Filters) -> QuerySet[Discharge]:
    return _filtered(permissions.clinic_rows(user, Discharge), filters, "episode__lead_clinician_id")


def _readings(episodes, zone) -> dict[int, dict[str, list[Decimal]]]:
    """{episode id: {measure: values oldest first}}, from four queries."""
    points: dict[int, list[tuple]] = defaultdict(list)
    completed = {"assessment__status": AssessmentStatus.COMPLETED, "assessment__episode__in": episodes}
    for episode_id, measure, value, at in QuestionnaireScore.objects.filter(
        intake__episode__in=episodes, intake__submitted_at__isnull=False, scored=True, value__isnull=False
    ).values_list("intake__episode_id", "instrument", "value", "intake__submitted_at"):
        points[episode_id].append((timezone.localdate(at, timezone=zone), 0, 0, measure, value))
    for episode_id, measure, value, day, pk in OutcomeScore.objects.filter(
        **completed, scored=True, value__isnull=False
    ).values_list("assessment__episode_id", "instrument", "value", "assessment__assessed_on", "assessment_id"):
        points[episode_id].append((day, 1, pk, measure, value))
    for episode_id, pain, day, pk in Assessment.objects.filter(
        episode__in=episodes, status=AssessmentStatus.COMPLETED, pain_today__isnull=False
    ).values_list("episode_id", "pain_today", "assessed_on", "pk"):
        points[episode_id].append((day, 1, pk, "nprs", Decimal(pain)))
    for episode_id, measure, value, at in FollowUpScore.objects.filter(
        follow_up__episode__in=episodes,
        follow_up__kind=FollowUpKind.FINAL,
        follow_up__answered_at__isnull=False,
        scored=True,
        value__isnull=False,
    ).values_list("follow_up__episode_id", "instrument", "value", "follow_up__answered_at"):
        points[episode_id].append((timezone.localdate(at, timezone=zone), 0, 0, measure, value))
    readings: dict[int, dict[str, list[Decimal]]] = {}
    for episode_id, found in points.items():
        by_measure: dict[str, list[Decimal]] = defaultdict(list)
        for _day, _at_visit, _pk, measure, value in sorted(found, key=lambda point: point[:3]):
            by_measure[measure].append(value)
        readings[episode_id] = by_measure
    return readings


def _judge(measure: str, values: list[Decimal], limits: dict, mcid: dict) -> MeasureOutcome:
    first, last = values[0], values[-1]
    reached = None
    if len(values) >= 2 and measure not in NO_MCID:
        reached = is_meaningful_change(measure, first, last, **mcid)
    acceptable = last >= limits[PASS_KEYS[measure]] if measure in PASS_KEYS else None
    return MeasureOutcome(measure, first, last, reached, acceptable)


def _plan_items(episodes) -> dict[int, tuple[tuple[str, str], ...]]:
    """{episode id: the (rule label, prong) pairs of its last signed plan version}, from one query."""
    signed = PlanVersion.objects.filter(plan__episode__in=episodes, signed_at__isnull=False).order_by(
        "plan__episode_id", "-signed_at", "-pk"
    )
    if connection.features.can_distinct_on_fields:
        signed = signed.distinct("plan__episode_id")
    pairs = {}
    for episode_id, items in signed.values_list("plan__episode_id", "body__items"):
        # Without DISTINCT ON (SQLite), every signed version comes, the latest of each episode first.
        if episode_id in pairs:
            continue
        found = []
        for item in items if isinstance(items, list) else ():
            prong = item.get("prong") or ""
            found += [(label, prong) for label in item.get("because") or ()]
        pairs[episode_id] = tuple(dict.fromkeys(found))
    return pairs


def episode_rows(chosen: QuerySet[Discharge], clinic, today: datetime.date) -> list[EpisodeRow]:
    """One row per discharge of ``chosen`` (all of ``clinic``), judged by the clinic's thresholds on ``today``."""
    episodes = chosen.values("episode_id")
    limits = thresholds.for_clinic(clinic)
    mcid = thresholds.mcid(limits)
    conditions: dict[int, list[str]] = defaultdict(list)
    for episode_id, code in (
        Finding.objects.filter(
            assessment__episode__in=episodes,
            assessment__status=AssessmentStatus.COMPLETED,
            code__in=CLINICIAN_CONDITION_LABELS,
            dismissed_at__isnull=True,
        )
        .values_list("assessment__episode_id", "code")
        .distinct()
        .order_by("assessment__episode_id", "code")
    ):
        conditions[episode_id].append(code)
    items = _plan_items(episodes)
    readings = _readings(episodes, clinic.zone)
    visits = dict(
        Appointment.objects.filter(episode__in=episodes, status__in=discharge.ATTENDED)
        .values("episode_id")
        .annotate(count=Count("pk"))
        .values_list("episode_id", "count")
    )
    lost: dict[int, bool] = {}
    for episode_id, answered_at in FollowUp.objects.filter(
        episode__in=episodes, kind=FollowUpKind.FOLLOW_UP, due_on__lt=today
    ).values_list("episode_id", "answered_at"):
        lost[episode_id] = lost.get(episode_id, False) or answered_at is None
    found = []
    for episode_id, clinician_id, discharged_on, opened_on in chosen.values_list(
        "episode_id", "episode__lead_clinician_id", "discharged_on", "episode__opened_on"
    ).order_by("discharged_on", "episode_id"):
        measured = readings.get(episode_id, {})
        found.append(
            EpisodeRow(
                episode_id=episode_id,
                clinician_id=clinician_id,
                discharged_on=discharged_on,
                conditions=tuple(conditions.get(episode_id, ())),
                items=items.get(episode_id, ()),
                measures=tuple(
                    _judge(measure, measured[measure], limits, mcid) for measure in MEASURES if measured.get(measure)
                ),
                visits=visits.get(episode_id, 0),
                weeks=(Decimal((discharged_on - opened_on).days) / _WEEK).quantize(Decimal("0.1")),
                lost_to_follow_up=lost.get(episode_id),
            )
        )
    return found


def rows(user: User, filters: Filters) -> list[EpisodeRow]:
    """One row per discharged episode of the user's clinic that ``filters`` keep, judged now from the record: what
    ``notes.outcome_facts`` stores, and what the stored figures are checked against."""
    return episode_rows(discharges(user, filters), user.clinic, timezone.localdate(timezone=user.clinic.zone))


def _stored(user: User, filters: Filters) -> QuerySet[OutcomeEpisode]:
    return _filtered(permissions.clinic_rows(user, OutcomeEpisode), filters, "clinician_id")


def _keys(groups: str) -> frozenset[tuple[str, str, str]]:
    return frozenset(tuple(key) for key in json.loads(groups))


def tallies(user: User, filters: Filters) -> list[Tally]:
    """The stored episodes of the user's clinic that ``filters`` keep, tallied by the groups they count in: two
    grouped queries whatever the number of episodes (``notes.outcomes.summarise_tallies`` sums them)."""
    stored = _stored(user, filters)
    today = timezone.localdate(timezone=user.clinic.zone)
    counts = {
        "n": Count("pk"),
        "lost_known": Count("pk", filter=Q(follow_up_due_on__lt=today)),
        "lost": Count("pk", filter=Q(unanswered_due_on__lt=today)),
    }
    for measure in MEASURES:
        counts |= {
            f"{measure}__measured": Count("pk", filter=Q(**{f"{measure}_measured": True})),
            f"{measure}__mcid_known": Count(f"{measure}_mcid"),
            f"{measure}__mcid_reached": Count("pk", filter=Q(**{f"{measure}_mcid": True})),
            f"{measure}__pass_known": Count(f"{measure}_pass"),
            f"{measure}__pass_reached": Count("pk", filter=Q(**{f"{measure}_pass": True})),
        }
    found: dict[str, Tally] = {}
    for row in stored.values("groups").annotate(**counts).order_by():
        found[row["groups"]] = Tally(
            _keys(row["groups"]),
            n=row["n"],
            lost_known=row["lost_known"],
            lost=row["lost"],
            measures={
                measure: MeasureTally(**{name: row[f"{measure}__{name}"] for name in _TALLIED})
                for measure in MEASURES
                if row[f"{measure}__measured"]
            },
        )
    # One scan for both medians: few distinct (visits, weeks) pairs per set of groups, however many episodes.
    for groups, visits, weeks, count in (
        stored.values_list("groups", "visits", "weeks").annotate(n=Count("pk")).order_by()
    ):
        part = found[groups]
        part.visits[visits] = part.visits.get(visits, 0) + count
        part.weeks[weeks] = part.weeks.get(weeks, 0) + count
    return list(found.values())
