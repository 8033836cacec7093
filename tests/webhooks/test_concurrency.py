"""On PostgreSQL, with real row locks: parallel sends of one delivery post it once, and a
sweep skips the rows a sending worker holds."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, transaction

from clinic.permissions import Role
from clinic.webhooks import rules, sending, services, tasks
from clinic.webhooks.models import DeliveryStatus, WebhookDelivery
from tests.factories import UserFactory


def _in_parallel(count: int, work) -> list:
    start = threading.Barrier(count)
    outcomes: list = []

    def run():
        try:
            start.wait()
            outcomes.append(work())
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcomes


@pytest.fixture
def owed(receiver, monkeypatch):
    # Outside a test transaction each commit runs its (eager) send at once; these tests send by hand.
    monkeypatch.setattr(tasks.send_webhook_delivery, "delay", lambda delivery_id: None)
    admin = UserFactory(roles=[Role.CLINIC_ADMIN])
    services.endpoint_create(actor=admin, url=receiver.url, event_types=["plan.signed"])
    [delivery] = services.emit(rules.EventType.PLAN_SIGNED, clinic_id=admin.clinic_id, data={"plan": 1})
    return delivery


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_parallel_sends_of_one_delivery_post_it_once(owed, receiver):
    outcomes = _in_parallel(5, lambda: sending.send(delivery_id=owed.pk))

    assert sorted(outcomes) == [False] * 4 + [True]
    assert len(receiver.requests) == 1
    assert WebhookDelivery.objects.get(pk=owed.pk).status == DeliveryStatus.DELIVERED


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_sweep_skips_a_row_another_worker_holds(owed):
    held, release = threading.Event(), threading.Event()

    def hold():
        with transaction.atomic():
            WebhookDelivery.objects.select_for_update().get(pk=owed.pk)
            held.set()
            release.wait(10)
        connection.close()

    holder = threading.Thread(target=hold)
    holder.start()
    held.wait(10)
    try:
        assert sending.dispatch_due() == 0
    finally:
        release.set()
        holder.join()
    assert sending.dispatch_due() == 1
