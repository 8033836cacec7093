"""API tokens: the rules, the services, the database's guard, the API as the token's owner,
throttling, and the clinic admin's pages."""

from __future__ import annotations

import datetime
import hashlib
import logging
import re

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.test import Client
from django.utils import timezone

from clinic import api_tokens, permissions
from clinic.api_auth import ApiRateThrottle
from clinic.api_tokens import TokenStatus
from clinic.models import ApiToken, AuditEvent
from clinic.permissions import Role
from tests import migrating
from tests.factories import UserFactory

STAFF_BACKEND = "clinic.backends.StaffBackend"
NOW = datetime.datetime(2026, 3, 2, 15, 0, tzinfo=datetime.UTC)
MINUTE = datetime.timedelta(minutes=1)


def _bearer(raw: str) -> dict:
    return {"Authorization": f"Bearer {raw}"}


def _token(actor, owner, name: str = "Billing export", **kwargs) -> tuple[ApiToken, str]:
    return api_tokens.api_token_create(actor=actor, owner=owner, name=name, **kwargs)


def _patient_ids(response) -> set[int]:
    return {row["id"] for row in response.json()["results"]}


# --- Pure rules -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("Bearer abc", "abc"),
        ("bearer abc", "abc"),
        ("Token abc", "abc"),
        ("Bearer", ""),
        ("Bearer abc def", ""),
        ("Basic dXNlcjpwYXNz", None),
        ("", None),
    ],
)
def test_token_from_header(header, expected):
    assert api_tokens.token_from_header(header) == expected


@pytest.mark.parametrize(
    ("revoked_at", "expires_at", "expected"),
    [
        (None, None, TokenStatus.ACTIVE),
        (None, NOW + MINUTE, TokenStatus.ACTIVE),
        (None, NOW, TokenStatus.EXPIRED),
        (None, NOW - MINUTE, TokenStatus.EXPIRED),
        (NOW - MINUTE, None, TokenStatus.REVOKED),
        (NOW - MINUTE, NOW - MINUTE, TokenStatus.REVOKED),
    ],
)
def test_token_status(revoked_at, expires_at, expected):
    assert api_tokens.token_status(revoked_at=revoked_at, expires_at=expires_at, now=NOW) == expected


@pytest.mark.parametrize(
    ("status", "owner_active", "expected"),
    [
        (TokenStatus.ACTIVE, True, None),
        (TokenStatus.ACTIVE, False, "deactivated"),
        (TokenStatus.EXPIRED, True, "expired"),
        (TokenStatus.REVOKED, True, "revoked"),
        (TokenStatus.REVOKED, False, "revoked"),
    ],
)
def test_refusal(status, owner_active, expected):
    reason = api_tokens.refusal(status=status, owner_active=owner_active)
    assert reason is None if expected is None else expected in reason


@pytest.mark.parametrize(
    ("last_used_at", "expected"),
    [(None, True), (NOW - 2 * MINUTE, True), (NOW - MINUTE, True), (NOW - MINUTE / 2, False), (NOW, False)],
)
def test_last_use_is_stale(last_used_at, expected):
    assert api_tokens.last_use_is_stale(last_used_at, NOW) is expected


def test_new_tokens_are_random_and_hashed():
    raw, prefix, token_hash = api_tokens.new_token()
    other_raw, _, _ = api_tokens.new_token()
    assert raw != other_raw
    assert raw.startswith("stride_" + prefix)
    assert len(prefix) == 8
    assert token_hash == hashlib.sha256(raw.encode()).hexdigest()


# --- Services -------------------------------------------------------------------------------


def test_create_stores_only_the_hash_and_audits(clinic_admin, clinician):
    token, raw = _token(clinic_admin, clinician)
    stored = ApiToken.objects.values().get(pk=token.pk)
    assert stored["token_hash"] == hashlib.sha256(raw.encode()).hexdigest()
    assert all(raw not in str(value) for value in stored.values())
    assert raw.startswith("stride_" + stored["prefix"])
    assert stored["owner_id"] == clinician.pk
    assert stored["created_by_id"] == clinic_admin.pk
    event = AuditEvent.objects.get(action="api_token.created")
    assert (event.actor, event.object_id, event.clinic_id) == (clinic_admin, token.pk, clinician.clinic_id)


def test_the_owner_is_told_when_someone_else_makes_a_token_acting_as_them(
    clinic_admin, front_desk, django_capture_on_commit_callbacks, mailoutbox
):
    with django_capture_on_commit_callbacks(execute=True):
        api_tokens.api_token_create(actor=clinic_admin, owner=front_desk, name="Booking sync")
    (notice,) = mailoutbox
    assert notice.to == [front_desk.email]
    assert "An API token was made that acts as you" in notice.body
    assert clinic_admin.full_name in notice.body

    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        api_tokens.api_token_create(actor=front_desk, owner=front_desk, name="My own script")
    assert mailoutbox == []


@pytest.mark.parametrize("actor_role", ["colleague", "front_desk", "other_clinic_admin"])
def test_only_the_owner_or_a_clinic_admin_of_their_clinic_creates_tokens(clinic, other_clinic, clinician, actor_role):
    actor = {
        "colleague": lambda: UserFactory(clinic=clinic, roles=[Role.CLINICIAN]),
        "front_desk": lambda: UserFactory(clinic=clinic, roles=[Role.FRONT_DESK]),
        "other_clinic_admin": lambda: UserFactory(clinic=other_clinic, roles=[Role.CLINIC_ADMIN]),
    }[actor_role]()
    with pytest.raises(PermissionDenied):
        _token(actor, clinician)
    assert not ApiToken.objects.exists()


@pytest.mark.parametrize(
    ("owner_change", "expires_in", "message"),
    [
        ({"is_active": False}, None, "deactivated"),
        ({}, -MINUTE, "future"),
    ],
)
def test_create_refuses_bad_input(clinic_admin, clinician, owner_change, expires_in, message):
    for field, value in owner_change.items():
        setattr(clinician, field, value)
    clinician.save()
    expires_at = timezone.now() + expires_in if expires_in is not None else None
    with pytest.raises(ValidationError, match=message):
        _token(clinic_admin, clinician, expires_at=expires_at)
    assert not ApiToken.objects.exists()


def test_a_name_is_unique_among_a_users_live_tokens(clinic_admin, clinician, front_desk):
    first, _ = _token(clinic_admin, clinician, name="Billing export")
    with pytest.raises(ValidationError, match="already has a token with this name"):
        _token(clinic_admin, clinician, name="Billing export")
    _token(clinic_admin, front_desk, name="Billing export")
    api_tokens.api_token_revoke(actor=clinic_admin, token=first)
    _token(clinic_admin, clinician, name="Billing export")
    assert ApiToken.objects.filter(owner=clinician, name="Billing export").count() == 2


def test_revoke_is_audited_once(clinic_admin, clinician):
    token, _ = _token(clinic_admin, clinician)
    revoked = api_tokens.api_token_revoke(actor=clinic_admin, token=token)
    first_revoked_at = revoked.revoked_at
    again = api_tokens.api_token_revoke(actor=clinic_admin, token=token)
    assert first_revoked_at is not None
    assert again.revoked_at == first_revoked_at
    assert AuditEvent.objects.filter(action="api_token.revoked", object_id=token.pk).count() == 1


def test_revoke_needs_the_owner_or_their_clinic_admin(clinic, clinic_admin, clinician, other_clinic):
    token, _ = _token(clinic_admin, clinician)
    with pytest.raises(PermissionDenied):
        api_tokens.api_token_revoke(actor=UserFactory(clinic=other_clinic, roles=[Role.CLINIC_ADMIN]), token=token)
    with pytest.raises(PermissionDenied):
        api_tokens.api_token_revoke(actor=UserFactory(clinic=clinic, roles=[Role.CLINICIAN]), token=token)
    token.refresh_from_db()
    assert token.revoked_at is None


# --- The database's guard -------------------------------------------------------------------


def _row(owner, created_by, **fields) -> ApiToken:
    values = {"name": "Export", "prefix": "abcdefgh", "token_hash": "a" * 64, **fields}
    return ApiToken.objects.create(owner=owner, created_by=created_by, **values)


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ({"name": "One"}, {"name": "Two"}),  # the same hash
        ({"token_hash": "b" * 64}, {}),  # the same name, both live
    ],
)
def test_database_refuses_duplicate_tokens(clinic_admin, clinician, first, second):
    _row(clinician, clinic_admin, **first)
    with pytest.raises(IntegrityError), transaction.atomic():
        _row(clinician, clinic_admin, **second)


def test_database_allows_a_live_name_again_after_revoking(clinic_admin, clinician):
    _row(clinician, clinic_admin, revoked_at=timezone.now())
    _row(clinician, clinic_admin, token_hash="b" * 64)
    assert ApiToken.objects.filter(name="Export").count() == 2


@pytest.mark.parametrize(
    "fields",
    [{"name": ""}, {"expires_at": NOW, "created_at": NOW}, {"expires_at": NOW - MINUTE, "created_at": NOW}],
)
def test_database_refuses_bad_rows(clinic_admin, clinician, fields):
    with pytest.raises(IntegrityError), transaction.atomic():
        _row(clinician, clinic_admin, **fields)


# --- The API, as the token's owner ----------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "patients_status", "assessments_status"),
    [(Role.CLINICIAN, 200, 200), (Role.FRONT_DESK, 200, 403), (Role.CLINIC_ADMIN, 200, 403)],
)
def test_token_acts_with_its_owners_role(
    client, clinic, clinic_admin, patient, foreign_patient, role, patients_status, assessments_status
):
    owner = clinic_admin if role == Role.CLINIC_ADMIN else UserFactory(clinic=clinic, roles=[role])
    # The clinical scope where the owner may have it (their own token): the roles alone then decide.
    _, raw = _token(owner, owner, clinical_scope=role == Role.CLINICIAN)
    patients = client.get("/api/patients/", headers=_bearer(raw))
    assert patients.status_code == patients_status
    assert _patient_ids(patients) == {patient.pk}
    assert client.get("/api/assessments/", headers=_bearer(raw)).status_code == assessments_status
    assert client.get(f"/api/patients/{foreign_patient.pk}/", headers=_bearer(raw)).status_code == 404


def test_drf_token_keyword_is_accepted(client, clinic_admin, clinician, patient):
    _, raw = _token(clinic_admin, clinician)
    response = client.get("/api/patients/", headers={"Authorization": f"Token {raw}"})
    assert response.status_code == 200
    assert _patient_ids(response) == {patient.pk}


def _revoke(admin, token, _owner):
    api_tokens.api_token_revoke(actor=admin, token=token)


def _expire(_admin, token, _owner):
    ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now())


def _deactivate(_admin, _token, owner):
    type(owner).objects.filter(pk=owner.pk).update(is_active=False)


@pytest.mark.parametrize(
    ("spoil", "message"),
    [(_revoke, "revoked"), (_expire, "expired"), (_deactivate, "deactivated")],
)
def test_refused_tokens_get_401_with_the_reason(client, clinic_admin, clinician, patient, spoil, message):
    token, raw = _token(clinic_admin, clinician)
    assert client.get("/api/patients/", headers=_bearer(raw)).status_code == 200
    spoil(clinic_admin, token, clinician)
    response = client.get("/api/patients/", headers=_bearer(raw))
    assert response.status_code == 401
    assert message in response.json()["detail"]
    assert response.headers["WWW-Authenticate"] == 'Bearer realm="api"'


@pytest.mark.parametrize(
    ("header", "message"),
    [("Bearer stride_madeUpTokenThatWasNeverIssued", "not known"), ("Bearer", "Authorization: Bearer")],
)
def test_unknown_or_malformed_tokens_get_401(client, db, header, message):
    response = client.get("/api/patients/", headers={"Authorization": header})
    assert response.status_code == 401
    assert message in response.json()["detail"]


def test_anonymous_request_without_a_token_keeps_its_403(client, db):
    assert client.get("/api/patients/").status_code == 403


NEW_PATIENT = {
    "first_name": "Tia",
    "last_name": "Tokenrunner",
    "date_of_birth": "1990-04-02",
    "sex": "female",
    "email": "tia.tokenrunner@example.test",
    "preferred_contact_channel": "email",
    "contact_consent": True,
}


def test_token_writes_need_no_csrf_token_but_sessions_still_do(clinic_admin, front_desk):
    _, raw = _token(clinic_admin, front_desk)
    with_token = Client(enforce_csrf_checks=True)
    created = with_token.post("/api/patients/", NEW_PATIENT, content_type="application/json", headers=_bearer(raw))
    assert created.status_code == 201
    with_session = Client(enforce_csrf_checks=True)
    with_session.force_login(front_desk, backend=STAFF_BACKEND)
    refused = with_session.post(
        "/api/patients/", {**NEW_PATIENT, "email": "x@example.test"}, content_type="application/json"
    )
    assert refused.status_code == 403
    assert "CSRF" in refused.json()["detail"]


def test_last_used_at_is_written_at_most_once_a_minute(client, clinic_admin, clinician):
    token, raw = _token(clinic_admin, clinician)
    assert token.last_used_at is None
    client.get("/api/patients/", headers=_bearer(raw))
    token.refresh_from_db()
    first_use = token.last_used_at
    assert first_use is not None
    recent = first_use - MINUTE / 2
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=recent)
    client.get("/api/patients/", headers=_bearer(raw))
    token.refresh_from_db()
    assert token.last_used_at == recent
    stale = first_use - 2 * MINUTE
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=stale)
    client.get("/api/patients/", headers=_bearer(raw))
    token.refresh_from_db()
    assert token.last_used_at > stale


def test_the_raw_token_is_never_logged(client, clinic_admin, clinician, caplog):
    token, raw = _token(clinic_admin, clinician)
    with caplog.at_level(logging.DEBUG):
        client.get("/api/patients/", headers=_bearer(raw))
        api_tokens.api_token_revoke(actor=clinic_admin, token=token)
        client.get("/api/patients/", headers=_bearer(raw))
    assert "Unauthorized" in caplog.text
    assert raw not in caplog.text
    assert raw[len("stride_") :] not in caplog.text


# --- Throttling -----------------------------------------------------------------------------


@pytest.fixture
def tiny_rates(monkeypatch):
    monkeypatch.setitem(ApiRateThrottle.THROTTLE_RATES, "api_token", "2/minute")
    monkeypatch.setitem(ApiRateThrottle.THROTTLE_RATES, "api_session", "3/minute")


def test_each_token_has_its_own_request_budget(client, clinic_admin, clinician, tiny_rates):
    _, raw = _token(clinic_admin, clinician, name="One")
    _, other_raw = _token(clinic_admin, clinician, name="Two")
    statuses = [client.get("/api/patients/", headers=_bearer(raw)).status_code for _ in range(3)]
    assert statuses == [200, 200, 429]
    refused = client.get("/api/patients/", headers=_bearer(raw))
    assert int(refused.headers["Retry-After"]) > 0
    assert client.get("/api/patients/", headers=_bearer(other_raw)).status_code == 200


def test_session_requests_are_throttled_per_user(client, clinic, clinician, tiny_rates):
    client.force_login(clinician, backend=STAFF_BACKEND)
    statuses = [client.get("/api/patients/").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    colleague = Client()
    colleague.force_login(UserFactory(clinic=clinic, roles=[Role.CLINICIAN]), backend=STAFF_BACKEND)
    assert colleague.get("/api/patients/").status_code == 200


# --- The clinic admin's pages ---------------------------------------------------------------


def _login(client, user):
    client.force_login(user, backend=STAFF_BACKEND)
    return client


def test_admin_creates_a_token_and_sees_it_once(client, clinic_admin, clinician):
    _login(client, clinic_admin)
    form = client.get("/staff/api-tokens/new/")
    assert clinician.full_name in form.content.decode()
    response = client.post("/staff/api-tokens/new/", {"owner": clinician.pk, "name": "Billing export"})
    assert response.status_code == 200
    assert "no-store" in response.headers["Cache-Control"]
    raw = re.search(r'value="(stride_[^"]+)"', response.content.decode()).group(1)
    token = ApiToken.objects.get()
    assert token.token_hash == api_tokens.hash_token(raw)
    assert (token.owner, token.name, token.expires_at) == (clinician, "Billing export", None)
    listing = client.get("/staff/api-tokens/").content.decode()
    assert "Billing export" in listing
    assert f"stride_{token.prefix}…" in listing
    assert raw not in listing


def test_expiry_date_ends_with_that_day_in_clinic_time(client, clinic, clinic_admin, clinician):
    _login(client, clinic_admin)
    day = timezone.localdate(timezone=clinic.zone) + datetime.timedelta(days=30)
    client.post("/staff/api-tokens/new/", {"owner": clinician.pk, "name": "Export", "expires_on": day.isoformat()})
    expires_at = ApiToken.objects.get().expires_at.astimezone(clinic.zone)
    assert (expires_at.date(), expires_at.time()) == (day + datetime.timedelta(days=1), datetime.time())


@pytest.mark.parametrize(
    ("posted", "message"),
    [
        ({"name": ""}, "This field is required"),
        ({"expires_on": "2020-01-01"}, "Choose today or a later day"),
        ({"owner": "foreign"}, "Select a valid choice"),
    ],
)
def test_bad_token_form_shows_errors_and_keeps_input(client, clinic_admin, clinician, other_clinic, posted, message):
    _login(client, clinic_admin)
    values = {"owner": clinician.pk, "name": "Kept name", "expires_on": "", **posted}
    if values["owner"] == "foreign":
        values["owner"] = UserFactory(clinic=other_clinic, roles=[Role.CLINICIAN]).pk
    response = client.post("/staff/api-tokens/new/", values)
    html = response.content.decode()
    assert response.status_code == 200
    assert message in html
    if values["name"]:
        assert 'value="Kept name"' in html
    assert not ApiToken.objects.exists()


def test_duplicate_name_is_a_form_error(client, clinic_admin, clinician):
    _token(clinic_admin, clinician, name="Export")
    _login(client, clinic_admin)
    response = client.post("/staff/api-tokens/new/", {"owner": clinician.pk, "name": "Export"})
    assert response.status_code == 200
    assert "already has a token with this name" in response.content.decode()
    assert ApiToken.objects.count() == 1


def test_admin_revokes_after_confirming(client, clinic_admin, clinician):
    token, _ = _token(clinic_admin, clinician)
    _login(client, clinic_admin)
    confirm = client.get(f"/staff/api-tokens/{token.pk}/revoke/")
    assert confirm.status_code == 200
    assert '<form method="post">' in confirm.content.decode()
    token.refresh_from_db()
    assert token.revoked_at is None
    response = client.post(f"/staff/api-tokens/{token.pk}/revoke/")
    assert response.status_code == 302
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert "Revoked" in client.get("/staff/api-tokens/").content.decode()


@pytest.mark.parametrize("role", [Role.CLINICIAN, Role.FRONT_DESK])
@pytest.mark.parametrize(("method", "path"), [("get", ""), ("get", "new/"), ("post", "new/"), ("post", "{pk}/revoke/")])
def test_token_pages_are_for_clinic_admins_only(client, clinic, clinic_admin, clinician, role, method, path):
    token, _ = _token(clinic_admin, clinician)
    _login(client, UserFactory(clinic=clinic, roles=[role]))
    response = getattr(client, method)(
        "/staff/api-tokens/" + path.format(pk=token.pk), {"owner": clinician.pk, "name": "X"}
    )
    assert response.status_code == 403
    token.refresh_from_db()
    assert token.revoked_at is None
    assert ApiToken.objects.count() == 1


@pytest.mark.parametrize("method", ["get", "post"])
def test_another_clinics_token_is_404(client, clinic_admin, other_clinic, method):
    other_admin = UserFactory(clinic=other_clinic, roles=[Role.CLINIC_ADMIN])
    foreign, _ = _token(other_admin, UserFactory(clinic=other_clinic, roles=[Role.CLINICIAN]))
    _login(client, clinic_admin)
    assert getattr(client, method)(f"/staff/api-tokens/{foreign.pk}/revoke/").status_code == 404
    assert foreign.name not in client.get("/staff/api-tokens/").content.decode()
    foreign.refresh_from_db()
    assert foreign.revoked_at is None


def test_token_list_empty_state(client, clinic_admin):
    assert "No API tokens yet" in _login(client, clinic_admin).get("/staff/api-tokens/").content.decode()


def test_staff_list_links_to_tokens(client, clinic_admin):
    assert 'href="/staff/api-tokens/"' in _login(client, clinic_admin).get("/staff/").content.decode()


def test_token_list_queries_do_not_grow_with_tokens(client, clinic, clinic_admin, django_assert_max_num_queries):
    _login(client, clinic_admin)

    def add(count: int, first: int = 0) -> None:
        for n in range(first, first + count):
            _token(clinic_admin, UserFactory(clinic=clinic, roles=[Role.CLINICIAN]), name=f"Export {n}")

    add(2)
    client.get("/staff/api-tokens/")
    with django_assert_max_num_queries(50) as captured:
        client.get("/staff/api-tokens/")
    small = len(captured)
    add(10, first=2)
    with django_assert_max_num_queries(small):
        response = client.get("/staff/api-tokens/")
    assert response.content.decode().count("/revoke/") == 12


# --- The Django admin -----------------------------------------------------------------------


def test_django_admin_lists_own_clinic_tokens_read_only_and_revokes(client, clinic_admin, clinician, other_clinic):
    token, _ = _token(clinic_admin, clinician, name="Ours")
    other_admin = UserFactory(clinic=other_clinic, roles=[Role.CLINIC_ADMIN])
    _token(other_admin, other_admin, name="Theirs")
    _login(client, clinic_admin)
    listing = client.get("/admin/clinic/apitoken/").content.decode()
    assert "Ours" in listing
    assert "Theirs" not in listing
    assert client.get("/admin/clinic/apitoken/add/").status_code == 403
    client.post("/admin/clinic/apitoken/", {"action": "revoke", "_selected_action": [token.pk]})
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert AuditEvent.objects.filter(action="api_token.revoked", actor=clinic_admin).count() == 1


# --- Scopes ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("clinical_scope", "owner_may_view_clinical", "made_by_owner", "refused"),
    [
        (False, False, False, None),
        (False, True, False, None),
        (False, True, True, None),
        (True, True, True, None),
        (True, False, True, "may not see clinical records"),
        (True, False, False, "may not see clinical records"),
        (
            True,
            True,
            False,
            "Only Dana Lead can give their own token access to clinical records: they make it under My API tokens.",
        ),
    ],
)
def test_scope_problem(clinical_scope, owner_may_view_clinical, made_by_owner, refused):
    problem = api_tokens.scope_problem(
        clinical_scope=clinical_scope,
        owner_may_view_clinical=owner_may_view_clinical,
        made_by_owner=made_by_owner,
        owner_name="Dana Lead",
    )
    assert problem is None if refused is None else refused in problem


def test_new_tokens_have_no_clinical_scope_unless_asked(clinician):
    plain, _ = _token(clinician, clinician)
    clinical, _ = _token(clinician, clinician, name="EHR", clinical_scope=True)

    assert (plain.clinical_scope, clinical.clinical_scope) == (False, True)
    row = AuditEvent.objects.filter(action="api_token.created", object_id=clinical.pk).get()
    assert "clinical_scope" in row.changed_fields


@pytest.mark.parametrize("role", [Role.FRONT_DESK, Role.CLINIC_ADMIN])
def test_a_clinical_scope_is_refused_for_staff_who_may_not_see_clinical_records(clinic, clinic_admin, role):
    owner = UserFactory(clinic=clinic, roles=[role])

    with pytest.raises(ValidationError) as refused:
        _token(clinic_admin, owner, clinical_scope=True)

    assert "clinical_scope" in refused.value.message_dict
    assert not ApiToken.objects.exists()


def test_the_admins_page_offers_no_clinical_scope_and_gives_none(client, clinic_admin, clinician, front_desk):
    _login(client, clinic_admin)
    form = client.get("/staff/api-tokens/new/").content.decode()
    assert 'name="clinical_scope"' not in form
    assert "made by its own staff member, under My API tokens" in form

    for owner in (clinician, front_desk):
        response = client.post(
            "/staff/api-tokens/new/", {"owner": owner.pk, "name": "Hospital EHR", "clinical_scope": "on"}
        )
        assert response.status_code == 200
        assert "without access to clinical records" in response.content.decode()

    assert ApiToken.objects.count() == 2
    assert not ApiToken.objects.filter(clinical_scope=True).exists()


# --- The token API --------------------------------------------------------------------------


def test_api_creates_a_token_shown_once_and_lists_it_without_the_secret(client, clinic_admin, clinician):
    _login(client, clinic_admin)

    created = client.post("/api/tokens/", {"owner": clinician.pk, "name": "EHR"}, content_type="application/json")

    assert created.status_code == 201
    body = created.json()
    token = ApiToken.objects.get()
    assert body["token"].startswith("stride_")
    assert token.token_hash == api_tokens.hash_token(body["token"])
    assert (body["owner"], body["clinical_scope"], body["status"]) == (clinician.pk, False, "active")
    listing = client.get("/api/tokens/")
    assert [row["id"] for row in listing.json()["results"]] == [token.pk]
    assert "token" not in listing.json()["results"][0]
    assert body["token"] not in listing.content.decode()
    assert client.get(f"/api/tokens/{token.pk}/").json()["prefix"] == token.prefix


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"name": "EHR"}, "owner"),
        ({"owner": 0, "name": "EHR"}, "owner"),
        ({"owner": "me", "name": "EHR"}, "owner"),
        ({"name": "x" * 81}, "name"),
        ({"expires_at": "2001-01-01T00:00:00Z", "name": "EHR"}, "detail"),
        ({"clinical_scope": "maybe", "name": "EHR"}, "clinical_scope"),
    ],
)
def test_api_refuses_bad_input_with_field_messages(client, clinic_admin, clinician, payload, field):
    _login(client, clinic_admin)
    payload = {"owner": clinician.pk, **payload} if "owner" not in payload and field != "owner" else payload

    response = client.post("/api/tokens/", payload, content_type="application/json")

    assert response.status_code == 400
    assert field in response.json()


def test_api_refuses_another_clinics_staff_and_clinical_scope_for_the_front_desk(
    client, clinic_admin, front_desk, other_clinic
):
    _login(client, clinic_admin)
    stranger = UserFactory(clinic=other_clinic, roles=[Role.CLINICIAN])

    foreign = client.post("/api/tokens/", {"owner": stranger.pk, "name": "X"}, content_type="application/json")
    desk = client.post(
        "/api/tokens/", {"owner": front_desk.pk, "name": "X", "clinical_scope": True}, content_type="application/json"
    )

    assert (foreign.status_code, desk.status_code) == (400, 400)
    assert "owner" in foreign.json()
    assert "clinical_scope" in desk.json()
    assert not ApiToken.objects.exists()


def test_api_revokes_and_audits(client, clinic_admin, clinician):
    token, raw = _token(clinic_admin, clinician)
    _login(client, clinic_admin)

    response = client.post(f"/api/tokens/{token.pk}/revoke/")

    assert response.status_code == 200
    assert response.json()["status"] == "revoked"
    assert AuditEvent.objects.filter(action="api_token.revoked", object_id=token.pk).count() == 1
    client.logout()
    assert client.get("/api/patients/", headers=_bearer(raw)).status_code == 401


def test_a_token_lists_tokens_but_may_not_create_one(client, clinic_admin, clinician):
    _, raw = _token(clinic_admin, clinic_admin, name="Admin tool")

    listing = client.get("/api/tokens/", headers=_bearer(raw))
    created = client.post(
        "/api/tokens/",
        {"owner": clinician.pk, "name": "Successor"},
        content_type="application/json",
        headers=_bearer(raw),
    )

    assert listing.status_code == 200
    assert created.status_code == 403
    assert ApiToken.objects.count() == 1


# --- Clinical records: only through a token its owner made ----------------------------------

ONLY_THE_OWNER = "Only Dana Lead can give their own token access to clinical records: they make it under My API tokens."
CLINICAL_READS = ("/api/intakes/", "/api/assessments/", "/api/plans/", "/api/findings/")


def _clinical_statuses(client, raw: str, patient) -> list[int]:
    paths = [*CLINICAL_READS, f"/fhir/Patient/{patient.pk}/$everything", f"/fhir/Patient/{patient.pk}"]
    return [client.get(path, headers=_bearer(raw)).status_code for path in paths]


def test_an_admin_cannot_give_a_clinicians_token_clinical_reach(clinic_admin, clinician):
    with pytest.raises(ValidationError) as refused:
        _token(clinic_admin, clinician, clinical_scope=True)

    assert refused.value.message_dict == {"clinical_scope": [ONLY_THE_OWNER]}
    assert not ApiToken.objects.exists()
    assert not AuditEvent.objects.filter(action="api_token.created").exists()


def test_a_clinician_who_is_also_an_admin_gives_only_their_own_token_clinical_reach(clinic, clinician):
    both = UserFactory(clinic=clinic, roles=[Role.CLINIC_ADMIN, Role.CLINICIAN])

    own, _ = _token(both, both, clinical_scope=True)
    with pytest.raises(ValidationError, match="Only Dana Lead"):
        _token(both, clinician, clinical_scope=True)

    assert list(ApiToken.objects.all()) == [own]


def test_the_api_refuses_an_admin_a_clinical_token_for_someone_else(client, clinic_admin, clinician):
    _login(client, clinic_admin)

    response = client.post(
        "/api/tokens/", {"owner": clinician.pk, "name": "EHR", "clinical_scope": True}, content_type="application/json"
    )

    assert response.status_code == 400
    assert response.json()["clinical_scope"] == [ONLY_THE_OWNER]
    assert not ApiToken.objects.exists()


def test_the_django_admin_makes_no_token_and_changes_no_scope(client, clinic_admin, clinician):
    """Tokens are made on the pages, through the service; the Django admin only lists and revokes."""
    token, _ = _token(clinic_admin, clinician)
    _login(client, clinic_admin)

    added = client.post("/admin/clinic/apitoken/add/", {"owner": clinician.pk, "name": "X", "clinical_scope": "on"})
    changed = client.post(f"/admin/clinic/apitoken/{token.pk}/change/", {"clinical_scope": "on"})

    assert (added.status_code, changed.status_code) == (403, 403)
    assert list(ApiToken.objects.values_list("clinical_scope", flat=True)) == [False]


def test_the_database_refuses_a_clinical_scope_given_by_someone_else(clinic_admin, clinician):
    _row(clinician, clinician, clinical_scope=True, token_hash="b" * 64)
    _row(clinician, clinic_admin, name="Plain", token_hash="c" * 64)
    with pytest.raises(IntegrityError, match="api_token_clinical_scope_by_owner"), transaction.atomic():
        _row(clinician, clinic_admin, name="Clinical", clinical_scope=True)


@pytest.mark.parametrize(
    ("auth", "allowed"),
    [
        (None, True),  # a session: the roles alone decide
        (ApiToken(owner_id=1, created_by_id=1, clinical_scope=True), True),
        (ApiToken(owner_id=1, created_by_id=1, clinical_scope=False), False),
        (ApiToken(owner_id=1, created_by_id=2, clinical_scope=False), False),
        # A row the database would refuse today, such as one written before the rule: still no reach.
        (ApiToken(owner_id=1, created_by_id=2, clinical_scope=True), False),
    ],
)
def test_token_allows_clinical(auth, allowed):
    assert permissions.token_allows_clinical(auth) is allowed


def _make_tokens(apps, clinician, makers, **fields) -> dict[str, str]:
    """Tokens of ``clinician`` written with the ApiToken model of ``apps``, one by each maker
    (name: user); their raw values by name."""
    raws = {}
    for name, maker in makers.items():
        raws[name], prefix, token_hash = api_tokens.new_token()
        apps.get_model("clinic", "ApiToken").objects.create(
            owner_id=clinician.pk, created_by_id=maker.pk, name=name, prefix=prefix, token_hash=token_hash, **fields
        )
    return raws


@pytest.mark.django_db(transaction=True)
def test_tokens_made_before_scopes_or_before_the_rule_reach_clinical_records_only_if_their_owner_made_them(
    clinic_admin, clinician, patient
):
    """Migration 0006 gave the tokens made before scopes the clinical scope; 0015 takes it back from
    those someone else made, since only the owner may give it, whether 0006 gave it or the token
    was made with it before the rule. One trip back through both migrations serves both."""
    before_scopes = _make_tokens(
        migrating.migrate([("clinic", "0005_api_token")]), clinician, {"Own": clinician, "Admin's": clinic_admin}
    )
    before_rule = _make_tokens(
        migrating.migrate([("clinic", "0014_plausible_dates")]),
        clinician,
        {"Admin's, scoped": clinic_admin, "Own, scoped": clinician},
        clinical_scope=True,
    )
    migrating.migrate()

    assert api_tokens.find_token(before_scopes["Own"]).clinical_scope is True
    assert api_tokens.find_token(before_scopes["Admin's"]).clinical_scope is False

    client = Client()
    admins = api_tokens.find_token(before_rule["Admin's, scoped"])
    assert _clinical_statuses(client, before_rule["Admin's, scoped"], patient) == [403] * 6
    assert _patient_ids(client.get("/api/patients/", headers=_bearer(before_rule["Admin's, scoped"]))) == {patient.pk}
    assert _clinical_statuses(client, before_rule["Own, scoped"], patient) == [200] * 6
    assert admins.clinical_scope is False
    # One withdrawal recorded for each token it was taken back from, by no one.
    withdrawn = AuditEvent.objects.filter(action="api_token.clinical_scope_withdrawn")
    taken_back = [admins, api_tokens.find_token(before_scopes["Admin's"])]
    assert sorted((event.object_id, event.clinic_id, event.actor_id) for event in withdrawn) == sorted(
        (token.pk, clinician.clinic_id, None) for token in taken_back
    )


# --- My API tokens: each staff member's own ---------------------------------------------------


def _raw_on(response) -> str:
    return re.search(r'value="(stride_[^"]+)"', response.content.decode()).group(1)


@pytest.mark.parametrize("role", [Role.CLINICIAN, Role.FRONT_DESK, Role.CLINIC_ADMIN])
def test_every_staff_member_finds_my_api_tokens_in_the_header(client, clinic, role):
    page = _login(client, UserFactory(clinic=clinic, roles=[role])).get("/")
    assert 'href="/accounts/api-tokens/"' in page.content.decode()
    assert client.get("/accounts/api-tokens/").status_code == 200


def test_a_clinician_makes_their_own_clinical_token_and_it_reads_clinical_records(client, clinician, patient):
    _login(client, clinician)
    form = client.get("/accounts/api-tokens/new/").content.decode()
    assert 'name="clinical_scope"' in form
    assert 'name="owner"' not in form

    created = client.post("/accounts/api-tokens/new/", {"name": "Hospital EHR", "clinical_scope": "on"})

    assert created.status_code == 200
    assert "no-store" in created.headers["Cache-Control"]
    assert "acts as you" in created.content.decode()
    raw = _raw_on(created)
    token = ApiToken.objects.get()
    assert (token.owner, token.created_by, token.clinical_scope) == (clinician, clinician, True)
    event = AuditEvent.objects.get(action="api_token.created")
    assert (event.actor, event.object_id) == (clinician, token.pk)
    client.logout()
    assert _clinical_statuses(Client(), raw, patient) == [200] * 6


def test_the_raw_token_is_shown_once(client, clinician):
    _login(client, clinician)
    raw = _raw_on(client.post("/accounts/api-tokens/new/", {"name": "EHR", "clinical_scope": "on"}))
    token = ApiToken.objects.get()

    pages = [
        client.get("/accounts/api-tokens/"),
        client.get("/accounts/api-tokens/new/"),
        client.get(f"/accounts/api-tokens/{token.pk}/revoke/"),
    ]

    for page in pages:
        assert page.status_code == 200
        assert raw not in page.content.decode()
        assert raw[len("stride_") :] not in page.content.decode()
    listing = pages[0].content.decode()
    assert f"stride_{token.prefix}…" in listing
    assert "by you" in listing
    assert token.token_hash == api_tokens.hash_token(raw)


@pytest.mark.parametrize("role", [Role.FRONT_DESK, Role.CLINIC_ADMIN])
def test_the_clinical_tick_is_only_for_who_may_see_clinical_records(client, clinic, role):
    member = UserFactory(clinic=clinic, roles=[role])
    _login(client, member)
    assert 'name="clinical_scope"' not in client.get("/accounts/api-tokens/new/").content.decode()

    created = client.post("/accounts/api-tokens/new/", {"name": "Desk export", "clinical_scope": "on"})

    assert "without access to clinical records" in created.content.decode()
    assert ApiToken.objects.values_list("owner", "clinical_scope").get() == (member.pk, False)


def test_my_api_tokens_lists_ones_own_whoever_made_them(client, clinic_admin, clinician, front_desk):
    _token(clinic_admin, front_desk, name="Desk export")
    _token(front_desk, front_desk, name="Own export")
    _token(clinician, clinician, name="Clinician's EHR", clinical_scope=True)

    listing = _login(client, front_desk).get("/accounts/api-tokens/").content.decode()

    assert "Desk export" in listing
    assert f"by {clinic_admin.full_name}" in listing
    assert "Own export" in listing
    assert "Clinician's EHR" not in listing
    assert clinician.full_name not in listing


def test_a_staff_member_revokes_their_own_token(client, clinic_admin, front_desk):
    token, raw = _token(clinic_admin, front_desk)
    _login(client, front_desk)

    confirm = client.get(f"/accounts/api-tokens/{token.pk}/revoke/")
    revoked = client.post(f"/accounts/api-tokens/{token.pk}/revoke/")

    assert '<form method="post">' in confirm.content.decode()
    assert (revoked.status_code, revoked["Location"]) == (302, "/accounts/api-tokens/")
    token.refresh_from_db()
    assert token.revoked_at is not None
    event = AuditEvent.objects.get(action="api_token.revoked")
    assert (event.actor, event.object_id) == (front_desk, token.pk)
    assert Client().get("/api/patients/", headers=_bearer(raw)).status_code == 401


@pytest.mark.parametrize("method", ["get", "post"])
def test_another_persons_token_is_not_revocable_by_a_non_admin(client, clinic, clinician, front_desk, method):
    token, _ = _token(clinician, clinician, clinical_scope=True)
    _login(client, front_desk)

    own_page = getattr(client, method)(f"/accounts/api-tokens/{token.pk}/revoke/")
    admin_page = getattr(client, method)(f"/staff/api-tokens/{token.pk}/revoke/")
    api = client.post(f"/api/tokens/{token.pk}/revoke/")

    assert (own_page.status_code, admin_page.status_code, api.status_code) == (404, 403, 403)
    with pytest.raises(PermissionDenied):
        api_tokens.api_token_revoke(actor=front_desk, token=token)
    token.refresh_from_db()
    assert token.revoked_at is None


def test_a_clinic_admin_still_lists_and_revokes_a_clinicians_own_token(client, clinic_admin, clinician):
    token, _ = _token(clinician, clinician, name="Hospital EHR", clinical_scope=True)
    _login(client, clinic_admin)

    listing = client.get("/staff/api-tokens/").content.decode()
    client.post(f"/staff/api-tokens/{token.pk}/revoke/")

    assert "Hospital EHR" in listing
    assert "<td>Clinical records</td>" in listing
    token.refresh_from_db()
    assert token.revoked_at is not None


def test_own_token_form_errors_keep_the_input(client, clinician):
    _token(clinician, clinician, name="EHR")
    _login(client, clinician)

    response = client.post("/accounts/api-tokens/new/", {"name": "EHR", "expires_on": "2020-01-01"})
    again = client.post("/accounts/api-tokens/new/", {"name": "EHR"})

    assert "Choose today or a later day" in response.content.decode()
    assert 'value="EHR"' in response.content.decode()
    assert "already has a token with this name" in again.content.decode()
    assert ApiToken.objects.count() == 1


def test_an_account_of_no_clinic_has_no_token_pages(client, db):
    superuser = UserFactory(clinic=None, is_superuser=True, is_staff=True)
    _login(client, superuser)

    statuses = [client.get(path).status_code for path in ("/accounts/api-tokens/", "/accounts/api-tokens/new/")]

    assert statuses == [403, 403]
    assert 'href="/accounts/api-tokens/"' not in client.get("/accounts/password/").content.decode()


def test_my_token_list_queries_do_not_grow_with_tokens(client, clinician, django_assert_max_num_queries):
    _login(client, clinician)
    _token(clinician, clinician, name="Export 0")
    client.get("/accounts/api-tokens/")
    with django_assert_max_num_queries(50) as captured:
        client.get("/accounts/api-tokens/")
    small = len(captured)
    for n in range(1, 8):
        _token(clinician, clinician, name=f"Export {n}")
    with django_assert_max_num_queries(small):
        response = client.get("/accounts/api-tokens/")
    assert response.content.decode().count("/revoke/") == 8


def test_a_token_request_keeps_the_clinics_date_when_utc_is_already_tomorrow(client, clinic_admin, clinician, patient):
    """20:00 in Chicago is 02:00 the next day in UTC: a token's writes use the clinic's date,
    as a signed-in session's do."""
    _, raw = _token(clinic_admin, clinician)
    with time_machine.travel(datetime.datetime(2026, 3, 3, 2, 0, tzinfo=datetime.UTC), tick=False):
        opened = client.post(
            "/api/episodes/",
            {"patient": patient.pk, "presenting_complaint": "Hip pain", "lead_clinician": clinician.pk},
            content_type="application/json",
            headers=_bearer(raw),
        )
        assert opened.status_code == 201, opened.content
        assert opened.json()["opened_on"] == "2026-03-02"
        moved = client.patch(
            f"/api/episodes/{opened.json()['id']}/",
            {"opened_on": "2026-03-03"},
            content_type="application/json",
            headers=_bearer(raw),
        )
    assert moved.status_code == 400
    assert "future" in str(moved.json()["opened_on"])
