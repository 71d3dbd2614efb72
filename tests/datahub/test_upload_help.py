"""What a clerk meets on the upload page and the preview: each kind's columns and templates, the
required marks, a chosen file kept across a refused submit, the values a row will write, and a
corrected file uploaded onto the same import."""

import datetime as dt
import io

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from openpyxl import Workbook, load_workbook

from channels.models import CityMarket
from customers.models import Customer
from datahub.kinds import SPECS
from datahub.models import HeldUpload, ImportBatch, ImportKind, ImportStatus, SourceKind
from datahub.services import import_batch_check, import_batch_remap
from inventory.models import Sale
from tests.datahub.helpers import confirm, run_import
from tests.factories import StockUnitFactory, UserFactory

pytestmark = pytest.mark.django_db

GOOD = "手机号,客户姓名,城市\n13812341234,张三,杭州\n13900001111,李四,宁波\n"
BAD = GOOD + "12345,王五,杭州\n"


def body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def template_of(client, kind: str, fmt: str, language: str) -> bytes:
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    response = client.get("/imports/new/", {"template": kind, "export": fmt})
    assert response.status_code == 200
    return body(response)


def test_the_upload_page_shows_every_kinds_columns_from_its_own_fields(network, client_for):
    page = client_for(network.head_office).get("/imports/new/").content.decode()
    for kind, spec in SPECS.items():
        assert f'data-kind="{kind}"' in page
        assert f"?template={kind}&amp;export=csv" in page and f"?template={kind}&amp;export=xlsx" in page
        for field in spec.fields:
            # The label, its Chinese spelling and every alias the check accepts are listed.
            assert str(field.label) in page
            for spelling in field.accepted_headers():
                assert spelling in page, (kind, spelling)
    assert "销售日期" in page and "成交价" in page  # Chinese headers work, and the page says which
    assert 'data-kind="city_markets" data-network' in page  # the network's file: the dealer field hides


def test_a_dealer_user_is_offered_only_the_dealers_kinds(network, client_for):
    client = client_for(network.dealer_user)
    page = client.get("/imports/new/").content.decode()
    assert 'data-kind="sales"' in page and 'data-kind="city_markets"' not in page
    assert 'value="city_markets"' not in page
    assert client.get("/imports/new/", {"template": "city_markets", "export": "csv"}).status_code == 404


def test_the_upload_form_marks_its_required_fields(network, client_for):
    page = client_for(network.dealer_user).get("/imports/new/").content.decode()
    label = page.split('for="id_system_name"', 1)[1].split("</label>", 1)[0]
    assert "Source system" in label and 'class="required-mark"' in label


def test_the_sale_form_marks_required_fields_and_not_optional_ones(network, client_for):
    page = client_for(network.dealer_user).get("/sales/new/").content.decode()

    def label(name):
        return page.split(f'for="id_{name}"', 1)[1].split("</label>", 1)[0]

    assert 'class="required-mark"' in label("salesperson")
    assert 'class="required-mark"' not in label("customer_name")


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_every_kinds_template_maps_itself_and_reads_its_example_row(network, client_for, fmt, language):
    client = client_for(network.head_office)
    for kind, spec in SPECS.items():
        content = template_of(client, kind, fmt, language)
        # The check runs in the default language whatever the template's: headers in either map.
        batch = run_import(network, kind, content, file_name=f"template.{fmt}")
        assert batch.file_errors == [], (kind, batch.file_errors)
        assert set(batch.columns) == {field.name for field in spec.fields}, kind
        (row,) = batch.rows.all()
        for field in spec.fields:
            example = spec.example[field.name]
            if example:
                assert row.values[field.name] == field.show(field.read(example)), (kind, field.name)


def test_the_template_headers_are_in_the_ui_language(network, client_for):
    client = client_for(network.dealer_user)
    text = template_of(client, ImportKind.SALES, "csv", "zh-hans").decode("utf-8-sig")
    assert text.splitlines()[0].startswith("VIN,销售日期,成交价,付款方式")
    sheet = load_workbook(io.BytesIO(template_of(client, ImportKind.SALES, "xlsx", "en"))).active
    assert next(sheet.iter_rows(values_only=True))[:3] == ("VIN", "sold on", "transaction price")


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_the_sales_customers_and_city_markets_templates_import_cleanly(network, client_for, fmt):
    client = client_for(network.head_office)
    example = SPECS[ImportKind.SALES].example
    StockUnitFactory(dealer=network.home_dealer, vin=example["vin"], arrived_on=dt.date(2025, 6, 1))
    for kind in (ImportKind.CUSTOMERS, ImportKind.SALES, ImportKind.CITY_MARKETS):
        batch = run_import(network, kind, template_of(client, kind, fmt, "zh-hans"), file_name=f"t.{fmt}")
        assert (batch.status, batch.rows_create, batch.rows_error) == (ImportStatus.READY, 1, 0), kind
        assert confirm(network, batch).status == ImportStatus.IMPORTED
    sale = Sale.objects.get(stock_unit__vin=example["vin"])
    assert (sale.transaction_price, sale.customer.name) == (189800, "张伟")
    market = CityMarket.objects.get()  # the example's 杭州 2025, in the example's region EAST
    assert (market.city, market.year, market.region, market.nev_share) == ("杭州", 2025, network.home_region, 0.5)


def test_an_unknown_template_kind_is_not_found(network, client_for):
    response = client_for(network.dealer_user).get("/imports/new/", {"template": "nope", "export": "csv"})
    assert response.status_code == 404


def post_upload(client, *, file=None, **fields):
    data = {"kind": ImportKind.CUSTOMERS, "source": SourceKind.CRM, "system_name": "CRM 5", **fields}
    if file is not None:
        data["file"] = SimpleUploadedFile("crm-export.csv", file.encode(), content_type="text/csv")
    return client.post("/imports/new/", data)


def test_a_refused_submit_keeps_the_chosen_file_for_the_next(network, client_for):
    client = client_for(network.dealer_user)
    response = post_upload(client, file=GOOD, system_name="")
    assert response.status_code == 200
    page = response.content.decode()
    assert "crm-export.csv" in page and "is kept" in page
    token = str(HeldUpload.objects.get(user=network.dealer_user).token)
    assert f'name="held" value="{token}"' in page

    # The clerk names the system and submits again without choosing the file.
    response = post_upload(client, system_name="CRM 5", held=token)
    batch = ImportBatch.objects.latest("id")
    assert response.status_code == 302 and response["Location"] == batch.get_absolute_url()
    assert (batch.file_name, bytes(batch.content).decode(), batch.rows_create) == ("crm-export.csv", GOOD, 2)
    assert not HeldUpload.objects.exists()


def test_a_held_file_is_its_users_only(network, client_for):
    post_upload(client_for(network.dealer_user), file=GOOD, system_name="")
    token = str(HeldUpload.objects.get().token)
    colleague = UserFactory(role=network.dealer_user.role, dealer=network.home_dealer)
    response = post_upload(client_for(colleague), held=token)
    assert response.status_code == 200 and not ImportBatch.objects.exists()
    assert "crm-export.csv" not in response.content.decode()


SALES = (
    "车架号,销售日期,成交价,付款方式,销售顾问,客户手机号,客户姓名,上牌城市\n"
    "{vin},2025-06-18,189800,贷款,李娜,13812341234,张三,杭州\n"
    "LSV00000000000999,2025-06-19,abc,现金,李娜,13812341234,张三,杭州\n"
)


def test_the_preview_shows_each_rows_values_as_they_will_be_written(network, client_for):
    unit = StockUnitFactory(dealer=network.home_dealer, arrived_on=dt.date(2025, 6, 1))
    batch = run_import(network, ImportKind.SALES, SALES.format(vin=unit.vin))
    page = client_for(network.dealer_user).get(batch.get_absolute_url()).content.decode()
    rows = page.split('<table class="import-rows">', 1)[1]
    for shown in ("2025-06-18", "¥189,800.00", "Loan", "李娜", "13812341234", "张三", "杭州"):
        assert shown in rows, shown
    # The row with errors keeps its VIN, and shows its unreadable price as the file has it.
    error_row = rows.split('class="action-error"', 1)[1].split("</tr>", 1)[0]
    assert "LSV00000000000999" in error_row
    assert 'data-field="transaction_price" class="num refused">abc<' in error_row


def test_a_corrected_file_replaces_the_file_of_the_same_import_keeping_its_columns(network, client_for):
    client = client_for(network.dealer_user)
    batch = run_import(network, ImportKind.CUSTOMERS, BAD.replace("手机号", "电话号"))
    batch = import_batch_remap(
        batch=batch, user=network.dealer_user, columns={"phone": "电话号", "name": "客户姓名", "city": "城市"}
    )
    batch = import_batch_check(batch_id=batch.pk)
    corrected = SimpleUploadedFile("fixed.csv", GOOD.replace("手机号", "电话号").encode(), content_type="text/csv")
    response = client.post(f"/imports/{batch.pk}/replace/", {"file": corrected})
    assert response.status_code == 302 and response["Location"] == batch.get_absolute_url()
    batch.refresh_from_db()
    assert (batch.file_name, batch.status, batch.rows_create, batch.rows_error) == (
        "fixed.csv", ImportStatus.READY, 2, 0,
    )  # fmt: skip
    assert batch.columns["phone"] == "电话号" and ImportBatch.objects.count() == 1
    assert confirm(network, batch).status == ImportStatus.IMPORTED
    assert Customer.objects.filter(home_dealer=network.home_dealer).count() == 2


def test_a_corrected_file_is_refused_once_the_import_is_written(network, client_for):
    client = client_for(network.dealer_user)
    batch = confirm(network, run_import(network, ImportKind.CUSTOMERS, GOOD))
    response = client.post(
        f"/imports/{batch.pk}/replace/", {"file": SimpleUploadedFile("x.csv", BAD.encode())}, follow=True
    )
    assert "This import is imported" in response.content.decode()
    batch.refresh_from_db()
    assert batch.file_name == "export.csv"


def test_the_error_download_carries_the_cells_of_an_xlsx_row(network, client_for):
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["手机号", "客户姓名", "城市", "经度"])
    sheet.append([12345, "王五", "杭州", 120.5])
    content = io.BytesIO()
    workbook.save(content)
    batch = run_import(network, ImportKind.CUSTOMERS, content.getvalue(), file_name="crm.xlsx")
    response = client_for(network.dealer_user).get(batch.get_absolute_url(), {"export": "xlsx"})
    rows = list(load_workbook(io.BytesIO(body(response))).active.iter_rows(values_only=True))
    assert rows[0][3:] == ("手机号", "客户姓名", "城市", "经度")
    assert rows[1][0] == 2 and rows[1][3:] == ("12345", "王五", "杭州", "120.5")


def test_a_held_file_left_for_a_day_is_let_go_when_another_is_kept(network, client_for):
    post_upload(client_for(network.dealer_user), file=GOOD, system_name="")
    HeldUpload.objects.update(created_at=timezone.now() - dt.timedelta(days=2))
    post_upload(client_for(network.head_office), file=GOOD, system_name="", dealer=network.home_dealer.pk)
    assert list(HeldUpload.objects.values_list("user__username", flat=True)) == ["headoffice"]


@pytest.mark.parametrize(
    ("language", "fmt", "expected"),
    [
        (
            "zh-hans",
            "csv",
            "attachment; filename=\"import-template-sales.csv\"; filename*=UTF-8''%E5%AF%BC%E5%85%A5%E6%A8%A1%E6%9D%BF-%E9%94%80%E5%94%AE.csv",
        ),  # noqa: E501
        ("en", "xlsx", 'attachment; filename="import-template-sales.xlsx"'),
    ],
)
def test_a_template_is_named_like_every_export_in_the_ui_language(network, client_for, language, fmt, expected):
    client = client_for(network.dealer_user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    response = client.get("/imports/new/", {"template": "sales", "export": fmt})
    assert response["Content-Disposition"] == expected  # 导入模板-销售.csv, import-template-sales.csv as the fallback


def test_the_error_download_is_named_like_every_export(network, client_for):
    batch = run_import(network, ImportKind.CUSTOMERS, BAD)
    client = client_for(network.dealer_user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
    response = client.get(f"/imports/{batch.pk}/", {"export": "csv"})
    assert response["Content-Disposition"] == (
        f"attachment; filename=\"import-errors-{batch.pk}.csv\"; filename*=UTF-8''"
        f"%E5%AF%BC%E5%85%A5%E9%94%99%E8%AF%AF-{batch.pk}.csv"
    )


def test_the_preview_counts_read_with_thousands_separators(network, client_for):
    batch = run_import(network, ImportKind.CUSTOMERS, GOOD)
    ImportBatch.objects.filter(pk=batch.pk).update(rows_total=12345, rows_create=12000, rows_update=345)
    client = client_for(network.dealer_user)
    page = client.get(f"/imports/{batch.pk}/").content.decode()
    assert '<dd data-count="total">12,345</dd>' in page
    assert '<dd data-count="create">12,000</dd>' in page
    assert "Confirm: write 12,345 rows" in page
    assert '<span class="badge">12,345</span>' in page  # the "All" tab
