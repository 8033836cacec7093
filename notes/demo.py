"""Synthetic visit notes for the demo clinic (``manage.py seed_demo``): a note on the last completed
follow-up visits of each episode with a signed plan, most signed (one with an addendum), one left
unsigned past the clinic's limit so the dashboard's "notes to finish" has a row.

The demo's visits are rebuilt on every run, so ``clear`` removes their notes first. The demo plans
are signed on the day the demo is seeded, after its past visits, so a note's lines are the plan's
items written in here rather than pre-filled.

``seed_discharges`` ends care for the demo's patients whose visits are all in the past: two discharged with
their goals met (one of them agreed to follow-ups and answered the one due three months later), one
discharged by the front desk as "stopped attending", and one left open and lapsed for the front desk's list.
"""

from __future__ import annotations

import datetime
from enum import StrEnum

from django.utils import timezone

from assessments.demo import seed_assessments
from assessments.progress import RomMethod
from clinic.models import Clinic, EpisodeOfCare, EpisodeStatus, User
from clinic.scheduling.models import Appointment, AppointmentKind, AppointmentStatus
from intake import demo as intake_demo
from intake.models import Intake
from notes import discharge, measures, rules, services
from notes.models import Discharge, DischargeReason, FollowUp, FollowUpKind, NoteAddendum, VisitNote
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


# --- Care that ended: discharges, a follow-up answered, and a lapsed episode ----------------------------------


class Ending(StrEnum):
    FOLLOWED_UP = "goals met, followed up"  # agreed to follow-ups; the one due 3 months later is answered
    GOALS_MET = "goals met"
    STOPPED_ATTENDING = "stopped attending"  # lapsed, then discharged by the front desk
    LAPSED = "lapsed"  # still open: the front desk's lapsed list

    @property
    def reassessed(self) -> bool:
        return self in {Ending.FOLLOWED_UP, Ending.GOALS_MET}


WHEN_TO_COME_BACK = "Book again if the pain comes back and lasts more than a week, or if running load rises sharply."
HOME_PROGRAM = "Keep up the home exercises from your plan twice a week."


def _better_answers(episode: EpisodeOfCare) -> dict[str, dict[str, int | None]]:
    """Answers near the better end of each of the episode's questionnaires, as a patient doing well gives them."""
    answers = {}
    for instrument in discharge.episode_instruments(episode):
        given = {}
        for number, item in enumerate(instrument.items):
            ranked = sorted(item.values, reverse=instrument.better == "higher")
            given[item.code] = ranked[min(number % 2, len(ranked) - 1)]
        answers[instrument.code] = given
    return answers


def _last_visit_on(episode: EpisodeOfCare) -> datetime.date:
    visit = Appointment.objects.filter(episode=episode, status=AppointmentStatus.COMPLETED).latest("starts_at")
    return timezone.localtime(visit.starts_at, episode.patient.clinic.zone).date()


def seed_discharges(*, endings: list[tuple[EpisodeOfCare, Ending]], front_desk: User) -> int:
    """Intakes, assessments and the ending of each open, not yet discharged episode in ``endings`` (whose
    visits are already in the past); returns how many episodes it ended. Through the clinicians', the
    front desk's and the patient's own services; episodes already ended are left alone."""
    todo = [
        (episode, ending)
        for episode, ending in endings
        if episode.status == EpisodeStatus.OPEN and not Discharge.objects.filter(episode=episode).exists()
    ]
    fresh = [episode for episode, _ in todo if not Intake.objects.filter(episode=episode).exists()]
    intake_demo.submitted_intakes(episodes=fresh, seed=2718)
    # The re-assessed first: the assessments' demo re-assesses its first few episodes.
    ordered = sorted(todo, key=lambda pair: not pair[1].reassessed)
    seed_assessments(
        episodes=[EpisodeOfCare.objects.select_related("intake", "lead_clinician").get(pk=e.pk) for e, _ in ordered],
        progress_examples=sum(ending.reassessed for _, ending in todo),
    )
    ended = 0
    for episode, ending in todo:
        if ending == Ending.LAPSED:
            continue
        if ending == Ending.STOPPED_ATTENDING:
            discharge.discharge_stopped_attending(actor=front_desk, episode=episode)
            ended += 1
            continue
        discharge.discharge_episode(
            actor=episode.lead_clinician,
            episode=episode,
            reason=DischargeReason.GOALS_MET,
            discharged_on=_last_visit_on(episode),
            what_improved=discharge.what_improved(episode),
            home_program=HOME_PROGRAM,
            when_to_come_back=WHEN_TO_COME_BACK,
            follow_up_consent=ending == Ending.FOLLOWED_UP,
        )
        ended += 1
        if ending == Ending.FOLLOWED_UP:
            follow_up = FollowUp.objects.get(episode=episode, kind=FollowUpKind.FOLLOW_UP)
            # Its link went out on the due day (a demo date in the past); the patient answered it two days later.
            sent = datetime.datetime.combine(follow_up.due_on, datetime.time(9), tzinfo=episode.patient.clinic.zone)
            FollowUp.objects.filter(pk=follow_up.pk).update(sent_at=sent)
            discharge.follow_up_answer(follow_up=follow_up, answers=_better_answers(episode))
            FollowUp.objects.filter(pk=follow_up.pk).update(answered_at=sent + datetime.timedelta(days=2))
    return ended
