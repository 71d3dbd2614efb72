from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from customers.models import Customer, ServiceKind, mask_phone
from dealerops.access import scope
from dealerops.entry_forms import DATE_INPUT, DealerEntryForm, PickerInput

SATISFACTION = [("", "---"), *((score, str(score)) for score in range(1, 6))]


def customer_label(customer: Customer) -> str:
    """How a picked customer reads in the box: name and masked phone, as lists show them."""
    return f"{customer.name} · {mask_phone(customer.phone)}"


def customer_by_phone(customers, text: str) -> Customer | None:
    """A customer typed as their whole phone number (the picker without JavaScript)."""
    phone = "".join(char for char in text if char.isdigit())
    return customers.filter(phone=phone).first() if len(phone) == 11 else None


def customer_picker(**kwargs) -> forms.ModelChoiceField:
    """A customer searched by name or phone (thousands of them: never a dropdown)."""
    widget = PickerInput("customers:customer-options", label=customer_label, find=customer_by_phone)
    return forms.ModelChoiceField(queryset=Customer.objects.none(), widget=widget, **kwargs)


class ServiceVisitForm(DealerEntryForm):
    customer = customer_picker(label=_("Customer"), help_text=_("Type a name or phone and pick the customer."))
    visited_on = forms.DateField(label=_("Visited on"), widget=DATE_INPUT)
    kind = forms.ChoiceField(label=_("Kind"), choices=ServiceKind.choices)
    amount = forms.DecimalField(label=_("Amount (CNY)"), max_digits=12, decimal_places=2, min_value=Decimal("0"))
    satisfaction = forms.TypedChoiceField(
        label=_("Satisfaction (1-5)"), choices=SATISFACTION, coerce=int, required=False, empty_value=None
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, user=user, **kwargs)
        self.fields["customer"].queryset = scope(user, Customer)
