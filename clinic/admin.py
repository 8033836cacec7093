"""Django admin for clinic admins: every list and choice is limited to the admin's own clinic
(clinic/admin_site.py), PHI reads and writes are audited, and the audit trail is read-only."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied, ValidationError

from clinic import api_tokens, audit, permissions, services
from clinic.admin_site import ClinicScopedAdmin
from clinic.forms import ROLE_CHOICES, StaffEmailField
from clinic.models import ApiToken, AuditEvent, Clinic, ClinicianProfile, EpisodeOfCare, Patient, User
from clinic.permissions import Role
from clinic.scheduling.models import Appointment, AppointmentType, TimeOff, WorkingHours


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
    list_display = ["name", "time_zone", "paper_size"]


class StaffAdminForm(forms.ModelForm):
    """A staff account in the Django admin: what the staff page edits, saved by the same audited
    service. No password (only its owner sets one), no clinic, superuser or Django-admin flag by
    hand (the clinic admin role gives that)."""

    email = StaffEmailField(label="E-mail address", max_length=254)
    roles = forms.MultipleChoiceField(choices=ROLE_CHOICES, widget=forms.CheckboxSelectMultiple)
    # Set per request by UserAdmin.get_form: the own-account rules depend on who is editing.
    actor: User

    class Meta:
        model = User
        fields = ["email", "full_name", "is_active"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "clinic" in self.fields:
            self.fields["clinic"].required = True
        if self.instance.pk is not None:
            self.fields["roles"].initial = [role.value for role in permissions.roles_of(self.instance)]

    def cleaned_roles(self) -> set[Role]:
        return {Role(value) for value in self.cleaned_data.get("roles", [])}

    def clean(self):
        cleaned = super().clean()
        if self.instance.pk is not None and "roles" in cleaned:
            try:
                services.own_account_check(
                    actor=self.actor,
                    staff=self.instance,
                    roles=self.cleaned_roles(),
                    is_active=cleaned.get("is_active", self.instance.is_active),
                )
            except ValidationError as error:
                self.add_error(None, error)
        return cleaned


@admin.register(User)
class UserAdmin(ClinicScopedAdmin):
    """Staff accounts. Adding one sends the invitation, as the staff page does; every save goes
    through ``services.staff_create`` / ``services.staff_update`` (audited, the holder told)."""

    form = StaffAdminForm
    ordering = ["full_name"]
    list_display = ["email", "full_name", "clinic", "is_active"]
    list_filter = ["is_active", "groups"]
    search_fields = ["email", "full_name"]
    fieldsets = [
        (None, {"fields": ["email", "full_name", "clinic"]}),
        ("Access", {"fields": ["is_active", "roles"]}),
        ("Dates", {"fields": ["last_login", "date_joined", "invitation_sent_at"]}),
    ]
    readonly_fields = ["clinic", "last_login", "date_joined", "invitation_sent_at"]

    def get_fieldsets(self, request, obj=None):
        if obj is not None:
            return self.fieldsets
        # A superuser names the new account's clinic; a clinic admin adds to their own.
        person = ["email", "full_name", "clinic"] if request.user.is_superuser else ["email", "full_name"]
        return [(None, {"fields": person}), ("Access", {"fields": ["roles"]})]

    def get_readonly_fields(self, request, obj=None):
        return [] if obj is None else self.readonly_fields

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        return type(form.__name__, (form,), {"actor": request.user})

    def save_model(self, request, obj, form, change):
        if change:
            saved = services.staff_update(
                actor=request.user,
                staff=User.objects.get(pk=obj.pk),
                full_name=form.cleaned_data["full_name"],
                email=form.cleaned_data["email"],
                roles=form.cleaned_roles(),
                is_active=form.cleaned_data["is_active"],
            )
        else:
            saved = services.staff_create(
                actor=request.user,
                email=form.cleaned_data["email"],
                full_name=form.cleaned_data["full_name"],
                roles=form.cleaned_roles(),
                clinic=form.cleaned_data.get("clinic"),
            )
        # The admin goes on with ``obj`` (its message, history entry and redirect).
        obj.pk = saved.pk
        obj._state.adding = False
        obj.refresh_from_db()

    def save_related(self, request, form, formsets, change):
        # The roles were set by the service; the form has no relations of its own to save.
        pass


@admin.register(ClinicianProfile)
class ClinicianProfileAdmin(ClinicScopedAdmin):
    list_display = ["user", "credentials", "license_number"]


@admin.register(Patient)
class PatientAdmin(AuditedPHIAdmin):
    list_display = ["id", "last_name", "first_name", "date_of_birth"]


@admin.register(EpisodeOfCare)
class EpisodeAdmin(AuditedPHIAdmin):
    list_display = ["id", "patient", "status", "lead_clinician", "opened_on"]
    list_filter = ["status"]
    raw_id_fields = ["patient", "lead_clinician"]


@admin.register(Appointment)
class AppointmentAdmin(ClinicScopedAdmin):
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
    list_display = ["clinician", "weekday", "start", "end"]
    list_filter = ["weekday"]

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
