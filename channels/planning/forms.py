"""The city market form: a city's figures of a year, as head office types them from a
statistical bulletin (the new-energy share as a percentage)."""

from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from channels.models import CityMarket, Region
from dealerops.access import scope
from dealerops.entry_forms import ServiceForm

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
