"""Intake invitations: who may send them, what the message holds, what the link opens,
re-sending, revoking, expiry, forged links, idempotent delivery, the sweep and the rate limit
on bad links."""

from __future__ import annotations

import datetime
import hashlib
import types

import django_ratelimit.core
import pytest
from django.apps import apps
from django.core import mail, signing
from django.test import Client
from django.utils import dateformat, timezone

from clinic import messaging
from clinic.models import AuditEvent, Patient
from clinic.outbox import dispatch
from clinic.outbox.models import MessageKind, PatientMessage
from clinic.outbox.tasks import dispatch_patient_messages, send_patient_message
from clinic.permissions import Role
from intake import services, tasks, tokens
from intake.models import Intake, IntakeInvitation, RedFlag
from tests.factories import EpisodeFactory, PatientFactory, UserFactory
from tests.intake.helpers import (
    last_link,
    latest_invitation,
    link_step_data,
    post_step,
    send_invitation,
    step_data,
    step_url,
    token_of,
)

STAFF_BACKEND = "clinic.backends.StaffBackend"


@pytest.fixture(autouse=True)
def _empty_sms_outbox():
    messaging.outbox.clear()


def _login(client, user):
    client.force_login(user, backend=STAFF_BACKEND)
    return client


def _send_url(episode) -> str:
    return f"/episodes/{episode.pk}/intake/send/"


def _message_of(invitation) -> PatientMessage:
    return PatientMessage.objects.get(kind=MessageKind.INTAKE_LINK, subject_id=invitation.pk)


def _messages_sent() -> int:
    return len(mail.outbox) + len(messaging.outbox)


def _page(response) -> str:
    return response.content.decode()


# --- Sending --------------------------------------------------------------------------------------


@pytest.mark.parametrize("channel", ["email", "sms"])
@pytest.mark.parametrize("role", ["front_desk", "clinician"])
def test_staff_send_the_link_by_the_channel_chosen(
    client, request, patient, episode, role, channel, django_capture_on_commit_callbacks
):
    sender = request.getfixturevalue(role)
    _login(client, sender)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(_send_url(episode), {"channel": channel})

    assert response.status_code == 302
    assert response["Location"] == f"/episodes/{episode.pk}/"
    assert "The intake link is on its way to the patient." in _page(client.get(response["Location"]))
    if channel == "email":
        assert messaging.outbox == []
        assert [message.to for message in mail.outbox] == [[patient.email]]
    else:
        assert mail.outbox == []
        assert [message["to"] for message in messaging.outbox] == [str(patient.mobile_phone)]
    invitation = latest_invitation(episode)
    assert (invitation.channel, invitation.created_by, invitation.attempts) == (channel, sender, 1)
    assert invitation.sent_at is not None
    assert invitation.expires_at - invitation.created_at == datetime.timedelta(days=14)
    assert AuditEvent.objects.filter(action="intake.invitation_sent", actor=sender, patient_id=patient.pk).exists()

    # The link in the message works, on a client with no session at all.
    patient_client = Client()
    opened = patient_client.get(last_link(channel))
    assert opened.status_code == 302
    assert opened["Location"] == step_url(last_link(channel), "about")
    assert patient_client.get(opened["Location"]).status_code == 200


@pytest.mark.parametrize("channel", ["email", "sms"])
def test_message_holds_the_link_and_no_clinical_detail(patient, episode, clinician, front_desk, channel):
    Patient.objects.filter(pk=patient.pk).update(first_name="Robin", last_name="Quillfeather")
    patient.refresh_from_db()
    link = send_invitation(episode, actor=front_desk, channel=channel)
    if channel == "email":
        message = mail.outbox[-1]
        text = f"{message.subject}\n{message.body}"
    else:
        text = messaging.outbox[-1]["body"]

    assert f"http://127.0.0.1:8000{link}" in text
    assert episode.patient.clinic.name in text
    for detail in [
        episode.presenting_complaint,
        "pain",
        "red flag",
        clinician.full_name,
        "Quillfeather",
        patient.date_of_birth.isoformat(),
        "/episodes/",
    ]:
        assert detail.lower() not in text.lower().replace(link.lower(), ""), detail


@pytest.mark.parametrize(("channel", "date_format"), [("email", "j F Y"), ("sms", "j M")])
def test_message_gives_the_expiry_date_in_the_clinics_time_zone(episode, front_desk, monkeypatch, channel, date_format):
    """Sent at 03:00 UTC, the link expires 14 days later at 03:00 UTC: the evening before, in Chicago."""
    late_evening = timezone.now().replace(hour=3, minute=0, second=0, microsecond=0)
    monkeypatch.setattr(timezone, "now", lambda: late_evening)
    send_invitation(episode, actor=front_desk, channel=channel)

    expires_at = latest_invitation(episode).expires_at
    clinic_day = timezone.localdate(expires_at, timezone=episode.patient.clinic.zone)
    assert clinic_day < expires_at.date()
    text = " ".join((mail.outbox[-1].body if channel == "email" else messaging.outbox[-1]["body"]).split())
    assert f"until {dateformat.format(clinic_day, date_format)}" in text
    assert f"until {dateformat.format(expires_at.date(), date_format)}" not in text


def test_only_the_hash_of_the_token_is_stored(patient, episode, front_desk):
    link = send_invitation(episode, actor=front_desk)
    token = token_of(link)
    raw = token.rsplit(".", 1)[0]

    assert latest_invitation(episode).token_hash == hashlib.sha256(raw.encode()).hexdigest()
    for model in apps.get_models():
        for row in model._base_manager.values_list():
            for value in row:
                assert raw not in str(value), f"{model._meta.label} holds the raw link token"


def test_the_stored_hash_opens_nothing(client, episode, front_desk):
    send_invitation(episode, actor=front_desk)
    stolen = latest_invitation(episode).token_hash
    response = client.get(f"/intake/{stolen}/")
    assert response.status_code == 404
    assert "This link does not work" in _page(response)


# (case, patient changes, channel, message)
REFUSED_SENDS = [
    ("no consent", {"contact_consent": False}, "email", "The patient has not agreed to receive messages"),
    (
        "no e-mail address",
        {"email": "", "preferred_contact_channel": "sms"},
        "email",
        "The patient has no e-mail address",
    ),
    ("no mobile number", {"mobile_phone": ""}, "sms", "The patient has no mobile number"),
    ("unknown channel", {}, "fax", "Choose e-mail or text message."),
]


@pytest.mark.parametrize(
    ("changes", "channel", "message"), [pytest.param(*case[1:], id=case[0]) for case in REFUSED_SENDS]
)
def test_refused_send_says_why_and_sends_nothing(
    client, patient, episode, front_desk, changes, channel, message, django_capture_on_commit_callbacks
):
    Patient.objects.filter(pk=patient.pk).update(**changes)
    _login(client, front_desk)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = client.post(_send_url(episode), {"channel": channel}, follow=True)

    assert response.status_code == 200
    assert message in _page(response)
    assert "on its way" not in _page(response)
    assert callbacks == []
    assert _messages_sent() == 0
    assert not IntakeInvitation.objects.exists()
    assert not AuditEvent.objects.filter(action="intake.invitation_sent").exists()


@pytest.mark.parametrize(
    ("role", "foreign", "expected"),
    [
        ("front_desk", False, 302),
        ("clinician", False, 302),
        ("clinic_admin", False, 403),
        ("front_desk", True, 404),
        ("clinician", True, 404),
    ],
)
def test_who_may_send(
    client, request, episode, foreign_episode, role, foreign, expected, django_capture_on_commit_callbacks
):
    target = foreign_episode if foreign else episode
    _login(client, request.getfixturevalue(role))
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(_send_url(target), {"channel": "email"})
    assert response.status_code == expected
    assert IntakeInvitation.objects.exists() is (expected == 302)
    assert _messages_sent() == (1 if expected == 302 else 0)


def test_anonymous_is_sent_to_sign_in_and_nothing_is_sent(client, episode):
    response = client.post(_send_url(episode), {"channel": "email"})
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
    assert not IntakeInvitation.objects.exists()


def test_send_needs_a_post(client, episode, front_desk):
    _login(client, front_desk)
    assert client.get(_send_url(episode)).status_code == 405
    assert not IntakeInvitation.objects.exists()


# --- Re-sending and revoking ---------------------------------------------------------------------


def test_resend_replaces_the_old_link_and_keeps_the_answers(
    client, patient, episode, front_desk, clinician, django_capture_on_commit_callbacks
):
    old = send_invitation(episode, actor=front_desk)
    for code in ("about", "consent"):
        assert post_step(client, old, code, link_step_data(old, code)).status_code == 302

    staff = _login(Client(), clinician)
    with django_capture_on_commit_callbacks(execute=True):
        staff.post(_send_url(episode), {"channel": "sms"})
    new = last_link("sms")
    assert new != old

    replaced = client.get(old)
    assert replaced.status_code == 410
    assert "This link has been replaced" in _page(replaced)
    assert episode.patient.clinic.name in _page(replaced)
    assert client.get(step_url(old, "complaint")).status_code == 410
    assert post_step(client, old, "complaint", step_data("complaint")).status_code == 410

    resumed = Client().get(new)
    assert resumed["Location"] == step_url(new, "complaint")
    intake = Intake.objects.get(episode=episode)
    assert set(intake.answers) == {"about", "consent"}
    invitations = list(IntakeInvitation.objects.filter(intake=intake).order_by("id"))
    assert len(invitations) == 2
    assert invitations[0].revoked_at is not None
    assert invitations[0].revoked_by == clinician
    assert invitations[1].revoked_at is None
    assert invitations[1].channel == "sms"


@pytest.mark.parametrize("role", ["front_desk", "clinician"])
def test_revoke_stops_the_link(client, request, episode, front_desk, role):
    link = send_invitation(episode, actor=front_desk)
    actor = request.getfixturevalue(role)
    response = _login(Client(), actor).post(f"/episodes/{episode.pk}/intake/revoke/")
    assert response.status_code == 302

    page = client.get(link)
    assert page.status_code == 410
    assert "This link has been replaced" in _page(page)
    invitation = latest_invitation(episode)
    assert invitation.revoked_by == actor
    assert AuditEvent.objects.filter(action="intake.invitation_revoked", actor=actor).exists()


@pytest.mark.parametrize(("role", "foreign", "expected"), [("clinic_admin", False, 403), ("front_desk", True, 404)])
def test_who_may_not_revoke(client, request, episode, foreign_episode, front_desk, role, foreign, expected):
    target = foreign_episode if foreign else episode
    sender = front_desk if not foreign else UserFactory(clinic=target.patient.clinic, roles=[Role.FRONT_DESK])
    link = send_invitation(target, actor=sender)
    response = _login(client, request.getfixturevalue(role)).post(f"/episodes/{target.pk}/intake/revoke/")
    assert response.status_code == expected
    assert latest_invitation(target).revoked_at is None
    assert Client().get(link).status_code == 302


def test_expired_link_says_so(client, episode, front_desk):
    link = send_invitation(episode, actor=front_desk)
    now = timezone.now()
    IntakeInvitation.objects.filter(intake__episode=episode).update(
        created_at=now - datetime.timedelta(days=20), expires_at=now - datetime.timedelta(seconds=1)
    )
    for url in (link, step_url(link, "about"), f"{link}done/"):
        response = client.get(url)
        assert response.status_code == 410, url
        assert "This link has expired" in _page(response)
        assert episode.patient.clinic.name in _page(response)
    assert post_step(client, link, "about", step_data("about")).status_code == 410
    assert "about" not in Intake.objects.get(episode=episode).answers


# --- Links that open nothing, or only their own intake -------------------------------------------


def _tampered(token: str) -> str:
    return token[:-1] + ("A" if token[-1] != "A" else "B")


# (case, how to make a bad token from a genuine one)
BAD_TOKENS = [
    ("tampered signature", _tampered),
    ("random string", lambda token: "not-a-real-link-at-all"),
    ("unsigned random part", lambda token: token.rsplit(".", 1)[0]),
    (
        "signed with another key",
        lambda token: signing.Signer(key="x" * 50, salt="intake.invitation", sep=".").sign(token.rsplit(".", 1)[0]),
    ),
    ("signed with another salt", lambda token: signing.Signer(salt="other", sep=".").sign(token.rsplit(".", 1)[0])),
    ("genuine signature, unknown token", lambda token: tokens.new_link_token()[0]),
]


@pytest.mark.parametrize("make", [pytest.param(case[1], id=case[0]) for case in BAD_TOKENS])
@pytest.mark.parametrize("suffix", ["", "step/about/", "done/"])
def test_bad_token_gets_the_friendly_not_found_page(client, episode, front_desk, make, suffix):
    genuine = token_of(send_invitation(episode, actor=front_desk))
    response = client.get(f"/intake/{make(genuine)}/{suffix}")
    assert response.status_code == 404
    assert "This link does not work" in _page(response)
    assert episode.patient.clinic.name not in _page(response)
    assert Intake.objects.get(episode=episode).opened_at is None


def test_each_link_opens_only_its_own_intake(client, clinic, patient, episode, front_desk, foreign_episode):
    other = EpisodeFactory(patient=PatientFactory(clinic=clinic, email="other.patient@example.test"))
    foreign_desk = UserFactory(clinic=foreign_episode.patient.clinic, roles=[Role.FRONT_DESK])
    links = {
        episode.pk: send_invitation(episode, actor=front_desk),
        other.pk: send_invitation(other, actor=front_desk),
        foreign_episode.pk: send_invitation(foreign_episode, actor=foreign_desk),
    }
    for target in (episode, other, foreign_episode):
        page = _page(Client().get(step_url(links[target.pk], "about")))
        assert f'value="{target.patient.email}"' in page
        assert target.patient.clinic.name in page
        for different in {episode, other, foreign_episode} - {target}:
            assert different.patient.email not in page

    post_step(client, links[other.pk], "about", step_data("about", {"emergency_contact": "Only for other"}))
    assert Intake.objects.get(episode=other).answers["about"]["emergency_contact"] == "Only for other"
    assert Intake.objects.get(episode=episode).answers == {}
    assert Intake.objects.get(episode=foreign_episode).answers == {}


# --- Delivery ----------------------------------------------------------------------------------------


def test_delivery_is_idempotent(patient, episode, front_desk):
    invitation = services.invitation_send(actor=front_desk, episode=episode, channel="email")
    assert _messages_sent() == 0  # queued after commit, which the test transaction never reaches

    message = _message_of(invitation)
    assert dispatch.deliver(message_id=message.pk) is True
    assert dispatch.deliver(message_id=message.pk) is False
    send_patient_message.delay(message.pk)

    assert [message.to for message in mail.outbox] == [[patient.email]]
    invitation.refresh_from_db()
    assert invitation.attempts == 1
    assert invitation.token_hash == hashlib.sha256(token_of(last_link()).rsplit(".", 1)[0].encode()).hexdigest()


@pytest.mark.parametrize(
    "spoil",
    [
        pytest.param({"revoked_at": timezone.now()}, id="revoked"),
        pytest.param(
            {
                "created_at": timezone.now() - datetime.timedelta(days=20),
                "expires_at": timezone.now() - datetime.timedelta(days=1),
            },
            id="expired",
        ),
    ],
)
def test_nothing_is_delivered_for_a_dead_invitation(episode, front_desk, spoil):
    invitation = services.invitation_send(actor=front_desk, episode=episode, channel="email")
    IntakeInvitation.objects.filter(pk=invitation.pk).update(**spoil)
    assert dispatch.deliver(message_id=_message_of(invitation).pk) is False
    assert _messages_sent() == 0
    assert IntakeInvitation.objects.get(pk=invitation.pk).token_hash is None


def test_sweep_requeues_owed_messages_only(clinic, front_desk, clinician, django_capture_on_commit_callbacks):
    now = timezone.now()
    episodes = {
        name: EpisodeFactory(patient=PatientFactory(clinic=clinic), lead_clinician=clinician)
        for name in (
            "owed",
            "fresh",
            "revoked",
            "sent",
        )
    }
    invitations = {
        name: services.invitation_send(actor=front_desk, episode=episode, channel="email")
        for name, episode in episodes.items()
    }
    # The links' messages were queued on commit, which the test transaction never reaches: as
    # if the broker lost them. The outbox's dispatcher takes back those queued long enough ago.
    PatientMessage.objects.filter(kind=MessageKind.INTAKE_LINK).update(queued_at=now - datetime.timedelta(minutes=11))
    PatientMessage.objects.filter(subject_id=invitations["fresh"].pk, kind=MessageKind.INTAKE_LINK).update(
        queued_at=now - datetime.timedelta(minutes=1)
    )
    IntakeInvitation.objects.filter(pk=invitations["revoked"].pk).update(revoked_at=now)
    dispatch.deliver(message_id=_message_of(invitations["sent"]).pk)
    owed_flag = RedFlag.objects.create(
        episode=episodes["owed"],
        code="cancer_history",
        tier="urgent",
        label="History of cancer",
        raised_at=now - datetime.timedelta(minutes=10),
    )
    RedFlag.objects.create(episode=episodes["fresh"], code="weight_loss", tier="urgent", label="Weight loss")
    mail.outbox.clear()

    assert tasks.sweep_intake_messages() == 1
    with django_capture_on_commit_callbacks(execute=True):
        assert dispatch_patient_messages() == 2

    assert sorted(message.to[0] for message in mail.outbox) == sorted([episodes["owed"].patient.email, clinician.email])
    assert IntakeInvitation.objects.get(pk=invitations["owed"].pk).sent_at is not None
    assert IntakeInvitation.objects.get(pk=invitations["fresh"].pk).sent_at is None
    assert IntakeInvitation.objects.get(pk=invitations["revoked"].pk).sent_at is None
    owed_flag.refresh_from_db()
    assert owed_flag.notified_at is not None

    # A second sweep finds nothing owed.
    assert tasks.sweep_intake_messages() == 0
    with django_capture_on_commit_callbacks(execute=True):
        assert dispatch_patient_messages() == 0
    assert len(mail.outbox) == 2


# --- Rate limit on bad links ------------------------------------------------------------------


@pytest.fixture
def frozen_rate_clock(monkeypatch):
    """The rate limit counts in fixed windows; a frozen clock keeps the test inside one."""
    clock = types.SimpleNamespace(now=1_800_000_000.0)
    monkeypatch.setattr(django_ratelimit.core, "time", types.SimpleNamespace(time=lambda: clock.now))
    return clock


LIMIT = 3
ATTACKER = {"REMOTE_ADDR": "203.0.113.7"}
NEIGHBOUR = {"REMOTE_ADDR": "198.51.100.2"}


def test_the_limit_is_the_number_of_bad_links_allowed(client, settings, episode, front_desk, frozen_rate_clock):
    """With "3/15m", three bad links are answered; from then on the address's bad links are refused."""
    settings.RATELIMIT_BAD_INTAKE_LINKS = f"{LIMIT}/15m"
    for attempt in range(LIMIT):
        assert client.get(f"/intake/guess-{attempt}/", **ATTACKER).status_code == 404

    assert client.get("/intake/guess-again/", **ATTACKER).status_code == 429


def test_a_refused_address_gets_429_for_every_bad_link_until_the_window_ends(
    client, settings, episode, front_desk, frozen_rate_clock
):
    settings.RATELIMIT_BAD_INTAKE_LINKS = f"{LIMIT}/15m"
    link = send_invitation(episode, actor=front_desk)
    for attempt in range(LIMIT):
        assert client.get(f"/intake/guess-{attempt}/", **ATTACKER).status_code == 404

    forged = f"{token_of(link)[:-4]}AAAA"
    for url in (
        "/intake/guess-again/",
        f"/intake/{forged}/",
        f"/intake/{forged}/step/about/",
        f"/intake/{forged}/done/",
    ):
        refused = client.get(url, **ATTACKER)
        assert refused.status_code == 429, url
        assert "Please wait a moment" in _page(refused)
    assert post_step(client, f"/intake/{forged}/", "about", step_data("about"), **ATTACKER).status_code == 429

    # Another address is not affected; the same address may try again in the next window.
    assert Client().get("/intake/guess-again/", **NEIGHBOUR).status_code == 404
    frozen_rate_clock.now += 15 * 60
    assert client.get("/intake/guess-again/", **ATTACKER).status_code == 404


def test_a_genuine_link_opens_even_from_a_refused_address(client, settings, episode, front_desk, frozen_rate_clock):
    """Its signature cannot be made without the secret key: refusing it would stop no guesser,
    only the patient behind the same address (a clinic's guest network, a phone carrier)."""
    settings.RATELIMIT_BAD_INTAKE_LINKS = f"{LIMIT}/15m"
    link = send_invitation(episode, actor=front_desk)
    for attempt in range(LIMIT + 2):
        client.get(f"/intake/guess-{attempt}/", **ATTACKER)

    assert client.get(link, **ATTACKER).status_code == 302
    assert client.get(step_url(link, "about"), **ATTACKER).status_code == 200


def test_a_genuine_link_makes_no_call_to_the_limits_cache(client, settings, episode, front_desk, monkeypatch):
    """Only bad links are counted: a patient's pages and answers cost no cache round trip."""
    from clinic import link_pages

    link = send_invitation(episode, actor=front_desk)
    calls = []
    monkeypatch.setattr(link_pages, "get_usage", lambda *args, **kwargs: calls.append(kwargs))

    assert client.get(link).status_code == 302
    assert client.get(step_url(link, "about")).status_code == 200
    assert post_step(client, link, "about", link_step_data(link, "about")).status_code == 302
    assert calls == []
    assert client.get("/intake/guess/").status_code == 404
    assert [call["increment"] for call in calls] == [True]


def test_good_links_and_bad_links_below_the_limit_are_not_refused(client, settings, episode, front_desk):
    settings.RATELIMIT_BAD_INTAKE_LINKS = "3/15m"
    link = send_invitation(episode, actor=front_desk)
    for _ in range(5):
        assert client.get(link).status_code == 302
    for attempt in range(2):
        assert client.get(f"/intake/guess-{attempt}/").status_code == 404
    assert client.get(link).status_code == 302


@pytest.mark.parametrize(
    ("role", "sees_link"), [(Role.FRONT_DESK, True), (Role.CLINICIAN, True), (Role.CLINIC_ADMIN, False)]
)
def test_the_episode_page_shows_intake_links_to_those_who_send_them(client, clinician, episode, role, sees_link):
    send_invitation(episode, actor=clinician)
    client.force_login(UserFactory(clinic=episode.patient.clinic, roles=[role]))

    page = client.get(f"/episodes/{episode.pk}/").content.decode()

    assert ('id="intake-heading"' in page) is sees_link
    assert ("link sent by" in page) is sees_link
