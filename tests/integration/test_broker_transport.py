"""The worker's Redis transport survives the broker dying while a message is unacknowledged and
the task channel waits on BRPOP: the sequence the worker's consumer runs on connection loss
(the channel's close cut short by the dead BRPOP, ``Connection.collect``'s drop of the
connection settings, then a second close) ends in a connection error the consumer ignores, not
in the ``AttributeError`` that made kombu's own transport stop the worker for good.
"""

from __future__ import annotations

import socket

import pytest
from django.conf import settings
from kombu import Connection, Exchange, Queue
from kombu.common import ignore_errors
from redis.exceptions import ConnectionError as RedisConnectionError

from tests.integration.broker import private_redis

pytestmark = [pytest.mark.redis]

JOBS = Queue("jobs", Exchange("jobs"), "jobs")


def _lose_the_broker_mid_brpop(transport: str) -> None:
    with private_redis() as redis:
        connection = Connection(redis.url, transport=transport)
        with connection.Producer() as producer:
            producer.publish({"job": 1}, exchange=JOBS.exchange, routing_key="jobs", declare=[JOBS])
        delivered = []
        consumer = connection.Consumer([JOBS], callbacks=[lambda body, message: delivered.append(message)])
        consumer.qos(prefetch_count=2)
        consumer.consume()
        connection.drain_events(timeout=2)
        with pytest.raises(socket.timeout):
            connection.drain_events(timeout=0.2)
        channel = connection.default_channel
        assert len(delivered) == 1, "expected one unacknowledged message"
        assert channel._in_poll, "expected a BRPOP waiting"
        redis.stop()
    with pytest.raises(RedisConnectionError):
        channel.close()
    assert not channel.closed
    connection._do_close_transport()
    ignore_errors(connection, connection.close)


def test_the_workers_transport_treats_the_second_close_as_a_connection_error():
    assert settings.CELERY_BROKER_TRANSPORT == "clinic.broker:Transport"
    _lose_the_broker_mid_brpop(settings.CELERY_BROKER_TRANSPORT)


def test_kombus_own_redis_transport_still_fails_there():
    # The reason for clinic.broker: once kombu fixes this, the transport can go.
    with pytest.raises(AttributeError, match="hostname"):
        _lose_the_broker_mid_brpop("redis")
