"""HTTP benchmark: Stride's hot paths against a bare Django view, both under gunicorn with
``gunicorn.conf.py``, driven by wrk on the loopback only.

wrk is the Debian package (``apt-get install wrk``); locust tops out near 1,000 req/s on this
kind of machine and cannot measure the anchor. Run by hand from the repository root (never part
of the test suite), with PostgreSQL and Redis answering; it takes about eight minutes:

    .venv/bin/python bench/http_bench.py
    .venv/bin/python bench/http_bench.py --pairs 3 --seconds 10 --stall-seconds 60 \\
        --database postgres://postgres@127.0.0.1:5432/bench_http --redis redis://127.0.0.1:6379/8

It drops and creates the ``--database`` database, empties the ``--redis`` database and starts
the production run as ``bench/load.py`` does (``bin/production``: gunicorn, Celery worker and
beat under supervisord, DEBUG off, behind an imitated TLS proxy) and seeds the same synthetic
clinic. Beside it, the anchor: ``bench/bare_site.py`` (one view, no middleware, no database)
under gunicorn with the same ``gunicorn.conf.py`` and the same number of workers.

Each path is measured in ``--pairs`` pairs, each pair an anchor run right before the product
run (so both see the same machine: other people's work on a shared machine changes by the
minute), ``--connections`` connections, ``--seconds`` each:

  /healthz                 the liveness probe (no cookie)
  intake step, GET         the six steps' pages round the seeded patients' links
  intake step, POST        the six steps' valid answers (CSRF cookie and token), 302 to the next
  episode page             the clinician's page of an episode, signed in (a session per
                           connection slot, made as the second factor's sign-in leaves it)

and the ratio of each pair (product req/s / anchor req/s) is printed with the load average at
the start of the pair; the table gives the median of the pairs. Any response with another
status than the one expected, a socket error or a timeout is counted and reported per run, with
the maximum latency and the web workers gunicorn replaced during the run (``max_requests``), so
a recycling stall shows. A last ``--stall-seconds`` run on /healthz, fast enough for every
worker to reach ``max_requests`` several times, shows whether their replacement stops the site;
the anchor's run of as long comes right before it, so what the machine does to both shows as such.
Then the memory of the web workers against the anchor's (resident, and unique to the worker).
The report also goes to ``test-artifacts/bench/http.txt``; at the end the servers stop, the
database is dropped and the Redis database emptied.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

import psutil
from load import (
    _answers,
    _free_port,
    _production_environment,
    _seed,
    _wait_for,
    clean_up,
    start_production,
)

REPOSITORY = Path(__file__).resolve().parent.parent
REPORT = REPOSITORY / "test-artifacts" / "bench" / "http.txt"
SERVER_LOG = REPOSITORY / "test-artifacts" / "bench" / "http-server.log"
GOALS = {"/healthz": 0.6, "intake step, GET": 0.25, "intake step, POST": 0.25, "episode page": 0.10}
# Sessions made for the episode page: enough that no two connections write the same one often.
SESSIONS = 50
# Patients' links the intake runs go round.
LINKS = 150

# wrk's Lua side: requests prepared once per thread, round robin; each response's status
# checked; a JSON summary line at the end that the bench reads.
LUA = r"""
local requests_list = {}
local position = 0
local threads = {}
unexpected = 0

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  for _, r in ipairs(PLAN) do
    table.insert(requests_list, wrk.format(r[1], r[2], r[3], r[4]))
  end
  position = math.random(#requests_list) - 1
end

function request()
  position = position % #requests_list + 1
  return requests_list[position]
end

function response(status, headers, body)
  if status ~= EXPECTED then
    unexpected = unexpected + 1
  end
end

function done(summary, latency, requests)
  local total = 0
  for _, thread in ipairs(threads) do
    total = total + thread:get("unexpected")
  end
  local e = summary.errors
  io.write(string.format(
    'STRIDE {"requests": %d, "micros": %d, "unexpected": %d, "connect": %d, "read": %d, ' ..
    '"write": %d, "status": %d, "timeout": %d, "max_ms": %.1f, "p50_ms": %.1f, "p99_ms": %.1f}\n',
    summary.requests, summary.duration, total, e.connect, e.read, e.write, e.status, e.timeout,
    latency.max / 1000, latency:percentile(50) / 1000, latency:percentile(99) / 1000))
end
"""


def _lua_string(text: str) -> str:
    level = "=" * 4
    assert f"]{level}]" not in text
    return f"[{level}[{text}]{level}]"


@dataclass
class Target:
    """One path under test: what wrk sends, and the status each response must have."""

    name: str
    requests: list[tuple[str, str, dict[str, str], str]]
    expected: int
    # What a response must contain, checked once with urllib before the runs.
    contains: str = ""
    script: Path | None = field(default=None, repr=False)

    def write_script(self, directory: Path) -> None:
        rows = []
        for method, path, headers, body in self.requests:
            header_table = ", ".join(f"[ {_lua_string(k)} ] = {_lua_string(v)}" for k, v in headers.items())
            body_text = _lua_string(body) if body else "nil"
            rows.append(f"  {{{_lua_string(method)}, {_lua_string(path)}, {{{header_table}}}, {body_text}}}")
        self.script = directory / f"{self.name.replace(' ', '-').replace(',', '').replace('/', '')}.lua"
        plan = ",\n".join(rows)
        self.script.write_text(f"PLAN = {{\n{plan}\n}}\nEXPECTED = {self.expected}\n{LUA}")


@dataclass
class Run:
    rate: float
    result: dict
    replaced_workers: int

    @property
    def problems(self) -> int:
        r = self.result
        return r["unexpected"] + r["connect"] + r["read"] + r["write"] + r["timeout"]


def _load_average() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def _workers(master_pid: int) -> list[psutil.Process]:
    """The gunicorn workers under a process (the gunicorn master, or supervisord above it)."""
    found = []
    for process in psutil.Process(master_pid).children(recursive=True):
        try:
            parent = process.parent()
            if (
                parent is not None
                and "gunicorn" in " ".join(parent.cmdline())
                and "gunicorn" in " ".join(process.cmdline())
            ):
                found.append(process)
        except psutil.NoSuchProcess:
            continue
    return found


def _wrk(target: Target, base: str, seconds: int, connections: int, master_pid: int) -> Run:
    before = {process.pid for process in _workers(master_pid)}
    command = ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--timeout", "5s", "-s", str(target.script), base]
    finished = subprocess.run(command, capture_output=True, text=True, check=True)  # noqa: S603
    after = {process.pid for process in _workers(master_pid)}
    line = next((line for line in finished.stdout.splitlines() if line.startswith("STRIDE ")), None)
    if line is None or finished.stderr.strip():
        raise SystemExit(f"wrk failed on {target.name}: {finished.stderr.strip()[:500]}")
    result = json.loads(line.removeprefix("STRIDE "))
    return Run(result["requests"] / (result["micros"] / 1e6), result, len(after - before))


def _check(target: Target, base: str) -> None:
    """One request of the target through urllib: the status and page wrk will count as right."""
    import urllib.error
    import urllib.request

    method, path, headers, body = target.requests[0]
    request = urllib.request.Request(  # noqa: S310 - our own loopback URL
        base + path, data=body.encode() if body else None, headers=headers, method=method
    )

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    opener = urllib.request.build_opener(NoRedirect)
    try:
        with opener.open(request, timeout=30) as response:
            status, text = response.status, response.read().decode(errors="replace")
    except urllib.error.HTTPError as error:
        status, text = error.code, error.read().decode(errors="replace")
    if status != target.expected or target.contains not in text:
        raise SystemExit(f"{target.name}: {method} {path} answered {status}, expected {target.expected}: {text[:300]}")


def _targets(plan: dict, origin: str) -> dict[str, Target]:
    """What each path's runs send. Needs Django set up (the sessions and CSRF tokens)."""
    from django.conf import settings
    from django.middleware.csrf import _get_new_csrf_string, _mask_cipher_secret
    from django.test import Client

    from clinic.models import User

    proxy = {"X-Forwarded-Proto": "https"}
    links = plan["links"][:LINKS]
    gets, posts = [], []
    for n, link in enumerate(links):
        for step in plan["steps"]:
            path = f"/intake/{link}/step/{step['code']}/"
            gets.append(("GET", path, proxy, ""))
        # Each link's posts go through the steps in a different order, so that the same step's
        # answers are not all written at the same moment.
        secret = _get_new_csrf_string()
        cookie = f"{settings.CSRF_COOKIE_NAME}={secret}"
        for step in plan["steps"][n % 6 :] + plan["steps"][: n % 6]:
            body = urlencode({"csrfmiddlewaretoken": _mask_cipher_secret(secret), **step["answers"]}, doseq=True)
            headers = {
                **proxy,
                "Cookie": cookie,
                "Origin": origin,
                "Referer": f"{origin}/intake/{link}/step/{step['code']}/",
                "Content-Type": "application/x-www-form-urlencoded",
            }
            posts.append(("POST", f"/intake/{link}/step/{step['code']}/", headers, body))
    # Signed in as the second factor leaves it: the session the page reads is all it checks.
    cookies = []
    clinicians = list(User.objects.filter(email__in=plan["clinicians"]).order_by("pk"))
    for n in range(SESSIONS):
        client = Client()
        client.force_login(clinicians[n % len(clinicians)])
        cookies.append(f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}")
    episodes = [episode for _, episode in plan["patients"]]
    pages = [
        ("GET", f"/episodes/{episodes[(n * 7) % len(episodes)]}/", {**proxy, "Cookie": cookies[n % SESSIONS]}, "")
        for n in range(SESSIONS * 4)
    ]
    return {
        "/healthz": Target("/healthz", [("GET", "/healthz", proxy, "")], 200, "ok"),
        "intake step, GET": Target("intake step, GET", gets, 200, "csrfmiddlewaretoken"),
        "intake step, POST": Target("intake step, POST", posts, 302),
        "episode page": Target("episode page", pages, 200, '<h2 id="visits">'),
    }


def _memory_mib(master_pid: int) -> tuple[float, float]:
    """The median worker's resident memory, and its unique memory (what it does not share with
    the master it was forked from: what one more worker costs)."""
    infos = [process.memory_full_info() for process in _workers(master_pid)]
    return statistics.median(i.rss for i in infos) / 2**20, statistics.median(i.uss for i in infos) / 2**20


def _start_anchor(environment: dict[str, str], port: int, log: Path) -> subprocess.Popen:
    anchor_environment = {**environment, "DJANGO_SETTINGS_MODULE": "bench.bare_site", "PORT": str(port)}
    with log.open("ab") as output:
        return subprocess.Popen(  # noqa: S603 - fixed arguments
            [str(REPOSITORY / ".venv" / "bin" / "gunicorn"), "-c", "gunicorn.conf.py", "bench.bare_site:application"],
            cwd=REPOSITORY,
            env=anchor_environment,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def _stop(process: subprocess.Popen | None) -> None:
    if process is not None and process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)


def _run_line(label: str, run: Run) -> str:
    r = run.result
    errors = r["connect"] + r["read"] + r["write"]
    return (
        f"{label} {run.rate:>7.0f} req/s p50 {r['p50_ms']:>5.1f} p99 {r['p99_ms']:>6.1f} max {r['max_ms']:>6.0f} ms, "
        f"wrong status {r['unexpected']}, timeouts {r['timeout']}, socket errors {errors}, "
        f"workers replaced {run.replaced_workers}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=3, help="anchor/product pairs per path (default 3)")
    parser.add_argument("--seconds", type=int, default=10, help="seconds of each run (default 10)")
    parser.add_argument("--connections", type=int, default=50, help="wrk connections (default 50)")
    parser.add_argument("--stall-seconds", type=int, default=60, help="seconds of the recycling run (default 60)")
    parser.add_argument("--patients", type=int, default=2000, help="patients seeded (default 2000)")
    parser.add_argument("--workers", type=int, default=0, help="gunicorn workers (default: gunicorn.conf.py's)")
    parser.add_argument("--only", action="append", choices=sorted(GOALS), help="measure only this path (repeatable)")
    parser.add_argument(
        "--database",
        default="postgres://postgres@127.0.0.1:5432/bench_http",
        help="PostgreSQL database to create, use and drop (default postgres://postgres@127.0.0.1:5432/bench_http)",
    )
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/8", help="Redis database to use and empty")
    options = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("bench/http_bench.py needs wrk: apt-get install wrk")

    var_dir = Path(tempfile.mkdtemp(prefix="stride-bench-http-"))
    port, anchor_port = _free_port(), _free_port()
    base, anchor_base = f"http://127.0.0.1:{port}", f"http://127.0.0.1:{anchor_port}"
    environment = _production_environment(options, var_dir, port)
    server = anchor = None
    try:
        server = start_production(options, var_dir, environment)
        anchor = _start_anchor(environment, anchor_port, var_dir / "anchor.log")
        _wait_for(lambda: _answers(f"{base}/readyz"), 300, "the production run to answer /readyz", server)
        _wait_for(lambda: _answers(f"{anchor_base}/bare/"), 60, "the anchor to answer", anchor)

        os.environ.update(environment)
        os.environ["DJANGO_SETTINGS_MODULE"] = "clinic.settings"
        sys.path.insert(0, str(REPOSITORY))
        import django

        django.setup()
        plan = _seed(options.patients, LINKS)
        targets = _targets(plan, f"https://127.0.0.1:{port}")
        from django.db import connections

        connections.close_all()

        bare = Target("bare", [("GET", "/bare/", {"X-Forwarded-Proto": "https"}, "")], 200, "ok")
        for target in [bare, *targets.values()]:
            target.write_script(var_dir)
            _check(target, anchor_base if target is bare else base)
        names = options.only or list(GOALS)
        # Warm both sides (templates, URL resolvers, connections) before anything is counted.
        _wrk(bare, anchor_base, 3, options.connections, anchor.pid)
        for name in names:
            _wrk(targets[name], base, 3, options.connections, server.pid)

        lines = [
            "HTTP benchmark: production run (bin/production: gunicorn -c gunicorn.conf.py, PostgreSQL, Redis, "
            "Celery worker and beat) against a bare Django view under the same gunicorn settings",
            f"  machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
            f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; gunicorn workers: "
            f"{options.workers or 'gunicorn.conf.py default (2 x cores + 1)'}",
            f"  wrk, {options.connections} connections, 2 threads, {options.seconds} s a run; each pair: the anchor "
            f"run, then the product run; load = 1/5/15-minute load average at the start of the pair",
        ]
        print("\n".join(lines), flush=True)
        ratios: dict[str, list[float]] = {}
        rates: dict[str, list[tuple[float, float]]] = {}
        for pair in range(1, options.pairs + 1):
            for name in names:
                load = _load_average()
                bare_run = _wrk(bare, anchor_base, options.seconds, options.connections, anchor.pid)
                run = _wrk(targets[name], base, options.seconds, options.connections, server.pid)
                ratio = run.rate / bare_run.rate
                ratios.setdefault(name, []).append(ratio)
                rates.setdefault(name, []).append((bare_run.rate, run.rate))
                block = [
                    f"{name}, pair {pair} (load {load}): ratio {ratio:.3f}",
                    _run_line("    anchor ", bare_run),
                    _run_line("    product", run),
                ]
                print("\n".join(block), flush=True)
                lines += block

        table = ["", f"| path | anchor req/s | Stride req/s | ratio (median of {options.pairs}) | goal | met |"]
        table.append("|---|---|---|---|---|---|")
        for name in names:
            ratio = statistics.median(ratios[name])
            anchor_rate = statistics.median(r[0] for r in rates[name])
            product_rate = statistics.median(r[1] for r in rates[name])
            table.append(
                f"| {name} | {anchor_rate:.0f} | {product_rate:.0f} | {ratio:.3f} "
                f"({', '.join(f'{r:.3f}' for r in ratios[name])}) | >= {GOALS[name]} | "
                f"{'yes' if ratio >= GOALS[name] else 'no'} |"
            )
        print("\n".join(table), flush=True)
        lines += table

        if options.stall_seconds:
            stall_target = targets["/healthz"]
            load = _load_average()
            # The anchor's workers are replaced as often, right before: what both show is the
            # machine's, what only Stride shows is its own.
            bare_run = _wrk(bare, anchor_base, options.stall_seconds, options.connections, anchor.pid)
            run = _wrk(stall_target, base, options.stall_seconds, options.connections, server.pid)
            block = [
                "",
                f"Recycling run: /healthz, {options.stall_seconds} s (load {load}), every worker replaced several "
                "times (max_requests), the anchor's run right before; a stall shows as timeouts (> 5 s), a "
                "maximum latency of seconds, or socket errors",
                _run_line("    anchor ", bare_run),
                _run_line("    product", run),
            ]
            print("\n".join(block), flush=True)
            lines += block

        (product_rss, product_uss), (anchor_rss, anchor_uss) = _memory_mib(server.pid), _memory_mib(anchor.pid)
        memory = [
            "",
            f"Memory of one web worker (median of the workers): resident Stride {product_rss:.0f} MiB, bare Django "
            f"{anchor_rss:.0f} MiB, ratio {product_rss / anchor_rss:.2f} (goal <= 2); unique to the worker "
            f"(not shared with the master it was forked from) Stride {product_uss:.0f} MiB, bare Django "
            f"{anchor_uss:.0f} MiB",
            f"  load average at the end: {_load_average()}",
        ]
        print("\n".join(memory), flush=True)
        lines += memory
        REPORT.parent.mkdir(parents=True, exist_ok=True)
        REPORT.write_text("\n".join(lines) + "\n")
    finally:
        _stop(anchor)
        _stop(server)
        clean_up(options, var_dir, SERVER_LOG)


if __name__ == "__main__":
    main()
