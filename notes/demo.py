"""Synthetic visit notes for the demo clinic (``manage.py seed_demo``): a note on the last completed
follow-up visits of each episode with a signed plan, most signed (one with an addendum), one left
unsigned past the clinic's limit so the dashboard's "notes to finish" has a row.

The demo's visits are rebuilt on every run, so ``clear`` removes their notes first. The demo plans
are signed on the day the demo is seeded, after its past visits, so a note's lines are the plan's
items written in here rather than pre-filled.
"""

from __future__ import annotations

import datetime

from django.utils import timezone

from assessments.progress import RomMethod
from clinic.models import Clinic
from clinic.scheduling.models import Appointment, AppointmentKind, AppointmentStatus
from notes import measures, rules, services
from notes.models import NoteAddendum, VisitNote
from plans.models import PlanVersion

NOTES_PER_EPISODE = 2
_REGIONS = {
    "manipulation": ("L4–L5", "Grade III PA mobilisation"),
    "soft_tissue": ("Hip flexors R", "Myofascial release"),
}


def clear(episode_ids: list[int]) -> None:
    """Remove the notes of the demo's visits before the visits are rebuilt."""
    notes = VisitNote.objects.filter(appointment__episode_id__in=episode_ids)
    NoteAddendum.objects.filter(note__in=notes).delete()
    notes.delete()


def _line(item) -> rules.LineDraft:
    region, technique = _REGIONS.get(item.prong.value, ("Hip and trunk", "Supervised"))
    if item.prong.value == "exercise":
        return rules.LineDraft(
            prong=item.prong.value,
            name=item.name,
            region=region,
            technique=technique,
            sets=item.sets or 2,
            reps=item.reps or "10",
        )
    return rules.LineDraft(prong=item.prong.value, name=item.name, region=region, technique=technique, minutes=5)


def seed_notes(*, clinic: Clinic) -> int:
    versions = (
        PlanVersion.objects.filter(plan__episode__patient__clinic=clinic)
        .select_related("plan__episode__lead_clinician")
        .order_by("plan__episode_id", "-number")
    )
    latest = {version.plan.episode_id: version for version in reversed(list(versions))}
    made = 0
    left_unsigned = False
    for episode_id, version in sorted(latest.items()):
        clinician = version.plan.episode.lead_clinician
        visits = Appointment.objects.filter(
            episode_id=episode_id, kind=AppointmentKind.FOLLOW_UP, status=AppointmentStatus.COMPLETED
        ).order_by("-starts_at")[:NOTES_PER_EPISODE]
        for number, visit in enumerate(reversed(list(visits))):
            note = services.note_open(actor=clinician, appointment=visit)
            services.note_save(
                actor=clinician,
                note=note,
                values={
                    "pain_now": 4 - number,
                    "pain_since_last": 5 - number,
                    "function": "Running 20 minutes easy without stopping.",
                    "response": "better",
                    "response_text": "Less morning stiffness; pain on the stairs eased.",
                    "next_visit": "Repeat the plan; review the home program.",
                    "total_minutes": 30,
                    "timed_minutes": 20,
                },
                lines=[(None, _line(item)) for item in version.signed.items],
            )
            _remeasure(clinician, note, number)
            made += 1
            if not left_unsigned:
                # Written two days after the visit's limit would flag it: the dashboard's example.
                VisitNote.objects.filter(pk=note.pk).update(created_at=timezone.now() - datetime.timedelta(days=3))
                left_unsigned = True
                continue
            services.note_sign(actor=clinician, note=note)
            if made == 3:
                services.addendum_add(
                    actor=clinician, note=note, text="Late entry: advised ice after long runs for the next week."
                )
    return made


def _remeasure(clinician, note: VisitNote, number: int) -> None:
    """Re-measures of what the demo's initial exams find (the left hip's extension, tight at about
    17°, and a positive Thomas test on the left), taken as those exams take them, and a PART exam
    at L5 that eases from one visit to the next."""
    method = RomMethod(position="prone", device="goniometer", mode="passive")
    extension = measures.Remeasure(kind="rom", code="extension", side="left", degrees=20 + 6 * number, method=method)
    thomas = measures.Remeasure(kind="special_test", code="thomas", side="left", result="negative")
    for measure in (extension, thomas):
        services.measure_save(actor=clinician, note=note, measure=measure)
    part = measures.PartExam(pain=True, asymmetry=number == 0, range_of_motion=True)
    services.part_save(actor=clinician, note=note, segment="L5", exam=part)
