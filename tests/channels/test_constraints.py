"""Network rules held by the database."""

import datetime as dt

import pytest
from django.db import IntegrityError

from tests.factories import DealerFactory, LeadFactory


@pytest.mark.django_db
class TestDealer:
    def test_a_secondary_dealer_needs_a_parent(self):
        with pytest.raises(IntegrityError, match="dealer_secondary_has_parent"):
            DealerFactory(kind="secondary", parent=None)

    def test_a_4s_store_has_no_parent(self):
        with pytest.raises(IntegrityError, match="dealer_secondary_has_parent"):
            DealerFactory(kind="4s", parent=DealerFactory())

    def test_a_secondary_dealer_under_a_4s_store_is_accepted(self):
        parent = DealerFactory()
        assert DealerFactory(kind="secondary", parent=parent).parent == parent

    def test_coordinates_must_be_on_earth(self):
        with pytest.raises(IntegrityError):
            DealerFactory(latitude=91)


@pytest.mark.django_db
class TestLead:
    def test_a_lead_cannot_be_assigned_before_it_was_created(self):
        lead = LeadFactory.build()
        with pytest.raises(IntegrityError, match="lead_assignment_after_creation"):
            LeadFactory(created_at=lead.created_at, assigned_at=lead.created_at - dt.timedelta(minutes=1))

    def test_a_won_lead_names_its_sale(self):
        with pytest.raises(IntegrityError, match="lead_won_has_sale"):
            LeadFactory(outcome="won", converted_sale=None)
