"""Vehicle catalogue, stock units by VIN, and sales (a sale ends a unit's stock life)."""

from decimal import Decimal

import pghistory
import pgtrigger
from django.core.validators import MinValueValidator, RegexValidator
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from channels.models import Dealer, TimeStamped
from dealerops.history import event_meta
from dealerops.indexes import search_index, sort_indexes

# 17 characters, digits and capitals without I, O and Q (ISO 3779).
VIN_PATTERN = r"^[A-HJ-NPR-Z0-9]{17}$"
vin_validator = RegexValidator(VIN_PATTERN, _("A VIN has 17 characters: digits and capital letters except I, O and Q."))
POSITIVE_MONEY = [MinValueValidator(Decimal("0.01"))]
COLOUR_MAX_LENGTH = 32

PRICE_FIELDS = ["msrp", "guide_price_floor", "dealer_invoice_cost"]


class Powertrain(models.TextChoices):
    ICE = "ice", _("ICE")
    HEV = "hev", _("HEV")
    PHEV = "phev", _("PHEV")
    BEV = "bev", _("BEV")


@pghistory.track(
    pghistory.InsertEvent(),
    pghistory.UpdateEvent(condition=pghistory.AnyChange(*PRICE_FIELDS)),
    fields=PRICE_FIELDS,
    model_name="VehicleModelPriceEvent",
    meta=event_meta("price"),
)
class VehicleModel(TimeStamped):
    """A sellable trim of a series, with its prices (audited on every change)."""

    code = models.CharField(_("model code"), max_length=32, unique=True)
    brand = models.CharField(_("brand"), max_length=32)
    series = models.CharField(_("series"), max_length=64)
    trim = models.CharField(_("trim"), max_length=64)
    powertrain = models.CharField(_("powertrain"), max_length=8, choices=Powertrain.choices)
    msrp = models.DecimalField(_("MSRP"), max_digits=12, decimal_places=2, validators=POSITIVE_MONEY)
    guide_price_floor = models.DecimalField(
        _("guide-price floor"), max_digits=12, decimal_places=2, validators=POSITIVE_MONEY
    )
    dealer_invoice_cost = models.DecimalField(
        _("dealer invoice cost"), max_digits=12, decimal_places=2, validators=POSITIVE_MONEY
    )
    launch_date = models.DateField(_("launch date"))

    class Meta:
        ordering = ["brand", "series", "trim"]
        verbose_name = _("vehicle model")
        verbose_name_plural = _("vehicle models")
        constraints = [
            models.UniqueConstraint(fields=["brand", "series", "trim"], name="vehicle_model_unique_trim"),
            models.CheckConstraint(
                name="vehicle_model_prices_positive",
                condition=Q(msrp__gt=0, guide_price_floor__gt=0, dealer_invoice_cost__gt=0),
                violation_error_message=_("Prices must be positive."),
            ),
            models.CheckConstraint(
                name="vehicle_model_floor_not_above_msrp",
                condition=Q(guide_price_floor__lte=F("msrp")),
                violation_error_message=_("The guide-price floor cannot exceed the MSRP."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.brand} {self.series} {self.trim}"

    def get_absolute_url(self) -> str:
        return reverse("inventory:vehicle-model-detail", args=[self.pk])


class StockStatus(models.TextChoices):
    ORDERED = "ordered", _("Ordered")
    IN_TRANSIT = "in_transit", _("In transit")
    IN_STOCK = "in_stock", _("In stock")
    SOLD = "sold", _("Sold")
    TRANSFERRED = "transferred", _("Transferred")


ARRIVED_STATUSES = [StockStatus.IN_STOCK, StockStatus.SOLD, StockStatus.TRANSFERRED]


@pghistory.track(
    pghistory.InsertEvent(), pghistory.UpdateEvent(), pghistory.DeleteEvent(), meta=event_meta("stock_unit")
)
class StockUnit(TimeStamped):
    """One vehicle, by VIN, from factory order to sale or transfer."""

    vin = models.CharField(_("VIN"), max_length=17, unique=True, validators=[vin_validator])
    model = models.ForeignKey(VehicleModel, verbose_name=_("model"), on_delete=models.PROTECT, related_name="units")
    dealer = models.ForeignKey(Dealer, verbose_name=_("dealer"), on_delete=models.PROTECT, related_name="stock_units")
    status = models.CharField(_("status"), max_length=16, choices=StockStatus.choices, default=StockStatus.ORDERED)
    ordered_on = models.DateField(_("ordered on"))
    eta = models.DateField(_("ETA"), null=True, blank=True)
    arrived_on = models.DateField(_("arrived on"), null=True, blank=True)
    # Exterior colour as the dealer's system names it (珍珠白, 曜石黑 …): free text, since each
    # brand names its paints itself. Blank for units recorded before colours were kept; the
    # database default keeps writers that name no colour (raw loads, older code) working.
    colour = models.CharField(_("exterior colour"), max_length=COLOUR_MAX_LENGTH, blank=True, default="", db_default="")

    class Meta:
        ordering = ["-ordered_on", "vin"]
        verbose_name = _("stock unit")
        verbose_name_plural = _("stock units")
        indexes = [
            models.Index(fields=["dealer", "status"]),
            *sort_indexes("dealer", "ordered_on", "eta", "arrived_on"),
            models.Index(fields=["dealer", "vin"]),  # VINs are unique: the network's list reads their key
            search_index("inventory_stockunit", "vin"),
            search_index("inventory_stockunit", "colour"),
        ]
        constraints = [
            models.CheckConstraint(
                name="stock_unit_vin_format",
                condition=Q(vin__regex=VIN_PATTERN),
                violation_error_message=vin_validator.message,
            ),
            models.CheckConstraint(
                name="stock_unit_arrival_recorded",
                condition=Q(arrived_on__isnull=False) | ~Q(status__in=ARRIVED_STATUSES),
                violation_error_message=_("A unit in stock, sold or transferred needs an arrival date."),
            ),
            models.CheckConstraint(
                name="stock_unit_arrival_after_order",
                condition=Q(arrived_on__isnull=True) | Q(arrived_on__gte=F("ordered_on")),
                violation_error_message=_("A unit cannot arrive before it was ordered."),
            ),
        ]

    def __str__(self) -> str:
        return self.vin

    def get_absolute_url(self) -> str:
        return reverse("inventory:stock-detail", args=[self.pk])


class Payment(models.TextChoices):
    CASH = "cash", _("Cash")
    LOAN = "loan", _("Loan")
    LEASE = "lease", _("Lease")


@pghistory.track(pghistory.InsertEvent(), pghistory.UpdateEvent(), pghistory.DeleteEvent(), meta=event_meta("sale"))
class Sale(models.Model):
    """The retail sale of one stock unit. ``recorded_at`` is when it was entered, which the
    data-timeliness metric compares with ``sold_on``."""

    stock_unit = models.OneToOneField(
        StockUnit, verbose_name=_("stock unit"), on_delete=models.PROTECT, related_name="sale"
    )
    dealer = models.ForeignKey(Dealer, verbose_name=_("dealer"), on_delete=models.PROTECT, related_name="sales")
    customer = models.ForeignKey(
        "customers.Customer", verbose_name=_("customer"), on_delete=models.PROTECT, related_name="purchases"
    )
    salesperson = models.CharField(_("salesperson"), max_length=64)
    sold_on = models.DateField(_("sold on"))
    transaction_price = models.DecimalField(
        _("transaction price"), max_digits=12, decimal_places=2, validators=POSITIVE_MONEY
    )
    payment = models.CharField(_("payment"), max_length=8, choices=Payment.choices)
    registered_city = models.CharField(_("registered city"), max_length=32)
    recorded_at = models.DateTimeField(_("recorded at"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        ordering = ["-sold_on", "-id"]
        verbose_name = _("sale")
        verbose_name_plural = _("sales")
        indexes = [
            *sort_indexes("dealer", "sold_on", "transaction_price"),
            # A city's market page counts the year's sales registered there (penetration).
            models.Index(fields=["registered_city", "sold_on"], name="sale_registered_city_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                name="sale_price_positive",
                condition=Q(transaction_price__gt=0),
                violation_error_message=_("The transaction price must be positive."),
            ),
        ]
        triggers = [
            # Cross-table rules a CHECK cannot express. Deferred, so a service may change a
            # sale and its loan in one transaction; checked at commit.
            pgtrigger.Trigger(
                name="sale_matches_stock_unit",
                when=pgtrigger.After,
                operation=pgtrigger.Insert | pgtrigger.Update,
                timing=pgtrigger.Deferred,
                func=pgtrigger.Func(
                    """
                    DECLARE unit RECORD;
                    BEGIN
                      SELECT dealer_id, arrived_on INTO unit FROM inventory_stockunit WHERE id = NEW.stock_unit_id;
                      IF unit.dealer_id <> NEW.dealer_id THEN
                        RAISE EXCEPTION 'sale % is for a unit held by another dealer', NEW.id USING ERRCODE = '23514';
                      END IF;
                      IF unit.arrived_on IS NULL OR NEW.sold_on < unit.arrived_on THEN
                        RAISE EXCEPTION 'sale % is dated before its unit arrived', NEW.id USING ERRCODE = '23514';
                      END IF;
                      IF EXISTS (
                        SELECT 1 FROM finance_loan l WHERE l.sale_id = NEW.id AND l.status <> 'rejected'
                          AND (NEW.payment <> 'loan' OR l.principal + l.down_payment <> NEW.transaction_price)
                      ) THEN
                        RAISE EXCEPTION 'sale % disagrees with its loan (payment or price)', NEW.id
                          USING ERRCODE = '23514';
                      END IF;
                      RETURN NULL;
                    END;
                    """
                ),
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.sold_on}"

    def get_absolute_url(self) -> str:
        return reverse("inventory:sale-detail", args=[self.pk])


# Summaries the home pages read instead of millions of raw rows. Triggers on the raw tables
# keep them exact in the writer's own transaction (inventory/summaries.py writes them, and
# rebuilds them after a bulk load that bypassed the triggers). Each is keyed by dealer, so a
# dealer moving region moves its figures with it: the region is read through the dealer.
# Plain integers, not positive ones: a trigger adds a negative change to a row with
# INSERT … ON CONFLICT, and PostgreSQL checks the proposed row before it finds the conflict.
SUMMARY_MONEY = {"max_digits": 18, "decimal_places": 2}


class SalesMonth(models.Model):
    """One dealer's sales of one calendar month (``month`` is its first day)."""

    dealer = models.ForeignKey(Dealer, on_delete=models.CASCADE, related_name="+")
    month = models.DateField()
    units = models.IntegerField()
    financed_units = models.IntegerField()  # loan and lease sales
    revenue = models.DecimalField(**SUMMARY_MONEY)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["dealer", "month"], name="sales_month_one_per_dealer")]
        indexes = [models.Index(fields=["month"])]

    def __str__(self) -> str:
        return f"dealer {self.dealer_id} {self.month:%Y-%m}: {self.units}"


class SalesDay(models.Model):
    """One dealer's sales of one day: for the parts of a month (this month so far, the same
    days a year before) the monthly rows cannot give."""

    dealer = models.ForeignKey(Dealer, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    units = models.IntegerField()
    financed_units = models.IntegerField()
    revenue = models.DecimalField(**SUMMARY_MONEY)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["dealer", "day"], name="sales_day_one_per_dealer")]
        indexes = [models.Index(fields=["day"])]

    def __str__(self) -> str:
        return f"dealer {self.dealer_id} {self.day}: {self.units}"


class StockMonth(models.Model):
    """One dealer's units ordered, in transit or in stock, by status and month of arrival
    (none for units not arrived): the age of stock on hand is read from the arrival dates."""

    dealer = models.ForeignKey(Dealer, on_delete=models.CASCADE, related_name="+")
    status = models.CharField(max_length=16, choices=StockStatus.choices)
    month = models.DateField(null=True)
    units = models.IntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["dealer", "status", "month"], name="stock_month_one_per_dealer", nulls_distinct=False
            )
        ]

    def __str__(self) -> str:
        return f"dealer {self.dealer_id} {self.status} {self.month}: {self.units}"


class StockDay(models.Model):
    """As StockMonth by day of arrival: for the month in which "over 90 days" begins."""

    dealer = models.ForeignKey(Dealer, on_delete=models.CASCADE, related_name="+")
    status = models.CharField(max_length=16, choices=StockStatus.choices)
    day = models.DateField(null=True)
    units = models.IntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["dealer", "status", "day"], name="stock_day_one_per_dealer", nulls_distinct=False
            )
        ]
        indexes = [models.Index(fields=["day"])]

    def __str__(self) -> str:
        return f"dealer {self.dealer_id} {self.status} {self.day}: {self.units}"


# The same by region, for the roles that see whole regions (head office, finance, managers):
# 8 regions × months instead of 3,000 dealers × months. Triggers on the dealers' summaries keep
# them, and move a dealer's figures when it moves region.
class RegionSalesMonth(models.Model):
    """The sales of one region's dealers (as they are now) in one calendar month."""

    region = models.ForeignKey("channels.Region", on_delete=models.CASCADE, related_name="+")
    month = models.DateField()
    units = models.IntegerField()
    financed_units = models.IntegerField()
    revenue = models.DecimalField(**SUMMARY_MONEY)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["region", "month"], name="region_sales_month_one_per_region")]

    def __str__(self) -> str:
        return f"region {self.region_id} {self.month:%Y-%m}: {self.units}"


class RegionStockMonth(models.Model):
    """StockMonth summed over one region's dealers."""

    region = models.ForeignKey("channels.Region", on_delete=models.CASCADE, related_name="+")
    status = models.CharField(max_length=16, choices=StockStatus.choices)
    month = models.DateField(null=True)
    units = models.IntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["region", "status", "month"], name="region_stock_month_one_per_region", nulls_distinct=False
            )
        ]

    def __str__(self) -> str:
        return f"region {self.region_id} {self.status} {self.month}: {self.units}"


# Stock depth, the cost of ageing and stock alerts (issue 15): read by inventory.stock_metrics,
# written by inventory.alerts.

# Head office's floorplan rate when neither the dealer nor the network has one of its own:
# the one-year loan prime rate of the day the feature was written, in percent a year.
DEFAULT_FLOORPLAN_RATE = Decimal("4.35")
RATE_FIELD = {"max_digits": 5, "decimal_places": 2}  # percent a year, e.g. 4.35


class FloorplanRate(models.Model):
    """The annual interest a dealer pays on the stock it holds (its floorplan loan), in percent.
    The row without a dealer is head office's default for every dealer without its own."""

    dealer = models.OneToOneField(
        Dealer,
        verbose_name=_("dealer"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="floorplan_rate",
    )
    annual_rate = models.DecimalField(
        _("floorplan rate (% a year)"), validators=[MinValueValidator(Decimal("0"))], **RATE_FIELD
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("floorplan rate")
        verbose_name_plural = _("floorplan rates")
        constraints = [
            models.UniqueConstraint(fields=["dealer"], name="floorplan_rate_one_per_dealer", nulls_distinct=False),
            models.CheckConstraint(
                name="floorplan_rate_not_negative",
                condition=Q(annual_rate__gte=0),
                violation_error_message=_("The floorplan rate cannot be negative."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.dealer or _('network default')}: {self.annual_rate} %"


class AlertKind(models.TextChoices):
    OVERSTOCK_COEFFICIENT = "overstock_coefficient", _("Overstock: inventory coefficient above")
    OVERSTOCK_DAYS_SUPPLY = "overstock_days_supply", _("Overstock: days supply above")
    STOCKOUT_RISK = "stockout_risk", _("Stock-out risk: days supply below, with open demand")
    AGED_UNITS = "aged_units", _("Units in stock over 90 days: more than")
    MIX_DEVIATION = "mix_deviation", _("Model-mix deviation above")
    OVERDUE_IN_TRANSIT = "overdue_in_transit", _("Units on order or in transit past their ETA: more than")


# The kinds judged per dealer × model; the mix deviation is one figure per dealer.
MODEL_KINDS = [kind for kind in AlertKind.values if kind != AlertKind.MIX_DEVIATION]


class StockAlertRule(TimeStamped):
    """Head office's threshold for one kind of alert, for one model segment (a powertrain and/or
    a band of MSRP; blank: every model). An alert opens where the figure passes the threshold."""

    name = models.CharField(_("name"), max_length=64, unique=True)
    kind = models.CharField(_("kind"), max_length=24, choices=AlertKind.choices)
    threshold = models.DecimalField(
        _("threshold"), max_digits=10, decimal_places=2, validators=[MinValueValidator(Decimal("0"))]
    )
    powertrain = models.CharField(_("powertrain"), max_length=8, choices=Powertrain.choices, blank=True, default="")
    msrp_from = models.DecimalField(
        _("MSRP from"), max_digits=12, decimal_places=2, null=True, blank=True, validators=[MinValueValidator(0)]
    )
    msrp_below = models.DecimalField(
        _("MSRP below"), max_digits=12, decimal_places=2, null=True, blank=True, validators=[MinValueValidator(0)]
    )
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["kind", "name"]
        verbose_name = _("stock alert rule")
        verbose_name_plural = _("stock alert rules")
        constraints = [
            models.CheckConstraint(
                name="stock_alert_rule_threshold_not_negative",
                condition=Q(threshold__gte=0),
                violation_error_message=_("The threshold cannot be negative."),
            ),
            models.CheckConstraint(
                name="stock_alert_rule_price_band_ordered",
                condition=Q(msrp_from__isnull=True) | Q(msrp_below__isnull=True) | Q(msrp_from__lt=F("msrp_below")),
                violation_error_message=_("The price band's lower bound must be below its upper bound."),
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("inventory:stock-alert-rule-list")


class AlertStatus(models.TextChoices):
    OPEN = "open", _("Open")
    ACKNOWLEDGED = "acknowledged", _("Acknowledged")
    RESOLVED = "resolved", _("Resolved")


class StockAlert(models.Model):
    """A dealer's (and model's) figure past a rule's threshold, from the night it is found until
    it is resolved: by the nightly run once the figure is back, or by a user."""

    dealer = models.ForeignKey(Dealer, verbose_name=_("dealer"), on_delete=models.CASCADE, related_name="stock_alerts")
    model = models.ForeignKey(
        VehicleModel, verbose_name=_("model"), null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    rule = models.ForeignKey(StockAlertRule, verbose_name=_("rule"), on_delete=models.CASCADE, related_name="alerts")
    # NULL: the figure has no value (an overstock with no sale in the window to divide by).
    metric_value = models.DecimalField(_("figure"), max_digits=12, decimal_places=2, null=True, blank=True)
    threshold = models.DecimalField(_("threshold"), max_digits=10, decimal_places=2)
    status = models.CharField(_("status"), max_length=16, choices=AlertStatus.choices, default=AlertStatus.OPEN)
    opened_at = models.DateTimeField(_("opened at"))
    updated_at = models.DateTimeField(_("updated at"))
    acknowledged_at = models.DateTimeField(_("acknowledged at"), null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        "dealerops.User",
        verbose_name=_("acknowledged by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    # NULL with a resolution time: resolved by the nightly run (the figure came back).
    resolved_by = models.ForeignKey(
        "dealerops.User",
        verbose_name=_("resolved by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        ordering = ["-opened_at", "-id"]
        verbose_name = _("stock alert")
        verbose_name_plural = _("stock alerts")
        indexes = [
            models.Index(fields=["dealer", "status"]),
            *sort_indexes("dealer", "opened_at", "metric_value"),
        ]
        constraints = [
            # The nightly run's ON CONFLICT target: one live alert per (dealer, model, rule).
            models.UniqueConstraint(
                fields=["dealer", "model", "rule"],
                condition=~Q(status="resolved"),
                nulls_distinct=False,
                name="stock_alert_one_live_per_dealer_model_rule",
            ),
            models.CheckConstraint(
                name="stock_alert_resolved_has_time",
                condition=Q(status="resolved", resolved_at__isnull=False) | (~Q(status="resolved")),
                violation_error_message=_("A resolved alert needs its resolution time."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.rule} · {self.dealer_id} · {self.model_id or '-'}"

    def get_absolute_url(self) -> str:
        return reverse("inventory:stock-alert-detail", args=[self.pk])

    @property
    def live(self) -> bool:
        return self.status != AlertStatus.RESOLVED


# The weekly forecast's tables live beside its maths (inventory.forecasting); importing them
# here makes them this app's models.
from inventory.forecasting.models import Forecast, ForecastRun, ForecastSeries  # noqa: E402, F401
from inventory.tracking.models import (  # noqa: E402, F401
    LatestPosition,
    Position,
    PositionSource,
    Tracker,
    TrackerRejection,
)
from inventory.transfers.models import Transfer, TransferPlan, TransferStatus  # noqa: E402, F401
