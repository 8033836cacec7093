"""Developers' reference labels never reach a reader: every template the suite renders (pages, the Django
admin, the browsable API, handouts' HTML before it becomes a PDF, text messages) and every e-mail and text
message it sends is checked for DOMAIN.md section labels, issue numbers and "product decision" notes.

Installed for the whole suite by ``tests/conftest.py``: a test that shows such a label fails there.
"""

from __future__ import annotations

import re

from django.core import mail
from django.template import base

from clinic import messaging

INTERNAL_LABEL = re.compile(r"\bDOMAIN\b|\b[Ii]ssue \d+|\bProduct decision\b|DOMAIN\.md")


class InternalLabelShown(AssertionError):
    pass


def check(text: str, where: str) -> None:
    if match := INTERNAL_LABEL.search(text):
        start = max(match.start() - 60, 0)
        raise InternalLabelShown(f"{where} shows {match.group(0)!r}: …{text[start : match.end() + 60]}…")


def install() -> None:
    """Check the output of every template rendered from now on."""
    render = base.Template.render
    if getattr(render, "checks_internal_labels", False):
        return

    def checked_render(self, context):
        output = render(self, context)
        check(str(output), f"The template {self.origin.template_name or self.origin.name}")
        return output

    checked_render.checks_internal_labels = True
    base.Template.render = checked_render


def check_sent_messages() -> None:
    for message in mail.outbox:
        check(f"{message.subject}\n{message.body}", f"The e-mail {message.subject!r}")
        for content, _mimetype in getattr(message, "alternatives", []):
            check(str(content), f"The e-mail {message.subject!r} (HTML)")
    for message in messaging.outbox:
        check(message["body"], "A text message")
