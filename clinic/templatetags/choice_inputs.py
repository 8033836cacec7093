"""The radio buttons and check boxes of a field, built in Python.

``{{ choice|choice_input }}`` is the ``<input>`` of one option, the same markup as
``{{ choice.tag }}`` (Django's ``input.html`` and ``attrs.html``); ``{{ field|choice_labels }}``
is every option of a field, each input in its label, as ``includes/field.html`` shows them.
Through the templates each option is a template render of its own and a loop step of several
lookups; the intake's pain scales and body regions have some eighty on one page, and rendering
them was most of its time. A widget with templates of its own still goes through them.
"""

from __future__ import annotations

import html

from django import template
from django.forms.boundfield import BoundField, BoundWidget
from django.utils.safestring import SafeString, mark_safe

register = template.Library()

# Django's own option templates: both are input.html with the option's attributes.
PLAIN_OPTIONS = {"django/forms/widgets/radio_option.html", "django/forms/widgets/checkbox_option.html"}


def _escaped(value) -> str:
    """As ``{{ value }}`` and ``{{ value|stringformat:'s' }}`` write it: a safe string as it is."""
    return value.__html__() if hasattr(value, "__html__") else html.escape(str(value))


@register.filter
def choice_input(choice: BoundWidget) -> SafeString:
    if choice.template_name not in PLAIN_OPTIONS:
        return choice.tag()
    data = choice.data
    # format_html is the usual tool, but at this count its lazy-string checks are most of the cost.
    parts = [f'<input type="{_escaped(data["type"])}" name="{_escaped(data["name"])}"']
    if data["value"] is not None:
        parts.append(f' value="{_escaped(data["value"])}"')
    for name, value in data["attrs"].items():
        if value is True:
            parts.append(f" {_escaped(name)}")
        elif value is not False:
            parts.append(f' {_escaped(name)}="{_escaped(value)}"')
    parts.append(">")
    return mark_safe("".join(parts))  # noqa: S308 - every value escaped above


@register.filter
def choice_labels(field: BoundField) -> SafeString:
    """``<label class="choice" for="{id}">{input} {label}</label>`` for every option, in order."""
    return mark_safe(  # noqa: S308 - every value escaped
        "".join(
            f'<label class="choice" for="{_escaped(choice.id_for_label)}">{choice_input(choice)} '
            f"{_escaped(choice.choice_label)}</label>"
            for choice in field
        )
    )
