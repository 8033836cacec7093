"""What assessments tell the apps above them, which assessments may not import (the layers contract)."""

from __future__ import annotations

from django.dispatch import Signal

# Sent inside the service's transaction when what an episode's record says changed (an assessment completed or
# reopened, a finding added, dismissed or restored), with ``episode``: the notes app re-judges a discharged episode's
# stored outcome.
record_changed = Signal()
