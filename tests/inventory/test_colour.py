"""A stock unit's exterior colour, end to end: entered on the arrival form and the API, shown on
the stock list and the unit's page, filtered and searched on the list (the API's FilterSet too),
exported, and kept in the audit trail."""

import csv
import datetime as dt
import io

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import connection
from openpyxl import load_workbook
from rest_framework.test import APIClient

from dealerops.audit import history_of
from inventory.models import StockStatus, StockUnit
from tests.factories import StockUnitFactory, VehicleModelFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def units(network):
    return {
        "white": StockUnitFactory(dealer=network.home_dealer, colour="珍珠白"),
        "black": StockUnitFactory(dealer=network.home_dealer, colour="曜石黑"),
        "plain": StockUnitFactory(dealer=network.home_dealer, colour=""),  # recorded before colours were kept
        "foreign": StockUnitFactory(dealer=network.foreign_dealer, colour="珍珠白"),
    }


def listed_vins(response) -> set[str]:
    assert response.status_code == 200
    return {unit.vin for unit in response.context["object_list"]}


def test_the_stock_list_shows_each_units_colour_in_its_own_column(network, client_for, units):
    client = client_for(network.dealer_user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
    page = client.get("/stock/").content.decode()
    head = page.split("<thead", 1)[1].split("</thead>", 1)[0]
    assert "<th" in head and "颜色" in head
    row = page.split(units["white"].vin, 1)[1].split("</tr>", 1)[0]
    assert "珍珠白" in row


def test_the_stock_list_filters_by_colour_or_part_of_it_within_the_users_scope(network, client_for, units):
    client = client_for(network.dealer_user)
    assert listed_vins(client.get("/stock/", {"colour": "珍珠白"})) == {units["white"].vin}
    assert listed_vins(client.get("/stock/", {"colour": "黑"})) == {units["black"].vin}
    assert listed_vins(client.get("/stock/", {"colour": ""})) == {units[n].vin for n in ("white", "black", "plain")}
    # A manager of both regions' dealers sees both white units.
    head_office = client_for(network.head_office)
    assert listed_vins(head_office.get("/stock/", {"colour": "白"})) == {units["white"].vin, units["foreign"].vin}


def test_the_list_search_finds_a_colour_too(network, client_for, units):
    assert listed_vins(client_for(network.dealer_user).get("/stock/", {"q": "曜石"})) == {units["black"].vin}


def test_the_filter_form_offers_colour(network, client_for):
    client = client_for(network.dealer_user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
    page = client.get("/stock/").content.decode()
    filters = page.split('class="filters"', 1)[1].split("</form>", 1)[0]
    label = filters.split('name="colour"', 1)[0].rsplit("<label>", 1)[1]
    assert label.startswith("颜色")


def test_the_csv_and_xlsx_exports_carry_the_colour_of_the_filtered_rows(network, client_for, units):
    client = client_for(network.dealer_user)
    response = client.get("/stock/", {"export": "csv", "colour": "白"})
    header, *rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    at = header.index("Colour")
    assert header[at - 1] == "Model"
    assert [(row[0], row[at]) for row in rows] == [(units["white"].vin, "珍珠白")]

    response = client.get("/stock/", {"export": "xlsx"})
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content)), read_only=True).active
    header, *rows = [list(row) for row in sheet.iter_rows(values_only=True)]
    colours = {row[0]: row[header.index("Colour")] for row in rows}
    assert colours[units["white"].vin] == "珍珠白" and colours[units["black"].vin] == "曜石黑"
    assert colours[units["plain"].vin] in ("", None)


def test_the_units_page_shows_its_colour_and_a_dash_without_one(network, client_for, units):
    client = client_for(network.dealer_user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
    facts = client.get(f"/stock/{units['white'].pk}/").content.decode().split('class="facts"', 1)[1]
    assert "<dt>外观颜色</dt><dd>珍珠白</dd>" in facts
    facts = client.get(f"/stock/{units['plain'].pk}/").content.decode().split('class="facts"', 1)[1]
    assert "<dt>外观颜色</dt><dd>–</dd>" in facts


def test_the_arrival_form_records_the_colour(network, client_for):
    model = VehicleModelFactory()
    client = client_for(network.dealer_user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
    form = client.get("/stock/arrival/").content.decode()
    assert "外观颜色" in form.split('for="id_colour"', 1)[1].split("</label>", 1)[0]
    client.post(
        "/stock/arrival/",
        {"vin": "LFV3A23C9K3012345", "model": model.pk, "arrived_on": "2026-11-01", "colour": " 冰川蓝 "},
    )
    assert StockUnit.objects.get().colour == "冰川蓝"


def test_the_arrival_form_suggests_the_colours_of_the_users_own_stock_most_common_first(network, client_for, units):
    StockUnitFactory(dealer=network.home_dealer, colour="曜石黑")
    StockUnitFactory(dealer=network.foreign_dealer, colour="松石绿")
    form = client_for(network.dealer_user).get("/stock/arrival/").content.decode()
    box = form.split('name="colour"', 1)[1].split("</datalist>", 1)[0]
    assert 'list="id_colour-suggestions"' in box
    assert box.split('<datalist id="id_colour-suggestions">', 1)[1] == '<option value="曜石黑"><option value="珍珠白">'


def test_an_ordered_unit_arriving_keeps_its_colour_unless_another_arrived(network, client_for):
    ordered = StockUnitFactory(
        dealer=network.home_dealer, status=StockStatus.ORDERED, arrived_on=None, colour="宝石红",
        ordered_on=dt.date(2026, 10, 1),
    )  # fmt: skip
    client = client_for(network.dealer_user)
    arrival = {"vin": ordered.vin, "model": ordered.model.pk, "arrived_on": "2026-11-01", "colour": ""}
    assert client.post("/stock/arrival/", arrival).status_code == 302
    ordered.refresh_from_db()
    assert (ordered.status, ordered.colour) == (StockStatus.IN_STOCK, "宝石红")


def test_the_api_reads_filters_and_writes_the_colour(network, units):
    client = APIClient()
    client.force_authenticate(network.dealer_user)
    body = client.get("/api/v1/stock-units/", {"colour": "珍珠白"}).json()
    assert [(item["vin"], item["colour"]) for item in body["results"]] == [(units["white"].vin, "珍珠白")]
    model = VehicleModelFactory()
    arrival = {"vin": "LFV3A23C9K3012345", "model": model.pk, "arrived_on": "2026-11-01", "colour": "星空灰"}
    assert client.post("/api/v1/stock-units/", arrival, format="json").status_code == 201
    assert StockUnit.objects.get(vin="LFV3A23C9K3012345").colour == "星空灰"


def test_a_colour_change_is_in_the_units_audit_trail(network, client_for, units):
    unit = units["black"]
    unit.colour = "星空灰"
    unit.save()
    assert history_of(unit)[0].changes == {"colour": ("曜石黑", "星空灰")}
    client = client_for(network.dealer_user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
    trail = client.get(f"/stock/{unit.pk}/").content.decode().split("变更记录", 1)[1]
    assert "外观颜色" in trail and "曜石黑" in trail and "星空灰" in trail


@pytest.mark.django_db(transaction=True)
def test_the_migration_adds_the_column_blank_for_existing_rows_and_reverses(network):
    model = VehicleModelFactory()

    def columns() -> set[str]:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT column_name FROM information_schema.columns WHERE table_name = 'inventory_stockunit'"
            )
            return {name for (name,) in cursor.fetchall()}

    call_command("migrate", "inventory", "0002_event_created_indexes", verbosity=0)
    try:
        assert "colour" not in columns()
        with connection.cursor() as cursor:  # a unit recorded before colours were kept
            cursor.execute(
                "INSERT INTO inventory_stockunit (vin, model_id, dealer_id, status, ordered_on, created_at, updated_at)"
                " VALUES ('LFV3A23C9K3099999', %s, %s, 'ordered', '2026-10-01', now(), now())",
                [model.pk, network.home_dealer.pk],
            )
    finally:
        # Every app forward again: going back also unapplied the other apps' migrations that
        # depend on a later inventory one (the lead routing's).
        call_command("migrate", verbosity=0)
    assert "colour" in columns()
    unit = StockUnit.objects.get(vin="LFV3A23C9K3099999")
    assert unit.colour == ""
    unit.colour = "珍珠白"
    unit.save()  # the audit triggers were rebuilt with the column
    assert history_of(unit)[0].changes == {"colour": ("", "珍珠白")}
