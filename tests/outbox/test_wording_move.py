"""The clinic's wording moved from scheduling to the outbox without moving its rows: the
rows, the content type and the permissions granted on it are the same ones, forwards and back,
and who may change the wording is who could before."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from clinic.outbox.models import MessageWording
from clinic.permissions import Role
from clinic.services import sync_role_groups
from tests.factories import ClinicFactory, UserFactory

BEFORE = [("outbox", "0004_owed_intake_links"), ("scheduling", "0017_wording_for_intake_links")]
AFTER = [("outbox", "0005_message_wording"), ("scheduling", "0018_wording_moves_to_outbox")]
ACTIONS = ("add", "change", "delete", "view")


def _migrate(target):
    MigrationExecutor(connection).migrate(target)
    ContentType.objects.clear_cache()
    return MigrationExecutor(connection).loader.project_state(target).apps


def _grants(apps, app_label: str, model: str) -> dict[str, set[str]]:
    """Codename -> who holds it (role groups by name, people by e-mail)."""
    permissions = apps.get_model("auth", "Permission").objects.filter(
        content_type__app_label=app_label, content_type__model=model
    )
    return {
        permission.codename: {group.name for group in permission.group_set.all()}
        | {user.email for user in permission.user_set.all()}
        for permission in permissions
    }


@pytest.mark.django_db(transaction=True)
def test_rows_content_type_and_granted_permissions_move_with_the_wording():
    sync_role_groups()
    clinic = ClinicFactory()
    person = UserFactory(clinic=clinic, email="wording.editor@example.test")
    try:
        old = _migrate(BEFORE)
        content_type = old.get_model("contenttypes", "ContentType").objects.get(
            app_label="scheduling", model="remindertemplate"
        )
        row = old.get_model("scheduling", "ReminderTemplate").objects.create(
            clinic_id=clinic.pk, kind="check_in", subject="Ours", body="Our body", sms_body="Our text"
        )
        change = old.get_model("auth", "Permission").objects.get(
            content_type=content_type, codename="change_remindertemplate"
        )
        old.get_model("clinic", "User").objects.get(pk=person.pk).user_permissions.add(change)
        before = _grants(old, "scheduling", "remindertemplate")
        assert before["change_remindertemplate"] == {Role.CLINIC_ADMIN.value, person.email}

        new = _migrate(AFTER)
        moved = new.get_model("contenttypes", "ContentType").objects.get(app_label="outbox", model="messagewording")
        assert moved.pk == content_type.pk
        assert not new.get_model("contenttypes", "ContentType").objects.filter(model="remindertemplate").exists()
        assert _grants(new, "outbox", "messagewording") == {
            codename.replace("remindertemplate", "messagewording"): holders for codename, holders in before.items()
        }
        assert {p.name for p in Permission.objects.filter(content_type_id=moved.pk)} == {
            f"Can {action} message wording" for action in ACTIONS
        }
        assert MessageWording.objects.get(pk=row.pk).subject == "Ours"

        back = _migrate(BEFORE)
        assert back.get_model("contenttypes", "ContentType").objects.get(pk=content_type.pk).app_label == "scheduling"
        assert _grants(back, "scheduling", "remindertemplate") == before
        assert back.get_model("scheduling", "ReminderTemplate").objects.get(pk=row.pk).subject == "Ours"
    finally:
        _migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())


@pytest.mark.parametrize(
    ("role", "may_change"), [(Role.CLINIC_ADMIN, True), (Role.FRONT_DESK, False), (Role.CLINICIAN, False)]
)
def test_only_the_clinic_admin_holds_the_wording_permissions(db, clinic, role, may_change):
    user = UserFactory(clinic=clinic, roles=[role])
    codes = [f"outbox.{action}_messagewording" for action in ACTIONS]
    assert [user.has_perm(code) for code in codes] == [may_change] * len(codes)
    held = Group.objects.get(name=role.value).permissions.filter(content_type__model="messagewording")
    assert sorted(held.values_list("codename", flat=True)) == (
        sorted(f"{action}_messagewording" for action in ACTIONS) if may_change else []
    )


def test_the_clinic_admin_changes_and_deletes_wording_in_the_django_admin(client, clinic_admin, clinic):
    wording = MessageWording.objects.create(clinic=clinic, kind="check_in", subject="s", body="b", sms_body="t")
    client.force_login(clinic_admin)
    page = f"/admin/outbox/messagewording/{wording.pk}/change/"
    fields = {"clinic": clinic.pk, "kind": "check_in", "subject": "New", "body": "b", "sms_body": "t"}
    answer = client.post(page, fields)
    assert answer.status_code == 302
    wording.refresh_from_db()
    assert wording.subject == "New"
    assert client.post(f"/admin/outbox/messagewording/{wording.pk}/delete/", {"post": "yes"}).status_code == 302
    assert not MessageWording.objects.exists()


@pytest.mark.parametrize("role", [Role.FRONT_DESK, Role.CLINICIAN])
def test_other_roles_may_not_open_the_wording_in_the_django_admin(client, clinic, role):
    wording = MessageWording.objects.create(clinic=clinic, kind="check_in", subject="s", body="b", sms_body="t")
    client.force_login(UserFactory(clinic=clinic, roles=[role], is_staff=True))
    assert client.get("/admin/outbox/messagewording/").status_code == 403
    assert client.get(f"/admin/outbox/messagewording/{wording.pk}/change/").status_code == 403
