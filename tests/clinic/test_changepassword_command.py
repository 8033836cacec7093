"""``manage.py changepassword``: a clinic's staff member's password is set only by its owner, so
the command refuses them and points to the reset page; an account of no clinic (a superuser) is
changed with Django's prompts and validation, through the audited service."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command, get_commands
from django.core.management.base import CommandError

from clinic.models import AccountNotice, AuditEvent, User
from clinic.permissions import Role
from tests.factories import PASSWORD, UserFactory

NEW_PASSWORD = "a-new-and-long-passphrase-2026"


@pytest.fixture
def operator(db):
    return UserFactory(clinic=None, is_superuser=True, is_staff=True, email="ops@example.test")


def _typing(monkeypatch, *answers: str) -> list[str]:
    """The answers typed at the password prompts, in order; returns the prompts shown."""
    typed, prompts = list(answers), []

    def getpass(prompt="Password: "):
        prompts.append(prompt)
        return typed.pop(0)

    monkeypatch.setattr("getpass.getpass", getpass)
    return prompts


def _run(*args) -> tuple[str, str, str]:
    out, err = io.StringIO(), io.StringIO()
    result = call_command("changepassword", *args, stdout=out, stderr=err)
    return result, out.getvalue(), err.getvalue()


def test_the_clinics_command_replaces_djangos():
    assert get_commands()["changepassword"] == "clinic.staff_commands"


@pytest.mark.parametrize("role", [Role.CLINICIAN, Role.FRONT_DESK, Role.CLINIC_ADMIN])
def test_a_staff_member_of_a_clinic_is_refused_and_pointed_to_the_reset_link(clinic, monkeypatch, role):
    member = UserFactory(clinic=clinic, roles=[role], email="dana@example.test")
    prompts = _typing(monkeypatch, NEW_PASSWORD, NEW_PASSWORD)

    with pytest.raises(CommandError, match="only they set their password") as refused:
        _run("Dana@Example.test")

    assert "/accounts/password/reset/" in str(refused.value)
    assert prompts == []
    assert User.objects.get(pk=member.pk).check_password(PASSWORD)
    assert not AuditEvent.objects.exists()


def test_an_account_of_no_clinic_is_changed_through_the_audited_service(operator, monkeypatch):
    prompts = _typing(monkeypatch, NEW_PASSWORD, NEW_PASSWORD)

    result, out, _ = _run("OPS@example.test")

    assert prompts == ["Password: ", "Password (again): "]
    assert "Changing password for user" in out
    assert "Password changed successfully" in result
    assert User.objects.get(pk=operator.pk).check_password(NEW_PASSWORD)
    event = AuditEvent.objects.get()
    assert (event.action, event.actor_id, event.object_id, event.changed_fields) == (
        "staff.password_changed",
        operator.pk,
        operator.pk,
        ["password"],
    )
    assert AccountNotice.objects.get().recipient == operator.email


def test_djangos_prompts_and_validation_are_kept(operator, monkeypatch):
    _typing(monkeypatch, NEW_PASSWORD, "a-typo", "short", "short", NEW_PASSWORD, NEW_PASSWORD)

    _, out, err = _run("ops@example.test")

    assert "Passwords do not match" in out
    assert "too short" in err
    assert User.objects.get(pk=operator.pk).check_password(NEW_PASSWORD)


def test_three_bad_tries_change_nothing(operator, monkeypatch):
    _typing(monkeypatch, "short", "short", "a", "b", "123", "123")

    with pytest.raises(CommandError, match="after 3 attempts"):
        _run("ops@example.test")

    assert User.objects.get(pk=operator.pk).check_password(PASSWORD)
    assert not AuditEvent.objects.exists()


def test_an_unknown_account_is_named(db):
    with pytest.raises(CommandError, match="does not exist"):
        _run("nobody@example.test")
