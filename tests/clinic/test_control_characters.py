"""Control characters are refused with a message on the field wherever text is accepted: every
form and serializer of the app (found by walking the code, so a new one is checked without
editing this file), the Django admin's forms and search, every key and value of an API body,
the intake's drafts and the pages that read a value without a form. On PostgreSQL a NUL used
to end in a 500 (text and jsonb refuse it)."""

from __future__ import annotations

import datetime
import importlib
import pkgutil

import pytest
from django import forms
from django.contrib import admin
from django.test import RequestFactory
from django.utils import timezone
from django.utils.datastructures import MultiValueDict
from rest_framework import serializers
from rest_framework.exceptions import ValidationError as ApiValidationError
from rest_framework.request import Request

from clinic import text_input, thresholds
from clinic.drf import ScopedModelSerializer
from clinic.permissions import Role
from clinic.scheduling.models import Appointment
from intake import instruments
from intake.models import Intake
from plans.signed import SignedItem
from running.services import readiness as readiness_services
from tests.factories import AppointmentFactory, UserFactory
from tests.intake.helpers import VALID, post_step, send_invitation, step_url

pytestmark = pytest.mark.django_db

PACKAGES = ("clinic", "intake", "assessments", "plans", "notes", "running")
# NUL (PostgreSQL refuses it), ESC (a terminal command), DEL, a C1 control (NEL), a lone surrogate.
REFUSED_EVERYWHERE = ["\x00", "\x1b", "\x7f", "\x85", "\ud800"]
REFUSED_IN_ONE_LINE = ["\n", "\r", "\t"]
STAFF_BACKEND = "clinic.backends.StaffBackend"


@pytest.mark.parametrize(
    ("text", "multiline", "expected"),
    [
        ("Robin Runner", False, None),
        ("Zoë O’Brien-Nuñez 🏃‍♀️", False, None),
        ("Right\u200fto\u200eleft", False, None),
        ("line one\nline two\ttab\r\n", True, None),
        ("line one\nline two", False, "\n"),
        ("tab\there", False, "\t"),
        ("nul\x00", True, "\x00"),
        ("bell\x07", True, "\x07"),
        ("escape\x1b[31m", True, "\x1b"),
        ("vertical\x0btab", True, "\x0b"),
        ("form\x0cfeed", True, "\x0c"),
        ("delete\x7f", True, "\x7f"),
        ("next line\x85", True, "\x85"),
        ("csi\x9b", True, "\x9b"),
        ("lone \ud800 surrogate", True, "\ud800"),
        ("lone \udfff low surrogate", False, "\udfff"),
        ("not a control \xa0 no-break space", False, None),
    ],
)
def test_which_characters_are_refused(text, multiline, expected):
    assert text_input.forbidden_character(text, multiline=multiline) == expected


def test_the_message_names_the_character_and_never_quotes_the_text():
    message = text_input.message_for("\x00")
    assert "U+0000" in message
    assert text_input.message_for("\n") == "Keep this to one line: remove the line break or tab."


def test_a_draft_keeps_the_text_without_the_characters():
    raw = {"notes\x00": ["Fell\x00 at the\x1b marathon\nthen walked"], "regions": ["left", "right\x85"]}
    assert text_input.without_control_characters(raw) == {
        "notes": ["Fell at the marathon\nthen walked"],
        "regions": ["left", "right"],
    }


# --- Every form of the app -------------------------------------------------------------------


def _project_modules():
    for package_name in PACKAGES:
        package = importlib.import_module(package_name)
        for module in pkgutil.walk_packages(package.__path__, f"{package_name}."):
            if ".migrations" in module.name or module.name.endswith((".wsgi", ".asgi")):
                continue
            importlib.import_module(module.name)


def _subclasses(base) -> list[type]:
    found, pending = [], [base]
    while pending:
        for sub in pending.pop().__subclasses__():
            pending.append(sub)
            if sub.__module__.split(".")[0] in PACKAGES and sub not in found:
                found.append(sub)
    return found


def _project_form_classes() -> list[type]:
    _project_modules()
    abstract = {text_input.Form, text_input.ModelForm}
    return [form for form in _subclasses(forms.BaseForm) if form not in abstract]


def _project_serializer_classes() -> list[type]:
    _project_modules()
    abstract = {text_input.Serializer, text_input.ModelSerializer, ScopedModelSerializer}
    return [
        serializer
        for serializer in _subclasses(serializers.BaseSerializer)
        if serializer not in abstract and not issubclass(serializer, serializers.ListSerializer)
    ]


@pytest.fixture
def staff(clinic):
    return UserFactory(clinic=clinic, roles=[Role.CLINIC_ADMIN, Role.CLINICIAN, Role.FRONT_DESK])


# The arguments a form needs besides its data; a form missing here fails the walk with a
# TypeError that names it.
FORM_ARGUMENTS = {
    "EpisodeForm": lambda staff: {"user": staff},
    "EpisodeEditForm": lambda staff: {"user": staff},
    "ThresholdsForm": lambda staff: {"current": thresholds.for_clinic(staff.clinic)},
    "ApiTokenForm": lambda staff: {"owners": type(staff).objects.filter(pk=staff.pk), "clinic": staff.clinic},
    "QuestionnaireForm": lambda staff: {"chosen": [instruments.ODI, instruments.LEFS]},
    "AddItemForm": lambda staff: {"clinic": staff.clinic},
    "InterventionForm": lambda staff: {"clinic": staff.clinic},
    "PlanRuleForm": lambda staff: {"clinic": staff.clinic},
    "ContraindicationForm": lambda staff: {"clinic": staff.clinic},
    "RuleItemForm": lambda staff: {"clinic": staff.clinic, "interventions": []},
    "CheckInForm": lambda staff: {"items": [SignedItem.of({"name": "Glute bridge", "prong": "exercise"})]},
    "WaitListForm": lambda staff: {"user": staff},
    "ChooseProgramForm": lambda staff: {"programs": []},
    "MoveForm": lambda staff: {"user": staff, "zone": staff.clinic.zone},
    "BookingForm": lambda staff: {"episodes": []},
    "FreeTimesForm": lambda staff: {"user": staff, "zone": staff.clinic.zone},
    "EpisodeBookingForm": lambda staff: {"user": staff, "zone": staff.clinic.zone},
    "OwnPasswordSetForm": lambda staff: {"user": staff},
    "OwnPasswordChangeForm": lambda staff: {"user": staff},
    "FollowUpAnswersForm": lambda staff: {"chosen": [instruments.ODI, instruments.LEFS]},
    "OutcomesFilterForm": lambda staff: {"user": staff},
    "RunForm": lambda staff: {"today": datetime.date(2026, 6, 1), "opened_on": datetime.date(2026, 1, 1)},
    # Two forms are named ItemForm: the readiness check's, by its module, needs a criterion.
    "running.readiness_forms.ItemForm": lambda staff: {"criterion": readiness_services.criteria_for(staff.clinic)[0]},
    "CriterionForm": lambda staff: {"instance": readiness_services.criteria_for(staff.clinic)[0]},
}


def _kept_as_text(field: forms.Field) -> bool:
    # A yes/no, an uploaded file and a password are not kept as text (a password is hashed).
    return not (
        isinstance(field, forms.BooleanField | forms.FileField) or isinstance(field.widget, forms.PasswordInput)
    )


def _refused(form_class, arguments: dict, prefix: str | None, value: str):
    """The form bound to ``value`` in every field, validated."""
    blank = form_class(prefix=prefix, **arguments)
    data = MultiValueDict()
    for name, field in blank.fields.items():
        # A date-and-time field of the admin is two inputs, name_0 and name_1.
        suffixes = field.widget.widgets_names if isinstance(field.widget, forms.MultiWidget) else [""]
        # A password is hashed, never kept as text, and is left out of the check; it gets a plain
        # value so that its form goes on to check the other fields. (A lone surrogate, which the
        # hasher cannot encode, cannot arrive in a posted form: Django decodes the body first.)
        typed = "RobinRunner" if isinstance(field.widget, forms.PasswordInput) else value
        for suffix in suffixes:
            data[blank.add_prefix(name) + suffix] = typed
    form = form_class(data=data, prefix=prefix, **arguments)
    form.is_valid()
    return form


def _assert_refuses_control_characters(form_class, arguments: dict, prefix: str | None = None) -> None:
    # A field that refuses the text without the character anyway (a choice, a date, a phone
    # number) may refuse it with its own message; one that takes it must name the character.
    plain = _refused(form_class, arguments, prefix, "RobinRunner")
    for character in REFUSED_EVERYWHERE + REFUSED_IN_ONE_LINE:
        form = _refused(form_class, arguments, prefix, f"Robin{character}Runner")
        for name, field in form.fields.items():
            if not _kept_as_text(field):
                continue
            if character in REFUSED_IN_ONE_LINE and isinstance(field.widget, forms.Textarea):
                continue
            assert name in form.errors, f"{form_class.__name__}.{name} accepts {character!r}"
            if name not in plain.errors:
                codes = [error.code for error in form.errors.as_data()[name]]
                assert text_input.CODE in codes, (form_class.__name__, name, character, codes)
                # Said once, naming the character: not Django's second, vaguer NUL message as well.
                assert "null_characters_not_allowed" not in codes, (form_class.__name__, name, codes)


def test_the_walk_finds_the_apps_forms():
    names = {form.__name__ for form in _project_form_classes()}
    assert {"PatientForm", "AboutForm", "HistoryForm", "AssessmentForm", "CheckInForm", "EndpointForm"} <= names


@pytest.mark.parametrize("form_class", _project_form_classes(), ids=lambda form: form.__qualname__)
def test_every_form_refuses_control_characters(form_class, staff):
    qualified = f"{form_class.__module__}.{form_class.__name__}"
    arguments = FORM_ARGUMENTS.get(qualified, FORM_ARGUMENTS.get(form_class.__name__, lambda staff: {}))(staff)
    _assert_refuses_control_characters(form_class, arguments)


def _admin_request(user):
    request = RequestFactory().get("/admin/")
    request.user = user
    return request


def test_every_admin_form_refuses_control_characters(clinic):
    superuser = UserFactory(clinic=clinic, roles=[Role.CLINIC_ADMIN], is_staff=True, is_superuser=True)
    request = _admin_request(superuser)
    checked = 0
    for model_admin in admin.site._registry.values():
        if not model_admin.has_add_permission(request):
            continue
        _assert_refuses_control_characters(model_admin.get_form(request), {})
        checked += 1
        for inline in model_admin.get_inline_instances(request):
            _assert_refuses_control_characters(inline.get_formset(request).form, {}, prefix="inline")
    assert checked >= 5


def test_the_admin_search_refuses_control_characters(client, clinic):
    superuser = UserFactory(clinic=clinic, roles=[Role.CLINIC_ADMIN], is_staff=True, is_superuser=True)
    client.force_login(superuser, backend=STAFF_BACKEND)
    response = client.get("/admin/clinic/user/", {"q": "Robin\x1b"})
    assert response.status_code == 200
    assert "U+001B" in response.content.decode()
    response = client.get("/admin/autocomplete/", {"term": "Robin\x00", "app_label": "plans"})
    assert response.status_code in (200, 403)


# --- Every serializer of the app ---------------------------------------------------------------


def _bad_values(field, character: str) -> list:
    text = f"Robin{character}Runner"
    if isinstance(field, serializers.ListField):
        return [[text]]
    if isinstance(field, serializers.DictField):
        return [{"note": text}]
    if isinstance(field, serializers.JSONField):
        return [{"note": text}, {text: 1}, [text]]
    return [text]


def test_the_walk_finds_the_apps_serializers():
    names = {serializer.__name__ for serializer in _project_serializer_classes()}
    assert {"PatientSerializer", "BookSerializer", "AvailabilitySerializer", "AddFindingSerializer"} <= names


@pytest.mark.parametrize("serializer_class", _project_serializer_classes(), ids=lambda serializer: serializer.__name__)
def test_every_serializer_refuses_control_characters(serializer_class, staff):
    request = Request(RequestFactory().post("/api/"))
    request.user = staff
    serializer = serializer_class(context={"request": request})
    accepted = []
    for name, field in serializer.fields.items():
        if field.read_only or not isinstance(
            field, serializers.CharField | serializers.ChoiceField | serializers.JSONField | serializers.ListField
        ):
            continue
        multiline = field.style.get("base_template") == "textarea.html"
        for character in REFUSED_EVERYWHERE + ([] if multiline else REFUSED_IN_ONE_LINE):
            for value in _bad_values(field, character):
                try:
                    field.run_validation(value)
                except ApiValidationError:
                    continue
                accepted.append(f"{serializer_class.__name__}.{name}: {value!r}")
    assert not accepted


# --- Bodies, drafts and pages ------------------------------------------------------------------


@pytest.fixture
def api_client(client, staff):
    client.force_login(staff, backend=STAFF_BACKEND)
    return client


def test_a_key_or_value_anywhere_in_a_json_body_is_refused_where_it_is(api_client, patient):
    body = {
        "first_name": "Robin",
        "extra": {"deep\u0000key": "fine", "list": ["fine", {"note": "Fell\u0000 at the marathon"}]},
    }
    response = api_client.patch(f"/api/patients/{patient.pk}/", body, content_type="application/json")
    assert response.status_code == 400
    errors = response.json()
    assert list(errors) == ["extra"]
    assert "U+0000" in errors["extra"]["deep\x00key"][0]
    assert "U+0000" in errors["extra"]["list"]["1"]["note"][0]
    assert "Fell" not in str(errors)


def test_a_body_that_is_only_a_bad_string_is_refused(api_client):
    response = api_client.post("/api/patients/", '"\\u001b[2J"', content_type="application/json")
    assert response.status_code == 400
    assert "U+001B" in response.json()["detail"][0]


def test_a_form_encoded_body_is_checked_too(api_client, patient):
    response = api_client.patch(
        f"/api/patients/{patient.pk}/", "first_name=Rob%00in", content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 400
    assert "U+0000" in response.json()["first_name"][0]


def test_a_single_line_api_field_refuses_a_line_break(api_client, patient):
    response = api_client.patch(
        f"/api/patients/{patient.pk}/", {"first_name": "Rob\nin"}, content_type="application/json"
    )
    assert response.status_code == 400
    assert response.json() == {"first_name": ["Keep this to one line: remove the line break or tab."]}


def test_a_query_parameter_is_refused_with_a_400(api_client):
    response = api_client.get("/api/appointments/availability/", {"clinician": "1", "day": "2030-01-01\x00"})
    assert response.status_code == 400
    assert "day" in response.json()
    response = api_client.get("/api/episodes/", {"patient": "1\x00"})
    assert response.status_code == 400


def test_a_nul_in_an_intake_step_is_a_form_error_and_the_draft_keeps_the_rest(client, episode, front_desk):
    link = send_invitation(episode, actor=front_desk)
    data = {**VALID["history"], "prior_injuries": "Hamstring strain\x00 in 2019", "surgery": "Knee\x1b scope"}
    response = post_step(client, link, "history", data)
    assert response.status_code == 200
    page = response.content.decode()
    assert "U+0000" in page
    assert "U+001B" in page
    draft = Intake.objects.get(episode=episode).drafts["history"]
    assert draft["prior_injuries"] == ["Hamstring strain in 2019"]
    assert draft["surgery"] == ["Knee scope"]


def test_going_back_from_a_step_with_a_nul_keeps_the_draft_without_it(client, episode, front_desk):
    link = send_invitation(episode, actor=front_desk)
    response = post_step(client, link, "history", {"prior_injuries": "Ham\x00string", "bad\x00key": "x"}, go="back")
    assert response.status_code == 302
    draft = Intake.objects.get(episode=episode).drafts["history"]
    assert draft["prior_injuries"] == ["Hamstring"]
    assert draft["badkey"] == ["x"]
    # The step shows the draft again.
    assert "Hamstring" in client.get(step_url(link, "history")).content.decode()


@pytest.fixture
def visit(episode, clinician):
    starts_at = timezone.now().replace(minute=0, second=0, microsecond=0) + datetime.timedelta(days=2)
    return AppointmentFactory(episode=episode, clinician=clinician, starts_at=starts_at)


def test_a_cancel_reason_with_a_control_character_is_refused_and_kept(client, front_desk, visit):
    client.force_login(front_desk, backend=STAFF_BACKEND)
    response = client.post(
        f"/schedule/visits/{visit.pk}/status/", {"status": "cancelled", "reason": "Patient\x00 is ill"}
    )
    assert response.status_code == 400
    assert "U+0000" in response.content.decode()
    assert Appointment.objects.get(pk=visit.pk).status == "booked"


def test_a_move_reason_with_a_control_character_is_refused(client, front_desk, visit):
    client.force_login(front_desk, backend=STAFF_BACKEND)
    new_start = timezone.localtime(visit.starts_at + datetime.timedelta(days=1))
    response = client.post(
        f"/schedule/visits/{visit.pk}/move/",
        {"starts_at": f"{new_start:%Y-%m-%dT%H:%M}", "override_reason": "Asked\x1b by phone"},
    )
    assert response.status_code == 400
    assert "U+001B" in response.content.decode()


def test_the_booking_search_refuses_a_control_character(client, front_desk, clinician):
    client.force_login(front_desk, backend=STAFF_BACKEND)
    start = (timezone.localtime() + datetime.timedelta(days=3)).replace(hour=10, minute=0)
    response = client.post(f"/schedule/book/?clinician={clinician.pk}&start={start:%Y-%m-%dT%H:%M}", {"q": "Rob\x00in"})
    assert response.status_code == 200
    assert "U+0000" in response.content.decode()


def test_the_patient_search_refuses_a_control_character(client, front_desk):
    client.force_login(front_desk, backend=STAFF_BACKEND)
    response = client.post("/patients/", {"q": "Rob\x00in"})
    assert response.status_code == 200
    assert "U+0000" in response.content.decode()
