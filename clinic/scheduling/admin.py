"""Reminder wording in the Django admin, limited to the admin's own clinic like every list there."""

from __future__ import annotations

from django.contrib import admin

from clinic.admin_site import ClinicScopedAdmin
from clinic.scheduling.models import ReminderTemplate


@admin.register(ReminderTemplate)
class ReminderTemplateAdmin(ClinicScopedAdmin):
    list_display = ["kind", "appointment_type", "subject", "updated_at"]
    list_filter = ["kind"]

    def has_delete_permission(self, request, obj=None) -> bool:
        # Deleting a clinic's wording only brings back the shipped default.
        return request.user.has_perm("scheduling.delete_remindertemplate")
