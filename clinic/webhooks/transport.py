"""The HTTP of a webhook delivery, with requests: imported by the process that delivers (the
worker) when it first sends, so the web processes, which only queue deliveries, never carry it."""

from __future__ import annotations

import requests
from requests.adapters import HTTPAdapter


class PinnedAdapter(HTTPAdapter):
    """Connects to the address that was checked instead of resolving the name again, so a
    name that answers a public address to the check and a private one a moment later (DNS
    rebinding) cannot turn a webhook into a request inside the clinic's network. TLS still
    sends the host name (SNI) and verifies the certificate against it."""

    def __init__(self, hostname: str) -> None:
        self.hostname = hostname
        super().__init__(max_retries=0)

    def build_connection_pool_key_attributes(self, request, verify, cert=None):
        host_params, pool_kwargs = super().build_connection_pool_key_attributes(request, verify, cert)
        if host_params["scheme"] == "https":
            pool_kwargs["server_hostname"] = self.hostname
            pool_kwargs["assert_hostname"] = self.hostname
        return host_params, pool_kwargs


def post(url: str, *, hostname: str, body: bytes, headers: dict[str, str], timeout: float) -> tuple[int | None, str]:
    """POST ``body`` to ``url`` (the checked address) through an adapter pinned to ``hostname``:
    the receiver's status code and, unless it is a 2xx, what went wrong, or None and why no
    answer came."""
    try:
        with requests.Session() as session:
            adapter = PinnedAdapter(hostname)
            session.mount("https://", adapter)
            session.mount("http://", adapter)
            with session.post(
                url,
                data=body,
                headers=headers,
                timeout=timeout,
                allow_redirects=False,
                stream=True,
                # No proxy from the environment (it would resolve the name itself); a CA bundle
                # named there (REQUESTS_CA_BUNDLE) still applies.
                proxies={"http": None, "https": None},
            ) as response:
                # The receiver's body is never read or kept: nobody knows what it may quote.
                code = response.status_code
                return code, "" if 200 <= code < 300 else f"HTTP {code}"
    except requests.Timeout:
        return None, f"No answer within {timeout:g} s."
    except requests.exceptions.SSLError:
        return None, "The TLS certificate or handshake was refused."
    except requests.ConnectionError:
        return None, "Could not connect to the receiver."
    except requests.RequestException as error:
        # Only the class: the text of a request error may quote the address with its query.
        return None, f"The request failed ({type(error).__name__})."
