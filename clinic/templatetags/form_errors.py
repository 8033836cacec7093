"""How many problems a form's error summary lists: every message, not every field with one
(a field or the form as a whole may have several)."""

from __future__ import annotations

from django import template

register = template.Library()


@register.filter
def error_count(form) -> int:
    errors = form.errors
    # A form's errors are by field; a formset's, a list of its forms' error dicts.
    groups = errors.values() if hasattr(errors, "values") else errors
    return sum(len(messages) for messages in groups)
