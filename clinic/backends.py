from __future__ import annotations

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Permission
from django.db.models import Q
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

    def get_all_permissions(self, user_obj, obj=None):
        """The permissions ``ModelBackend`` gives, the user's own and their roles', read in one
        query where it takes two on every page; cached on the user for the request as it does."""
        if not user_obj.is_active or user_obj.is_anonymous or obj is not None:
            return set()
        if not hasattr(user_obj, "_perm_cache"):
            rows = (
                Permission.objects.all()
                if user_obj.is_superuser
                else Permission.objects.filter(Q(user=user_obj) | Q(group__user=user_obj))
            )
            user_obj._perm_cache = {
                f"{app_label}.{codename}"
                for app_label, codename in rows.values_list("content_type__app_label", "codename").order_by()
            }
        return user_obj._perm_cache


def lockout_username(request: HttpRequest, credentials: dict | None) -> str | None:
    """The username django-axes counts failures against (``AXES_USERNAME_CALLABLE``): the
    address as sign-in looks it up, so ``User@x.test`` and `` user@x.test`` share one count."""
    source = credentials if credentials is not None else request.POST
    username = source.get(settings.AXES_USERNAME_FORM_FIELD)
    return canonical_email(username) if isinstance(username, str) else None
