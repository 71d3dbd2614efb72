"""The city market form: a city's figures of a year, as head office types them from a
statistical bulletin (the new-energy share as a percentage)."""

from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from channels.models import (
    ChangeKind,
    CityMarket,
    Dealer,
    DecisionKind,
    PlanningSettings,
    Recommendation,
    Region,
    Scenario,
    ScenarioStatus,
)
from channels.planning.decisions import decisions_open_to
from channels.planning.scenarios import ChangeInput
from dealerops.access import scope
from dealerops.entry_forms import PickerInput, ServiceForm, dealer_typed, name_empty_choices

PER_CENT = Decimal(100)
PERCENT_PLACES = Decimal("0.01")  # the table's four places of a share


class CityMarketForm(ServiceForm):
    """Its cleaned data feeds ``channels.planning.markets.city_market_save``; the service's
    refusals (households above the population, a point outside the country, a second market
    for the city's year) show beside the fields they name."""

    field_aliases = {"nev_share": "nev_share_percent"}

    region = forms.ModelChoiceField(label=_("Region"), queryset=Region.objects.none())
    province = forms.CharField(label=_("Province"), max_length=32)
    city = forms.CharField(label=_("City"), max_length=32)
    year = forms.IntegerField(label=_("Year"), min_value=2000, max_value=2100)
    latitude = forms.DecimalField(
        label=_("Latitude"), max_digits=9, decimal_places=6, help_text=_("Of the city centre, degrees north.")
    )
    longitude = forms.DecimalField(
        label=_("Longitude"), max_digits=9, decimal_places=6, help_text=_("Of the city centre, degrees east.")
    )
    population = forms.IntegerField(label=_("Population"), min_value=0, help_text=_("Resident population."))
    households = forms.IntegerField(label=_("Households"), min_value=0)
    disposable_income = forms.DecimalField(
        label=_("Disposable income per capita (yuan)"), max_digits=12, decimal_places=2, min_value=0
    )
    vehicles_per_1000 = forms.DecimalField(
        label=_("Vehicles per 1,000 people"), max_digits=7, decimal_places=2, min_value=0
    )
    nev_share_percent = forms.DecimalField(
        label=_("New-energy share of new-car sales (%)"),
        max_digits=5,
        decimal_places=2,
        min_value=0,
        max_value=100,
        help_text=_("45 for 45 %."),
    )

    def __init__(self, *args, user, market: CityMarket | None = None, **kwargs):
        if market is not None:
            kwargs.setdefault("initial", {}).update(
                {
                    "region": market.region_id,
                    **{
                        name: getattr(market, name)
                        for name in (
                            "province",
                            "city",
                            "year",
                            "latitude",
                            "longitude",
                            "population",
                            "households",
                            "disposable_income",
                            "vehicles_per_1000",
                        )
                    },  # fmt: skip
                    "nev_share_percent": (market.nev_share * PER_CENT).quantize(PERCENT_PLACES),
                }
            )
        super().__init__(*args, **kwargs)
        self.fields["region"].queryset = scope(user, Region)
        for name in ("population", "households"):
            self.fields[name].widget.attrs["inputmode"] = "numeric"
        for name in ("latitude", "longitude", "disposable_income", "vehicles_per_1000", "nev_share_percent"):
            self.fields[name].widget.attrs["inputmode"] = "decimal"

    def values(self) -> dict:
        """The service's arguments: the share as a fraction."""
        data = dict(self.cleaned_data)
        data["nev_share"] = data.pop("nev_share_percent") / PER_CENT
        return data


CHANGE_ROWS = 3  # change rows the scenario form offers (the service takes up to MAX_CHANGES)


class ScenarioForm(ServiceForm):
    """A what-if: its name and up to three changes, each an outlet to close, an outlet to add
    at a point with its sales team, or an outlet to move to a point. Its cleaned data feeds
    ``channels.planning.scenarios.scenario_create``, whose refusals name ``changes-<n>-<field>``."""

    name = forms.CharField(label=_("Scenario name"), max_length=100)
    note = forms.CharField(label=_("Note"), max_length=300, required=False)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        for n in range(CHANGE_ROWS):
            prefix = f"changes-{n}-"
            self.fields[prefix + "kind"] = forms.ChoiceField(
                label=_("Change"), choices=[("", _("No change")), *ChangeKind.choices], required=False
            )
            self.fields[prefix + "dealer"] = forms.ModelChoiceField(
                label=_("Outlet (to close or move)"),
                queryset=Dealer.objects.none(),
                required=False,
                widget=PickerInput("channels:dealer-options", label=str, find=dealer_typed),
            )
            self.fields[prefix + "dealer"].queryset = scope(user, Dealer)  # after the widget: it gets the choices
            self.fields[prefix + "latitude"] = forms.DecimalField(
                label=_("Latitude of the new site"), max_digits=9, decimal_places=6, required=False
            )
            self.fields[prefix + "longitude"] = forms.DecimalField(
                label=_("Longitude of the new site"), max_digits=9, decimal_places=6, required=False
            )
            self.fields[prefix + "sales_headcount"] = forms.IntegerField(
                label=_("Sales headcount (a new outlet)"), min_value=0, required=False
            )
        name_empty_choices(self)

    def change_rows(self) -> list[list[forms.BoundField]]:
        """The fields of each change row, for the template."""
        names = ("kind", "dealer", "latitude", "longitude", "sales_headcount")
        return [[self[f"changes-{n}-{name}"] for name in names] for n in range(CHANGE_ROWS)]

    def changes(self) -> list[ChangeInput]:
        data = self.cleaned_data
        return [
            ChangeInput(
                kind=data[f"changes-{n}-kind"],
                dealer=data[f"changes-{n}-dealer"],
                latitude=data[f"changes-{n}-latitude"],
                longitude=data[f"changes-{n}-longitude"],
                sales_headcount=data[f"changes-{n}-sales_headcount"],
            )
            for n in range(CHANGE_ROWS)
            if data.get(f"changes-{n}-kind")
        ]


class ScenarioDecisionForm(ServiceForm):
    status = forms.ChoiceField(
        label=_("Decision"), choices=[(ScenarioStatus.APPROVED, _("Approve")), (ScenarioStatus.REJECTED, _("Reject"))]
    )
    decision_note = forms.CharField(label=_("Reason"), max_length=300)


class DealerDecisionForm(ServiceForm):
    """Probation, its end, or exit, for one outlet, with the reason; the recommendation or
    scenario that prompted it comes with the link that opened the form."""

    kind = forms.ChoiceField(label=_("Decision"))
    reason = forms.CharField(label=_("Reason"), max_length=500, widget=forms.Textarea(attrs={"rows": 3}))
    recommendation = forms.ModelChoiceField(
        queryset=Recommendation.objects.none(), required=False, widget=forms.HiddenInput
    )
    scenario = forms.ModelChoiceField(queryset=Scenario.objects.none(), required=False, widget=forms.HiddenInput)

    def __init__(self, *args, user, dealer: Dealer, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = [(kind, DecisionKind(kind).label) for kind in decisions_open_to(dealer)]
        self.fields["recommendation"].queryset = scope(user, Recommendation).filter(dealer=dealer)
        self.fields["scenario"].queryset = scope(user, Scenario)


class PlanningSettingsForm(ServiceForm):
    """A new version of the plan's settings, starting from the version in force; its cleaned
    data feeds ``planning_settings_create``, whose refusals name the field."""

    names = (
        "detour_factor",
        "reach_km",
        "drive_km",
        "strong_share",
        "overlap_threshold",
        "merge_threshold",
        "new_sites",
        "use_fitted_exponent",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields.update(forms.fields_for_model(PlanningSettings, fields=[*self.names, "note"]))
