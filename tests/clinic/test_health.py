"""/healthz answers without touching anything; /readyz says whether the database and the
cache answer; both skip the HTTPS redirect that every other page gets."""

from __future__ import annotations

import pytest

from clinic import health


def test_healthz_answers_ok_without_a_query(client):
    # No django_db mark: any query, even one from a middleware, would raise here.
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.content == b"ok"
    assert "no-cache" in response["Cache-Control"]


@pytest.mark.django_db
def test_readyz_answers_ok_when_database_and_cache_answer(client):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.content == b"ok"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("broken", "expected"),
    [
        ("_database_answers", b"unavailable: database"),
        ("_cache_answers", b"unavailable: cache"),
    ],
)
def test_readyz_names_what_does_not_answer(client, monkeypatch, broken, expected):
    monkeypatch.setattr(health, broken, lambda: False)
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.content == expected


@pytest.mark.django_db
def test_readyz_logs_only_the_error_class_when_the_cache_fails(client, monkeypatch, caplog):
    def refuse(*args, **kwargs):
        raise ConnectionError("redis://:secret-password@cache:6379/0 refused")

    monkeypatch.setattr(health.cache, "set", refuse)
    response = client.get("/readyz")
    assert response.status_code == 503
    assert "ConnectionError" in caplog.text
    assert "secret-password" not in caplog.text


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/healthz", "/readyz"])
def test_probes_are_not_redirected_to_https(client, settings, path):
    settings.SECURE_SSL_REDIRECT = True
    assert client.get(path).status_code == 200
    # Every other page still is.
    assert client.get("/accounts/login/").status_code == 301


def test_probes_refuse_writes(client):
    assert client.post("/healthz").status_code == 405
