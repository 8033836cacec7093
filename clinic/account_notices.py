"""E-mails telling staff members about changes to their own account (roles, e-mail address,
password, second factor), so that a change they did not make does not go unnoticed. They name the change,
who made it and when; never a patient.

A service records the notice in its own transaction (``owe``); the message is queued after
commit and sent by a Celery task (``deliver``). The row, not the broker, records what is still
owed: the periodic sweep queues again what a lost message left behind.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django_otp.plugins.otp_static.models import StaticToken

from clinic import queueing
from clinic.audit import SecondFactor
from clinic.models import AccountNotice, AuditEvent, User

# What the account holder is told by e-mail after each change to their second factor: the
# subject, and the sentence.
SECOND_FACTOR_NOTICES: dict[SecondFactor, tuple[str, str]] = {
    SecondFactor.ENROLLED: (
        "Two-factor sign-in is set up for your account",
        "Two-factor sign-in is now set up: each sign-in asks for a code from your authenticator app.",
    ),
    SecondFactor.REPLACED: (
        "A new authenticator app signs in to your account",
        "A new authenticator app was set up. Codes from the app you used before no longer work.",
    ),
    SecondFactor.RECOVERY_CODES_RENEWED: (
        "New recovery codes for your account",
        "New recovery codes were made. The earlier codes no longer work.",
    ),
    SecondFactor.RECOVERY_CODE_USED: (
        "A recovery code was used for your account",
        "One of your recovery codes was used to sign in. You have {recovery_codes_left} left.",
    ),
    SecondFactor.RESET: (
        "Your two-factor sign-in was reset",
        "Your two-factor sign-in was reset: your old authenticator app and recovery codes no longer "
        "work. The next time you sign in, after your password, you will set up an authenticator app again.",
    ),
}


def owe(*, event: AuditEvent, user: User, recipients: Iterable[str]) -> None:
    """Record a notice of ``event`` to each address; each is queued once the transaction commits."""
    from clinic.tasks import send_account_notice

    for recipient in dict.fromkeys(recipients):
        notice = AccountNotice.objects.create(event=event, user=user, recipient=recipient)
        queueing.after_commit(send_account_notice, notice.pk)


def _changes(event: AuditEvent, user: User, recipient: str) -> list[str]:
    """One sentence per change the audit row describes, as the recipient should read it."""
    changes = []
    if event.action in SECOND_FACTOR_NOTICES:
        left = StaticToken.objects.filter(device__user=user).count()
        changes.append(SECOND_FACTOR_NOTICES[event.action][1].format(recovery_codes_left=left))
    if event.action == "api_token.created":
        changes.append(
            "An API token was made that acts as you: whoever holds it can do through the API what you can. "
            "If you did not ask for it, tell your clinic admin to revoke it (Staff, then API tokens)."
        )
    if event.role_change is not None:
        before = ", ".join(event.role_change["old"]) or "none"
        after = ", ".join(event.role_change["new"]) or "none"
        changes.append(f"Your roles were changed from {before} to {after}.")
    if "email" in event.changed_fields:
        if recipient == user.email:
            changes.append("This address is now the e-mail address you sign in with.")
        else:
            changes.append("The e-mail address you sign in with was changed; this address no longer signs in.")
    if "password" in event.changed_fields:
        changes.append("Your password was changed.")
    return changes


def _subject(event: AuditEvent, user: User) -> str:
    if event.action in SECOND_FACTOR_NOTICES:
        return SECOND_FACTOR_NOTICES[event.action][0]
    return f"A change to your account at {user.clinic or 'the clinic'}"


def deliver(*, notice_id: int) -> bool:
    """Send the notice once; returns False when nothing was owed.

    The row lock makes two workers holding the same message send it only once.
    """
    with transaction.atomic():
        notice = (
            AccountNotice.objects.select_for_update(of=("self",))
            .select_related("event__actor", "user__clinic")
            .filter(pk=notice_id, sent_at__isnull=True)
            .first()
        )
        if notice is None:
            return False
        event, user = notice.event, notice.user
        zone = user.clinic.zone if user.clinic else datetime.UTC
        by_self = event.actor_id == user.pk
        context = {
            "user": user,
            "clinic": user.clinic,
            "changes": _changes(event, user, notice.recipient),
            "by": "you" if by_self else (event.actor.full_name if event.actor else "the clinic"),
            "at": timezone.localtime(event.at, zone),
            "reset_link": settings.SITE_URL.rstrip("/") + reverse("password_reset"),
        }
        send_mail(
            subject=_subject(event, user),
            message=render_to_string("clinic/email/account_notice.txt", context),
            from_email=None,
            recipient_list=[notice.recipient],
        )
        notice.sent_at = timezone.now()
        notice.save(update_fields=["sent_at"])
    return True


def owed(*, older_than: datetime.timedelta) -> list[int]:
    """Ids of notices still owed whose message may have been lost."""
    cutoff = timezone.now() - older_than
    return list(
        AccountNotice.objects.filter(sent_at__isnull=True, created_at__lt=cutoff)
        .order_by("created_at")
        .values_list("pk", flat=True)
    )
