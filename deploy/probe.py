"""The web container's health check (the slim image has no curl): exit 0 when the web process
on this host answers ``/readyz`` with 200, 1 otherwise.

It asks with the first name of ``ALLOWED_HOSTS`` as the Host header, since Django answers 400
to any other host. Standard library only: no Django start-up per probe.
"""

from __future__ import annotations

import os
import sys
import urllib.request


def main() -> int:
    port = os.environ.get("BIND", "127.0.0.1:8000").rpartition(":")[2]
    host = os.environ.get("ALLOWED_HOSTS", "localhost").split(",")[0].strip().lstrip(".")
    request = urllib.request.Request(f"http://127.0.0.1:{port}/readyz", headers={"Host": host})
    try:
        with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310
            return 0 if response.status == 200 else 1
    # Refused, timed out, or an answer other than 2xx (HTTPError): an OSError each.
    except OSError as error:
        print(f"readyz: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
