"""Production settings: refuse to start without a secret key; ``check --deploy`` is clean."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _run(args: list[str], **env_overrides: str) -> subprocess.CompletedProcess:
    # The test run's own defaults (pyproject.toml) must not leak into "production".
    test_only = {
        "SECRET_KEY",
        "DEBUG",
        "SECURE_SSL_REDIRECT",
        "STATIC_MANIFEST",
        "CELERY_TASK_ALWAYS_EAGER",
        "DJANGO_ALLOW_ASYNC_UNSAFE",
    }
    env = {key: value for key, value in os.environ.items() if key not in test_only}
    env.update(DJANGO_SETTINGS_MODULE="clinic.settings", VAR_DIR="var/test", **env_overrides)
    return subprocess.run(
        [sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False
    )


def test_production_refuses_to_start_without_secret_key():
    result = _run(["manage.py", "check"], DEBUG="false")
    assert result.returncode != 0
    assert "SECRET_KEY must be set when DEBUG is off" in result.stderr


def test_debug_mode_starts_without_secret_key():
    result = _run(["manage.py", "check"], DEBUG="true")
    assert result.returncode == 0, result.stderr


def test_check_deploy_is_clean_with_production_settings():
    result = _run(
        ["manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        DEBUG="false",
        SECRET_KEY="K7x-q2M9vR4tLp8wZc1nB6yHd3sFj0gU5eAiOoXkTmNbVrEwQlPa",
        ALLOWED_HOSTS="clinic.example.com",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_defaults_are_hardened(settings):
    # The values the test run itself uses come from the same module with DEBUG off.
    assert settings.DEBUG is False
    assert settings.SESSION_COOKIE_SECURE is True
    assert settings.CSRF_COOKIE_SECURE is True
    assert settings.SECURE_HSTS_SECONDS >= 31536000
    assert settings.PASSWORD_HASHERS[0] == "django.contrib.auth.hashers.Argon2PasswordHasher"
    assert settings.CELERY_BROKER_URL.startswith(("redis://", "filesystem://"))


PRODUCTION = {
    "DEBUG": "false",
    "SECRET_KEY": "K7x-q2M9vR4tLp8wZc1nB6yHd3sFj0gU5eAiOoXkTmNbVrEwQlPa",
    "ALLOWED_HOSTS": "clinic.example.com",
}


def test_gunicorn_accepts_the_production_config_and_loads_the_app():
    result = _run(["-m", "gunicorn", "--check-config", "-c", "gunicorn.conf.py"], **PRODUCTION)
    assert result.returncode == 0, result.stdout + result.stderr


def test_gunicorn_config_reads_the_environment():
    result = _run(
        ["-m", "gunicorn", "--print-config", "-c", "gunicorn.conf.py"],
        **PRODUCTION,
        WEB_CONCURRENCY="3",
        PORT="8123",
    )
    assert result.returncode == 0, result.stderr
    config = {
        name.strip(): value.strip() for name, _, value in (line.partition("=") for line in result.stdout.splitlines())
    }
    assert config["workers"] == "3"
    assert config["bind"] == "['127.0.0.1:8123']"
    assert config["logger_class"] == "clinic.access_log.AccessLogger"
    assert config["wsgi_app"] == "clinic.wsgi:application"


@pytest.mark.parametrize(
    ("key", "accepted"),
    [
        ("7dC8OY7Zw0ElB9Uy9gJ4mUuF2c3MeS7mXcCw0Aq5tH0=", True),  # Fernet.generate_key()'s shape
        ("7dC8OY7Zw0ElB9Uy9gJ4mUuF2c3MeS7mXcCw0Aq5tH0", False),  # padding lost
        ("dG9vIHNob3J0", False),  # 9 bytes
        ("not base64 at all!", False),
        ("é" * 44, False),
    ],
)
def test_webhook_secret_keys_are_checked_as_fernet_keys_at_start(key, accepted):
    from cryptography.fernet import Fernet

    result = _run(
        ["-c", "import sys, django; django.setup(); print('cryptography' in sys.modules)"],
        DEBUG="true",
        WEBHOOK_SECRET_KEYS=key,
    )

    try:
        Fernet(key)
        fernet_takes_it = True
    except ValueError:
        fernet_takes_it = False
    assert fernet_takes_it is accepted
    if accepted:
        assert result.returncode == 0, result.stderr
        assert result.stdout.strip() == "False"
    else:
        assert result.returncode != 0
        assert "WEBHOOK_SECRET_KEYS holds a key that is not a Fernet key" in result.stderr
