from django.apps import AppConfig


class SchedulingConfig(AppConfig):
    name = "clinic.scheduling"
    label = "scheduling"
    verbose_name = "Scheduling"

    def ready(self) -> None:
        from clinic import signals
        from clinic.scheduling import services

        signals.clinical_access_ended.connect(services.end_feeds_of_former_clinician, dispatch_uid="calendar_feeds_end")
