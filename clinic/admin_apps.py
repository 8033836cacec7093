"""Django's admin app, serving the clinic-scoped site (clinic/admin_site.py) as ``admin.site``."""

from django.contrib.admin.apps import AdminConfig


class ClinicAdminConfig(AdminConfig):
    default_site = "clinic.admin_site.ClinicAdminSite"
