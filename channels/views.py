from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from channels.filtersets import DealerFilterSet, LeadFilterSet
from channels.inspections.views import dealer_inspection_context
from channels.models import Dealer, Lead, LeadPage, RoutingSettings
from channels.planning.selectors import dealer_network_context
from channels.routing.forms import LeadFollowUpForm
from channels.routing.selectors import routing_explanation
from channels.selectors import dealer_figures
from dealerops.access import can_see_phone, can_view, can_write, scope
from dealerops.audit import history_context
from dealerops.scoped_views import ScopedDetailView, ScopedListView, ScopedOptionsView
from dealerops.tables import Column
from dealerops.validation import today
from inventory.models import Sale


class DealerListView(ScopedListView):
    model = Dealer
    filterset_class = DealerFilterSet
    title = _("Dealers")
    columns = [
        Column(_("Code"), "code", order="code", link=True),
        Column(_("Name"), "name", order="name", link=True),
        Column(_("Kind"), "kind", kind="choice"),
        Column(_("Status"), "status", kind="choice"),
        Column(_("Region"), "region.name", order="region"),
        Column(_("Province"), "province"),
        Column(_("City"), "city", order="city"),
        Column(_("Sales staff"), "sales_headcount", kind="number"),
        Column(_("Monthly target"), "monthly_sales_target", kind="number", order="monthly_sales_target"),
    ]

    def base_queryset(self):
        return Dealer.objects.select_related("region")


class DealerDetailView(ScopedDetailView):
    model = Dealer
    template_name = "channels/dealer_detail.html"

    def base_queryset(self):
        return Dealer.objects.select_related("region", "parent")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        dealer = self.object
        context["figures"] = dealer_figures(dealer, today())
        context["latest_sales"] = (
            scope(self.request.user, Sale).filter(dealer=dealer).select_related("stock_unit__model", "customer")[:10]
        )
        context["secondary_dealers"] = scope(self.request.user, Dealer).filter(parent=dealer)
        context.update(dealer_network_context(self.request.user, dealer))
        context.update(dealer_inspection_context(self.request, dealer))
        return context


class LeadListView(ScopedListView):
    """Leads of the user's scope; the dealer health page links here for its lead metrics.
    Its sub-pages: the escalated leads, the lead pages and the routing settings."""

    model = Lead
    filterset_class = LeadFilterSet
    template_name = "channels/lead_list.html"
    title = _("Leads")
    create_url_name = "channels:lead-create"
    create_label = _("New lead")
    columns = [
        Column(_("Created at"), "created_at", order="created_at", link=True),
        Column(_("Dealer"), "dealer.name", export=("dealer__name",)),
        Column(_("Source"), "source", kind="choice"),
        Column(_("Customer city"), "customer_city"),
        Column(_("Assigned at"), "assigned_at"),
        Column(_("Contact due by"), "sla_due_at"),
        Column(_("First contact at"), "first_contact_at", order="first_contact_at"),
        Column(_("Outcome"), "outcome", kind="choice"),
    ]

    def base_queryset(self):
        return Lead.objects.select_related("dealer")

    def get_context_data(self, **kwargs):
        user = self.request.user
        return super().get_context_data(
            can_see_pages=can_view(user, LeadPage), can_see_settings=can_view(user, RoutingSettings), **kwargs
        )


class LeadDetailView(ScopedDetailView):
    """A lead, why it is with its dealer (the routing's candidates and every re-assignment),
    the follow-up form for the dealer holding it, and its audit trail."""

    model = Lead
    template_name = "channels/lead_detail.html"

    def base_queryset(self):
        return Lead.objects.select_related("dealer", "model_of_interest", "converted_sale", "lead_page")

    def get_context_data(self, **kwargs):
        lead, user = self.object, self.request.user
        context = super().get_context_data(**kwargs)
        context.update(
            routing=routing_explanation(lead, user),
            follow_up=LeadFollowUpForm(lead=lead) if can_write(user, Lead) and lead.dealer_id else None,
            can_see_phone=can_see_phone(user),
            **history_context(self.request, lead),
        )
        return context


class DealerOptionsView(ScopedOptionsView):
    """Dealers for the lists' dealer filter: by the start of the code or part of the name or
    city, in code order, each with its city and region."""

    model = Dealer

    def base_queryset(self):
        return Dealer.objects.select_related("region").order_by("code")

    def for_dealer(self, rows, dealer_id):
        return rows.filter(pk=dealer_id)

    def search(self, rows, query):
        return rows.filter(Q(code__istartswith=query) | Q(name__icontains=query) | Q(city__icontains=query))

    def option(self, dealer):
        return {"value": str(dealer.pk), "label": str(dealer), "detail": f"{dealer.city} · {dealer.region.name}"}
