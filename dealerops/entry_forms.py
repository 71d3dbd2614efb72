"""Pieces shared by the entry forms: service errors shown by field, and the dealer choice."""

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.utils.translation import gettext_lazy as _

from dealerops.access import writable_dealers
from dealerops.models import Role

# A date picker's value is ISO whatever the language: the browser shows an empty field for
# the localised "2026/12/02" the zh-Hans format would render.
DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class ServiceForm(forms.Form):
    """A form whose cleaned data feeds one service call. The form checks the input's shape;
    the service's refusals are shown next to the fields they name."""

    # Service field names that a form shows under another name.
    field_aliases: dict[str, str] = {}
    # Fields shown in a separate fieldset (e.g. a sale's loan), shown only when they apply.
    section_fields: list[str] = []
    section_title = ""

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
        self.fields["dealer"].queryset = writable_dealers(user)
        if user.role == Role.DEALER_USER and not user.is_superuser:
            del self.fields["dealer"]

    def chosen_dealer(self):
        return self.user.dealer if "dealer" not in self.fields else self.cleaned_data["dealer"]
