from django.apps import AppConfig


class RunningConfig(AppConfig):
    name = "running"
    label = "running"
    verbose_name = "Return to running"
