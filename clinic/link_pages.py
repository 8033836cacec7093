"""Opening a patient's link (intake, portal, reminder action) in a view: the friendly page
for a link that opens nothing, and a limit on bad links per client address (the address
behind the trusted proxies, ``clinic.client_address``, through ``RATELIMIT_IP_META_KEY``).

Only a bad link touches the limit's counter (in the cache): it is counted, and once the address
has used up its bad links every bad link from it is refused until the window ends. A link that
opens something costs no cache call. Its signature (HMAC-SHA256 with the secret key) cannot be
made by guessing, so refusing a genuine link to a limited address would stop no guesser. Text
message links (``ShortSignedLinks``) have a 30-bit signature that a guess can hit: for those
(``guessable``) a limited address gets no lookup at all, as the limit is checked first.
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
    guessable: bool = False,
):
    """(row, None) for the row the link opens, or (None, the page saying why it opens nothing).

    ``found`` looks the link up (a ``SignedLinks.find``); ``accept`` lists problems the view
    handles itself; ``guessable`` is for short links, whose address is checked before any
    lookup. The clinic's time zone is activated, so the page's dates are the clinic's.
    """
    if guessable:
        usage = _bad_links(request, group, count=False)
        if usage and usage["count"] >= usage["limit"]:
            return None, render(request, template, {"problem": "limited"}, status=429)
    row, problem = found()
    if problem == LinkProblem.INVALID:
        usage = _bad_links(request, group, count=True)
        if usage and usage["should_limit"]:
            return None, render(request, template, {"problem": "limited"}, status=429)
        return None, render(request, template, {"problem": problem}, status=404)
    clinic = clinic_of(row)
    timezone.activate(clinic.zone)
    if problem is not None and problem not in accept:
        return None, render(request, template, {"problem": problem, "clinic": clinic}, status=410)
    return row, None
