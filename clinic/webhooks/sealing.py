"""Webhook signing secrets at rest. An HMAC key cannot be kept as a hash (signing needs it),
so it is sealed with Fernet (AES-128-CBC with an HMAC-SHA256, from the cryptography library)
under the keys in ``WEBHOOK_SECRET_KEYS``: the first seals, any of them opens, so a key can be
replaced by putting the new one first and dropping the old one once the endpoints' secrets
have been rotated. Without that setting, one key is derived from ``SECRET_KEY``; changing
``SECRET_KEY`` then leaves the stored secrets unreadable, and each endpoint needs a new one.
A copy of the database alone no longer lets anyone sign events as Stride.
"""

from __future__ import annotations

import base64
import functools

from django.conf import settings

# The cryptography library (some 7 MiB in each process) is imported below, when a secret is
# first sealed or opened, not by every process that loads the models.

# Every Fernet token starts so (version byte 0x80, then a timestamp): the database checks it.
SEALED_PREFIX = "gAAAAA"


class UnreadableSecret(Exception):
    """The sealed secret opens under none of the configured keys."""


def derived_key(secret_key: str) -> str:
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.kdf.hkdf import HKDF

    digest = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"stride webhook secrets").derive(
        secret_key.encode()
    )
    return base64.urlsafe_b64encode(digest).decode()


def _box():
    return _box_of(tuple(settings.WEBHOOK_SECRET_KEYS), settings.SECRET_KEY)


@functools.lru_cache(maxsize=4)
def _box_of(keys: tuple[str, ...], secret_key: str):
    from cryptography.fernet import Fernet, MultiFernet

    # Made once per configuration, not for every secret a list page or a delivery opens.
    return MultiFernet([Fernet(key) for key in keys or (derived_key(secret_key),)])


def seal(secret: str) -> str:
    return _box().encrypt(secret.encode()).decode() if secret else ""


def unseal(sealed: str) -> str:
    if not sealed:
        return ""
    from cryptography.fernet import InvalidToken

    try:
        return _box().decrypt(sealed.encode()).decode()
    except InvalidToken as error:
        raise UnreadableSecret("The webhook secret opens under none of WEBHOOK_SECRET_KEYS.") from error
