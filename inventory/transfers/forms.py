from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from dealerops.entry_forms import ServiceForm
from inventory.models import VehicleModel


class TransferPlanForm(ServiceForm):
    """Head office's or a regional manager's plan run for one model."""

    model = forms.ModelChoiceField(label=_("Model"), queryset=VehicleModel.objects.order_by("brand", "series", "trim"))
    max_hours = forms.DecimalField(
        label=_("Delivery time limit (hours)"),
        min_value=Decimal("0.5"),
        max_value=Decimal(96),
        decimal_places=1,
        initial=Decimal(12),
        help_text=_("A truck at 60 km/h on roads 1.3 times the straight distance."),
    )
    cost_per_km = forms.DecimalField(
        label=_("Cost per km (yuan)"), min_value=Decimal(0), max_digits=8, decimal_places=2, initial=Decimal("8.00")
    )
    handling_cost = forms.DecimalField(
        label=_("Handling cost per unit (yuan)"),
        min_value=Decimal(0),
        max_digits=10,
        decimal_places=2,
        initial=Decimal("300.00"),
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
