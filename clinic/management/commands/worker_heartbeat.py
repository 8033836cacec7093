"""``manage.py worker_heartbeat``: whether a worker ran the heartbeat beat last queued, as
``/readyz/worker`` says it; exits 1 when none is consuming. The beat container's health check,
so it covers beat, the broker and the workers end to end without a web process."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from clinic import health


class Command(BaseCommand):
    help = "Print whether a worker is consuming queued work; exit 1 when none is."

    def handle(self, *args, **options) -> None:
        consuming, report = health.worker_report()
        self.stdout.write(report)
        if not consuming:
            raise SystemExit(1)
