from __future__ import annotations

from django import template

from clinic.scheduling import selectors

register = template.Library()


@register.inclusion_tag("scheduling/includes/under_scheduled.html", takes_context=True)
def under_scheduled(context):
    return {"rows": selectors.under_scheduled(user=context["request"].user)[:30]}
