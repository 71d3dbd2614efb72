"""The weekly forecast's tables: a run per week, the series it fitted (class, method and
back-test sums) and the forecast rows. Imported by ``inventory.models``: they are the
inventory app's models.

A run is named by its week (the Monday of the week it is made in): it reads the complete weeks
before that Monday and forecasts that week and the 11 after. Re-running a week rewrites the
same rows (upserts keyed by run, dealer, model and target week) and drops the rows of series
that no longer qualify."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from channels.models import Dealer
from inventory.forecasting.methods import SeriesClass


class ForecastStatus(models.TextChoices):
    RUNNING = "running", _("Running")
    SUCCEEDED = "succeeded", _("Succeeded")
    FAILED = "failed", _("Failed")


class SeriesClassChoice(models.TextChoices):
    SMOOTH = SeriesClass.SMOOTH, _("Smooth")
    ERRATIC = SeriesClass.ERRATIC, _("Erratic")
    INTERMITTENT = SeriesClass.INTERMITTENT, _("Intermittent")
    LUMPY = SeriesClass.LUMPY, _("Lumpy")


class ForecastRun(models.Model):
    """One week's forecast run over the network, done region by region: ``chunks`` holds each
    finished region's figures ({region id: {"rows": …, "skipped": …}}, written in the chunk's
    own transaction, so a chunk run twice counts once); the chunk that completes it counts the
    rows and closes the run."""

    week = models.DateField(_("forecast week"), unique=True)
    status = models.CharField(_("status"), max_length=16, choices=ForecastStatus.choices)
    started_at = models.DateTimeField(_("started at"))
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    regions_total = models.PositiveIntegerField(default=0)
    chunks = models.JSONField(default=dict)
    series_count = models.PositiveIntegerField(_("series forecast"), default=0)
    skipped_series = models.PositiveIntegerField(_("series with too little history"), default=0)
    forecast_rows = models.PositiveIntegerField(_("forecast rows"), default=0)
    # Series per class and method, e.g. {"smooth": {"Theta": 12}}: the run's method summary.
    method_summary = models.JSONField(default=dict)
    # The network's profiles the forecasts used (``calendar``): the CNY factor per week offset
    # and the annual index per ISO week; the back-test's are estimated on the history before
    # its first origin ({"cny": …, "annual": …}).
    cny_profile = models.JSONField(default=dict)
    annual_profile = models.JSONField(default=dict)
    backtest_profile = models.JSONField(default=dict)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-week"]
        verbose_name = _("forecast run")
        verbose_name_plural = _("forecast runs")
        constraints = [
            models.CheckConstraint(name="forecast_run_week_is_monday", condition=Q(week__week_day=2)),
        ]

    def __str__(self) -> str:
        return f"{self.week} ({self.status})"


class ForecastSeries(models.Model):
    """One dealer × model series of a run: its class, the method chosen for it and its back-test
    sums (the pages add them up over the series a user may see; ``methods.accuracy`` turns
    them into WAPE, bias and MASE). ``backtested`` is false for series too short to score."""

    run = models.ForeignKey(ForecastRun, on_delete=models.CASCADE, related_name="series")
    dealer = models.ForeignKey(Dealer, verbose_name=_("dealer"), on_delete=models.CASCADE, related_name="+")
    model = models.ForeignKey(
        "inventory.VehicleModel", verbose_name=_("model"), on_delete=models.CASCADE, related_name="+"
    )
    series_class = models.CharField(_("series class"), max_length=16, choices=SeriesClassChoice.choices)
    method = models.CharField(_("method"), max_length=16)
    adi = models.FloatField(_("ADI"))
    cv2 = models.FloatField(_("CV²"))
    history_weeks = models.PositiveIntegerField(_("weeks of history"))
    units_sold = models.PositiveIntegerField(_("units sold"))
    backtested = models.BooleanField(default=False)
    abs_error = models.FloatField(default=0)
    error = models.FloatField(default=0)
    actual = models.FloatField(default=0)
    scaled_error = models.FloatField(default=0)
    points = models.PositiveIntegerField(default=0)
    scaled_points = models.PositiveIntegerField(default=0)
    base_abs_error = models.FloatField(default=0)
    base_error = models.FloatField(default=0)
    base_scaled_error = models.FloatField(default=0)
    computed_at = models.DateTimeField()

    class Meta:
        ordering = ["dealer__name", "model__brand", "model__series", "model__trim"]
        verbose_name = _("forecast series")
        verbose_name_plural = _("forecast series")
        constraints = [
            models.UniqueConstraint(fields=["run", "dealer", "model"], name="forecast_series_one_per_run"),
        ]
        indexes = [models.Index(fields=["run", "model"])]

    def __str__(self) -> str:
        return f"{self.run.week} dealer {self.dealer_id} model {self.model_id}"


class Forecast(models.Model):
    """Expected units of one model at one dealer in one target week, as forecast in the run's
    week. ``units``, ``lo`` and ``hi`` are floats (expected units: a rate, not a count, not
    money); ``lo``/``hi`` bound the 80 % prediction interval, empty when the method gives none."""

    run = models.ForeignKey(ForecastRun, on_delete=models.CASCADE, related_name="forecasts")
    dealer = models.ForeignKey(Dealer, verbose_name=_("dealer"), on_delete=models.CASCADE, related_name="+")
    model = models.ForeignKey(
        "inventory.VehicleModel", verbose_name=_("model"), on_delete=models.CASCADE, related_name="+"
    )
    target_week = models.DateField(_("target week"))
    units = models.FloatField(_("units"))
    lo = models.FloatField(_("interval, low"), null=True, blank=True)
    hi = models.FloatField(_("interval, high"), null=True, blank=True)
    method = models.CharField(_("method"), max_length=16)
    series_class = models.CharField(_("series class"), max_length=16, choices=SeriesClassChoice.choices)
    computed_at = models.DateTimeField()

    class Meta:
        ordering = ["run", "dealer", "model", "target_week"]
        verbose_name = _("forecast")
        verbose_name_plural = _("forecasts")
        constraints = [
            # One run per week: (run, …) is the (forecast week, dealer, model, target week) key.
            models.UniqueConstraint(fields=["run", "dealer", "model", "target_week"], name="forecast_one_per_target"),
            models.CheckConstraint(name="forecast_units_not_negative", condition=Q(units__gte=0)),
            models.CheckConstraint(
                name="forecast_interval_holds_units",
                condition=Q(lo__isnull=True) | Q(lo__lte=models.F("units"), hi__gte=models.F("units")),
            ),
        ]
        indexes = [models.Index(fields=["run", "model", "target_week"])]

    def __str__(self) -> str:
        return f"{self.target_week} dealer {self.dealer_id} model {self.model_id}: {self.units:.2f}"
