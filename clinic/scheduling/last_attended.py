"""Each episode's latest attended visit, stored on the episode (``EpisodeOfCare.last_attended_at``)
so the front desk's lapsed list reads open episodes in index order instead of grouping every visit
of the clinic.

The receivers below keep it on every save and delete of a visit (connected in ``apps.py``). Writes
that send no signals (``bulk_create``, raw SQL, ``QuerySet.update`` of a visit's status, start or
episode) call ``refresh`` after, for the episodes they touched.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import Max, OuterRef, Subquery

from clinic.models import EpisodeOfCare
from clinic.scheduling.models import ATTENDED_STATUSES, Appointment

# A visit's fields the latest attended visit is computed from.
WATCHED_FIELDS = frozenset({"status", "starts_at", "episode", "episode_id"})


def may_change(*, created: bool, attended: bool, update_fields: Iterable[str] | None) -> bool:
    """Whether saving a visit can move its episode's latest attended visit: a new visit only when
    it is attended; a saved one unless the save names its fields and none of them is watched."""
    if created:
        return attended
    return update_fields is None or not WATCHED_FIELDS.isdisjoint(update_fields)


def refresh(*, episode_ids: Iterable[int] | None = None) -> int:
    """Store the latest attended visit of each episode of ``episode_ids`` (every episode when None)
    in one UPDATE; how many episodes were written. ``QuerySet.update``: neither the episode's
    ``updated_at`` (its version for the API) nor the episode's signals move with its visits."""
    latest = (
        Appointment.objects.filter(episode=OuterRef("pk"), status__in=ATTENDED_STATUSES)
        .order_by()
        .values("episode")
        .annotate(latest=Max("starts_at"))
        .values("latest")
    )
    episodes = EpisodeOfCare.objects.all() if episode_ids is None else EpisodeOfCare.objects.filter(pk__in=episode_ids)
    return episodes.update(last_attended_at=Subquery(latest))


# --- Receivers ----------------------------------------------------------------------------------


def remember_episode(sender, instance: Appointment, **_signal) -> None:
    """The episode a visit was read with: a save that moves it to another episode refreshes the
    one it left too. Read from the instance's fields so a deferred episode costs no query."""
    instance._episode_id_read = instance.__dict__.get("episode_id")


def visit_saved(sender, instance: Appointment, created: bool, update_fields, raw: bool = False, **_signal) -> None:
    # Fixtures load rows as they are, episodes with their stored value included.
    if raw or not may_change(
        created=created, attended=instance.status in ATTENDED_STATUSES, update_fields=update_fields
    ):
        return
    # An unpickled visit (from a cache) was never initialised: no episode read to refresh.
    left = getattr(instance, "_episode_id_read", None)
    refresh(episode_ids={instance.episode_id, left} - {None})
    instance._episode_id_read = instance.episode_id


def visit_deleted(sender, instance: Appointment, **_signal) -> None:
    if instance.status in ATTENDED_STATUSES:
        refresh(episode_ids=[instance.episode_id])
