"""Uploaded illustrations cannot make the PDF renderer fetch anything: uploads are checked by
content and SVGs rebuilt from an allow-list, and the renderer itself reads only the app's own
static and media files (and ``data:`` URLs), so a hostile file already on disk fetches nothing
either. A real HTTP server on 127.0.0.1 records any request that gets out."""

from __future__ import annotations

import base64
import importlib
import io
import os
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.apps import apps
from django.contrib.admin.sites import site
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import models
from django.test import RequestFactory
from django.utils import timezone
from PIL import Image
from pypdf import PdfReader

from clinic import images
from clinic.models import AuditEvent
from clinic.pdf import LocalFilesFetcher, RefusedURL
from clinic.picture_fields import PictureField, PictureFormField
from plans import handouts, services
from plans.models import Handout, HandoutStatus, Intervention, PlanVersion, TreatmentPlan
from tests.assessments.helpers import error_summary, login
from tests.html_forms import form_data
from tests.plans.handout_helpers import home_item, plan_of


def png(width: int = 8, height: int = 8, colour: str = "#b3261e") -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), colour).save(buffer, "PNG")
    return buffer.getvalue()


def svg(body: str, head: str = "", attributes: str = "") -> bytes:
    return (
        f'{head}<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" '
        f'viewBox="0 0 10 10" {attributes}>{body}<rect id="shape" width="10" height="10" fill="#1d5c7a"/></svg>'
    ).encode()


@pytest.fixture
def prober():
    """An HTTP server on 127.0.0.1 that answers a PNG and remembers every path asked for."""
    asked: list[str] = []
    picture = png(colour="#00ff00")

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            asked.append(self.path)
            self.send_response(200)
            self.send_header("Content-Type", "image/png")
            self.send_header("Content-Length", str(len(picture)))
            self.end_headers()
            self.wfile.write(picture)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    server.asked = asked
    server.base = f"http://127.0.0.1:{server.server_port}"
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    (settings.MEDIA_ROOT / "exercise-illustrations").mkdir(parents=True)
    return settings.MEDIA_ROOT


@pytest.fixture
def outside(tmp_path):
    """Files a hostile drawing may name: outside every folder the renderer may read."""
    folder = tmp_path / "outside"
    folder.mkdir()
    (folder / "secret.png").write_bytes(png(colour="#ff00ff"))
    (folder / "secret.svg").write_bytes(svg('<g id="x"><circle r="5"/></g>'))
    return folder


def attacks(base: str, outside) -> dict[str, bytes]:
    """Drawings that try to reach the network or the worker's files, by every route SVG offers."""
    return {
        "image to a local server": svg(f'<image href="{base}/image.png" width="10" height="10"/>'),
        "xlink image to a local server": svg(f'<image xlink:href="{base}/xlink.png" width="10" height="10"/>'),
        "image of /etc/passwd": svg('<image href="file:///etc/passwd" width="10" height="10"/>'),
        "image of a file outside": svg(f'<image href="file://{outside}/secret.png" width="10" height="10"/>'),
        "use of a file": svg(f'<use href="file://{outside}/secret.svg#x"/><use xlink:href="{base}/use.svg#x"/>'),
        "CSS @import": svg(f'<style>@import url("{base}/import.css"); rect {{ fill: red; }}</style>'),
        "CSS url() in a style element": svg(f"<style>rect {{ fill: url({base}/style-fill.png); }}</style>"),
        "CSS url() in a style attribute": svg(f'<rect width="5" height="5" style="fill: url({base}/attr.png)"/>'),
        "CSS url() in a presentation attribute": svg(f'<rect width="5" height="5" fill="url({base}/fill.png)"/>'),
        "@font-face": svg(f"<style>@font-face {{ font-family: x; src: url({base}/font.woff); }}</style>"),
        "xml:base": svg(f'<g xml:base="{base}/"><image href="base.png" width="10" height="10"/></g>'),
        "script": svg("<script>fetch('/steal')</script>", attributes='onload="alert(1)"'),
        "foreignObject": svg(
            f'<foreignObject width="10" height="10"><img xmlns="http://www.w3.org/1999/xhtml" '
            f'src="{base}/foreign.png"/></foreignObject>'
        ),
        "nested svg data URL": svg(
            '<image width="10" height="10" href="data:image/svg+xml;base64,'
            + base64.b64encode(svg(f'<image href="{base}/nested.png"/>')).decode()
            + '"/>'
        ),
    }


ENTITY_ATTACKS = {
    "external entity (XXE)": svg(
        "<text>&xxe;</text>", head='<!DOCTYPE svg [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
    ),
    "entity expansion": svg(
        "<text>&b;</text>", head='<!DOCTYPE svg [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]>'
    ),
}

FORBIDDEN_IN_OUTPUT = ("127.0.0.1", "file:", "script", "onload", "foreignObject", "@import", "@font-face", "xml:base")


# --- The SVG rebuild ------------------------------------------------------------------------------


@pytest.mark.parametrize("name", list(attacks("http://127.0.0.1:9", "/outside")))
def test_every_route_out_of_an_svg_is_removed(name):
    clean = images.sanitise_svg(attacks("http://127.0.0.1:9", "/outside")[name]).decode()

    for forbidden in FORBIDDEN_IN_OUTPUT:
        assert forbidden not in clean, (name, forbidden)
    assert 'fill="#1d5c7a"' in clean  # the drawing itself is kept


@pytest.mark.parametrize("name", list(ENTITY_ATTACKS))
def test_entities_are_refused(name):
    with pytest.raises(images.RefusedImage, match="entities"):
        images.sanitise_svg(ENTITY_ATTACKS[name])


def test_local_references_and_embedded_rasters_are_kept():
    drawing = svg(
        '<defs><linearGradient id="g"><stop offset="0" stop-color="#fff"/></linearGradient></defs>'
        '<rect width="5" height="5" fill="url(#g)" style="stroke: url(#g)"/>'
        '<use href="#shape" x="1"/>'
        f'<image width="4" height="4" href="data:image/png;base64,{base64.b64encode(png()).decode()}"/>'
    )

    clean = images.sanitise_svg(drawing).decode()

    assert 'fill="url(#g)"' in clean
    assert 'style="stroke: url(#g)"' in clean
    assert '<use href="#shape"' in clean
    assert 'href="data:image/png;base64,' in clean


def test_a_drawing_that_multiplies_itself_loses_its_nested_uses():
    levels = '<g id="l0"><rect width="1" height="1"/></g>' + "".join(
        f'<g id="l{n}"><use href="#l{n - 1}"/><use href="#l{n - 1}"/></g>' for n in range(1, 30)
    )

    clean = images.sanitise_svg(svg(f"<defs>{levels}</defs><use href='#l29'/>")).decode()

    # Only the uses of a part that holds no use survive: each draws one fixed part once.
    assert clean.count("<use ") == 2
    assert clean.count('href="#l0"') == 2


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"just some text, named .png", "Use a PNG, JPEG, WebP or SVG picture"),
        (b"<html><body>not a drawing</body></html>", "Use a PNG, JPEG, WebP or SVG picture"),
        (b"", "The file is empty."),
        (b"\x89PNG\r\n\x1a\n broken", "Use a PNG, JPEG, WebP or SVG picture"),
        (png(4100, 10), "use at most 4000 × 4000"),
        (svg("", attributes='width="90000" height="10"'), "width is over 4000"),
        (svg("<g/>" * 6000), "more than 5000 parts"),
        (b"<svg" + b" " * images.MAX_BYTES + b"/>", "larger than 2 MB"),
    ],
)
def test_pictures_stride_does_not_accept(content, message):
    with pytest.raises(images.RefusedImage, match=message):
        images.clean_image(content)


def test_kind_is_judged_by_content_not_name():
    assert images.clean_image(png()).extension == ".png"
    assert images.clean_image(svg("")).extension == ".svg"


# --- Uploading on the Library page and in the Django admin ---------------------------------------


@pytest.fixture
def stretch(clinic):
    services.library_seed(clinic=clinic)
    return Intervention.objects.get(clinic=clinic, key="hip-flexor-stretch")


def _upload(client, stretch, name: str, content: bytes, content_type: str = "image/svg+xml", **changes):
    data = form_data(client, f"/library/interventions/{stretch.pk}/", **changes)
    data["illustration"] = SimpleUploadedFile(name, content, content_type)
    return client.post(f"/library/interventions/{stretch.pk}/", data)


def test_an_uploaded_svg_is_stored_rebuilt(client, clinic_admin, stretch, media, prober, outside):
    login(client, clinic_admin)
    hostile = svg(
        f'<script>alert(1)</script><image href="{prober.base}/x.png" width="4" height="4"/>'
        f"<style>@import url({prober.base}/s.css);</style>"
    )

    response = _upload(client, stretch, "stretch.svg", hostile)

    assert response.status_code == 302
    stretch.refresh_from_db()
    assert stretch.illustration.name.endswith(".svg")
    stored = stretch.illustration.read().decode()
    assert stored == images.sanitise_svg(hostile).decode()
    for forbidden in FORBIDDEN_IN_OUTPUT:
        assert forbidden not in stored
    assert prober.asked == []


def test_an_svg_named_png_is_stored_as_svg(client, clinic_admin, stretch, media):
    login(client, clinic_admin)

    assert _upload(client, stretch, "drawing.png", svg(""), "image/png").status_code == 302

    stretch.refresh_from_db()
    assert stretch.illustration.name.startswith("exercise-illustrations/drawing")
    assert stretch.illustration.name.endswith(".svg")


def test_a_png_is_stored_as_it_came(client, clinic_admin, stretch, media):
    login(client, clinic_admin)
    picture = png()

    assert _upload(client, stretch, "photo.png", picture, "image/png").status_code == 302

    stretch.refresh_from_db()
    assert stretch.illustration.read() == picture


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("xxe.svg", ENTITY_ATTACKS["external entity (XXE)"], "The drawing declares XML entities"),
        ("notes.png", b"meeting notes, not a picture", "Use a PNG, JPEG, WebP or SVG picture"),
        ("huge.png", png(5000, 20), "use at most 4000 × 4000"),
        ("big.svg", b"<svg" + b" " * images.MAX_BYTES + b"/>", "larger than 2 MB"),
    ],
)
def test_a_refused_file_gets_a_form_error_and_nothing_is_stored(
    client, clinic_admin, stretch, media, name, content, message
):
    login(client, clinic_admin)

    response = _upload(client, stretch, name, content, reps="7 typed before the upload")

    assert response.status_code == 200
    html = response.content.decode()
    assert message in html
    assert "id_illustration" in error_summary(html)
    assert 'value="7 typed before the upload"' in html  # what was typed is kept
    stretch.refresh_from_db()
    assert not stretch.illustration
    assert list((media / "exercise-illustrations").iterdir()) == []


def test_the_django_admin_uses_the_same_checked_field(clinic_admin):
    request = RequestFactory().get("/admin/plans/intervention/add/")
    request.user = clinic_admin

    form_class = site._registry[Intervention].get_form(request)

    assert isinstance(form_class.base_fields["illustration"], PictureFormField)


# Files only the app writes (the rendered handout and discharge letters), never a form: nothing to
# check on upload. A runner's watch file is no picture and never reaches the PDF renderer: its size,
# name and first bytes are checked on upload and it is read in the worker with a time limit
# (running.services.uploads).
WRITTEN_BY_THE_APP = {"plans.Handout.file", "notes.DischargeDocument.file", "running.RunFile.file"}


def test_every_file_field_a_form_can_fill_is_a_checked_picture():
    """A new upload field (an avatar, an attachment) must take its checks from PictureField or
    be named here, so no file reaches storage or the PDF renderer unchecked."""
    unchecked = [
        f"{model._meta.label}.{field.name}"
        for model in apps.get_models()
        for field in model._meta.get_fields()
        if isinstance(field, models.FileField) and not isinstance(field, PictureField)
    ]

    assert sorted(unchecked) == sorted(WRITTEN_BY_THE_APP)


def test_a_clinic_logo_too_large_is_refused_in_the_django_admin(clinic_admin, clinic, media):
    request = RequestFactory().get(f"/admin/clinic/clinic/{clinic.pk}/change/")
    request.user = clinic_admin
    form_class = site._registry[type(clinic)].get_form(request, clinic)
    huge = SimpleUploadedFile("logo.png", png(5000, 20), "image/png")

    form = form_class(data={}, files={"logo": huge}, instance=clinic)

    assert "use at most 1000 × 1000" in " ".join(form.errors.get("logo", []))


# --- The renderer, whatever is on disk -----------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "file:///etc/passwd",
        "http://127.0.0.1:{port}/direct.png",
        "https://127.0.0.1:{port}/direct.png",
        "ftp://127.0.0.1:{port}/direct.png",
        "file://otherhost{media}/ok.png",
        "file://{media}/../outside/secret.png",
        "file://{media}/%2e%2e/outside/secret.png",
        "file://{media}/link-out.png",
        "file://{media}/exercise-illustrations",
        "file://{outside}/secret.png",
    ],
)
def test_the_fetcher_refuses_anything_but_the_apps_own_files(media, outside, prober, url):
    (media / "ok.png").write_bytes(png())
    os.symlink(outside / "secret.png", media / "link-out.png")

    with pytest.raises((RefusedURL, ValueError)):
        LocalFilesFetcher().fetch(url.format(port=prober.server_port, media=media, outside=outside))

    assert prober.asked == []


def test_the_fetcher_reads_media_static_and_data_urls(media, settings):
    (media / "ok.png").write_bytes(png())
    fetcher = LocalFilesFetcher()

    assert fetcher.fetch(f"file://{media}/ok.png").read() == png()
    static_drawing = settings.STATICFILES_DIRS[0] / "plans" / "exercises" / "plank.svg"
    assert b"<svg" in fetcher.fetch(static_drawing.as_uri()).read()
    assert fetcher.fetch("data:text/plain;base64,aGk=").read() == b"hi"


def test_an_svg_on_disk_is_rebuilt_as_it_is_read(media, prober):
    hostile = svg(f'<script>x</script><image href="{prober.base}/x.png"/>')
    (media / "old.svg").write_bytes(hostile)

    read = LocalFilesFetcher().fetch(f"file://{media}/old.svg").read()

    assert read == images.sanitise_svg(hostile)


def _picture_colours(handout: Handout) -> set[tuple[int, int, int]]:
    """The colour of each distinct raster picture in the PDF (each test picture is one colour)."""
    with handout.file.open("rb") as pdf:
        reader = PdfReader(io.BytesIO(pdf.read()))
    return {picture.image.convert("RGB").getpixel((0, 0)) for page in reader.pages for picture in page.images}


def test_hostile_files_already_on_disk_fetch_nothing_when_the_handout_renders(
    episode, clinician, media, outside, prober
):
    """Files stored before uploads were checked: every attack is in media, and the clinic's
    logo is one too. The one safe PNG is the only picture in the PDF."""
    items = []
    for number, content in enumerate([*attacks(prober.base, outside).values(), *ENTITY_ATTACKS.values()]):
        name = f"exercise-illustrations/attack-{number}.svg"
        (media / name).write_bytes(content)
        items.append(home_item(f"Exercise {number}", illustration=f"media:{name}"))
    (media / "exercise-illustrations" / "safe.png").write_bytes(png())
    items.append(home_item("Safe exercise", illustration="media:exercise-illustrations/safe.png"))
    (media / "clinic-logos").mkdir()
    (media / "clinic-logos" / "logo.svg").write_bytes(svg(f'<image href="{prober.base}/logo.png"/>'))
    clinic = episode.patient.clinic
    clinic.logo.name = "clinic-logos/logo.svg"
    clinic.save()
    plan: TreatmentPlan = plan_of(episode)
    version = PlanVersion.objects.create(
        plan=plan,
        number=1,
        body={
            "clinician": {"name": clinician.full_name, "credentials": ""},
            "visits_per_week": 1,
            "weeks": 1,
            "running_advice": [],
            "items": items,
        },
        signed_by=clinician,
        signed_at=timezone.now(),
    )
    handout = Handout.objects.create(version=version)

    assert handouts.render(handout_id=handout.pk) is True

    handout.refresh_from_db()
    assert handout.status == HandoutStatus.READY
    assert prober.asked == []
    # The safe PNG only: neither the local server's picture (green) nor the secret file
    # outside (magenta) got in.
    assert _picture_colours(handout) == {(0xB3, 0x26, 0x1E)}


# --- Illustrations stored before the checks ------------------------------------------------------


def _stored(intervention: Intervention, name: str, content: bytes, media) -> None:
    (media / name).write_bytes(content)
    Intervention.objects.filter(pk=intervention.pk).update(illustration=name)


def test_the_command_rebuilds_stored_svgs_and_removes_what_is_no_picture(clinic, media, prober):
    services.library_seed(clinic=clinic)
    drawing, notes, photo = Intervention.objects.filter(clinic=clinic).order_by("pk")[:3]
    hostile = svg(f'<script>x</script><image href="{prober.base}/x.png"/>')
    _stored(drawing, "exercise-illustrations/old.svg", hostile, media)
    _stored(notes, "exercise-illustrations/notes.png", b"not a picture", media)
    _stored(photo, "exercise-illustrations/photo.png", png(), media)

    call_command("sanitise_illustrations", stdout=io.StringIO())

    drawing.refresh_from_db()
    notes.refresh_from_db()
    photo.refresh_from_db()
    assert drawing.illustration.name == "exercise-illustrations/old.svg"  # signed versions name it
    assert (media / drawing.illustration.name).read_bytes() == images.sanitise_svg(hostile)
    assert not notes.illustration
    assert not (media / "exercise-illustrations" / "notes.png").exists()
    assert (media / photo.illustration.name).read_bytes() == png()
    audited = set(
        AuditEvent.objects.filter(action__startswith="library.illustration_").values_list("action", "object_id")
    )
    assert audited == {("library.illustration_sanitised", drawing.pk), ("library.illustration_removed", notes.pk)}
    # Again: nothing left to change.
    output = io.StringIO()
    call_command("sanitise_illustrations", stdout=output)
    assert output.getvalue().strip() == "0 illustration(s) changed."


def test_the_migration_rebuilds_stored_svgs(clinic, media):
    services.library_seed(clinic=clinic)
    row = Intervention.objects.filter(clinic=clinic).first()
    hostile = svg('<script>x</script><image href="file:///etc/passwd"/>')
    _stored(row, "exercise-illustrations/before-checks.svg", hostile, media)
    migration = importlib.import_module("plans.migrations.0007_sanitise_stored_illustrations")

    migration.sanitise(apps, None)

    assert (media / "exercise-illustrations" / "before-checks.svg").read_bytes() == images.sanitise_svg(hostile)
