"""Rating bands: shares of the peer group by default, versions head office sets, re-rating open
months only when asked (closed months never), and the rating distribution per region."""

import datetime as dt
import json
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.test import override_settings

from channels.health.bands import health_months_rerate, rating_bands_create, rating_bands_in_force
from channels.health.services import health_weights_create
from channels.models import DealerKind, HealthMetric, HealthMonth, HealthScore, RatingBands, RatingMethod
from dealerops.models import JobRun
from tests.background import join_job_threads
from tests.channels.health import AFTER_CUTOFF, BEFORE_CUTOFF, OCTOBER, SEPTEMBER, compute, score_of, sell
from tests.factories import DealerFactory, RegionFactory

pytestmark = pytest.mark.django_db

BANDS = "/health/bands/"
RERATE = "/health/bands/rerate/"
DASHBOARD = "/health/"
TABLE = "/health/scores/"
ONLY_TARGET = dict.fromkeys(HealthMetric.values, Decimal("0")) | {"target_achievement": Decimal("1")}
SEPTEMBER_OPEN = dt.date(2026, 10, 5)  # September's cut-off day: its scores are still open


@pytest.fixture
def only_target(settings):
    """The composite is the target achievement's score; every target counts from one unit."""
    settings.HEALTH_MIN_SAMPLES = dict.fromkeys(HealthMetric.values, 1)
    health_weights_create(weights=ONLY_TARGET, created_by=None)


def ranked_dealers(count: int, *, months=(OCTOBER,), **fields) -> list:
    """``count`` dealers best first: each sells one unit a month against a target of 1, 2, …"""
    dealers = [DealerFactory(monthly_sales_target=target, **fields) for target in range(1, count + 1)]
    for dealer in dealers:
        for month in months:
            sell(dealer, month + dt.timedelta(days=2))
    return dealers


def ratings(dealers, month=OCTOBER) -> str:
    return "".join(score_of(dealer, month).rating or "-" for dealer in dealers)


def shares(**values: str) -> dict[str, Decimal]:
    return {f"{band}_share": Decimal(value) for band, value in values.items()}


# -- the default bands ------------------------------------------------------------------------


def test_the_migration_keeps_the_legacy_floors_as_version_1_and_sets_the_default_shares_as_2():
    rating_bands_in_force()  # a database emptied by an earlier test gets them back the same way
    legacy, default = RatingBands.objects.order_by("version")[:2]
    assert (legacy.version, legacy.method) == (1, RatingMethod.FLOORS)
    assert (legacy.a_floor, legacy.b_floor, legacy.c_floor) == (Decimal("85"), Decimal("70"), Decimal("55"))
    assert (default.version, default.method) == (2, RatingMethod.SHARES)
    assert (default.a_share, default.b_share, default.c_share, default.d_share) == tuple(
        Decimal(value) for value in ("15", "35", "35", "15")
    )
    assert rating_bands_in_force() == default


def test_the_default_bands_rate_20_peers_3_a_7_b_7_c_3_d_and_each_kind_on_its_own(monkeypatch, only_target):
    fours = ranked_dealers(20)
    showrooms = ranked_dealers(4, kind=DealerKind.SHOWROOM)
    no_target = DealerFactory(monthly_sales_target=0)  # no target: no composite, not rated, not a peer
    compute(monkeypatch)

    # 20 peers: A for the places whose middle is within the top 15 % (3), B to 50 % (7 more),
    # C to 85 % (7 more), D the last 3; 4 showrooms: one each (12.5, 37.5, 62.5, 87.5 %).
    assert ratings(fours) == "AAA" + "B" * 7 + "C" * 7 + "DDD"
    assert ratings(showrooms) == "ABCD"
    assert (score_of(no_target).composite, score_of(no_target).rating) == (None, "")
    month = HealthMonth.objects.get(month=OCTOBER)
    assert month.rating_bands.version == 2
    assert set(HealthScore.objects.values_list("rating_bands__version", flat=True)) == {2}


def test_tied_composites_share_a_rating(monkeypatch, only_target):
    dealers = ranked_dealers(8)
    tied = [DealerFactory(monthly_sales_target=4) for _ in range(2)]
    for dealer in tied:
        sell(dealer, OCTOBER + dt.timedelta(days=2))
    compute(monkeypatch)

    # Ten peers, places 0-9; the three at target 4 share places 3-5, whose middle (45 % from
    # the top) is within B's 50 %: all three B, whatever order the database reads them in.
    assert ratings(dealers) == "AABBCCCD" and ratings(tied) == "BB"


# -- versions -----------------------------------------------------------------------------------


def test_a_new_version_must_have_four_shares_adding_up_to_100(network):
    with pytest.raises(ValidationError) as wrong_total:
        rating_bands_create(shares=shares(a="15", b="35", c="35", d="10"), created_by=None)
    assert "95" in " ".join(wrong_total.value.messages)
    with pytest.raises(ValidationError) as out_of_range:
        rating_bands_create(shares=shares(a="-5", b="55", c="35", d="15"), created_by=None)
    assert set(out_of_range.value.message_dict) == {"a_share"}
    with pytest.raises(ValidationError) as missing:
        rating_bands_create(shares=shares(a="50", b="50", c="0"), created_by=None)
    assert set(missing.value.message_dict) == {"d_share"}

    bands = rating_bands_create(
        shares=shares(a="10", b="40", c="40", d="10"), created_by=network.head_office, note="更严"
    )
    assert (bands.version, bands.created_by, bands.note) == (3, network.head_office, "更严")
    assert rating_bands_in_force() == bands
    with pytest.raises(Exception, match="Cannot update rows"), transaction.atomic():
        RatingBands.objects.filter(pk=bands.pk).update(note="edited")


def test_a_new_version_rates_the_next_computation_but_never_a_closed_month(monkeypatch, only_target):
    dealers = ranked_dealers(10, months=(SEPTEMBER, OCTOBER))
    compute(monkeypatch, SEPTEMBER, on=AFTER_CUTOFF)  # September closed with the default bands
    before = ratings(dealers, SEPTEMBER)
    rating_bands_create(shares=shares(a="10", b="20", c="30", d="40"), created_by=None)
    compute(monkeypatch, OCTOBER, on=BEFORE_CUTOFF)
    again = compute(monkeypatch, SEPTEMBER, on=AFTER_CUTOFF)
    asked = health_months_rerate(months=[SEPTEMBER])

    # 10 peers: the default 15/35/35/15 % gives 2, 3, 4, 1; version 3 (10/20/30/40 %) 1, 2, 3, 4.
    assert before == ratings(dealers, SEPTEMBER) == "AABBBCCCCD"
    assert ratings(dealers, OCTOBER) == "ABBCCCDDDD"
    assert (again.rows, asked.rows) == (0, 0)
    months = dict(HealthMonth.objects.values_list("month", "rating_bands__version"))
    assert months == {SEPTEMBER: 2, OCTOBER: 3}
    with pytest.raises(IntegrityError), transaction.atomic():
        HealthScore.objects.filter(month=SEPTEMBER).update(rating="A")


def test_rerating_open_months_rewrites_their_ratings_and_the_probation_flags_after_them(monkeypatch, only_target):
    dealers = ranked_dealers(10, months=(SEPTEMBER, OCTOBER))
    compute(monkeypatch, SEPTEMBER, on=SEPTEMBER_OPEN)
    compute(monkeypatch, OCTOBER, on=BEFORE_CUTOFF)
    assert ratings(dealers, SEPTEMBER) == ratings(dealers, OCTOBER) == "AABBBCCCCD"

    def probation(month):
        return [score_of(dealer, month).probation for dealer in dealers].count(True)

    assert probation(OCTOBER) == 1  # the last dealer, D both months

    rating_bands_create(shares=shares(a="10", b="20", c="30", d="40"), created_by=None)
    both = health_months_rerate(months=[SEPTEMBER, OCTOBER])
    assert ratings(dealers, SEPTEMBER) == ratings(dealers, OCTOBER) == "ABBCCCDDDD"
    assert (probation(SEPTEMBER), probation(OCTOBER)) == (0, 4)
    assert both.status == "succeeded" and both.rows == 20 and both.period == "2026-09, 2026-10"
    assert health_months_rerate(months=[SEPTEMBER, OCTOBER]).rows == 0  # idempotent

    # September alone with bands that rate nobody D: October keeps its ratings (version 3),
    # and its D dealers lose the flag, since September no longer rated them D.
    rating_bands_create(shares=shares(a="20", b="30", c="50", d="0"), created_by=None)
    health_months_rerate(months=[SEPTEMBER])
    assert ratings(dealers, SEPTEMBER) == "AABBBCCCCC" and ratings(dealers, OCTOBER) == "ABBCCCDDDD"
    assert probation(OCTOBER) == 0
    months = dict(HealthMonth.objects.values_list("month", "rating_bands__version"))
    assert months == {SEPTEMBER: 4, OCTOBER: 3}


# -- the page ---------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["dealer_user", "regional_manager", "finance_user"])
def test_only_head_office_sets_bands_and_rerates(network, client_for, role):
    client = client_for(getattr(network, role))
    page = client.get(BANDS)
    assert page.status_code == 200 and "Versions" in page.content.decode()  # everyone reads how they are rated
    assert 'id="new-bands"' not in page.content.decode()
    form = {"a_share": "10", "b_share": "40", "c_share": "40", "d_share": "10"}
    assert client.post(BANDS, form).status_code == 403
    assert client.post(RERATE, {"months": ["2026-10-01"]}).status_code == 403
    assert RatingBands.objects.filter(version__gt=2).count() == 0
    assert not JobRun.objects.exists()


def test_head_office_sets_a_version_on_the_page_and_bad_input_names_the_field(network, client_for):
    client = client_for(network.head_office)
    page = client.get(BANDS)
    assert page.context["form"].initial == shares(a="15", b="35", c="35", d="15")  # the version in force

    short = client.post(BANDS, {"a_share": "15", "b_share": "35", "c_share": "35", "d_share": "5"})
    assert short.status_code == 400
    assert "add up to 90 %; they must add up to 100 %" in short.content.decode()
    not_a_number = client.post(BANDS, {"a_share": "十五", "b_share": "35", "c_share": "35", "d_share": "15"})
    assert not_a_number.status_code == 400 and "a_share" in not_a_number.context["form"].errors
    assert RatingBands.objects.count() == 2

    saved = client.post(BANDS, {"a_share": "12.5", "b_share": "37.5", "c_share": "37.5", "d_share": "12.5"})
    assert saved.status_code == 302
    bands = RatingBands.objects.get(version=3)
    assert (bands.a_share, bands.created_by) == (Decimal("12.50"), network.head_office)
    assert "the top 12.5 % are rated A" in client.get(BANDS).content.decode()


@pytest.mark.django_db(transaction=True)
def test_head_office_rerates_an_open_month_from_the_page(network, client_for, monkeypatch, settings):
    settings.HEALTH_MIN_SAMPLES = dict.fromkeys(HealthMetric.values, 1)
    health_weights_create(weights=ONLY_TARGET, created_by=None)
    for dealer in (network.home_dealer, network.foreign_dealer):  # the ten ranked ones are the peers
        dealer.status = "exited"
        dealer.save()
    dealers = ranked_dealers(10, months=(SEPTEMBER, OCTOBER))
    compute(monkeypatch, SEPTEMBER, on=AFTER_CUTOFF)
    compute(monkeypatch, OCTOBER, on=BEFORE_CUTOFF)
    client = client_for(network.head_office)
    client.post(BANDS, {"a_share": "10", "b_share": "20", "c_share": "30", "d_share": "40"})

    page = client.get(BANDS).content.decode()
    assert 'value="2026-10-01"' in page and 'value="2026-09-01"' not in page  # closed: not offered
    refused = client.post(RERATE, {"months": ["2026-09-01"]})
    assert (
        refused.status_code == 400 and "a closed month keeps the ratings it was closed with" in refused.content.decode()
    )
    started = client.post(RERATE, {"months": ["2026-10-01"]})
    assert started.status_code == 302
    join_job_threads()  # the job runs in the background

    run = JobRun.objects.get(job="channels.rerate_health")
    assert (run.status, run.period, run.rows, run.started_by) == ("succeeded", "2026-10", 10, network.head_office)
    assert ratings(dealers, OCTOBER) == "ABBCCCDDDD" and ratings(dealers, SEPTEMBER) == "AABBBCCCCD"
    assert 'id="rerate-runs"' in client.get(BANDS).content.decode()


# -- the rating distribution per region ------------------------------------------------------------


def distribution(response) -> dict[str, dict[str, int]]:
    """The chart's dealers per region (trace name -> region -> count)."""
    html = response.content.decode()
    start = html.index(">", html.index('<script id="rating-distribution-data"')) + 1
    figure = json.loads(html[start : html.index("</script>", start)])
    return {trace["name"]: dict(zip(trace["y"], trace["customdata"], strict=True)) for trace in figure["data"]}


@pytest.fixture
def two_regions(network, monkeypatch, only_target):
    """October: 8 dealers in the home region (East), 4 in the foreign one (West), one peer group."""
    ranked_dealers(8, region=network.home_region)
    for target in (2, 4, 6, 9):
        dealer = DealerFactory(monthly_sales_target=target, region=network.foreign_region)
        sell(dealer, OCTOBER + dt.timedelta(days=2))
    compute(monkeypatch)


def test_the_chart_counts_each_regions_ratings_as_the_table_does(network, two_regions, client_for):
    client = client_for(network.head_office)
    chart = distribution(client.get(DASHBOARD))

    assert set(chart) == {"Rated A", "Rated B", "Rated C", "Rated D", "Not enough data"}
    for region in (network.home_region, network.foreign_region):
        for rating in ("A", "B", "C", "D"):
            table = client.get(TABLE, {"region": region.pk, "rating": rating})
            assert chart[f"Rated {rating}"][region.name] == table.context["paginator"].count, (region.name, rating)
    assert sum(count for counts in chart.values() for count in counts.values()) == HealthScore.objects.count() == 14


def test_a_regional_manager_sees_the_distribution_of_their_regions_only(network, two_regions, client_for):
    other = RegionFactory(code="NORTH", name="North")
    DealerFactory(region=other)
    response = client_for(network.regional_manager).get(DASHBOARD)
    chart = distribution(response)
    assert {region for counts in chart.values() for region in counts} == {"East"}
    html = response.content.decode()
    assert "Ratings under rating bands version 2" in html and "Rating distribution by region" in html
    assert 'id="rating-distribution-data"' not in client_for(network.dealer_user).get(DASHBOARD).content.decode()


def test_the_dashboard_says_when_newer_bands_are_in_force_and_the_cache_follows_a_rerate(
    network, two_regions, client_for
):
    client = client_for(network.head_office)
    assert "is in force now" not in client.get(DASHBOARD).content.decode()
    rating_bands_create(shares=shares(a="25", b="25", c="25", d="25"), created_by=None)
    assert "Version 3 is in force now" in client.get(DASHBOARD).content.decode()
    health_months_rerate(months=[OCTOBER])
    after = client.get(DASHBOARD)
    assert "rating bands version 3:" in after.content.decode()
    assert "Version 3 is in force now" not in after.content.decode()
    # 14 peers (the network's two dealers sold nothing: they tie last) at 25 % each: the
    # cumulative 3.5, 7 and 10.5 dealers rounded half up give 4 A, 3 B, 4 C, 3 D.
    assert after.context["counts"] == {"A": 4, "B": 3, "C": 4, "D": 3, "unrated": 0}


def test_without_scores_the_pages_show_an_empty_state(network, client_for):
    client = client_for(network.head_office)
    dashboard = client.get(DASHBOARD).content.decode()
    assert 'id="rating-distribution-data"' not in dashboard and "No health scores yet" in dashboard
    bands = client.get(BANDS).content.decode()
    assert "No open month has scores" in bands


def test_the_job_skips_a_month_closed_while_it_waited(monkeypatch, only_target):
    ranked_dealers(4)
    compute(monkeypatch, on=AFTER_CUTOFF)
    rating_bands_create(shares=shares(a="25", b="25", c="25", d="25"), created_by=None)
    run = health_months_rerate(months=[OCTOBER])
    assert (run.rows, run.status) == (0, "succeeded")
    assert set(HealthScore.objects.values_list("rating_bands__version", flat=True)) == {2}


def test_the_chart_and_the_bands_read_in_chinese(network, two_regions, client_for):
    client = client_for(network.head_office)
    with override_settings(LANGUAGE_CODE="zh-hans"):
        chart = distribution(client.get(DASHBOARD))
        page = client.get(BANDS).content.decode()
    assert set(chart) == {"评级 A", "评级 B", "评级 C", "评级 D", "数据不足"}
    assert "评级分档" in page and "同类经销商" in page
