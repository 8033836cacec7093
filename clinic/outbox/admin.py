"""A clinic's wording of its messages in the Django admin, limited to the admin's own clinic
like every list there (the wording pages under Clinic settings edit the same rows)."""

from __future__ import annotations

from django.contrib import admin

from clinic.admin_site import ClinicScopedAdmin
from clinic.outbox.models import MessageWording


@admin.register(MessageWording)
class MessageWordingAdmin(ClinicScopedAdmin):
    list_display = ["kind", "appointment_type", "subject", "updated_at"]
    list_filter = ["kind"]

    def has_delete_permission(self, request, obj=None) -> bool:
        # Deleting a clinic's wording only brings back the shipped default.
        return request.user.has_perm("outbox.delete_messagewording")
