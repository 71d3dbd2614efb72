"""Customer data rules and the phone mask."""

import pytest
from django.db import IntegrityError

from customers.models import mask_phone
from tests.factories import CustomerFactory, ServiceVisitFactory


def test_the_phone_is_masked_as_138_stars_1234():
    assert mask_phone("13812341234") == "138****1234"


@pytest.mark.django_db
class TestCustomer:
    def test_a_phone_is_unique_per_dealer(self, network):
        CustomerFactory(home_dealer=network.home_dealer, phone="13900001111")
        CustomerFactory(home_dealer=network.foreign_dealer, phone="13900001111")
        with pytest.raises(IntegrityError, match="customer_unique_phone_per_dealer"):
            CustomerFactory(home_dealer=network.home_dealer, phone="13900001111")

    @pytest.mark.parametrize("phone", ["1381234123", "23812341234", "12812341234"])
    def test_a_malformed_phone_is_refused(self, phone):
        with pytest.raises(IntegrityError, match="customer_phone_format"):
            CustomerFactory(phone=phone)

    @pytest.mark.parametrize("score", [0, 6])
    def test_satisfaction_is_1_to_5(self, score):
        with pytest.raises(IntegrityError, match="service_visit_satisfaction_1_to_5"):
            ServiceVisitFactory(satisfaction=score)
