"""The channel health pages: the dashboard's map, the table of scores and its heat map, the
dealer's health page, exports; who sees which dealer; a fixed number of queries."""

import csv
import datetime as dt
import io
import json
import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from openpyxl import load_workbook

from channels.health import views
from channels.health.cache import health_stamp
from channels.models import HealthMetricScore, HealthScore
from dealerops.models import ExportJob, ExportStatus, Role
from tests.channels.health import OCTOBER, SEPTEMBER, compute, sell
from tests.factories import DealerFactory, HealthScoreFactory, UserFactory

pytestmark = pytest.mark.django_db

DASHBOARD = "/health/"
TABLE = "/health/scores/"
FOREIGN_NAME = "Chengdu Jinjiang 4S"


@pytest.fixture
def scored(network, monkeypatch):
    """October scored for the home dealer (1 sale), a neighbour of its region (2 sales) and the
    foreign dealer (3 sales); the home dealer was rated C (60.00) in September."""
    neighbour = DealerFactory(code="HZ02", name="Hangzhou Binjiang 4S", city="Ningbo", region=network.home_region)
    for units, dealer in enumerate((network.home_dealer, neighbour, network.foreign_dealer), start=1):
        for day in range(units):
            sell(dealer, OCTOBER + dt.timedelta(days=day))
    HealthScoreFactory(dealer=network.home_dealer, month=SEPTEMBER, composite=Decimal("60.00"), rating="C")
    compute(monkeypatch)
    return {score.dealer.code: score for score in HealthScore.objects.filter(month=OCTOBER).select_related("dealer")}


def figure(response, element_id: str) -> dict:
    html = response.content.decode()
    start = html.index(">", html.index(f'<script id="{element_id}"')) + 1
    return json.loads(html[start : html.index("</script>", start)])


def map_names(response) -> set[str]:
    return {text.split(" · ")[0] for trace in figure(response, "health-map-data")["data"] for text in trace["text"]}


def body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


# -- the dashboard ------------------------------------------------------------------------------


def test_a_regional_manager_maps_the_dealers_of_the_region_only(network, scored, client_for):
    response = client_for(network.regional_manager).get(DASHBOARD)
    assert response.status_code == 200
    assert map_names(response) == {"Hangzhou Xihu 4S", "Hangzhou Binjiang 4S"}
    assert FOREIGN_NAME not in response.content.decode()


def test_the_map_is_drawn_from_local_topojson_without_country_borders(network, scored, client_for):
    data = figure(client_for(network.regional_manager).get(DASHBOARD), "health-map-data")
    assert data["config"]["topojsonURL"] == "/static/topojson/"
    geo = data["layout"]["geo"]
    assert (geo["scope"], geo["resolution"], geo["showcountries"], geo["showsubunits"]) == ("asia", 50, False, False)
    assert geo["lonaxis"]["range"] == [73, 136] and geo["lataxis"]["range"] == [17, 54]
    # coloured by composite (the scored trace), sized by units sold: 2 sales vs 1
    sizes = {
        text.split(" · ")[0]: size
        for trace in data["data"]
        for text, size in zip(trace["text"], trace["marker"]["size"], strict=True)
    }
    assert sizes == {"Hangzhou Xihu 4S": 1, "Hangzhou Binjiang 4S": 2}


def map_sizes(response) -> dict[str, int]:
    """Each dealer's marker size (units sold), by name."""
    return {
        text.split(" · ")[0]: size
        for trace in figure(response, "health-map-data")["data"]
        for text, size in zip(trace["text"], trace["marker"]["size"], strict=True)
    }


def test_the_dashboard_counts_dealers_by_rating(network, scored, client_for):
    response = client_for(network.regional_manager).get(DASHBOARD)
    counts = response.context["counts"]
    expected = {"A": 0, "B": 0, "C": 0, "D": 0, "unrated": 0}
    for code in ("HZ01", "HZ02"):
        expected[scored[code].rating or "unrated"] += 1
    assert counts == expected


def test_head_office_sees_every_region_and_can_filter_by_one(network, scored, client_for):
    client = client_for(network.head_office)
    assert map_names(client.get(DASHBOARD)) == {"Hangzhou Xihu 4S", "Hangzhou Binjiang 4S", FOREIGN_NAME}
    assert map_names(client.get(DASHBOARD, {"region": network.foreign_region.pk})) == {FOREIGN_NAME}


def test_a_dealer_user_maps_only_itself_and_is_linked_to_its_health_page(network, scored, client_for):
    response = client_for(network.dealer_user).get(DASHBOARD)
    assert map_names(response) == {"Hangzhou Xihu 4S"}
    assert f'href="/dealers/{network.home_dealer.pk}/health/"' in response.content.decode()
    assert "Hangzhou Binjiang 4S" not in response.content.decode()


def test_the_dashboard_says_so_when_nothing_is_scored(network, client_for):
    response = client_for(network.regional_manager).get(DASHBOARD)
    assert response.status_code == 200
    assert "No health scores yet" in response.content.decode()


# -- the dashboard's cache ------------------------------------------------------------------------


def test_cached_maps_stay_within_each_managers_regions(network, scored, client_for):
    west_manager = UserFactory(username="west", role=Role.REGIONAL_MANAGER, regions=[network.foreign_region])
    client = client_for(network.regional_manager)
    computed = queries_for(client, DASHBOARD)
    assert queries_for(client, DASHBOARD) < computed  # answered from the cache
    assert map_names(client.get(DASHBOARD)) == {"Hangzhou Xihu 4S", "Hangzhou Binjiang 4S"}

    west = client_for(west_manager).get(DASHBOARD)
    assert map_names(west) == {FOREIGN_NAME}
    assert "Hangzhou" not in west.content.decode()
    assert "Hangzhou Binjiang 4S" not in client_for(network.dealer_user).get(DASHBOARD).content.decode()
    # the manager's regions are read on every request: a region given later shows at once
    network.regional_manager.regions.add(network.foreign_region)
    assert map_names(client_for(network.regional_manager).get(DASHBOARD)) == {
        "Hangzhou Xihu 4S",
        "Hangzhou Binjiang 4S",
        FOREIGN_NAME,
    }


def test_a_map_shows_exactly_the_regions_its_cache_key_names(network, scored, client_for, monkeypatch):
    # the manager is given a region while the request runs, after its key (and stamp) was read:
    # what it caches under that key must not show the new region's dealers
    stale = health_stamp(network.regional_manager)
    network.regional_manager.regions.add(network.foreign_region)
    monkeypatch.setattr(views, "health_stamp", lambda user: stale)
    assert map_names(client_for(network.regional_manager).get(DASHBOARD)) == {
        "Hangzhou Xihu 4S",
        "Hangzhou Binjiang 4S",
    }


def test_a_recomputation_shows_on_the_cached_map(network, scored, client_for, monkeypatch):
    client = client_for(network.regional_manager)
    assert map_sizes(client.get(DASHBOARD)) == {"Hangzhou Xihu 4S": 1, "Hangzhou Binjiang 4S": 2}
    dealers = health_stamp(network.regional_manager).dealers
    for day in range(3):
        sell(network.home_dealer, OCTOBER + dt.timedelta(days=10 + day))
    compute(monkeypatch)
    assert health_stamp(network.regional_manager).dealers == dealers  # only the scores changed
    response = client.get(DASHBOARD)
    assert map_sizes(response) == {"Hangzhou Xihu 4S": 4, "Hangzhou Binjiang 4S": 2}
    home = HealthScore.objects.get(dealer=network.home_dealer, month=OCTOBER)
    assert response.context["counts"][home.rating or "unrated"] >= 1


def test_dealer_edits_show_on_the_cached_map(network, scored, client_for):
    client = client_for(network.regional_manager)
    assert map_names(client.get(DASHBOARD)) == {"Hangzhou Xihu 4S", "Hangzhou Binjiang 4S"}
    neighbour = scored["HZ02"].dealer
    neighbour.name = "Ningbo Yinzhou 4S"
    neighbour.save()
    assert map_names(client.get(DASHBOARD)) == {"Hangzhou Xihu 4S", "Ningbo Yinzhou 4S"}
    neighbour.region = network.foreign_region
    neighbour.save()
    assert map_names(client.get(DASHBOARD)) == {"Hangzhou Xihu 4S"}


def test_the_cached_map_follows_the_filters_and_the_language(network, scored, client_for):
    client = client_for(network.regional_manager)
    assert map_names(client.get(DASHBOARD, {"city": "ningbo"})) == {"Hangzhou Binjiang 4S"}
    assert map_names(client.get(DASHBOARD)) == {"Hangzhou Xihu 4S", "Hangzhou Binjiang 4S"}
    # parameters that change nothing share the entry (they would only fill the cache)
    assert queries_for(client, DASHBOARD, {"utm_source": "mail"}) < queries_for(client, DASHBOARD, {"city": "x"})
    english = figure(client.get(DASHBOARD), "health-map-data")
    client.cookies["django_language"] = "zh-hans"
    chinese = figure(client.get(DASHBOARD), "health-map-data")
    titles = [data["data"][0]["marker"]["colorbar"]["title"]["text"] for data in (english, chinese)]
    assert titles == ["Composite", "综合分"]


# -- the table ------------------------------------------------------------------------------------


def table_codes(response) -> list[str]:
    assert response.status_code == 200
    return [row["code"] for row in response.context["rows"]]


def test_the_table_shows_score_rating_and_change_since_last_month(network, scored, client_for):
    response = client_for(network.regional_manager).get(TABLE, {"ordering": "dealer"})
    assert table_codes(response) == ["HZ01", "HZ02"]
    home = scored["HZ01"]
    row = response.context["rows"][0]
    assert (row["composite"], row["rating"]) == (home.composite, home.rating)
    assert row["change"] == home.composite - Decimal("60.00")
    assert row["change"] == Decimal("-43.33")
    assert response.context["rows"][1]["change"] is None  # not scored in September
    html = response.content.decode()
    assert "-43.33" in html
    # lead conversion: no leads at all, shown as insufficient data
    assert row["insufficient"]["lead_conversion"] is True and row["scores"]["lead_conversion"] is None
    assert 'title="insufficient data">n/a' in html


def test_a_dealer_user_sees_only_its_own_row_and_heat_map(network, scored, client_for):
    client = client_for(network.dealer_user)
    assert table_codes(client.get(TABLE)) == ["HZ01"]
    heatmap = client.get(TABLE, {"view": "heatmap"})
    assert figure(heatmap, "health-heatmap-data")["data"][0]["y"] == ["Hangzhou Xihu 4S"]
    assert "Hangzhou Binjiang 4S" not in heatmap.content.decode()


def test_the_heat_map_draws_dealers_by_metrics_with_insufficient_cells_empty(network, scored, client_for):
    response = client_for(network.regional_manager).get(TABLE, {"view": "heatmap", "ordering": "dealer"})
    data = figure(response, "health-heatmap-data")
    heat = data["data"][0]
    assert heat["type"] == "heatmap" and heat["y"] == ["Hangzhou Xihu 4S", "Hangzhou Binjiang 4S"]
    assert len(heat["x"]) == 12 and heat["z"][0][0] == float(
        scored["HZ01"].metrics.get(metric="target_achievement").score
    )
    assert heat["z"][0][2] is None and heat["text"][0][2] == "insufficient data"


def test_the_table_filters_by_rating_kind_city_and_month(network, scored, client_for):
    client = client_for(network.regional_manager)
    assert table_codes(client.get(TABLE, {"city": "ningbo"})) == ["HZ02"]
    # Three 4S peers under the default bands: the one selling least (HZ01) is in the middle of
    # the bottom third, C; the other two B (with three peers nobody is in the bottom 15 %: no D).
    assert [scored[code].rating for code in ("HZ01", "HZ02", "CD01")] == ["C", "B", "B"]
    assert table_codes(client.get(TABLE, {"rating": "C", "ordering": "dealer"})) == ["HZ01"]
    assert table_codes(client.get(TABLE, {"rating": "D"})) == []
    assert table_codes(client.get(TABLE, {"rating": "C", "month": "2026-09"})) == ["HZ01"]
    assert table_codes(client.get(TABLE, {"rating": "A", "month": "2026-09"})) == []
    assert table_codes(client.get(TABLE, {"kind": "secondary"})) == []
    september = client.get(TABLE, {"month": "2026-09"})
    assert table_codes(september) == ["HZ01"] and september.context["rows"][0]["composite"] == Decimal("60.00")
    assert "No dealers match these filters." in client.get(TABLE, {"kind": "secondary"}).content.decode()


def test_the_table_sorts_by_composite_and_by_a_metric(network, scored, client_for):
    client = client_for(network.head_office)
    by_composite = sorted(scored.values(), key=lambda score: score.composite, reverse=True)
    assert table_codes(client.get(TABLE, {"ordering": "-composite"})) == [score.dealer.code for score in by_composite]
    assert (
        table_codes(client.get(TABLE, {"ordering": "composite"})) == [score.dealer.code for score in by_composite][::-1]
    )
    # target achievement: 1, 2, 3 sales against the same target
    assert table_codes(client.get(TABLE, {"ordering": "-target_achievement"})) == ["CD01", "HZ02", "HZ01"]


def test_a_foreign_region_filter_shows_nothing_to_a_regional_manager(network, scored, client_for):
    response = client_for(network.regional_manager).get(TABLE, {"region": network.foreign_region.pk})
    html = response.content.decode()
    assert FOREIGN_NAME not in html
    assert FOREIGN_NAME not in client_for(network.regional_manager).get(DASHBOARD, {"city": "Chengdu"}).content.decode()


def tbody(response) -> str:
    html = response.content.decode()
    return html[html.index("<tbody>") : html.index("</tbody>")]


def test_cached_table_pages_stay_within_each_managers_regions(network, scored, client_for):
    west_manager = UserFactory(username="west", role=Role.REGIONAL_MANAGER, regions=[network.foreign_region])
    client = client_for(network.regional_manager)
    with CaptureQueriesContext(connection) as computing:
        computed = client.get(TABLE)
    with CaptureQueriesContext(connection) as reading:
        cached = client.get(TABLE)
    assert len(reading) < len(computing)
    by_composite = sorted(("HZ01", "HZ02"), key=lambda code: scored[code].composite, reverse=True)
    assert table_codes(cached) == by_composite and tbody(cached) == tbody(computed)
    assert FOREIGN_NAME not in tbody(cached)

    client = client_for(west_manager)
    assert table_codes(client.get(TABLE)) == ["CD01"]
    assert figure(client.get(TABLE, {"view": "heatmap"}), "health-heatmap-data")["data"][0]["y"] == [FOREIGN_NAME]
    client = client_for(network.regional_manager)
    heat = figure(client.get(TABLE, {"view": "heatmap", "ordering": "dealer"}), "health-heatmap-data")["data"][0]
    assert heat["y"] == ["Hangzhou Xihu 4S", "Hangzhou Binjiang 4S"]


def test_a_recomputation_shows_in_the_cached_table(network, scored, client_for, monkeypatch):
    client = client_for(network.regional_manager)
    before = client.get(TABLE).context["rows"][0]
    for day in range(3):
        sell(network.home_dealer, OCTOBER + dt.timedelta(days=10 + day))
    compute(monkeypatch)
    home = HealthScore.objects.get(dealer=network.home_dealer, month=OCTOBER)
    assert home.composite != before["composite"]
    after = client.get(TABLE)
    assert after.context["rows"][0]["composite"] == home.composite
    assert f'<td class="num">{home.composite}</td>' in tbody(after)


def test_cached_table_pages_keep_their_pagination(network, scored, client_for, monkeypatch):
    monkeypatch.setattr(views, "TABLE_PAGE_SIZE", 1)
    client = client_for(network.regional_manager)
    for _computed_then_cached in range(2):
        second = client.get(TABLE, {"page": 2, "ordering": "dealer"})
        assert table_codes(second) == ["HZ02"] and "Page 2 of 2" in second.content.decode()
        assert table_codes(client.get(TABLE, {"page": 99, "ordering": "dealer"})) == ["HZ02"]  # past the end
        assert table_codes(client.get(TABLE, {"ordering": "dealer"})) == ["HZ01"]


# -- exports ----------------------------------------------------------------------------------------


def test_the_table_exports_as_csv_in_the_users_language(network, scored, client_for):
    client = client_for(network.regional_manager)
    client.cookies["django_language"] = "zh-hans"
    response = client.get(TABLE, {"export": "csv", "ordering": "dealer"})
    rows = list(csv.reader(io.StringIO(body(response).decode("utf-8-sig"))))
    assert (rows[0][2], rows[0][3]) == ("经销商", "城市")
    assert [row[1] for row in rows[1:]] == ["HZ01", "HZ02"]
    assert FOREIGN_NAME not in body(response).decode("utf-8-sig")


def test_the_table_exports_as_xlsx_with_numbers_and_insufficient_cells(network, scored, client_for):
    response = client_for(network.regional_manager).get(TABLE, {"export": "xlsx", "ordering": "dealer"})
    sheet = load_workbook(io.BytesIO(body(response)), read_only=True).active
    header, home, neighbour = list(sheet.iter_rows(values_only=True))
    assert header[:8] == (
        "Month",
        "Dealer code",
        "Dealer",
        "City",
        "Peer group",
        "Composite score",
        "Rating",
        "Change since last month",
    )
    assert home[:2] == ("2026-10", "HZ01") and neighbour[1] == "HZ02"
    assert home[5] == pytest.approx(float(scored["HZ01"].composite)) and home[7] == pytest.approx(-43.33)
    assert home[8 + 2] == "insufficient data"  # lead conversion


# -- the dealer's health page ----------------------------------------------------------------------


def test_the_dealer_page_shows_raw_value_sample_score_and_peer_median(network, scored, client_for):
    response = client_for(network.dealer_user).get(f"/dealers/{network.home_dealer.pk}/health/")
    assert response.status_code == 200
    target = next(item for item in response.context["lines"] if item["line"].metric == "target_achievement")
    # 1 sale against a target of 100; peers (the three 4S stores) sold 1, 2, 3: median 2 %
    assert target["raw"] == "1.00 %" and target["line"].sample == 100 and target["line"].score == Decimal("16.67")
    assert target["peer_raw"] == "2.00 %" and target["line"].peer_median_score == Decimal("50.00")
    assert f"/sales/?dealer={network.home_dealer.pk}&amp;sold_after=2026-10-01&amp;sold_before=2026-10-31" in (
        response.content.decode()
    )
    assert response.context["percentile"] == Decimal("16.7")
    assert response.context["score"].weights.version == 1
    html = response.content.decode()
    assert "Hangzhou Binjiang 4S" not in html and FOREIGN_NAME not in html


def test_the_dealer_page_draws_the_12_month_trend(network, scored, client_for):
    response = client_for(network.regional_manager).get(f"/dealers/{network.home_dealer.pk}/health/")
    trend = figure(response, "health-trend-data")["data"]
    assert trend[0]["x"] == ["2026-09-01", "2026-10-01"]
    assert trend[0]["y"] == [60.0, float(scored["HZ01"].composite)]
    assert len(trend) == 13


def test_no_one_opens_a_foreign_dealers_health_page(network, scored, client_for):
    assert client_for(network.dealer_user).get(f"/dealers/{scored['HZ02'].dealer_id}/health/").status_code == 404
    foreign = f"/dealers/{network.foreign_dealer.pk}/health/"
    assert client_for(network.regional_manager).get(foreign).status_code == 404


def test_a_dealer_without_scores_sees_an_empty_state(network, client_for):
    response = client_for(network.dealer_user).get(f"/dealers/{network.home_dealer.pk}/health/?month=2026-10")
    assert response.status_code == 200
    assert "This dealer has no health score for 2026-10." in response.content.decode()


def test_the_lead_list_filters_by_dealer_and_assignment_date(network, client_for):
    from tests.factories import LeadFactory

    LeadFactory(
        dealer=network.home_dealer,
        customer_city="Inside",
        created_at=dt.datetime(2026, 10, 3, 9, tzinfo=dt.UTC),
        assigned_at=dt.datetime(2026, 10, 3, 10, tzinfo=dt.UTC),
    )
    LeadFactory(
        dealer=network.home_dealer,
        customer_city="Outside",
        created_at=dt.datetime(2026, 9, 3, 9, tzinfo=dt.UTC),
        assigned_at=dt.datetime(2026, 9, 3, 10, tzinfo=dt.UTC),
    )
    response = client_for(network.dealer_user).get(
        "/leads/", {"dealer": network.home_dealer.pk, "assigned_after": "2026-10-01", "assigned_before": "2026-10-31"}
    )
    html = response.content.decode()
    assert response.status_code == 200 and "Inside" in html and "Outside" not in html


# -- queries ------------------------------------------------------------------------------------------


def queries_for(client, url: str, params: dict | None = None) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url, params or {})
        assert response.status_code == 200
        body(response)
    return len(captured)


@pytest.mark.parametrize("url", [DASHBOARD, TABLE, TABLE + "?view=heatmap", TABLE + "?export=xlsx"])
def test_the_health_pages_take_a_fixed_number_of_queries(network, monkeypatch, client_for, url):
    client = client_for(network.regional_manager)
    sell(network.home_dealer, OCTOBER)
    compute(monkeypatch)
    few = queries_for(client, url)
    for index in range(6):
        sell(DealerFactory(code=f"QC{index}", region=network.home_region), OCTOBER)
    compute(monkeypatch)
    assert queries_for(client, url) == few
    assert few <= 9


# -- navigation ---------------------------------------------------------------------------------------


def test_managers_find_the_dashboard_from_the_menu_and_the_home_page(network, client_for):
    client = client_for(network.regional_manager)
    home = client.get("/").content.decode()
    assert home.count('href="/health/"') == 2  # menu entry and home page button
    client = client_for(network.dealer_user)
    assert client.get("/").content.decode().count('href="/health/"') == 1  # menu only


# -- numbers that do not mislead ------------------------------------------------------------------

DECEMBER = dt.date(2026, 12, 1)
ON_DECEMBER_2 = dt.date(2026, 12, 2)
LONG_DECIMAL = re.compile(r"\d\.\d{5,}")


def visible(response) -> str:
    """The page's text without its scripts (figures' JSON carries plotting coordinates)."""
    return re.sub(r"<script.*?</script>", "", response.content.decode(), flags=re.S)


@pytest.fixture
def december_in_progress(scored, network, monkeypatch):
    """Today is 2 December: December is scored so far for the home dealer (not final)."""
    monkeypatch.setattr(views, "today", lambda: ON_DECEMBER_2)
    HealthScoreFactory(dealer=network.home_dealer, month=DECEMBER, composite=None, rating="", metrics_scored=5)
    return scored


def test_the_peer_median_score_reads_to_two_decimals(network, scored, client_for):
    # Medians come from percentile_cont (a float): 49.61 is 49.6099999999999994315658… there.
    HealthMetricScore.objects.filter(health_score__month=OCTOBER, metric="target_achievement").update(
        score=Decimal("49.61")
    )
    response = client_for(network.dealer_user).get(f"/dealers/{network.home_dealer.pk}/health/")
    row = re.search(r'<tr id="metric-target_achievement">(.*?)</tr>', response.content.decode(), re.S).group(1)
    cells = re.findall(r'<td[^>]*class="num"[^>]*>(.*?)</td>', row, re.S)
    assert cells[-1] == "49.61"
    assert not LONG_DECIMAL.search(visible(response))


@pytest.mark.parametrize("url", [DASHBOARD, TABLE, TABLE + "?view=heatmap"])
def test_the_health_pages_open_on_the_last_complete_month(network, december_in_progress, client_for, url):
    response = client_for(network.regional_manager).get(url)
    assert response.context["view"].month == OCTOBER
    html = visible(response)
    # October: back to September (scored), on to December (scored); November has no scores.
    assert 'month=2026-09" rel="prev"' in html and 'month=2026-12" rel="next"' in html
    assert "month=2026-11" not in html


def test_a_month_in_progress_is_marked_provisional_and_links_to_no_empty_month(
    network, december_in_progress, client_for
):
    client = client_for(network.head_office)
    for url in (DASHBOARD, TABLE):
        html = visible(client.get(url, {"month": "2026-12"}))
        assert '<span class="badge provisional">provisional</span>' in html
        assert "Provisional scores" in html
        assert 'rel="next"' not in html
        assert "month=2027-01" not in html
        assert 'month=2026-10" rel="prev"' in html


def test_the_dealer_page_opens_on_the_last_complete_month_with_months_that_have_scores(
    network, december_in_progress, client_for
):
    client = client_for(network.dealer_user)
    page = f"/dealers/{network.home_dealer.pk}/health/"
    october = client.get(page)
    assert october.context["score"].month == OCTOBER
    html = visible(october)
    assert 'href="?month=2026-09" rel="prev"' in html and 'href="?month=2026-12" rel="next"' in html
    december = visible(client.get(page, {"month": "2026-12"}))
    assert "badge provisional" in december and 'rel="next"' not in december and "month=2027-01" not in december


def test_the_table_sorts_by_composite_best_first_by_default(network, scored, client_for):
    response = client_for(network.head_office).get(TABLE)
    composites = [row["composite"] for row in response.context["rows"]]
    assert composites == sorted(composites, reverse=True)
    assert "▼" in re.search(r"ordering=composite\">(.*?)</a>", response.content.decode()).group(1)


def test_the_health_pages_explain_the_probation_badge_and_the_weights_version(network, scored, client_for):
    client = client_for(network.regional_manager)
    for url in (DASHBOARD, TABLE, f"/dealers/{network.home_dealer.pk}/health/"):
        html = client.get(url).content.decode()
        assert 'id="health-legend"' in html
        assert "rated D this month and the month before" in html
        assert "Weights version 1" in html and "metric weights head office used" in html


def test_a_large_table_export_runs_as_a_job_with_the_managers_dealers(
    network, scored, client_for, settings, tmp_path, django_capture_on_commit_callbacks
):
    settings.EXPORT_BACKGROUND_MIN_ROWS, settings.EXPORT_ROOT = 2, tmp_path
    client = client_for(network.regional_manager)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.get(TABLE, {"export": "csv", "ordering": "dealer"})

    job = ExportJob.objects.get()
    assert response["Location"] == f"/exports/{job.pk}/"
    assert (job.status, job.rows_total) == (ExportStatus.SUCCEEDED, 2), job.error
    text = body(client.get(f"/exports/{job.pk}/download/")).decode("utf-8-sig")
    assert [row[1] for row in list(csv.reader(io.StringIO(text)))[1:]] == ["HZ01", "HZ02"]
    assert FOREIGN_NAME not in text
