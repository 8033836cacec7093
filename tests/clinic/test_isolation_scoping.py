"""Tenant isolation, the class closed: every queryset a user sees rows of (API filter choices,
serializer related fields, form and Django admin choice fields, autocomplete) comes from
``permissions.scoped`` (or ``clinic_rows`` in the admin), and another clinic's id, in a body, a
filter or an admin form, is answered exactly as an id that does not exist.

The two-clinic world is tests/routes.py's; the walk over every route is tests/clinic/test_isolation.py.
"""

from __future__ import annotations

import datetime
import inspect
import json

import pytest
from django import forms
from django.apps import apps
from django.contrib import admin
from django.contrib.admin.models import LogEntry
from django.contrib.auth.models import AnonymousUser
from django.contrib.contenttypes.models import ContentType
from django.test import RequestFactory
from django.urls import get_resolver
from django.utils import timezone
from django_filters.filters import QuerySetRequestMixin
from rest_framework import serializers
from rest_framework.relations import ManyRelatedField, RelatedField
from rest_framework.request import Request

from clinic import permissions
from clinic.admin_site import ClinicScopedAdmin, ClinicScopedInline, ScopedRawIdWidget
from clinic.drf import ScopedFilterBackend, ScopedPrimaryKeyRelatedField
from clinic.models import ClinicianProfile, User
from clinic.permissions import Role
from clinic.urls import router
from tests.routes import (
    SESSION_ROLES,
    client_for,
    clinic_rows,
    cross_clinic_references,
    filter_values,
    leaks,
    response_text,
    row_ids,
    seeded_world,
    snapshot,
)

PROJECT_APPS = ("clinic", "intake", "assessments", "plans")


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    with seeded_world(django_db_blocker) as built:
        yield built


# --- Clinic B's ids in bodies and filters -------------------------------------------------------

MISSING_ID = 987_654_321


def _b_id_bodies(world) -> list[tuple[str, str, str, str, dict]]:
    """(role, method, path, field, body) with one of clinic B's ids in ``field``."""
    a, b = world.a, world.b
    day = (timezone.localdate() - datetime.timedelta(days=1)).isoformat()
    starts = (timezone.now() + datetime.timedelta(days=4)).isoformat()
    episode = {"presenting_complaint": "Hip pain", "patient": a.patient.pk, "lead_clinician": a.users["clinician"].pk}
    return [
        ("front_desk", "POST", "/api/episodes/", "patient", {**episode, "patient": b.patient.pk}),
        (
            "front_desk",
            "POST",
            "/api/episodes/",
            "lead_clinician",
            {**episode, "lead_clinician": b.users["clinician"].pk},
        ),
        (
            "front_desk",
            "PATCH",
            f"/api/episodes/{a.episode.pk}/",
            "lead_clinician",
            {"lead_clinician": b.users["clinician"].pk},
        ),
        ("front_desk", "POST", "/api/intake-invitations/", "episode", {"episode": b.episode.pk}),
        (
            "clinician",
            "POST",
            "/api/assessments/",
            "episode",
            {"episode": b.episode.pk, "kind": "reassessment", "assessed_on": day},
        ),
        (
            "clinician",
            "POST",
            "/api/findings/",
            "assessment",
            {"assessment": b.assessment.pk, "label": "x", "reason": "y"},
        ),
        ("clinician", "POST", "/api/plans/", "assessment", {"assessment": b.assessment.pk}),
        (
            "front_desk",
            "POST",
            "/api/appointments/",
            "episode",
            {
                "episode": b.episode.pk,
                "clinician": a.users["clinician"].pk,
                "starts_at": starts,
                "override_reason": "x",
            },
        ),
        (
            "front_desk",
            "POST",
            "/api/appointments/",
            "clinician",
            {
                "episode": a.episode.pk,
                "clinician": b.users["clinician"].pk,
                "starts_at": starts,
                "override_reason": "x",
            },
        ),
        ("clinic_admin", "POST", "/api/tokens/", "owner", {"owner": b.users["front_desk"].pk, "name": "Cross-clinic"}),
    ]


@pytest.mark.parametrize("case", range(10))
def test_another_clinics_id_in_a_body_answers_like_a_missing_one(world, db, case):
    """An API write naming another clinic's row in its body is refused with the very answer an id
    that does not exist gets (no existence oracle), and creates nothing."""
    role, method, path, field, body = _b_id_bodies(world)[case]
    client = client_for(world, role)
    before = snapshot(world.b.clinic)

    foreign = client.generic(method, path, json.dumps(body), content_type="application/json")
    missing = client.generic(method, path, json.dumps({**body, field: MISSING_ID}), content_type="application/json")

    assert foreign.status_code == 400, foreign.content[:300]

    def normalise(response) -> str:
        return response.content.decode().replace(str(MISSING_ID), "ID").replace(str(body[field]), "ID")

    assert (foreign.status_code, normalise(foreign)) == (missing.status_code, normalise(missing))
    assert leaks(response_text(foreign)) == []
    assert snapshot(world.b.clinic) == before
    assert cross_clinic_references() == []


def _filter_cases():
    """Every model filter of every API list: (list path, filter name)."""
    backend = ScopedFilterBackend()
    for prefix, viewset, _ in router.registry:
        filterset = backend.get_filterset_class(viewset(), viewset.queryset)
        if filterset is None:
            continue
        for name, declared in filterset.base_filters.items():
            if isinstance(declared, QuerySetRequestMixin):
                yield pytest.param(f"/api/{prefix}/", name, id=f"{prefix}?{name}")


@pytest.mark.parametrize(("path", "name"), list(_filter_cases()))
def test_another_clinics_id_in_a_filter_answers_like_a_missing_one(world, db, path, name):
    """``?episode=<clinic B's episode>`` answers exactly as ``?episode=<no such id>``: 400 with
    the same message (before, it answered 200 with an empty list, and 400 for a missing id)."""
    client = client_for(world, "clinician")
    viewset = next(viewset for prefix, viewset, _ in router.registry if f"/api/{prefix}/" == path)
    b_id = dict(filter_values(viewset, world.b))[name]

    foreign = client.get(path, {name: b_id})
    missing = client.get(path, {name: MISSING_ID})

    assert foreign.status_code == missing.status_code == 400, foreign.content[:300]
    assert foreign.content.decode().replace(str(b_id), "ID") == missing.content.decode().replace(str(MISSING_ID), "ID")


# --- The Django admin: saving a row that points at another clinic's ------------------------------


def _admin_b_id_posts(world) -> list[tuple[str, str, dict]]:
    """(add page, field, form data with clinic B's row in ``field``)."""
    a, b = world.a, world.b
    return [
        ("/admin/clinic/clinicianprofile/add/", "user", {"user": b.users["front_desk"].pk, "credentials": "PT"}),
        (
            "/admin/scheduling/workinghours/add/",
            "clinician",
            {"clinician": b.users["clinician"].pk, "weekday": 2, "start": "08:00", "end": "12:00"},
        ),
        (
            "/admin/scheduling/timeoff/add/",
            "clinician",
            {
                "clinician": b.users["clinician"].pk,
                "starts_at_0": "2030-01-01",
                "starts_at_1": "08:00",
                "ends_at_0": "2030-01-01",
                "ends_at_1": "12:00",
                "reason": "x",
            },
        ),
        (
            "/admin/outbox/messagewording/add/",
            "appointment_type",
            {
                "clinic": a.clinic.pk,
                "kind": "second",
                "appointment_type": b.appointmenttype.pk,
                "subject": "s",
                "body": "b",
                "sms_body": "t",
            },
        ),
        (
            "/admin/plans/planrule/add/",
            "items-0-intervention",
            {
                "name": "Rule",
                "when_findings": "[]",
                "when_load_facts": "[]",
                "when_intake": "[]",
                "running_advice": "[]",
                "visits_per_week": 1,
                "weeks": 6,
                "active": "on",
                "items-TOTAL_FORMS": 1,
                "items-INITIAL_FORMS": 0,
                "items-0-intervention": b.intervention.pk,
                "items-0-order": 0,
            },
        ),
    ]


@pytest.mark.parametrize("case", range(5))
def test_the_admin_refuses_a_row_pointing_at_another_clinic(world, db, case):
    """A clinic admin saving a row that points at another clinic's record gets a form error on that
    field, exactly as for an id that does not exist; nothing is saved (ClinicianProfileAdmin used to
    create a profile of clinic B's user, which clinic B then saw)."""
    path, field, data = _admin_b_id_posts(world)[case]
    client = client_for(world, "clinic_admin")
    before = snapshot(world.b.clinic)

    response = client.post(path, data)

    assert response.status_code == 200, (response.status_code, response.headers.get("Location"))
    errors = response.context["adminform"].form.errors
    inline_errors = [form.errors for formset in response.context["inline_admin_formsets"] for form in formset.formset]
    field_name = field.rsplit("-", 1)[-1]
    assert field in errors or any(field_name in form_errors for form_errors in inline_errors), (errors, inline_errors)
    assert leaks(response_text(response)) == []
    assert snapshot(world.b.clinic) == before
    assert cross_clinic_references() == []


def test_clinic_a_cannot_give_clinic_b_staff_a_clinician_profile(world, db):
    """The reported case, end to end: the profile is not created, and the select never offered
    clinic B's staff."""
    client = client_for(world, "clinic_admin")
    page = client.get("/admin/clinic/clinicianprofile/add/")
    assert f'value="{world.b.users["front_desk"].pk}"' not in page.content.decode()

    client.post("/admin/clinic/clinicianprofile/add/", {"user": world.b.users["front_desk"].pk, "credentials": "PT"})

    assert not ClinicianProfile.objects.filter(user=world.b.users["front_desk"]).exists()


def test_a_raw_id_names_no_row_of_another_clinic(world, db):
    """The name the admin shows beside a raw id box is looked up among the admin's own rows."""
    user = world.a.users["clinic_admin"]
    request = RequestFactory().get("/admin/")
    request.user = user
    for model_admin in _admins():
        if isinstance(model_admin, admin.options.InlineModelAdmin):
            form = model_admin.get_formset(request).form
        else:
            form = model_admin.get_form(request)
        for name, form_field in form.base_fields.items():
            widget = getattr(form_field.widget, "widget", form_field.widget)
            if isinstance(widget, ScopedRawIdWidget):
                foreign = world.b.rows[form_field.queryset.model].pk
                assert widget.label_and_url_for_value(foreign) == ("", ""), (model_admin, name)


def test_view_on_site_and_history_of_another_clinics_row_answer_as_for_a_missing_one(world, db):
    client = client_for(world, "clinic_admin")
    patient_type = ContentType.objects.get_for_model(world.b.patient).pk
    assert client.get(f"/admin/r/{patient_type}/{world.b.patient.pk}/").status_code == 404
    assert client.get(f"/admin/r/{patient_type}/{MISSING_ID}/").status_code == 404
    history = client.get(f"/admin/clinic/patient/{world.b.patient.pk}/history/")
    missing = client.get(f"/admin/clinic/patient/{MISSING_ID}/history/")
    assert history.status_code == missing.status_code == 302
    assert LogEntry.objects.filter(object_id=str(world.b.patient.pk)).exists()


# --- Closing the class: every choice comes from permissions.scoped ----------------------------------


def _user_request(user, path: str = "/api/"):
    request = RequestFactory().get(path)
    request.user = user
    return request


def _b_ids(world):
    """Model -> ids of clinic B's rows (empty for a model of no clinic)."""
    ids = row_ids(world.b.clinic)
    return lambda model: ids.get(model, set())


def test_every_model_and_every_foreign_key_target_has_a_clinic(world, db):
    """A new model (or a new foreign key to one) must say whose clinic its rows are in, or be
    declared shared: ``permissions.scoped`` refuses a model it cannot place."""
    unplaced = []
    for config in apps.get_app_configs():
        if not config.name.startswith(PROJECT_APPS):
            continue
        for model in config.get_models():
            for target in [model, *(f.related_model for f in model._meta.concrete_fields if f.is_relation)]:
                label = target._meta.label_lower
                if label not in permissions.CLINIC_PATHS and label not in permissions.SHARED_MODELS:
                    unplaced.append(label)
    assert sorted(set(unplaced)) == []


def test_the_clinic_paths_find_the_same_rows_as_following_the_foreign_keys(world, db):
    """Each path of ``permissions.CLINIC_PATHS`` finds exactly the rows that tests/routes.py finds
    by walking foreign keys to the clinic, in both clinics."""
    for key in "ab":
        user = world.side(key).users["clinic_admin"]
        for model, rows in clinic_rows(world.side(key).clinic):
            assert set(permissions.clinic_rows(user, model).values_list("pk", flat=True)) == set(
                rows.values_list("pk", flat=True)
            ), model


def _project_subclasses(base) -> list[type]:
    found, pending = [], [base]
    while pending:
        for subclass in pending.pop().__subclasses__():
            pending.append(subclass)
            if subclass.__module__.startswith(PROJECT_APPS) and not inspect.isabstract(subclass):
                found.append(subclass)
    return found


def _related_fields(serializer) -> list[tuple[str, RelatedField]]:
    found = []
    for name, field in serializer.fields.items():
        if isinstance(field, ManyRelatedField):
            field = field.child_relation
        if isinstance(field, serializers.ListSerializer):
            field = field.child
        if isinstance(field, serializers.Serializer):
            found += [(f"{name}.{inner}", related) for inner, related in _related_fields(field)]
        elif isinstance(field, RelatedField) and not field.read_only:
            found.append((name, field))
    return found


@pytest.mark.parametrize("role", SESSION_ROLES)
def test_every_serializer_related_field_is_scoped(world, db, role):
    """Every writable related field of every API serializer looks ids up with
    ``permissions.scoped``: it holds none of clinic B's rows, for any role."""
    # Importing the URLconf imports every API module, so every serializer class exists.
    get_resolver().url_patterns  # noqa: B018
    b_ids = _b_ids(world)
    request = Request(_user_request(world.a.users[role]))
    problems = []
    for serializer_class in _project_subclasses(serializers.Serializer):
        if issubclass(serializer_class, serializers.ModelSerializer) and not hasattr(serializer_class, "Meta"):
            continue  # a base class, such as ScopedModelSerializer
        try:
            serializer = serializer_class(context={"request": request})
        except TypeError:
            continue  # needs arguments of its own; none of these has related fields
        for name, field in _related_fields(serializer):
            model = field.get_queryset().model
            if not isinstance(field, ScopedPrimaryKeyRelatedField):
                problems.append(f"{serializer_class.__qualname__}.{name} is not a ScopedPrimaryKeyRelatedField")
            elif set(field.get_queryset().values_list("pk", flat=True)) & b_ids(model):
                problems.append(f"{serializer_class.__qualname__}.{name} offers clinic B's rows")
    assert problems == []


@pytest.mark.parametrize("role", SESSION_ROLES)
def test_every_api_filter_choice_is_scoped(world, db, role):
    """Every model choice of every API list's filters (what the browsable API's filter form lists,
    and what ``?field=<id>`` is checked against) holds none of clinic B's rows."""
    b_ids = _b_ids(world)
    request = Request(_user_request(world.a.users[role]))
    backend = ScopedFilterBackend()
    problems = []
    for prefix, viewset, _ in router.registry:
        view = viewset(request=request, format_kwarg=None, action="list")
        filterset = backend.get_filterset(request, viewset.queryset.model._default_manager.none(), view)
        if filterset is None:
            continue
        for name, declared in filterset.filters.items():
            if isinstance(declared, QuerySetRequestMixin):
                rows = declared.get_queryset(request)
                if set(rows.values_list("pk", flat=True)) & b_ids(rows.model):
                    problems.append(f"/api/{prefix}/?{name}= offers clinic B's rows")
    assert problems == []


def test_every_form_model_choice_starts_empty(world, db):
    """A form's model choice field offers nothing until the form is given the user's scoped rows
    (``permissions.scoped``, through a selector): a form built without them cannot list another
    clinic's rows. ModelForms' generated foreign keys count too."""
    get_resolver().url_patterns  # noqa: B018
    problems = []
    for form_class in _project_subclasses(forms.BaseForm):
        for name, field in getattr(form_class, "base_fields", {}).items():
            if (
                isinstance(field, forms.ModelChoiceField)
                and field.queryset is not None
                and not field.queryset.query.is_empty()
            ):
                problems.append(f"{form_class.__module__}.{form_class.__qualname__}.{name}")
    assert problems == []


def _admins():
    for model_admin in admin.site._registry.values():
        yield model_admin
        yield from (inline(model_admin.model, admin.site) for inline in model_admin.inlines)


def test_every_admin_of_clinic_data_is_clinic_scoped():
    for model, model_admin in admin.site._registry.items():
        if model._meta.label_lower in permissions.CLINIC_PATHS:
            assert isinstance(model_admin, ClinicScopedAdmin), model
            for inline in model_admin.inlines:
                assert issubclass(inline, ClinicScopedInline), inline
        else:
            # Models of no clinic (role groups, the lockout log): superusers only.
            request = _user_request(User(is_staff=True, is_active=True, is_superuser=False), "/admin/")
            assert not model_admin.has_module_permission(request), model


def test_every_admin_choice_and_list_filter_is_scoped(world, db):
    """Every foreign-key and many-to-many choice of every admin form (add and change, inlines
    too) and every related-field list filter holds none of clinic B's rows for clinic A's admin."""
    b_ids = _b_ids(world)
    user = world.a.users["clinic_admin"]
    request = _user_request(user, "/admin/")
    problems = []
    for model_admin in _admins():
        owner = type(model_admin).__qualname__
        if isinstance(model_admin, admin.options.InlineModelAdmin):
            form_classes = [model_admin.get_formset(request).form]
        else:
            row = world.a.rows.get(model_admin.model)
            form_classes = [model_admin.get_form(request), *([model_admin.get_form(request, row)] if row else [])]
        for form_class in form_classes:
            for name, field in form_class.base_fields.items():
                if isinstance(field, forms.ModelChoiceField):
                    rows = field.queryset
                    if set(rows.values_list("pk", flat=True)) & b_ids(rows.model):
                        problems.append(f"{owner}.{name} offers clinic B's rows")
        if not isinstance(model_admin, admin.options.InlineModelAdmin):
            for entry in model_admin.get_list_filter(request):
                if isinstance(entry, tuple):
                    field = model_admin.model._meta.get_field(entry[0])
                    choices = entry[1](field, request, {}, model_admin.model, model_admin, entry[0]).lookup_choices
                    if {pk for pk, _ in choices} & b_ids(field.related_model):
                        problems.append(f"{owner} list filter {entry[0]} offers clinic B's rows")
    assert problems == []


def test_the_admin_autocomplete_offers_only_the_admins_clinic(world, db):
    client = client_for(world, "clinic_admin")
    response = client.get(
        "/admin/autocomplete/",
        {"app_label": "plans", "model_name": "ruleitem", "field_name": "intervention", "term": ""},
    )
    assert response.status_code == 200
    ids = {int(result["id"]) for result in response.json()["results"]}
    assert ids
    assert not ids & _b_ids(world)(type(world.b.intervention))


def test_a_related_list_filter_offers_only_the_admins_clinic(world, db):
    """A list filter on a foreign key (none of the admins has one today) becomes a scoped filter:
    its choices are the admin's clinic's rows, where Django's own lists every clinic's staff."""
    from clinic.scheduling.models import WorkingHours

    class HoursByClinician(ClinicScopedAdmin):
        list_filter = ["clinician", "weekday"]

    model_admin = HoursByClinician(WorkingHours, admin.site)
    request = _user_request(world.a.users["clinic_admin"], "/admin/scheduling/workinghours/")
    (name, filter_class), weekday = model_admin.get_list_filter(request)
    field = WorkingHours._meta.get_field(name)
    choices = {pk for pk, _ in filter_class(field, request, {}, WorkingHours, model_admin, name).lookup_choices}

    assert weekday == "weekday"
    assert world.a.users["clinician"].pk in choices
    assert not choices & _b_ids(world)(User)


@pytest.mark.parametrize("role", SESSION_ROLES)
def test_scoped_never_holds_another_clinics_rows(world, db, role):
    """``permissions.scoped`` of every model of clinic data, for every role of clinic A: none of
    clinic B's rows; and nothing at all without a signed-in user of a clinic."""
    b_ids = _b_ids(world)
    user = world.a.users[role]
    for label in permissions.CLINIC_PATHS:
        model = apps.get_model(label)
        assert not set(permissions.scoped(user, model).values_list("pk", flat=True)) & b_ids(model), label
        assert not permissions.scoped(None, model).exists(), label
        assert not permissions.scoped(AnonymousUser(), model).exists(), label


def test_a_clinic_admin_adds_staff_to_their_own_clinic_whatever_clinic_is_posted(world, db):
    """The add form has no clinic field for a clinic admin: a clinic posted anyway is ignored."""
    client = client_for(world, "clinic_admin")
    before = snapshot(world.b.clinic)

    response = client.post(
        "/admin/clinic/user/add/",
        {
            "email": "new.person@lakeside.example.test",
            "full_name": "New Person",
            "clinic": world.b.clinic.pk,
            "roles": [Role.FRONT_DESK.value],
        },
    )

    assert response.status_code == 302, response.context and response.context["adminform"].form.errors
    assert User.objects.get(email="new.person@lakeside.example.test").clinic_id == world.a.clinic.pk
    assert snapshot(world.b.clinic) == before
