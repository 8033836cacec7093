"""The Django admin names every model in good English: no "Working hourss" or "Webhook deliverys"."""

from __future__ import annotations

from django.contrib import admin


def _needs_own_plural(singular: str) -> bool:
    # English adds "es" after s/x/ch/sh, and "ies" after a consonant and y; Django only adds "s".
    return singular.endswith(("s", "x", "ch", "sh")) or (singular.endswith("y") and singular[-2:-1] not in "aeiou")


def test_every_admin_model_has_a_proper_plural():
    wrong = [
        str(model._meta.verbose_name_plural)
        for model in admin.site._registry
        if _needs_own_plural(str(model._meta.verbose_name))
        and str(model._meta.verbose_name_plural) == f"{model._meta.verbose_name}s"
    ]
    assert wrong == []
