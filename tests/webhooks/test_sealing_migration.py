"""The migration that seals the secrets already stored, forwards and back."""

from __future__ import annotations

import pytest

from clinic.webhooks import sealing
from tests import migrating
from tests.factories import ClinicFactory, UserFactory

BEFORE = [("webhooks", "0002_previous_secret")]
AFTER = [("webhooks", "0003_sealed_secrets")]


@pytest.mark.django_db(transaction=True)
def test_plain_secrets_already_stored_are_sealed_and_opened_again_backwards():
    clinic, user = ClinicFactory(), UserFactory()
    old = migrating.migrate(BEFORE)
    plain = old.get_model("webhooks", "WebhookEndpoint").objects.create(
        clinic_id=clinic.pk,
        url="https://receiver.example.test/hooks",
        event_types=["plan.signed"],
        secret="whsec_stored-before-sealing",
        created_by_id=user.pk,
    )
    try:
        new = migrating.migrate(AFTER)
        sealed = new.get_model("webhooks", "WebhookEndpoint").objects.get(pk=plain.pk)
        assert sealed.sealed_secret.startswith(sealing.SEALED_PREFIX)
        assert sealing.unseal(sealed.sealed_secret) == "whsec_stored-before-sealing"
        assert sealed.sealed_previous_secret == ""

        back = migrating.migrate(BEFORE)
        assert back.get_model("webhooks", "WebhookEndpoint").objects.get(pk=plain.pk).secret == (
            "whsec_stored-before-sealing"
        )
    finally:
        migrating.migrate(migrating.latest_of("webhooks"))
