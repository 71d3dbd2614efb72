from customers.filtersets import CustomerFilterSet, ServiceVisitFilterSet
from customers.models import Customer, ServiceVisit
from customers.serializers import (
    CustomerEntrySerializer,
    CustomerSerializer,
    ServiceVisitEntrySerializer,
    ServiceVisitSerializer,
)
from dealerops.api import ScopedCreateMixin, ScopedViewSet


class CustomerViewSet(ScopedCreateMixin, ScopedViewSet):
    """Customers; POST creates one or updates the dealer's customer with the same phone."""

    model = Customer
    serializer_class = CustomerSerializer
    write_serializer_class = CustomerEntrySerializer
    filterset_class = CustomerFilterSet


class ServiceVisitViewSet(ScopedCreateMixin, ScopedViewSet):
    model = ServiceVisit
    serializer_class = ServiceVisitSerializer
    write_serializer_class = ServiceVisitEntrySerializer
    filterset_class = ServiceVisitFilterSet
