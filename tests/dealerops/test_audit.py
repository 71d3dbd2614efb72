"""Changes to audited records keep who, when, before and after (and the import or job that made
them); record pages show their history; head office lists every change on /audit/changes/."""

import csv
import datetime as dt
import io
from decimal import Decimal
from zoneinfo import ZoneInfo

import pghistory
import pytest
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from customers.models import Customer
from datahub.models import ImportBatch, ImportKind, SourceKind
from dealerops.audit import AUDITED, HISTORY_PAGE, history_of
from inventory.models import Sale, VehicleModel
from tests.factories import (
    CustomerFactory,
    LeadFactory,
    LoanFactory,
    SaleFactory,
    ServiceVisitFactory,
    StockUnitFactory,
    VehicleModelFactory,
)


@pytest.mark.django_db
def test_a_price_change_in_admin_records_who_before_and_after(network, client_for):
    model = VehicleModelFactory(msrp=Decimal("200000.00"), guide_price_floor=Decimal("180000.00"))
    network.head_office.is_staff = network.head_office.is_superuser = True
    network.head_office.save()
    client = client_for(network.head_office)
    form = {
        "code": model.code,
        "brand": model.brand,
        "series": model.series,
        "trim": model.trim,
        "powertrain": model.powertrain,
        "msrp": "209800.00",
        "guide_price_floor": "180000.00",
        "dealer_invoice_cost": "170000.00",
        "launch_date": "2024-01-01",
    }
    response = client.post(f"/admin/inventory/vehiclemodel/{model.pk}/change/", form)
    assert response.status_code == 302, response.content[:2000]

    latest = history_of(VehicleModel.objects.get(pk=model.pk))[0]
    assert latest.action == "update"
    assert latest.user == "headoffice"
    assert timezone.localdate(latest.at) == timezone.localdate()
    assert latest.changes == {"msrp": (Decimal("200000.00"), Decimal("209800.00"))}

    page = client.get(f"/admin/inventory/vehiclemodel/{model.pk}/change/").content.decode()
    assert "209800.00" in page and "headoffice" in page


@pytest.mark.django_db
def test_a_bulk_update_is_audited_too(network):
    sale = SaleFactory(dealer=network.home_dealer, transaction_price=Decimal("195000.00"))
    type(sale).objects.filter(pk=sale.pk).update(transaction_price=Decimal("193500.50"))
    latest = history_of(sale)[0]
    assert latest.action == "update"
    assert latest.changes["transaction_price"] == (Decimal("195000.00"), Decimal("193500.50"))
    assert latest.user == "system"


@pytest.mark.django_db
def test_a_non_price_change_of_a_vehicle_model_is_not_a_price_event():
    model = VehicleModelFactory()
    VehicleModel.objects.filter(pk=model.pk).update(trim="Luxury")
    assert [entry.action for entry in history_of(model)] == ["insert"]


# -- a record's page: who, when, before and after; imports named; phones masked ------------------

SHANGHAI = ZoneInfo("Asia/Shanghai")


def latest_event_id(obj) -> int:
    return AUDITED[type(obj)._meta.label].event_model.objects.filter(pgh_obj_id=obj.pk).latest("pgh_id").pgh_id


def import_batch(network, user, file_name="dms-sales.xlsx") -> ImportBatch:
    return ImportBatch.objects.create(
        dealer=network.home_dealer,
        kind=ImportKind.SALES,
        source=SourceKind.DMS,
        system_name="DMS 9",
        file_name=file_name,
        content=b"",
        file_sha256="0" * 64,
        created_by=user,
        confirmed_by=user,
    )


def import_url(batch_id: int) -> str | None:
    try:
        return reverse("datahub:import-detail", args=[batch_id])
    except NoReverseMatch:  # the import page is being built on another branch
        return None


@pytest.mark.django_db
def test_a_sale_edited_by_a_user_shows_who_when_before_and_after_on_its_page(network, client_for):
    sale = SaleFactory(dealer=network.home_dealer, transaction_price=Decimal("195000.00"))
    with pghistory.context(user=network.dealer_user.pk, url="/sales/1/edit/"):
        sale.transaction_price = Decimal("193500.50")
        sale.payment = "lease"
        sale.save()

    latest, created = history_of(sale, viewer=network.head_office)[:2]
    assert (latest.action, latest.action_label, latest.user) == ("update", "Changed", "dealer")
    assert timezone.localdate(latest.at) == timezone.localdate()
    # updated_at is bookkeeping, not a change; the payment shows its label
    assert latest.changes == {
        "transaction_price": (Decimal("195000.00"), Decimal("193500.50")),
        "payment": ("Cash", "Lease"),
    }
    assert [(change.label, change.before, change.after) for change in latest.fields] == [
        ("transaction price", Decimal("195000.00"), Decimal("193500.50")),
        ("payment", "Cash", "Lease"),
    ]
    assert created.action == "insert" and created.user == "system"
    assert created.changes["transaction_price"] == (None, Decimal("195000.00"))
    assert created.changes["dealer"] == (None, str(network.home_dealer))

    page = client_for(network.dealer_user).get(sale.get_absolute_url()).content.decode()
    trail = page[page.index('class="audit-trail"') :]
    assert "Changed" in trail and ">dealer<" in trail.replace("\n", "")
    assert "transaction price</td><td>195000.00</td><td>193500.50</td>" in trail
    assert "payment</td><td>Cash</td><td>Lease</td>" in trail
    assert timezone.localtime(latest.at).strftime("%Y-%m-%d %H:%M:%S") in trail


@pytest.mark.django_db
def test_a_record_written_by_an_import_names_the_import(network, client_for):
    batch = import_batch(network, network.dealer_user, file_name="dms-customers.csv")
    with pghistory.context(import_batch=batch.pk, user=network.dealer_user.pk):
        customer = CustomerFactory(home_dealer=network.home_dealer, city="Hangzhou")
    # (a context lasts to the end of its transaction, and a test is one transaction: a new one replaces it)
    with pghistory.context(user=network.head_office.pk):
        Customer.objects.filter(pk=customer.pk).update(city="Ningbo")

    changed, imported = history_of(customer, viewer=network.head_office)
    assert (changed.user, changed.source, changed.changes) == ("headoffice", "", {"city": ("Hangzhou", "Ningbo")})
    assert imported.action == "insert"
    assert imported.user == "dealer"
    assert imported.source == f"Import #{batch.pk} (dms-customers.csv)"
    assert imported.source_url == import_url(batch.pk)

    page = client_for(network.head_office).get(customer.get_absolute_url()).content.decode()
    assert f"Import #{batch.pk} (dms-customers.csv)" in page
    if imported.source_url:
        assert f'href="{imported.source_url}"' in page


@pytest.mark.django_db
def test_an_import_through_the_data_hub_is_named_on_the_records_it_wrote(network):
    from datahub.services import import_batch_check, import_batch_confirm, import_batch_upload, import_batch_write

    batch = import_batch_upload(
        user=network.dealer_user,
        dealer=network.home_dealer,
        kind=ImportKind.CUSTOMERS,
        source=SourceKind.CRM,
        system_name="CRM 2",
        file_name="crm.csv",
        content="手机号,客户姓名,城市,是否同意营销\n13812341234,张三,杭州,是\n".encode(),
    )
    import_batch_check(batch_id=batch.pk)
    import_batch_confirm(batch=ImportBatch.objects.get(pk=batch.pk), user=network.dealer_user)
    import_batch_write(batch_id=batch.pk)

    entry = history_of(Customer.objects.get(phone="13812341234"), viewer=network.dealer_user)[0]
    assert (entry.action, entry.user, entry.source) == ("insert", "dealer", f"Import #{batch.pk} (crm.csv)")
    assert entry.changes["phone"] == (None, "13812341234")
    assert entry.changes["marketing_consent"] == (None, "Yes")


@pytest.mark.django_db
def test_phones_in_a_customers_history_are_masked_for_a_regional_manager(network, client_for):
    customer = CustomerFactory(home_dealer=network.home_dealer, phone="13812341234")
    with pghistory.context(user=network.dealer_user.pk):
        customer.phone = "13900001111"
        customer.save()

    assert history_of(customer, viewer=network.regional_manager)[0].changes["phone"] == ("138****1234", "139****1111")
    assert history_of(customer, viewer=network.dealer_user)[0].changes["phone"] == ("13812341234", "13900001111")
    assert history_of(customer)[0].changes["phone"] == ("138****1234", "139****1111")  # no viewer: masked

    page = client_for(network.regional_manager).get(customer.get_absolute_url()).content.decode()
    assert "138****1234" in page and "139****1111" in page
    assert "13812341234" not in page and "13900001111" not in page

    page = client_for(network.dealer_user).get(customer.get_absolute_url()).content.decode()
    assert "13812341234" in page and "13900001111" in page


@pytest.mark.django_db
def test_a_customer_page_shows_its_service_visits_history_and_a_lead_has_its_page(network, client_for):
    visit = ServiceVisitFactory(dealer=network.home_dealer, amount=Decimal("880.5"))
    lead = LeadFactory(dealer=network.home_dealer)
    with pghistory.context(user=network.dealer_user.pk):
        type(lead).objects.filter(pk=lead.pk).update(crm_reference="CRM-77")
    client = client_for(network.dealer_user)

    page = client.get(visit.customer.get_absolute_url()).content.decode()
    assert "amount</td><td></td><td>880.50</td>" in page

    page = client.get(reverse("channels:lead-detail", args=[lead.pk])).content.decode()
    assert "CRM reference</td><td></td><td>CRM-77</td>" in page


@pytest.mark.django_db
def test_a_long_history_is_capped_with_a_link_to_all_of_it(network, client_for):
    unit = StockUnitFactory(dealer=network.home_dealer)
    for day in range(HISTORY_PAGE + 5):
        type(unit).objects.filter(pk=unit.pk).update(eta=dt.date(2026, 1, 1) + dt.timedelta(days=day))
    client = client_for(network.head_office)

    page = client.get(unit.get_absolute_url())
    assert len(page.context["history"]) == HISTORY_PAGE and page.context["history_more"]
    assert "?history=all" in page.content.decode()
    everything = client.get(unit.get_absolute_url(), {"history": "all"})
    assert len(everything.context["history"]) == HISTORY_PAGE + 6 and not everything.context["history_more"]


@pytest.mark.django_db
def test_a_deleted_record_keeps_its_last_values(network):
    loan = LoanFactory(sale__dealer=network.home_dealer, reference="LN-DEL-1")
    pk = loan.pk
    with pghistory.context(user=network.head_office.pk):
        loan.delete()
    loan.pk = pk
    deleted = history_of(loan, viewer=network.head_office)[0]
    assert (deleted.action, deleted.user, deleted.record_url) == ("delete", "headoffice", None)
    assert deleted.changes["reference"] == ("LN-DEL-1", None)


# -- head office's changes page -------------------------------------------------------------------

CHANGES_URL = "/audit/changes/"


def at(day: str, clock: str) -> dt.datetime:
    return dt.datetime.fromisoformat(f"{day}T{clock}").replace(tzinfo=SHANGHAI)


def move_events(when: dt.datetime, **filters) -> None:
    """Put events at a known time (a test runs in one transaction, where NOW() never moves)."""
    for audited in AUDITED.values():
        audited.event_model.objects.filter(**filters).update(pgh_created_at=when)


@pytest.fixture
def changes(network):
    """Three edits on known days over records created long before."""
    home_sale = SaleFactory(dealer=network.home_dealer, transaction_price=Decimal("195000.00"))
    foreign_sale = SaleFactory(dealer=network.foreign_dealer, transaction_price=Decimal("201000.00"))
    customer = home_sale.customer
    move_events(at("2025-12-31", "12:00"))

    with pghistory.context(user=network.dealer_user.pk):
        Sale.objects.filter(pk=home_sale.pk).update(transaction_price=Decimal("194000.00"))
    first = ("inventory.Sale", latest_event_id(home_sale))
    move_events(at("2026-03-01", "10:00"), pgh_id=first[1], pgh_obj_id=home_sale.pk)

    with pghistory.context(user=network.head_office.pk):
        Sale.objects.filter(pk=foreign_sale.pk).update(salesperson="=HYPERLINK(1)")
    # 00:30 in Shanghai is still the day before in UTC: the range is Beijing time.
    second = ("inventory.Sale", latest_event_id(foreign_sale))
    move_events(at("2026-03-03", "00:30"), pgh_id=second[1], pgh_obj_id=foreign_sale.pk)

    with pghistory.context(user=network.dealer_user.pk):
        Customer.objects.filter(pk=customer.pk).update(city="Shaoxing")
    third = ("customers.Customer", latest_event_id(customer))
    move_events(at("2026-03-05", "09:00"), pgh_id=third[1], pgh_obj_id=customer.pk)
    return {"first": first, "second": second, "third": third, "home_sale": home_sale, "customer": customer}


def listed(response) -> list[tuple[str, int]]:
    assert response.status_code == 200
    return [(entry.model_label, entry.event_id) for entry, _dealer in response.context["rows"]]


@pytest.mark.django_db
def test_the_changes_page_filters_by_user(network, client_for, changes):
    client = client_for(network.head_office)
    assert listed(client.get(CHANGES_URL, {"user": network.dealer_user.pk})) == [changes["third"], changes["first"]]
    assert listed(client.get(CHANGES_URL, {"user": network.head_office.pk})) == [changes["second"]]
    assert listed(client.get(CHANGES_URL, {"user": network.finance_user.pk})) == []


@pytest.mark.django_db
def test_the_changes_page_filters_by_dealer(network, client_for, changes):
    client = client_for(network.head_office)
    since = {"date_from": "2026-01-01"}
    home = client.get(CHANGES_URL, {"dealer": network.home_dealer.pk, **since})
    assert listed(home) == [changes["third"], changes["first"]]
    assert listed(client.get(CHANGES_URL, {"dealer": network.foreign_dealer.pk, **since})) == [changes["second"]]
    # without a date: the creation of the home dealer's unit, customer and sale too (newest first)
    everything = listed(client.get(CHANGES_URL, {"dealer": network.home_dealer.pk}))
    assert everything[:2] == [changes["third"], changes["first"]]
    assert {label for label, _pk in everything[2:]} == {"inventory.Sale", "inventory.StockUnit", "customers.Customer"}
    assert len(everything) == 5

    page = home.content.decode()
    assert f'href="{changes["home_sale"].get_absolute_url()}"' in page
    assert f'href="{changes["customer"].get_absolute_url()}"' in page
    assert "194000.00" in page and "Shaoxing" in page


@pytest.mark.django_db
def test_the_changes_page_filters_by_date_range_in_beijing_time(network, client_for, changes):
    client = client_for(network.head_office)
    assert listed(client.get(CHANGES_URL, {"date_from": "2026-03-01", "date_to": "2026-03-02"})) == [changes["first"]]
    assert listed(client.get(CHANGES_URL, {"date_from": "2026-03-03", "date_to": "2026-03-03"})) == [changes["second"]]
    assert listed(client.get(CHANGES_URL, {"date_from": "2026-03-02"})) == [changes["third"], changes["second"]]
    sale_events = AUDITED["inventory.Sale"].event_model.objects
    created = sale_events.filter(pgh_label="insert").order_by("-pgh_id").values_list("pgh_id", flat=True)
    assert len(created) == 2
    assert listed(client.get(CHANGES_URL, {"date_to": "2026-02-28", "model": "inventory.Sale"})) == [
        ("inventory.Sale", pk) for pk in created
    ]
    refused = client.get(CHANGES_URL, {"date_from": "2026-03-05", "date_to": "2026-03-01"})
    assert listed(refused) == [] and "The start date is after the end date." in refused.content.decode()


@pytest.mark.django_db
def test_the_changes_page_filters_by_import(network, client_for):
    batch = import_batch(network, network.dealer_user)
    SaleFactory(dealer=network.home_dealer)
    model = VehicleModelFactory()
    with pghistory.context(import_batch=batch.pk, user=network.dealer_user.pk):
        unit = StockUnitFactory(dealer=network.home_dealer, model=model)
    client = client_for(network.head_office)
    response = client.get(CHANGES_URL, {"import_batch": batch.pk})
    assert listed(response) == [("inventory.StockUnit", latest_event_id(unit))]
    assert f"Import #{batch.pk} (dms-sales.xlsx)" in response.content.decode()


@pytest.mark.django_db
def test_the_changes_export_has_a_line_per_changed_field_with_formulas_neutralised(network, client_for, changes):
    client = client_for(network.head_office)
    response = client.get(CHANGES_URL, {"date_from": "2026-03-01", "export": "csv"})
    assert response.status_code == 200 and response.streaming
    lines = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    assert lines[0] == [
        "When",
        "Who",
        "Source",
        "Action",
        "Record type",
        "Record",
        "Dealer",
        "Field",
        "Before",
        "After",
    ]
    home, foreign = str(network.home_dealer), str(network.foreign_dealer)
    sale_pk, customer_pk = changes["home_sale"].pk, changes["customer"].pk
    foreign_pk = AUDITED["inventory.Sale"].event_model.objects.get(pgh_id=changes["second"][1]).pgh_obj_id
    assert lines[1:] == [
        ["2026-03-05 09:00:00", "dealer", "", "Changed", "customer", str(customer_pk), home, "city", "Hangzhou", "Shaoxing"],
        ["2026-03-03 00:30:00", "headoffice", "", "Changed", "sale", str(foreign_pk), foreign, "salesperson", "Wang Fang", "'=HYPERLINK(1)"],
        ["2026-03-01 10:00:00", "dealer", "", "Changed", "sale", str(sale_pk), home, "transaction price", "195000.00", "194000.00"],
    ]  # fmt: skip

    xlsx = client.get(CHANGES_URL, {"date_from": "2026-03-01", "export": "xlsx"})
    assert xlsx.status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["dealer_user", "regional_manager", "finance_user"])
def test_only_head_office_opens_the_changes_page(network, client_for, role):
    client = client_for(getattr(network, role))
    assert client.get(CHANGES_URL).status_code == 403
    assert client.get(CHANGES_URL, {"export": "csv"}).status_code == 403
    assert CHANGES_URL not in client.get("/").content.decode()

    client = client_for(network.head_office)
    assert client.get(CHANGES_URL).status_code == 200
    assert f'href="{CHANGES_URL}"' in client.get("/").content.decode()


@pytest.mark.django_db
def test_the_changes_page_reads_a_fixed_number_of_queries(network, client_for, django_assert_max_num_queries):
    for index in range(12):
        sale = SaleFactory(dealer=network.home_dealer if index % 2 else network.foreign_dealer)
        LoanFactory(sale=SaleFactory(dealer=sale.dealer, payment="loan"))
        ServiceVisitFactory(dealer=sale.dealer, customer=sale.customer)
        LeadFactory(dealer=sale.dealer)
        with pghistory.context(user=network.dealer_user.pk):
            Sale.objects.filter(pk=sale.pk).update(transaction_price=Decimal("190000.00"))
    client = client_for(network.head_office)
    with django_assert_max_num_queries(30) as captured:
        response = client.get(CHANGES_URL)
    assert len(response.context["rows"]) == 50
    print("QUERIES", len(captured))


@pytest.mark.django_db
def test_the_changes_page_pages_newest_first_without_counting_everything(network, client_for):
    unit = StockUnitFactory(dealer=network.home_dealer)
    for day in range(60):
        type(unit).objects.filter(pk=unit.pk).update(eta=dt.date(2026, 1, 1) + dt.timedelta(days=day))
    ids = list(AUDITED["inventory.StockUnit"].event_model.objects.order_by("-pgh_id").values_list("pgh_id", flat=True))
    client = client_for(network.head_office)
    filters = {"model": "inventory.StockUnit"}
    first = client.get(CHANGES_URL, filters)
    assert listed(first) == [("inventory.StockUnit", pk) for pk in ids[:50]]
    assert (first.context["previous_page"], first.context["next_page"]) == (None, 2)
    second = client.get(CHANGES_URL, {**filters, "page": 2})
    assert listed(second) == [("inventory.StockUnit", pk) for pk in ids[50:]]
    assert (second.context["previous_page"], second.context["next_page"]) == (1, None)
    assert "page=1" in second.content.decode()
