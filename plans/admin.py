"""Django admin for the treatment library: the raw form of what the Library page edits.
Clinic admins see only their own clinic's rows."""

from __future__ import annotations

from django.contrib import admin

from clinic import text_input
from clinic.admin import ClinicScopedAdmin
from plans.models import Contraindication, Intervention, PlanRule, RuleItem


class LibraryAdmin(ClinicScopedAdmin):
    """Rows a clinic admin adds belong to the admin's clinic."""

    exclude = ["clinic"]

    def save_model(self, request, obj, form, change):
        if not change:
            obj.clinic_id = request.user.clinic_id
        super().save_model(request, obj, form, change)


@admin.register(Intervention)
class InterventionAdmin(LibraryAdmin):
    list_display = ["name", "prong", "home_program", "active"]
    list_filter = ["prong", "home_program", "active"]
    search_fields = ["name", "key"]


class RuleItemInline(text_input.AdminFields, admin.TabularInline):
    model = RuleItem
    extra = 1
    autocomplete_fields = ["intervention"]

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "intervention" and not request.user.is_superuser:
            kwargs["queryset"] = Intervention.objects.filter(clinic_id=request.user.clinic_id)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


@admin.register(PlanRule)
class PlanRuleAdmin(LibraryAdmin):
    list_display = ["name", "always", "visits_per_week", "weeks", "active"]
    inlines = [RuleItemInline]


@admin.register(Contraindication)
class ContraindicationAdmin(LibraryAdmin):
    list_display = ["name", "blocks_plan", "hard", "active"]
