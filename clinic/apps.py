from django.apps import AppConfig, apps
from django.db.models.signals import post_migrate


class ClinicConfig(AppConfig):
    name = "clinic"
    verbose_name = "Clinic"

    def ready(self) -> None:
        from clinic import checks  # noqa: F401  (register the system checks)

        post_migrate.connect(_sync_roles, dispatch_uid="clinic.sync_roles")


def _sync_roles(app_config: AppConfig, **kwargs) -> None:
    # Every app's permissions exist only once migrate has signalled the last app with models.
    if app_config is [config for config in apps.get_app_configs() if config.models_module][-1]:
        from clinic.services import sync_role_groups

        sync_role_groups()
