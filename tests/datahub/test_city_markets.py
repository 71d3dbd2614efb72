"""Head office's city market table through the data hub: a network file of no dealer, upserted by
city and year, each row checked by the market's own rules and stored with the capacity the model
computes; the dealers and the regional managers may not import it, nor see it."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, transaction
from rest_framework.test import APIClient

from channels.models import CityMarket
from channels.planning.capacity import market_capacity
from datahub.models import ImportBatch, ImportKind, ImportStatus, SourceKind
from datahub.services import column_mapping_save, import_batch_confirm, import_batch_upload
from dealerops.audit import history_of
from tests.datahub.helpers import confirm, errors_of, run_import
from tests.factories import CityMarketFactory, ImportBatchFactory

pytestmark = pytest.mark.django_db

HEADER = "省份,城市,年份,纬度,经度,常住人口,户数,人均可支配收入,千人汽车保有量,新能源渗透率,大区\n"
# 1,000 households at the national reference (41,314 yuan, 250 vehicles per 1,000) buy 46 new
# cars a year (channels.planning.capacity); Hangzhou's row keeps its region (its cell is empty).
GOOD = HEADER + (
    "浙江,杭州,2025,30.274084,120.155070,2620,1000,41314,250,45%,\n"
    "四川,成都,2025,30.572816,104.066801,2140万,8458498,54000.00,294,0.40,WEST\n"
    '浙江,宁波,2025,29.868388,121.543990,9690000,4123404,"72,000",360,45 %,East\n'
)


def market(city: str, year: int = 2025) -> CityMarket:
    return CityMarket.objects.get(city=city, year=year)


@pytest.fixture
def hangzhou(network):
    """Hangzhou's 2025 market as it stood: 800 households, 40 % new energy."""
    return CityMarketFactory(region=network.home_region, province="浙江", city="杭州", households=800)


def test_a_file_creates_and_updates_the_markets_with_the_capacity_the_model_computes(network, hangzhou):
    batch = run_import(network, ImportKind.CITY_MARKETS, GOOD)
    assert batch.dealer is None and batch.file_errors == []
    assert (batch.status, batch.rows_create, batch.rows_update, batch.rows_error) == (ImportStatus.READY, 2, 1, 0)

    assert confirm(network, batch).status == ImportStatus.IMPORTED
    hz, cd, nb = market("杭州"), market("成都"), market("宁波")
    assert CityMarket.objects.count() == 3 and hz.pk == hangzhou.pk
    # Upserted in place, its region kept; 1,000 households × 0.046 = 46, of which 45 % is 20.7 → 21.
    assert (hz.region, hz.households, hz.nev_share) == (network.home_region, 1000, Decimal("0.4500"))
    assert (hz.capacity_units, hz.nev_capacity_units) == (46, 21)
    # 2140万 people; the region by its code or by its name, any case.
    assert (cd.population, cd.region, cd.nev_share) == (21_400_000, network.foreign_region, Decimal("0.4000"))
    assert (nb.region, nb.disposable_income, nb.nev_share) == (
        network.home_region,
        Decimal("72000.00"),
        Decimal("0.45"),
    )
    for row in (hz, cd, nb):
        capacity = market_capacity(row)  # what the city's page computes from the stored inputs
        assert (row.capacity_units, row.nev_capacity_units) == (capacity.units, capacity.nev_units), row.city
    assert cd.capacity_units > 100_000  # a city of 8.5 million households, not a rounding of zero

    # Audited set-based like every kind: each record's trail names the import and who confirmed it.
    created, updated = history_of(cd, viewer=network.head_office)[0], history_of(hz, viewer=network.head_office)[0]
    assert created.action == "insert" and created.source == f"Import #{batch.pk} (export.csv)"
    assert updated.user == "headoffice" and updated.changes["households"] == (800, 1000)
    assert updated.changes["capacity_units"] == (37, 46)

    again = run_import(network, ImportKind.CITY_MARKETS, GOOD)
    assert (again.rows_create, again.rows_update, again.rows_unchanged) == (0, 0, 3)


def test_a_bad_file_writes_nothing_and_names_each_row_and_column(network, hangzhou):
    bad = HEADER + (
        "浙江,杭州,2025,30.27,120.15,2620,3000,41314,250,45%,\n"  # 3 more households than people
        "四川,成都,2025,30.57,104.06,21400000,8458498,54000,294,120%,WEST\n"
        "四川,绵阳,2025,104.74,31.46,4900000,1900000,38000,180,0.32,WEST\n"  # swapped coordinates
        "浙江,温州,2025,28.0,120.7,9760000,4000000,63000,300,0.4,NOWHERE\n"
        "浙江,嘉兴,2025,30.75,120.76,-5,1000,66000,380,0.4,EAST\n"
        "浙江,绍兴,2025,30.0,120.58,5350000,2270000,70000,380,0.4,\n"  # a new city without a region
        "浙江,杭州,2025,30.27,120.15,2620,1000,41314,250,45%,\n"
        "浙江,湖州,2025,30.89,120.09,3440000,1460000,63000,370,45,EAST\n"  # 45 is no share
        "浙江,丽水,2025,28.47,119.92,2500000,1000000,50000,2500,0.4,EAST\n"
    )
    batch = run_import(network, ImportKind.CITY_MARKETS, bad)
    assert batch.status == ImportStatus.INVALID and batch.rows_error == 9
    errors = {(row, column): message for row, column, message in errors_of(batch)}
    assert errors[(2, "户数")] == "3,000 households are more than the city's 2,620 people."
    assert "between 0 and 1" in errors[(3, "新能源渗透率")]
    assert "outside China's latitudes" in errors[(4, "纬度")]
    assert "outside China's longitudes" in errors[(4, "经度")]
    assert errors[(5, "大区")].startswith("“NOWHERE” is no region")
    assert "EAST" in errors[(5, "大区")]
    assert errors[(6, "常住人口")] == "This cannot be negative."
    assert errors[(7, "大区")] == "绍兴 has no market yet: name the sales region it belongs to."
    assert errors[(8, "城市")] == "杭州 2025 is already on row 2."
    assert errors[(9, "新能源渗透率")] == "45 is not a share between 0 and 1: write 0.45 or 45%."
    assert errors[(10, "千人汽车保有量")] == "2500.00 vehicles per 1,000 people is more than one a person."
    assert "The file has errors" in str(_refused(lambda: import_batch_confirm(batch=batch, user=network.head_office)))
    assert list(CityMarket.objects.values_list("city", "households")) == [("杭州", 800)]


def _refused(call) -> ValidationError:
    with pytest.raises(ValidationError) as refused:
        call()
    return refused.value


def upload(user, dealer=None, kind=ImportKind.CITY_MARKETS):
    return import_batch_upload(
        user=user,
        dealer=dealer,
        kind=kind,
        source=SourceKind.SPREADSHEET,
        system_name="统计公报",
        file_name="markets.csv",
        content=GOOD.encode(),
    )


def test_only_head_office_imports_the_table_and_for_no_dealer(network):
    for user in (network.dealer_user, network.regional_manager, network.finance_user):
        refused = _refused(lambda user=user: upload(user, dealer=network.home_dealer))
        assert refused.message_dict == {
            "kind": ["City markets are the whole network's, not a dealer's: head office imports them."]
        }
    assert _refused(lambda: upload(network.head_office, dealer=network.home_dealer)).message_dict == {
        "dealer": ["City markets are the whole network's: leave the dealer empty."]
    }
    # And a dealer's kind still names its dealer.
    assert "dealer" in _refused(lambda: upload(network.head_office, kind=ImportKind.CUSTOMERS)).message_dict
    assert not ImportBatch.objects.exists()


def test_the_database_keeps_a_network_file_dealerless_and_a_dealers_file_its_dealer(network):
    for fields in ({"dealer": None}, {"dealer": network.home_dealer, "kind": ImportKind.CITY_MARKETS}):
        with pytest.raises(IntegrityError), transaction.atomic():
            ImportBatchFactory(**fields)


def post_upload(client, **fields):
    data = {
        "kind": ImportKind.CITY_MARKETS,
        "source": SourceKind.SPREADSHEET,
        "system_name": "统计公报",
        "file": SimpleUploadedFile("markets.csv", GOOD.encode(), content_type="text/csv"),
        **fields,
    }
    return client.post("/imports/new/", data)


def test_head_office_uploads_the_table_on_the_page_and_confirms_it(network, client_for, hangzhou):
    client = client_for(network.head_office)
    page = client.get("/imports/new/", {"kind": "city_markets"}).content.decode()
    assert '<option value="city_markets" selected>' in page
    response = post_upload(client)  # no dealer chosen
    batch = ImportBatch.objects.get()
    assert response.status_code == 302 and response["Location"] == batch.get_absolute_url()
    assert (batch.dealer, batch.rows_create, batch.rows_update) == (None, 2, 1)
    detail = client.get(batch.get_absolute_url(), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "The whole network" in detail and "Save this mapping" not in detail
    # Mappings are a dealer's system's: a network file keeps none.
    assert "a file of the whole network keeps none" in str(
        _refused(lambda: column_mapping_save(batch=batch, user=network.head_office))
    )
    assert client.post(f"/imports/{batch.pk}/confirm/").status_code == 302
    assert CityMarket.objects.count() == 3
    listed = client.get("/imports/").content.decode()
    assert "The whole network" in listed


def test_a_dealer_user_and_a_regional_manager_cannot_upload_the_table(network, client_for):
    response = post_upload(client_for(network.dealer_user))
    assert response.status_code == 200
    assert response.context["form"].errors["kind"] == ["You cannot import this kind of file."]
    manager = client_for(network.regional_manager)
    assert manager.get("/imports/new/").status_code == 403
    assert post_upload(manager).status_code == 403
    assert not ImportBatch.objects.exists()


def api_post(user, **fields):
    client = APIClient()
    client.force_authenticate(user)
    data = {
        "kind": "city_markets",
        "source": "spreadsheet",
        "system_name": "统计公报",
        "file": SimpleUploadedFile("markets.csv", GOOD.encode(), content_type="text/csv"),
        **fields,
    }
    return client.post("/api/v1/imports/", data, format="multipart")


def test_the_api_takes_the_table_from_head_office_alone(network, hangzhou):
    refused = api_post(network.dealer_user)
    assert refused.status_code == 400 and "head office imports them" in refused.json()["kind"][0]
    assert api_post(network.regional_manager).status_code == 403
    assert "leave the dealer empty" in api_post(network.head_office, dealer=network.home_dealer.pk).json()["dealer"][0]
    created = api_post(network.head_office)
    assert created.status_code == 201 and created.json()["dealer"] is None and created.json()["rows_create"] == 2


def test_a_network_import_is_listed_for_head_office_only(network, client_for):
    own = ImportBatchFactory(dealer=network.home_dealer)
    table = ImportBatchFactory(dealer=None, kind=ImportKind.CITY_MARKETS, file_name="markets-2025.csv")
    client = APIClient()
    seen = {}
    for user in (network.dealer_user, network.regional_manager, network.head_office):
        client.force_authenticate(user)
        seen[user.username] = {row["id"] for row in client.get("/api/v1/imports/").json()["results"]}
        page = client_for(user).get("/imports/").content.decode()
        assert ("markets-2025.csv" in page) == (user == network.head_office), user.username
    assert seen == {"dealer": {own.pk}, "manager": {own.pk}, "headoffice": {own.pk, table.pk}}
    for user in (network.dealer_user, network.regional_manager):
        assert client_for(user).get(f"/imports/{table.pk}/").status_code == 404
