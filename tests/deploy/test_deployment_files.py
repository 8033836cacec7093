"""The deployment descriptions (deploy/): the compose files, the image and the systemd units
start each process through bin/process, restart it when it exits, check its health, run exactly
one beat and migrate once before the app starts. Read as files: no Docker or systemd needed."""

from __future__ import annotations

import configparser
import http.server
import re
import socket
import subprocess
import sys
import threading
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml

from clinic.checks import WEASYPRINT_PACKAGES

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
APP_PROCESSES = ("web", "worker", "beat")
COMPOSE_FILES = ("compose.yaml", "compose.hosts.yaml")


def _compose(name: str) -> dict:
    return yaml.safe_load((DEPLOY / name).read_text())


def _services(name: str) -> dict:
    return _compose(name)["services"]


def _env_example() -> dict[str, str]:
    lines = (DEPLOY / "stride.env.example").read_text().splitlines()
    return dict(line.split("=", 1) for line in lines if line and not line.startswith("#"))


def _dockerfile() -> str:
    return (DEPLOY / "Dockerfile").read_text()


def _media_root() -> str:
    return re.search(r"MEDIA_ROOT=(\S+)", _dockerfile()).group(1)


# --- compose ------------------------------------------------------------------------------


LONG_RUNNING = [
    *((compose, process) for compose in COMPOSE_FILES for process in APP_PROCESSES),
    ("compose.yaml", "db"),
    ("compose.yaml", "redis"),
]


@pytest.mark.parametrize(("compose", "service"), LONG_RUNNING)
def test_every_long_running_service_restarts_and_checks_its_health(compose, service):
    definition = _services(compose)[service]
    assert definition["restart"] in {"unless-stopped", "always"}
    test = definition["healthcheck"]["test"]
    assert test[0] in {"CMD", "CMD-SHELL"}
    assert not definition["healthcheck"].get("disable", False)


@pytest.mark.parametrize("compose", COMPOSE_FILES)
@pytest.mark.parametrize("process", APP_PROCESSES)
def test_app_processes_start_through_bin_process(compose, process):
    assert _services(compose)[process]["command"] == ["bin/process", process]
    # bin/process knows the name.
    assert f"\n  {process})\n" in (ROOT / "bin" / "process").read_text()


@pytest.mark.parametrize("compose", COMPOSE_FILES)
def test_each_health_check_tests_its_own_process(compose):
    services = _services(compose)
    assert services["web"]["healthcheck"]["test"] == ["CMD", "python", "deploy/probe.py"]
    # Each worker replica pings its own node (Celery names it celery@ and the host name).
    assert services["worker"]["healthcheck"]["test"] == [
        "CMD-SHELL",
        "celery -A clinic inspect ping --timeout 10 -d celery@$$HOSTNAME",
    ]
    # beat → broker → worker, end to end.
    assert services["beat"]["healthcheck"]["test"] == ["CMD", "python", "manage.py", "worker_heartbeat"]


@pytest.mark.parametrize("compose", COMPOSE_FILES)
def test_there_is_exactly_one_beat(compose):
    services = _services(compose)
    beats = [name for name, service in services.items() if "beat" in service.get("command", [])]
    assert beats == ["beat"]
    beat = services["beat"]
    assert beat.get("deploy", {}).get("replicas", 1) == 1
    assert "scale" not in beat


@pytest.mark.parametrize("compose", COMPOSE_FILES)
def test_migrate_is_a_one_shot_release_step(compose):
    migrate = _services(compose)["migrate"]
    assert migrate["restart"] == "no"
    assert "healthcheck" not in migrate
    assert migrate["command"][-1].endswith("python manage.py migrate --noinput")
    # The configuration is refused before anything migrates, as bin/production does.
    assert "check --deploy --fail-level WARNING &&" in migrate["command"][-1]


@pytest.mark.parametrize("process", APP_PROCESSES)
def test_on_one_host_the_app_waits_for_the_migration_and_the_services(process):
    depends_on = _services("compose.yaml")[process]["depends_on"]
    assert depends_on == {
        "db": {"condition": "service_healthy"},
        "redis": {"condition": "service_healthy"},
        "migrate": {"condition": "service_completed_successfully"},
    }
    assert _services("compose.yaml")["migrate"]["depends_on"] == {"db": {"condition": "service_healthy"}}


def test_on_several_hosts_each_service_starts_alone_with_the_same_checks_as_on_one():
    one_host, hosts = _services("compose.yaml"), _services("compose.hosts.yaml")
    # PostgreSQL and Redis are managed services; no host waits for another.
    assert set(hosts) == {"migrate", *APP_PROCESSES}
    for name, service in hosts.items():
        assert "depends_on" not in service
        for key in ("command", "healthcheck", "restart", "stop_grace_period", "env_file"):
            assert service.get(key) == one_host[name].get(key), (name, key)
    # The release's image, pulled, never built on a host.
    assert all("build" not in service for service in hosts.values())


@pytest.mark.parametrize("compose", COMPOSE_FILES)
def test_web_and_worker_share_the_media_folder(compose):
    services = _services(compose)

    def media_mount(service: str) -> set[str]:
        return {volume.split(":", 1)[0] for volume in services[service]["volumes"] if volume.endswith(_media_root())}

    assert media_mount("web") == media_mount("worker") != set()


@pytest.mark.parametrize("compose", COMPOSE_FILES)
def test_web_listens_on_every_interface_of_its_container(compose):
    web = _services(compose)["web"]
    assert web["environment"]["BIND"] == "0.0.0.0:8000"
    assert all(port.endswith(":8000:8000") for port in web["ports"])


@pytest.mark.parametrize("compose", COMPOSE_FILES)
def test_worker_and_web_get_time_to_stop_gracefully(compose):
    services = _services(compose)
    assert services["worker"]["stop_grace_period"] == "60s"
    assert services["web"]["stop_grace_period"] == "35s"


# --- the environment ------------------------------------------------------------------------


def test_env_example_sets_every_variable_bin_production_requires():
    required = re.search(r"for variable in ([A-Z_ ]+); do", (ROOT / "bin" / "production").read_text()).group(1)
    example = _env_example()
    assert {"SECRET_KEY", "ALLOWED_HOSTS", "DATABASE_URL", "REDIS_URL"} <= set(required.split())
    for variable in required.split():
        assert example.get(variable), variable
    assert example["DEBUG"] == "false"


def test_env_example_database_url_matches_the_db_service():
    example = _env_example()
    url = urlsplit(example["DATABASE_URL"])
    assert (url.username, url.password, url.path.lstrip("/"), url.hostname) == (
        example["POSTGRES_USER"],
        example["POSTGRES_PASSWORD"],
        example["POSTGRES_DB"],
        "db",
    )
    assert urlsplit(example["REDIS_URL"]).hostname == "redis"


def test_env_example_holds_no_usable_secret():
    example = _env_example()
    assert example["SECRET_KEY"].startswith("replace-with-")
    assert "replace-with-" in example["POSTGRES_PASSWORD"]


def test_the_real_env_file_is_neither_committed_nor_built_into_the_image():
    assert "deploy/stride.env" in (ROOT / ".gitignore").read_text().splitlines()
    ignored = (ROOT / ".dockerignore").read_text().splitlines()
    assert {".git", ".venv", "var", "node_modules", "test-artifacts", "**/*.env"} <= set(ignored)


# --- the image ------------------------------------------------------------------------------


def test_image_is_slim_python_with_weasyprint_libraries_and_runs_as_stride():
    dockerfile = _dockerfile()
    assert dockerfile.splitlines()[[line.startswith("FROM") for line in dockerfile.splitlines()].index(True)] == (
        "FROM python:3.11-slim-bookworm"
    )
    for package in WEASYPRINT_PACKAGES.split():
        assert re.search(rf"\s{re.escape(package)}\s", dockerfile), package
    assert "pip install -r requirements.txt" in dockerfile
    assert re.search(r"^USER stride$", dockerfile, re.MULTILINE)
    assert dockerfile.rstrip().splitlines()[-1] == 'CMD ["bin/process", "web"]'


def test_image_collects_static_files_with_a_key_no_container_runs_with():
    instructions = [line for line in _dockerfile().splitlines() if not line.startswith("#")]
    # The key is set for the one command, never with ENV or ARG (which containers would inherit).
    [index] = [index for index, line in enumerate(instructions) if "SECRET_KEY" in line]
    assert instructions[index].startswith("RUN SECRET_KEY=collectstatic-only-")
    assert instructions[index + 1].strip() == "python manage.py collectstatic --noinput --verbosity 0"


# --- the web container's probe ------------------------------------------------------------


class _Readyz(http.server.BaseHTTPRequestHandler):
    status = 200
    hosts: list[str] = []

    def do_GET(self):
        type(self).hosts.append(self.headers["Host"])
        self.send_response(self.status if self.path == "/readyz" else 404)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.mark.parametrize(("status", "exit_status"), [(200, 0), (503, 1)])
def test_web_probe_asks_readyz_as_an_allowed_host(status, exit_status):
    handler = type("Handler", (_Readyz,), {"status": status, "hosts": []})
    server = http.server.HTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        result = subprocess.run(
            [sys.executable, str(DEPLOY / "probe.py")],
            env={"BIND": f"0.0.0.0:{server.server_port}", "ALLOWED_HOSTS": ".clinic.example.com,other.example.com"},
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
    finally:
        server.shutdown()
    assert result.returncode == exit_status, result.stderr
    assert handler.hosts == ["clinic.example.com"]


def test_web_probe_fails_when_nothing_listens():
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        port = unused.getsockname()[1]
    result = subprocess.run(
        [sys.executable, str(DEPLOY / "probe.py")],
        env={"BIND": f"127.0.0.1:{port}"},
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert result.returncode == 1
    assert result.stderr.startswith("readyz: ")


# --- systemd units ------------------------------------------------------------------------


def _unit(name: str) -> configparser.ConfigParser:
    unit = configparser.ConfigParser(strict=False, interpolation=None)
    unit.optionxform = str
    unit.read_string((DEPLOY / "systemd" / f"stride-{name}.service").read_text())
    return unit


@pytest.mark.parametrize(("process", "stop_seconds"), [("web", "35"), ("worker", "60"), ("beat", "10")])
def test_systemd_units_restart_each_process_through_bin_process(process, stop_seconds):
    service = _unit(process)["Service"]
    assert service["ExecStart"] == f"/srv/stride/bin/process {process}"
    assert service["EnvironmentFile"] == "/etc/stride/stride.env"
    assert service["WorkingDirectory"] == "/srv/stride"
    assert (service["Restart"], service["RestartSec"]) == ("always", "2")
    assert service["TimeoutStopSec"] == stop_seconds
    # TERM to the main process (warm shutdown), then whatever is left of the group is killed.
    assert service["KillMode"] == "mixed"
    assert service["User"] == "stride"
    assert _unit(process)["Install"]["WantedBy"] == "multi-user.target"


def test_there_is_one_unit_per_process():
    units = sorted(path.name for path in (DEPLOY / "systemd").iterdir())
    assert units == ["stride-beat.service", "stride-web.service", "stride-worker.service"]
