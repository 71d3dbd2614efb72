"""The entry forms' searchable pickers: their scoped options endpoints, and the sale form
submitted with a VIN and a customer as the pickers (or a clerk without JavaScript) send them."""

import datetime as dt

import pytest
from django.conf import settings

from customers.models import Customer
from inventory.models import Sale, StockStatus
from tests.factories import CustomerFactory, StockUnitFactory, VehicleModelFactory

pytestmark = pytest.mark.django_db


def options(client, url, **params):
    response = client.get(url, params)
    assert response.status_code == 200
    return response.json()["results"]


def test_unit_options_show_model_colour_and_arrival_and_only_the_dealers_stock(network, client_for):
    model = VehicleModelFactory(brand="Hongqi", series="H5", trim="Flagship")
    mine = StockUnitFactory(dealer=network.home_dealer, model=model, colour="珍珠白", arrived_on=dt.date(2026, 9, 1))
    StockUnitFactory(dealer=network.home_dealer, model=model, status=StockStatus.SOLD)
    StockUnitFactory(dealer=network.foreign_dealer, model=model)
    found = options(client_for(network.dealer_user), "/stock/options/", q="h5 flag")
    assert found == [
        {"value": mine.vin, "label": mine.vin, "detail": "Hongqi H5 Flagship · 珍珠白 · in stock since 2026-09-01"}
    ]


def test_unit_options_in_chinese_name_model_and_colour_and_a_unit_without_colour_leaves_it_out(network, client_for):
    model = VehicleModelFactory(brand="晟驰", series="驰5", trim="1.5T 舒适版")
    black = StockUnitFactory(dealer=network.home_dealer, model=model, colour="曜石黑", arrived_on=dt.date(2026, 9, 1))
    old = StockUnitFactory(dealer=network.home_dealer, model=model, colour="", arrived_on=dt.date(2026, 9, 2))
    client = client_for(network.dealer_user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
    found = {option["label"]: option["detail"] for option in options(client, "/stock/options/")}
    assert found == {
        black.vin: "晟驰 驰5 1.5T 舒适版 · 曜石黑 · 2026-09-01 起在库",
        old.vin: "晟驰 驰5 1.5T 舒适版 · 2026-09-02 起在库",
    }


def test_a_clerk_finds_units_by_colour_alone_or_with_the_model(network, client_for):
    qin = VehicleModelFactory(series="Qin")
    han = VehicleModelFactory(series="Han")
    white_qin = StockUnitFactory(dealer=network.home_dealer, model=qin, colour="珍珠白")
    white_han = StockUnitFactory(dealer=network.home_dealer, model=han, colour="珍珠白")
    StockUnitFactory(dealer=network.home_dealer, model=qin, colour="曜石黑")
    StockUnitFactory(dealer=network.foreign_dealer, model=qin, colour="珍珠白")
    client = client_for(network.dealer_user)
    assert {option["value"] for option in options(client, "/stock/options/", q="白")} == {white_qin.vin, white_han.vin}
    assert [option["value"] for option in options(client, "/stock/options/", q="qin 珍珠")] == [white_qin.vin]


def test_unit_options_are_bounded_whatever_the_stock(network, client_for):
    StockUnitFactory.create_batch(25, dealer=network.home_dealer)
    assert len(options(client_for(network.dealer_user), "/stock/options/")) == 20


def test_a_regional_manager_finds_customers_by_name_with_masked_phones_only(network, client_for):
    CustomerFactory(home_dealer=network.home_dealer, name="Zhou Min", phone="13812345678", city="Hangzhou")
    CustomerFactory(home_dealer=network.foreign_dealer, name="Zhou Foreign", phone="13812340000")
    client = client_for(network.regional_manager)
    found = options(client, "/customers/options/", q="zhou")
    assert [(option["label"], option["detail"]) for option in found] == [("Zhou Min · 138****5678", "Hangzhou")]
    # Digits of a masked number find nothing: a manager cannot uncover it digit by digit.
    assert options(client, "/customers/options/", q="12345678") == []


def test_a_dealer_finds_its_customer_by_phone_digits(network, client_for):
    customer = CustomerFactory(home_dealer=network.home_dealer, name="Zhou Min", phone="13812345678")
    CustomerFactory(home_dealer=network.foreign_dealer, phone="13812345679")
    found = options(client_for(network.dealer_user), "/customers/options/", q="138 1234 567")
    assert [(option["value"], option["label"]) for option in found] == [(str(customer.pk), "Zhou Min · 13812345678")]


def test_a_head_office_picker_narrows_to_the_chosen_dealer(network, client_for):
    CustomerFactory(home_dealer=network.home_dealer, name="Home Li")
    CustomerFactory(home_dealer=network.foreign_dealer, name="Foreign Li")
    client = client_for(network.head_office)
    assert len(options(client, "/customers/options/", q="li")) == 2
    found = options(client, "/customers/options/", q="li", dealer=network.foreign_dealer.pk)
    assert [option["label"].split(" · ")[0] for option in found] == ["Foreign Li"]


def test_finance_may_not_search_customers(network, client_for):
    assert client_for(network.finance_user).get("/customers/options/").status_code == 403


SALE = {"salesperson": "Li Na", "sold_on": "2026-11-02", "transaction_price": "188888.88", "payment": "cash",
        "registered_city": "Hangzhou"}  # fmt: skip


def test_the_sale_form_renders_no_list_of_customers_or_units(network, client_for):
    CustomerFactory.create_batch(30, home_dealer=network.home_dealer, name="Listed Customer")
    unit = StockUnitFactory(dealer=network.home_dealer)
    page = client_for(network.dealer_user).get("/sales/new/").content.decode()
    assert "Listed Customer" not in page and unit.vin not in page
    assert 'data-picker-url="/stock/options/"' in page and 'data-picker-url="/customers/options/"' in page


def test_a_sale_is_recorded_with_a_typed_vin_and_a_picked_customer(network, client_for):
    unit = StockUnitFactory(dealer=network.home_dealer, arrived_on=dt.date(2026, 10, 8))
    customer = CustomerFactory(home_dealer=network.home_dealer)
    data = {**SALE, "stock_unit": unit.vin.lower(), "customer": customer.pk}
    response = client_for(network.dealer_user).post("/sales/new/", data)
    sale = Sale.objects.get()
    assert response.status_code == 302 and (sale.stock_unit, sale.customer) == (unit, customer)


def test_without_javascript_a_customer_typed_by_phone_is_found(network, client_for):
    unit = StockUnitFactory(dealer=network.home_dealer, arrived_on=dt.date(2026, 10, 8))
    customer = CustomerFactory(home_dealer=network.home_dealer, phone="13812345678")
    data = {**SALE, "stock_unit": unit.vin, "customer": "", "customer_q": "138-1234-5678"}
    assert client_for(network.dealer_user).post("/sales/new/", data).status_code == 302
    assert Sale.objects.get().customer == customer and Customer.objects.count() == 1


def test_a_vin_outside_the_dealers_stock_is_refused_next_to_the_field(network, client_for):
    foreign = StockUnitFactory(dealer=network.foreign_dealer)
    customer = CustomerFactory(home_dealer=network.home_dealer)
    response = client_for(network.dealer_user).post(
        "/sales/new/", {**SALE, "stock_unit": foreign.vin, "customer": customer.pk}
    )
    assert response.status_code == 200 and not Sale.objects.exists()
    field = response.content.decode().split('for="id_stock_unit"', 1)[1].split('class="field', 1)[0]
    assert "No unit in your stock has this VIN." in field and f'value="{foreign.vin}"' in field
