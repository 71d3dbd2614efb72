"""The API says what it does: unknown or empty filter parameters are refused naming them,
and the schema lists the status codes the endpoints answer."""

import pytest
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db


@pytest.fixture
def head_office(network) -> APIClient:
    client = APIClient()
    client.force_authenticate(network.head_office)
    return client


def test_an_empty_filter_parameter_answers_400_naming_it(head_office):
    response = head_office.get("/api/v1/leads/", {"created_after": ""})
    assert response.status_code == 400
    assert response.json() == {"created_after": ["This parameter is empty: give it a value or leave it out."]}


def test_a_parameter_the_endpoint_does_not_take_answers_400_naming_it(head_office):
    response = head_office.get("/api/v1/loans/", {"region": "null"})
    assert response.status_code == 400
    message = response.json()["region"][0]
    assert message.startswith("This endpoint takes no parameter “region”; it takes: ")
    assert "dealer" in message and "status" in message


def test_known_parameters_paging_and_an_action_s_own_parameters_still_work(network, head_office):
    assert head_office.get("/api/v1/dealers/", {"region": network.home_region.pk, "page": 1}).status_code == 200
    assert head_office.get("/api/v1/commission-entries/summary/", {"group_by": "dealer"}).status_code == 200
    assert head_office.get("/api/v1/health-scores/", {"month": "2026-10"}).status_code == 200


def test_the_schema_lists_the_status_codes_the_api_answers(head_office):
    schema = head_office.get("/api/schema/", {"format": "json"}).json()
    paths = schema["paths"]
    status = paths["/api/v1/loans/{id}/status/"]["post"]["responses"]
    assert {"200", "202", "400", "401", "403", "404"} <= set(status)
    assert {"200", "400", "401", "403", "404"} <= set(paths["/api/v1/loans/{id}/"]["get"]["responses"])
    assert {"200", "400", "401", "403"} <= set(paths["/api/v1/loans/"]["get"]["responses"])
    assert "429" in paths["/api/v1/auth/token/"]["post"]["responses"]
