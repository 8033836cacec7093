"""Which characters typed text may hold, checked wherever the app accepts text.

The rule: no control character (Unicode category Cc: U+0000-U+001F, U+007F and the C1 controls
U+0080-U+009F) and no lone surrogate (U+D800-U+DFFF, which JSON's ``\\ud800`` escape can carry
and no encoder can write). Tab, line feed and carriage return are allowed where text may span
lines (a ``Textarea``, a DRF field styled as one, free text inside JSON). PostgreSQL refuses NUL
in text and jsonb, and no encoder writes a lone surrogate, so both would end in a 500; the
other controls are invisible, and in a log or a terminal some of them are commands. C1 controls
are refused too: nobody types them, and where they appear they are text decoded in the wrong
character set. Format characters (zero-width joiner, direction marks) are allowed: emoji and
right-to-left names need them.

Where the rule applies, each refusal is a message on the field, the rest of the input kept
(``refuse_in`` for the few services that take text no form has checked):
- Django forms: every form of the app derives from ``Form`` or ``ModelForm`` here (the Django
  admin's from ``RefuseControlCharacters`` through ``ClinicScopedAdmin``); the check is added to
  every field, those made in ``__init__`` included, before the form cleans.
- DRF: every serializer derives from ``Serializer`` or ``ModelSerializer`` here; the parsers in
  ``PARSER_CLASSES`` check every key and value of a request's body, however deeply nested, so
  views that read ``request.data`` themselves are covered too.
``tests/clinic/test_control_characters.py`` walks every form and serializer class and fails on
one that accepts a control character.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import ProhibitNullCharactersValidator
from django.utils.deconstruct import deconstructible
from rest_framework import exceptions, parsers, serializers

# Lone surrogates are matched as code points: a Python str holding one came from a JSON escape.
_FORBIDDEN_IN_LINE = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff]")
_FORBIDDEN_IN_TEXT = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")
CODE = "control_character"


def forbidden_character(text: str, *, multiline: bool) -> str | None:
    """The first character ``text`` may not hold, or None."""
    found = (_FORBIDDEN_IN_TEXT if multiline else _FORBIDDEN_IN_LINE).search(text)
    return found.group(0) if found else None


def message_for(character: str) -> str:
    if character in "\t\n\r":
        return "Keep this to one line: remove the line break or tab."
    return (
        f"This text holds an invisible control character (U+{ord(character):04X}) that cannot be saved. "
        "Delete it (retyping the text removes it) and try again."
    )


def _strings(value, path: tuple = ()) -> Iterator[tuple[tuple, str, bool]]:
    """Every string in a value decoded from JSON or a form: (path, text, is a key)."""
    if isinstance(value, str):
        yield path, value, False
    elif isinstance(value, dict):
        for key, item in value.items():
            if isinstance(key, str):
                yield (*path, key), key, True
            yield from _strings(item, (*path, key))
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            yield from _strings(item, (*path, index))
    elif isinstance(value, set | frozenset):
        for item in value:
            yield from _strings(item, path)


def problems(value, *, multiline: bool) -> list[tuple[tuple, str]]:
    """(where, message) for each string in ``value`` that breaks the rule; a name (a key)
    always keeps to one line."""
    found = []
    for path, text, is_key in _strings(value):
        character = forbidden_character(text, multiline=multiline and not is_key)
        if character is not None:
            found.append((path, message_for(character)))
    return found


def without_control_characters(value):
    """``value`` with the forbidden characters taken out of every string, keys included (line
    breaks and tabs kept): for what is kept although it did not validate, such as a draft."""
    if isinstance(value, str):
        return _FORBIDDEN_IN_TEXT.sub("", value)
    if isinstance(value, dict):
        return {without_control_characters(key): without_control_characters(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [without_control_characters(item) for item in value]
    return value


def refuse_in(text: str, *, field: str, multiline: bool = False) -> None:
    """For a service given text that no form checked: the refusal as a Django validation error
    on ``field``."""
    character = forbidden_character(text, multiline=multiline)
    if character is not None:
        raise ValidationError({field: ValidationError(message_for(character), code=CODE)})


@deconstructible
class ControlCharacterValidator:
    """Refuses a string (or the strings in a list or a mapping) that breaks the rule."""

    def __init__(self, *, multiline: bool = False) -> None:
        self.multiline = multiline

    def __call__(self, value) -> None:
        found = problems(value, multiline=self.multiline)
        if found:
            raise ValidationError(found[0][1], code=CODE)

    def __eq__(self, other) -> bool:
        return isinstance(other, ControlCharacterValidator) and other.multiline == self.multiline


# --- Django forms --------------------------------------------------------------------------


def guard_form_field(field: forms.Field) -> None:
    """Give a form field the check (once), unless what it takes is not kept as text."""
    # A password is never shown or stored as text, only hashed: what it holds is the user's own.
    if isinstance(field, forms.BooleanField | forms.FileField) or isinstance(field.widget, forms.PasswordInput):
        return
    if any(isinstance(validator, ControlCharacterValidator) for validator in field.validators):
        return
    # Django's own NUL check would say the same thing a second time, without naming the character.
    field.validators = [
        *(validator for validator in field.validators if not isinstance(validator, ProhibitNullCharactersValidator)),
        ControlCharacterValidator(multiline=isinstance(field.widget, forms.Textarea)),
    ]


class RefuseControlCharacters:
    """For a Django form: every field refuses control characters. Added when the form cleans,
    so a field that a form's ``__init__`` adds is covered too."""

    def full_clean(self):
        for field in self.fields.values():
            guard_form_field(field)
        super().full_clean()


class Form(RefuseControlCharacters, forms.Form):
    pass


class ModelForm(RefuseControlCharacters, forms.ModelForm):
    pass


class AdminFields:
    """For a ModelAdmin or an inline: every form field made from a model field gets the check."""

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        field = super().formfield_for_dbfield(db_field, request, **kwargs)
        if field is not None:
            guard_form_field(field)
        return field


# --- DRF -----------------------------------------------------------------------------------


def _multiline(field: serializers.Field) -> bool:
    # Free text inside JSON may span lines; a key never may (``problems`` sees to that).
    return isinstance(field, serializers.JSONField) or field.style.get("base_template") == "textarea.html"


def _guard_serializer_field(field: serializers.Field) -> None:
    if isinstance(field, serializers.BaseSerializer) or field.read_only:
        return
    if isinstance(field, serializers.ListField | serializers.DictField):
        _guard_serializer_field(field.child)
    if any(isinstance(validator, ControlCharacterValidator) for validator in field.validators):
        return
    if isinstance(field, serializers.CharField | serializers.JSONField | serializers.ChoiceField):
        field.validators = [*field.validators, ControlCharacterValidator(multiline=_multiline(field))]


class RefuseControlCharactersInFields:
    """For a DRF serializer: every text field refuses control characters."""

    def get_fields(self):
        fields = super().get_fields()
        for field in fields.values():
            _guard_serializer_field(field)
        return fields


class Serializer(RefuseControlCharactersInFields, serializers.Serializer):
    pass


class ModelSerializer(RefuseControlCharactersInFields, serializers.ModelSerializer):
    pass


def _nested(path: tuple, message: str) -> dict | list:
    if not path:
        return [message]
    return {str(path[0]): _nested(path[1:], message)}


def _merge(into: dict, errors: dict) -> dict:
    for key, value in errors.items():
        if isinstance(value, dict) and isinstance(into.get(key), dict):
            _merge(into[key], value)
        else:
            into.setdefault(key, value)
    return into


def refuse_in_body(data) -> None:
    """A 400 naming where each offending key or value is, in the API's field-messages shape."""
    found = problems(data, multiline=True)
    if not found:
        return
    errors: dict = {}
    for path, message in found:
        _merge(errors, _nested(path, message) if path else {"detail": [message]})
    raise exceptions.ValidationError(errors)


class JSONParser(parsers.JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        data = super().parse(stream, media_type, parser_context)
        refuse_in_body(data)
        return data


def _form_values(data) -> dict:
    return {key: values[0] if len(values) == 1 else values for key, values in data.lists()}


class FormParser(parsers.FormParser):
    def parse(self, stream, media_type=None, parser_context=None):
        data = super().parse(stream, media_type, parser_context)
        refuse_in_body(_form_values(data))
        return data


class MultiPartParser(parsers.MultiPartParser):
    def parse(self, stream, media_type=None, parser_context=None):
        parsed = super().parse(stream, media_type, parser_context)
        refuse_in_body(_form_values(parsed.data))
        return parsed
