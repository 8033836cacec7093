"""Celery's Redis transport, made to survive the loss of the broker.

kombu's Redis channel can be closed twice when Redis dies while the worker's task channel waits
on BRPOP with messages unacknowledged (``task_acks_late`` makes that the usual state): the first
close is cut short by the dead BRPOP, the consumer then drops the connection's settings
(``Connection.collect``), and the second close, restoring the unacknowledged messages, builds a
new connection pool from settings that are gone. kombu raises ``AttributeError`` there
("'NoneType' object has no attribute 'hostname'", as in kombu issues 582 and 970), which the
worker's consumer does not expect, so the worker exits for good instead of reconnecting.

Here that case is the connection error it is: the consumer ignores it and reconnects. The
messages it could not restore are lost only if Redis lost them too; the outbox and the handout
sweep queue again whatever the database still owes (README: Recovery).
"""

from __future__ import annotations

from kombu.transport import redis as kombu_redis
from redis.exceptions import ConnectionError as RedisConnectionError


class Channel(kombu_redis.Channel):
    def _connparams(self, asynchronous: bool = False) -> dict:
        if self.connection is None or self.connection.client is None:
            raise RedisConnectionError("the broker connection was closed")
        return super()._connparams(asynchronous=asynchronous)


class Transport(kombu_redis.Transport):
    Channel = Channel
