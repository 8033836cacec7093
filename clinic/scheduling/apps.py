from django.apps import AppConfig
from django.db.models.signals import post_delete, post_init, post_save


class SchedulingConfig(AppConfig):
    name = "clinic.scheduling"
    label = "scheduling"
    verbose_name = "Scheduling"

    def ready(self) -> None:
        from clinic import signals
        from clinic.scheduling import last_attended, services
        from clinic.scheduling.models import Appointment

        signals.clinical_access_ended.connect(services.end_feeds_of_former_clinician, dispatch_uid="calendar_feeds_end")
        # Each episode's latest attended visit follows its visits (clinic.scheduling.last_attended).
        post_init.connect(last_attended.remember_episode, sender=Appointment, dispatch_uid="last_attended_read")
        post_save.connect(last_attended.visit_saved, sender=Appointment, dispatch_uid="last_attended_saved")
        post_delete.connect(last_attended.visit_deleted, sender=Appointment, dispatch_uid="last_attended_deleted")
