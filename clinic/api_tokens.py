"""API tokens: per-user keys for integrations. A staff member makes and revokes their own
(My API tokens); a clinic admin lists and revokes every token of the clinic and makes tokens for
colleagues, never with access to clinical records: only the staff member a token acts as can
give it that, since whoever makes a token holds it.

A token is ``stride_<random>``. The database keeps its SHA-256 (unsalted: the random part
has 256 bits, so there is nothing to guess) and the first characters of the random part as
a non-secret prefix. The raw token exists only in the response that creates it.

The rules at the top are pure; the services below them are the only writes.
"""

from __future__ import annotations

import datetime
import hashlib
import secrets
from enum import StrEnum

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from clinic import account_notices, audit, permissions
from clinic.models import ApiToken, User

# Marks a string as a Stride token (for secret scanners and readers); not itself secret.
TOKEN_PREFIX = "stride_"  # noqa: S105
PREFIX_LENGTH = 8
AUTH_KEYWORDS = ("bearer", "token")
# Recording every request would turn each read into a write; a minute is precise enough
# to tell an admin whether an integration still calls.
LAST_USED_RESOLUTION = datetime.timedelta(minutes=1)


class TokenStatus(StrEnum):
    ACTIVE = "active"
    EXPIRED = "expired"
    REVOKED = "revoked"


# --- Pure rules -------------------------------------------------------------------------------


def new_token() -> tuple[str, str, str]:
    """A fresh raw token, its non-secret prefix and the hash to store."""
    secret = secrets.token_urlsafe(32)
    raw = TOKEN_PREFIX + secret
    return raw, secret[:PREFIX_LENGTH], hash_token(raw)


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def token_from_header(header: str) -> str | None:
    """The token of an ``Authorization: Bearer <token>`` (or ``Token <token>``) header.

    None when the header uses another scheme (it is not ours to judge); "" when it names our
    scheme but does not carry exactly one token.
    """
    parts = header.split()
    if not parts or parts[0].lower() not in AUTH_KEYWORDS:
        return None
    return parts[1] if len(parts) == 2 else ""


def token_status(
    *, revoked_at: datetime.datetime | None, expires_at: datetime.datetime | None, now: datetime.datetime
) -> TokenStatus:
    if revoked_at is not None:
        return TokenStatus.REVOKED
    if expires_at is not None and expires_at <= now:
        return TokenStatus.EXPIRED
    return TokenStatus.ACTIVE


def refusal(*, status: TokenStatus, owner_active: bool) -> str | None:
    """Why a known token may not be used, in words for the integration's log; None if it may."""
    if status == TokenStatus.REVOKED:
        return "This API token has been revoked; ask your clinic admin for a new one."
    if status == TokenStatus.EXPIRED:
        return "This API token has expired; ask your clinic admin for a new one."
    if not owner_active:
        return "The account this API token belongs to is deactivated."
    return None


def scope_problem(
    *, clinical_scope: bool, owner_may_view_clinical: bool, made_by_owner: bool, owner_name: str
) -> str | None:
    """Why a token may not be given these scopes; None if it may.

    The scope only narrows the owner's roles (checked again on every request, since roles
    change), so a clinical scope for someone who may not see clinical records would be a
    promise the token never keeps: refused when it is made, so the admin is not misled.
    A clinical scope is given only by the token's owner: whoever makes a token holds the raw
    token, and a clinic admin holding a clinician's would read clinical records as them.
    """
    if not clinical_scope:
        return None
    if not owner_may_view_clinical:
        return "This staff member may not see clinical records, so the token cannot either; leave it unticked."
    if not made_by_owner:
        return (
            f"Only {owner_name} can give their own token access to clinical records: they make it under My API tokens."
        )
    return None


def last_use_is_stale(last_used_at: datetime.datetime | None, now: datetime.datetime) -> bool:
    return last_used_at is None or now - last_used_at >= LAST_USED_RESOLUTION


# --- Reads ------------------------------------------------------------------------------------


def api_tokens_of_clinic(*, user: User) -> QuerySet[ApiToken]:
    """The tokens a clinic admin may see: those of their own clinic's staff, newest first."""
    if not permissions.can_manage_staff(user):
        return ApiToken.objects.none()
    return permissions.clinic_rows(user, ApiToken).select_related("owner", "created_by").order_by("-created_at", "-pk")


def own_api_tokens(*, user: User) -> QuerySet[ApiToken]:
    """The tokens acting as ``user``, whoever made them, newest first."""
    if not permissions.can_hold_api_tokens(user):
        return ApiToken.objects.none()
    return (
        ApiToken.objects.filter(owner_id=user.pk).select_related("owner", "created_by").order_by("-created_at", "-pk")
    )


def token_owners(*, user: User) -> QuerySet[User]:
    """Who a clinic admin may create a token for: the active staff of their clinic."""
    return permissions.scoped_staff(user).filter(is_active=True).order_by("full_name")


def find_token(raw: str) -> ApiToken | None:
    return ApiToken.objects.select_related("owner").filter(token_hash=hash_token(raw)).first()


# --- Writes -----------------------------------------------------------------------------------


def api_token_create(
    *,
    actor: User,
    owner: User,
    name: str,
    expires_at: datetime.datetime | None = None,
    clinical_scope: bool = False,
) -> tuple[ApiToken, str]:
    """Create a token for ``owner`` (``actor`` themselves, or a colleague if ``actor`` is their
    clinic admin); returns the row and the raw token, which is never stored."""
    # An account without a clinic (a superuser) is nobody's staff and gets no token.
    if owner.clinic_id is None or not permissions.can_manage_api_tokens_of(actor, owner):
        raise PermissionDenied
    if not owner.is_active:
        raise ValidationError({"owner": "This account is deactivated; reactivate it before giving it a token."})
    problem = scope_problem(
        clinical_scope=clinical_scope,
        owner_may_view_clinical=permissions.can_view_clinical_records(owner),
        made_by_owner=actor.pk == owner.pk,
        owner_name=owner.full_name,
    )
    if problem:
        raise ValidationError({"clinical_scope": problem})
    now = timezone.now()
    if expires_at is not None and expires_at <= now:
        raise ValidationError("Choose an expiry date in the future, or none.")
    raw, prefix, token_hash = new_token()
    token = ApiToken(
        owner=owner,
        name=name.strip(),
        prefix=prefix,
        token_hash=token_hash,
        created_by=actor,
        created_at=now,
        expires_at=expires_at,
        clinical_scope=clinical_scope,
    )
    token.full_clean()
    with transaction.atomic():
        token.save()
        event = audit.record(
            actor=actor,
            action="api_token.created",
            obj=token,
            changed_fields=["owner", "name", "expires_at", "clinical_scope"],
        )
        if actor.pk != owner.pk:
            # Whoever holds the raw token acts as its owner: the owner hears of it.
            account_notices.owe(event=event, user=owner, recipients=[owner.email])
    return token, raw


def api_token_revoke(*, actor: User, token: ApiToken) -> ApiToken:
    """Revoke a token at once (its owner, or a clinic admin of the owner's clinic); revoking a
    revoked token changes nothing."""
    if not permissions.can_manage_api_tokens_of(actor, token.owner):
        raise PermissionDenied
    with transaction.atomic():
        locked = ApiToken.objects.select_for_update().select_related("owner").get(pk=token.pk)
        if locked.revoked_at is not None:
            return locked
        locked.revoked_at = timezone.now()
        locked.save(update_fields=["revoked_at"])
        audit.record(actor=actor, action="api_token.revoked", obj=locked, changed_fields=["revoked_at"])
    return locked


def record_use(token: ApiToken, now: datetime.datetime) -> None:
    """Note that the token was used, at most once per ``LAST_USED_RESOLUTION``.

    The condition in the UPDATE keeps concurrent requests from writing the same minute twice.
    """
    if not last_use_is_stale(token.last_used_at, now):
        return
    ApiToken.objects.filter(pk=token.pk).filter(
        Q(last_used_at__isnull=True) | Q(last_used_at__lte=now - LAST_USED_RESOLUTION)
    ).update(last_used_at=now)
    token.last_used_at = now
