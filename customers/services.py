"""Writes for customers and their service visits."""

from datetime import date
from decimal import Decimal

from django.db import transaction

from channels.models import Dealer
from customers.models import Customer, ServiceVisit
from dealerops.validation import ensure_not_future


@transaction.atomic
def customer_upsert(*, dealer: Dealer, name: str, phone: str, city: str, marketing_consent: bool = False) -> Customer:
    """The dealer's customer with this phone, created or updated (phone + dealer is the natural key)."""
    phone = phone.strip().replace(" ", "").replace("-", "")
    customer = Customer.objects.select_for_update().filter(home_dealer=dealer, phone=phone).first()
    if customer is None:
        customer = Customer(home_dealer=dealer, phone=phone)
    customer.name = name.strip()
    customer.city = city.strip()
    customer.marketing_consent = marketing_consent
    customer.full_clean()
    customer.save()
    return customer


@transaction.atomic
def service_visit_record(
    *,
    dealer: Dealer,
    customer: Customer,
    visited_on: date,
    kind: str,
    amount: Decimal,
    satisfaction: int | None = None,
) -> ServiceVisit:
    """Record an after-sales visit at ``dealer``'s workshop."""
    ensure_not_future(visited_on=visited_on)
    visit = ServiceVisit(
        dealer=dealer, customer=customer, visited_on=visited_on, kind=kind, amount=amount, satisfaction=satisfaction
    )
    visit.full_clean()
    visit.save()
    return visit
