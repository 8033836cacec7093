"""What the core announces for the apps built on it to act on, so that the core imports none
of them (the layers in the README's architecture section)."""

from __future__ import annotations

from django.dispatch import Signal

# Sent inside the staff service's transaction when an account may no longer act as a clinician
# (deactivated, or the Clinician role taken away), with ``staff`` and ``actor``. Scheduling ends
# the account's calendar feed.
clinical_access_ended = Signal()
