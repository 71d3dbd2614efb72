"""Imports through the service layer: check, preview counts, confirm, write, re-import."""

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError

from customers.models import Customer
from datahub.kinds import SPECS
from datahub.models import ImportKind, ImportStatus, RowAction, SourceKind
from datahub.services import import_batch_check, import_batch_confirm, import_batch_remap, import_batch_upload
from dealerops.audit import history_of
from inventory.models import Sale, StockStatus, StockUnit
from tests.datahub.helpers import confirm, errors_of, run_import
from tests.factories import StockUnitFactory, VehicleModelFactory

VIN_A = "LFV2A21K8N3000001"
VIN_B = "LFV2A21K8N3000002"


CUSTOMERS = "手机号,客户姓名,城市,是否同意营销\n13812341234,张三,杭州,是\n+86 139-0000-1111,李四,宁波,否\n"


class TestCustomerImport:
    def test_it_previews_then_writes_the_customers_with_chinese_headers(self, network):
        batch = run_import(network, ImportKind.CUSTOMERS, CUSTOMERS)
        assert batch.status == ImportStatus.READY
        assert (batch.rows_total, batch.rows_create, batch.rows_update, batch.rows_error) == (2, 2, 0, 0)
        assert not Customer.objects.exists()  # the preview writes nothing

        batch = confirm(network, batch)

        assert batch.status == ImportStatus.IMPORTED
        customers = {c.phone: c for c in Customer.objects.filter(home_dealer=network.home_dealer)}
        assert customers["13812341234"].name == "张三"
        assert customers["13812341234"].marketing_consent is True
        assert customers["13900001111"].city == "宁波"

    def test_importing_the_same_file_again_changes_nothing(self, network):
        confirm(network, run_import(network, ImportKind.CUSTOMERS, CUSTOMERS))
        before = list(Customer.objects.values_list("id", "updated_at"))

        again = run_import(network, ImportKind.CUSTOMERS, CUSTOMERS)
        assert (again.rows_create, again.rows_update, again.rows_unchanged) == (0, 0, 2)
        confirm(network, again)

        assert list(Customer.objects.values_list("id", "updated_at")) == before

    def test_a_changed_row_is_an_update(self, network):
        confirm(network, run_import(network, ImportKind.CUSTOMERS, CUSTOMERS))
        changed = run_import(network, ImportKind.CUSTOMERS, CUSTOMERS.replace("张三,杭州", "张三,温州"))
        assert (changed.rows_create, changed.rows_update, changed.rows_unchanged) == (0, 1, 1)
        confirm(network, changed)
        assert Customer.objects.get(phone="13812341234").city == "温州"

    def test_it_reads_gbk_and_utf8_with_bom(self, network):
        gbk = run_import(network, ImportKind.CUSTOMERS, CUSTOMERS, encoding="gbk")
        bom = run_import(network, ImportKind.CUSTOMERS, CUSTOMERS, encoding="utf-8-sig")
        assert gbk.status == bom.status == ImportStatus.READY
        assert gbk.columns["phone"] == bom.columns["phone"] == "手机号"

    def test_bad_cells_are_named_by_row_and_column_and_nothing_is_written(self, network):
        text = CUSTOMERS + "12345,王五,杭州,是\n13812341234,赵六,杭州,也许\n"
        batch = run_import(network, ImportKind.CUSTOMERS, text)
        assert batch.status == ImportStatus.INVALID
        assert errors_of(batch) == [
            (4, "手机号", "“12345” is not an 11-digit mainland mobile number."),
            (5, "是否同意营销", "“也许” is not yes or no (是/否)."),
        ]
        with pytest.raises(ValidationError):
            import_batch_confirm(batch=batch, user=network.dealer_user)
        assert not Customer.objects.exists()

    def test_a_key_twice_in_one_file_is_refused(self, network):
        batch = run_import(network, ImportKind.CUSTOMERS, CUSTOMERS + "13812341234,张三丰,杭州,否\n")
        assert errors_of(batch) == [(4, "手机号", "13812341234 is already on row 2.")]

    def test_a_file_without_the_needed_columns_names_what_is_missing(self, network):
        batch = run_import(network, ImportKind.CUSTOMERS, "编号,备注\n1,x\n")
        assert batch.status == ImportStatus.INVALID
        assert batch.file_errors == [
            "Row 1: no column found for phone, name, city. Choose the columns below, or rename the headers."
        ]
        assert batch.file_headers == ["编号", "备注"]

    def test_a_dealer_user_cannot_import_for_another_dealer(self, network):
        with pytest.raises(ValidationError) as refused:
            import_batch_upload(
                user=network.dealer_user,
                dealer=network.foreign_dealer,
                kind=ImportKind.CUSTOMERS,
                source=SourceKind.CRM,
                system_name="CRM",
                file_name="c.csv",
                content=CUSTOMERS.encode(),
            )
        assert "dealer" in refused.value.message_dict


class TestStockAndSaleImport:
    @pytest.fixture
    def model(self, db):
        return VehicleModelFactory(code="HQH5-22")

    def test_arrivals_then_sales_sell_the_units(self, network, model):
        ordered = StockUnitFactory(
            vin=VIN_B, model=model, dealer=network.home_dealer, status=StockStatus.ORDERED, arrived_on=None,
            ordered_on=dt.date(2026, 8, 1),
        )  # fmt: skip
        arrivals = f"车架号,车型代码,到店日期\n{VIN_A},HQH5-22,2026/9/3\n{VIN_B},hqh5-22,2026年9月5日\n"
        batch = confirm(network, run_import(network, ImportKind.STOCK_ARRIVALS, arrivals))
        assert batch.status == ImportStatus.IMPORTED, batch.error
        ordered.refresh_from_db()
        assert (ordered.status, ordered.arrived_on, ordered.ordered_on) == (
            StockStatus.IN_STOCK, dt.date(2026, 9, 5), dt.date(2026, 8, 1),
        )  # fmt: skip
        assert StockUnit.objects.get(vin=VIN_A).ordered_on == dt.date(2026, 9, 3)

        sales = (
            "车架号,销售日期,成交价,付款方式,销售顾问,客户电话,客户姓名,上牌城市\n"
            f'{VIN_A},2026-10-02,"¥245,800.00",全款,王丽,13812341234,张三,杭州\n'
            f"{VIN_B},20261003,239900,贷款,王丽,13812341234,张三,杭州\n"
        )
        batch = confirm(network, run_import(network, ImportKind.SALES, sales))

        assert batch.status == ImportStatus.IMPORTED, batch.error
        sale = Sale.objects.get(stock_unit__vin=VIN_A)
        assert (sale.transaction_price, sale.payment, sale.sold_on) == (
            Decimal("245800.00"),
            "cash",
            dt.date(2026, 10, 2),
        )
        assert sale.customer == Sale.objects.get(stock_unit__vin=VIN_B).customer  # one customer created, by phone
        assert set(StockUnit.objects.values_list("status", flat=True)) == {StockStatus.SOLD}

    def test_an_arrivals_file_with_a_colour_column_writes_and_previews_the_colour(self, network, model):
        ordered = StockUnitFactory(
            vin=VIN_B, model=model, dealer=network.home_dealer, status=StockStatus.ORDERED, arrived_on=None,
            ordered_on=dt.date(2026, 8, 1), colour="宝石红",
        )  # fmt: skip
        arrivals = f"车架号,车型代码,车身颜色,到店日期\n{VIN_A},HQH5-22, 珍珠白 ,2026/9/3\n{VIN_B},HQH5-22,,2026/9/5\n"
        batch = run_import(network, ImportKind.STOCK_ARRIVALS, arrivals)
        assert batch.columns["colour"] == "车身颜色"
        # The preview shows what will be written: the file's colour, or the unit's own for an empty cell.
        assert [row.values["colour"] for row in batch.rows.order_by("row_number")] == ["珍珠白", "宝石红"]
        assert confirm(network, batch).status == ImportStatus.IMPORTED, batch.error
        assert dict(StockUnit.objects.values_list("vin", "colour")) == {VIN_A: "珍珠白", VIN_B: "宝石红"}
        ordered.refresh_from_db()
        assert ordered.status == StockStatus.IN_STOCK

    @pytest.mark.parametrize("header", ["颜色", "外观颜色", "车身颜色", "colour", "Color", "Exterior colour"])
    def test_each_spelling_of_the_colour_header_is_read(self, network, model, header):
        batch = run_import(
            network,
            ImportKind.STOCK_ARRIVALS,
            f"VIN,model code,arrived on,{header}\n{VIN_A},HQH5-22,2026-09-03,星空灰\n",
        )
        assert batch.columns["colour"] == header
        assert batch.rows.get().values["colour"] == "星空灰"

    def test_a_file_without_colours_keeps_the_units_colour_and_a_new_colour_updates_it(self, network, model):
        unit = StockUnitFactory(vin=VIN_A, model=model, dealer=network.home_dealer, arrived_on=dt.date(2026, 9, 3),
                                ordered_on=dt.date(2026, 9, 3), colour="曜石黑")  # fmt: skip
        same = run_import(network, ImportKind.STOCK_ARRIVALS, f"车架号,车型代码,到店日期\n{VIN_A},HQH5-22,2026-09-03\n")
        assert same.rows.get().action == RowAction.UNCHANGED
        changed = run_import(
            network, ImportKind.STOCK_ARRIVALS, f"车架号,车型代码,到店日期,颜色\n{VIN_A},HQH5-22,2026-09-03,冰川蓝\n"
        )
        assert changed.rows.get().action == RowAction.UPDATE
        confirm(network, changed)
        unit.refresh_from_db()
        assert unit.colour == "冰川蓝"
        assert history_of(unit)[0].changes == {"colour": ("曜石黑", "冰川蓝")}

    def test_the_upload_page_and_the_template_offer_the_colour_column(self, network, client_for):
        VehicleModelFactory(code=SPECS[ImportKind.STOCK_ARRIVALS].example["model_code"])
        client = client_for(network.dealer_user)
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
        page = client.get("/imports/new/").content.decode()
        columns = page.split('data-kind="stock_arrivals"', 1)[1].split("</details>", 1)[0]
        row = columns.split("<strong>外观颜色</strong>", 1)[1].split("</tr>", 1)[0]
        assert "可选" in row and "车身颜色" in row and "color" in row and "珍珠白" in row
        template = client.get("/imports/new/", {"template": ImportKind.STOCK_ARRIVALS, "export": "csv"})
        text = b"".join(template.streaming_content).decode("utf-8-sig")
        assert text.splitlines()[0] == "VIN,车型代码,外观颜色,到店日期,订车日期"
        batch = confirm(network, run_import(network, ImportKind.STOCK_ARRIVALS, text))
        assert batch.status == ImportStatus.IMPORTED, batch.error
        assert StockUnit.objects.get().colour == "珍珠白"

    def test_an_overlong_colour_is_refused_in_its_column(self, network, model):
        batch = run_import(
            network,
            ImportKind.STOCK_ARRIVALS,
            f"车架号,车型代码,到店日期,颜色\n{VIN_A},HQH5-22,2026-09-03,{'白' * 33}\n",
        )
        assert errors_of(batch) == [(2, "颜色", "at most 32 characters.")]

    def test_a_sale_of_an_unknown_vin_or_before_arrival_is_refused(self, network, model):
        StockUnitFactory(vin=VIN_A, model=model, dealer=network.home_dealer, arrived_on=dt.date(2026, 9, 10))
        sales = (
            "VIN,sold on,transaction price,payment,salesperson,customer phone,customer name,registered city\n"
            f"{VIN_A},2026-09-01,200000,cash,Li,13812341234,Zhang,Hangzhou\n"
            f"{VIN_B},2026-09-20,200000,cash,Li,13812341234,Zhang,Hangzhou\n"
        )
        batch = run_import(network, ImportKind.SALES, sales)
        assert errors_of(batch) == [
            (2, "sold on", "the sale is dated before the unit arrived (2026-09-10)."),
            (3, "VIN", "no stock unit has this VIN: import its arrival first."),
        ]
        assert [row.action for row in batch.rows.all()] == [RowAction.ERROR, RowAction.ERROR]


class TestImportAudit:
    def test_every_written_record_has_its_audit_event_naming_the_import(self, network):
        from pghistory.models import Events

        from inventory.models import SaleEvent, StockUnitEvent

        model = VehicleModelFactory(code="HQH5-22")
        unit = StockUnitFactory(vin=VIN_A, model=model, dealer=network.home_dealer, arrived_on=dt.date(2026, 9, 1))
        sales = (
            "车架号,销售日期,成交价,付款方式,销售顾问,客户电话,客户姓名,上牌城市\n"
            f"{VIN_A},2026-10-02,245800,现金,王丽,13812341234,张三,杭州\n"
        )
        batch = confirm(network, run_import(network, ImportKind.SALES, sales))

        sale = Sale.objects.get(stock_unit=unit)
        sale_event = SaleEvent.objects.get(pgh_obj=sale)
        assert sale_event.pgh_label == "insert"
        assert sale_event.transaction_price == Decimal("245800.00")
        assert sale_event.pgh_context.metadata == {"import_batch": batch.pk, "user": network.dealer_user.pk}
        unit_events = StockUnitEvent.objects.filter(pgh_obj=unit).order_by("pgh_id")
        assert [(event.pgh_label, event.status) for event in unit_events] == [
            ("insert", StockStatus.IN_STOCK),
            ("update", StockStatus.SOLD),
        ]
        customer = Customer.objects.get(phone="13812341234")
        assert Events.objects.tracks(customer).get().pgh_context_id == sale_event.pgh_context_id


class TestSpreadsheetFiles:
    @staticmethod
    def workbook(rows: list[list]) -> bytes:
        from openpyxl import Workbook

        book = Workbook()
        for row in rows:
            book.active.append(row)
        out = io.BytesIO()
        book.save(out)
        return out.getvalue()

    def test_an_xlsx_with_a_title_row_and_date_cells_is_read(self, network):
        content = self.workbook(
            [
                ["杭州西湖4S店 客户导出 2026年10月"],
                ["手机号", "客户姓名", "城市", "是否同意营销"],
                [13812341234, "张三", "杭州", "是"],
            ]
        )
        batch = run_import(network, ImportKind.CUSTOMERS, content, file_name="客户.xlsx")
        assert (batch.status, batch.rows_create) == (ImportStatus.READY, 1)
        assert batch.rows.get().row_number == 3  # as the spreadsheet numbers it

    def test_a_formula_cell_is_refused_by_row_and_column(self, network):
        content = self.workbook(
            [["手机号", "客户姓名", "城市"], ["13812341234", '=HYPERLINK("http://x","张三")', "杭州"]]
        )
        batch = run_import(network, ImportKind.CUSTOMERS, content, file_name="c.xlsx")
        assert errors_of(batch) == [
            (
                2,
                "客户姓名",
                """a formula (=HYPERLINK("http://x","张三")) is not a value: paste the values into the sheet.""",
            )
        ]

    def test_a_workbook_that_unpacks_too_large_is_refused_whole(self, network, settings):
        settings.IMPORT_MAX_XLSX_UNCOMPRESSED_BYTES = 1000
        content = self.workbook([["手机号", "客户姓名", "城市"], ["13812341234", "张三", "杭州"]])
        batch = run_import(network, ImportKind.CUSTOMERS, content, file_name="c.xlsx")
        assert batch.status == ImportStatus.INVALID
        assert batch.file_errors[0].startswith("The workbook unpacks to")
        assert not batch.rows.exists()

    def test_error_downloads_neutralise_what_a_spreadsheet_would_run(self, network, client_for):
        batch = run_import(network, ImportKind.CUSTOMERS, "手机号,客户姓名,=城市\n13812341234,张三,\n")
        # The user maps the oddly named column by hand; the file's own header then names the
        # column in the error, and exported it must stay text.
        import_batch_remap(batch=batch, user=network.dealer_user, columns={"city": "=城市"})
        batch = import_batch_check(batch_id=batch.pk)
        assert errors_of(batch) == [(2, "=城市", "this cell is empty.")]
        response = client_for(network.dealer_user).get(f"/imports/{batch.pk}/", {"export": "csv"})
        text = b"".join(response.streaming_content).decode("utf-8-sig")
        assert text.splitlines()[0] == "Row,Column,Message,手机号,客户姓名,'=城市"
        assert text.splitlines()[1] == "2,'=城市,this cell is empty.,13812341234,张三,"
