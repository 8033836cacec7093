"""The front desk's list of messages to patients that could not be sent."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from clinic import audit, permissions
from clinic.outbox import selectors


@login_required
def failed_messages(request: HttpRequest) -> HttpResponse:
    if not permissions.can_view_failed_messages(request.user):
        raise PermissionDenied
    page = selectors.failed_messages(user=request.user, page_number=request.GET.get("page"))
    audit.record_shown(
        actor=request.user, action=audit.Read.FAILED_MESSAGES_VIEWED, patients=[row.patient for row in page]
    )
    return render(request, "outbox/failed.html", {"page": page})
