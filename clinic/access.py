"""One record for a user, by id: the getters every view and API view calls.

Each getter answers as the pages always have: 404 unless the user's clinic holds the record
(another clinic's id is as absent as a missing one), then 403 if the user's role may not see
it (or, with ``change=True``, change it). The rows come from ``permissions.clinic_rows`` and
the checks are the predicates of ``clinic/permissions.py``; this module adds no rule of its
own, it only keeps the fetch-then-check order in one place.

Models of the clinical apps are named by label, as in ``permissions.CLINIC_PATHS``, so the
core imports none of those apps.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.apps import apps
from django.core.exceptions import PermissionDenied
from django.db import models
from django.http import Http404
from django.shortcuts import get_object_or_404

from clinic import permissions
from clinic.models import EpisodeOfCare, Patient, User

if TYPE_CHECKING:
    from assessments.models import Assessment, Finding
    from clinic.scheduling.models import Appointment, AppointmentType
    from clinic.webhooks.models import WebhookEndpoint
    from intake.models import RedFlag
    from plans.models import PlanItem, TreatmentPlan


def _one(user: User, rows: type[models.Model] | str, pk: int, *related: str) -> models.Model:
    model = apps.get_model(rows) if isinstance(rows, str) else rows
    return get_object_or_404(permissions.clinic_rows(user, model).select_related(*related), pk=pk)


def _require_clinical(user: User, patient: Patient, *, change: bool) -> None:
    allowed = permissions.can_change_clinical if change else permissions.can_view_clinical
    if not allowed(user, patient):
        raise PermissionDenied


# --- Demographics: 404 here, the role's answer (403) from a predicate the caller names --------


def patient_for(user: User, pk: int) -> Patient:
    """The patient if the user's clinic holds it; what the role allows on it is checked next
    by the caller (``can_view_patient``, ``can_change_patient``, ...)."""
    return _one(user, Patient, pk)


def episode_for(user: User, pk: int, *also: str) -> EpisodeOfCare:
    """The episode if the user's clinic holds it; the caller checks the role next. ``also``
    names more relations to load with it (the episode page's intake)."""
    return _one(user, EpisodeOfCare, pk, "patient__clinic", "lead_clinician", *also)


def staff_member_for(user: User, pk: int) -> User:
    """A staff account the user manages (``scoped_staff``); the caller has checked
    ``can_manage_staff``."""
    rows = permissions.scoped_staff(user).prefetch_related("groups").select_related("clinician_profile")
    return get_object_or_404(rows, pk=pk)


# --- Clinical records: 404, then 403 unless the user may view (or change) them -------------


def clinical_episode_for(user: User, pk: int, *, change: bool = False) -> EpisodeOfCare:
    episode = episode_for(user, pk)
    _require_clinical(user, episode.patient, change=change)
    return episode


def red_flag_for(user: User, pk: int, *, change: bool = False) -> RedFlag:
    flag = _one(user, "intake.RedFlag", pk, "episode__patient")
    _require_clinical(user, flag.episode.patient, change=change)
    return flag


def assessment_for(user: User, pk: int, *, change: bool = False) -> Assessment:
    assessment = _one(user, "assessments.Assessment", pk, "episode__patient__clinic", "clinician")
    _require_clinical(user, assessment.episode.patient, change=change)
    return assessment


def finding_for(user: User, pk: int, *, change: bool = False) -> Finding:
    finding = _one(user, "assessments.Finding", pk, "assessment__episode__patient")
    _require_clinical(user, finding.assessment.episode.patient, change=change)
    return finding


def plan_for(user: User, pk: int, *, change: bool = False) -> TreatmentPlan:
    plan = _one(user, "plans.TreatmentPlan", pk, "episode__patient__clinic", "assessment")
    _require_clinical(user, plan.episode.patient, change=change)
    return plan


def plan_item_for(user: User, pk: int, *, change: bool = False) -> PlanItem:
    item = _one(user, "plans.PlanItem", pk, "plan__episode__patient")
    _require_clinical(user, item.plan.episode.patient, change=change)
    return item


def clinical_visit_for(user: User, pk: int, *, change: bool = False) -> Appointment:
    """A visit whose clinical note the user reads (or writes): 404 unless the user's clinic
    holds it, then 403 unless the role sees clinical records."""
    visit = _one(user, "scheduling.Appointment", pk, "episode__patient__clinic", "clinician__clinic")
    _require_clinical(user, visit.episode.patient, change=change)
    return visit


# --- The clinic's own settings and schedule: 403 for the role first, then 404 --------------


def visit_for(user: User, pk: int) -> Appointment:
    """A visit, for whoever schedules; the role is checked before the id is looked at."""
    if not permissions.can_schedule(user):
        raise PermissionDenied
    return _one(user, "scheduling.Appointment", pk, "episode__patient", "clinician__clinic")


def episode_to_schedule(user: User, pk: int) -> EpisodeOfCare:
    """An episode to book visits for or wait-list, for whoever schedules; the role is checked
    before the id is looked at."""
    if not permissions.can_schedule(user):
        raise PermissionDenied
    rows = permissions.scoped_episodes(user).select_related("lead_clinician", "patient__clinic")
    return get_object_or_404(rows, pk=pk)


def clinician_for(user: User, pk: int) -> User:
    """An active clinician of the user's clinic, whose hours the user may read: 403 for the
    role first, then 404 for anyone else's id."""
    if not permissions.can_view_working_hours(user):
        raise PermissionDenied
    rows = permissions.clinic_rows(user, User).filter(is_active=True, groups__name=permissions.Role.CLINICIAN.value)
    return get_object_or_404(rows.select_related("clinic"), pk=pk)


def hours_row_for(user: User, clinician: User, rows: str, pk: int) -> models.Model:
    """A change of hours or time off (``rows``: its model label) of ``clinician``, for whoever
    edits hours: 403 for the role, 404 for an id of another clinician or clinic."""
    if not permissions.can_edit_working_hours(user):
        raise PermissionDenied
    row = _one(user, rows, pk)
    if row.clinician_id != clinician.pk:
        raise Http404
    return row


def appointment_type_for(user: User, pk: int) -> AppointmentType:
    """A visit type of the user's clinic; the caller has checked the role."""
    return _one(user, "scheduling.AppointmentType", pk)


def library_row_for(user: User, model: type[models.Model], pk: int) -> models.Model:
    """An intervention, plan rule or contraindication, for whoever edits the library."""
    if not permissions.can_edit_library(user):
        raise PermissionDenied
    return _one(user, model, pk)


def webhook_endpoint_for(user: User, pk: int) -> WebhookEndpoint:
    """An endpoint of the user's clinic, for its clinic admins: 403 for anyone else, then 404."""
    if not permissions.can_manage_webhooks(user):
        raise PermissionDenied
    return _one(user, "webhooks.WebhookEndpoint", pk)
