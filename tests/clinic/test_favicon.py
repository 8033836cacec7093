"""Every page names its icon, and /favicon.ico answers: browsers ask for it on every page."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db


def test_favicon_ico_leads_to_the_icon(client):
    response = client.get("/favicon.ico")

    assert response.status_code == 301
    assert response["Location"].endswith("favicon.svg")
    assert client.get(response["Location"]).status_code == 200


@pytest.mark.parametrize("path", ["/accounts/login/", "/intake/not-a-token/"])
def test_pages_link_the_icon(client, path):
    html = client.get(path).content.decode()

    assert 'rel="icon"' in html
