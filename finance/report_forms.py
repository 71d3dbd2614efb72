"""The finance reports' filter form, shared by the report pages and the report API."""

from datetime import date

from django import forms
from django.http import QueryDict
from django.utils.translation import gettext_lazy as _

from channels.models import Dealer, Region
from dealerops.access import role_of, scope
from dealerops.entry_forms import PickerInput
from dealerops.filters import dealer_typed
from dealerops.models import Role, User
from finance.models import EntryKind, Lender
from finance.reports import ReportFilters, month_end
from inventory.selectors import month_start

DEFAULT_MONTHS = 12
MAX_MONTHS = 60
MONTH_FORMAT = "%Y-%m"
FILTER_FIELDS = ("first_month", "last_month", "region", "dealer", "lender", "kind")


class MonthField(forms.DateField):
    """A month, entered as YYYY-MM (``<input type="month">``), cleaned to its first day."""

    widget = forms.DateInput(format=MONTH_FORMAT, attrs={"type": "month"})
    input_formats = [MONTH_FORMAT, "%Y-%m-%d"]

    def to_python(self, value) -> date | None:
        day = super().to_python(value)
        return day.replace(day=1) if day else None


class ReportFilterForm(forms.Form):
    """Period range (the last 12 months by default), region, dealer, lender and entry kind.
    Choices list only what the user may see; a dealer user's reports are its own already, so
    it gets no region or dealer choice."""

    first_month = MonthField(label=_("From month"))
    last_month = MonthField(label=_("To month"))
    region = forms.ModelChoiceField(
        queryset=Region.objects.none(), required=False, label=_("Region"), empty_label=_("All")
    )
    # Thousands of dealers: typed into a search-as-you-type box, not listed in a select.
    dealer = forms.ModelChoiceField(
        queryset=Dealer.objects.none(),
        required=False,
        label=_("Dealer"),
        empty_label=_("All"),
        widget=PickerInput("channels:dealer-options", label=str, find=dealer_typed),
    )
    lender = forms.ModelChoiceField(
        queryset=Lender.objects.none(), required=False, label=_("Lender"), empty_label=_("All")
    )
    kind = forms.ChoiceField(choices=[("", _("All")), *EntryKind.choices], required=False, label=_("Kind"))

    def __init__(self, query: QueryDict, *, user: User, fields: tuple[str, ...], today: date):
        self.today = today
        self.defaults = {"first_month": month_start(today, DEFAULT_MONTHS - 1), "last_month": month_start(today)}
        data = query.copy()
        for name, default in self.defaults.items():
            if not data.get(name):
                data[name] = default.strftime(MONTH_FORMAT)
        super().__init__(data)
        hidden = {"region", "dealer"} if role_of(user) == Role.DEALER_USER else set()
        for name in FILTER_FIELDS:
            if name not in fields or name in hidden:
                del self.fields[name]
        for name, model in (("region", Region), ("dealer", Dealer), ("lender", Lender)):
            if name in self.fields:
                self.fields[name].queryset = scope(user, model)

    def clean(self):
        cleaned = super().clean()
        first, last = cleaned.get("first_month"), cleaned.get("last_month")
        if first and last:
            if first > last:
                self.add_error("last_month", _("The last month cannot come before the first."))
            elif (last.year - first.year) * 12 + last.month - first.month >= MAX_MONTHS:
                self.add_error("last_month", _("Choose at most %(n)s months.") % {"n": MAX_MONTHS})
        return cleaned

    def filters(self) -> ReportFilters:
        """The filters to report on: the valid fields, the defaults for any invalid one."""
        self.is_valid()
        cleaned = self.cleaned_data
        first = cleaned.get("first_month") or self.defaults["first_month"]
        last = cleaned.get("last_month") or self.defaults["last_month"]
        if "last_month" in self.errors or "first_month" in self.errors:
            first, last = self.defaults["first_month"], self.defaults["last_month"]
        return ReportFilters(
            first_month=first,
            last_month=last,
            as_of=min(self.today, month_end(last)),
            region_id=cleaned["region"].pk if cleaned.get("region") else None,
            dealer_id=cleaned["dealer"].pk if cleaned.get("dealer") else None,
            lender_id=cleaned["lender"].pk if cleaned.get("lender") else None,
            kind=cleaned.get("kind") or "",
        )
