"""Scheduling in the Django admin (appointments, appointment types, working hours, changes of
hours, time off; the clinic admin's own pages for the last three are under Clinic settings),
limited to the admin's own clinic like every list there."""

from __future__ import annotations

from django.contrib import admin

from clinic import audit
from clinic.admin import AuditedPHIAdmin
from clinic.admin_site import ClinicScopedAdmin
from clinic.scheduling.models import Appointment, AppointmentType, HoursException, TimeOff, WorkingHours


@admin.register(Appointment)
class AppointmentAdmin(AuditedPHIAdmin):
    """A visit is a patient's data even where no name is shown: its time, its clinician."""

    list_display = ["id", "starts_at", "clinician", "status"]
    list_select_related = ["episode__patient", "clinician"]
    raw_id_fields = ["episode", "clinician"]
    patient_path = "episode.patient"
    audit_list = audit.Read.APPOINTMENT_LISTED
    audit_detail = audit.Read.APPOINTMENT_VIEWED


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


@admin.register(HoursException)
class HoursExceptionAdmin(WorkingHoursAdmin):
    list_display = ["clinician", "day", "start", "end", "note"]
    list_filter = []
