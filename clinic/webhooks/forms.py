from __future__ import annotations

from django import forms

from clinic import text_input
from clinic.webhooks import rules


class EndpointForm(text_input.Form):
    url = forms.CharField(
        label="Address",
        max_length=rules.URL_MAX_LENGTH,
        widget=forms.TextInput(attrs={"inputmode": "url", "autocomplete": "off", "spellcheck": "false"}),
        help_text="Where Stride sends the events, such as https://example.com/stride-hooks. It must use https.",
    )
    description = forms.CharField(
        label="Description",
        max_length=100,
        required=False,
        help_text="What receives the events, such as “billing system”.",
    )
    event_types = forms.MultipleChoiceField(
        label="Events",
        choices=[(event.value, rules.EVENT_LABELS[event]) for event in rules.EventType],
        widget=forms.CheckboxSelectMultiple,
        help_text="Each event carries record ids only; the receiver reads the records through the API.",
        error_messages={"required": "Choose at least one event."},
    )
