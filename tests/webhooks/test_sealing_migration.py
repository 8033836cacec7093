"""The migration that seals the secrets already stored, forwards and back."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from clinic.webhooks import sealing
from tests.factories import ClinicFactory, UserFactory

BEFORE = [("webhooks", "0002_previous_secret")]
AFTER = [("webhooks", "0003_sealed_secrets")]


def _migrate(target):
    executor = MigrationExecutor(connection)
    executor.migrate(target)
    return MigrationExecutor(connection).loader.project_state(target).apps


@pytest.mark.django_db(transaction=True)
def test_plain_secrets_already_stored_are_sealed_and_opened_again_backwards():
    clinic, user = ClinicFactory(), UserFactory()
    old = _migrate(BEFORE)
    plain = old.get_model("webhooks", "WebhookEndpoint").objects.create(
        clinic_id=clinic.pk,
        url="https://receiver.example.test/hooks",
        event_types=["plan.signed"],
        secret="whsec_stored-before-sealing",
        created_by_id=user.pk,
    )
    try:
        new = _migrate(AFTER)
        sealed = new.get_model("webhooks", "WebhookEndpoint").objects.get(pk=plain.pk)
        assert sealed.sealed_secret.startswith(sealing.SEALED_PREFIX)
        assert sealing.unseal(sealed.sealed_secret) == "whsec_stored-before-sealing"
        assert sealed.sealed_previous_secret == ""

        back = _migrate(BEFORE)
        assert back.get_model("webhooks", "WebhookEndpoint").objects.get(pk=plain.pk).secret == (
            "whsec_stored-before-sealing"
        )
    finally:
        _migrate(MigrationExecutor(connection).loader.graph.leaf_nodes("webhooks"))
