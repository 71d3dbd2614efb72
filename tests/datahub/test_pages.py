"""The import pages: upload, preview with errors by row and column, remap, confirm, who sees what."""

import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from openpyxl import load_workbook
from rest_framework.test import APIClient

from customers.models import Customer
from datahub.models import ColumnMapping, ImportBatch, ImportKind, ImportStatus, SourceKind
from tests.factories import ImportBatchFactory

pytestmark = pytest.mark.django_db

GOOD = "手机号,客户姓名,城市\n13812341234,张三,杭州\n13900001111,李四,宁波\n"
BAD = GOOD + "12345,王五,杭州\n"


def upload(client, text: str, *, name="crm.csv", **fields):
    data = {
        "kind": ImportKind.CUSTOMERS,
        "source": SourceKind.CRM,
        "system_name": "CRM 5",
        "file": SimpleUploadedFile(name, text.encode(), content_type="text/csv"),
        **fields,
    }
    return client.post("/imports/new/", data)


def latest() -> ImportBatch:
    return ImportBatch.objects.latest("id")


def test_a_dealer_user_uploads_and_sees_the_counts_and_the_bad_row(network, client_for):
    client = client_for(network.dealer_user)
    response = upload(client, BAD)
    batch = latest()
    assert response.status_code == 302 and response["Location"] == f"/imports/{batch.pk}/"
    assert (batch.dealer, batch.status) == (network.home_dealer, ImportStatus.INVALID)

    page = client.get(f"/imports/{batch.pk}/").content.decode()
    assert '<dd data-count="total">3</dd>' in page
    assert '<dd data-count="create">2</dd>' in page
    assert '<dd data-count="error">1</dd>' in page
    assert "<strong>手机号</strong>: “12345” is not an 11-digit mainland mobile number." in page
    assert "/confirm/" not in page  # only a file without errors can be confirmed

    errors = client.get(f"/imports/{batch.pk}/", {"action": "error"}).context["page_obj"].object_list
    assert [row.row_number for row in errors] == [4]


def test_the_errors_download_lists_row_column_and_message_beside_the_rows_cells(network, client_for):
    client = client_for(network.dealer_user)
    upload(client, BAD)
    batch = latest()
    response = client.get(f"/imports/{batch.pk}/", {"export": "csv"})
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    assert list(csv.reader(io.StringIO(text))) == [
        ["Row", "Column", "Message", "手机号", "客户姓名", "城市"],
        ["4", "手机号", "“12345” is not an 11-digit mainland mobile number.", "12345", "王五", "杭州"],
    ]
    response = client.get(f"/imports/{batch.pk}/", {"export": "xlsx"})
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    assert list(sheet.iter_rows(values_only=True))[1] == (
        4,
        "手机号",
        "“12345” is not an 11-digit mainland mobile number.",
        "12345",
        "王五",
        "杭州",
    )


def test_confirming_a_clean_file_writes_it_and_shows_imported(network, client_for):
    client = client_for(network.dealer_user)
    upload(client, GOOD)
    batch = latest()
    assert batch.status == ImportStatus.READY
    response = client.post(f"/imports/{batch.pk}/confirm/")
    assert response.status_code == 302
    batch.refresh_from_db()
    assert batch.status == ImportStatus.IMPORTED
    assert Customer.objects.filter(home_dealer=network.home_dealer).count() == 2
    page = client.get(f"/imports/{batch.pk}/").content.decode()
    assert "Imported" in page and '<dd data-count="create">2</dd>' in page
    assert "Save this mapping for CRM 5" in page and "/confirm/" not in page


def test_a_file_with_unknown_headers_is_mapped_by_hand_and_the_mapping_saved(network, client_for):
    client = client_for(network.dealer_user)
    upload(client, "Tel,Kunde,Ort\n13812341234,张三,杭州\n")
    batch = latest()
    assert batch.status == ImportStatus.INVALID and batch.file_errors
    page = client.get(f"/imports/{batch.pk}/").content.decode()
    assert '<option value="Kunde">Kunde</option>' in page

    client.post(f"/imports/{batch.pk}/mapping/", {"phone": "Tel", "name": "Kunde", "city": "Ort"})
    batch.refresh_from_db()
    assert (batch.status, batch.rows_create) == (ImportStatus.READY, 1)
    client.post(f"/imports/{batch.pk}/mapping/save/")
    assert ColumnMapping.objects.get(dealer=network.home_dealer, system_name="CRM 5").columns == {
        "phone": "Tel",
        "name": "Kunde",
        "city": "Ort",
    }

    # The next file from the same system maps itself; its name is offered on the form.
    assert '<option value="CRM 5">' in client.get("/imports/new/").content.decode()
    upload(client, "Tel,Kunde,Ort\n13900001111,李四,宁波\n")
    assert latest().status == ImportStatus.READY


def test_head_office_imports_for_any_dealer_but_a_dealer_user_only_for_its_own(network, client_for):
    head = client_for(network.head_office)
    upload(head, GOOD, dealer=network.foreign_dealer.pk)
    assert latest().dealer == network.foreign_dealer

    dealer = client_for(network.dealer_user)
    assert 'name="dealer"' not in dealer.get("/imports/new/").content.decode()
    upload(dealer, GOOD, dealer=network.foreign_dealer.pk)  # ignored: the dealer is fixed
    assert latest().dealer == network.home_dealer


def test_an_oversize_request_is_refused_before_it_is_read(network, client_for):
    with override_settings(IMPORT_MAX_BYTES=1024):
        response = upload(client_for(network.dealer_user), "x" * 200_000)
    assert response.status_code == 413
    assert "larger than 1 KB" in response.content.decode()
    assert not ImportBatch.objects.exists()


def test_a_dealer_user_never_sees_another_dealers_import(network, client_for):
    foreign = ImportBatchFactory(dealer=network.foreign_dealer, file_name="chengdu.csv")
    own = ImportBatchFactory(dealer=network.home_dealer, file_name="hangzhou.csv")
    client = client_for(network.dealer_user)
    listing = client.get("/imports/")
    assert [batch.file_name for batch in listing.context["object_list"]] == [own.file_name]
    for url in ("", "progress/", "?export=csv"):
        assert client.get(f"/imports/{foreign.pk}/{url}").status_code == 404
    assert client.post(f"/imports/{foreign.pk}/confirm/").status_code == 404
    foreign.refresh_from_db()
    assert foreign.status == ImportStatus.READY


def test_a_regional_manager_reads_the_regions_imports_but_cannot_confirm(network, client_for):
    own = ImportBatchFactory(dealer=network.home_dealer)
    ImportBatchFactory(dealer=network.foreign_dealer)
    client = client_for(network.regional_manager)
    listing = client.get("/imports/")
    assert [batch.pk for batch in listing.context["object_list"]] == [own.pk]
    assert listing.context["create_url"] is None
    page = client.get(f"/imports/{own.pk}/").content.decode()
    assert "/confirm/" not in page and "/mapping/" not in page and "/cancel/" not in page
    assert client.get("/imports/new/").status_code == 403
    assert client.post(f"/imports/{own.pk}/confirm/").status_code == 403
    own.refresh_from_db()
    assert own.status == ImportStatus.READY


def test_a_regional_manager_sees_the_counts_but_no_customer_phone_numbers(network, client_for):
    upload(client_for(network.dealer_user), BAD)
    batch = latest()
    client = client_for(network.regional_manager)
    page = client.get(f"/imports/{batch.pk}/").content.decode()
    assert "13812341234" not in page and "12345" not in page
    assert "shown to the dealer and to head office" in page
    assert 'data-count="error">1<' in page
    download = b"".join(client.get(f"/imports/{batch.pk}/", {"export": "csv"}).streaming_content).decode("utf-8-sig")
    assert download.splitlines() == ["Row,Column,Message"]
    api = APIClient()
    api.force_authenticate(network.regional_manager)
    assert api.get(f"/api/v1/imports/{batch.pk}/rows/").json()["results"] == []


def test_finance_staff_have_no_import_pages(network, client_for):
    own = ImportBatchFactory(dealer=network.home_dealer)
    client = client_for(network.finance_user)
    assert client.get("/imports/").status_code == 403
    assert client.get(f"/imports/{own.pk}/").status_code == 403
    assert "/imports/" not in client.get("/").content.decode()


def test_the_list_filters_by_status_and_kind_and_exports(network, client_for):
    ready = ImportBatchFactory(dealer=network.home_dealer, file_name="ready.csv")
    ImportBatchFactory(dealer=network.home_dealer, file_name="failed.csv", status=ImportStatus.FAILED)
    client = client_for(network.head_office)
    rows = client.get("/imports/", {"status": "ready", "kind": "customers"}).context["object_list"]
    assert [batch.pk for batch in rows] == [ready.pk]
    page = client.get("/imports/").content.decode()
    assert "Import a file" in page and 'href="/imports/"' in page  # button, menu entry
    export = client.get("/imports/", {"status": "ready", "export": "csv"})
    lines = b"".join(export.streaming_content).decode("utf-8-sig").splitlines()
    assert len(lines) == 2 and lines[1].startswith(
        "ready.csv,Hangzhou Xihu 4S,Customers,CRM 5,Ready to import,1,1,0,0,0,"
    )


def test_the_progress_endpoint_says_how_far_the_check_is(network, client_for):
    batch = ImportBatchFactory(
        dealer=network.home_dealer, status=ImportStatus.VALIDATING, rows_total=30_000, rows_checked=20_000
    )
    client = client_for(network.dealer_user)
    assert client.get(f"/imports/{batch.pk}/progress/").json() == {
        "status": "validating",
        "status_label": "Checking",
        "rows_total": 30_000,
        "rows_checked": 20_000,
        "running": True,
    }
    page = client.get(f"/imports/{batch.pk}/").content.decode()
    assert 'max="30000" value="20000"' in page and f"/imports/{batch.pk}/progress/" in page


@override_settings(IMPORT_BACKGROUND_MIN_BYTES=10)
def test_a_large_file_is_checked_and_written_by_the_tasks(network, client_for, django_capture_on_commit_callbacks):
    client = client_for(network.dealer_user)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        upload(client, GOOD)
    assert len(callbacks) == 1  # check_import enqueued after the commit (eager in tests)
    batch = latest()
    assert batch.status == ImportStatus.READY
    with django_capture_on_commit_callbacks(execute=True) as callbacks:  # a new mapping: checked again, in a task
        client.post(f"/imports/{batch.pk}/mapping/", {"phone": "手机号", "name": "客户姓名", "city": "城市"})
    assert len(callbacks) == 1
    batch.refresh_from_db()
    assert batch.status == ImportStatus.READY
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        client.post(f"/imports/{batch.pk}/confirm/")
    assert len(callbacks) == 1
    batch.refresh_from_db()
    assert (batch.status, batch.rows_create) == (ImportStatus.IMPORTED, 2)


def test_the_list_page_takes_a_fixed_number_of_queries(network, client_for, django_assert_max_num_queries):
    for _ in range(5):
        ImportBatchFactory(dealer=network.home_dealer)
    client = client_for(network.regional_manager)
    client.get("/imports/")  # warm the session
    with django_assert_max_num_queries(6):
        assert client.get("/imports/").context["listing"].count == 5
