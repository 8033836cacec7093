"""Who may see and change what: the one place access rules live.

Two layers, both here:
- role: what a kind of staff member may do at all (Django groups holding permissions);
- object: whose records they may touch (only their own clinic's).

HTML views call the ``can_*`` predicates and ``scoped`` querysets, and fetch one record
through the getters of ``clinic/access.py`` built on them; DRF views use the permission
classes at the bottom, which call the same predicates. A record of another clinic is
answered with 404 (its existence is not confirmed); a record the role may not see in the
user's own clinic is answered with 403.

Every queryset a user sees rows of (lists, API filter choices, serializer related fields,
form and Django admin choice fields, autocomplete) comes from ``scoped(user, model)``, or
``clinic_rows(user, model)`` where the caller checks the role itself (the Django admin).
Both find a model's clinic through ``CLINIC_PATHS``; a model that is in neither it nor
``SHARED_MODELS`` raises, so a new model cannot be listed unscoped by accident.
"""

from __future__ import annotations

from enum import StrEnum

from django.core.exceptions import ImproperlyConfigured
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
        "scheduling.view_hoursexception",
        "scheduling.add_hoursexception",
        "scheduling.change_hoursexception",
        "scheduling.delete_hoursexception",
        # The wording of messages to patients (its own page under Clinic settings, and the Django admin).
        "outbox.view_messagewording",
        "outbox.add_messagewording",
        "outbox.change_messagewording",
        "outbox.delete_messagewording",
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

# Each model of clinic data -> the lookup from its rows to their clinic.
CLINIC_PATHS: dict[str, str] = {
    "clinic.clinic": "pk",
    "clinic.user": "clinic",
    "clinic.clinicianprofile": "user__clinic",
    "clinic.clinicthreshold": "clinic",
    "clinic.patient": "clinic",
    "clinic.episodeofcare": "patient__clinic",
    "clinic.auditevent": "clinic",
    "clinic.apitoken": "owner__clinic",
    "clinic.accountnotice": "user__clinic",
    "clinic.contactchange": "patient__clinic",
    "scheduling.appointmenttype": "clinic",
    "scheduling.workinghours": "clinician__clinic",
    "scheduling.timeoff": "clinician__clinic",
    "scheduling.hoursexception": "clinician__clinic",
    "scheduling.appointment": "episode__patient__clinic",
    "scheduling.calendarfeed": "clinician__clinic",
    "scheduling.waitlistentry": "episode__patient__clinic",
    "scheduling.visitseries": "episode__patient__clinic",
    "scheduling.patientvisitchange": "appointment__episode__patient__clinic",
    "outbox.patientmessage": "patient__clinic",
    "outbox.messagewording": "clinic",
    "outbox.messagelink": "message__patient__clinic",
    "portal.portallink": "patient__clinic",
    "portal.homeprogramcheckin": "version__plan__episode__patient__clinic",
    "webhooks.webhookendpoint": "clinic",
    "webhooks.webhookdelivery": "endpoint__clinic",
    "webhooks.webhookattempt": "delivery__endpoint__clinic",
    "intake.intake": "episode__patient__clinic",
    "intake.intakeinvitation": "intake__episode__patient__clinic",
    "intake.questionnairescore": "intake__episode__patient__clinic",
    "intake.redflag": "episode__patient__clinic",
    "intake.reviewnote": "intake__episode__patient__clinic",
    "intake.licensedinstrumenttext": "clinic",
    "assessments.assessment": "episode__patient__clinic",
    "assessments.rommeasurement": "assessment__episode__patient__clinic",
    "assessments.fmsscore": "assessment__episode__patient__clinic",
    "assessments.specialtest": "assessment__episode__patient__clinic",
    "assessments.finding": "assessment__episode__patient__clinic",
    "assessments.outcomescore": "assessment__episode__patient__clinic",
    "plans.intervention": "clinic",
    "plans.planrule": "clinic",
    "plans.ruleitem": "rule__clinic",
    "plans.contraindication": "clinic",
    "plans.treatmentplan": "episode__patient__clinic",
    "plans.planitem": "plan__episode__patient__clinic",
    "plans.planversion": "plan__episode__patient__clinic",
    "plans.handout": "version__plan__episode__patient__clinic",
    "notes.visitnote": "appointment__episode__patient__clinic",
    "notes.noteitem": "note__appointment__episode__patient__clinic",
    "notes.noteaddendum": "note__appointment__episode__patient__clinic",
    "notes.notemeasure": "note__appointment__episode__patient__clinic",
    "notes.notepartfinding": "note__appointment__episode__patient__clinic",
    "notes.noteplandraft": "note__appointment__episode__patient__clinic",
    "notes.progressreport": "episode__patient__clinic",
    "notes.plancertification": "episode__patient__clinic",
    "notes.discharge": "episode__patient__clinic",
    "notes.dischargedocument": "discharge__episode__patient__clinic",
    "notes.followup": "episode__patient__clinic",
    "notes.followupscore": "follow_up__episode__patient__clinic",
    "notes.followupconsent": "patient__clinic",
    "notes.outcomeepisode": "clinic",
    "running.readinesscriterion": "clinic",
    "running.readinesscheck": "episode__patient__clinic",
    "running.readinessitemresult": "readiness_check__episode__patient__clinic",
    "running.returntorun": "episode__patient__clinic",
    "running.phasedecision": "return_to_run__episode__patient__clinic",
    # Shipped walk-run programs have no clinic: every clinic reads them (plans.selectors.run_programs_for).
    "plans.runprogramtemplate": "clinic",
    "running.runfile": "episode__patient__clinic",
    "running.run": "episode__patient__clinic",
    "running.cadenceprescription": "episode__patient__clinic",
}

# Models that belong to no clinic and are the same for all: the role groups, the framework's
# own tables and the worker's heartbeat (a time, for the health probe). Listing them shows
# nothing of any clinic.
SHARED_MODELS = frozenset({"auth.group", "auth.permission", "contenttypes.contenttype", "clinic.workerheartbeat"})

_CLINICAL = ("clinic.view_clinical_record",)
_SCHEDULE_VIEW = ("scheduling.view_appointment",)
_WEBHOOKS = ("clinic.change_clinic",)

# What a role must hold to see a model's rows at all (its own clinic's). A model not named
# needs nothing more than belonging to the clinic: staff names, visit types, the library.
VIEW_PERMISSIONS: dict[str, tuple[str, ...]] = {
    "clinic.patient": ("clinic.view_patient",),
    "clinic.episodeofcare": ("clinic.view_patient", "clinic.view_episodeofcare"),
    "clinic.auditevent": ("clinic.view_audit_trail",),
    "clinic.apitoken": ("clinic.change_user",),
    "clinic.accountnotice": ("clinic.change_user",),
    # A patient's proposed e-mail and phone: who sees the patient's demographics.
    "clinic.contactchange": ("clinic.view_patient",),
    # Whether the patient agreed to questionnaires after discharge: who sees their demographics.
    "notes.followupconsent": ("clinic.view_patient",),
    "intake.intakeinvitation": ("clinic.view_patient", "clinic.view_episodeofcare"),
    **dict.fromkeys(
        [
            "intake.intake",
            "intake.questionnairescore",
            "intake.redflag",
            "intake.reviewnote",
            "assessments.assessment",
            "assessments.rommeasurement",
            "assessments.fmsscore",
            "assessments.specialtest",
            "assessments.finding",
            "assessments.outcomescore",
            "plans.treatmentplan",
            "plans.planitem",
            "plans.planversion",
            "plans.handout",
            "portal.homeprogramcheckin",
            "notes.visitnote",
            "notes.noteitem",
            "notes.noteaddendum",
            "notes.notemeasure",
            "notes.notepartfinding",
            "notes.noteplandraft",
            "notes.progressreport",
            "notes.plancertification",
            "notes.discharge",
            "notes.dischargedocument",
            "notes.followup",
            "notes.followupscore",
            "notes.outcomeepisode",
            "running.readinesscheck",
            "running.readinessitemresult",
            "running.returntorun",
            "running.phasedecision",
            "running.runfile",
            "running.run",
            "running.cadenceprescription",
        ],
        _CLINICAL,
    ),
    **dict.fromkeys(
        [
            "scheduling.appointment",
            "scheduling.waitlistentry",
            "scheduling.visitseries",
            "scheduling.patientvisitchange",
            "outbox.patientmessage",
            "outbox.messagelink",
        ],
        _SCHEDULE_VIEW,
    ),
    **dict.fromkeys(["webhooks.webhookendpoint", "webhooks.webhookdelivery", "webhooks.webhookattempt"], _WEBHOOKS),
}


def _rows(rows: type[models.Model] | models.QuerySet) -> models.QuerySet:
    return rows if isinstance(rows, models.QuerySet) else rows._default_manager.all()


def clinic_path(model: type[models.Model]) -> str:
    """The lookup from the model's rows to their clinic; raises for a model nobody placed."""
    label = model._meta.label_lower
    if label not in CLINIC_PATHS:
        raise ImproperlyConfigured(
            f"{label} is in neither permissions.CLINIC_PATHS nor SHARED_MODELS: say which clinic its rows belong to."
        )
    return CLINIC_PATHS[label]


def clinic_rows(user, rows: type[models.Model] | models.QuerySet) -> models.QuerySet:
    """Of ``rows`` (a model or a queryset), those of the user's clinic, whatever the user's
    roles: for callers that check the role themselves (the Django admin). A user without a
    clinic, or not signed in, gets none."""
    queryset = _rows(rows)
    if queryset.model._meta.label_lower in SHARED_MODELS:
        return queryset
    path = clinic_path(queryset.model)
    if not (user is not None and user.is_authenticated and user.is_active and user.clinic_id):
        return queryset.none()
    return queryset.filter(**{"pk" if path == "pk" else f"{path}_id": user.clinic_id})


def scoped(user, rows: type[models.Model] | models.QuerySet) -> models.QuerySet:
    """Of ``rows`` (a model or a queryset), what the user may see: their own clinic's, and
    only if their roles let them see that kind of record at all. Another clinic's row is as
    absent as one that does not exist."""
    queryset = clinic_rows(user, rows)
    needed = VIEW_PERMISSIONS.get(queryset.model._meta.label_lower, ())
    if needed and not (user is not None and user.has_perms(needed)):
        return queryset.none()
    return queryset


def scoped_patients(user: User) -> models.QuerySet[Patient]:
    return scoped(user, Patient)


def scoped_episodes(user: User) -> models.QuerySet[EpisodeOfCare]:
    return scoped(user, EpisodeOfCare)


def scoped_staff(user: User) -> models.QuerySet[User]:
    """Staff accounts to manage: clinic admins only."""
    if not (user.is_authenticated and user.has_perm("clinic.view_user")):
        return User.objects.none()
    return clinic_rows(user, User)


# --- Predicates on one object ----------------------------------------------------------


def can_view_patient(user: User, patient: Patient) -> bool:
    return _in_clinic(user, patient.clinic_id) and user.has_perm("clinic.view_patient")


def can_view_failed_messages(user: User) -> bool:
    """The list of messages to patients that could not be sent: the front desk calls them, a
    clinician or the clinic admin may check it; all three see patients' names anyway."""
    return bool(user.is_authenticated and user.clinic_id) and user.has_perm("clinic.view_patient")


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


def can_view_clinic_audit(user: User) -> bool:
    """The whole clinic's audit trail: its clinic admins."""
    return bool(user.is_authenticated and user.clinic_id) and user.has_perm("clinic.view_audit_trail")


def can_manage_staff(user: User, clinic: Clinic | None = None) -> bool:
    # An anonymous user has no clinic (the Django admin's sign-in page asks too).
    clinic_id = clinic.pk if clinic else getattr(user, "clinic_id", None)
    return _in_clinic(user, clinic_id) and user.has_perm("clinic.change_user")


def can_list_patients(user: User) -> bool:
    """The patient list and search: whoever sees demographics, in a clinic."""
    return bool(user.is_authenticated and user.clinic_id is not None) and user.has_perm("clinic.view_patient")


def can_send_intake_links(user: User) -> bool:
    """Whoever may change episodes sends, re-sends and revokes intake links and sees their
    status; a clinic admin, who only views episodes, has no part in them. The episode's own
    clinic is checked per object (``can_change_episode``)."""
    return user.has_perm("clinic.change_episodeofcare")


def can_schedule(user: User) -> bool:
    """Book, move and cancel visits and see the day and week: clinicians and the front desk."""
    return bool(user.is_authenticated and user.clinic_id) and user.has_perm("scheduling.add_appointment")


def can_view_schedule(user: User) -> bool:
    return bool(user.is_authenticated and user.clinic_id) and user.has_perm("scheduling.view_appointment")


def can_edit_working_hours(user: User) -> bool:
    """Clinicians' weekly hours, changes of hours and time off: the clinic admin."""
    return bool(user.is_authenticated and user.clinic_id) and user.has_perm("scheduling.change_workinghours")


def can_view_working_hours(user: User) -> bool:
    """Whoever edits them, and whoever books against them (front desk, clinicians), who read them."""
    return can_edit_working_hours(user) or can_schedule(user)


def can_book_for(user: User, episode: EpisodeOfCare) -> bool:
    """Book or change visits of this episode: a scheduler who sees the patient."""
    return can_view_patient(user, episode.patient) and user.has_perm("scheduling.add_appointment")


def can_read_visit_plans(user: User) -> bool:
    """A signed plan's visit frequency and duration, which whoever schedules reads as the
    episode page shows it to them; the rows come from ``scoped_episodes``, so an account of
    no clinic reads none."""
    return user.is_authenticated and user.has_perm("scheduling.view_appointment")


def can_view_library(user: User) -> bool:
    """The clinic's treatment library (interventions, rules, contraindications)."""
    return bool(user.is_authenticated and user.clinic_id) and user.has_perm("plans.view_intervention")


def can_edit_library(user: User) -> bool:
    return bool(user.is_authenticated and user.clinic_id) and user.has_perm("plans.change_intervention")


def can_edit_library_row(user: User, row) -> bool:
    """An intervention, plan rule or contraindication of the user's own clinic."""
    return _in_clinic(user, row.clinic_id) and user.has_perm("plans.change_intervention")


def can_view_clinical_records(user: User) -> bool:
    """Whether the user's roles let them see clinical records at all (their own clinic's)."""
    return bool(user.is_authenticated and user.clinic_id) and user.has_perm("clinic.view_clinical_record")


def can_hold_api_tokens(user: User) -> bool:
    """Any active staff member of a clinic keeps their own API tokens; an account of no clinic
    (a superuser) is nobody's staff and gets none."""
    return _in_clinic(user, getattr(user, "clinic_id", None))


def can_read_api_docs(user: User) -> bool:
    """The API's reference: staff of a clinic with a role, the ones a token lets do anything.
    An account with no role yet would find nothing there it may call."""
    return can_hold_api_tokens(user) and bool(roles_of(user))


def can_manage_api_tokens_of(user: User, owner: User) -> bool:
    """Make and revoke tokens acting as ``owner``: the owner themselves, or a clinic admin of
    the owner's clinic. Which scopes the token may have is the rule of ``api_tokens.scope_problem``."""
    return _in_clinic(user, owner.clinic_id) and (user.pk == owner.pk or user.has_perm("clinic.change_user"))


def can_change_clinic_settings(user: User, clinic: Clinic | None = None) -> bool:
    """The clinic's settings (its details, thresholds, reminder wording): its clinic admins.
    Without ``clinic``, whether the user may change their own clinic's."""
    if not (user.is_authenticated and user.clinic_id) or (clinic is not None and user.clinic_id != clinic.pk):
        return False
    return user.has_perm("clinic.change_clinic")


def can_manage_webhooks(user: User, clinic: Clinic | None = None) -> bool:
    """Webhook endpoints are part of the clinic's settings: its clinic admins only."""
    if not user.is_authenticated:
        return False
    clinic_id = clinic.pk if clinic else user.clinic_id
    return _in_clinic(user, clinic_id) and user.has_perm("clinic.change_clinic")


def token_allows_clinical(auth) -> bool:
    """A request's credentials permit clinical content: a session always (the roles decide), an
    API token only with its clinical scope, and only if the staff member it acts as made it
    themselves. Whoever makes a token holds it: a clinic admin who made a clinician's token
    clinical would read, as that clinician, what their own role may not see. The database
    refuses such a row (``api_token_clinical_scope_by_owner``); this holds whatever a row says.
    The scope never adds to the owner's roles."""
    if not isinstance(auth, ApiToken):
        return True
    return auth.clinical_scope and auth.created_by_id == auth.owner_id


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
