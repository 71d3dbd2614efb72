"""Pieces shared by the entry forms: service errors shown by field, the dealer choice, and the
searchable picker for choices too many for a dropdown."""

from collections.abc import Callable

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db.models import Model, QuerySet
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from channels.models import Dealer
from dealerops.access import writable_dealers
from dealerops.models import Role

# A date picker's value is ISO whatever the language: the browser shows an empty field for
# the localised "2026/12/02" the zh-Hans format would render.
DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
# Django's empty choice of a select is "---------" in every language.
DASHES = "---------"


def name_empty_choices(form: forms.BaseForm) -> None:
    """Give the empty choice of every select a name in the UI's language: "Choose…" where
    the form needs a value, "None" where it may stay empty."""
    for field in form.fields.values():
        label = _("Choose…") if field.required else _("None")
        if isinstance(field, forms.ModelChoiceField):
            if field.empty_label == DASHES:
                field.empty_label = label
        elif isinstance(field, forms.ChoiceField):
            field.choices = [(value, label if (value, text) == ("", DASHES) else text) for value, text in field.choices]


class ServiceForm(forms.Form):
    """A form whose cleaned data feeds one service call. The form checks the input's shape;
    the service's refusals are shown next to the fields they name."""

    # Service field names that a form shows under another name.
    field_aliases: dict[str, str] = {}
    # Fields shown in a separate fieldset (e.g. a sale's loan), shown only when they apply.
    section_fields: list[str] = []
    section_title = ""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        name_empty_choices(self)

    def add_service_errors(self, error: ValidationError) -> None:
        """Show a service's errors next to the fields they name, the rest above the form."""
        groups = error.error_dict.items() if hasattr(error, "error_dict") else [(NON_FIELD_ERRORS, error.error_list)]
        for field, errors in groups:
            self.add_field_errors(field, errors)

    def add_field_errors(self, field: str, errors: list[ValidationError]) -> None:
        field = self.field_aliases.get(field, field)
        target = field if field in self.fields else None
        for each in errors:
            for message in each.messages:
                self.add_error(target, message)


class DealerEntryForm(ServiceForm):
    """A form a dealer user fills in for their own dealer; head office picks the dealer."""

    dealer = forms.ModelChoiceField(label=_("Dealer"), queryset=None)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        # Thousands of dealers for head office: typed and picked, not listed in a select.
        self.fields["dealer"].widget = PickerInput("channels:dealer-options", label=str, find=dealer_typed)
        self.fields["dealer"].queryset = writable_dealers(user)  # after the widget: it gets the choices
        if user.role == Role.DEALER_USER and not user.is_superuser:
            del self.fields["dealer"]

    def chosen_dealer(self):
        return self.user.dealer if "dealer" not in self.fields else self.cleaned_data["dealer"]


class PickerInput(forms.TextInput):
    """A choice among thousands (units, customers): a text box that asks a scoped options
    endpoint (``dealerops.scoped_views.ScopedOptionsView``) as the user types, and lists what
    matches (static ``js/picker.js``). Nothing is rendered per choice, so the page stays small.

    ``label=None``: the box holds the value itself (a VIN), typed or picked. With ``label``, the
    value is a hidden id and the box shows ``label(record)``; ``find(records, text)`` reads a
    box typed without picking (no JavaScript, say), e.g. a customer by their whole phone.
    """

    template_name = "dealerops/widgets/picker_input.html"

    def __init__(
        self,
        url_name: str,
        *,
        label: Callable[[Model], str] | None = None,
        find: Callable[[QuerySet, str], Model | None] | None = None,
        attrs=None,
    ) -> None:
        super().__init__(attrs={"autocomplete": "off", "spellcheck": "false", **(attrs or {})})
        self.url_name = url_name
        self.label = label
        self.find = find

    def typed_name(self, name: str) -> str:
        return f"{name}_q"

    def value_from_datadict(self, data, files, name):
        value = data.get(name)
        text = (data.get(self.typed_name(name)) or "").strip()
        if value or self.label is None or not text:
            return value
        # ModelChoiceField hands its widget the choices: the search stays in the form's scope.
        record = self.find(self.choices.queryset, text) if self.find is not None else None
        return record.pk if record is not None else text

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        shown = ""
        if self.label is not None and value not in (None, ""):
            record = self.choices.queryset.filter(pk=value).first() if str(value).isdigit() else None
            shown = self.label(record) if record is not None else str(value)
        context["widget"].update(
            url=reverse(self.url_name),
            holds_id=self.label is not None,
            shown=shown,
            hidden_value=str(value) if value is not None and str(value).isdigit() else "",
            typed_name=self.typed_name(name),
        )
        return context


def dealer_typed(dealers: QuerySet, text: str) -> Dealer | None:
    """The dealer a box typed without picking names: by its code, the first word."""
    code = text.split()[0]
    return dealers.filter(code__iexact=code).first()
