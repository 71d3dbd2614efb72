"""Changes to audited records keep who, when, before and after, and admin shows them."""

from decimal import Decimal

import pytest
from django.utils import timezone

from dealerops.audit import history_of
from inventory.models import VehicleModel
from tests.factories import SaleFactory, VehicleModelFactory


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
