"""The audit trail: one call, ``record``, used by every service that reads or writes PHI.

The client address comes from the request being served (set by ``AuditContextMiddleware``)
so services need not pass requests around; work done by Celery tasks has no address.
"""

from __future__ import annotations

import contextvars
from collections.abc import Iterable

from django.db import models

from clinic.models import AuditEvent, Patient, User
from clinic.permissions import Role

_client_ip: contextvars.ContextVar[str | None] = contextvars.ContextVar("audit_client_ip", default=None)


def set_client_ip(ip: str | None) -> contextvars.Token:
    return _client_ip.set(ip)


def reset_client_ip(token: contextvars.Token) -> None:
    _client_ip.reset(token)


def _patient_of(obj: models.Model) -> Patient | None:
    if isinstance(obj, Patient):
        return obj
    return getattr(obj, "patient", None)


def record(
    *,
    actor: User | None,
    action: str,
    obj: models.Model,
    patient: Patient | None = None,
    changed_fields: Iterable[str] = (),
    role_change: tuple[Iterable[Role], Iterable[Role]] | None = None,
) -> AuditEvent:
    """Append one audit row: ``actor`` did ``action`` (e.g. ``patient.viewed``) to ``obj``.

    ``role_change`` is a staff account's roles (before, after); only role names are stored.
    """
    patient = patient or _patient_of(obj)
    clinic_id = patient.clinic_id if patient else getattr(obj, "clinic_id", None)
    return AuditEvent.objects.create(
        actor=actor if actor and actor.is_authenticated else None,
        clinic_id=clinic_id,
        action=action,
        object_type=obj._meta.label_lower,
        object_id=obj.pk,
        patient_id=patient.pk if patient else None,
        ip_address=_client_ip.get(),
        changed_fields=sorted(changed_fields),
        role_change=(
            None
            if role_change is None
            else {
                "old": sorted(Role(role).value for role in role_change[0]),
                "new": sorted(Role(role).value for role in role_change[1]),
            }
        ),
    )
