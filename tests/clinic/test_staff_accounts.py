"""Staff accounts: nobody gives themselves a role, only its owner sets a staff password, and every
change of roles, e-mail address or password, from any page (the staff pages, the Django admin,
the password pages), goes through the audited service and is e-mailed to the account holder."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import Group
from django.core import mail
from django.core.exceptions import ValidationError
from django.test import Client

from clinic import account_notices, rules, services, tasks
from clinic.models import AccountNotice, AuditEvent, User
from clinic.permissions import Role, roles_of
from tests.factories import PASSWORD, UserFactory

NEW_PASSWORD = "a-new-and-long-passphrase-2026"
ADMIN, CLINICIAN, FRONT_DESK = Role.CLINIC_ADMIN, Role.CLINICIAN, Role.FRONT_DESK


@pytest.fixture
def admin(clinic):
    return UserFactory(clinic=clinic, roles=[ADMIN], full_name="Ada Admin", email="ada@example.test")


@pytest.fixture
def second_admin(clinic):
    return UserFactory(clinic=clinic, roles=[ADMIN], full_name="Bea Boss")


@pytest.fixture
def colleague(clinic):
    return UserFactory(clinic=clinic, roles=[FRONT_DESK], full_name="Cal Desk", email="cal@example.test")


def _as(client, user):
    client.force_login(user)
    return client


def _reload(user: User) -> User:
    return User.objects.get(pk=user.pk)


def _staff_page_form(user: User, roles, **changes) -> dict:
    return {"full_name": user.full_name, "roles": [Role(r).value for r in roles], "is_active": "on", **changes}


def _admin_form(user: User, roles, **changes) -> dict:
    return {
        "email": user.email,
        "full_name": user.full_name,
        "is_active": "on",
        "roles": [Role(r).value for r in roles],
        **changes,
    }


# --- The rule ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("before", "after", "active", "refused"),
    [
        ({ADMIN}, {ADMIN, CLINICIAN}, True, "give yourself a role"),
        ({ADMIN}, {ADMIN, FRONT_DESK}, True, "give yourself a role"),
        ({CLINICIAN}, {CLINICIAN, ADMIN}, True, "give yourself a role"),
        ({ADMIN}, {CLINICIAN}, True, "give yourself a role"),
        ({ADMIN}, {FRONT_DESK, ADMIN}, False, "give yourself a role"),
        ({ADMIN, CLINICIAN}, {ADMIN}, True, None),
        ({ADMIN}, {ADMIN}, True, None),
        ({ADMIN}, {ADMIN}, False, "deactivate yourself"),
        ({ADMIN, FRONT_DESK}, {FRONT_DESK}, True, "remove your own admin role"),
        (set(), set(), True, None),
    ],
)
def test_own_account_change_problem(before, after, active, refused):
    problem = rules.own_account_change_problem(
        roles_before=before, roles_after=after, stays_active=active, admin_role=ADMIN
    )
    assert (problem is None) if refused is None else (refused in problem)


def test_the_service_refuses_a_role_to_oneself(admin):
    with pytest.raises(ValidationError, match="give yourself a role"):
        services.staff_update(actor=admin, staff=admin, full_name="Ada Admin", roles=[ADMIN, CLINICIAN], is_active=True)
    assert roles_of(_reload(admin)) == {ADMIN}
    assert not AuditEvent.objects.exists()


# --- The staff page ------------------------------------------------------------------------------


def test_an_admin_cannot_give_themselves_the_clinician_role_on_the_staff_page(client, admin, patient):
    response = _as(client, admin).post(f"/staff/{admin.pk}/", _staff_page_form(admin, [ADMIN, CLINICIAN]))
    assert response.status_code == 200
    assert "You cannot give yourself a role" in response.content.decode()
    assert roles_of(_reload(admin)) == {ADMIN}
    assert not _reload(admin).has_perm("clinic.view_clinical_record")
    assert not AuditEvent.objects.filter(action="staff.updated").exists()


def test_another_admin_grants_it_audited_with_the_old_and_new_roles_and_the_holder_is_told(
    client, admin, second_admin, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = _as(client, second_admin).post(f"/staff/{admin.pk}/", _staff_page_form(admin, [ADMIN, CLINICIAN]))
    assert response.status_code == 302
    assert roles_of(_reload(admin)) == {ADMIN, CLINICIAN}

    event = AuditEvent.objects.get(action="staff.updated")
    assert (event.actor_id, event.object_id, event.clinic_id) == (second_admin.pk, admin.pk, admin.clinic_id)
    assert event.changed_fields == ["roles"]
    assert event.role_change == {"old": ["Clinic admin"], "new": ["Clinic admin", "Clinician"]}
    assert event.ip_address == "127.0.0.1"

    (message,) = mail.outbox
    assert message.to == [admin.email]
    assert "Your roles were changed from Clinic admin to Clinic admin, Clinician." in message.body
    assert "Bea Boss" in message.body
    assert admin.clinic.name in message.subject


def test_an_unchanged_staff_form_records_nothing_and_tells_nobody(client, admin, colleague):
    response = _as(client, admin).post(f"/staff/{colleague.pk}/", _staff_page_form(colleague, [FRONT_DESK]))
    assert response.status_code == 302
    assert not AuditEvent.objects.exists()
    assert not AccountNotice.objects.exists()


# --- The Django admin ----------------------------------------------------------------------------


def test_the_admin_cannot_give_themselves_a_role_in_the_django_admin(client, admin):
    response = _as(client, admin).post(f"/admin/clinic/user/{admin.pk}/change/", _admin_form(admin, [ADMIN, CLINICIAN]))
    assert response.status_code == 200
    assert "You cannot give yourself a role" in response.content.decode()
    assert roles_of(_reload(admin)) == {ADMIN}
    assert not AuditEvent.objects.exists()


def test_a_role_change_in_the_django_admin_goes_through_the_audited_service(
    client, admin, colleague, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = _as(client, admin).post(
            f"/admin/clinic/user/{colleague.pk}/change/", _admin_form(colleague, [FRONT_DESK, CLINICIAN])
        )
    assert response.status_code == 302
    assert roles_of(_reload(colleague)) == {FRONT_DESK, CLINICIAN}
    event = AuditEvent.objects.get(action="staff.updated")
    assert (event.actor_id, event.changed_fields) == (admin.pk, ["roles"])
    assert event.role_change == {"old": ["Front desk"], "new": ["Clinician", "Front desk"]}
    assert [message.to for message in mail.outbox] == [[colleague.email]]


def test_an_email_change_in_the_django_admin_is_audited_and_tells_the_old_address(
    client, admin, colleague, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = _as(client, admin).post(
            f"/admin/clinic/user/{colleague.pk}/change/",
            _admin_form(colleague, [FRONT_DESK], email=" Cal.New@Example.TEST "),
        )
    assert response.status_code == 302
    assert _reload(colleague).email == "cal.new@example.test"
    event = AuditEvent.objects.get(action="staff.updated")
    assert (event.changed_fields, event.role_change) == (["email"], None)
    assert "cal" not in str(AuditEvent.objects.filter(pk=event.pk).values().get())

    by_address = {message.to[0]: message.body for message in mail.outbox}
    assert set(by_address) == {"cal@example.test", "cal.new@example.test"}
    assert "this address no longer signs in" in by_address["cal@example.test"]
    assert "This address is now the e-mail address you sign in with" in by_address["cal.new@example.test"]


def test_the_django_admin_has_no_route_to_set_someone_elses_password(client, admin, clinician):
    client = _as(client, admin)
    for method in ("get", "post"):
        response = getattr(client, method)(
            f"/admin/clinic/user/{clinician.pk}/password/",
            {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD, "usable_password": "true"},
            follow=True,
        )
        assert 'name="password1"' not in response.content.decode()
    assert _reload(clinician).check_password(PASSWORD)
    signed_in = Client().post("/accounts/login/", {"username": clinician.email, "password": NEW_PASSWORD})
    assert signed_in.status_code == 200


def test_the_django_admin_change_page_shows_no_password_and_ignores_fields_it_does_not_offer(
    client, admin, colleague, other_clinic
):
    client = _as(client, admin)
    page = client.get(f"/admin/clinic/user/{colleague.pk}/change/").content.decode()
    for name in ("password", "is_superuser", "is_staff", "groups", "user_permissions"):
        assert f'name="{name}"' not in page, name
    assert "/password/" not in page
    assert 'name="clinic"' not in page

    response = client.post(
        f"/admin/clinic/user/{colleague.pk}/change/",
        _admin_form(
            colleague,
            [FRONT_DESK],
            password="pbkdf2_sha256$1$salt$forged",
            is_superuser="on",
            is_staff="on",
            clinic=str(other_clinic.pk),
            groups=[str(Group.objects.get(name=CLINICIAN.value).pk)],
        ),
    )
    assert response.status_code == 302
    saved = _reload(colleague)
    assert (saved.is_superuser, saved.is_staff, saved.clinic_id) == (False, False, colleague.clinic_id)
    assert roles_of(saved) == {FRONT_DESK}
    assert saved.check_password(PASSWORD)


def test_the_django_admin_add_page_takes_no_password_and_sends_the_invitation(
    client, admin, clinic, django_capture_on_commit_callbacks
):
    client = _as(client, admin)
    page = client.get("/admin/clinic/user/add/").content.decode()
    assert 'name="password1"' not in page
    assert 'name="clinic"' not in page
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/admin/clinic/user/add/",
            {"email": "New.Physio@Example.test", "full_name": "Nia Physio", "roles": ["Clinician"], "password1": "x"},
        )
    assert response.status_code == 302
    created = User.objects.get(email="new.physio@example.test")
    assert (created.clinic, created.has_usable_password(), created.is_staff) == (clinic, False, False)
    assert roles_of(created) == {CLINICIAN}
    event = AuditEvent.objects.get(action="staff.created")
    assert (event.actor_id, event.role_change) == (admin.pk, {"old": [], "new": ["Clinician"]})
    (invitation,) = mail.outbox
    assert invitation.to == ["new.physio@example.test"]
    assert "/accounts/password/set/" in invitation.body


def test_a_superuser_adds_staff_to_a_clinic_they_name(client, other_clinic):
    operator = User.objects.create_superuser("operator@example.test", PASSWORD, full_name="Op")
    response = _as(client, operator).post(
        "/admin/clinic/user/add/",
        {
            "email": "first.admin@example.test",
            "full_name": "First Admin",
            "clinic": other_clinic.pk,
            "roles": "Clinic admin",
        },
    )
    assert response.status_code == 302
    created = User.objects.get(email="first.admin@example.test")
    assert (created.clinic, created.is_staff, roles_of(created)) == (other_clinic, True, {ADMIN})


def test_the_django_admin_user_list_offers_no_bulk_action(client, admin, colleague):
    page = _as(client, admin).get("/admin/clinic/user/").content.decode()
    assert colleague.email in page
    assert 'name="action"' not in page


def test_the_django_admins_own_password_page_is_the_audited_one(client, admin):
    response = _as(client, admin).get("/admin/password_change/")
    assert (response.status_code, response["Location"]) == (302, "/accounts/password/")


# --- The owner's password pages ------------------------------------------------------------------


def test_changing_ones_own_password_is_audited_and_the_holder_told(
    client, colleague, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = _as(client, colleague).post(
            "/accounts/password/",
            {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
        )
    assert response.status_code == 302
    assert _reload(colleague).check_password(NEW_PASSWORD)
    event = AuditEvent.objects.get()
    assert (event.action, event.actor_id, event.object_id) == ("staff.password_changed", colleague.pk, colleague.pk)
    assert event.changed_fields == ["password"]
    (message,) = mail.outbox
    assert message.to == [colleague.email]
    assert "Your password was changed." in message.body
    assert "by you" in message.body
    assert NEW_PASSWORD not in message.body


def test_setting_a_password_by_the_reset_link_is_audited_and_the_holder_told(
    client, colleague, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/accounts/password/reset/", {"email": "CAL@example.test"})
    link = re.search(r"https?://\S+?(/accounts/password/set/\S+/)", mail.outbox[0].body).group(1)
    form = client.get(link, follow=True)
    with django_capture_on_commit_callbacks(execute=True):
        done = client.post(
            form.redirect_chain[-1][0], {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}, follow=True
        )
    assert done.redirect_chain[-1][0] == "/accounts/password/set/done/"
    assert _reload(colleague).check_password(NEW_PASSWORD)
    event = AuditEvent.objects.get(action="staff.password_changed")
    assert (event.actor_id, event.object_id, event.changed_fields) == (colleague.pk, colleague.pk, ["password"])
    assert mail.outbox[-1].to == [colleague.email]
    assert "Your password was changed." in mail.outbox[-1].body


def test_a_first_password_from_the_invitation_is_audited_but_not_announced(
    client, admin, django_capture_on_commit_callbacks
):
    """The new colleague has just chosen it: "your password was changed" would only alarm them."""
    with django_capture_on_commit_callbacks(execute=True):
        newcomer = services.staff_create(
            actor=admin, email="nia@example.test", full_name="Nia Physio", roles=[FRONT_DESK]
        )
    (invitation,) = mail.outbox
    link = re.search(r"https?://\S+?(/accounts/password/set/\S+/)", invitation.body).group(1)
    form = client.get(link, follow=True)

    with django_capture_on_commit_callbacks(execute=True):
        client.post(form.redirect_chain[-1][0], {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})

    assert _reload(newcomer).check_password(NEW_PASSWORD)
    event = AuditEvent.objects.get(object_id=newcomer.pk, action__startswith="staff.password")
    assert (event.action, event.actor_id, event.changed_fields) == ("staff.password_set", newcomer.pk, ["password"])
    assert not AccountNotice.objects.filter(user=newcomer).exists()
    assert mail.outbox == [invitation]


@pytest.mark.parametrize(
    ("usable_before", "action", "notices"), [(True, "staff.password_changed", 1), (False, "staff.password_set", 0)]
)
def test_staff_password_set_tells_the_holder_only_of_a_change(colleague, usable_before, action, notices):
    if not usable_before:
        colleague.set_unusable_password()
        colleague.save(update_fields=["password"])

    services.staff_password_set(user=_reload(colleague), password=NEW_PASSWORD)

    assert AuditEvent.objects.get(object_id=colleague.pk).action == action
    assert AccountNotice.objects.filter(user=colleague).count() == notices


# --- The notices ---------------------------------------------------------------------------------


def test_a_notice_is_queued_only_after_commit_and_sent_once(admin, colleague, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        services.staff_update(
            actor=admin, staff=colleague, full_name=colleague.full_name, roles=[CLINICIAN], is_active=True
        )
    assert mail.outbox == []
    notice = AccountNotice.objects.get()
    assert (notice.recipient, notice.user, notice.sent_at) == (colleague.email, colleague, None)
    # Nothing sent yet, so the sweep finds it owed once old enough.
    assert account_notices.owed(older_than=-account_notices.datetime.timedelta(minutes=1)) == [notice.pk]

    for callback in callbacks:
        callback()
    assert tasks.send_account_notice(notice.pk) is False
    assert len(mail.outbox) == 1
    assert account_notices.owed(older_than=-account_notices.datetime.timedelta(minutes=1)) == []


def test_a_notice_names_no_patient(admin, colleague, patient, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        services.staff_update(
            actor=admin, staff=colleague, full_name=colleague.full_name, roles=[CLINICIAN], is_active=True
        )
    (message,) = mail.outbox
    for detail in (patient.first_name, patient.last_name, str(patient.date_of_birth)):
        assert detail not in message.body
