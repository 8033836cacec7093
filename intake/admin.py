"""Django admin for the clinic's licensed questionnaire wording."""

from __future__ import annotations

from django.contrib import admin

from clinic.admin_site import ClinicScopedAdmin
from intake.models import LicensedInstrumentText


@admin.register(LicensedInstrumentText)
class LicensedInstrumentTextAdmin(ClinicScopedAdmin):
    list_display = ["instrument", "licence_reference"]
    exclude = ["clinic"]

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        clinic_id = obj.clinic_id if obj else request.user.clinic_id

        class WithClinic(form):
            # The model's validation checks the wording against the questionnaire; it needs the
            # clinic set before it runs.
            def _post_clean(self):
                self.instance.clinic_id = clinic_id
                super()._post_clean()

        return WithClinic
