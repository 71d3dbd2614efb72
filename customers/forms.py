from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from customers.models import Customer, ServiceKind
from dealerops.access import scope
from dealerops.entry_forms import DATE_INPUT, DealerEntryForm

SATISFACTION = [("", "---"), *((score, str(score)) for score in range(1, 6))]


class ServiceVisitForm(DealerEntryForm):
    customer = forms.ModelChoiceField(label=_("Customer"), queryset=None)
    visited_on = forms.DateField(label=_("Visited on"), widget=DATE_INPUT)
    kind = forms.ChoiceField(label=_("Kind"), choices=ServiceKind.choices)
    amount = forms.DecimalField(label=_("Amount (CNY)"), max_digits=12, decimal_places=2, min_value=Decimal("0"))
    satisfaction = forms.TypedChoiceField(
        label=_("Satisfaction (1-5)"), choices=SATISFACTION, coerce=int, required=False, empty_value=None
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, user=user, **kwargs)
        self.fields["customer"].queryset = scope(user, Customer)
