"""``manage.py seed_demo`` run by each test on its own: sign-in with the real password hashers,
the messages and handouts that go out after the seed commits, and the refusal next to real clinics.
The demo clinic's content is checked once for a module in test_seed_demo.py."""

from __future__ import annotations

import io
import re

import pytest
from django.contrib.auth import authenticate
from django.core.management import call_command
from django.test import RequestFactory

from clinic.management.commands.seed_demo import DEMO_LOGINS, DEMO_PASSWORD


@pytest.mark.django_db
def test_every_demo_login_authenticates():
    call_command("seed_demo", stdout=io.StringIO())
    call_command("seed_demo", stdout=io.StringIO())
    for login in DEMO_LOGINS:
        request = RequestFactory().post("/accounts/login/")
        user = authenticate(request, username=login.email, password=DEMO_PASSWORD)
        assert user is not None, login.email
        assert user.email == login.email


@pytest.mark.django_db
def test_demo_shows_intakes_at_every_stage_and_stays_idempotent(django_capture_on_commit_callbacks):
    from intake.models import Intake, IntakeInvitation, IntakeStatus, QuestionnaireScore, RedFlag

    # The invitation messages go out after the seed's transaction commits.
    with django_capture_on_commit_callbacks(execute=True):
        call_command("seed_demo", stdout=io.StringIO())
    counts = (Intake.objects.count(), IntakeInvitation.objects.count(), RedFlag.objects.count())
    call_command("seed_demo", stdout=io.StringIO())
    assert (Intake.objects.count(), IntakeInvitation.objects.count(), RedFlag.objects.count()) == counts

    submitted = Intake.objects.filter(status=IntakeStatus.SUBMITTED)
    assert submitted.count() >= 5
    assert (
        QuestionnaireScore.objects.filter(intake__in=submitted, instrument="nprs", scored=True).count()
        == submitted.count()
    )
    assert RedFlag.objects.filter(tier="urgent", cleared_at__isnull=True).exists()
    pending = Intake.objects.exclude(status=IntakeStatus.SUBMITTED)
    assert pending.count() == 2
    assert IntakeInvitation.objects.filter(intake__in=pending, sent_at__isnull=False).count() == 2


@pytest.mark.django_db
def test_refuses_to_seed_next_to_real_clinics_unless_forced():
    from django.core.management.base import CommandError

    from clinic.models import Clinic

    Clinic.objects.create(name="A real clinic")
    with pytest.raises(CommandError, match="holds other clinics"):
        call_command("seed_demo", stdout=io.StringIO())
    assert Clinic.objects.count() == 1
    call_command("seed_demo", "--force", stdout=io.StringIO())
    assert Clinic.objects.count() == 2


def test_signed_plans_have_ready_handouts_and_a_portal_link_is_in_the_mail_folder(db, settings, tmp_path, client):
    from pathlib import Path
    from urllib.parse import urlsplit

    from clinic.portal.models import PortalLink
    from plans.models import Handout, HandoutDelivery, HandoutStatus, PlanVersion

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    settings.EMAIL_FILE_PATH = tmp_path / "mail"
    call_command("seed_demo", stdout=io.StringIO())
    versions = PlanVersion.objects.all()
    # Two signed plans, one signed again with the runner's walk-run program.
    assert versions.count() == 3
    for version in versions:
        handout = Handout.objects.get(version=version)
        assert handout.status == HandoutStatus.READY
        assert handout.file.open("rb").read(4) == b"%PDF"
    assert Handout.objects.filter(delivery=HandoutDelivery.SENT, delivery_channel="email").exists()

    mails = [path.read_text(encoding="utf-8") for path in Path(settings.EMAIL_FILE_PATH).iterdir()]
    links = [link for text in mails for link in re.findall(r"http://\S+/portal/\S+/", text)]
    assert links
    assert "Your home program" in client.get(urlsplit(links[0]).path).content.decode()

    # A second run makes and sends nothing more.
    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    assert "0 handouts made and 0 sent" in out.getvalue()
    assert len(list(Path(settings.EMAIL_FILE_PATH).iterdir())) == len(mails)
    assert PortalLink.objects.count() == Handout.objects.filter(delivery=HandoutDelivery.SENT).count()
