from django.apps import AppConfig


class RunningConfig(AppConfig):
    name = "running"
    label = "running"
    verbose_name = "Return to running"

    def ready(self) -> None:
        from plans.signals import plan_version_signed

        plan_version_signed.connect(_start_from_version, dispatch_uid="running.start_from_version")


def _start_from_version(sender, version, **kwargs) -> None:
    from running.services import phases

    phases.start_from_version(version)
