"""Every write of the clinic core: patients, episodes of care, staff and roles.

Each function validates (``full_clean``), writes in one transaction, records the audit row,
and queues background work only after commit.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX
from django.contrib.auth.models import Group, Permission
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.db import models, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from clinic import account_notices, audit, permissions, queueing, rules, signals, thresholds
from clinic.models import (
    Clinic,
    ClinicianProfile,
    ClinicThreshold,
    EpisodeOfCare,
    EpisodeStatus,
    Patient,
    User,
    canonical_email,
)
from clinic.permissions import Role


def sync_role_groups() -> None:
    """Create the role groups and give each exactly its permissions (idempotent)."""
    for role, codes in permissions.ROLE_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=role.value)
        wanted = [code.split(".", 1) for code in codes]
        perms = Permission.objects.filter(
            models.Q(*[models.Q(content_type__app_label=app, codename=name) for app, name in wanted], _connector="OR")
        )
        group.permissions.set(perms)


def _apply(instance: models.Model, fields: dict[str, Any]) -> list[str]:
    """Set ``fields`` on ``instance`` and return the names whose value changed."""
    changed = []
    for name, value in fields.items():
        if getattr(instance, name) != value:
            setattr(instance, name, value)
            changed.append(name)
    return changed


# --- Patients ---------------------------------------------------------------------------

PATIENT_FIELDS = (
    "first_name",
    "last_name",
    "date_of_birth",
    "sex",
    "email",
    "mobile_phone",
    "preferred_contact_channel",
    "contact_consent",
)


def patient_create(*, actor: User, **fields: Any) -> Patient:
    if not permissions.can_add_patient(actor):
        raise PermissionDenied
    patient = Patient(clinic_id=actor.clinic_id, **fields)
    patient.full_clean()
    with transaction.atomic():
        patient.save()
        audit.record(actor=actor, action="patient.created", obj=patient, changed_fields=fields.keys())
    return patient


def patient_update(*, actor: User, patient: Patient, **fields: Any) -> Patient:
    if not permissions.can_change_patient(actor, patient):
        raise PermissionDenied
    changed = _apply(patient, fields)
    if not changed:
        return patient
    patient.full_clean()
    with transaction.atomic():
        patient.save()
        audit.record(actor=actor, action="patient.updated", obj=patient, changed_fields=changed)
    return patient


# --- Episodes of care ----------------------------------------------------------------------


def _check_lead_clinician(patient: Patient, clinician: User) -> None:
    if clinician.clinic_id != patient.clinic_id or Role.CLINICIAN not in permissions.roles_of(clinician):
        raise ValidationError({"lead_clinician": "Choose a clinician of this clinic."})


def episode_open(
    *,
    actor: User,
    patient: Patient,
    presenting_complaint: str,
    lead_clinician: User,
    opened_on: datetime.date | None = None,
) -> EpisodeOfCare:
    if not permissions.can_add_episode(actor, patient):
        raise PermissionDenied
    episode = EpisodeOfCare(
        patient=patient,
        presenting_complaint=presenting_complaint,
        lead_clinician=lead_clinician,
        opened_on=opened_on or timezone.localdate(),
    )
    episode.full_clean()
    _check_lead_clinician(patient, lead_clinician)
    with transaction.atomic():
        episode.save()
        audit.record(
            actor=actor,
            action="episode.opened",
            obj=episode,
            changed_fields=["presenting_complaint", "lead_clinician", "opened_on"],
        )
    return episode


DISCHARGE_WITH_SUMMARY = (
    "An episode is discharged with a discharge summary, which records the reason and the follow-up: "
    "use “Discharge with a summary” on the episode page, or POST /api/discharges/."
)
SUMMARY_STAYS = (
    "This episode was discharged with a summary, which stays with it: open a new episode for the patient's return."
)


def _check_status_change(episode: EpisodeOfCare, fields: dict[str, Any]) -> None:
    status = fields.get("status", episode.status)
    if episode.status == EpisodeStatus.OPEN and status == EpisodeStatus.DISCHARGED:
        raise ValidationError({"status": DISCHARGE_WITH_SUMMARY})
    if episode.status == EpisodeStatus.DISCHARGED and episode.has_discharge_summary:
        if status != EpisodeStatus.DISCHARGED:
            raise ValidationError({"status": SUMMARY_STAYS})
        if fields.get("closed_on", episode.closed_on) != episode.closed_on:
            raise ValidationError({"closed_on": "The closing date is the discharge summary's date."})


def episode_update(*, actor: User, episode: EpisodeOfCare, **fields: Any) -> EpisodeOfCare:
    """Edit an episode. Discharging goes through the discharge summary, which records why and what
    comes next; an episode closed before summaries existed may be reopened (which clears
    ``closed_on``) or have its closing date corrected."""
    if not permissions.can_change_episode(actor, episode):
        raise PermissionDenied
    _check_status_change(episode, fields)
    if "status" in fields:
        fields["closed_on"] = rules.episode_closed_on(
            fields["status"], fields.get("closed_on") or episode.closed_on, timezone.localdate()
        )
    changed = _apply(episode, fields)
    if not changed:
        return episode
    episode.full_clean()
    if "lead_clinician" in changed:
        _check_lead_clinician(episode.patient, episode.lead_clinician)
    with transaction.atomic():
        episode.save()
        audit.record(actor=actor, action="episode.updated", obj=episode, changed_fields=changed)
        signals.episode_changed.send(sender=EpisodeOfCare, episode=episode)
    return episode


# --- Staff and roles -----------------------------------------------------------------------


def _roles_in_database(user: User) -> set[Role]:
    names = set(user.groups.values_list("name", flat=True))
    return {role for role in Role if role.value in names}


def _set_roles(user: User, roles: set[Role], credentials: str | None) -> None:
    """Give ``user`` exactly ``roles``; ``credentials`` None keeps a clinician's current ones."""
    user.groups.set(Group.objects.filter(name__in=[role.value for role in roles]))
    # The cached roles of the request's copy of the user are stale now.
    user.__dict__.pop("_roles_cache", None)
    # Clinic admins use the Django admin for raw edits of templates and settings; nobody else
    # gets it by hand.
    is_staff = Role.CLINIC_ADMIN in roles
    if user.is_staff != is_staff and not user.is_superuser:
        user.is_staff = is_staff
        user.save(update_fields=["is_staff"])
    if Role.CLINICIAN in roles:
        if credentials is None:
            ClinicianProfile.objects.get_or_create(user=user)
        else:
            ClinicianProfile.objects.update_or_create(user=user, defaults={"credentials": credentials})


def _ensure_can_manage_staff(actor: User, clinic: Clinic | None) -> None:
    # A superuser (the operator, of no clinic) may set up any clinic's staff.
    if not (actor.is_superuser or (clinic is not None and permissions.can_manage_staff(actor, clinic))):
        raise PermissionDenied


def own_account_check(*, actor: User, staff: User, roles: Iterable[Role], is_active: bool) -> None:
    """Refuse what nobody may do to their own account (``rules.own_account_change_problem``).

    Forms call it to show the message by the field; ``staff_update`` calls it again.
    """
    if staff.pk is None or staff.pk != actor.pk:
        return
    problem = rules.own_account_change_problem(
        roles_before=_roles_in_database(staff),
        roles_after=set(roles),
        stays_active=is_active,
        admin_role=Role.CLINIC_ADMIN,
    )
    if problem:
        raise ValidationError({"roles": problem})


def staff_create(
    *,
    actor: User,
    email: str,
    full_name: str,
    roles: Iterable[Role],
    credentials: str = "",
    clinic: Clinic | None = None,
) -> User:
    """Create a staff account of ``clinic`` (the actor's own by default) without a password and
    e-mail an invitation to set one: only its owner ever sets a staff password."""
    clinic = clinic or actor.clinic
    _ensure_can_manage_staff(actor, clinic)
    roles = set(roles)
    if not roles:
        raise ValidationError({"roles": "Give the account at least one role."})
    user = User(email=canonical_email(email), full_name=full_name, clinic=clinic)
    user.set_unusable_password()
    user.full_clean()
    with transaction.atomic():
        user.save()
        _set_roles(user, roles, credentials)
        audit.record(
            actor=actor,
            action="staff.created",
            obj=user,
            changed_fields=["email", "full_name", "roles"],
            role_change=((), roles),
        )
    queue_staff_invitation(user.pk)
    return user


def staff_update(
    *,
    actor: User,
    staff: User,
    full_name: str,
    roles: Iterable[Role],
    is_active: bool,
    credentials: str | None = None,
    email: str | None = None,
) -> User:
    """Change a staff account: name, roles, active, and (``email`` not None) the address it signs
    in with. The audit row names the changed fields and the roles before and after; a change of
    roles or address is e-mailed to the account holder (a new address to the old one too).
    ``credentials`` None keeps a clinician's current ones.
    """
    _ensure_can_manage_staff(actor, staff.clinic)
    roles = set(roles)
    if not roles:
        raise ValidationError({"roles": "Give the account at least one role."})
    own_account_check(actor=actor, staff=staff, roles=roles, is_active=is_active)
    roles_before = _roles_in_database(staff)
    old_email = staff.email
    fields = {"full_name": full_name, "is_active": is_active}
    if email is not None:
        fields["email"] = canonical_email(email)
    changed = _apply(staff, fields)
    profile = ClinicianProfile.objects.filter(user=staff).first()
    if credentials is not None and Role.CLINICIAN in roles and (profile.credentials if profile else "") != credentials:
        changed.append("credentials")
    if roles != roles_before:
        changed.append("roles")
    if not changed:
        return staff
    staff.full_clean()
    with transaction.atomic():
        staff.save()
        _set_roles(staff, roles, credentials)
        event = audit.record(
            actor=actor,
            action="staff.updated",
            obj=staff,
            changed_fields=changed,
            role_change=(roles_before, roles) if "roles" in changed else None,
        )
        if "roles" in changed or "email" in changed:
            account_notices.owe(event=event, user=staff, recipients=[staff.email, old_email])
        _announce_if_clinical_access_ended(actor=actor, staff=staff, roles=roles)
    return staff


def _announce_if_clinical_access_ended(*, actor: User, staff: User, roles: set[Role]) -> None:
    """A deactivated account, or one without the Clinician role, may no longer act as a clinician:
    what depends on that (its calendar feed) ends with it."""
    if staff.is_active and Role.CLINICIAN in roles:
        return
    signals.clinical_access_ended.send(sender=User, staff=staff, actor=actor)


def staff_password_set(*, user: User, password: str) -> User:
    """Set ``user``'s password: called only on the owner's behalf (their own password-change page,
    or the invitation or reset link sent to their address). Audited; the owner is told by e-mail
    when a password is changed, not when a new account gets its first one (from the invitation:
    they have just chosen it, and "your password was changed" would alarm them for nothing)."""
    with transaction.atomic():
        # The stored password, not the caller's copy of the user, says whether there was one.
        first = not User.objects.select_for_update().get(pk=user.pk).has_usable_password()
        user.set_password(password)
        user.save(update_fields=["password"])
        event = audit.record(
            actor=user,
            action="staff.password_set" if first else "staff.password_changed",
            obj=user,
            changed_fields=["password"],
        )
        if not first:
            account_notices.owe(event=event, user=user, recipients=[user.email])
    return user


def queue_staff_invitation(user_id: int) -> None:
    from clinic.tasks import send_staff_invitation

    queueing.after_commit(send_staff_invitation, user_id)


def staff_invitation_resend(*, actor: User, staff: User) -> None:
    if not permissions.can_manage_staff(actor, staff.clinic):
        raise PermissionDenied
    User.objects.filter(pk=staff.pk).update(invitation_sent_at=None)
    queue_staff_invitation(staff.pk)


def deliver_staff_invitation(*, user_id: int) -> bool:
    """Send the set-your-password e-mail once; returns False when nothing was owed.

    The row lock makes two workers holding the same message send it only once.
    """
    with transaction.atomic():
        user = User.objects.select_for_update().filter(pk=user_id, is_active=True).first()
        if user is None or user.invitation_sent_at is not None:
            return False
        link = settings.SITE_URL.rstrip("/") + reverse(
            "password_reset_confirm",
            kwargs={
                "uidb64": urlsafe_base64_encode(force_bytes(user.pk)),
                "token": default_token_generator.make_token(user),
            },
        )
        context = {"user": user, "clinic": user.clinic, "link": link}
        send_mail(
            subject=f"Your account at {user.clinic or 'the clinic'}",
            message=render_to_string("clinic/email/staff_invitation.txt", context),
            from_email=None,
            recipient_list=[user.email],
        )
        user.invitation_sent_at = timezone.now()
        user.save(update_fields=["invitation_sent_at"])
    return True


def owed_staff_invitations(*, older_than: datetime.timedelta) -> list[int]:
    """Ids of invitations still owed: the sweep re-queues them if a message was lost."""
    cutoff = timezone.now() - older_than
    return list(
        User.objects.filter(
            is_active=True,
            invitation_sent_at__isnull=True,
            date_joined__lt=cutoff,
            clinic__isnull=False,
            password__startswith=UNUSABLE_PASSWORD_PREFIX,
        ).values_list("pk", flat=True)
    )


def clinic_update(*, actor: User, clinic: Clinic, **fields: Any) -> Clinic:
    if not permissions.can_change_clinic_settings(actor, clinic):
        raise PermissionDenied
    changed = _apply(clinic, fields)
    clinic.full_clean()
    with transaction.atomic():
        clinic.save()
        audit.record(actor=actor, action="clinic.updated", obj=clinic, changed_fields=changed)
    return clinic


def thresholds_update(*, actor: User, clinic: Clinic, values: dict[str, Decimal]) -> None:
    """Store the clinic's own thresholds; a value equal to the default keeps following it."""
    if not permissions.can_change_clinic_settings(actor, clinic):
        raise PermissionDenied
    changed = []
    with transaction.atomic():
        for key, value in values.items():
            threshold = thresholds.BY_KEY[key]
            current = thresholds.for_clinic(clinic)[key]
            if value == current:
                continue
            changed.append(key)
            if value == threshold.default:
                ClinicThreshold.objects.filter(clinic=clinic, key=key).delete()
            else:
                ClinicThreshold.objects.update_or_create(clinic=clinic, key=key, defaults={"value": value})
        if changed:
            audit.record(actor=actor, action="clinic.thresholds_updated", obj=clinic, changed_fields=changed)
            signals.thresholds_changed.send(sender=Clinic, clinic=clinic, keys=changed)
