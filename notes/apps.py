from django.apps import AppConfig


class NotesConfig(AppConfig):
    name = "notes"
    label = "notes"
    verbose_name = "Visit notes"

    def ready(self):
        from assessments.signals import record_changed
        from clinic.signals import episode_changed, thresholds_changed
        from notes import outcome_facts
        from plans.signals import plan_version_signed

        record_changed.connect(outcome_facts.on_episode_changed, dispatch_uid="notes.outcomes_record")
        episode_changed.connect(outcome_facts.on_episode_changed, dispatch_uid="notes.outcomes_episode")
        plan_version_signed.connect(outcome_facts.on_plan_signed, dispatch_uid="notes.outcomes_plan")
        thresholds_changed.connect(outcome_facts.on_thresholds_changed, dispatch_uid="notes.outcomes_thresholds")
