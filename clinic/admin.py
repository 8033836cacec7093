"""Django admin for clinic admins: every list and choice is limited to the admin's own clinic
(clinic/admin_site.py), PHI reads and writes are audited, and the audit trail is read-only."""

from __future__ import annotations

import json
from operator import attrgetter

from django import forms
from django.contrib import admin
from django.contrib.admin.models import ADDITION, CHANGE, LogEntry
from django.contrib.auth.admin import GroupAdmin as BaseGroupAdmin
from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError

from clinic import api_tokens, audit, permissions, services, text_input
from clinic.admin_site import ClinicScopedAdmin
from clinic.forms import ROLE_CHOICES, StaffEmailField
from clinic.models import ApiToken, AuditEvent, Clinic, ClinicianProfile, EpisodeOfCare, Patient, User
from clinic.permissions import Role


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
    list_display = ["name", "time_zone", "paper_size"]


class StaffAdminForm(text_input.ModelForm):
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
    audit_list = audit.Read.PATIENT_LISTED
    audit_detail = audit.Read.PATIENT_VIEWED


@admin.register(EpisodeOfCare)
class EpisodeAdmin(AuditedPHIAdmin):
    list_display = ["id", "patient", "status", "lead_clinician", "opened_on"]
    list_filter = ["status"]
    list_select_related = ["patient", "lead_clinician"]
    raw_id_fields = ["patient", "lead_clinician"]
    patient_path = "patient"
    audit_list = audit.Read.EPISODE_LISTED
    audit_detail = audit.Read.EPISODE_VIEWED


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


# Django registers the roles' groups itself; re-registered so their names refuse control characters too.
admin.site.unregister(Group)


@admin.register(Group)
class GroupAdmin(text_input.AdminFields, BaseGroupAdmin):
    pass
