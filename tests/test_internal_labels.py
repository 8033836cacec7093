"""The suite-wide guard against developers' labels in what users read (tests/internal_labels.py) works."""

from __future__ import annotations

import pytest
from django.core import mail
from django.template import Context, Template

from tests import internal_labels


@pytest.mark.parametrize(
    "text",
    ["Source: DOMAIN B7.4 (S135)", "DOMAIN.md is silent: clinic default", "Product decision (issue 3)", "see Issue 12"],
)
def test_a_rendered_template_with_an_internal_label_fails(text):
    with pytest.raises(internal_labels.InternalLabelShown):
        Template("<p>{{ text }}</p>").render(Context({"text": text}))


@pytest.mark.parametrize("text", ["Clinic default: no published value", "Domain of the e-mail", "3 issues to review"])
def test_ordinary_words_pass(text):
    assert text in Template("{{ text }}").render(Context({"text": text}))


def test_a_sent_message_with_an_internal_label_fails():
    mail.send_mail("Hello", "Threshold from DOMAIN A", None, ["someone@example.test"])
    with pytest.raises(internal_labels.InternalLabelShown):
        internal_labels.check_sent_messages()
    mail.outbox.clear()
