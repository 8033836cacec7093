"""Which module composes each kind of message: the code stays beside its subject.

Each module has ``prepare(message)``, called under the row lock when the message is about to
go: it returns an ``Outgoing`` (what to send) or a ``NotOwed`` (why not, now that the subject
changed). A reminder's module also has ``obsolete(message)`` (a ``NotOwed`` or None), asked
before quiet hours so a reminder no longer wanted is settled at once rather than held, and
``prepare`` may then take the subject as still wanting it; one held by quiet hours only until
a moment after which it makes no sense (a visit) has ``deadline(message)``. A module whose subject keeps a copy
of the outcome for its own page also has ``settled(message)``, called in the transaction that
records the outcome. Named as dotted paths so the outbox imports none of the apps that send
through it.
"""

from __future__ import annotations

from importlib import import_module
from types import ModuleType

from clinic.outbox.models import MessageKind

KINDS: dict[str, str] = {
    MessageKind.HANDOUT_READY: "clinic.portal.home_program_messages",
    MessageKind.VISIT_NOTICE: "clinic.scheduling.notices",
    MessageKind.VISIT_SERIES: "clinic.scheduling.series_notices",
    MessageKind.INTAKE_LINK: "intake.link_messages",
    MessageKind.FIRST: "clinic.scheduling.visit_reminders",
    MessageKind.SECOND: "clinic.scheduling.visit_reminders",
    MessageKind.INTAKE_NUDGE: "intake.nudge_messages",
    MessageKind.CHECK_IN: "clinic.portal.check_in_messages",
    MessageKind.REASSESSMENT: "clinic.scheduling.reassessment_reminders",
    MessageKind.CONTACT_CHANGE: "clinic.contact_changes.messages",
    MessageKind.FOLLOW_UP: "notes.follow_up_messages",
    MessageKind.RUN_MORNING: "running.morning_messages",
}


def module(kind: str) -> ModuleType:
    return import_module(KINDS[kind])
