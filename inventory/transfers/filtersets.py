import django_filters
from django.utils.translation import gettext_lazy as _

from channels.models import Dealer
from dealerops.filters import OrderingFilter, ScopedModelChoiceFilter, SearchFilter
from inventory.models import VehicleModel
from inventory.transfers.models import Transfer, TransferStatus


class TransferFilterSet(django_filters.FilterSet):
    q = SearchFilter(search_fields=["stock_unit__vin", "from_dealer__name", "to_dealer__name"])
    status = django_filters.ChoiceFilter(choices=TransferStatus.choices, label=_("Status"))
    model = ScopedModelChoiceFilter(model=VehicleModel, field_name="stock_unit__model", label=_("Model"))
    from_dealer = ScopedModelChoiceFilter(model=Dealer, label=_("From dealer"))
    to_dealer = ScopedModelChoiceFilter(model=Dealer, label=_("To dealer"))
    plan = django_filters.NumberFilter(field_name="plan_id", label=_("Plan"))
    ordering = OrderingFilter(
        fields=(("proposed_at", "proposed_at"), ("cost", "cost")),
        field_labels={"proposed_at": _("Proposed at"), "cost": _("Cost")},
    )

    class Meta:
        model = Transfer
        fields = ["q", "status", "model", "from_dealer", "to_dealer", "plan"]
