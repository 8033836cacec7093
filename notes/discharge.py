"""Every write of a discharge and of the follow-up after it, and what the discharge page pre-fills.

A discharge closes the episode (status and closing day), records why and what the patient's
summary says, queues its PDFs (``notes.discharge_documents``), tells webhooks, and owes the
outcome questionnaires by link: at once when the clinician asks for final measures (or the
front desk discharges a lapsed episode), and again ``follow_up_months`` after the discharge to a
patient who agreed (``notes.discharge_rules``). The questionnaires are the episode's own, by
instrument code (``episode_instruments``), so a questionnaire added to the intake joins them.
"""

from __future__ import annotations

import contextlib
import datetime
from decimal import ROUND_HALF_UP, Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Exists, F, OuterRef, Q, QuerySet
from django.utils import timezone

from assessments import progress
from assessments import selectors as assessment_selectors
from assessments.models import OutcomeScore
from clinic import audit, permissions, queueing, thresholds
from clinic.models import EpisodeOfCare, EpisodeStatus, Patient, User
from clinic.outbox import services as outbox
from clinic.outbox.models import MessageKind
from clinic.scheduling.models import ATTENDED_STATUSES, Appointment, AppointmentStatus
from clinic.webhooks import services as webhooks
from clinic.webhooks.rules import EventType
from domain.facts import SCORE_RANGES
from intake import instruments, scoring
from intake.models import LicensedInstrumentText
from notes import discharge_rules, outcome_facts
from notes.models import (
    Discharge,
    DischargeDocument,
    DischargeDocumentKind,
    DischargeReason,
    FollowUp,
    FollowUpConsent,
    FollowUpKind,
    FollowUpScore,
)
from plans.models import PlanVersion
from plans.signed import SignedPlan

SUMMARY_FIELDS = ("what_improved", "home_program", "when_to_come_back")
REFERRER_FIELDS = ("referrer_name", "referrer_address", "letter_wanted")
# Visits that happened: what "no visit for weeks" counts from.
ATTENDED = ATTENDED_STATUSES


# --- The episode's questionnaires ---------------------------------------------------------------


def _answerable(instrument: instruments.Instrument) -> bool:
    # A score-only questionnaire (its licence unverified) has no wording a patient may be shown.
    return instrument.text_status != "score_only" and not getattr(instrument, "score_only", False)


def episode_instrument_codes(episode: EpisodeOfCare) -> list[str]:
    """The codes of the questionnaires the episode has scores of (intake and visits), in the
    intake's order of instruments; NPRS always, as every intake asks it."""
    codes = {"nprs"}
    codes.update(episode.intake.scores.values_list("instrument", flat=True) if hasattr(episode, "intake") else [])
    codes.update(OutcomeScore.objects.filter(assessment__episode=episode).values_list("instrument", flat=True))
    return [code for code in instruments.INSTRUMENTS if code in codes]


def episode_instruments(episode: EpisodeOfCare) -> list[instruments.Instrument]:
    """The episode's questionnaires a patient can answer by link, in the clinic's licensed wording
    where it has one."""
    licensed = {
        row.instrument: row for row in LicensedInstrumentText.objects.filter(clinic_id=episode.patient.clinic_id)
    }
    chosen = []
    for code in episode_instrument_codes(episode):
        instrument = instruments.INSTRUMENTS[code]
        if not _answerable(instrument):
            continue
        # Wording that does not fit (saved outside the admin's check): the shipped text asks the same items.
        if code in licensed:
            with contextlib.suppress(ValueError):
                instrument = licensed[code].apply(instrument)
        chosen.append(instrument)
    return chosen


# --- What the discharge page pre-fills ------------------------------------------------------------


def _plain(value: Decimal) -> str:
    return f"{value.quantize(Decimal('0.1'), rounding=ROUND_HALF_UP).normalize():f}"


def what_improved(episode: EpisodeOfCare) -> str:
    """Each questionnaire's first and latest score in the episode, in plain words, with whether the
    change is meaningful by the clinic's MCIDs where the product has one for it."""
    records = assessment_selectors.progress_records(episode)
    limits = thresholds.mcid(records.limits)
    lines = []
    for code in dict.fromkeys(reading.instrument for reading in records.outcomes):
        readings = [reading for reading in records.outcomes if reading.instrument == code]
        if len(readings) < 2:
            continue
        first, latest = readings[0], readings[-1]
        instrument = instruments.INSTRUMENTS.get(code)
        name = instrument.name if instrument else code.upper()
        line = f"{name}: {_plain(first.value)} at the start, {_plain(latest.value)} now"
        if code in SCORE_RANGES:
            change = progress.compare_outcome(code, first.value, latest.value, **limits).change
            line += {
                progress.Change.IMPROVED: " (a meaningful improvement)",
                progress.Change.WORSE: " (worse)",
            }.get(change, " (no meaningful change)")
        lines.append(line + ".")
    return "\n".join(lines)


def latest_signed_version(episode: EpisodeOfCare) -> PlanVersion | None:
    return (
        PlanVersion.objects.filter(plan__episode=episode, signed_at__isnull=False)
        .select_related("plan")
        .order_by("-signed_at", "-pk")
        .first()
    )


def home_program(episode: EpisodeOfCare) -> str:
    """The home-program items of the episode's latest signed plan, one a line with their dosage."""
    version = latest_signed_version(episode)
    if version is None:
        return ""
    items = SignedPlan.of(version).home_items
    return "\n".join(f"{item.name}: {item.dosage}" if item.dosage else item.name for item in items)


def prefill(episode: EpisodeOfCare) -> dict[str, str]:
    return {"what_improved": what_improved(episode), "home_program": home_program(episode)}


# --- Consent ----------------------------------------------------------------------------------------


def follow_up_consented(patient: Patient) -> bool:
    return FollowUpConsent.objects.filter(patient=patient, agreed=True).exists()


def consent_set(*, actor: User, patient: Patient, agreed: bool) -> None:
    """Record whether the patient agrees to questionnaires after discharge (off until recorded)."""
    if not permissions.can_change_patient(actor, patient):
        raise PermissionDenied
    row = FollowUpConsent.objects.filter(patient=patient).first()
    if row is not None and row.agreed == agreed:
        return
    with transaction.atomic():
        row = row or FollowUpConsent(patient=patient)
        row.agreed, row.recorded_by, row.recorded_at = agreed, actor, timezone.now()
        row.save()
        audit.record(actor=actor, action="follow_up_consent.recorded", obj=row, changed_fields=["agreed"])
        if not agreed:
            # What was owed stops with the consent: unanswered follow-ups not yet sent are cancelled.
            owed = FollowUp.objects.filter(
                episode__patient=patient, kind=FollowUpKind.FOLLOW_UP, sent_at__isnull=True, answered_at__isnull=True
            ).values("pk")
            outbox.cancel_all(
                kinds=[MessageKind.FOLLOW_UP], subject_ids=owed, reason="The patient withdrew consent to follow-ups."
            )


# --- Discharging ------------------------------------------------------------------------------------


def _due_at(clinic, day: datetime.date) -> datetime.datetime:
    # On the clinic's calendar, when its quiet hours end: the first moment a reminder may go that day.
    return datetime.datetime.combine(day, clinic.quiet_hours_end, tzinfo=clinic.zone).astimezone(datetime.UTC)


def _owe_follow_up(episode: EpisodeOfCare, kind: str, due_on: datetime.date) -> FollowUp:
    follow_up, _ = FollowUp.objects.get_or_create(episode=episode, kind=kind, due_on=due_on)
    clinic = episode.patient.clinic
    due_at = max(_due_at(clinic, due_on), timezone.now())
    outbox.enqueue(kind=MessageKind.FOLLOW_UP, episode=episode, subject_id=follow_up.pk, due_at=due_at)
    return follow_up


def _check(discharge: Discharge) -> None:
    errors = {}
    if discharge.reason == DischargeReason.OTHER and not discharge.reason_text.strip():
        errors["reason_text"] = "Say why, when the reason is other."
    if discharge.letter_wanted:
        for name, label in (("referrer_name", "name"), ("referrer_address", "address")):
            if not getattr(discharge, name).strip():
                errors[name] = f"A letter to the referrer needs their {label}."
    if errors:
        raise ValidationError(errors)
    discharge.full_clean(exclude=["episode"])


def discharge_episode(
    *,
    actor: User,
    episode: EpisodeOfCare,
    reason: str,
    reason_text: str = "",
    discharged_on: datetime.date | None = None,
    what_improved: str = "",
    home_program: str = "",
    when_to_come_back: str = "",
    referrer_name: str = "",
    referrer_address: str = "",
    letter_wanted: bool = False,
    send_final_measures: bool = False,
    follow_up_consent: bool | None = None,
) -> Discharge:
    """Discharge an open episode: a clinician of its clinic (the front desk uses
    ``discharge_stopped_attending``). ``follow_up_consent`` None keeps what the patient said before."""
    patient = episode.patient
    if not (permissions.can_change_episode(actor, episode) and permissions.can_change_clinical(actor, patient)):
        raise PermissionDenied
    return _discharge(
        actor=actor,
        episode=episode,
        values={
            "reason": reason,
            "reason_text": reason_text.strip(),
            "what_improved": what_improved,
            "home_program": home_program,
            "when_to_come_back": when_to_come_back,
            "referrer_name": referrer_name.strip(),
            "referrer_address": referrer_address.strip(),
            "letter_wanted": letter_wanted,
        },
        discharged_on=discharged_on,
        send_final_measures=send_final_measures,
        follow_up_consent=follow_up_consent,
    )


def _discharge(
    *,
    actor: User,
    episode: EpisodeOfCare,
    values: dict,
    discharged_on: datetime.date | None,
    send_final_measures: bool,
    follow_up_consent: bool | None,
) -> Discharge:
    patient = episode.patient
    clinic = patient.clinic
    today = timezone.localdate(timezone=clinic.zone)
    day = discharged_on or today
    if day > today:
        raise ValidationError({"discharged_on": "The discharge day cannot be in the future."})
    if day < episode.opened_on:
        raise ValidationError({"discharged_on": "The discharge day cannot be before the episode opened."})
    discharge = Discharge(
        episode=episode, discharged_by=actor, discharged_at=timezone.now(), discharged_on=day, **values
    )
    _check(discharge)
    with transaction.atomic():
        if follow_up_consent is not None:
            consent_set(actor=actor, patient=patient, agreed=follow_up_consent)
        locked = EpisodeOfCare.objects.select_for_update().get(pk=episode.pk)
        if locked.status != EpisodeStatus.OPEN or Discharge.objects.filter(episode=episode).exists():
            raise ValidationError("This episode is already discharged.")
        discharge.save()
        locked.status, locked.closed_on = EpisodeStatus.DISCHARGED, day
        locked.save(update_fields=["status", "closed_on", "updated_at"])
        episode.status, episode.closed_on = locked.status, locked.closed_on
        audit.record(
            actor=actor,
            action="episode.discharged",
            obj=discharge,
            changed_fields=["reason", *[name for name in (*SUMMARY_FIELDS, *REFERRER_FIELDS) if values.get(name)]],
        )
        kinds = [DischargeDocumentKind.SUMMARY] + ([DischargeDocumentKind.LETTER] if discharge.letter_wanted else [])
        for kind in kinds:
            document = DischargeDocument.objects.create(discharge=discharge, kind=kind)
            from notes.tasks import render_discharge_document

            queueing.after_commit(render_discharge_document, document.pk)
        if send_final_measures:
            _owe_follow_up(episode, FollowUpKind.FINAL, day)
        months = thresholds.for_clinic(clinic)["follow_up_months"]
        for due_on in discharge_rules.follow_up_days(
            discharged_on=day, months=months, consent=follow_up_consented(patient)
        ):
            _owe_follow_up(episode, FollowUpKind.FOLLOW_UP, due_on)
        outcome_facts.refresh_episode(episode.pk)
        webhooks.emit(
            EventType.EPISODE_DISCHARGED,
            clinic_id=clinic.pk,
            data={"episode": episode.pk, "discharge": discharge.pk},
        )
    return discharge


def discharge_stopped_attending(*, actor: User, episode: EpisodeOfCare) -> Discharge:
    """The front desk discharges a lapsed episode as "patient stopped attending": no summary text
    (the front desk writes no clinical content), and the outcome questionnaires go by link."""
    if not permissions.can_schedule(actor) or not permissions.can_change_episode(actor, episode):
        raise PermissionDenied
    if not lapsed_episodes(user=actor).filter(pk=episode.pk).exists():
        raise ValidationError("This episode is not lapsed: it has a visit booked or a recent one.")
    return _discharge(
        actor=actor,
        episode=episode,
        values={"reason": DischargeReason.STOPPED_ATTENDING},
        discharged_on=None,
        send_final_measures=True,
        follow_up_consent=None,
    )


# --- The lapsed list --------------------------------------------------------------------------------


def lapsed_episodes(*, user: User, weeks: Decimal | None = None) -> QuerySet[EpisodeOfCare]:
    """Open episodes of the user's clinic with no visit booked ahead and none attended for the
    clinic's ``lapsed_after_weeks`` (``weeks`` when the caller read it already;
    ``discharge_rules.lapsed``), longest lapsed first and never attended last (by the stored
    ``last_attended_at``, in the order of the index ``episode_open_last_attended``). Bounded by the
    caller's page."""
    clinic = user.clinic
    today = timezone.localdate(timezone=clinic.zone)
    if weeks is None:
        weeks = thresholds.for_clinic(clinic)["lapsed_after_weeks"]
    cutoff = discharge_rules.lapsed_cutoff(today, weeks)
    cutoff_at = datetime.datetime.combine(cutoff + datetime.timedelta(days=1), datetime.time.min, tzinfo=clinic.zone)
    upcoming = Appointment.objects.filter(
        episode=OuterRef("pk"), starts_at__gte=timezone.now(), status=AppointmentStatus.BOOKED
    )
    return (
        permissions.scoped_episodes(user)
        .filter(status=EpisodeStatus.OPEN)
        .filter(Q(last_attended_at__lt=cutoff_at) | Q(last_attended_at__isnull=True, opened_on__lte=cutoff))
        .exclude(Exists(upcoming))
        .select_related("patient")
        # Nulls last said, not left to the database: SQLite puts them first.
        .order_by(F("last_attended_at").asc(nulls_last=True), "opened_on", "pk")
    )


# --- Follow-up answers (the patient's side) ---------------------------------------------------------


def follow_up_opened(*, follow_up: FollowUp) -> None:
    audit.record_read(actor=None, action=audit.Read.FOLLOW_UP_OPENED_BY_PATIENT, obj=follow_up)


def follow_up_answer(*, follow_up: FollowUp, answers: dict[str, dict[str, int | None]]) -> FollowUp:
    """Score and store the questionnaires the patient answered ({instrument code: {item: value}});
    a link answers once."""
    clinic = follow_up.episode.patient.clinic
    odi_min = int(thresholds.for_clinic(clinic)["odi_min_sections"])
    chosen = {instrument.code: instrument for instrument in episode_instruments(follow_up.episode)}
    if chosen and not discharge_rules.anything_answered(
        {code: given for code, given in answers.items() if code in chosen}
    ):
        raise ValidationError(discharge_rules.NOTHING_ANSWERED)
    with transaction.atomic():
        locked = FollowUp.objects.select_for_update().get(pk=follow_up.pk)
        if locked.answered_at is not None:
            raise ValidationError("These questions have already been answered. Thank you.")
        rows = []
        for code, given in answers.items():
            instrument = chosen.get(code)
            if instrument is None:
                continue
            result = scoring.score(instrument, given, odi_min_sections=odi_min)
            rows.append(
                FollowUpScore(
                    follow_up=locked,
                    instrument=code,
                    version=result.version,
                    answers=given,
                    value=None
                    if result.value is None
                    else result.value.quantize(Decimal("0.001"), rounding=ROUND_HALF_UP),
                    display=result.display,
                    items_answered=result.items_answered,
                    items_total=result.items_total,
                    complete=result.complete,
                    scored=result.scored,
                    band=result.band or "",
                )
            )
        FollowUpScore.objects.bulk_create(rows)
        locked.answered_at = timezone.now()
        locked.save(update_fields=["answered_at"])
        audit.record(actor=None, action="follow_up.answered_by_patient", obj=locked, changed_fields=list(chosen))
        # The final measures are the episode's last readings; a follow-up answered is one not missed.
        outcome_facts.refresh_episode(locked.episode_id)
    follow_up.answered_at = locked.answered_at
    return follow_up
