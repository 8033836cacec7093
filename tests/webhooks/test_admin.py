"""The Django admin shows webhook endpoints and the delivery log read-only, for the admin's
own clinic, and never the secret."""

from __future__ import annotations

from clinic.permissions import Role
from clinic.webhooks import rules, services
from tests.factories import UserFactory


def test_the_admin_lists_the_clinics_deliveries_read_only(client, clinic_admin, make_endpoint, clinic, other_clinic):
    endpoint = make_endpoint()
    [ours] = services.emit(rules.EventType.PLAN_SIGNED, clinic_id=clinic.pk, data={"plan": 1})
    theirs_endpoint, _ = services.endpoint_create(
        actor=UserFactory(clinic=other_clinic, roles=[Role.CLINIC_ADMIN]),
        url="https://other.example.test/hooks",
        event_types=["plan.signed"],
    )
    [theirs] = services.emit(rules.EventType.PLAN_SIGNED, clinic_id=other_clinic.pk, data={"plan": 2})
    client.force_login(clinic_admin)

    listing = client.get("/admin/webhooks/webhookdelivery/").content.decode()
    assert str(ours.event_id) in listing
    assert str(theirs.event_id) not in listing
    detail = client.get(f"/admin/webhooks/webhookdelivery/{ours.pk}/change/")
    assert detail.status_code == 200
    assert 'name="_save"' not in detail.content.decode()
    assert client.get(f"/admin/webhooks/webhookdelivery/{theirs.pk}/change/").status_code == 302
    assert client.get("/admin/webhooks/webhookendpoint/add/").status_code == 403
    page = client.get(f"/admin/webhooks/webhookendpoint/{endpoint.pk}/change/").content.decode()
    assert endpoint.secret_hint in page
    assert endpoint.secret not in page
    assert theirs_endpoint.url not in client.get("/admin/webhooks/webhookendpoint/").content.decode()


def test_other_roles_do_not_see_webhooks_in_the_admin(client, clinician):
    clinician.is_staff = True
    clinician.save()
    client.force_login(clinician)

    assert client.get("/admin/webhooks/webhookdelivery/").status_code == 403
