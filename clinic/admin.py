"""Django admin for clinic admins: every list is limited to the admin's own clinic, PHI
reads and writes are audited, and the audit trail is read-only."""

from __future__ import annotations

from django.contrib import admin, messages
from django.contrib.auth.admin import GroupAdmin as BaseGroupAdmin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied

from clinic import api_tokens, audit, permissions, text_input
from clinic.models import ApiToken, AuditEvent, Clinic, ClinicianProfile, EpisodeOfCare, Patient, User
from clinic.scheduling.models import Appointment, AppointmentType, TimeOff, WorkingHours


class ClinicScopedAdmin(text_input.AdminFields, admin.ModelAdmin):
    """Limits rows to the signed-in admin's clinic; ``clinic_path`` is the lookup to it.
    Text with a control character is refused in its forms and its search."""

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

    def get_search_results(self, request, queryset, search_term):
        character = text_input.forbidden_character(search_term, multiline=False)
        if character is not None:
            messages.error(request, text_input.message_for(character))
            return queryset.none(), False
        return super().get_search_results(request, queryset, search_term)


class AuditedPHIAdmin(ClinicScopedAdmin):
    def change_view(self, request, object_id, form_url="", extra_context=None):
        obj = self.get_object(request, object_id)
        if obj is not None and request.method == "GET":
            audit.record(actor=request.user, action=f"{obj._meta.model_name}.viewed", obj=obj)
        return super().change_view(request, object_id, form_url, extra_context)

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


@admin.register(EpisodeOfCare)
class EpisodeAdmin(AuditedPHIAdmin):
    clinic_path = "patient__clinic"
    list_display = ["id", "patient", "status", "lead_clinician", "opened_on"]
    list_filter = ["status"]
    raw_id_fields = ["patient", "lead_clinician"]


@admin.register(Appointment)
class AppointmentAdmin(ClinicScopedAdmin):
    clinic_path = "episode__patient__clinic"
    list_display = ["id", "starts_at", "clinician", "status"]
    raw_id_fields = ["episode", "clinician"]


@admin.register(AuditEvent)
class AuditEventAdmin(ClinicScopedAdmin):
    list_display = ["at", "action", "actor", "object_type", "object_id", "patient_id", "ip_address"]
    list_filter = ["action"]

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


# Django registers the roles' groups itself; re-registered so their names refuse control characters too.
admin.site.unregister(Group)


@admin.register(Group)
class GroupAdmin(text_input.AdminFields, BaseGroupAdmin):
    pass
