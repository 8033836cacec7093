"""Reads of visit notes, with their rows fetched in a fixed number of queries."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db.models import Prefetch, QuerySet
from django.utils import timezone

from assessments import selectors as assessment_selectors
from assessments.models import Assessment
from clinic import permissions, thresholds
from clinic.models import User
from clinic.portal.models import HomeProgramCheckIn
from clinic.scheduling.models import Appointment
from notes import rules, safety
from notes.models import NoteAddendum, NoteItem, VisitNote
from plans import rules as plan_rules
from plans import selectors as plan_selectors
from plans.models import Intervention, PlanVersion

# The dashboard lists this many notes to finish; the count says how many there are in all.
DASHBOARD_NOTES = 10


def line_of(item: NoteItem) -> rules.LineDraft:
    return rules.LineDraft(
        prong=item.prong,
        name=item.name,
        status=item.status,
        not_done_reason=item.not_done_reason,
        region=item.region,
        technique=item.technique,
        minutes=item.minutes,
        sets=item.sets,
        reps=item.reps,
        load=item.load,
        progression=item.progression,
        from_plan=item.from_plan,
        intervention_key=item.intervention_key,
        thrust=item.thrust,
    )


@dataclass(frozen=True)
class NoteStart:
    """What a new note is pre-filled from."""

    version: PlanVersion | None
    lines: list[rules.LineDraft]
    portal: rules.PortalSummary


def _current_version(appointment: Appointment) -> PlanVersion | None:
    """The episode's latest signed plan as it stood at the visit."""
    return (
        PlanVersion.objects.filter(plan__episode_id=appointment.episode_id, signed_at__lte=appointment.starts_at)
        .order_by("-signed_at", "-pk")
        .first()
    )


def last_note(appointment: Appointment) -> VisitNote | None:
    """The note of the episode's visit before this one."""
    return (
        VisitNote.objects.filter(
            appointment__episode_id=appointment.episode_id, appointment__starts_at__lt=appointment.starts_at
        )
        .select_related("appointment")
        .prefetch_related("items")
        .order_by("-appointment__starts_at", "-pk")
        .first()
    )


def note_start(appointment: Appointment) -> NoteStart:
    zone = appointment.episode.patient.clinic.zone
    version = _current_version(appointment)
    before = last_note(appointment)
    planned = []
    if version is not None:
        planned = [
            rules.PlannedItem(
                prong=item.prong.value,
                name=item.name,
                sets=item.sets,
                reps=item.reps,
                intervention_key=item.intervention,
            )
            for item in version.signed.items
        ]
    lines = rules.prefill_lines(planned, [line_of(item) for item in before.items.all()] if before else [])
    until = timezone.localtime(appointment.starts_at, zone).date()
    if before is not None:
        since = timezone.localtime(before.appointment.starts_at, zone).date() + datetime.timedelta(days=1)
    elif version is not None:
        since = version.signed.first_day(zone)
    else:
        since = until
    logs = []
    if version is not None:
        logs = [
            rules.DayLog(day=row.day, done=len(row.done_items or ()), pain=row.pain)
            for row in HomeProgramCheckIn.objects.filter(
                version__plan__episode_id=appointment.episode_id, day__gte=since, day__lte=until
            )
        ]
    return NoteStart(version=version, lines=lines, portal=rules.portal_summary(logs, since, until))


def note_for_page(appointment: Appointment) -> VisitNote | None:
    """The visit's note with its lines, addenda and their authors: the same number of queries
    whatever the number of lines and addenda."""
    return (
        VisitNote.objects.filter(appointment=appointment)
        .select_related("author", "signed_by")
        .prefetch_related("items", Prefetch("addenda", queryset=NoteAddendum.objects.select_related("author")))
        .first()
    )


def note_state(appointment: Appointment) -> str:
    """ "signed", "draft" or "" (no note): all the front desk may know of a visit's note."""
    found = list(VisitNote.objects.filter(appointment=appointment).values_list("signed_at", flat=True)[:1])
    if not found:
        return ""
    return "signed" if found[0] is not None else "draft"


def unsigned_limit_hours(clinic) -> float:
    return float(thresholds.for_clinic(clinic)["note_unsigned_hours"])


def notes_to_finish(*, user: User, limit_hours: float, now: datetime.datetime | None = None) -> QuerySet[VisitNote]:
    """The user's own unsigned notes written more than the clinic's limit ago, oldest first."""
    boundary = rules.unsigned_before(now or timezone.now(), limit_hours)
    return (
        permissions.scoped(user, VisitNote)
        .filter(author=user, signed_at__isnull=True, created_at__lt=boundary)
        .select_related("appointment__episode__patient")
        .order_by("created_at", "pk")
    )


# --- Safety: the episode's red flags and contraindications, as the note's pure rules read them ------


def plan_contraindication_facts(episode, assessment) -> dict:
    """The findings (of the assessment the plan was drafted from, if any) and the episode's red flags
    as they stand now, as the plan's contraindications read them."""
    findings = []
    if assessment is not None:
        findings = [
            plan_rules.FindingFact(code=row.code, side=row.side or None, label=row.label)
            for row in assessment_selectors.rule_findings(assessment)
        ]
    red_flags = [
        plan_rules.RedFlagFact(code=flag.code, tier=flag.tier, label=flag.label, open=flag.cleared_at is None)
        for flag in episode.red_flags.all()
    ]
    return {"findings": findings, "red_flags": red_flags}


def _assessment_of(note: VisitNote):
    """The assessment whose findings the plan's contraindications read: the signed plan's, else the
    episode's latest."""
    if note.plan_version_id is not None:
        return Assessment.objects.filter(plans__versions=note.plan_version_id).first()
    episode_id = note.appointment.episode_id
    return Assessment.objects.filter(episode_id=episode_id).order_by("-assessed_on", "-pk").first()


def library_tags(clinic, keys) -> dict[str, frozenset[str]]:
    """The tags of the clinic's library interventions by key, retired ones included (a line of an
    older plan keeps what it is)."""
    keys = {key for key in keys if key}
    if not keys:
        return {}
    rows = Intervention.objects.filter(clinic=clinic, key__in=keys).values_list("key", "tags")
    return {key: frozenset(tags or ()) for key, tags in rows}


def safety_lines(clinic, lines) -> list[safety.SafetyLine]:
    """The lines (``rules.LineDraft``) as the contraindications read them."""
    tags = library_tags(clinic, [line.intervention_key for line in lines])
    return [
        safety.SafetyLine(
            name=line.name,
            prong=line.prong,
            status=line.status,
            tags=safety.line_tags(tags.get(line.intervention_key, ()), line.thrust),
        )
        for line in lines
    ]


def safety_screen(note: VisitNote, lines) -> safety.Screen:
    """What the episode's open red flags and findings say about these lines (``rules.LineDraft``)
    of the note now."""
    return screen_safety_lines(note, safety_lines(note.appointment.episode.patient.clinic, lines))


def screen_safety_lines(note: VisitNote, lines: list[safety.SafetyLine]) -> safety.Screen:
    episode = note.appointment.episode
    return safety.screen(
        lines,
        contraindications=plan_selectors.library_for(episode.patient.clinic).contraindications,
        **plan_contraindication_facts(episode, _assessment_of(note)),
    )


@dataclass(frozen=True)
class LibraryPick:
    """An intervention of the clinic's library a line added at the visit can be."""

    key: str
    prong: str
    name: str
    thrust: bool

    @property
    def label(self) -> str:
        return f"{self.name} (thrust technique)" if self.thrust else self.name


def library_picks(clinic) -> list[LibraryPick]:
    """The clinic's active interventions, by name, each thrust technique said so."""
    rows = Intervention.objects.filter(clinic=clinic, active=True).order_by("name", "key")
    return [
        LibraryPick(key=row.key, prong=row.prong, name=row.name, thrust=safety.is_thrust(row.tags or ()))
        for row in rows
    ]


@dataclass(frozen=True)
class FlagRow:
    """A red flag as the note page shows it: its tier, what it suggests and what it means for the visit."""

    tier: str
    tier_label: str
    label: str
    meaning: str
    from_note: bool  # the note's new symptoms raise it
    open: bool
    cleared_at: datetime.datetime | None = None


def note_red_flags(note: VisitNote) -> list[FlagRow]:
    """The episode's open red flags, and those the note's new symptoms raise (open or since cleared),
    most severe first: one query."""
    episode = note.appointment.episode
    raised = {flag.code for flag in safety.raised_flags(note.red_flag_symptoms)}
    rows, seen = [], set()
    for flag in episode.red_flags.all():  # open first, most severe first (the model's ordering)
        if flag.code in seen or not (flag.cleared_at is None or flag.code in raised):
            continue
        seen.add(flag.code)
        rows.append(
            FlagRow(
                tier=flag.tier,
                tier_label=flag.get_tier_display(),
                label=flag.label,
                meaning=safety.TIER_MEANINGS.get(flag.tier, ""),
                from_note=flag.code in raised,
                open=flag.cleared_at is None,
                cleared_at=flag.cleared_at,
            )
        )
    return rows
