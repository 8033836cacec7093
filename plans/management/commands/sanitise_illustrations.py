"""Make stored library illustrations safe (see ``plans.illustrations``)."""

from __future__ import annotations

from django.core.management.base import BaseCommand
from django.db import transaction

from clinic import audit
from plans import illustrations
from plans.models import Intervention


class Command(BaseCommand):
    help = "Rebuild stored SVG illustrations from the allow-list; delete files that are not accepted pictures."

    def handle(self, *args, **options):
        with transaction.atomic():
            changed = illustrations.sanitise_stored(Intervention)
            for pk, outcome in changed:
                audit.record(
                    actor=None,
                    action=f"library.illustration_{outcome}",
                    obj=Intervention.objects.get(pk=pk),
                    changed_fields=["illustration"],
                )
        self.stdout.write(f"{len(changed)} illustration(s) changed.")
