"""What the core announces for the apps built on it to act on, so that the core imports none
of them (the layers in the README's architecture section)."""

from __future__ import annotations

from django.dispatch import Signal

# Sent inside the staff service's transaction when an account may no longer act as a clinician
# (deactivated, or the Clinician role taken away), with ``staff`` and ``actor``. Scheduling ends
# the account's calendar feed.
clinical_access_ended = Signal()

# Sent inside the episode service's transaction when an episode's own fields changed, with ``episode``: the notes
# app re-judges a discharged episode's stored outcome (its lead clinician, its opening day).
episode_changed = Signal()

# Sent inside the settings transaction when a clinic's thresholds changed, with ``clinic`` and the changed ``keys``:
# the notes app re-judges the clinic's stored outcomes when an MCID or a PASS changed.
thresholds_changed = Signal()
