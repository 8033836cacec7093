from django.apps import AppConfig


class StaffCommandsConfig(AppConfig):
    """Management commands that take the place of django.contrib.auth's own for staff accounts.

    Listed before django.contrib.auth in INSTALLED_APPS: of two apps naming the same command,
    Django runs the first's, and the clinic app comes after auth."""

    name = "clinic.staff_commands"
    label = "staff_commands"
    verbose_name = "Staff account commands"
