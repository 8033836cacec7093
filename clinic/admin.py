"""Django admin for clinic admins: every list is limited to the admin's own clinic, PHI
reads and writes are audited, and the audit trail is read-only."""

from __future__ import annotations

import json
from operator import attrgetter

from django.contrib import admin
from django.contrib.admin.models import ADDITION, CHANGE, LogEntry
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied

from clinic import api_tokens, audit, permissions
from clinic.models import ApiToken, AuditEvent, Clinic, ClinicianProfile, EpisodeOfCare, Patient, User
from clinic.scheduling.models import Appointment, AppointmentType, TimeOff, WorkingHours


class ClinicScopedAdmin(admin.ModelAdmin):
    """Limits rows to the signed-in admin's clinic; ``clinic_path`` is the lookup to it."""

    clinic_path = "clinic"

    def get_queryset(self, request):
        rows = super().get_queryset(request)
        if request.user.is_superuser:
            return rows
        return rows.filter(**{f"{self.clinic_path}_id": request.user.clinic_id})

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "clinic" and not request.user.is_superuser:
            kwargs["queryset"] = Clinic.objects.filter(pk=request.user.clinic_id)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def has_delete_permission(self, request, obj=None) -> bool:
        # Records are discharged or deactivated, never deleted.
        return False


class AuditedPHIAdmin(ClinicScopedAdmin):
    """Every page that shows a patient's data records it: the change list the patients on its
    page, the change form and the history page their record's patient.

    ``patient_path`` is the attribute path from a row to its patient (empty for a patient),
    selected with the list's rows (``list_select_related``) so it costs no query. The admin's
    own log (its "recent actions" and history pages) names a record by kind and id, never by
    its ``str``, which is a patient's name or complaint.
    """

    patient_path = ""
    audit_list: audit.Read
    audit_detail: audit.Read

    def _patient(self, row):
        return attrgetter(self.patient_path)(row) if self.patient_path else row

    def changelist_view(self, request, extra_context=None):
        response = super().changelist_view(request, extra_context)
        changelist = getattr(response, "context_data", {}).get("cl")
        if changelist is not None:
            patients = [self._patient(row) for row in changelist.result_list]
            audit.record_shown(actor=request.user, action=self.audit_list, patients=patients)
        return response

    def change_view(self, request, object_id, form_url="", extra_context=None):
        response = super().change_view(request, object_id, form_url, extra_context)
        self._record_read(request, response, "original", self.audit_detail)
        return response

    def history_view(self, request, object_id, extra_context=None):
        response = super().history_view(request, object_id, extra_context)
        self._record_read(request, response, "object", audit.Read.RECORD_HISTORY_VIEWED)
        return response

    def _record_read(self, request, response, key: str, action: audit.Read) -> None:
        obj = getattr(response, "context_data", {}).get(key)
        if obj is not None:
            audit.record_read(actor=request.user, action=action, obj=obj, patient=self._patient(obj))

    def _log(self, request, obj, flag: int, message) -> LogEntry:
        return LogEntry.objects.create(
            user_id=request.user.pk,
            content_type_id=ContentType.objects.get_for_model(obj, for_concrete_model=False).pk,
            object_id=str(obj.pk),
            object_repr=f"{obj._meta.verbose_name.capitalize()} #{obj.pk}",
            action_flag=flag,
            change_message=json.dumps(message) if isinstance(message, list) else message,
        )

    def log_addition(self, request, obj, message):
        return self._log(request, obj, ADDITION, message)

    def log_change(self, request, obj, message):
        return self._log(request, obj, CHANGE, message)

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        action = "updated" if change else "created"
        audit.record(
            actor=request.user,
            action=f"{obj._meta.model_name}.{action}",
            obj=obj,
            changed_fields=form.changed_data,
        )


@admin.register(Clinic)
class ClinicAdmin(ClinicScopedAdmin):
    clinic_path = "pk"
    list_display = ["name", "time_zone", "paper_size"]

    def get_queryset(self, request):
        rows = admin.ModelAdmin.get_queryset(self, request)
        return rows if request.user.is_superuser else rows.filter(pk=request.user.clinic_id)


@admin.register(User)
class UserAdmin(ClinicScopedAdmin, BaseUserAdmin):
    ordering = ["full_name"]
    list_display = ["email", "full_name", "clinic", "is_active"]
    list_filter = ["is_active", "groups"]
    search_fields = ["email", "full_name"]
    fieldsets = [
        (None, {"fields": ["email", "password"]}),
        ("Person", {"fields": ["full_name", "clinic"]}),
        ("Access", {"fields": ["is_active", "is_staff", "groups"]}),
        ("Dates", {"fields": ["last_login", "date_joined", "invitation_sent_at"]}),
    ]
    add_fieldsets = [(None, {"fields": ["email", "full_name", "clinic", "password1", "password2"]})]
    readonly_fields = ["last_login", "date_joined", "invitation_sent_at"]


@admin.register(ClinicianProfile)
class ClinicianProfileAdmin(ClinicScopedAdmin):
    clinic_path = "user__clinic"
    list_display = ["user", "credentials", "license_number"]


@admin.register(Patient)
class PatientAdmin(AuditedPHIAdmin):
    list_display = ["id", "last_name", "first_name", "date_of_birth"]
    audit_list = audit.Read.PATIENT_LISTED
    audit_detail = audit.Read.PATIENT_VIEWED


@admin.register(EpisodeOfCare)
class EpisodeAdmin(AuditedPHIAdmin):
    clinic_path = "patient__clinic"
    list_display = ["id", "patient", "status", "lead_clinician", "opened_on"]
    list_filter = ["status"]
    list_select_related = ["patient", "lead_clinician"]
    raw_id_fields = ["patient", "lead_clinician"]
    patient_path = "patient"
    audit_list = audit.Read.EPISODE_LISTED
    audit_detail = audit.Read.EPISODE_VIEWED


@admin.register(Appointment)
class AppointmentAdmin(AuditedPHIAdmin):
    """A visit is a patient's data even where no name is shown: its time, its clinician."""

    clinic_path = "episode__patient__clinic"
    list_display = ["id", "starts_at", "clinician", "status"]
    list_select_related = ["episode__patient", "clinician"]
    raw_id_fields = ["episode", "clinician"]
    patient_path = "episode.patient"
    audit_list = audit.Read.APPOINTMENT_LISTED
    audit_detail = audit.Read.APPOINTMENT_VIEWED


@admin.register(AuditEvent)
class AuditEventAdmin(ClinicScopedAdmin):
    """The trail as the patient's audit page shows it: who, when, from where and which record,
    with no clinical action names or changed clinical field names (``audit.describe``). The
    rows name patients by id only, so reading them is not itself recorded."""

    list_display = ["at", "actor", "what", "record", "fields_changed", "patient_id", "ip_address"]
    list_select_related = ["actor"]
    fields = ["at", "actor", "what", "record", "fields_changed", "patient_id", "ip_address"]
    readonly_fields = fields

    @admin.display(description="What")
    def what(self, event: AuditEvent) -> str:
        return audit.describe(event).what

    @admin.display(description="Record")
    def record(self, event: AuditEvent) -> str:
        return audit.describe(event).record

    @admin.display(description="Fields changed")
    def fields_changed(self, event: AuditEvent) -> str:
        return ", ".join(audit.describe(event).changed_fields) or "—"

    def has_view_permission(self, request, obj=None) -> bool:
        return request.user.has_perm("clinic.view_audit_trail")

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(AppointmentType)
class AppointmentTypeAdmin(ClinicScopedAdmin):
    list_display = ["name", "kind", "minutes", "active"]


@admin.register(WorkingHours)
class WorkingHoursAdmin(ClinicScopedAdmin):
    clinic_path = "clinician__clinic"
    list_display = ["clinician", "weekday", "start", "end"]
    list_filter = ["weekday"]

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "clinician" and not request.user.is_superuser:
            kwargs["queryset"] = User.objects.filter(clinic_id=request.user.clinic_id)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def has_delete_permission(self, request, obj=None) -> bool:
        # Hours and time off are schedule settings, not records: they may be removed.
        return admin.ModelAdmin.has_delete_permission(self, request, obj)


@admin.register(TimeOff)
class TimeOffAdmin(WorkingHoursAdmin):
    list_display = ["clinician", "starts_at", "ends_at", "reason"]
    list_filter = []


@admin.register(ApiToken)
class ApiTokenAdmin(ClinicScopedAdmin):
    """Read-only, apart from revoking: tokens are created on the API tokens page, where the
    raw token can be shown once."""

    clinic_path = "owner__clinic"
    list_display = [
        "name",
        "owner",
        "prefix",
        "clinical_scope",
        "created_at",
        "last_used_at",
        "expires_at",
        "revoked_at",
    ]
    list_filter = ["revoked_at", "clinical_scope"]
    list_select_related = ["owner"]
    fields = [
        "name",
        "owner",
        "prefix",
        "clinical_scope",
        "created_by",
        "created_at",
        "last_used_at",
        "expires_at",
        "revoked_at",
    ]
    readonly_fields = fields
    actions = ["revoke"]

    def has_view_permission(self, request, obj=None) -> bool:
        return request.user.is_superuser or permissions.can_manage_staff(request.user)

    def has_module_permission(self, request) -> bool:
        return self.has_view_permission(request)

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    @admin.action(description="Revoke the selected tokens")
    def revoke(self, request, queryset) -> None:
        revoked = 0
        for token in queryset.select_related("owner__clinic"):
            try:
                api_tokens.api_token_revoke(actor=request.user, token=token)
            except PermissionDenied:
                self.message_user(
                    request, f"Only a clinic admin of its clinic can revoke “{token.name}”.", level="error"
                )
            else:
                revoked += 1
        if revoked:
            self.message_user(request, f"{revoked} token(s) revoked.")
