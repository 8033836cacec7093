"""Adding to the clinic's treatment library in the app: interventions, rules and contraindications, each with a
key made from its name, validated, audited, for clinic admins only. Conditions, tags and prongs are ticked from
lists, never typed as codes."""

from __future__ import annotations

from html import unescape

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from clinic.models import AuditEvent
from plans import services
from plans.forms import ContraindicationForm, InterventionForm
from plans.models import Contraindication, Intervention, PlanRule
from tests.assessments.helpers import error_summary, login, page_messages
from tests.html_forms import form_data, read_form

KINDS = {"interventions": Intervention, "rules": PlanRule, "contraindications": Contraindication}


@pytest.fixture
def seeded(clinic):
    services.library_seed(clinic=clinic)
    return clinic


@pytest.fixture
def as_admin(client, seeded, clinic_admin):
    return login(client, clinic_admin)


def _library_rows(clinic) -> dict[str, int]:
    return {kind: model.objects.filter(clinic=clinic).count() for kind, model in KINDS.items()}


def _add(client, kind: str, **changes):
    url = f"/library/{kind}/new/"
    return client.post(url, form_data(client, url, **changes))


def _errors(response) -> dict[str, str]:
    return {anchor: unescape(" ".join(texts)) for anchor, texts in error_summary(response.content.decode()).items()}


# --- Interventions ------------------------------------------------------------------------------------


def test_the_library_page_offers_each_add_page_to_the_clinic_admin(as_admin):
    html = as_admin.get("/library/").content.decode()

    for kind in KINDS:
        assert f'href="/library/{kind}/new/"' in html


def test_clinic_admin_adds_an_intervention(as_admin, seeded, clinic_admin):
    response = _add(
        as_admin,
        "interventions",
        name="Dry needling of the gluteals",
        prong="soft_tissue",
        tags=["massage", "instrument"],
        new_tags="dry_needling",
        sets="1",
        frequency="once a week",
    )

    assert response.status_code == 302
    assert response["Location"] == "/library/"
    row = Intervention.objects.get(clinic=seeded, name="Dry needling of the gluteals")
    assert row.key == "dry-needling-of-the-gluteals"
    assert (row.prong, row.tags, row.sets, row.frequency) == (
        "soft_tissue",
        ["massage", "instrument", "dry_needling"],
        1,
        "once a week",
    )
    (event,) = AuditEvent.objects.filter(action="library.intervention_added")
    assert (event.actor, event.object_id, event.clinic_id) == (clinic_admin, row.pk, seeded.pk)
    page = as_admin.get("/library/").content.decode()
    assert f'id="intervention-{row.key}"' in page
    assert "Intervention added. Signed plans are not affected." in page_messages(page)


def test_a_new_tag_alone_is_audited_as_a_change_of_the_tags(as_admin, seeded):
    stretch = Intervention.objects.get(clinic=seeded, key="hip-flexor-stretch")
    url = f"/library/interventions/{stretch.pk}/"

    assert as_admin.post(url, form_data(as_admin, url, new_tags="hip")).status_code == 302

    stretch.refresh_from_db()
    assert stretch.tags[-1] == "hip"
    (event,) = AuditEvent.objects.filter(action="library.intervention_updated", object_id=stretch.pk)
    assert event.changed_fields == ["tags"]


def _stored(row) -> dict:
    # The order of the tags means nothing: compared as sets.
    stored = type(row).objects.filter(pk=row.pk).values().get()
    return {name: set(value) if isinstance(value, list) else value for name, value in stored.items()}


def test_every_seeded_intervention_saves_unchanged(as_admin, seeded):
    for row in Intervention.objects.filter(clinic=seeded):
        url = f"/library/interventions/{row.pk}/"
        before = _stored(row)
        assert as_admin.post(url, form_data(as_admin, url)).status_code == 302, row.key
        assert _stored(row) == before, row.key


def test_a_new_tag_is_offered_among_the_tags_afterwards(as_admin, seeded):
    _add(as_admin, "interventions", name="Cupping", prong="soft_tissue", new_tags="cupping")

    for kind in ("interventions", "contraindications"):
        reader = read_form(as_admin.get(f"/library/{kind}/new/").content.decode())
        tags = reader.options["tags" if kind == "interventions" else "excludes_tags"]
        assert "cupping" in tags
        assert "thrust" in tags


def test_the_same_name_twice_gets_a_numbered_key_not_an_error(as_admin, seeded, other_clinic):
    services.library_seed(clinic=other_clinic)

    for _ in range(2):
        assert _add(as_admin, "interventions", name="Glute bridge", prong="exercise").status_code == 302

    keys = sorted(Intervention.objects.filter(clinic=seeded, name="Glute bridge").values_list("key", flat=True))
    assert keys == ["glute-bridge", "glute-bridge-2", "glute-bridge-3"]
    assert Intervention.objects.filter(clinic=other_clinic, name="Glute bridge").count() == 1


@pytest.mark.parametrize(
    ("name", "key"), [("推拿", "intervention"), ("  Hip — ROM!  ", "hip-rom"), ("x" * 120, "x" * 56)]
)
def test_a_key_is_made_from_any_name(as_admin, seeded, name, key):
    assert _add(as_admin, "interventions", name=name, prong="exercise").status_code == 302

    assert Intervention.objects.get(clinic=seeded, name=name.strip()).key == key


def test_a_blank_intervention_is_refused_and_the_typed_input_kept(as_admin, seeded):
    before = _library_rows(seeded)

    response = _add(as_admin, "interventions", name="", prong="", target="Gluteus medius", tags=["strength"])

    assert response.status_code == 200
    errors = _errors(response)
    assert "id_name" in errors
    assert "id_prong" in errors
    shown = read_form(response.content.decode())
    assert shown.values["target"] == "Gluteus medius"
    assert shown.lists["tags"] == ["strength"]
    assert _library_rows(seeded) == before
    assert not AuditEvent.objects.filter(action__startswith="library.").exists()


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"new_tags": "Dry Needling"}, "id_new_tags", "is not a tag"),
        ({"new_tags": "dry-needling"}, "id_new_tags", "is not a tag"),
        (
            {"tags": ["thrust", "made_up_tag"]},
            "id_tags",
            "Not a known tag: \u201cmade_up_tag\u201d. Choose from the list.",
        ),
        ({"name": "Bridge\x00"}, "id_name", "control character"),
        ({"tags": ["thrust\x00"]}, "id_tags", "Not a known tag"),
        ({"name": "x" * 5000}, "id_name", "at most 120 characters"),
        ({"prong": "massage"}, "id_prong", "Select a valid choice"),
    ],
)
def test_a_bad_intervention_is_refused_beside_its_field(as_admin, seeded, changes, field, message):
    before = _library_rows(seeded)

    response = _add(as_admin, "interventions", **{"name": "Bridge", "prong": "exercise", **changes})

    assert response.status_code == 200
    assert message in _errors(response)[field]
    assert _library_rows(seeded) == before


def test_many_unknown_codes_are_refused_naming_a_few(as_admin, seeded):
    response = _add(as_admin, "interventions", name="Bridge", prong="exercise", tags=[f"tag_{n}" for n in range(500)])

    assert response.status_code == 200
    message = _errors(response)["id_tags"]
    assert "tag_2" in message
    assert "tag_3" not in message


# --- Contraindications ------------------------------------------------------------------------------


def test_clinic_admin_adds_a_contraindication_from_the_lists(as_admin, seeded):
    response = _add(
        as_admin,
        "contraindications",
        name="No thrust after recent fracture",
        when_findings=["lumbar_radiculopathy"],
        when_red_flag_tiers=["urgent"],
        when_red_flag_codes=["fragility_fracture"],
        excludes_tags=["thrust", "mobilisation"],
        excludes_prongs=["manipulation"],
        hard=None,
        reason="Manual therapy waits for imaging.",
    )

    assert response.status_code == 302
    row = Contraindication.objects.get(clinic=seeded, key="no-thrust-after-recent-fracture")
    assert (row.when_findings, row.when_red_flag_tiers, row.when_red_flag_codes) == (
        ["lumbar_radiculopathy"],
        ["urgent"],
        ["fragility_fracture"],
    )
    assert (row.excludes_tags, row.excludes_prongs, row.hard) == (["thrust", "mobilisation"], ["manipulation"], False)
    assert AuditEvent.objects.filter(action="library.contraindication_added", object_id=row.pk).exists()


def test_the_contraindication_page_names_red_flags_and_tags_in_words(as_admin):
    html = unescape(as_admin.get("/library/contraindications/new/").content.decode())

    assert "Any urgent red flag" in html
    assert "History of cancer with back pain" in html
    assert "Spinal thrust manipulation" in html
    assert "Positive neural tension test" in html
    assert '<fieldset id="id_when_red_flag_codes"' in html
    assert "<legend>Red flags</legend>" in html


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"when_findings": None}, "Tick at least one finding or red flag that raises it"),
        ({"excludes_tags": None}, "excludes nothing"),
    ],
)
def test_a_contraindication_that_could_never_act_is_refused(as_admin, seeded, changes, message):
    before = _library_rows(seeded)
    fields = {"name": "Idle", "when_findings": ["fai_suspected"], "excludes_tags": ["thrust"], "reason": "Because."}

    response = _add(as_admin, "contraindications", **{**fields, **changes})

    assert response.status_code == 200
    assert message in unescape(response.content.decode())
    assert _library_rows(seeded) == before


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("when_findings", "tender_adductor_origin", "Not a known finding"),
        ("when_red_flag_codes", "alien_abduction", "Not a known red flag"),
        ("when_red_flag_tiers", "mild", "Not a known red-flag tier"),
        ("excludes_prongs", "massage", "Not a known prong"),
    ],
)
def test_an_unknown_code_in_a_contraindication_is_refused(as_admin, seeded, field, value, message):
    fields = {"name": "Odd", "when_findings": ["fai_suspected"], "excludes_tags": ["thrust"], "reason": "Because."}

    response = _add(as_admin, "contraindications", **{**fields, field: [value]})

    assert response.status_code == 200
    assert message in _errors(response)[f"id_{field}"]
    assert not Contraindication.objects.filter(name="Odd").exists()


def test_every_seeded_contraindication_saves_unchanged(as_admin, seeded):
    for row in Contraindication.objects.filter(clinic=seeded):
        url = f"/library/contraindications/{row.pk}/"
        before = _stored(row)
        assert as_admin.post(url, form_data(as_admin, url)).status_code == 302, row.key
        assert _stored(row) == before, row.key


def test_a_code_saved_outside_the_lists_is_shown_ticked_and_must_be_unticked(as_admin, seeded):
    row = Contraindication.objects.get(clinic=seeded, key="radicular-hamstring-stretch")
    row.when_findings = [*row.when_findings, "tender_adductor_origin"]
    row.save()
    url = f"/library/contraindications/{row.pk}/"

    shown = read_form(as_admin.get(url).content.decode())
    assert "tender_adductor_origin" in shown.lists["when_findings"]
    refused = as_admin.post(url, form_data(as_admin, url))
    assert "Not a known finding: \u201ctender_adductor_origin\u201d" in _errors(refused)["id_when_findings"]

    kept = [code for code in shown.lists["when_findings"] if code != "tender_adductor_origin"]
    assert as_admin.post(url, form_data(as_admin, url, when_findings=kept)).status_code == 302
    row.refresh_from_db()
    assert "tender_adductor_origin" not in row.when_findings


# --- Who may add --------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["clinician", "front_desk"])
def test_only_the_clinic_admin_may_add(client, seeded, request, role):
    login(client, request.getfixturevalue(role))
    before = _library_rows(seeded)

    for kind in KINDS:
        assert client.get(f"/library/{kind}/new/").status_code == 403
        assert client.post(f"/library/{kind}/new/", {"name": "Sneaky", "prong": "exercise"}).status_code == 403

    assert _library_rows(seeded) == before
    if role == "clinician":
        assert "/new/" not in client.get("/library/").content.decode()


def test_an_unknown_kind_cannot_be_added(as_admin):
    assert as_admin.get("/library/patients/new/").status_code == 403


def test_the_service_refuses_someone_who_may_not_edit_the_library(seeded, clinician):
    form = ContraindicationForm(
        {"name": "X", "when_findings": ["fai_suspected"], "excludes_tags": ["thrust"], "reason": "Y"},
        instance=Contraindication(clinic=seeded),
        clinic=seeded,
    )
    assert form.is_valid(), form.errors

    with pytest.raises(PermissionDenied):
        services.library_save(actor=clinician, form=form)

    assert not Contraindication.objects.filter(name="X").exists()


def test_a_key_taken_at_the_same_moment_is_a_message_not_a_server_error(as_admin, seeded, monkeypatch):
    # Another save took the key between the check and the insert.
    monkeypatch.setattr(services, "_free_key", lambda *args: "glute-bridge")

    response = _add(as_admin, "interventions", name="Bridge", prong="exercise")

    assert response.status_code == 200
    assert "Someone saved a change to the library at the same moment" in unescape(response.content.decode())
    assert not Intervention.objects.filter(name="Bridge").exists()
    assert not AuditEvent.objects.filter(action__startswith="library.").exists()


def test_the_service_raises_a_validation_error_on_a_clash(seeded, clinic_admin, monkeypatch):
    monkeypatch.setattr(services, "_free_key", lambda *args: "glute-bridge")
    form = InterventionForm(
        {"name": "Bridge", "prong": "exercise"}, instance=Intervention(clinic=seeded), clinic=seeded
    )
    assert form.is_valid(), form.errors

    with pytest.raises(ValidationError):
        services.library_save(actor=clinic_admin, form=form)
