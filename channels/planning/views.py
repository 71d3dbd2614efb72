from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect
from django.utils.html import json_script
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.generic import FormView, TemplateView

from channels.filtersets import (
    CityMarketFilterSet,
    OverlapFilterSet,
    RecommendationFilterSet,
    ScenarioFilterSet,
    TradeAreaFilterSet,
    WhiteSpotFilterSet,
)
from channels.models import (
    CityMarket,
    Dealer,
    OutletOverlap,
    PlanningRun,
    PlanningSettings,
    Recommendation,
    Scenario,
    ScenarioStatus,
    TradeArea,
    WhiteSpot,
)
from channels.planning.charts import planning_map_figure
from channels.planning.decisions import dealer_decide
from channels.planning.forms import (
    CityMarketForm,
    DealerDecisionForm,
    PlanningSettingsForm,
    ScenarioDecisionForm,
    ScenarioForm,
)
from channels.planning.huff import PUBLISHED_EXPONENT
from channels.planning.markets import city_market_save
from channels.planning.scenarios import scenario_create, scenario_decide
from channels.planning.selectors import (
    PLAN_JOB,
    city_market_figures,
    latest_run,
    plan_running,
    planning_figures,
    scenario_effects,
)
from channels.planning.services import planning_settings_create, planning_settings_in_force
from dealerops.access import can_view, can_write, scope
from dealerops.audit import history_context
from dealerops.entry_views import EntryView, RecordEntryView
from dealerops.formats import format_count
from dealerops.jobs import job_start
from dealerops.schedules import NIGHTLY_JOBS
from dealerops.scoped_views import ScopedDetailView, ScopedListView, ScopedMixin
from dealerops.tables import Column
from dealerops.validation import today

PLAN_NIGHTLY_JOB = next(job for job in NIGHTLY_JOBS if job.name == PLAN_JOB)


class CityMarketListView(ScopedListView):
    """The market table: head office's whole, a regional manager's regions; head office adds
    a city here, or imports the table."""

    model = CityMarket
    filterset_class = CityMarketFilterSet
    template_name = "channels/city_market_list.html"
    title = _("City markets")
    create_url_name = "channels:market-create"
    create_label = _("Add a city market")
    columns = [
        Column(_("City"), "city", order="city", link=True),
        Column(_("Province"), "province", order="province"),
        Column(_("Region"), "region.name"),
        Column(_("Year"), "year"),
        Column(_("Population"), "population", kind="number", order="population"),
        Column(_("Households"), "households", kind="number"),
        Column(_("Disposable income per capita"), "disposable_income", kind="money", order="disposable_income"),
        Column(_("Vehicles per 1,000 people"), "vehicles_per_1000", kind="number", order="vehicles_per_1000"),
        Column(_("New-energy share"), "nev_share", kind="rate", order="nev_share"),
        Column(_("Market capacity"), "capacity_units", kind="number", order="capacity_units"),
        Column(_("New-energy capacity"), "nev_capacity_units", kind="number"),
        Column(_("Our units sold"), "units_sold", kind="number", order="units_sold"),
        Column(_("Our penetration"), "penetration", kind="rate", order="penetration"),
    ]

    def base_queryset(self):
        return CityMarket.objects.select_related("region")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        # Head office keeps the table: it may import it too (the data hub's city market kind).
        context["can_import"] = can_write(self.request.user, CityMarket)
        return context


class CityMarketDetailView(ScopedDetailView):
    """A city's capacity with its formula and inputs, and our penetration."""

    model = CityMarket
    template_name = "channels/city_market_detail.html"
    context_object_name = "market"

    def base_queryset(self):
        return CityMarket.objects.select_related("region")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["figures"] = city_market_figures(self.object)
        context["can_edit"] = can_write(self.request.user, CityMarket)
        context.update(history_context(self.request, self.object))
        return context


class CityMarketSaving:
    """The save of both market forms: one service call, which stores the capacity the inputs make."""

    model = CityMarket
    form_class = CityMarketForm

    def save(self, form) -> CityMarket:
        return city_market_save(market=getattr(self, "object", None), **form.values())

    def get_success_message(self, record: CityMarket) -> str:
        return _("The market of %(city)s in %(year)s is saved: a capacity of %(units)s new cars a year.") % {
            "city": record.city,
            "year": record.year,
            "units": format_count(record.capacity_units),
        }


class CityMarketCreateView(CityMarketSaving, EntryView):
    title = _("Add a city market")


class CityMarketEditView(CityMarketSaving, RecordEntryView):
    """Head office changes a city's figures; a regional manager reads them (403), and a city
    outside their regions is not found (404)."""

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "market": self.object}

    def get_context_data(self, **kwargs):
        title = _("Change the market of %(city)s in %(year)s") % {"city": self.object.city, "year": self.object.year}
        return {**super().get_context_data(**kwargs), "title": title}


class PlanningView(ScopedMixin, TemplateView):
    """The network plan's latest run: its totals, the decay fitted beside the published one,
    the map, and the recommendations, overlaps and white spots at the top of their lists;
    head office starts a new run here."""

    model = PlanningRun
    template_name = "channels/planning.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        run = latest_run(user)
        context.update(
            run=run,
            running=plan_running(),
            can_run=can_write(user, PlanningRun),
            can_what_if=can_view(user, Scenario),
            published_exponent=PUBLISHED_EXPONENT,
        )
        if run is None:
            return context
        figures = planning_figures(user, run)
        context.update(
            figures=figures,
            recommendation_columns=[
                column
                for column in RecommendationListView.columns
                if column.accessor not in RecommendationListView.page_hidden
            ],
            map_script=json_script(planning_map_figure(**figures.map_rows()), "planning-map-data"),
        )
        return context

    def post(self, request, *args, **kwargs):
        if not can_write(request.user, PlanningRun):
            raise PermissionDenied
        if plan_running():
            messages.info(
                request, gettext("A plan is being computed already; its result appears here when it finishes.")
            )
        else:
            job_start(job=PLAN_NIGHTLY_JOB, as_of=today(), started_by_id=request.user.pk)
            messages.success(request, gettext("The plan is being computed; reload this page in a minute to see it."))
        return redirect("channels:planning")


class LatestRunListView(ScopedListView):
    """A list of the latest run's rows (the user's scope of them)."""

    def base_queryset(self):
        # No run yet: rows of no run (an empty list whose export still compiles to SQL).
        return self.model.objects.filter(run=latest_run(self.request.user))


class RecommendationListView(LatestRunListView):
    model = Recommendation
    filterset_class = RecommendationFilterSet
    title = _("Network recommendations")
    columns = [
        Column(_("Recommendation"), "kind", kind="choice", order="kind"),
        Column(_("Region"), "region.name", export=("region__name",)),
        Column(_("City"), "near_city", order="near_city"),
        Column(_("Outlet"), "dealer.name", link="dealer", export=("dealer__name",), empty=_("new site")),
        Column(_("Other outlet"), "other.name", link="other", export=("other__name",)),
        Column(_("Units a year at stake"), "units", kind="number", order="units"),
        Column(_("Share at stake"), "share", kind="rate", order="share"),
        Column(_("Why"), "reason"),
        Column(_("Latitude"), "latitude", kind="number"),
        Column(_("Longitude"), "longitude", kind="number"),
    ]
    page_hidden = ("latitude", "longitude")
    export_hidden = ("reason",)  # written from its figures in the reader's language: the page's

    def base_queryset(self):
        return super().base_queryset().select_related("region", "dealer", "other")


class OverlapListView(LatestRunListView):
    model = OutletOverlap
    filterset_class = OverlapFilterSet
    title = _("Overlapping outlets")
    columns = [
        Column(_("Outlet"), "first.name", link="first", export=("first__name",)),
        Column(_("City"), "first.city", export=("first__city",)),
        Column(_("Neighbour"), "second.name", link="second", export=("second__name",)),
        Column(_("Neighbour's city"), "second.city", export=("second__city",)),
        Column(_("Share of the outlet's demand"), "first_share", kind="rate", order="first_share"),
        Column(_("Share of the neighbour's demand"), "second_share", kind="rate", order="second_share"),
        Column(_("Shared demand a year"), "shared_units", kind="number", order="shared_units"),
        Column(_("Distance (km)"), "distance_km", kind="number", order="distance_km"),
    ]

    def base_queryset(self):
        return super().base_queryset().select_related("first", "second")


class WhiteSpotListView(LatestRunListView):
    model = WhiteSpot
    filterset_class = WhiteSpotFilterSet
    title = _("White spots")
    columns = [
        Column(_("Rank"), "rank", kind="number", order="rank"),
        Column(_("Nearest city"), "near_city", order="near_city"),
        Column(_("Region"), "region.name", export=("region__name",)),
        Column(_("Capacity a year"), "capacity_units", kind="number", order="capacity_units"),
        Column(_("Cells"), "cells", kind="number", order="cells"),
        Column(_("To the nearest outlet (road km)"), "nearest_km", kind="number", order="nearest_km"),
        Column(_("Latitude"), "latitude", kind="number"),
        Column(_("Longitude"), "longitude", kind="number"),
    ]

    def base_queryset(self):
        return super().base_queryset().select_related("region")


class TradeAreaListView(LatestRunListView):
    model = TradeArea
    filterset_class = TradeAreaFilterSet
    title = _("Trade areas")
    columns = [
        Column(_("Dealer"), "dealer.name", link="dealer", export=("dealer__name",)),
        Column(_("City"), "dealer.city", export=("dealer__city",)),
        Column(_("Region"), "dealer.region.name", export=("dealer__region__name",)),
        Column(_("Rating"), "rating", order="rating"),
        Column(_("Attraction"), "attraction", kind="number", order="attraction"),
        Column(_("Trade-area demand a year"), "demand_units", kind="number", order="demand_units"),
        Column(_("Units sold in the period"), "sold_units", kind="number", order="sold_units"),
        Column(_("Our capture of the demand"), "capture", kind="rate", order="capture"),
        Column(_("Largest overlap"), "overlap_share", kind="rate", order="overlap_share"),
    ]

    def base_queryset(self):
        return super().base_queryset().select_related("dealer__region")


class ScenarioListView(ScopedListView):
    """Head office's saved what-if scenarios, newest first; pick some to compare."""

    model = Scenario
    filterset_class = ScenarioFilterSet
    title = _("What-if scenarios")
    template_name = "channels/scenario_list.html"
    create_url_name = "channels:scenario-create"
    create_label = _("New scenario")
    columns = [
        Column(_("Scenario"), "name", order="name", link=True),
        Column(_("Market year"), "run.year", export=("run__year",)),
        Column(_("Our units a month before"), "units_before", kind="number"),
        Column(_("Our units a month after"), "units_after", kind="number"),
        Column(_("Our leads a month before"), "leads_before", kind="number"),
        Column(_("Our leads a month after"), "leads_after", kind="number"),
        Column(_("Uncovered demand before"), "uncovered_before", kind="number"),
        Column(_("Uncovered demand after"), "uncovered_after", kind="number"),
        Column(_("Decision"), "status", kind="choice", order="status"),
        Column(_("Created by"), "created_by.username", export=("created_by__username",)),
        Column(_("Created at"), "created_at", order="created_at"),
    ]
    default_ordering = "-created_at"

    def base_queryset(self):
        return Scenario.objects.select_related("run", "created_by")


class ScenarioCreateView(EntryView):
    """A new what-if on the latest plan run: computed when saved (under two seconds for the
    national network), then shown with its effects."""

    model = Scenario
    form_class = ScenarioForm
    template_name = "channels/scenario_form.html"
    title = _("New what-if scenario")

    def save(self, form) -> Scenario:
        run = latest_run(self.request.user)
        if run is None:
            raise ValidationError(gettext("No plan has been computed yet: compute the plan first."))
        data = form.cleaned_data
        return scenario_create(
            user=self.request.user, run=run, name=data["name"], note=data["note"], changes=form.changes()
        )

    def get_success_message(self, record: Scenario) -> str:
        return gettext("The scenario “%(name)s” is computed.") % {"name": record.name}


class ScenarioDetailView(ScopedDetailView):
    """A scenario's changes and what they do to each outlet around them; head office records
    its decision here."""

    model = Scenario
    template_name = "channels/scenario_detail.html"
    context_object_name = "scenario"

    def base_queryset(self):
        return Scenario.objects.select_related("run", "created_by", "decided_by")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        scenario = self.object
        context.update(
            changes=scenario.changes.select_related("dealer"),
            effects=scenario_effects(scenario),
            decision_form=kwargs.get("decision_form") or ScenarioDecisionForm(),
            can_decide=can_write(self.request.user, Scenario) and scenario.status == ScenarioStatus.DRAFT,
        )
        return context

    def post(self, request, *args, **kwargs):
        self.object = self.get_object()
        if not can_write(request.user, Scenario):
            raise PermissionDenied
        form = ScenarioDecisionForm(request.POST)
        if form.is_valid():
            try:
                scenario_decide(
                    scenario=self.object,
                    user=request.user,
                    status=form.cleaned_data["status"],
                    note=form.cleaned_data["decision_note"],
                )
            except ValidationError as error:
                form.add_service_errors(error)
            else:
                messages.success(request, gettext("The decision is recorded."))
                return redirect(self.object.get_absolute_url())
        return self.render_to_response(self.get_context_data(decision_form=form), status=400)


class ScenarioCompareView(ScopedMixin, TemplateView):
    """Chosen scenarios side by side: what each changes and what it does to our units, leads
    and uncovered demand."""

    model = Scenario
    template_name = "channels/scenario_compare.html"
    limit = 4

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        chosen = [int(value) for value in self.request.GET.getlist("scenario") if value.isdigit()][: self.limit]
        found = self.get_queryset().filter(pk__in=chosen).select_related("run").prefetch_related("changes__dealer")
        context["scenarios"] = sorted(found, key=lambda scenario: chosen.index(scenario.pk))  # in the order chosen
        context["limit"] = self.limit
        return context


class DealerDecisionView(RecordEntryView):
    """Head office puts an outlet on probation, ends it, or exits the outlet, with its reason
    (``?kind=``, ``?recommendation=``, ``?scenario=`` come from the link that opened it)."""

    model = Dealer
    form_class = DealerDecisionForm
    template_name = "includes/entry_form.html"

    def get_initial(self):
        query = self.request.GET
        return {name: query.get(name) for name in ("kind", "recommendation", "scenario") if query.get(name)}

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "dealer": self.object}

    def get_context_data(self, **kwargs):
        title = _("Decide on %(dealer)s (%(status)s)") % {
            "dealer": self.object.name,
            "status": self.object.get_status_display(),
        }
        return {**super().get_context_data(**kwargs), "title": title}

    def save(self, form) -> Dealer:
        data = form.cleaned_data
        dealer_decide(
            dealer=self.object,
            user=self.request.user,
            kind=data["kind"],
            reason=data["reason"],
            recommendation=data["recommendation"],
            scenario=data["scenario"],
        )
        self.object.refresh_from_db()
        return self.object

    def get_success_message(self, record: Dealer) -> str:
        return gettext("The decision is recorded: %(dealer)s is now %(status)s.") % {
            "dealer": record.name,
            "status": record.get_status_display(),
        }


class PlanningSettingsView(ScopedMixin, FormView):
    """The plan's settings: the version in force and those before it, for head office and the
    regional managers to read; head office adds a version (it applies from the next run)."""

    model = PlanningSettings
    form_class = PlanningSettingsForm
    template_name = "channels/planning_settings.html"

    def post(self, request, *args, **kwargs):
        if not can_write(request.user, PlanningSettings):
            raise PermissionDenied
        return super().post(request, *args, **kwargs)

    def get_initial(self):
        current = planning_settings_in_force()
        return {name: getattr(current, name) for name in PlanningSettingsForm.names}

    def get_context_data(self, **kwargs):
        return {
            **super().get_context_data(**kwargs),
            "title": _("Planning settings"),
            "versions": scope(self.request.user, PlanningSettings).select_related("created_by"),
            "can_edit": can_write(self.request.user, PlanningSettings),
        }

    def form_valid(self, form):
        values = {name: form.cleaned_data[name] for name in PlanningSettingsForm.names}
        try:
            record = planning_settings_create(created_by=self.request.user, note=form.cleaned_data["note"], **values)
        except ValidationError as error:
            form.add_service_errors(error)
            return self.form_invalid(form)
        messages.success(
            self.request,
            gettext("Planning settings version %(version)s is in force from the next plan run.")
            % {"version": record.version},
        )
        return redirect("channels:planning-settings")
