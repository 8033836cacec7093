"""Every write of the intake: invitations, step answers, submission, review.

Patient-side writes have no staff actor; the audit row records them with the patient's
address and no actor.
"""

from __future__ import annotations

import datetime
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from clinic import audit, permissions, queueing, text_input, thresholds
from clinic.contact_changes import services as contact_changes
from clinic.models import EpisodeOfCare, User
from clinic.outbox import services as outbox
from clinic.outbox.models import MessageKind
from clinic.webhooks import services as webhooks
from clinic.webhooks.rules import EventType
from intake import forms, instruments, nudge_messages, rules, scoring, steps
from intake.models import Intake, IntakeInvitation, IntakeStatus, QuestionnaireScore, RedFlag, ReviewNote

# --- Invitations (staff) -------------------------------------------------------------------


def invitation_send(*, actor: User, episode: EpisodeOfCare, channel: str | None = None) -> IntakeInvitation:
    """Send (or re-send) the intake link. A re-send revokes the previous link; answers stay."""
    patient = episode.patient
    if not permissions.can_change_episode(actor, episode):
        raise PermissionDenied
    channel = channel or patient.preferred_contact_channel
    if channel == "email" and not patient.email:
        raise ValidationError({"channel": "The patient has no e-mail address; add one or send by text message."})
    if channel == "sms" and not patient.mobile_phone:
        raise ValidationError({"channel": "The patient has no mobile number; add one or send by e-mail."})
    if not patient.contact_consent:
        raise ValidationError({"channel": "The patient has not agreed to receive messages; record consent first."})
    days = int(thresholds.for_clinic(patient.clinic)["intake_link_days"])
    with transaction.atomic():
        intake, _ = Intake.objects.select_for_update().get_or_create(episode=episode)
        if intake.is_submitted:
            raise ValidationError("This intake is already submitted.")
        now = timezone.now()
        intake.invitations.filter(revoked_at__isnull=True).update(revoked_at=now, revoked_by=actor)
        invitation = IntakeInvitation.objects.create(
            intake=intake,
            channel=channel,
            created_by=actor,
            created_at=now,
            expires_at=now + datetime.timedelta(days=days),
        )
        audit.record(actor=actor, action="intake.invitation_sent", obj=invitation, patient=patient)
        nudge_messages.link_sent(invitation)
        outbox.enqueue(kind=MessageKind.INTAKE_LINK, episode=episode, subject_id=invitation.pk)
    return invitation


def invitation_revoke(*, actor: User, invitation: IntakeInvitation) -> IntakeInvitation:
    episode = invitation.intake.episode
    if not permissions.can_change_episode(actor, episode):
        raise PermissionDenied
    if invitation.revoked_at is None:
        with transaction.atomic():
            invitation.revoked_at = timezone.now()
            invitation.revoked_by = actor
            invitation.save(update_fields=["revoked_at", "revoked_by"])
            nudge_messages.cancel(invitation=invitation, reason="The intake link was revoked.")
            audit.record(actor=actor, action="intake.invitation_revoked", obj=invitation, patient=episode.patient)
    return invitation


def owed_red_flag_alerts() -> list[int]:
    stale = timezone.now() - datetime.timedelta(minutes=5)
    return list(RedFlag.objects.filter(notified_at__isnull=True, raised_at__lt=stale).values_list("pk", flat=True))


# --- The patient's side -----------------------------------------------------------------


def intake_opened(*, invitation: IntakeInvitation) -> None:
    now = timezone.now()
    intake = invitation.intake
    if invitation.opened_at is None:
        IntakeInvitation.objects.filter(pk=invitation.pk, opened_at__isnull=True).update(opened_at=now)
        invitation.opened_at = now
    if intake.opened_at is None:
        Intake.objects.filter(pk=intake.pk, opened_at__isnull=True).update(opened_at=now)
        intake.opened_at = now
        audit.record(actor=None, action="intake.opened_by_patient", obj=intake, patient=intake.episode.patient)


def _ensure_open(intake: Intake) -> None:
    if intake.is_submitted:
        raise ValidationError("This form has been submitted and can no longer be changed.")


def step_save(*, intake: Intake, step_code: str, answers: dict, client_ip: str | None = None) -> Intake:
    """Store a step's validated answers; clears its draft. Emergency red-flag answers alert
    the clinician at once, without waiting for the patient to submit."""
    _ensure_open(intake)
    with transaction.atomic():
        intake = Intake.objects.select_for_update().select_related("episode__patient").get(pk=intake.pk)
        _ensure_open(intake)
        intake.answers[step_code] = answers
        intake.drafts.pop(step_code, None)
        intake.status = IntakeStatus.IN_PROGRESS
        fields = ["answers", "drafts", "status", "updated_at"]
        if step_code == "consent":
            intake.consent_name = answers["signature"]
            # Empty when the patient signed; a parent or guardian says how they are related.
            intake.consent_relationship = answers.get("relationship", "")
            intake.consent_signed_at = timezone.now()
            intake.consent_ip = client_ip
            fields += ["consent_name", "consent_relationship", "consent_signed_at", "consent_ip"]
        intake.save(update_fields=fields)
        audit.record(actor=None, action=f"intake.step_saved.{step_code}", obj=intake, changed_fields=answers.keys())
        if step_code == "red_flags":
            emergencies = [flag for flag in _red_flags(intake) if flag.tier == rules.Tier.EMERGENCY]
            _raise_flags(intake, emergencies)
    return intake


def step_save_draft(*, intake: Intake, step_code: str, raw: dict[str, list[str]]) -> None:
    """Keep what the patient typed on a step that did not validate, so nothing is lost; but
    not the control characters the form refuses, which the database cannot store (NUL) or
    which nobody typed on purpose."""
    _ensure_open(intake)
    with transaction.atomic():
        locked = Intake.objects.select_for_update().get(pk=intake.pk)
        locked.drafts[step_code] = text_input.without_control_characters(raw)
        locked.status = IntakeStatus.IN_PROGRESS
        locked.save(update_fields=["drafts", "status", "updated_at"])
    intake.drafts = locked.drafts


def _nprs_answers(intake: Intake) -> dict[str, int | None]:
    complaint = intake.answers.get("complaint", {})
    return {
        "now": complaint.get("pain_now"),
        "least": complaint.get("pain_least"),
        "worst": complaint.get("pain_worst"),
    }


def _questionnaire_answers(intake: Intake, instrument: instruments.Instrument) -> dict[str, int | None]:
    answered = intake.answers.get("questionnaires", {})
    return {item.code: answered.get(forms.field_name(instrument.code, item.code)) for item in instrument.items}


def _red_flags(intake: Intake) -> list[rules.RaisedFlag]:
    patient = intake.episode.patient
    limits = thresholds.for_clinic(patient.clinic)
    answers = forms.red_flag_answers(intake.answers.get("red_flags", {}))
    return rules.raised_red_flags(
        answers,
        age=patient.age_on(timezone.localdate()),
        back_pain=instruments.involves_back(intake.answers.get("complaint", {}).get("regions", [])),
        caution_age_over=int(limits["caution_age_over"]),
        caution_age_under=int(limits["caution_age_under"]),
    )


def _raise_flags(intake: Intake, flags: list[rules.RaisedFlag]) -> list[RedFlag]:
    return red_flags_raise(episode=intake.episode, flags=flags, intake=intake)


def red_flags_raise(
    *, episode: EpisodeOfCare, flags: list[rules.RaisedFlag], actor: User | None = None, intake: Intake | None = None
) -> list[RedFlag]:
    """Store flags not already open on the episode, and alert the lead clinician after commit.

    The one way a red flag is raised, from the intake (no ``actor``: the patient answered) or from
    a clinician's record of new symptoms (``actor``, no ``intake``)."""
    open_codes = set(episode.red_flags.filter(cleared_at__isnull=True).values_list("code", flat=True))
    new = [
        RedFlag.objects.create(episode=episode, intake=intake, code=flag.code, tier=flag.tier, label=flag.label)
        for flag in flags
        if flag.code not in open_codes
    ]
    # The event names the intake when the intake raised the flag (webhook data holds ids only).
    source = {"intake": intake.pk} if intake else {}
    for flag in new:
        audit.record(actor=actor, action="red_flag.raised", obj=flag)
        webhooks.emit(
            EventType.RED_FLAG_RAISED,
            clinic_id=episode.patient.clinic_id,
            data={"episode": episode.pk, **source, "red_flag": flag.pk},
        )
    if new:
        from intake.tasks import notify_red_flags

        ids = [flag.pk for flag in new]
        queueing.after_commit(notify_red_flags, ids)
    return new


def _load_facts(intake: Intake) -> list[dict]:
    running = intake.answers.get("running", {})
    unit = running.get("distance_unit", "km")
    limits = thresholds.for_clinic(intake.episode.patient.clinic)
    facts = rules.load_facts(
        weekly_km_now=forms.as_km(running.get("weekly_now"), unit),
        weekly_km_2_weeks_ago=forms.as_km(running.get("weekly_2_weeks_ago"), unit),
        weekly_km_4_weeks_ago=forms.as_km(running.get("weekly_4_weeks_ago"), unit),
        longest_run_km_last_7_days=forms.as_km(running.get("longest_last_7_days"), unit),
        longest_run_km_prior_30_days=forms.as_km(running.get("longest_prior_30_days"), unit),
        progression_threshold_pct=limits["load_progression_pct"],
        spike_threshold_pct=limits["load_spike_pct"],
    )
    return [
        {"code": fact.code, "value": _rounded(fact.value, "0.1"), "threshold": fact.threshold, "message": fact.message}
        for fact in facts
    ]


def _rounded(value: Decimal | None, places: str) -> Decimal | None:
    # The pure modules keep exact values; storage keeps what the column and display need.
    return None if value is None else value.quantize(Decimal(places), rounding=ROUND_HALF_UP)


def unscorable_questionnaires(intake: Intake) -> list[tuple[str, str]]:
    """The chosen questionnaires the saved answers cannot score yet, as (name, why), so the patient can go back
    before submitting; scored exactly as submitting will score them."""
    names = {instrument.code: instrument.name for instrument in steps.chosen_instruments(intake)}
    return [
        (names[row.instrument], row.display.removeprefix("Not scored: "))
        for row in _score_rows(intake)
        if not row.scored and row.instrument in names
    ]


def _score_rows(intake: Intake) -> list[QuestionnaireScore]:
    odi_min = int(thresholds.for_clinic(intake.episode.patient.clinic)["odi_min_sections"])
    rows = []
    for instrument, answers in [
        (instruments.NPRS, _nprs_answers(intake)),
        *[(chosen, _questionnaire_answers(intake, chosen)) for chosen in steps.chosen_instruments(intake)],
    ]:
        result = scoring.score(instrument, answers, odi_min_sections=odi_min)
        rows.append(
            QuestionnaireScore(
                intake=intake,
                instrument=instrument.code,
                version=result.version,
                answers=answers,
                value=_rounded(result.value, "0.001"),
                display=result.display,
                items_answered=result.items_answered,
                items_total=result.items_total,
                complete=result.complete,
                scored=result.scored,
                band=result.band or "",
                detail=result.detail,
            )
        )
    if psfs := _psfs_row(intake):
        rows.append(psfs)
    return rows


def _psfs_row(intake: Intake) -> QuestionnaireScore | None:
    """The optional PSFS (DOMAIN A "PSFS", B5.4) when the patient named an activity; the names are kept in the
    score's detail, so that later visits re-rate the same activities."""
    ratings, names = forms.psfs_answers(intake.answers.get("questionnaires", {}))
    if not names:
        return None
    result = scoring.score(instruments.PSFS, ratings)
    return QuestionnaireScore(
        intake=intake,
        instrument=instruments.PSFS.code,
        version=result.version,
        answers=ratings,
        value=_rounded(result.value, "0.001"),
        display=result.display,
        items_answered=result.items_answered,
        items_total=result.items_total,
        complete=result.complete,
        scored=result.scored,
        band="",
        detail={**result.detail, "activities": names},
    )


def _propose_contact_details(intake: Intake) -> None:
    """The contact details the patient gave are held for the front desk to confirm: whoever
    holds the link may not be the patient (``clinic.contact_changes.services``)."""
    about = intake.answers.get("about", {})
    patient = intake.episode.patient
    contact_changes.propose(
        patient=patient,
        email=about.get("email", patient.email) or "",
        mobile_phone=about.get("mobile_phone", str(patient.mobile_phone or "")) or "",
        channel=about.get("preferred_contact_channel", patient.preferred_contact_channel),
        source="intake",
    )


def intake_submit(*, intake: Intake) -> Intake:
    """Lock the intake, score its questionnaires, raise its red flags, derive load facts."""
    with transaction.atomic():
        intake = Intake.objects.select_for_update().select_related("episode__patient__clinic").get(pk=intake.pk)
        _ensure_open(intake)
        missing = [steps.BY_CODE[code].title for code in steps.REQUIRED_BEFORE_SUBMIT if code not in intake.answers]
        if missing:
            raise ValidationError(f"Please complete these parts first: {', '.join(missing)}.")
        QuestionnaireScore.objects.bulk_create(_score_rows(intake))
        intake.load_facts = _load_facts(intake)
        intake.status = IntakeStatus.SUBMITTED
        intake.submitted_at = timezone.now()
        intake.save(update_fields=["load_facts", "status", "submitted_at", "updated_at"])
        _propose_contact_details(intake)
        _raise_flags(intake, _red_flags(intake))
        nudge_messages.cancel(intake=intake, reason="The intake is submitted.")
        audit.record(actor=None, action="intake.submitted", obj=intake)
        webhooks.emit(
            EventType.INTAKE_SUBMITTED,
            clinic_id=intake.episode.patient.clinic_id,
            data={"episode": intake.episode_id, "intake": intake.pk},
        )
    return intake


def notify_red_flags(*, red_flag_ids: list[int]) -> int:
    """E-mail the lead clinician about new red flags: a link only, no patient details."""
    sent = 0
    with transaction.atomic():
        flags = list(
            RedFlag.objects.select_for_update()
            .select_related("episode__lead_clinician")
            .filter(pk__in=red_flag_ids, notified_at__isnull=True)
        )
        for episode_id in {flag.episode_id for flag in flags}:
            of_episode = [flag for flag in flags if flag.episode_id == episode_id]
            clinician = of_episode[0].episode.lead_clinician
            # Flags are cleared on the intake summary; an episode without an intake (a flag raised
            # from a visit note) has only its own page to link to.
            page = "intake_summary" if Intake.objects.filter(episode_id=episode_id).exists() else "episode_detail"
            link = settings.SITE_URL.rstrip("/") + reverse(page, args=[episode_id])
            tiers = sorted({flag.get_tier_display() for flag in of_episode})
            send_mail(
                subject=f"Red flag ({', '.join(tiers).lower()}) on one of your episodes",
                message=render_to_string("intake/messages/red_flag_alert.txt", {"link": link, "flags": of_episode}),
                from_email=None,
                recipient_list=[clinician.email],
            )
            sent += 1
        RedFlag.objects.filter(pk__in=[flag.pk for flag in flags]).update(notified_at=timezone.now())
    return sent


# --- Review (clinicians) -------------------------------------------------------------------


def review_note_add(*, actor: User, intake: Intake, text: str) -> ReviewNote:
    if not permissions.can_change_clinical(actor, intake.episode.patient):
        raise PermissionDenied
    note = ReviewNote(intake=intake, author=actor, text=text.strip())
    note.full_clean()
    with transaction.atomic():
        note.save()
        audit.record(actor=actor, action="intake.review_note_added", obj=note)
    return note


def red_flag_clear(*, actor: User, red_flag: RedFlag, note: str) -> RedFlag:
    """Record medical clearance: who, when and why (DOMAIN B6.2)."""
    if not permissions.can_change_clinical(actor, red_flag.episode.patient):
        raise PermissionDenied
    if not note.strip():
        raise ValidationError({"note": "Say why the flag is cleared, e.g. who gave medical clearance."})
    if red_flag.cleared_at is None:
        with transaction.atomic():
            red_flag.cleared_at = timezone.now()
            red_flag.cleared_by = actor
            red_flag.clearance_note = note.strip()
            red_flag.save(update_fields=["cleared_at", "cleared_by", "clearance_note"])
            audit.record(actor=actor, action="red_flag.cleared", obj=red_flag, changed_fields=["cleared_at"])
    return red_flag
