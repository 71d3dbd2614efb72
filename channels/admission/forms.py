"""The admission forms: the application (its company, outlet and contact), one document of
its checklist, and the reviewer's decision. Each feeds one service call, whose refusals show
beside the fields they name."""

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from channels.admission.models import AdmissionOutcome, DealerApplication, DocumentKind
from channels.admission.selectors import parent_choices
from channels.admission.services import ApplicationInput
from dealerops.entry_forms import PickerInput, ServiceForm, dealer_typed
from dealerops.models import Role

APPLICATION_FIELDS = [
    "company_name",
    "licence_number",
    "legal_representative",
    "outlet_name",
    "province",
    "city",
    "address",
    "latitude",
    "longitude",
    "sales_headcount",
    "monthly_sales_target",
    "contact_name",
    "contact_phone",
    "contact_email",
    "note",
]

FIELDSETS = [
    (_("The company"), ["parent", "company_name", "licence_number", "legal_representative"]),
    (
        _("The outlet"),
        [
            "outlet_name",
            "province",
            "city",
            "address",
            "latitude",
            "longitude",
            "sales_headcount",
            "monthly_sales_target",
        ],
    ),
    (_("Contact and plan"), ["contact_name", "contact_phone", "contact_email", "note"]),
]


class ApplicationForm(ServiceForm):
    """A dealer user files under their own store (no choice); a manager or head office picks it."""

    parent = forms.ModelChoiceField(
        label=_("Parent 4S store or showroom"), queryset=None, help_text=_("The store the dealer would sell under.")
    )
    company_name = forms.CharField(label=_("Company name"), max_length=128, help_text=_("As on the business licence."))
    licence_number = forms.CharField(
        label=_("Unified social credit code"),
        max_length=40,  # typed with spaces or hyphens; 18 characters once normalised
        help_text=_("The 18 characters on the business licence."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false", "autocapitalize": "characters"}),
    )
    legal_representative = forms.CharField(label=_("Legal representative"), max_length=32)
    outlet_name = forms.CharField(
        label=_("Outlet name"), max_length=128, help_text=_("The name it would trade under in the network.")
    )
    province = forms.CharField(label=_("Province"), max_length=32)
    city = forms.CharField(label=_("City"), max_length=32)
    address = forms.CharField(label=_("Address"), max_length=200)
    latitude = forms.DecimalField(
        label=_("Latitude"), max_digits=9, decimal_places=6, help_text=_("Of the showroom, degrees north.")
    )
    longitude = forms.DecimalField(
        label=_("Longitude"), max_digits=9, decimal_places=6, help_text=_("Of the showroom, degrees east.")
    )
    sales_headcount = forms.IntegerField(label=_("Sales headcount"), min_value=1)
    monthly_sales_target = forms.IntegerField(
        label=_("Monthly sales target"), min_value=0, help_text=_("New cars a month.")
    )
    contact_name = forms.CharField(
        label=_("Contact person"), max_length=32, help_text=_("Receives the dealer's first account once approved.")
    )
    contact_phone = forms.CharField(label=_("Contact phone"), max_length=20)
    contact_email = forms.CharField(label=_("Contact email"), max_length=254)
    note = forms.CharField(
        label=_("Business plan"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Premises, staff, the customers it would serve."),
    )

    def __init__(self, *args, user, application: DealerApplication | None = None, **kwargs):
        if application is not None:
            kwargs.setdefault("initial", {}).update(
                {"parent": application.parent_id, **{name: getattr(application, name) for name in APPLICATION_FIELDS}}
            )
        super().__init__(*args, **kwargs)
        self.user = user
        if user.role == Role.DEALER_USER and not user.is_superuser:
            del self.fields["parent"]  # their own store; refused by the service if it takes none
        else:
            # Thousands of stores for head office: typed and picked, not listed in a select.
            self.fields["parent"].widget = PickerInput(
                "channels:admission-parent-options", label=str, find=dealer_typed
            )
            self.fields["parent"].queryset = parent_choices(user)

    def fieldsets(self) -> list[tuple[str, list]]:
        """The form's parts as the page shows them: (legend, bound fields)."""
        return [(legend, [self[name] for name in names if name in self.fields]) for legend, names in FIELDSETS]

    def values(self) -> ApplicationInput:
        data = self.cleaned_data
        parent = data["parent"] if "parent" in self.fields else self.user.dealer
        return ApplicationInput(parent=parent, **{name: data[name] for name in APPLICATION_FIELDS})


class DocumentForm(ServiceForm):
    kind = forms.ChoiceField(label=_("Document"), choices=[("", "---------"), *DocumentKind.choices])
    file = forms.FileField(label=_("File"), widget=forms.ClearableFileInput(attrs={"accept": ".pdf,.jpg,.jpeg,.png"}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["file"].help_text = _("PDF, JPEG or PNG (photos of the site: JPEG or PNG), up to %(size)s MB.") % {
            "size": settings.ADMISSION_DOCUMENT_MAX_BYTES // (1024 * 1024)
        }


class DecisionForm(ServiceForm):
    outcome = forms.ChoiceField(label=_("Decision"), choices=AdmissionOutcome.choices, widget=forms.RadioSelect)
    reason = forms.CharField(label=_("Reason"), max_length=500, widget=forms.Textarea(attrs={"rows": 3}))
