from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _ship_run_programs(sender, using="default", **kwargs) -> None:
    """The shipped walk-run programs belong to every clinic: made again whenever the tables are
    (re)made, as Django does for permissions, since a database flush leaves none behind."""
    from plans import run_programs
    from plans.models import RunProgramTemplate

    for program in run_programs.SHIPPED:
        RunProgramTemplate.objects.using(using).get_or_create(
            clinic=None,
            key=program["key"],
            version=1,
            defaults={name: program[name] for name in ("name", "phases", "rules", "source", "low_quality")},
        )


class PlansConfig(AppConfig):
    name = "plans"
    verbose_name = "Treatment plans"

    def ready(self) -> None:
        post_migrate.connect(_ship_run_programs, sender=self)
