from __future__ import annotations

from django import forms

from clinic import text_input
from clinic.two_factor import rules


def _code_widget(*, numeric: bool) -> forms.TextInput:
    attrs = {"autocomplete": "one-time-code", "autocapitalize": "none", "spellcheck": "false", "autofocus": True}
    if numeric:
        # A phone shows its number pad; the pattern lets the browser say "digits only" early.
        attrs.update(inputmode="numeric", pattern=r"[0-9 ]*")
    return forms.TextInput(attrs=attrs)


class AppCodeForm(text_input.Form):
    """A code from the authenticator app (a recovery code is accepted too where the view allows)."""

    code = forms.CharField(
        label="Code from your authenticator app",
        max_length=20,
        help_text="The 6 digits your app shows now for this account. A new code appears every 30 seconds.",
        widget=_code_widget(numeric=True),
        error_messages={"required": "Enter the 6-digit code from your authenticator app."},
    )

    def clean_code(self) -> str:
        code = rules.clean_code(self.cleaned_data["code"])
        if not rules.is_app_code(code):
            raise forms.ValidationError("Enter the 6 digits your authenticator app shows, such as 123456.")
        return code


class RecoveryCodeForm(text_input.Form):
    code = forms.CharField(
        label="Recovery code",
        max_length=20,
        help_text="One of the codes you printed or saved when you set up two-factor sign-in, such as "
        "“abcd 2345”. Each code works once.",
        widget=_code_widget(numeric=False),
        error_messages={"required": "Enter one of your recovery codes."},
    )

    def clean_code(self) -> str:
        return rules.clean_code(self.cleaned_data["code"])


class ConfirmItIsYouForm(text_input.Form):
    """Before a change to the second factor, a signed-in person enters a current code."""

    code = forms.CharField(
        label="Code from your authenticator app, or a recovery code",
        max_length=20,
        help_text="To confirm it is you. No phone to hand? One of your recovery codes works too (and is used up).",
        widget=_code_widget(numeric=False),
        error_messages={"required": "Enter a code from your authenticator app, or a recovery code."},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Two of these forms share the account page: only the one submitted takes the focus.
        self.fields["code"].widget.attrs.pop("autofocus", None)

    def clean_code(self) -> str:
        return rules.clean_code(self.cleaned_data["code"])
