"""Pieces shared by the dealer entry forms: the dealer choice and service errors shown by field."""

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.utils.translation import gettext_lazy as _

from dealerops.access import writable_dealers
from dealerops.models import Role

DATE_INPUT = forms.DateInput(attrs={"type": "date"})


class DealerEntryForm(forms.Form):
    """A form a dealer user fills in for their own dealer; head office picks the dealer."""

    # Service field names that a form shows under another name.
    field_aliases: dict[str, str] = {}
    # Fields shown in a separate fieldset (e.g. a sale's loan), shown only when they apply.
    section_fields: list[str] = []
    section_title = ""

    dealer = forms.ModelChoiceField(label=_("Dealer"), queryset=None)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["dealer"].queryset = writable_dealers(user)
        if user.role == Role.DEALER_USER and not user.is_superuser:
            del self.fields["dealer"]

    def chosen_dealer(self):
        return self.user.dealer if "dealer" not in self.fields else self.cleaned_data["dealer"]

    def add_service_errors(self, error: ValidationError) -> None:
        """Show a service's errors next to the fields they name, the rest above the form."""
        for field, messages in error.message_dict.items():
            field = self.field_aliases.get(field, field)
            target = field if field in self.fields else NON_FIELD_ERRORS
            for message in messages:
                self.add_error(None if target == NON_FIELD_ERRORS else target, message)
