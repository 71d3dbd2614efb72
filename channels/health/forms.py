"""The forms of the rating bands page: a new bands version, and the open months to re-rate."""

from datetime import date

from django import forms
from django.utils.translation import gettext_lazy as _

from channels.models import SHARE_FIELDS, RatingBands
from dealerops.entry_forms import ServiceForm


def _share_field(name: str) -> forms.DecimalField:
    return forms.DecimalField(
        label=RatingBands._meta.get_field(name).verbose_name,
        min_value=0,
        max_value=100,
        max_digits=5,
        decimal_places=2,
        widget=forms.NumberInput(attrs={"step": "0.01"}),
    )


class RatingBandsForm(ServiceForm):
    """Four shares of the peer group (percent, two decimals); the service checks they add up to 100."""

    a_share = _share_field("a_share")
    b_share = _share_field("b_share")
    c_share = _share_field("c_share")
    d_share = _share_field("d_share")
    note = forms.CharField(label=_("Note"), max_length=200, required=False)

    def shares(self) -> dict:
        return {name: self.cleaned_data[name] for name in SHARE_FIELDS}


class RerateForm(forms.Form):
    """The open months (with scores) head office re-rates with the bands in force."""

    months = forms.MultipleChoiceField(
        label=_("Open months to re-rate"),
        widget=forms.CheckboxSelectMultiple,
        error_messages={
            "required": _("Choose at least one open month."),
            "invalid_choice": _(
                "%(value)s is not an open month with scores: a closed month keeps the ratings it was closed with."
            ),
        },
    )

    def __init__(self, *args, open_months: list[date], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["months"].choices = [(month.isoformat(), f"{month:%Y-%m}") for month in open_months]

    def chosen_months(self) -> list[date]:
        return [date.fromisoformat(value) for value in self.cleaned_data["months"]]
