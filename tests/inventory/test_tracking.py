"""In-transit tracking: positions from the API, a carrier's file and trackers over MQTT, all
through one service; each unit's latest position and whether it is late or silent; who sees
and who writes which positions."""

import datetime as dt
import json
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone
from rest_framework.test import APIClient

from datahub.models import ImportKind, ImportStatus
from inventory.models import LatestPosition, Position, PositionSource, StockStatus, Tracker, TrackerRejection
from inventory.tracking.mqtt import PositionSubscriber
from inventory.tracking.services import PositionIn, positions_record
from tests.datahub.helpers import confirm, errors_of, run_import
from tests.factories import StockUnitFactory

pytestmark = pytest.mark.django_db

SHANGHAI = dt.timezone(dt.timedelta(hours=8))
VIN = "LSV00000000000001"


NOW = timezone.now().replace(second=0, microsecond=0)


def moment(hours_ago: float) -> dt.datetime:
    return NOW - dt.timedelta(hours=hours_ago)


@pytest.fixture
def unit(network):
    return StockUnitFactory(
        vin=VIN,
        dealer=network.home_dealer,
        status=StockStatus.IN_TRANSIT,
        arrived_on=None,
        ordered_on=timezone.localdate() - dt.timedelta(days=10),
        eta=timezone.localdate() + dt.timedelta(days=2),
    )


def at(hours_ago: float, lat: str = "31.230000", lon: str = "121.470000", **fields) -> PositionIn:
    return PositionIn(vin=VIN, recorded_at=moment(hours_ago), latitude=Decimal(lat), longitude=Decimal(lon), **fields)


def test_a_batch_is_recorded_once_and_the_newest_position_is_kept_as_the_latest(unit):
    first = positions_record(
        positions=[at(3), at(1, "30.900000", "121.000000", speed_kmh=Decimal("72.0"), note="G60"), at(2)],
        source=PositionSource.API,
    )
    assert (first.written, first.repeated) == (3, 0)
    latest = LatestPosition.objects.get(stock_unit=unit)
    assert (latest.latitude, latest.speed_kmh, latest.note) == (Decimal("30.900000"), Decimal("72.0"), "G60")
    # A device resending after a dropped connection, and a late-arriving older report.
    again = positions_record(positions=[at(1, "30.900000", "121.000000"), at(5)], source=PositionSource.MQTT)
    assert (again.written, again.repeated) == (1, 1)
    assert Position.objects.filter(stock_unit=unit).count() == 4
    assert LatestPosition.objects.get(stock_unit=unit).latitude == Decimal("30.900000")


def test_bad_positions_are_refused_by_row_and_field_and_nothing_is_written(unit, network):
    StockUnitFactory(vin="LSV00000000000002", dealer=network.home_dealer)  # in stock
    bad = [
        at(1),  # good, but in a refused batch
        PositionIn(vin="LSV00000000000099", recorded_at=moment(1), latitude=Decimal(31), longitude=Decimal(121)),
        PositionIn(vin="LSV00000000000002", recorded_at=moment(1), latitude=Decimal(31), longitude=Decimal(121)),
        at(-2),  # two hours ahead
        at(24 * 30),  # before the unit was ordered
        at(1, "48.850000", "2.350000"),  # Paris
        at(1.5, speed_kmh=Decimal("-5")),
    ]
    with pytest.raises(ValidationError) as refused:
        positions_record(positions=bad, source=PositionSource.API)
    errors = refused.value.message_dict
    assert errors["vin"] == [
        "row 2: No unit has the VIN LSV00000000000099.",
        "row 3: LSV00000000000002 is in stock, not in transit: positions are kept for units on their way.",
    ]
    assert errors["recorded_at"][0].startswith("row 4:") and errors["recorded_at"][0].endswith("is in the future.")
    assert errors["recorded_at"][1].startswith("row 5:") and "before the unit was ordered" in errors["recorded_at"][1]
    assert errors["longitude"] == ["row 6: 2.350000 lies outside China (longitudes 73 to 135° E)."]
    assert errors["speed_kmh"] == ["row 7: A speed cannot be negative."]
    assert not Position.objects.exists() and not LatestPosition.objects.exists()


def api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def batch(*positions: PositionIn) -> dict:
    return {
        "positions": [
            {
                "vin": position.vin,
                "recorded_at": position.recorded_at.isoformat(),
                "latitude": str(position.latitude),
                "longitude": str(position.longitude),
                **({"speed_kmh": str(position.speed_kmh)} if position.speed_kmh is not None else {}),
            }
            for position in positions
        ]
    }


def test_the_api_takes_a_batch_from_head_office_and_shows_each_dealer_its_own(unit, network):
    answer = api(network.head_office).post("/api/v1/positions/", batch(at(2), at(1)), format="json")
    assert answer.status_code == 201 and answer.json() == {"written": 2, "repeated": 0}
    assert api(network.head_office).post("/api/v1/positions/", batch(at(1)), format="json").json() == {
        "written": 0,
        "repeated": 1,
    }
    refused = api(network.head_office).post("/api/v1/positions/", batch(at(1, speed_kmh=Decimal("-1"))), format="json")
    assert refused.status_code == 400 and refused.json() == {"speed_kmh": ["A speed cannot be negative."]}
    # The dealers read; only the integration (head office) writes.
    assert api(network.dealer_user).post("/api/v1/positions/", batch(at(0.5)), format="json").status_code == 403
    own = api(network.dealer_user).get("/api/v1/positions/", {"vin": VIN}).json()["results"]
    assert [row["vin"] for row in own] == [VIN, VIN]
    foreign = StockUnitFactory(dealer=network.foreign_dealer, status=StockStatus.IN_TRANSIT, arrived_on=None)
    positions_record(
        positions=[PositionIn(foreign.vin, moment(1), Decimal("30.57"), Decimal("104.07"))], source=PositionSource.API
    )
    assert api(network.dealer_user).get("/api/v1/positions/", {"vin": foreign.vin}).json()["results"] == []
    assert len(api(network.head_office).get("/api/v1/positions/").json()["results"]) == 3


def test_a_carriers_file_goes_through_the_same_rules_and_a_second_import_leaves_it(unit, network):
    when = timezone.localtime(moment(2)).strftime("%Y-%m-%d %H:%M")
    text = f"车架号,定位时间,纬度,经度,速度,备注\n{VIN},{when},31.23,121.47,65 km/h,沪昆高速\n"
    batch_ = run_import(network, ImportKind.POSITIONS, text)
    assert (batch_.status, batch_.rows_create) == (ImportStatus.READY, 1)
    assert confirm(network, batch_).status == ImportStatus.IMPORTED
    position = Position.objects.get()
    assert (position.source, position.speed_kmh, position.note) == (PositionSource.IMPORT, Decimal("65.0"), "沪昆高速")
    assert run_import(network, ImportKind.POSITIONS, text).rows_unchanged == 1

    later = timezone.localtime(moment(1)).strftime("%Y-%m-%d %H:%M")
    bad = f"车架号,定位时间,纬度,经度\nLSV00000000000099,{when},31.23,121.47\n{VIN},{later},10.0,121.47\n"
    refused = run_import(network, ImportKind.POSITIONS, bad)
    assert refused.status == ImportStatus.INVALID
    assert errors_of(refused) == [
        (2, "车架号", "No unit has the VIN LSV00000000000099."),
        (3, "纬度", "10.000000 lies outside China (latitudes 18 to 54° N)."),
    ]


@pytest.fixture
def tracker(unit):
    return Tracker.objects.create(device_id="GPS-0001", stock_unit=unit)


def message(**fields) -> bytes:
    return json.dumps(
        {"recorded_at": moment(1).isoformat(), "latitude": 31.23, "longitude": 121.47, "speed_kmh": 80} | fields
    ).encode()


def test_the_subscriber_takes_a_devices_positions_and_counts_what_it_rejects(tracker):
    subscriber = PositionSubscriber()
    subscriber.handle("dealerops/trackers/GPS-0001/positions", message())
    subscriber.handle("dealerops/trackers/GPS-0001/positions", b"{not json")
    subscriber.handle("dealerops/trackers/GPS-9999/positions", message())
    subscriber.handle("dealerops/trackers/GPS-0001/positions", message(latitude=95))
    subscriber.handle("dealerops/trackers/GPS-0001/positions", message(recorded_at="yesterday"))
    position = Position.objects.get()
    assert (position.source, position.tracker, position.speed_kmh) == (PositionSource.MQTT, tracker, Decimal("80.0"))
    assert subscriber.taken == 1 and sum(subscriber.rejected.values()) == 4
    reasons = list(TrackerRejection.objects.order_by("id").values_list("device_id", "reason"))
    assert reasons[0][1].startswith("not valid JSON")
    assert reasons[1] == ("GPS-9999", "unknown device 'GPS-9999'")
    assert reasons[2][1].startswith("latitude: 95.000000 lies outside China")
    assert reasons[3][1] == "recorded_at: give an ISO 8601 time with its offset"


def test_the_in_transit_page_puts_late_and_silent_units_first_on_the_map_and_list(unit, network, client_for):
    positions_record(positions=[at(1)], source=PositionSource.API)
    late = StockUnitFactory(
        vin="LSV00000000000003",
        dealer=network.home_dealer,
        status=StockStatus.IN_TRANSIT,
        arrived_on=None,
        eta=timezone.localdate() - dt.timedelta(days=1),
    )
    positions_record(
        positions=[PositionIn(late.vin, moment(30), Decimal("30.5"), Decimal("120.5"))], source=PositionSource.API
    )
    StockUnitFactory(
        dealer=network.foreign_dealer, status=StockStatus.IN_TRANSIT, arrived_on=None, vin="LSV00000000000004"
    )

    page = client_for(network.dealer_user).get("/stock/in-transit/", HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 200
    units = list(page.context["object_list"])
    assert [unit.vin for unit in units] == ["LSV00000000000003", VIN]  # the other dealer's is not shown
    assert (units[0].late, units[0].silent, units[1].late, units[1].silent) == (True, True, False, False)
    text = page.content.decode()
    assert "in-transit-map-data" in text and "Past its ETA" in text
    only_late = client_for(network.dealer_user).get("/stock/in-transit/", {"exception": "late"})
    assert [unit.vin for unit in only_late.context["object_list"]] == ["LSV00000000000003"]
    export = client_for(network.dealer_user).get("/stock/in-transit/", {"export": "csv"})
    rows = b"".join(export.streaming_content).decode("utf-8-sig").splitlines()
    assert export.status_code == 200 and len(rows) == 3 and rows[1].startswith("LSV00000000000003,")
    assert "31.230000,121.470000" in rows[2]  # the export keeps the coordinates the page leaves out
    detail = client_for(network.dealer_user).get(unit.get_absolute_url()).content.decode()
    assert "Track" in detail and "31.230000, 121.470000" in detail
