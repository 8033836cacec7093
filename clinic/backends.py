from __future__ import annotations

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.http import HttpRequest

from clinic.models import canonical_email


class StaffBackend(ModelBackend):
    """The standard backend, loading the user's clinic with the user on every request.

    Sign-in looks the address up through ``UserManager.get_by_natural_key``, which folds it
    with ``canonical_email``; ``lockout_username`` folds it the same way for django-axes.
    """

    def get_user(self, user_id):
        user = get_user_model()._default_manager.select_related("clinic").filter(pk=user_id).first()
        return user if user is not None and self.user_can_authenticate(user) else None


def lockout_username(request: HttpRequest, credentials: dict | None) -> str | None:
    """The username django-axes counts failures against (``AXES_USERNAME_CALLABLE``): the
    address as sign-in looks it up, so ``User@x.test`` and `` user@x.test`` share one count."""
    source = credentials if credentials is not None else request.POST
    username = source.get(settings.AXES_USERNAME_FORM_FIELD)
    return canonical_email(username) if isinstance(username, str) else None
