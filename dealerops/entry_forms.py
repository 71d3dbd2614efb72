"""Pieces shared by the entry forms: service errors shown by field, and the dealer choice."""

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.utils.translation import gettext_lazy as _

from dealerops.access import writable_dealers
from dealerops.models import Role

DATE_INPUT = forms.DateInput(attrs={"type": "date"})
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
        self.fields["dealer"].queryset = writable_dealers(user)
        if user.role == Role.DEALER_USER and not user.is_superuser:
            del self.fields["dealer"]

    def chosen_dealer(self):
        return self.user.dealer if "dealer" not in self.fields else self.cleaned_data["dealer"]
