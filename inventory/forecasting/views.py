"""The forecast page: one page for a dealer, a region, a model or any two of them (chosen in
its filters; the choices and every figure are scoped), and head office's button to run the
week's forecast now."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.utils.translation import gettext
from django.views.generic import TemplateView

from dealerops.access import can_write
from dealerops.jobs import job_start
from dealerops.schedules import NIGHTLY_JOBS
from dealerops.scoped_views import ScopedMixin
from dealerops.validation import today
from inventory.filtersets import ForecastPageFilterSet
from inventory.forecasting import selectors
from inventory.forecasting.charts import forecast_figure
from inventory.forecasting.methods import BACKTEST_HORIZON, BACKTEST_ORIGINS, HORIZON
from inventory.forecasting.models import Forecast, ForecastRun
from inventory.forecasting.services import FORECAST_JOB

FORECAST_NIGHTLY_JOB = next(job for job in NIGHTLY_JOBS if job.name == FORECAST_JOB)


class ForecastView(ScopedMixin, TemplateView):
    model = Forecast
    template_name = "inventory/forecasts.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        filterset = ForecastPageFilterSet(self.request.GET, queryset=Forecast.objects.none(), request=self.request)
        chosen = filterset.form.cleaned_data if filterset.is_valid() else {}
        part = selectors.Slice(
            dealer_id=chosen["dealer"].pk if chosen.get("dealer") else None,
            region_id=chosen["region"].pk if chosen.get("region") else None,
            model_id=chosen["model"].pk if chosen.get("model") else None,
        )
        named = [str(chosen[key]) for key in ("dealer", "region", "model") if chosen.get(key)]
        run = selectors.latest_run()
        context.update(
            filter=filterset,
            heading=" · ".join([gettext("Forecasts"), *named]),
            run=run,
            running=selectors.forecast_running(),
            can_run=can_write(user, ForecastRun),
            horizon=HORIZON,
            origins=BACKTEST_ORIGINS,
            backtest_horizon=BACKTEST_HORIZON,
        )
        if run is None:
            return context
        series = selectors.series_in_view(user, run, part)
        ahead = selectors.forecast_weeks(user, run, part)
        lines = selectors.backtest_lines(series)
        context.update(
            part=part,
            series_total=series.count(),
            class_counts=selectors.class_counts(series),
            backtest=lines,
            overall=lines[-1].accuracy if lines else None,
            top_series=selectors.top_series(user, run, part),
            top_limit=selectors.TOP_SERIES,
            ahead_4=sum(point.units for point in ahead[:4]),
            ahead_12=sum(point.units for point in ahead),
            cny_profile=sorted((int(offset), factor) for offset, factor in run.cny_profile.items()),
            chart=forecast_figure(
                selectors.history_weeks(user, run, part),
                ahead,
                title=gettext("Units sold a week, and the forecast"),
            ),
        )
        return context

    def post(self, request, *args, **kwargs):
        if not can_write(request.user, ForecastRun):
            raise PermissionDenied
        if selectors.forecast_running():
            messages.info(request, gettext("The forecast is being computed already; it appears here when it finishes."))
        else:
            job_start(job=FORECAST_NIGHTLY_JOB, as_of=today(), started_by_id=request.user.pk)
            messages.success(
                request, gettext("The forecast is being computed; reload this page in a minute to see it.")
            )
        return redirect("inventory:forecasts")
