"""The clinic outcomes page and its CSV: who sees it, its filters, its figures, its audit row and its queries."""

from __future__ import annotations

import csv
import datetime
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from clinic.models import AuditEvent, ClinicThreshold
from tests.factories import PatientFactory
from tests.notes.conftest import signed_in
from tests.notes.outcome_fixtures import discharged_episode

URL = reverse("clinic_outcomes")
CSV_URL = reverse("clinic_outcomes_csv")


def _many(clinic, clinician, count, **values):
    return [discharged_episode(PatientFactory(clinic=clinic), clinician, **values) for _ in range(count)]


@pytest.mark.parametrize(("role", "status"), [("clinician", 200), ("clinic_admin", 200), ("front_desk", 403)])
def test_clinicians_and_the_clinic_admin_see_the_page_the_front_desk_does_not(client, request, role, status):
    user = request.getfixturevalue(role)
    signed_in(client, user)
    assert client.get(URL).status_code == status
    assert client.get(CSV_URL).status_code == status


def test_signed_out_is_sent_to_sign_in(client):
    assert client.get(URL).status_code == 302


def test_the_empty_state(client, clinician):
    response = signed_in(client, clinician).get(URL)
    assert "No discharged episode matches these filters yet." in response.content.decode()


def test_a_small_group_is_too_few_to_judge_and_names_no_patient(client, clinician, clinic):
    episodes = _many(clinic, clinician, 2)
    page = signed_in(client, clinician).get(URL).content.decode()
    assert "Gluteal tendinopathy" in page
    assert "Hip abductor weakness" in page
    assert "too few to judge (2)" in page
    for episode in episodes:
        assert episode.patient.full_name not in page


def test_a_group_of_the_minimum_size_is_judged(client, clinician, clinic):
    _many(clinic, clinician, 4, hos=(50, 70))
    _many(clinic, clinician, 1, hos=(50, 52))
    page = signed_in(client, clinician).get(URL).content.decode()
    assert "MCID: 80 % of 5" in page  # 4 of 5 improved by at least 9 points
    assert "PASS: 80 % of 5" in page  # 70 is at or above 66; 52 is not
    assert "Median visits: 2 (n 5)" in page


def test_the_minimum_group_size_is_a_clinic_setting(client, clinician, clinic):
    _many(clinic, clinician, 3)
    ClinicThreshold.objects.create(clinic=clinic, key="outcomes_min_group", value=3)
    assert "MCID: 100 % of 3" in signed_in(client, clinician).get(URL).content.decode()


def test_lost_to_follow_up(client, clinician, clinic):
    _many(clinic, clinician, 3, follow_up_answered=True)
    _many(clinic, clinician, 2, follow_up_answered=False)
    assert "Lost to follow-up: 40 % of 5" in signed_in(client, clinician).get(URL).content.decode()


def test_filters_keep_the_clinic_the_clinician_the_dates_and_the_condition(
    client, clinician, clinic, other_clinic, foreign_episode
):
    _many(clinic, clinician, 2, discharged_on=datetime.date(2026, 2, 2))
    _many(clinic, clinician, 1, discharged_on=datetime.date(2026, 4, 1), condition="si_joint_pain")
    discharged_episode(foreign_episode.patient, foreign_episode.lead_clinician)
    signed_in(client, clinician)

    def results(query=None) -> str:
        # The figures, after the filter form (whose condition list names every condition).
        return client.get(URL, query or {}).content.decode().rsplit("</form>", 1)[1]

    every = results()
    assert "too few to judge (2)" in every
    assert "SI joint pain" in every
    assert "too few to judge (3)" not in every  # the other clinic's episode is not counted
    february = results({"discharged_from": "2026-02-01", "discharged_to": "2026-02-28"})
    assert "Gluteal" in february
    assert "SI joint pain" not in february
    only_si = results({"condition": "si_joint_pain"})
    assert "SI joint pain" in only_si
    assert "Gluteal" not in only_si
    assert "SI joint pain" not in results({"clinician": str(clinician.pk), "discharged_to": "2026-03-31"})
    assert client.get(URL, {"clinician": str(foreign_episode.lead_clinician.pk)}).status_code == 400


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        ({"discharged_from": "2026-02-31"}, "discharged_from", "Enter a valid date."),
        ({"discharged_from": "2026-03-01", "discharged_to": "2026-02-01"}, "discharged_to", "before the first day"),
        ({"condition": "broken_leg"}, "condition", "Select a valid choice."),
        ({"clinician": "x" * 5000}, "clinician", "Select a valid choice."),
        ({"discharged_to": "2026-02-01\x00"}, "discharged_to", ""),
    ],
)
def test_bad_filters_are_shown_with_what_was_typed(client, clinician, query, field, message):
    response = signed_in(client, clinician).get(URL, query)
    page = response.content.decode()
    assert response.status_code == 400
    assert f'id="id_{field}_errors"' in page
    assert message in page
    assert "Download these figures" not in page
    bad_csv = client.get(CSV_URL, query)
    assert bad_csv.status_code == 400
    assert bad_csv["Content-Type"].startswith("text/html")


def test_the_csv_has_every_figure_with_its_episodes_and_the_filters(client, clinician, clinic):
    _many(clinic, clinician, 5, discharged_on=datetime.date(2026, 2, 2))
    _many(clinic, clinician, 1, discharged_on=datetime.date(2026, 4, 1))
    signed_in(client, clinician)
    for response in (
        client.get(CSV_URL, {"discharged_to": "2026-02-28"}),
        client.get(URL, {"discharged_to": "2026-02-28", "format": "csv"}),
    ):
        assert response["Content-Type"].startswith("text/csv")
        rows = list(csv.reader(io.StringIO(response.content.decode())))
        assert rows[0] == ["condition", "rule", "prong", "figure", "value", "episodes"]
        by_figure = {row[3]: row[4:] for row in rows[1:]}
        assert by_figure["discharged episodes"] == ["5", "5"]
        assert by_figure["HOS activities of daily living: share reaching MCID (%)"] == ["100", "5"]
        assert by_figure["share lost to follow-up (%)"] == ["too few to judge", "0"]


def test_a_read_of_aggregates_is_audited_without_a_patient(client, clinician, clinic):
    _many(clinic, clinician, 2)
    signed_in(client, clinician)
    client.get(URL)
    client.get(CSV_URL)
    rows = list(AuditEvent.objects.filter(action__startswith="outcomes.").order_by("id"))
    assert [(row.action, row.actor_id, row.clinic_id, row.patient_id) for row in rows] == [
        ("outcomes.viewed", clinician.pk, clinic.pk, None),
        ("outcomes.exported", clinician.pk, clinic.pk, None),
    ]


def _queries(client) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(URL).status_code == 200
    return len(queries)


def test_the_query_count_is_flat_in_the_number_of_episodes(client, clinician, clinic):
    signed_in(client, clinician)
    _many(clinic, clinician, 2, follow_up_answered=False)
    _queries(client)  # the first request of a session fills per-process caches
    two = _queries(client)
    _many(clinic, clinician, 18, follow_up_answered=True)
    assert _queries(client) == two


def test_the_dashboards_link_to_the_page(client, clinician, clinic_admin, front_desk):
    assert URL in signed_in(client, clinician).get(reverse("dashboard")).content.decode()
    assert URL in signed_in(client, clinic_admin).get(reverse("dashboard")).content.decode()
    assert URL not in signed_in(client, front_desk).get(reverse("dashboard")).content.decode()
