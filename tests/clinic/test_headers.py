"""Browser hardening headers: a strict Content-Security-Policy on every response (with a nonce
for the few inline blocks, and no template with an inline script, style or handler outside
one), ``Cache-Control: no-store`` on everything the app makes (static files keep their long
cache), and a Permissions-Policy that turns off the browser features no page uses."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.conf import settings as django_settings

from clinic.portal import services as portal_services
from clinic.portal.charts import pain_chart
from clinic.scheduling import services as scheduling_services
from tests.factories import AppointmentFactory
from tests.plans.handout_helpers import home_item, signed_version

pytestmark = pytest.mark.django_db

STAFF_BACKEND = "clinic.backends.StaffBackend"
TEMPLATES = Path(django_settings.BASE_DIR) / "templates"


def _directives(response) -> dict[str, list[str]]:
    policy = response["Content-Security-Policy"]
    return {name: values for name, *values in (part.split() for part in policy.split(";") if part.strip())}


def test_the_policy_is_strict(client):
    response = client.get("/accounts/login/")
    directives = _directives(response)
    assert directives["default-src"] == ["'self'"]
    assert directives["object-src"] == ["'none'"]
    assert directives["base-uri"] == ["'none'"]
    assert directives["form-action"] == ["'self'"]
    assert directives["frame-ancestors"] == ["'none'"]
    for name in ("script-src", "style-src"):
        assert directives[name][0] == "'self'"
        assert not [value for value in directives[name][1:] if not value.startswith("'nonce-")], directives[name]
    assert "unsafe" not in response["Content-Security-Policy"]


def test_every_answer_has_the_policy(client, clinician):
    client.force_login(clinician, backend=STAFF_BACKEND)
    for path in ("/", "/api/patients/", "/no-such-page/", "/api/no-such-endpoint/"):
        assert "frame-ancestors 'none'" in client.get(path)["Content-Security-Policy"], path


def test_only_the_browsable_api_allows_inline_style_and_never_inline_script(client, clinician):
    client.force_login(clinician, backend=STAFF_BACKEND)
    browsable = _directives(client.get("/api/patients/?format=api"))
    assert browsable["style-src"] == ["'self'", "'unsafe-inline'"]
    assert "'unsafe-inline'" not in browsable["script-src"]
    assert "'unsafe-inline'" not in _directives(client.get("/api/patients/"))["style-src"]


def test_the_api_docs_inline_script_carries_the_answers_nonce(client, clinician):
    client.force_login(clinician, backend=STAFF_BACKEND)
    response = client.get("/api/docs/")
    html = response.content.decode()
    nonces = set(re.findall(r'<(?:script|style) nonce="([^"]+)"', html))
    assert len(nonces) == 1
    (nonce,) = nonces
    assert f"'nonce-{nonce}'" in _directives(response)["script-src"]
    # Without a nonce the inline script would not run: every inline block carries it.
    assert len(re.findall(r"<script>|<style>", html)) == 0
    # A new nonce for every answer.
    assert nonce not in client.get("/api/docs/")["Content-Security-Policy"]


def test_the_patient_pages_accent_colour_style_carries_the_nonce(client, patient):
    portal = urlsplit(portal_services.link_issue(patient=patient)).path
    response = client.get(portal)
    (nonce,) = re.findall(r'<style nonce="([^"]+)">:root', response.content.decode())
    assert f"'nonce-{nonce}'" in _directives(response)["style-src"]


# Inline handlers (onclick=), style attributes, javascript: addresses, and <script>/<style>
# elements with neither a src nor the answer's nonce: the policy refuses them all. The PDF
# handout's template is rendered by WeasyPrint on the server, not by a browser.
INLINE = [
    re.compile(r"\son[a-z]+\s*=", re.I),
    re.compile(r"\sstyle\s*=", re.I),
    re.compile(r"javascript:", re.I),
    re.compile(r"<script(?![^>]*\b(?:src|nonce)=)[^>]*>", re.I),
    re.compile(r"<style(?![^>]*\bnonce=)[^>]*>", re.I),
]


def _page_templates() -> list[Path]:
    return [path for path in sorted(TEMPLATES.rglob("*.html")) if path.relative_to(TEMPLATES).parts[0] != "pdf"]


def test_the_walk_finds_the_templates():
    names = {path.relative_to(TEMPLATES).as_posix() for path in _page_templates()}
    assert {"base.html", "intake/summary.html", "clinic/api_docs.html", "500.html"} <= names


@pytest.mark.parametrize("template", _page_templates(), ids=lambda path: path.relative_to(TEMPLATES).as_posix())
def test_no_template_has_inline_script_or_style_the_policy_refuses(template):
    # Comments are not markup.
    text = re.sub(r"{#.*?#}|{% comment %}.*?{% endcomment %}", "", template.read_text(), flags=re.S)
    for pattern in INLINE:
        assert not pattern.search(text), f"{template.name}: {pattern.pattern} at {pattern.search(text).group(0)!r}"


def test_charts_draw_with_attributes_not_styles(episode):
    svg = pain_chart([(episode.opened_on, 3), (episode.opened_on.replace(day=1), 5)])
    assert "style" not in svg
    assert 'stroke="#1d5c7a"' in svg


# --- Cache-Control -----------------------------------------------------------------------------


@pytest.fixture
def signed_in(client, clinician):
    client.force_login(clinician, backend=STAFF_BACKEND)
    return client


@pytest.fixture
def program(episode, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return signed_version(episode, [home_item("Glute bridge")])


def _no_store(response) -> bool:
    return "no-store" in response.get("Cache-Control", "")


def test_staff_pages_api_and_fhir_are_not_stored(signed_in, patient, episode):
    for path in (
        "/",
        f"/patients/{patient.pk}/",
        f"/episodes/{episode.pk}/",
        "/schedule/",
        "/api/patients/",
        f"/api/patients/{patient.pk}/",
        f"/fhir/Patient/{patient.pk}/$everything",
        "/fhir/metadata",
        "/api/schema/",
        "/admin/",
    ):
        response = signed_in.get(path)
        assert _no_store(response), (path, response.status_code, response.get("Cache-Control"))


def test_patient_link_pages_and_pdfs_are_not_stored(client, patient, program):
    portal = urlsplit(portal_services.link_issue(patient=patient)).path
    for path in (portal, f"{portal}programs/{program.pk}/", f"{portal}programs/{program.pk}/home-program.pdf"):
        response = client.get(path)
        assert response.status_code == 200, path
        assert _no_store(response), path


def test_the_staff_pdf_and_the_calendar_feed_are_not_stored(signed_in, clinician, episode, program):
    program.handout.refresh_from_db()
    response = signed_in.get(f"/plans/{program.plan_id}/versions/{program.number}/handout.pdf")
    assert response.status_code == 200
    assert _no_store(response)
    AppointmentFactory(episode=episode, clinician=clinician)
    token = scheduling_services.calendar_feed_create(actor=clinician, clinician=clinician)
    response = signed_in.get(f"/calendar/{token}.ics")
    assert response.status_code == 200
    assert _no_store(response)


def test_sign_in_and_error_pages_are_not_stored(client):
    assert _no_store(client.get("/accounts/login/"))
    assert _no_store(client.get("/no-such-page/"))


def test_static_files_keep_their_cache(client):
    response = client.get("/static/css/app.css")
    assert response.status_code == 200
    assert not _no_store(response)
    assert "max-age" in response["Cache-Control"]


# --- Permissions-Policy --------------------------------------------------------------------------


def test_browser_features_are_off(client):
    policy = client.get("/accounts/login/")["Permissions-Policy"]
    features = dict(part.strip().split("=", 1) for part in policy.split(","))
    for feature in ("camera", "microphone", "geolocation", "payment", "usb", "serial", "hid", "bluetooth"):
        assert features[feature] == "()", feature
