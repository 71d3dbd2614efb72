"""Customer pages show phones only to those who need them; dealers record service visits."""

import pytest

from customers.models import ServiceVisit
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db


def test_a_regional_manager_sees_masked_phones_and_the_dealer_whole_ones(network, client_for):
    customer = CustomerFactory(home_dealer=network.home_dealer, phone="13812341234")
    manager_page = client_for(network.regional_manager).get(f"/customers/{customer.pk}/").content.decode()
    assert "138****1234" in manager_page and "13812341234" not in manager_page
    dealer_list = client_for(network.dealer_user).get("/customers/").content.decode()
    assert "13812341234" in dealer_list


def test_the_export_masks_phones_too(network, client_for):
    CustomerFactory(home_dealer=network.home_dealer, phone="13812341234")
    response = client_for(network.regional_manager).get("/customers/", {"export": "csv"})
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    assert "138****1234" in body and "13812341234" not in body


def test_a_dealer_records_a_service_visit(network, client_for):
    customer = CustomerFactory(home_dealer=network.home_dealer)
    data = {
        "customer": customer.pk,
        "visited_on": "2026-11-01",
        "kind": "maintenance",
        "amount": "680.50",
        "satisfaction": "5",
    }
    response = client_for(network.dealer_user).post("/customers/visits/new/", data)
    assert response["Location"] == f"/customers/{customer.pk}/"
    visit = ServiceVisit.objects.get()
    assert (str(visit.amount), visit.satisfaction, visit.dealer) == ("680.50", 5, network.home_dealer)


def test_a_foreign_customer_cannot_be_chosen(network, client_for):
    foreign = CustomerFactory(home_dealer=network.foreign_dealer)
    data = {"customer": foreign.pk, "visited_on": "2026-11-01", "kind": "maintenance", "amount": "100"}
    response = client_for(network.dealer_user).post("/customers/visits/new/", data)
    assert "customer" in response.context["form"].errors
    assert not ServiceVisit.objects.exists()


def test_finance_cannot_open_customers(network, client_for):
    assert client_for(network.finance_user).get("/customers/").status_code == 403


def test_a_regional_manager_is_not_offered_the_city_sort_no_index_serves_for_a_region(network, client_for):
    from rest_framework.test import APIClient

    # The default order (by name) is neither city order.
    for name, city in [("An", "Wenzhou"), ("Bai", "Hangzhou"), ("Chen", "Ningbo")]:
        CustomerFactory(home_dealer=network.home_dealer, name=name, city=city)

    def names(user, ordering: str) -> list[str]:
        response = client_for(user).get("/customers/", {"ordering": ordering})
        assert response.status_code == 200
        return [row.name for row in response.context["object_list"]]

    default_order = names(network.regional_manager, "")
    assert default_order == ["An", "Bai", "Chen"]
    assert names(network.regional_manager, "-name") == ["Chen", "Bai", "An"]
    assert names(network.regional_manager, "city") == default_order  # ignored, not an error
    assert names(network.regional_manager, "-city") == default_order
    assert names(network.head_office, "city") == ["Bai", "Chen", "An"]  # Hangzhou, Ningbo, Wenzhou
    assert names(network.dealer_user, "-city") == ["An", "Chen", "Bai"]

    manager_page = client_for(network.regional_manager).get("/customers/").content.decode()
    assert "ordering=name" in manager_page and "ordering=city" not in manager_page
    assert "ordering=city" in client_for(network.head_office).get("/customers/").content.decode()

    api = APIClient()
    api.force_authenticate(network.regional_manager)
    rows = api.get("/api/v1/customers/", {"ordering": "city"}).json()["results"]
    assert [row["name"] for row in rows] == default_order
