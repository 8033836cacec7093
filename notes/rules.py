"""The visit note's rules over plain values: what a new note is pre-filled with, when an
unsigned note is "to finish", and what signing requires.

Sources (DOMAIN B12.1, B12.2 and Part A "Daily note", "Signing and corrections"): a note names
each intervention delivered with its region or segment, technique and dose (sets × reps, load
or minutes), the timed and total minutes, the patient's response and the plan for the next
visit, and is authenticated with the signer's credentials (S215, S218). An unsigned note is
flagged after the clinic's limit, 48 hours by default (one contractor's guidance, S222).
Pre-filling from the plan, the last note and the portal is a product rule (DOMAIN is silent).
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass, field

from domain.facts import THRESHOLD_DEFAULTS

DELIVERED = "delivered"
MODIFIED = "modified"
NOT_DONE = "not_done"
GIVEN = (DELIVERED, MODIFIED)


@dataclass(frozen=True)
class PlannedItem:
    """A line of the signed plan, as the note needs it."""

    prong: str
    name: str
    sets: int | None = None
    reps: str = ""
    intervention_key: str = ""  # the library's, as the signed plan names it


@dataclass(frozen=True)
class LineDraft:
    """One intervention line of a note, as entered or pre-filled."""

    prong: str
    name: str
    status: str = DELIVERED
    not_done_reason: str = ""
    region: str = ""
    technique: str = ""
    minutes: int | None = None
    sets: int | None = None
    reps: str = ""
    load: str = ""
    progression: str = ""
    from_plan: bool = False
    intervention_key: str = ""
    thrust: str = ""  # the clinician's mark: "", "spinal" or "other" (notes.safety)


def prefill_lines(planned: Sequence[PlannedItem], last_lines: Sequence[LineDraft]) -> list[LineDraft]:
    """The lines of a new note: every item of the signed plan, in the plan's order, marked as
    delivered. Where the last note had the same intervention (same prong and name), its region,
    technique (and whether it was a thrust), minutes, sets × reps and load carry over, as the visit
    most likely repeats it; otherwise the plan's own sets and reps. A progression is never carried: it is what changed
    at that visit. Lines the last note added outside the plan are not repeated."""
    last = {(line.prong, line.name): line for line in last_lines}
    lines = []
    for item in planned:
        before = last.get((item.prong, item.name))
        if before is None:
            lines.append(
                LineDraft(
                    prong=item.prong,
                    name=item.name,
                    sets=item.sets,
                    reps=item.reps,
                    from_plan=True,
                    intervention_key=item.intervention_key,
                )
            )
            continue
        lines.append(
            LineDraft(
                prong=item.prong,
                name=item.name,
                region=before.region,
                technique=before.technique,
                minutes=before.minutes,
                sets=before.sets if before.sets is not None else item.sets,
                reps=before.reps or item.reps,
                load=before.load,
                from_plan=True,
                intervention_key=item.intervention_key,
                thrust=before.thrust,
            )
        )
    return lines


@dataclass(frozen=True)
class DayLog:
    """One day the patient logged in the portal: how many exercises they ticked, their pain."""

    day: datetime.date
    done: int
    pain: int | None


@dataclass(frozen=True)
class PortalSummary:
    days: int  # days in the period
    days_logged: int
    days_with_exercise: int
    pains: tuple[int, ...] = field(default_factory=tuple)  # by day, oldest first

    @property
    def text(self) -> str:
        """The summary as the note's adherence field is pre-filled with; empty with no log."""
        if not self.days_logged:
            return ""
        words = f"Portal log: exercises done on {self.days_with_exercise} of {self.days} days"
        if self.pains:
            low, high = min(self.pains), max(self.pains)
            spread = f"{low}" if low == high else f"{low}–{high}"
            words += f"; pain {spread}/10 (latest {self.pains[-1]})"
        return words + "."


def portal_summary(logs: Sequence[DayLog], since: datetime.date, until: datetime.date) -> PortalSummary:
    """What the patient logged from ``since`` (the day after the last visit, or the plan's first
    day) to ``until`` (the day before this visit), both included."""
    days = max((until - since).days + 1, 0)
    inside = sorted((log for log in logs if since <= log.day <= until), key=lambda log: log.day)
    return PortalSummary(
        days=days,
        days_logged=len(inside),
        days_with_exercise=sum(1 for log in inside if log.done > 0),
        pains=tuple(log.pain for log in inside if log.pain is not None),
    )


def to_finish(
    *,
    created_at: datetime.datetime,
    signed: bool,
    now: datetime.datetime,
    limit_hours: int | float = THRESHOLD_DEFAULTS["note_unsigned_hours"],
) -> bool:
    """Whether a note is listed as to finish: unsigned, and written more than the clinic's
    limit ago."""
    return not signed and now - created_at > datetime.timedelta(hours=float(limit_hours))


def unsigned_before(now: datetime.datetime, limit_hours: int | float) -> datetime.datetime:
    """Notes created before this moment and still unsigned are to finish (``to_finish``'s
    boundary, for a query)."""
    return now - datetime.timedelta(hours=float(limit_hours))


@dataclass(frozen=True)
class NoteContent:
    """What signing looks at."""

    lines: tuple[LineDraft, ...]
    total_minutes: int | None
    timed_minutes: int | None
    response: str
    next_visit: str
    signer_credentials: str
    # An emergency red flag blocks every intervention (notes.safety): the note of a visit that
    # referred the patient on records nothing delivered.
    blocked: bool = False


def _dose_given(line: LineDraft) -> bool:
    return bool((line.sets and line.reps.strip()) or line.load.strip() or line.minutes)


def sign_problems(content: NoteContent) -> list[str]:
    """Why the note cannot be signed yet, one message a missing element; empty when it can."""
    problems = []
    given = [line for line in content.lines if line.status in GIVEN]
    if not given and not content.blocked:
        problems.append("Record at least one intervention delivered at this visit.")
    for line in given:
        missing = []
        if not line.region.strip():
            missing.append("the region or segment")
        if not line.technique.strip():
            missing.append("the technique")
        if not _dose_given(line):
            missing.append("the dose (sets × reps, load or minutes)")
        if missing:
            problems.append(f"{line.name}: give {_join(missing)}.")
    for line in content.lines:
        if line.status == NOT_DONE and not line.not_done_reason.strip():
            problems.append(f"{line.name}: say why it was not done.")
    if content.total_minutes is None:
        problems.append("Give the total treatment minutes.")
    if content.timed_minutes is None:
        problems.append("Give the timed-code minutes (0 if none).")
    elif content.total_minutes is not None and content.timed_minutes > content.total_minutes:
        problems.append("Timed minutes cannot be more than the total minutes.")
    if not content.response:
        problems.append("Record the patient's response to treatment (better, same or worse).")
    if not content.next_visit.strip():
        problems.append("Give the plan for the next visit.")
    if not content.signer_credentials.strip():
        problems.append("Add your credentials to your profile: a signed note carries them.")
    return problems


def _join(parts: list[str]) -> str:
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]
