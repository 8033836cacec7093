"""Reads of visit notes, with their rows fetched in a fixed number of queries."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db.models import Case, CharField, Max, Prefetch, Q, QuerySet, Value, When
from django.utils import timezone

from assessments import selectors as assessment_selectors
from assessments.models import Assessment
from clinic import permissions, thresholds
from clinic.models import EpisodeOfCare, EpisodeStatus, User
from clinic.portal.models import HomeProgramCheckIn
from clinic.scheduling.models import Appointment, AppointmentStatus
from notes import progression, reports, rules, safety
from notes.models import NoteAddendum, NoteItem, NotePlanDraft, PlanCertification, ProgressReport, VisitNote
from plans import rules as plan_rules
from plans import selectors as plan_selectors
from plans.models import Intervention, PlanStatus, PlanVersion, Prong

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


def home_program_changes(note: VisitNote, version: PlanVersion | None) -> progression.Progression:
    """What the note's progressions change in ``version``'s home program (the plan's current signed version)."""
    if version is None:
        return progression.Progression()
    home_program = [
        progression.HomeExercise(name=item.name, sets=item.sets, reps=item.reps)
        for item in version.signed.items
        if item.prong == Prong.EXERCISE and item.home_program
    ]
    library = Intervention.objects.filter(
        clinic_id=note.appointment.episode.patient.clinic_id, prong=Prong.EXERCISE
    ).values_list("name", flat=True)
    return progression.home_program_changes([line_of(item) for item in note.items.all()], home_program, list(library))


NO_CHANGES = progression.Progression()


@dataclass(frozen=True)
class PlanProgress:
    """The note page's part about the plan: the draft the note made (and whether it is signed yet), or the
    changes it would make and whether the plan can take them now."""

    draft: NotePlanDraft | None = None
    draft_signed: bool = False
    found: progression.Progression = NO_CHANGES
    plan_id: int | None = None
    plan_in_draft: bool = False


def plan_progress(note: VisitNote) -> PlanProgress:
    draft = NotePlanDraft.objects.filter(note=note).first()
    if draft is not None:
        signed = PlanVersion.objects.filter(plan_id=draft.plan_id, number=draft.number).exists()
        return PlanProgress(draft=draft, draft_signed=signed, plan_id=draft.plan_id)
    if note.plan_version_id is None:
        return PlanProgress()
    plan = note.plan_version.plan
    current = plan.versions.order_by("-number").first()
    return PlanProgress(
        found=home_program_changes(note, current),
        plan_id=plan.pk,
        plan_in_draft=plan.status == PlanStatus.DRAFT,
    )


def visits_without_signed_note(
    *, user: User, limit_hours: float, now: datetime.datetime | None = None
) -> QuerySet[Appointment]:
    """The user's completed visits with no signed note, oldest first: no note at all, or a note not signed
    yet. Marking a visit completed without one is allowed (the front desk checks visits out); this is the
    list that catches the missing note. An unsigned note the user wrote and left past the clinic's limit is
    left out here: "notes to finish" lists it already, so a visit is never listed twice."""
    boundary = rules.unsigned_before(now or timezone.now(), limit_hours)
    return (
        Appointment.objects.filter(
            episode__in=permissions.scoped_episodes(user), clinician=user, status=AppointmentStatus.COMPLETED
        )
        .exclude(note__signed_at__isnull=False)
        .exclude(note__author=user, note__created_at__lt=boundary)
        .select_related("episode__patient", "note")
        .order_by("starts_at", "pk")
    )


@dataclass(frozen=True)
class ReportDue:
    episode: EpisodeOfCare
    days: int
    status: str  # reports.DUE or reports.OVERDUE


@dataclass(frozen=True)
class RecertificationDue:
    episode: EpisodeOfCare
    ends: datetime.date  # the certified period's last day
    status: str  # reports.DUE or reports.OVERDUE


def _my_open_episodes(user: User) -> QuerySet[EpisodeOfCare]:
    return permissions.scoped_episodes(user).filter(lead_clinician=user, status=EpisodeStatus.OPEN)


def _treatment_visits(user: User) -> list[tuple[int, datetime.date]]:
    """(episode id, the clinic's day) of every completed visit of the user's open episodes: one query."""
    zone = user.clinic.zone
    visits = Appointment.objects.filter(
        episode__in=_my_open_episodes(user), status=AppointmentStatus.COMPLETED
    ).values_list("episode_id", "starts_at")
    return [(episode, timezone.localtime(starts, zone).date()) for episode, starts in visits]


def _last_days(rows: QuerySet, field: str) -> dict[int, datetime.date]:
    """Episode id -> the latest ``field`` of its ``rows``: one query."""
    return dict(rows.values("episode_id").annotate(last=Max(field)).values_list("episode_id", "last"))


def progress_reports_due(
    *, user: User, every: int, visits: list[tuple[int, datetime.date]] | None = None
) -> list[ReportDue]:
    """The user's open episodes (as lead clinician) due or overdue a progress report, most treatment days
    first. Three queries whatever the number of episodes and visits: the last report of each episode, the
    days of their completed visits (none when ``visits`` is given), and the due episodes with their patients."""
    episodes = _my_open_episodes(user)
    last_reports = _last_days(ProgressReport.objects.filter(episode__in=episodes), "reported_on")
    counts = reports.episodes_due(_treatment_visits(user) if visits is None else visits, last_reports, every)
    found = episodes.select_related("patient").in_bulk([count.episode for count in counts])
    return [ReportDue(episode=found[count.episode], days=count.days, status=count.status) for count in counts]


def recertifications_due(
    *,
    user: User,
    period_days: int,
    today: datetime.date | None = None,
    visits: list[tuple[int, datetime.date]] | None = None,
) -> list[RecertificationDue]:
    """The user's open episodes (as lead clinician) whose plan of care is due or overdue a re-certification,
    the earliest end of the certified period first. Three queries whatever the number of episodes: the last
    certification of each episode, the days of their completed visits (none when ``visits`` is given), and
    the due episodes with their patients."""
    episodes = _my_open_episodes(user)
    last_certifications = _last_days(PlanCertification.objects.filter(episode__in=episodes), "certified_on")
    found_due = reports.episodes_to_recertify(
        _treatment_visits(user) if visits is None else visits,
        last_certifications,
        today or timezone.localdate(timezone=user.clinic.zone),
        period_days,
    )
    found = episodes.select_related("patient").in_bulk([due.episode for due in found_due])
    return [RecertificationDue(episode=found[due.episode], ends=due.ends, status=due.status) for due in found_due]


@dataclass(frozen=True)
class DashboardNotes:
    """The clinician dashboard's lists that come from visit notes beyond "notes to finish"."""

    missing: list[Appointment]
    missing_count: int
    reports_enabled: bool = False
    reports_due: list[ReportDue] | None = None
    report_every: int = 0
    recertifications_due: list[RecertificationDue] | None = None
    certification_days: int = 0

    @property
    def patients(self) -> list:
        return (
            [visit.episode.patient for visit in self.missing]
            + [due.episode.patient for due in self.reports_due or ()]
            + [due.episode.patient for due in self.recertifications_due or ()]
        )


def dashboard_notes(*, user: User, limit_hours: float) -> DashboardNotes:
    """A fixed number of queries whatever the number of visits: the first ``DASHBOARD_NOTES`` rows, and
    a count only when there are more; where the clinic tracks progress reports, the episodes due one and
    those due a re-certification of the plan of care (their completed visits read once for both)."""
    visits = visits_without_signed_note(user=user, limit_hours=limit_hours)
    missing = list(visits[:DASHBOARD_NOTES])
    count = len(missing) if len(missing) < DASHBOARD_NOTES else visits.count()
    if not user.clinic.progress_reports:
        return DashboardNotes(missing=missing, missing_count=count)
    settings = thresholds.for_clinic(user.clinic)
    every = int(settings["progress_report_treatment_days"])
    period_days = int(settings["plan_certification_days"])
    treated = _treatment_visits(user)
    return DashboardNotes(
        missing=missing,
        missing_count=count,
        reports_enabled=True,
        reports_due=progress_reports_due(user=user, every=every, visits=treated),
        report_every=every,
        recertifications_due=recertifications_due(user=user, period_days=period_days, visits=treated),
        certification_days=period_days,
    )


def last_certification(episode: EpisodeOfCare) -> PlanCertification | None:
    return PlanCertification.objects.filter(episode=episode).order_by("-certified_on", "-pk").first()


def is_reassessment(assessment: Assessment) -> bool:
    """An assessment after the episode's first (by day, then by the order they were made)."""
    return (
        Assessment.objects.filter(episode_id=assessment.episode_id)
        .filter(Q(assessed_on__lt=assessment.assessed_on) | Q(assessed_on=assessment.assessed_on, pk__lt=assessment.pk))
        .exists()
    )


def report_goals(assessment: Assessment) -> list[str]:
    """The goals of the episode's latest signed plan, for the report to assess progress toward each."""
    version = PlanVersion.objects.filter(plan__episode_id=assessment.episode_id).order_by("-signed_at", "-pk").first()
    return list(version.signed.goals) if version is not None else []


# What the API's note-state route answers for a visit, the front desk's whole view of its note.
NOTE_STATES = ("signed", "draft", "none")


def visits_with_note_state(user: User) -> QuerySet[Appointment]:
    """The visits the user may see on the schedule, each annotated with ``note_state`` (one of
    ``NOTE_STATES``) by the database: one query for a page of visits, and no note content read."""
    return (
        permissions.scoped(user, Appointment)
        .select_related("episode__patient")
        .annotate(
            note_state=Case(
                When(note__signed_at__isnull=False, then=Value("signed")),
                When(note__isnull=False, then=Value("draft")),
                default=Value("none"),
                output_field=CharField(),
            )
        )
    )


def notes_for_api(user: User) -> QuerySet[VisitNote]:
    """The notes the user may read, each with its visit, lines and addenda: the same number of
    queries for a page of notes whatever their lines and addenda."""
    return (
        permissions.scoped(user, VisitNote)
        .select_related("appointment__episode__patient", "author", "signed_by", "plan_version")
        .prefetch_related("items", Prefetch("addenda", queryset=NoteAddendum.objects.select_related("author")))
    )
