"""A real HTTP receiver on 127.0.0.1 for the sending tests, and endpoints that point at it."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from clinic.webhooks import services


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    """Answers each POST with the next planned reply (a status code, or ``"hang"`` to answer
    only after the sender's timeout); 204 once the plan is used up."""

    url: str
    requests: list[Received] = field(default_factory=list)
    replies: list = field(default_factory=list)
    redirect_to: str = ""

    def plan(self, *replies) -> None:
        self.replies[:] = list(replies)


@pytest.fixture
def receiver(settings):
    settings.WEBHOOK_ALLOW_PRIVATE_NETWORKS = True
    # Generous: a loaded test machine must not turn a slow local answer into a timeout.
    settings.WEBHOOK_TIMEOUT_SECONDS = 10
    state: dict = {}
    release = threading.Event()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            target = state["receiver"]
            target.requests.append(Received(self.path, dict(self.headers.items()), body))
            reply = target.replies.pop(0) if target.replies else 204
            if reply == "hang":
                release.wait(30)
                reply = 204
            self.send_response(reply)
            if 300 <= reply < 400:
                self.send_header("Location", target.redirect_to or "/elsewhere")
            message = b"" if reply == 204 else b"nope: patient Jane Roe is unknown to us, and more text"
            self.send_header("Content-Length", str(len(message)))
            self.end_headers()
            self.wfile.write(message)

        def log_message(self, *args):  # keep the test output quiet
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    state["receiver"] = Receiver(url=f"http://127.0.0.1:{server.server_port}/hooks")
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield state["receiver"]
    release.set()
    server.shutdown()
    server.server_close()


@pytest.fixture
def make_endpoint(clinic_admin):
    def make(url: str = "https://receiver.example.test/hooks", events=("plan.signed",), **kwargs):
        endpoint, _ = services.endpoint_create(actor=clinic_admin, url=url, event_types=list(events), **kwargs)
        return endpoint

    return make
