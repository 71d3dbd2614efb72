"""Hostile files: a cell past the csv module's limit, a header of a million columns, and what
an import's stored headers show to whom."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from rest_framework.test import APIClient

from datahub.models import ImportBatch, ImportStatus
from tests.factories import ImportBatchFactory, LenderFactory

pytestmark = pytest.mark.django_db

HUGE_CELL = '手机号,客户姓名,城市\n13812341234,"' + "x" * 140_000 + '",杭州\n'
WIDE_HEADER = ",".join(f"c{index}" for index in range(5_000)) + "\n" + ",".join("1" for _ in range(5_000)) + "\n"
LONG_CELL = "手机号,客户姓名,城市\n13812341234," + "张" * 2_001 + ",杭州\n"


def api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def import_data(text: str) -> dict:
    return {
        "kind": "customers",
        "source": "crm",
        "system_name": "CRM 5",
        "file": SimpleUploadedFile("crm.csv", text.encode(), content_type="text/csv"),
    }


def statement_data(lender, text: str) -> dict:
    return {"lender": lender.pk, "reference": "ICBC-2025-03", "file": SimpleUploadedFile("s.csv", text.encode())}


STATEMENT_HUGE_CELL = '贷款编号,期间,金额\nLN1,2025-03,"' + "9" * 140_000 + '"\n'


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (HUGE_CELL, "Row 2: a cell holds more than 2000 characters, the most a cell may hold."),
        (LONG_CELL, "Row 2, column 2: the cell holds more than 2000 characters, the most a cell may hold."),
        (WIDE_HEADER, "Row 1 has 5000 columns; files with up to 200 columns are accepted."),
    ],
)
def test_the_import_api_refuses_an_oversized_csv_with_a_400_naming_the_row(network, text, message):
    response = api(network.dealer_user).post("/api/v1/imports/", import_data(text), format="multipart")
    assert response.status_code == 400
    assert response.json() == {"file": [message]}
    assert not ImportBatch.objects.exists()


def test_the_import_page_refuses_a_cell_past_the_csv_limit_on_the_form(network, client_for):
    response = client_for(network.dealer_user).post("/imports/new/", import_data(HUGE_CELL))
    assert response.status_code == 200
    assert "Row 2: a cell holds more than 2000 characters" in response.content.decode()
    assert not ImportBatch.objects.exists()


def test_the_statement_api_and_page_refuse_a_cell_past_the_csv_limit(network, client_for):
    lender = LenderFactory(code="ICBC")
    response = api(network.finance_user).post(
        "/api/v1/lender-statements/", statement_data(lender, STATEMENT_HUGE_CELL), format="multipart"
    )
    assert response.status_code == 400
    assert response.json() == {"file": ["Row 2: a cell holds more than 2000 characters, the most a cell may hold."]}

    page = client_for(network.finance_user).post(
        "/commissions/statements/upload/", statement_data(lender, STATEMENT_HUGE_CELL)
    )
    assert page.status_code == 200
    assert "Row 2: a cell holds more than 2000 characters" in page.content.decode()


@override_settings(UPLOAD_MAX_COLUMNS=3)
def test_the_column_limit_is_a_setting(network):
    response = api(network.dealer_user).post(
        "/api/v1/imports/", import_data("手机号,客户姓名,城市,备注\n13812341234,张三,杭州,x\n"), format="multipart"
    )
    assert response.json() == {"file": ["Row 1 has 4 columns; files with up to 3 columns are accepted."]}


def test_an_import_stored_with_a_huge_header_keeps_the_list_and_the_page_small(network, client_for):
    batch = ImportBatchFactory(
        dealer=network.home_dealer,
        status=ImportStatus.INVALID,
        file_headers=[f"column {index}" for index in range(20_000)],
    )
    listed = api(network.dealer_user).get("/api/v1/imports/")
    assert listed.status_code == 200
    assert "file_headers" not in listed.json()["results"][0]
    assert len(listed.content) < 5_000

    shown = api(network.dealer_user).get(f"/api/v1/imports/{batch.pk}/").json()
    assert len(shown["file_headers"]) == 200

    page = client_for(network.dealer_user).get(batch.get_absolute_url())
    assert page.status_code == 200
    assert page.content.decode().count('<option value="column ') <= 200 * 12  # one select per field


def test_a_regional_manager_reads_an_import_s_phone_headers_masked(network):
    """A file without a header row stores its first row, a customer's phone, as the headers."""
    batch = ImportBatchFactory(
        dealer=network.home_dealer, status=ImportStatus.INVALID, file_headers=["13812341234", "张三", "tel 13900001111"]
    )
    manager = api(network.regional_manager).get(f"/api/v1/imports/{batch.pk}/").json()
    assert manager["file_headers"] == ["138****1234", "张三", "tel 139****1111"]

    dealer = api(network.dealer_user).get(f"/api/v1/imports/{batch.pk}/").json()
    assert dealer["file_headers"] == ["13812341234", "张三", "tel 13900001111"]
