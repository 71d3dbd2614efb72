"""The forecast page and /api/v1/forecasts/: what each role sees of the weekly forecast."""

import json
from unittest import mock

import pytest
from django.urls import reverse

from inventory.forecasting.models import Forecast, ForecastSeries
from inventory.forecasting.services import forecast_week_run
from tests.inventory.forecast_data import AS_OF, WEEK


@pytest.fixture
def forecast(network, forecast_history):
    forecast_week_run(as_of=AS_OF)
    return forecast_history


def chart(page) -> dict:
    text = page.content.decode()
    start = text.index('id="forecast-chart-data"')
    return json.loads(text[text.index(">", start) + 1 : text.index("</script>", start)])


@pytest.mark.django_db
def test_head_office_sees_every_series_the_backtest_beside_the_baseline_and_the_chart(network, forecast, client_for):
    page = client_for(network.head_office).get(reverse("inventory:forecasts"))
    assert page.status_code == 200
    html = page.content.decode()
    assert 'id="series-total">3<' in html
    assert "Hangzhou Xihu 4S" in html and "Chengdu Jinjiang 4S" in html
    overall = page.context["overall"]
    assert overall.series == 3 and overall.points == 3 * 26
    # The figures shown are the stored sums' ratios: WAPE = Σ|e| ÷ Σ sold over the 3 series.
    sums = ForecastSeries.objects.all()
    wape = sum(row.abs_error for row in sums) / sum(row.actual for row in sums)
    assert overall.wape == round(wape, 4)
    assert f"{overall.wape * 100:.1f} %" in html
    assert [line.series_class for line in page.context["backtest"]] == ["smooth", "intermittent", ""]
    assert 'id="verdict"' in html
    # 52 weeks of history bars, 12 weeks of forecast; no interval for a sum of series.
    figure = chart(page)
    assert [trace["name"] for trace in figure["data"]] == ["Units sold", "Forecast"]
    assert len(figure["data"][0]["x"]) == 52 and len(figure["data"][1]["x"]) == 12
    assert figure["data"][1]["x"][0] == WEEK.isoformat()
    total = sum(Forecast.objects.values_list("units", flat=True))
    assert sum(figure["data"][1]["y"]) == pytest.approx(total)
    assert "TSB" in html


@pytest.mark.django_db
def test_one_series_shows_its_interval(network, forecast, client_for):
    smooth = forecast["smooth"]
    page = client_for(network.head_office).get(
        reverse("inventory:forecasts"), {"dealer": network.home_dealer.pk, "model": smooth.pk}
    )
    figure = chart(page)
    assert [trace["name"] for trace in figure["data"]] == ["Units sold", "80% interval", "Forecast"]
    rows = Forecast.objects.filter(dealer=network.home_dealer, model=smooth).order_by("target_week")
    assert figure["data"][2]["y"] == pytest.approx([row.units for row in rows])
    assert page.context["heading"] == f"Forecasts · {network.home_dealer} · {smooth}"


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["dealer_user", "regional_manager"])
def test_a_dealer_and_a_regional_manager_see_their_own_series_only(network, forecast, client_for, role):
    client = client_for(getattr(network, role))
    page = client.get(reverse("inventory:forecasts"))
    assert page.status_code == 200
    html = page.content.decode()
    assert 'id="series-total">2<' in html
    assert "Chengdu Jinjiang 4S" not in html
    assert page.context["overall"].series == 2
    # Asking for the foreign dealer is not a choice: the page stays on their own.
    foreign = client.get(reverse("inventory:forecasts"), {"dealer": network.foreign_dealer.pk})
    assert "Chengdu Jinjiang 4S" not in foreign.content.decode()
    assert foreign.context["overall"].series == 2
    assert client.post(reverse("inventory:forecasts")).status_code == 403


@pytest.mark.django_db
def test_finance_has_no_forecast_page(network, forecast, client_for):
    client = client_for(network.finance_user)
    assert client.get(reverse("inventory:forecasts")).status_code == 403
    assert client.get("/api/v1/forecasts/").status_code == 403
    assert not any(item["url"] == reverse("inventory:forecasts") for item in client.get("/").context["nav_items"])


@pytest.mark.django_db
def test_the_page_says_plainly_when_the_forecast_does_not_beat_its_baseline(network, forecast, client_for):
    ForecastSeries.objects.update(abs_error=100.0, base_abs_error=1.0)
    page = client_for(network.head_office).get(reverse("inventory:forecasts"))
    html = page.content.decode()
    assert "The forecast does not beat the seasonal-naive baseline on this back-test" in html
    assert page.context["overall"].beats_baseline is False


@pytest.mark.django_db
def test_before_any_run_the_page_says_how_a_forecast_comes_and_head_office_starts_one(network, client_for):
    client = client_for(network.head_office)
    page = client.get(reverse("inventory:forecasts"))
    assert page.status_code == 200
    assert "No forecast has been computed yet" in page.content.decode()
    with mock.patch("inventory.forecasting.views.job_start") as start:
        assert client.post(reverse("inventory:forecasts")).status_code == 302
    assert start.call_args.kwargs["job"].name == "inventory.forecast_weekly"
    assert start.call_args.kwargs["started_by_id"] == network.head_office.pk


@pytest.mark.django_db
def test_the_api_lists_the_users_forecasts_with_filters(network, forecast, client_for):
    client = client_for(network.dealer_user)

    def rows(query: dict, as_client=client) -> list[dict]:
        response = as_client.get("/api/v1/forecasts/", query)
        assert response.status_code == 200
        return response.json()["results"]

    listed = rows({})
    assert len(listed) == 24  # 2 series × 12 weeks, the foreign dealer's none
    first = listed[0]
    assert first["week"] == WEEK.isoformat() and first["dealer"] == network.home_dealer.pk
    assert set(first) == {"id", "week", "dealer", "model", "target_week", "units", "lo", "hi", "method", "series_class"}
    sparse = rows({"model": forecast["sparse"].pk})
    assert len(sparse) == 12 and {row["method"] for row in sparse} == {"TSB"}
    assert len(rows({"target_week": WEEK.isoformat()})) == 2
    assert rows({"week": "2026-11-16"}) == []
    assert client.get("/api/v1/forecasts/", {"dealer": network.foreign_dealer.pk}).status_code == 400
    assert len(rows({}, client_for(network.head_office))) == 36
