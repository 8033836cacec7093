"""Two-factor sign-in: who is asked, setting up an app, codes, recovery codes, lockout, the
pending sign-in that opens nothing, the Django admin and password-reset paths, the account page
and a clinic admin's reset of a colleague's lost phone."""

from __future__ import annotations

import datetime
import re

import pytest
import time_machine
from django.contrib import admin
from django.contrib.auth import SESSION_KEY as AUTH_SESSION_KEY
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from clinic import api_tokens
from clinic.models import AuditEvent
from clinic.permissions import Role
from clinic.two_factor import pending
from tests.factories import PASSWORD, UserFactory
from tests.two_factor import give_authenticator, give_recovery_codes, next_code, wrong_code

LOGIN = "/accounts/login/"
CODE = "/accounts/login/code/"
ENROL = "/accounts/login/set-up/"
ACCOUNT = "/accounts/two-factor/"
SET_UP = "/accounts/two-factor/set-up/"


def _password(client, user, *, next_url: str = "", password: str = PASSWORD):
    data = {"username": user.email, "password": password}
    if next_url:
        data["next"] = next_url
    return client.post(LOGIN, data)


def _signed_in(client) -> bool:
    return AUTH_SESSION_KEY in client.session


def _key_shown(response) -> str:
    return re.search(r'<code class="secret" id="totp-key">([A-Z2-7 ]+)</code>', response.content.decode()).group(1)


def _codes_shown(response) -> list[str]:
    return re.findall(r"<li><code>([a-z2-7]{4} [a-z2-7]{4})</code></li>", response.content.decode())


def _after_the_wait(device) -> None:
    """Each wrong code makes the next one wait a little longer (1 s, 2 s, 4 s...): let it pass."""
    TOTPDevice.objects.filter(pk=device.pk).update(throttling_failure_timestamp=None)


@pytest.fixture
def clinician_with_app(clinician):
    return clinician, give_authenticator(clinician)


# --- Who is asked -----------------------------------------------------------------------------


@pytest.mark.parametrize("role", [Role.CLINICIAN, Role.CLINIC_ADMIN])
def test_clinicians_and_admins_are_not_signed_in_by_the_password_alone(client, clinic, role):
    user = UserFactory(clinic=clinic, roles=[role])
    response = _password(client, user)
    assert (response.status_code, response["Location"]) == (302, ENROL)
    assert not _signed_in(client)
    assert client.get("/")["Location"].startswith(LOGIN)


def test_a_superuser_is_asked_too(client, db):
    superuser = UserFactory(clinic=None, is_superuser=True, is_staff=True)
    assert _password(client, superuser)["Location"] == ENROL
    assert not _signed_in(client)


def test_front_desk_signs_in_with_the_password_while_the_clinic_setting_is_off(client, front_desk):
    assert front_desk.clinic.front_desk_two_factor is False
    response = _password(client, front_desk)
    assert (response.status_code, response["Location"]) == (302, "/")
    assert _signed_in(client)


def test_front_desk_sets_up_an_app_when_the_clinic_setting_is_on(client, front_desk, clinic):
    clinic.front_desk_two_factor = True
    clinic.save()
    assert _password(client, front_desk)["Location"] == ENROL
    assert not _signed_in(client)


def test_someone_who_chose_an_app_is_always_asked_for_a_code(client, front_desk):
    give_authenticator(front_desk)
    assert _password(client, front_desk)["Location"] == CODE
    assert not _signed_in(client)


def test_clinic_admin_turns_the_front_desk_setting_on_audited(client, clinic_admin, clinic):
    client.force_login(clinic_admin)
    page = client.get(reverse("clinic_settings")).content.decode()
    assert "Front desk signs in with a second factor" in page
    response = client.post(
        reverse("clinic_settings"),
        {
            "name": clinic.name,
            "time_zone": "America/Chicago",
            "accent_color": "#1d5c7a",
            "paper_size": "letter",
            "intake_consent_text": "Consent.",
            "quiet_hours_start": "21:00",
            "quiet_hours_end": "08:00",
            "front_desk_two_factor": "on",
            "patient_change_notice_hours": "24",
            "patient_reschedule_horizon_days": "28",
            "save_clinic": "",
        },
    )
    assert response.status_code == 302
    clinic.refresh_from_db()
    assert clinic.front_desk_two_factor is True
    event = AuditEvent.objects.get(action="clinic.updated")
    assert "front_desk_two_factor" in event.changed_fields


# --- Setting up an authenticator app at the first sign-in ------------------------------------


def test_first_sign_in_sets_up_an_app_then_shows_recovery_codes_once(
    client, clinician, django_capture_on_commit_callbacks
):
    client.get(LOGIN)
    anonymous_key = client.session.session_key
    _password(client, clinician)
    pending_key = client.session.session_key
    assert pending_key != anonymous_key

    page = client.get(ENROL)
    html = page.content.decode()
    assert page.status_code == 200
    assert "no-store" in page["Cache-Control"]
    assert '<svg class="qr" role="img"' in html
    assert "<script" not in html.split("<main", 1)[1].split("</main>")[0].replace(
        '<script src="/static/js/recovery-codes.js"', ""
    )
    assert 'autocomplete="one-time-code"' in html
    assert 'inputmode="numeric"' in html
    assert '<label for="id_code">Code from your authenticator app' in html
    device = TOTPDevice.objects.get(user=clinician)
    assert device.confirmed is False
    assert _key_shown(page).replace(" ", "") == device.config_url.split("secret=")[1].split("&")[0]
    # Reloading the page shows the same key: the app the person just scanned stays right.
    assert _key_shown(client.get(ENROL)) == _key_shown(page)

    refused = client.post(ENROL, {"code": wrong_code(device)})
    assert refused.status_code == 200
    assert "That code does not match the key" in refused.content.decode()
    assert not _signed_in(client)

    _after_the_wait(device)
    with django_capture_on_commit_callbacks(execute=True):
        done = client.post(ENROL, {"code": next_code(device)})
    assert done.status_code == 200
    assert "no-store" in done["Cache-Control"]
    codes = _codes_shown(done)
    assert len(codes) == 10
    assert sorted(code.replace(" ", "") for code in codes) == sorted(
        StaticToken.objects.filter(device__user=clinician).values_list("token", flat=True)
    )
    assert _signed_in(client)
    assert client.session.session_key not in {anonymous_key, pending_key}
    assert client.session[DEVICE_ID_SESSION_KEY] == device.persistent_id
    device.refresh_from_db()
    assert device.confirmed is True
    assert AuditEvent.objects.filter(action="staff.two_factor_enrolled", object_id=clinician.pk).count() == 1
    (notice,) = mail.outbox
    assert notice.to == [clinician.email]
    assert "Two-factor sign-in is now set up" in notice.body
    # The codes were in that one response; the next pages never show them.
    assert _codes_shown(client.get("/")) == []
    assert _codes_shown(client.get(ACCOUNT)) == []


def test_each_sign_in_shows_a_new_key_and_an_earlier_unfinished_one_never_works(clinician):
    first, second = Client(), Client()
    _password(first, clinician)
    first_key = _key_shown(first.get(ENROL))
    first_device = TOTPDevice.objects.get(user=clinician)
    _password(second, clinician)
    assert _key_shown(second.get(ENROL)) != first_key
    assert not TOTPDevice.objects.filter(pk=first_device.pk).exists()
    # Whoever saw the first key cannot finish with it.
    first.post(ENROL, {"code": next_code(first_device)})
    assert not _signed_in(first)


def test_a_sign_in_cannot_set_up_a_second_app_over_an_existing_one(client, clinician_with_app):
    clinician, device = clinician_with_app
    _password(client, clinician)
    assert client.get(ENROL)["Location"] == CODE
    assert list(TOTPDevice.objects.filter(user=clinician)) == [device]


# --- A code, a wrong code, a recovery code ----------------------------------------------------


def test_code_from_the_app_signs_in_and_keeps_the_page_asked_for(client, clinician_with_app, patient):
    clinician, device = clinician_with_app
    asked = client.get(f"/patients/{patient.pk}/")
    assert asked["Location"] == f"{LOGIN}?next=/patients/{patient.pk}/"
    response = _password(client, clinician, next_url=f"/patients/{patient.pk}/")
    assert response["Location"] == CODE
    page = client.get(CODE)
    html = page.content.decode()
    assert 'autocomplete="one-time-code"' in html
    assert 'inputmode="numeric"' in html
    assert clinician.email in html
    assert "5 wrong passwords or codes in a row" in html

    response = client.post(CODE, {"code": next_code(device)})
    assert (response.status_code, response["Location"]) == (302, f"/patients/{patient.pk}/")
    assert _signed_in(client)
    assert client.get(f"/patients/{patient.pk}/").status_code == 200


def test_a_code_works_once(clinician_with_app):
    clinician, device = clinician_with_app
    code = next_code(device)
    first, second = Client(), Client()
    _password(first, clinician)
    _password(second, clinician)
    first.post(CODE, {"code": code})
    second.post(CODE, {"code": code})
    assert _signed_in(first)
    assert not _signed_in(second)


def test_a_code_with_spaces_is_taken(client, clinician_with_app):
    clinician, device = clinician_with_app
    _password(client, clinician)
    code = next_code(device)
    client.post(CODE, {"code": f" {code[:3]} {code[3:]} "})
    assert _signed_in(client)


def test_wrong_codes_count_toward_the_lockout_with_wrong_passwords(client, clinician_with_app, settings):
    clinician, device = clinician_with_app
    assert _password(client, clinician, password="not-the-password").status_code == 200
    _password(client, clinician)
    bad = wrong_code(device)
    for left in range(settings.AXES_FAILURE_LIMIT - 2, 0, -1):
        _after_the_wait(device)
        response = client.post(CODE, {"code": bad})
        assert response.status_code == 200
        html = response.content.decode()
        assert "That code is not right" in html
        assert f"{left} {'try' if left == 1 else 'tries'} left before sign-in pauses for 15 minutes" in html
        assert not _signed_in(client)
    _after_the_wait(device)
    locked = client.post(CODE, {"code": bad})
    assert locked.status_code == 429
    assert "Sign-in paused" in locked.content.decode()
    # Locked: even the right code, or the right password, is refused now.
    assert client.post(CODE, {"code": next_code(device)}).status_code == 429
    assert not _signed_in(client)
    assert _password(client, clinician).status_code == 429


def test_too_many_wrong_codes_in_a_row_make_the_person_wait(client, clinician_with_app):
    clinician, device = clinician_with_app
    TOTPDevice.objects.filter(pk=device.pk).update(
        throttling_failure_count=6, throttling_failure_timestamp=timezone.now()
    )
    _password(client, clinician)
    response = client.post(CODE, {"code": next_code(device)})
    assert response.status_code == 200
    assert re.search(r"Too many wrong codes in a row\. Wait \d+ seconds, then try again\.", response.content.decode())
    assert not _signed_in(client)


def test_a_code_that_is_not_six_digits_is_refused_without_counting(client, clinician_with_app):
    clinician, _ = clinician_with_app
    _password(client, clinician)
    response = client.post(CODE, {"code": "12345"})
    assert "Enter the 6 digits your authenticator app shows" in response.content.decode()
    assert 'value="12345"' in response.content.decode()
    assert not _signed_in(client)


def test_a_recovery_code_signs_in_once_audited_and_told(client, clinician_with_app, django_capture_on_commit_callbacks):
    clinician, _ = clinician_with_app
    give_recovery_codes(clinician, "abcd2345", "efgh6723")
    _password(client, clinician)
    page = client.get(CODE)
    assert f'href="{CODE}?with=recovery"' in page.content.decode()
    form = client.get(f"{CODE}?with=recovery").content.decode()
    assert '<label for="id_code">Recovery code' in form
    assert 'inputmode="numeric"' not in form

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"{CODE}?with=recovery", {"code": "ABCD-2345"}, follow=True)
    assert _signed_in(client)
    assert "You signed in with a recovery code; 1 left" in response.content.decode()
    assert list(StaticToken.objects.values_list("token", flat=True)) == ["efgh6723"]
    assert AuditEvent.objects.filter(action="staff.recovery_code_used", object_id=clinician.pk).exists()
    (notice,) = mail.outbox
    assert (notice.to, "You have 1 left" in notice.body) == ([clinician.email], True)

    client.post(reverse("logout"))
    _password(client, clinician)
    again = client.post(f"{CODE}?with=recovery", {"code": "abcd 2345"})
    assert "That code is not right" in again.content.decode()
    assert not _signed_in(client)


# --- The pending sign-in opens nothing, and lapses -------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/patients/",
        "/patients/{patient}/",
        "/episodes/{episode}/",
        "/staff/",
        "/settings/",
        "/schedule/",
        ACCOUNT,
        SET_UP,
        "/accounts/password/",
        "/api/patients/",
        "/api/patients/{patient}/",
        "/api/episodes/",
        "/api/docs/",
        "/fhir/Patient/{patient}/$everything",
        "/admin/",
        "/admin/clinic/patient/",
    ],
)
def test_the_pending_sign_in_reaches_no_page_or_api(client, clinic, episode, path):
    admin_clinician = UserFactory(clinic=clinic, roles=[Role.CLINICIAN, Role.CLINIC_ADMIN])
    give_authenticator(admin_clinician)
    _password(client, admin_clinician)
    assert pending.SESSION_KEY in client.session
    url = path.format(patient=episode.patient_id, episode=episode.pk)
    response = client.get(url)
    assert response.status_code in {302, 401, 403, 404}, url
    if response.status_code == 302:
        assert response["Location"].startswith((LOGIN, "/admin/login/")), response["Location"]
    assert episode.patient.last_name.encode() not in response.content
    assert not _signed_in(client)


def test_the_pending_sign_in_lapses(client, clinician_with_app, settings):
    clinician, device = clinician_with_app
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        _password(client, clinician)
        traveller.shift(datetime.timedelta(minutes=settings.TWO_FACTOR_PENDING_MINUTES, seconds=1))
        response = client.post(CODE, {"code": next_code(device)})
        assert response["Location"] == LOGIN
        assert not _signed_in(client)
        assert pending.SESSION_KEY not in client.session
        assert "A sign-in waits 10 minutes for its code" in client.get(LOGIN).content.decode()


def test_the_pending_sign_in_lapses_when_the_password_changes(client, clinician_with_app):
    clinician, device = clinician_with_app
    _password(client, clinician)
    clinician.set_password("a-brand-new-passphrase-2026")
    clinician.save()
    assert client.post(CODE, {"code": next_code(device)})["Location"] == LOGIN
    assert not _signed_in(client)


def test_the_pending_sign_in_lapses_when_the_account_is_deactivated(client, clinician_with_app):
    clinician, device = clinician_with_app
    _password(client, clinician)
    clinician.is_active = False
    clinician.save()
    assert client.post(CODE, {"code": next_code(device)})["Location"] == LOGIN
    assert not _signed_in(client)


def test_the_code_page_without_a_pending_sign_in_sends_to_sign_in(client, db):
    assert client.get(CODE)["Location"] == LOGIN
    assert client.get(ENROL)["Location"] == LOGIN


# --- The Django admin's sign-in and password reset -------------------------------------------


def test_the_django_admin_signs_in_through_the_same_two_steps(client, clinic_admin):
    device = give_authenticator(clinic_admin)
    response = client.get("/admin/clinic/patient/")
    assert response["Location"] == "/admin/login/?next=/admin/clinic/patient/"
    response = client.get(response["Location"])
    assert response["Location"] == f"{LOGIN}?next=/admin/clinic/patient/"
    # The admin's own form is gone: posting a password to it signs nobody in.
    client.post("/admin/login/", {"username": clinic_admin.email, "password": PASSWORD})
    assert not _signed_in(client)

    assert _password(client, clinic_admin, next_url="/admin/clinic/patient/")["Location"] == CODE
    assert client.get("/admin/clinic/patient/").status_code == 302
    response = client.post(CODE, {"code": next_code(device)})
    assert response["Location"] == "/admin/clinic/patient/"
    assert client.get("/admin/clinic/patient/").status_code == 200


def test_the_django_admin_login_refuses_someone_signed_in_without_admin_access(client, front_desk):
    client.force_login(front_desk)
    assert client.get("/admin/login/?next=/admin/").status_code == 403


def test_the_django_admin_login_ignores_a_next_address_on_another_site(client, db):
    response = client.get("/admin/login/?next=https://evil.example/")
    assert response["Location"] == f"{LOGIN}?next=/admin/"


def test_a_password_reset_signs_nobody_in_and_the_code_is_still_asked(client, clinician_with_app):
    clinician, device = clinician_with_app
    client.post(reverse("password_reset"), {"email": clinician.email})
    link = re.search(r"https?://\S+(/accounts/password/set/\S+/)", mail.outbox[0].body).group(1)
    form = client.get(link, follow=True)
    new_password = "another-long-passphrase-2026"
    done = client.post(
        form.redirect_chain[-1][0], {"new_password1": new_password, "new_password2": new_password}, follow=True
    )
    assert done.redirect_chain[-1][0] == reverse("password_reset_complete")
    assert not _signed_in(client)
    assert _password(client, clinician, password=new_password)["Location"] == CODE
    assert not _signed_in(client)
    client.post(CODE, {"code": next_code(device)})
    assert _signed_in(client)


# --- API tokens are not affected ----------------------------------------------------------


def test_api_tokens_work_as_before_for_someone_with_a_second_factor(client, clinic_admin, clinician_with_app):
    clinician, _ = clinician_with_app
    _, raw = api_tokens.api_token_create(actor=clinic_admin, owner=clinician, name="export")
    response = client.get("/api/patients/", headers={"authorization": f"Bearer {raw}"})
    assert response.status_code == 200


# --- The person's own page ------------------------------------------------------------------


def test_new_recovery_codes_after_a_code_replace_the_old_ones(
    client, clinician_with_app, django_capture_on_commit_callbacks
):
    clinician, device = clinician_with_app
    give_recovery_codes(clinician, "abcd2345")
    client.force_login(clinician)
    page = client.get(ACCOUNT).content.decode()
    assert "1 of 10 recovery codes left" in page
    refused = client.post(ACCOUNT, {"renew-code": wrong_code(device), "renew": ""})
    assert "That code is not right" in refused.content.decode()
    assert StaticToken.objects.filter(token="abcd2345").exists()

    _after_the_wait(device)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(ACCOUNT, {"renew-code": next_code(device), "renew": ""})
    codes = _codes_shown(response)
    assert len(codes) == 10
    assert not StaticToken.objects.filter(token="abcd2345").exists()
    assert StaticDevice.objects.filter(user=clinician).count() == 1
    assert AuditEvent.objects.filter(action="staff.recovery_codes_renewed", object_id=clinician.pk).exists()
    assert [message.subject for message in mail.outbox] == ["New recovery codes for your account"]


def test_a_new_phone_replaces_the_authenticator_after_a_code(client, clinician_with_app):
    clinician, old = clinician_with_app
    client.force_login(clinician)
    # Not without a current code.
    assert client.get(SET_UP)["Location"] == ACCOUNT
    response = client.post(ACCOUNT, {"replace-code": next_code(old), "replace": ""})
    assert response["Location"] == SET_UP
    page = client.get(SET_UP)
    new = TOTPDevice.objects.get(user=clinician, confirmed=False)
    assert _key_shown(page).replace(" ", "") in new.config_url
    done = client.post(SET_UP, {"code": next_code(new)})
    assert len(_codes_shown(done)) == 10
    assert list(TOTPDevice.objects.filter(user=clinician)) == [new]
    new.refresh_from_db()
    assert new.confirmed
    assert AuditEvent.objects.filter(action="staff.two_factor_replaced", object_id=clinician.pk).exists()
    # The old phone's codes no longer sign in.
    client.post(reverse("logout"))
    _password(client, clinician)
    client.post(CODE, {"code": next_code(old)})
    assert not _signed_in(client)


def test_a_recovery_code_on_the_account_page_lets_a_lost_phone_be_replaced(client, clinician_with_app):
    clinician, _ = clinician_with_app
    give_recovery_codes(clinician, "abcd2345")
    client.force_login(clinician)
    assert client.post(ACCOUNT, {"replace-code": "abcd 2345", "replace": ""})["Location"] == SET_UP
    assert not StaticToken.objects.filter(token="abcd2345").exists()


def test_front_desk_may_choose_an_app_and_is_then_asked_for_codes(client, front_desk):
    client.force_login(front_desk)
    page = client.get(ACCOUNT).content.decode()
    assert "Your clinic does not ask this of your role" in page
    client.get(SET_UP)
    device = TOTPDevice.objects.get(user=front_desk)
    client.post(SET_UP, {"code": next_code(device)})
    client.post(reverse("logout"))
    assert _password(client, front_desk)["Location"] == CODE


# --- A clinic admin resets a colleague's lost phone -------------------------------------------


def test_clinic_admin_resets_a_colleagues_second_factor_audited_and_told(
    client, clinic_admin, clinician_with_app, patient, django_capture_on_commit_callbacks
):
    clinician, _ = clinician_with_app
    # Names no generated staff name or notice wording can contain by chance.
    patient.first_name, patient.last_name = "Quorvenna", "Zyxbrook"
    patient.save()
    give_recovery_codes(clinician, "abcd2345")
    client.force_login(clinic_admin)
    edit = client.get(reverse("staff_edit", args=[clinician.pk])).content.decode()
    reset_url = reverse("staff_two_factor_reset", args=[clinician.pk])
    assert f'href="{reset_url}"' in edit
    assert "1 recovery code left" in edit
    assert "Reset two-factor sign-in of" in client.get(reset_url).content.decode()

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reset_url)
    assert response["Location"] == reverse("staff_edit", args=[clinician.pk])
    assert not TOTPDevice.objects.filter(user=clinician).exists()
    assert not StaticDevice.objects.filter(user=clinician).exists()
    event = AuditEvent.objects.get(action="staff.two_factor_reset")
    assert (event.actor, event.object_id, event.clinic_id) == (clinic_admin, clinician.pk, clinician.clinic_id)
    (notice,) = mail.outbox
    assert notice.to == [clinician.email]
    assert clinic_admin.full_name in notice.body
    assert "set up an authenticator app again" in notice.body
    assert patient.last_name not in notice.body
    assert patient.first_name not in notice.body

    # The next sign-in sets up a new app.
    assert _password(Client(), clinician)["Location"] == ENROL


def test_clinic_admin_cannot_reset_their_own(client, clinic_admin):
    give_authenticator(clinic_admin)
    client.force_login(clinic_admin)
    edit = client.get(reverse("staff_edit", args=[clinic_admin.pk])).content.decode()
    own_url = reverse("staff_two_factor_reset", args=[clinic_admin.pk])
    assert f'href="{own_url}"' not in edit
    assert "Only another clinic admin can reset it" in edit
    response = client.post(own_url)
    assert response.status_code == 403
    assert TOTPDevice.objects.filter(user=clinic_admin).exists()
    assert not AuditEvent.objects.filter(action="staff.two_factor_reset").exists()


def test_the_reset_service_refuses_ones_own_account(clinic_admin):
    from django.core.exceptions import ValidationError

    from clinic.two_factor import services

    with pytest.raises(ValidationError):
        services.reset(actor=clinic_admin, staff=clinic_admin)


def test_only_a_clinic_admin_of_the_same_clinic_can_reset(client, clinician_with_app, front_desk, other_clinic):
    clinician, _ = clinician_with_app
    url = reverse("staff_two_factor_reset", args=[clinician.pk])
    client.force_login(front_desk)
    assert client.post(url).status_code == 403
    client.force_login(UserFactory(clinic=other_clinic, roles=[Role.CLINIC_ADMIN]))
    assert client.post(url).status_code == 404
    assert TOTPDevice.objects.filter(user=clinician).exists()


def test_the_django_admin_has_no_unaudited_device_pages():
    assert not admin.site.is_registered(TOTPDevice)
    assert not admin.site.is_registered(StaticDevice)


def test_an_operator_can_give_a_superuser_a_one_time_code_from_the_server(client, db):
    """The way back in for someone no clinic admin can reset (a superuser): django-otp's command."""
    import io

    from django.core.management import call_command

    superuser = UserFactory(clinic=None, is_superuser=True, is_staff=True)
    give_authenticator(superuser)
    out = io.StringIO()
    call_command("addstatictoken", superuser.email.upper(), stdout=out)
    _password(client, superuser)
    client.post(f"{CODE}?with=recovery", {"code": out.getvalue().strip()})
    assert _signed_in(client)
