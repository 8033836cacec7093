import pytest

from tests.settings import _worker_redis_url


@pytest.mark.parametrize(
    ("url", "index", "expected"),
    [
        ("redis://127.0.0.1:6379/15", 0, "redis://127.0.0.1:6379/15"),
        ("redis://127.0.0.1:6379/15", 1, "redis://127.0.0.1:6379/14"),
        ("redis://127.0.0.1:6379/3", 2, "redis://127.0.0.1:6379/5"),
        ("redis://127.0.0.1:6379", 1, "redis://127.0.0.1:6379/1"),
        ("redis://:secret@cache.internal:6380/0", 3, "redis://:secret@cache.internal:6380/3"),
    ],
)
def test_each_test_process_gets_its_own_redis_database(url, index, expected):
    assert _worker_redis_url(url, index) == expected
