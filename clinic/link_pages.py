"""Opening a patient's link (intake, portal, reminder action) in a view: the friendly page
for a link that opens nothing, and a limit on bad links per client address (the address
behind the trusted proxies, ``clinic.client_address``, through ``RATELIMIT_IP_META_KEY``).

Once an address has used up its bad links, no link is even looked up from it until the
window ends, so tokens cannot be guessed at speed.
"""

from __future__ import annotations

from collections.abc import Callable, Collection

from django.conf import settings
from django.http import HttpRequest
from django.shortcuts import render
from django.utils import timezone
from django_ratelimit.core import get_usage

from clinic.signed_links import LinkProblem


def _bad_links(request: HttpRequest, group: str, *, count: bool) -> dict:
    return get_usage(request, group=group, key="ip", rate=settings.RATELIMIT_BAD_INTAKE_LINKS, increment=count)


def open_link(
    request: HttpRequest,
    found: Callable[[], tuple],
    *,
    group: str,
    template: str,
    clinic_of: Callable,
    accept: Collection[LinkProblem] = (),
):
    """(row, None) for the row the link opens, or (None, the page saying why it opens nothing).

    ``found`` looks the link up (a ``SignedLinks.find``); ``accept`` lists problems the view
    handles itself. The clinic's time zone is activated, so the page's dates are the clinic's.
    """
    usage = _bad_links(request, group, count=False)
    if usage and usage["count"] >= usage["limit"]:
        return None, render(request, template, {"problem": "limited"}, status=429)
    row, problem = found()
    if problem == LinkProblem.INVALID:
        _bad_links(request, group, count=True)
        return None, render(request, template, {"problem": problem}, status=404)
    clinic = clinic_of(row)
    timezone.activate(clinic.zone)
    if problem is not None and problem not in accept:
        return None, render(request, template, {"problem": problem, "clinic": clinic}, status=410)
    return row, None
