"""The accessibility check itself finds what it should, so a journey passing it means something."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import DESK, Journey, axe_violations, describe, focus_is_on, tab_to


def test_axe_reports_serious_problems_and_passes_a_clean_page(browser):
    context = browser.new_context(**DESK)
    page = context.new_page()
    page.set_content(
        '<html><head><title>t</title></head><body><main><img src="x.png">'
        '<p style="color:#ccc;background:#fff">faint</p><input name="q"></main></body></html>'
    )
    found = {v["id"] for v in axe_violations(page)}
    assert {"image-alt", "color-contrast", "label"} <= found
    assert "image-alt" in describe(axe_violations(page))

    page.set_content(
        '<html lang="en"><head><title>t</title></head><body><main><h1>Fine</h1>'
        '<label for="q">Find</label><input id="q"></main></body></html>'
    )
    assert axe_violations(page) == []
    context.close()


def test_tab_to_refuses_an_invisible_focus(browser):
    context = browser.new_context(**DESK)
    page = context.new_page()
    page.set_content(
        '<html lang="en"><body><a href="#a" style="outline:3px solid red">one</a>'
        '<a href="#b" style="outline:none">two</a></body></html>'
    )
    tab_to(page, page.get_by_role("link", name="one"))
    assert focus_is_on(page.get_by_role("link", name="one"))
    with pytest.raises(AssertionError, match="the focus is not visible"):
        tab_to(page, page.get_by_role("link", name="two"))
    context.close()


@pytest.mark.django_db(transaction=True)
def test_a_journey_knows_which_loaded_pages_it_never_checked(browser, live_server, tmp_path, monkeypatch):
    monkeypatch.setattr("tests.e2e.conftest.ARTIFACTS", tmp_path)
    trip = Journey(browser, live_server.url, "unchecked")
    page = trip.open()
    page.goto(trip.url("/accounts/login/"))
    trip.check(page, "sign-in")
    page.goto(trip.url("/accounts/password/reset/"))
    assert trip.unchecked() == {"password_reset": "/accounts/password/reset/"}
    assert (tmp_path / "unchecked" / "sign-in.png").exists()
    trip.close(page)
