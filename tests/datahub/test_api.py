"""/api/v1/imports/: upload and check, rows with errors, remap, confirm; scoped like the pages."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from rest_framework.test import APIClient

from customers.models import Customer
from datahub.models import ImportBatch, ImportStatus
from tests.factories import ImportBatchFactory

pytestmark = pytest.mark.django_db

GOOD = "手机号,客户姓名,城市\n13812341234,张三,杭州\n13900001111,李四,宁波\n"
BAD = GOOD + "12345,王五,杭州\n"


@pytest.fixture
def api():
    def as_user(user):
        client = APIClient()
        client.force_authenticate(user)
        return client

    return as_user


def post_file(client, text: str, **fields):
    data = {
        "kind": "customers",
        "source": "crm",
        "system_name": "CRM 5",
        "file": SimpleUploadedFile("crm.csv", text.encode(), content_type="text/csv"),
        **fields,
    }
    return client.post("/api/v1/imports/", data, format="multipart")


def test_a_dealer_user_uploads_a_file_and_reads_its_errors_by_row_and_column(network, api):
    client = api(network.dealer_user)
    response = post_file(client, BAD)
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["dealer"], body["status"]) == (network.home_dealer.pk, "invalid")
    assert (body["rows_total"], body["rows_create"], body["rows_error"]) == (3, 2, 1)
    assert "content" not in body

    rows = client.get(f"/api/v1/imports/{body['id']}/rows/", {"action": "error"}).json()
    assert rows["count"] == 1
    assert rows["results"] == [
        {
            "row_number": 4,
            "action": "error",
            "natural_key": "12345",  # a row with errors still names its record
            "object_id": None,
            "errors": [["手机号", "“12345” is not an 11-digit mainland mobile number."]],
        }
    ]
    assert client.get(f"/api/v1/imports/{body['id']}/rows/", {"action": "nonsense"}).status_code == 400

    refused = client.post(f"/api/v1/imports/{body['id']}/confirm/")
    assert refused.status_code == 400
    assert refused.json() == {"non_field_errors": ["The file has errors: correct them and upload it again."]}


def test_a_clean_file_is_confirmed_and_written(network, api):
    client = api(network.dealer_user)
    batch_id = post_file(client, GOOD).json()["id"]
    response = client.post(f"/api/v1/imports/{batch_id}/confirm/")
    assert response.status_code == 200
    assert (response.json()["status"], response.json()["rows_create"]) == ("imported", 2)
    assert Customer.objects.filter(home_dealer=network.home_dealer).count() == 2
    assert client.post(f"/api/v1/imports/{batch_id}/confirm/").status_code == 400  # once


def test_the_mapping_endpoint_checks_again_with_other_columns(network, api):
    client = api(network.dealer_user)
    body = post_file(client, "Tel,Kunde,Ort\n13812341234,张三,杭州\n").json()
    assert body["status"] == "invalid" and body["file_headers"] == ["Tel", "Kunde", "Ort"]
    response = client.post(
        f"/api/v1/imports/{body['id']}/mapping/",
        {"columns": {"phone": "Tel", "name": "Kunde", "city": "Ort"}},
        format="json",
    )
    assert response.status_code == 200
    assert (response.json()["status"], response.json()["rows_create"]) == ("ready", 1)


def test_upload_errors_are_named_by_field(network, api):
    response = post_file(api(network.dealer_user), GOOD, kind="invoices", system_name=" ")
    assert response.status_code == 400
    assert set(response.json()) == {"kind", "system_name"}

    head_office = api(network.head_office)
    assert post_file(head_office, GOOD).json() == {"dealer": ["This field is required."]}
    created = post_file(head_office, GOOD, dealer=network.foreign_dealer.pk)
    assert created.status_code == 201 and created.json()["dealer"] == network.foreign_dealer.pk


def test_a_dealer_user_cannot_import_for_another_dealer(network, api):
    response = post_file(api(network.dealer_user), GOOD, dealer=network.foreign_dealer.pk)
    assert response.status_code == 400 and "dealer" in response.json()
    assert not ImportBatch.objects.exists()


def test_an_oversize_request_answers_413(network, api):
    with override_settings(IMPORT_MAX_BYTES=1024):
        response = post_file(api(network.dealer_user), "x" * 200_000)
    assert response.status_code == 413
    assert not ImportBatch.objects.exists()


def test_each_role_lists_the_imports_of_its_scope(network, api):
    own = ImportBatchFactory(dealer=network.home_dealer)
    foreign = ImportBatchFactory(dealer=network.foreign_dealer)
    seen = {
        user.username: {row["id"] for row in api(user).get("/api/v1/imports/").json()["results"]}
        for user in (network.dealer_user, network.regional_manager, network.head_office)
    }
    assert seen == {"dealer": {own.pk}, "manager": {own.pk}, "headoffice": {own.pk, foreign.pk}}
    assert api(network.finance_user).get("/api/v1/imports/").status_code == 403
    filtered = api(network.head_office).get("/api/v1/imports/", {"dealer": network.foreign_dealer.pk}).json()
    assert [row["id"] for row in filtered["results"]] == [foreign.pk]


def test_a_foreign_import_answers_404_to_a_dealer_user(network, api):
    foreign = ImportBatchFactory(dealer=network.foreign_dealer)
    client = api(network.dealer_user)
    for url in ("", "rows/"):
        assert client.get(f"/api/v1/imports/{foreign.pk}/{url}").status_code == 404
    assert client.post(f"/api/v1/imports/{foreign.pk}/confirm/").status_code == 404
    assert client.post(f"/api/v1/imports/{foreign.pk}/mapping/", {"columns": {}}, format="json").status_code == 404


def test_a_regional_manager_reads_but_cannot_confirm(network, api):
    own = ImportBatchFactory(dealer=network.home_dealer)
    client = api(network.regional_manager)
    assert client.get(f"/api/v1/imports/{own.pk}/").json()["rows_create"] == 1
    # The rows name customers by phone: not for a regional manager (the counts are).
    assert client.get(f"/api/v1/imports/{own.pk}/rows/").json()["count"] == 0
    assert client.post(f"/api/v1/imports/{own.pk}/confirm/").status_code == 403
    assert post_file(client, GOOD, dealer=network.home_dealer.pk).status_code == 403
    own.refresh_from_db()
    assert own.status == ImportStatus.READY


def test_the_list_and_the_rows_take_a_fixed_number_of_queries(network, api, django_assert_max_num_queries):
    batches = [ImportBatchFactory(dealer=network.home_dealer) for _ in range(5)]
    client = api(network.dealer_user)
    with django_assert_max_num_queries(3):
        assert client.get("/api/v1/imports/").json()["count"] == 5
    with django_assert_max_num_queries(4):
        assert client.get(f"/api/v1/imports/{batches[0].pk}/rows/").json()["count"] == 1
