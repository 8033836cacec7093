"""The clinic's wording, moved from scheduling to the outbox: who may change it is who could
before. That the move kept its rows, its content type and the permissions granted on it,
forwards and back, is checked on the trip back through the outbox migrations that
``test_owed_migration`` makes."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group

from clinic.outbox.models import MessageWording
from clinic.permissions import Role
from tests.factories import UserFactory

ACTIONS = ("add", "change", "delete", "view")


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
