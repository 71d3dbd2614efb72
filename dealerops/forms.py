from django import forms
from django.utils.translation import gettext_lazy as _

from channels.models import Dealer
from dealerops.access import scope
from dealerops.audit import AUDITED, ChangeFilters
from dealerops.entry_forms import DATE_INPUT, PickerInput, dealer_typed
from dealerops.models import User
from dealerops.schedules import NIGHTLY_JOBS, NightlyJob
from dealerops.validation import today


class RunJobForm(forms.Form):
    job = forms.ChoiceField(label=_("Job"), choices=[(job.name, job.label) for job in NIGHTLY_JOBS])
    as_of = forms.DateField(label=_("As of"), widget=DATE_INPUT, initial=today)

    def clean_as_of(self):
        as_of = self.cleaned_data["as_of"]
        if as_of > today():
            raise forms.ValidationError(_("A job cannot run for a future date."))
        return as_of

    def nightly_job(self) -> NightlyJob:
        return next(job for job in NIGHTLY_JOBS if job.name == self.cleaned_data["job"])


class ChangeFilterForm(forms.Form):
    """Filters of head office's changes page (GET); every field is optional."""

    user = forms.ModelChoiceField(label=_("User"), queryset=None, required=False, empty_label=_("All"))
    dealer = forms.ModelChoiceField(
        label=_("Dealer"),
        queryset=None,
        required=False,
        # Thousands of dealers: typed into a search-as-you-type box, not listed in a select.
        widget=PickerInput("channels:dealer-options", label=str, find=dealer_typed),
    )
    model = forms.ChoiceField(label=_("Record type"), choices=(), required=False)
    date_from = forms.DateField(label=_("From"), required=False, widget=DATE_INPUT)
    date_to = forms.DateField(label=_("To"), required=False, widget=DATE_INPUT)
    import_batch = forms.IntegerField(label=_("Import number"), required=False, min_value=1)

    def __init__(self, *args, viewer, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["user"].queryset = User.objects.order_by("username")
        self.fields["dealer"].queryset = scope(viewer, Dealer).order_by("code")
        self.fields["model"].choices = [("", _("All"))] + [
            (label, audited.model._meta.verbose_name_plural.capitalize()) for label, audited in AUDITED.items()
        ]

    def clean(self):
        data = super().clean()
        if data.get("date_from") and data.get("date_to") and data["date_from"] > data["date_to"]:
            raise forms.ValidationError(_("The start date is after the end date."))
        return data

    def filters(self):
        """The filters as ``ChangeFilters`` (the view lists nothing for an invalid form)."""
        if not self.is_valid():
            return ChangeFilters()
        data = self.cleaned_data
        return ChangeFilters(
            user_id=data["user"].pk if data.get("user") else None,
            dealer_id=data["dealer"].pk if data.get("dealer") else None,
            models=[data["model"]] if data.get("model") else [],
            date_from=data.get("date_from"),
            date_to=data.get("date_to"),
            import_batch=data.get("import_batch"),
        )
