"""What plans tell the apps above them, which plans may not import (the layers contract)."""

from __future__ import annotations

from django.dispatch import Signal

# Sent inside the signing transaction with ``version``: the return-to-run app starts or updates the runner's
# place in the version's walk-run program.
plan_version_signed = Signal()
