"""Who may see and change what: the one place access rules live.

Two layers, both here:
- role: what a kind of staff member may do at all (Django groups holding permissions);
- object: whose records they may touch (only their own clinic's).

HTML views call the ``can_*`` predicates and ``scoped`` querysets; DRF views use the
permission classes at the bottom, which call the same predicates. A record of another
clinic is answered with 404 (its existence is not confirmed); a record the role may not
see in the user's own clinic is answered with 403.
"""

from __future__ import annotations

from enum import StrEnum

from django.db import models
from rest_framework.permissions import SAFE_METHODS, BasePermission

from clinic.models import ApiToken, Clinic, EpisodeOfCare, Patient, User


class Role(StrEnum):
    CLINICIAN = "Clinician"
    FRONT_DESK = "Front desk"
    CLINIC_ADMIN = "Clinic admin"


_DEMOGRAPHICS = [
    "clinic.view_patient",
    "clinic.add_patient",
    "clinic.change_patient",
    "clinic.view_episodeofcare",
    "clinic.add_episodeofcare",
    "clinic.change_episodeofcare",
]
_SCHEDULE = [
    "scheduling.view_appointment",
    "scheduling.add_appointment",
    "scheduling.change_appointment",
]

ROLE_PERMISSIONS: dict[Role, list[str]] = {
    Role.CLINICIAN: [
        *_DEMOGRAPHICS,
        *_SCHEDULE,
        "clinic.view_clinical_record",
        "clinic.change_clinical_record",
        "plans.view_intervention",
        "plans.view_planrule",
        "plans.view_contraindication",
    ],
    Role.FRONT_DESK: [*_DEMOGRAPHICS, *_SCHEDULE],
    Role.CLINIC_ADMIN: [
        "clinic.view_patient",
        "clinic.view_episodeofcare",
        "clinic.view_user",
        "clinic.add_user",
        "clinic.change_user",
        "clinic.view_clinic",
        "clinic.change_clinic",
        "clinic.view_clinicianprofile",
        "clinic.add_clinicianprofile",
        "clinic.change_clinicianprofile",
        "clinic.view_audit_trail",
        # Visit types, clinicians' working hours and time off (Django admin).
        "scheduling.view_appointmenttype",
        "scheduling.change_appointmenttype",
        "scheduling.view_workinghours",
        "scheduling.add_workinghours",
        "scheduling.change_workinghours",
        "scheduling.delete_workinghours",
        "scheduling.view_timeoff",
        "scheduling.add_timeoff",
        "scheduling.change_timeoff",
        "scheduling.delete_timeoff",
        # Reminder wording (its own page under Clinic settings, and the Django admin).
        "scheduling.view_remindertemplate",
        "scheduling.add_remindertemplate",
        "scheduling.change_remindertemplate",
        "scheduling.delete_remindertemplate",
        # The treatment library and its rules.
        "plans.view_intervention",
        "plans.add_intervention",
        "plans.change_intervention",
        "plans.view_planrule",
        "plans.add_planrule",
        "plans.change_planrule",
        "plans.view_ruleitem",
        "plans.add_ruleitem",
        "plans.change_ruleitem",
        "plans.delete_ruleitem",
        "plans.view_contraindication",
        "plans.add_contraindication",
        "plans.change_contraindication",
        "intake.view_licensedinstrumenttext",
        "intake.add_licensedinstrumenttext",
        "intake.change_licensedinstrumenttext",
    ],
}


def roles_of(user: User) -> set[Role]:
    if not user.is_authenticated:
        return set()
    # Cached on the user object for the request, like Django's own permission cache.
    if not hasattr(user, "_roles_cache"):
        names = {group.name for group in user.groups.all()}
        user._roles_cache = {role for role in Role if role.value in names}
    return user._roles_cache


def _in_clinic(user: User, clinic_id: int | None) -> bool:
    return bool(user.is_authenticated and user.is_active and user.clinic_id and user.clinic_id == clinic_id)


# --- Querysets: what a user may list at all ------------------------------------------


def scoped_patients(user: User) -> models.QuerySet[Patient]:
    if not (user.is_authenticated and user.is_active and user.clinic_id and user.has_perm("clinic.view_patient")):
        return Patient.objects.none()
    return Patient.objects.filter(clinic_id=user.clinic_id)


def scoped_episodes(user: User) -> models.QuerySet[EpisodeOfCare]:
    if not user.has_perm("clinic.view_episodeofcare"):
        return EpisodeOfCare.objects.none()
    return EpisodeOfCare.objects.filter(patient__in=scoped_patients(user))


def scoped_staff(user: User) -> models.QuerySet[User]:
    if not (user.is_authenticated and user.clinic_id and user.has_perm("clinic.view_user")):
        return User.objects.none()
    return User.objects.filter(clinic_id=user.clinic_id)


# --- Predicates on one object ----------------------------------------------------------


def can_view_patient(user: User, patient: Patient) -> bool:
    return _in_clinic(user, patient.clinic_id) and user.has_perm("clinic.view_patient")


def can_add_patient(user: User) -> bool:
    return bool(user.is_authenticated and user.clinic_id) and user.has_perm("clinic.add_patient")


def can_change_patient(user: User, patient: Patient) -> bool:
    return _in_clinic(user, patient.clinic_id) and user.has_perm("clinic.change_patient")


def can_add_episode(user: User, patient: Patient) -> bool:
    return _in_clinic(user, patient.clinic_id) and user.has_perm("clinic.add_episodeofcare")


def can_change_episode(user: User, episode: EpisodeOfCare) -> bool:
    return _in_clinic(user, episode.patient.clinic_id) and user.has_perm("clinic.change_episodeofcare")


def can_view_clinical(user: User, patient: Patient) -> bool:
    """Intake answers, assessments and plans: clinicians of the patient's clinic only."""
    return _in_clinic(user, patient.clinic_id) and user.has_perm("clinic.view_clinical_record")


def can_change_clinical(user: User, patient: Patient) -> bool:
    return _in_clinic(user, patient.clinic_id) and user.has_perm("clinic.change_clinical_record")


def can_view_audit_trail(user: User, patient: Patient) -> bool:
    return _in_clinic(user, patient.clinic_id) and user.has_perm("clinic.view_audit_trail")


def can_manage_staff(user: User, clinic: Clinic | None = None) -> bool:
    # Asked of anyone: the admin's sign-in page lists the modules a visitor may see.
    if not user.is_authenticated:
        return False
    clinic_id = clinic.pk if clinic else user.clinic_id
    return _in_clinic(user, clinic_id) and user.has_perm("clinic.change_user")


def can_change_clinic_settings(user: User) -> bool:
    return bool(user.is_authenticated and user.clinic_id) and user.has_perm("clinic.change_clinic")


def can_manage_webhooks(user: User, clinic: Clinic | None = None) -> bool:
    """Webhook endpoints are part of the clinic's settings: its clinic admins only."""
    if not user.is_authenticated:
        return False
    clinic_id = clinic.pk if clinic else user.clinic_id
    return _in_clinic(user, clinic_id) and user.has_perm("clinic.change_clinic")


def token_allows_clinical(auth) -> bool:
    """A request's credentials permit clinical content: a session always (the roles decide), an
    API token only with its clinical scope. The scope never adds to the owner's roles."""
    return not isinstance(auth, ApiToken) or auth.clinical_scope


def can_export_clinical(user: User, auth, patient: Patient) -> bool:
    """The FHIR export of a patient's record: clinical access, by a session or a clinical-scope token."""
    return token_allows_clinical(auth) and can_view_clinical(user, patient)


# --- DRF permission classes ------------------------------------------------------------


class PatientAccess(BasePermission):
    """Demographics: view for every role with ``view_patient``; writes for those who edit."""

    def has_permission(self, request, view) -> bool:
        # Search is a read sent by POST to keep names out of URLs.
        if request.method in SAFE_METHODS or getattr(view, "action", None) == "search":
            return request.user.has_perm("clinic.view_patient")
        if request.method == "POST":
            return can_add_patient(request.user)
        return request.user.has_perm("clinic.change_patient")

    def has_object_permission(self, request, view, obj: Patient) -> bool:
        if request.method in SAFE_METHODS:
            return can_view_patient(request.user, obj)
        return can_change_patient(request.user, obj)


class EpisodeAccess(BasePermission):
    def has_permission(self, request, view) -> bool:
        if request.method in SAFE_METHODS:
            return request.user.has_perm("clinic.view_episodeofcare")
        if request.method == "POST":
            return request.user.has_perm("clinic.add_episodeofcare")
        return request.user.has_perm("clinic.change_episodeofcare")

    def has_object_permission(self, request, view, obj: EpisodeOfCare) -> bool:
        if request.method in SAFE_METHODS:
            return can_view_patient(request.user, obj.patient)
        return can_change_episode(request.user, obj)


class ClinicalAccess(BasePermission):
    """For intake answers, assessments and plans; objects expose ``.patient``."""

    def has_permission(self, request, view) -> bool:
        if not token_allows_clinical(request.auth):
            return False
        if request.method in SAFE_METHODS:
            return request.user.has_perm("clinic.view_clinical_record")
        return request.user.has_perm("clinic.change_clinical_record")

    def has_object_permission(self, request, view, obj) -> bool:
        if request.method in SAFE_METHODS:
            return can_view_clinical(request.user, obj.patient)
        return can_change_clinical(request.user, obj.patient)


class ClinicalExportAccess(BasePermission):
    """The FHIR export: clinicians, by session or by a token with the clinical scope; objects
    are the patients whose record is read."""

    def has_permission(self, request, view) -> bool:
        return token_allows_clinical(request.auth) and request.user.has_perm("clinic.view_clinical_record")

    def has_object_permission(self, request, view, obj: Patient) -> bool:
        return can_export_clinical(request.user, request.auth, obj)


class ManageApiTokens(BasePermission):
    """The token API: clinic admins, by session. A token may list and revoke, never create:
    a leaked token could otherwise make itself a successor that outlives its revocation."""

    def has_permission(self, request, view) -> bool:
        # can_manage_staff reads the user's clinic, which an anonymous user does not have.
        if not (request.user.is_authenticated and can_manage_staff(request.user)):
            return False
        return not (getattr(view, "action", None) == "create" and isinstance(request.auth, ApiToken))

    def has_object_permission(self, request, view, obj: ApiToken) -> bool:
        return can_manage_staff(request.user, obj.owner.clinic)
