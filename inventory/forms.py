from decimal import Decimal

from django import forms
from django.utils.functional import lazy
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from customers.forms import customer_picker
from customers.models import Customer, phone_validator
from dealerops.access import scope
from dealerops.entry_forms import DATE_INPUT, DealerEntryForm, PickerInput, ServiceForm
from finance.models import CreditGrade, Lender
from inventory.models import (
    COLOUR_MAX_LENGTH,
    AlertKind,
    Payment,
    Powertrain,
    StockStatus,
    StockUnit,
    VehicleModel,
    vin_validator,
)
from inventory.selectors import stock_colours


def _term_label(months: int) -> str:
    return gettext("%(n)s months") % {"n": months}


# Lazy: formatted when a page shows it, in that page's language, not once at import.
TERMS = [(months, lazy(_term_label, str)(months)) for months in (12, 24, 36, 48, 60)]


class VinField(forms.CharField):
    """VINs are often typed in lower case; compare and store them upper case."""

    def to_python(self, value):
        return super().to_python(value).strip().upper()


class StockUnitChoiceField(forms.ModelChoiceField):
    """A unit in stock by its VIN, typed or picked (the picker shows model, colour and arrival)."""

    default_error_messages = {"invalid_choice": _("No unit in your stock has this VIN.")}

    def __init__(self, **kwargs):
        super().__init__(queryset=None, to_field_name="vin", widget=PickerInput("inventory:stock-options"), **kwargs)

    def to_python(self, value):
        return super().to_python(value.strip().upper() if isinstance(value, str) else value)


class SuggestingTextInput(forms.TextInput):
    """A text box that offers ``suggestions`` (a <datalist>) while any other text may be typed."""

    def __init__(self, attrs=None):
        super().__init__(attrs)
        self.suggestions: list[str] = []

    def render(self, name, value, attrs=None, renderer=None):
        list_id = f"{(attrs or {}).get('id') or name}-suggestions"
        box = super().render(name, value, {**(attrs or {}), "list": list_id}, renderer)
        options = format_html_join("", '<option value="{}">', ((text,) for text in self.suggestions))
        return box + format_html('<datalist id="{}">{}</datalist>', list_id, options)


class StockArrivalForm(DealerEntryForm):
    vin = VinField(label=_("VIN"), max_length=17, min_length=17, validators=[vin_validator])
    model = forms.ModelChoiceField(label=_("Model"), queryset=VehicleModel.objects.all())
    colour = forms.CharField(
        label=_("Exterior colour"),
        max_length=COLOUR_MAX_LENGTH,
        required=False,
        help_text=_("The exterior colour as on the delivery note, e.g. 珍珠白."),
        widget=SuggestingTextInput,
    )
    arrived_on = forms.DateField(label=_("Arrived on"), widget=DATE_INPUT)
    ordered_on = forms.DateField(label=_("Ordered on"), widget=DATE_INPUT, required=False)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, user=user, **kwargs)
        # The colours the user's stock already uses, so one paint keeps one name.
        self.fields["colour"].widget.suggestions = stock_colours(scope(user, StockUnit))


class SaleForm(DealerEntryForm):
    """A sale of a unit in stock; for a loan sale, the loan's terms too."""

    field_aliases = {"reference": "loan_reference", "annual_rate": "annual_rate_percent"}

    stock_unit = StockUnitChoiceField(
        label=_("Unit in stock"),
        help_text=_("Type part of the VIN, the model, the series or the colour, and pick the unit."),
    )
    customer = customer_picker(
        label=_("Existing customer"),
        required=False,
        help_text=_("Type a name or phone and pick the customer; or enter a new customer below."),
    )
    customer_name = forms.CharField(label=_("New customer: name"), max_length=64, required=False)
    customer_phone = forms.CharField(
        label=_("New customer: mobile"), max_length=11, required=False, validators=[phone_validator]
    )
    customer_city = forms.CharField(label=_("New customer: city"), max_length=32, required=False)
    salesperson = forms.CharField(label=_("Salesperson"), max_length=64)
    sold_on = forms.DateField(label=_("Sold on"), widget=DATE_INPUT)
    transaction_price = forms.DecimalField(
        label=_("Transaction price (CNY)"), max_digits=12, decimal_places=2, min_value=Decimal("0.01")
    )
    payment = forms.ChoiceField(label=_("Payment"), choices=Payment.choices)
    registered_city = forms.CharField(label=_("Registered city"), max_length=32)

    loan_reference = forms.CharField(label=_("Loan reference"), max_length=32, required=False)
    lender = forms.ModelChoiceField(label=_("Lender"), queryset=Lender.objects.all(), required=False)
    down_payment = forms.DecimalField(
        label=_("Down payment (CNY)"), max_digits=12, decimal_places=2, min_value=0, required=False
    )
    annual_rate_percent = forms.DecimalField(
        label=_("Annual rate (%)"),
        max_digits=8,
        decimal_places=4,
        min_value=Decimal("0.0001"),
        max_value=Decimal("99.9999"),
        required=False,
    )
    term_months = forms.TypedChoiceField(label=_("Term"), choices=TERMS, coerce=int, required=False, empty_value=None)
    credit_grade = forms.ChoiceField(
        label=_("Credit grade"), choices=[("", "---"), *CreditGrade.choices], required=False
    )
    applied_on = forms.DateField(label=_("Loan applied on"), widget=DATE_INPUT, required=False)

    section_title = _("Loan")
    section_fields = LOAN_FIELDS = [
        "loan_reference",
        "lender",
        "down_payment",
        "annual_rate_percent",
        "term_months",
        "credit_grade",
        "applied_on",
    ]

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, user=user, **kwargs)
        dealers = self.fields["dealer"].queryset if "dealer" in self.fields else [user.dealer_id]
        self.fields["stock_unit"].queryset = (
            scope(user, StockUnit).filter(status=StockStatus.IN_STOCK, dealer__in=dealers).select_related("model")
        )
        self.fields["customer"].queryset = scope(user, Customer).filter(home_dealer__in=dealers)

    def clean(self):
        cleaned = super().clean()
        if not cleaned.get("customer"):
            for field in ("customer_name", "customer_phone", "customer_city"):
                if not cleaned.get(field) and field not in self.errors:
                    self.add_error(field, _("Pick an existing customer or enter the new customer's details."))
        if cleaned.get("payment") == Payment.LOAN:
            for field in self.LOAN_FIELDS:
                if cleaned.get(field) in (None, "") and field not in self.errors:
                    self.add_error(field, _("Required for a loan sale."))
        return cleaned

    def annual_rate(self) -> Decimal:
        return (self.cleaned_data["annual_rate_percent"] / 100).quantize(Decimal("0.000001"))


class StockAlertRuleForm(ServiceForm):
    """Head office's new alert rule; the service checks it field by field (``StockAlertRule``'s validators)."""

    name = forms.CharField(label=_("Name"), max_length=64)
    kind = forms.ChoiceField(label=_("Kind"), choices=AlertKind.choices)
    threshold = forms.DecimalField(
        label=_("Threshold"),
        max_digits=10,
        decimal_places=2,
        help_text=_(
            "Coefficient, days supply or mix deviation (0–1) above which, or days supply below which, an alert "
            "opens; for aged and overdue units, the number of units allowed."
        ),
    )
    powertrain = forms.ChoiceField(label=_("Powertrain"), choices=[("", _("All powertrains")), *Powertrain.choices],
                                   required=False)  # fmt: skip
    msrp_from = forms.DecimalField(label=_("MSRP from"), max_digits=12, decimal_places=2, required=False)
    msrp_below = forms.DecimalField(label=_("MSRP below"), max_digits=12, decimal_places=2, required=False)
    active = forms.BooleanField(label=_("Active"), required=False, initial=True)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)  # every role that opens it sees the same form (head office)
