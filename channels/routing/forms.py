"""The routing's forms: a lead entered by hand, a lead's follow-up, a new version of the
routing settings, a campaign's lead page, and the public lead page's (no login)."""

from django import forms
from django.forms.models import fields_for_model
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from channels.models import DealerKind, Lead, LeadOutcome, LeadSource, Region
from channels.routing.models import LeadPage, RoutingSettings
from channels.routing.services import NewLead
from dealerops.access import scope
from dealerops.entry_forms import ServiceForm, name_empty_choices
from dealerops.models import Role, User
from dealerops.privacy import phone_validator
from inventory.models import VehicleModel

PREFERENCES = [("", _("No preference")), *DealerKind.choices]
DATETIME_INPUT = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


def vehicle_models() -> forms.ModelChoiceField:
    return forms.ModelChoiceField(
        label=_("Model of interest"),
        queryset=VehicleModel.objects.order_by("brand", "series", "trim"),
        required=False,
    )


class LeadForm(ServiceForm):
    """A lead entered by hand. Head office's is routed to the best active dealer; a dealer
    user's is the dealer's own (``channels.routing.services``)."""

    source = forms.ChoiceField(
        label=_("Source"), choices=[choice for choice in LeadSource.choices if choice[0] != LeadSource.QR_CODE]
    )
    customer_name = forms.CharField(label=_("Customer name"), max_length=64, required=False)
    customer_phone = forms.CharField(label=_("Customer phone"), max_length=11, required=False)
    customer_city = forms.CharField(label=_("Customer city"), max_length=32)
    customer_latitude = forms.DecimalField(
        label=_("Customer latitude"),
        max_digits=9,
        decimal_places=6,
        required=False,
        help_text=_("Degrees north; without coordinates the lead is placed at its city's centre."),
    )
    customer_longitude = forms.DecimalField(
        label=_("Customer longitude"), max_digits=9, decimal_places=6, required=False, help_text=_("Degrees east.")
    )
    model_of_interest = vehicle_models()
    channel_preference = forms.ChoiceField(label=_("Channel preference"), choices=PREFERENCES, required=False)
    online_order = forms.BooleanField(
        label=_("Online order"), required=False, help_text=_("Delivered by the nearest 4S store.")
    )

    def __init__(self, *args, user: User, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user

    def new_lead(self) -> NewLead:
        data = self.cleaned_data
        own = self.user.dealer_id if self.user.role == Role.DEALER_USER and not self.user.is_superuser else None
        return NewLead(
            source=data["source"],
            customer_city=data["customer_city"],
            created_at=timezone.now(),
            customer_latitude=data["customer_latitude"],
            customer_longitude=data["customer_longitude"],
            model_of_interest_id=data["model_of_interest"].pk if data["model_of_interest"] else None,
            channel_preference=data["channel_preference"],
            online_order=data["online_order"],
            customer_name=data["customer_name"].strip(),
            customer_phone=data["customer_phone"].strip(),
            own_dealer_id=own,
        )


class LeadFollowUpForm(ServiceForm):
    """What the dealer holding a lead records: the first contact, the outcome, and the sale it
    became (by the unit's VIN, which makes the lead won)."""

    field_aliases = {"converted_sale": "converted_vin"}

    first_contact_at = forms.DateTimeField(
        label=_("First contact at"), required=False, widget=DATETIME_INPUT, input_formats=["%Y-%m-%dT%H:%M"]
    )
    outcome = forms.ChoiceField(
        label=_("Outcome"),
        choices=[choice for choice in LeadOutcome.choices if choice[0] != LeadOutcome.WON],
        required=False,
    )
    converted_vin = forms.CharField(
        label=_("VIN of the sale"),
        max_length=17,
        required=False,
        help_text=_("The unit the customer bought: the lead becomes won."),
    )

    def __init__(self, *args, lead: Lead, **kwargs):
        self.lead = lead
        initial = kwargs.setdefault("initial", {})
        initial.setdefault("outcome", lead.outcome if lead.outcome != LeadOutcome.WON else "")
        if lead.first_contact_at is None:
            initial.setdefault("first_contact_at", timezone.localtime().replace(second=0, microsecond=0))
        super().__init__(*args, **kwargs)
        if lead.first_contact_at is not None:
            del self.fields["first_contact_at"]
        if lead.outcome == LeadOutcome.WON:
            del self.fields["outcome"], self.fields["converted_vin"]

    def clean_first_contact_at(self):
        # The field holds minutes and the lead was assigned to the second: a call in the minute
        # of the assignment (the form's own default, for a lead just in) is the assignment's moment.
        value = self.cleaned_data.get("first_contact_at")
        assigned = self.lead.assigned_at
        if value is not None and assigned is not None and value == assigned.replace(second=0, microsecond=0):
            return max(value, assigned)
        return value


SETTINGS_FIELDS = [
    "distance_weight",
    "channel_weight",
    "load_weight",
    "conversion_weight",
    "stock_weight",
    "reach_km",
    "candidates",
    "leads_per_salesperson",
    "conversion_full",
    "max_reassignments",
    *(f"sla_{source}_hours" for source in LeadSource.values),
    "note",
]


class RoutingSettingsForm(ServiceForm):
    """A new version of the routing settings, filled in with the version in force."""

    def __init__(self, *args, current: RoutingSettings, **kwargs):
        kwargs.setdefault("initial", {name: getattr(current, name) for name in SETTINGS_FIELDS if name != "note"})
        super().__init__(*args, **kwargs)
        self.fields.update(fields_for_model(RoutingSettings, fields=SETTINGS_FIELDS))


class LeadPageForm(ServiceForm):
    """A campaign's lead page: its name, region (none: the whole network) and model."""

    name = forms.CharField(label=_("Name"), max_length=64)
    region = forms.ModelChoiceField(label=_("Region"), queryset=Region.objects.none(), required=False)
    model_of_interest = vehicle_models()

    def __init__(self, *args, user: User, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["region"].queryset = scope(user, Region)
        self.fields["region"].help_text = LeadPage._meta.get_field("region").help_text
        name_empty_choices(self)
        self.fields["region"].empty_label = _("The whole network")


class PublicLeadForm(forms.Form):
    """The public lead page's form: who to call and about what, with the customer's consent."""

    customer_name = forms.CharField(label=_("Your name"), max_length=64)
    customer_phone = forms.CharField(
        label=_("Mobile number"),
        max_length=11,
        validators=[phone_validator],
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "tel"}),
    )
    customer_city = forms.CharField(
        label=_("Your city"), max_length=32, widget=forms.TextInput(attrs={"list": "cities", "autocomplete": "off"})
    )
    model_of_interest = vehicle_models()
    channel_preference = forms.ChoiceField(
        label=_("Where would you like to be served?"), choices=PREFERENCES, required=False
    )
    consent = forms.BooleanField(
        label=_("I agree that the store calls me about this request; my details are used for it alone."),
        error_messages={"required": _("Please agree to be called: without it no store may call you.")},
    )

    def __init__(self, *args, page: LeadPage, **kwargs):
        kwargs.setdefault("initial", {})
        if page.dealer is not None:
            kwargs["initial"].setdefault("customer_city", page.dealer.city)
        if page.model_of_interest_id:
            kwargs["initial"].setdefault("model_of_interest", page.model_of_interest_id)
        super().__init__(*args, **kwargs)
        self.fields["model_of_interest"].label = _("Model you are interested in")
        self.fields["model_of_interest"].empty_label = _("Not sure yet")

    def new_lead(self, page: LeadPage) -> NewLead:
        data = self.cleaned_data
        now = timezone.now()
        return NewLead(
            source=LeadSource.QR_CODE,
            customer_city=data["customer_city"],
            created_at=now,
            model_of_interest_id=data["model_of_interest"].pk if data["model_of_interest"] else None,
            channel_preference=data["channel_preference"],
            customer_name=data["customer_name"].strip(),
            customer_phone=data["customer_phone"].strip(),
            lead_page=page,
            consent_at=now,
        )
