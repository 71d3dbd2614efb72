from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from channels.models import Dealer
from customers.filtersets import CustomerFilterSet
from customers.forms import ServiceVisitForm
from customers.models import Customer, Inquiry, ServiceVisit, mask_phone
from customers.services import service_visit_record
from dealerops.access import can_see_phone, scope
from dealerops.audit import AUDITED, HISTORY_PAGE, events_history, history_context
from dealerops.entry_views import EntryView
from dealerops.scoped_views import ScopedDetailView, ScopedListView, ScopedOptionsView
from dealerops.tables import Column
from inventory.models import Sale


class CustomerListView(ScopedListView):
    model = Customer
    filterset_class = CustomerFilterSet
    title = _("Customers")
    create_url_name = "customers:service-visit-create"
    columns = [
        Column(_("Name"), "name", order="name", link=True),
        Column(_("Phone"), "phone", kind="phone"),
        Column(_("City"), "city", order="city"),
        Column(_("Home dealer"), "home_dealer.name"),
        Column(_("Consents to marketing"), "marketing_consent"),
    ]

    def base_queryset(self):
        return Customer.objects.select_related("home_dealer")


class CustomerDetailView(ScopedDetailView):
    model = Customer
    template_name = "customers/customer_detail.html"

    def base_queryset(self):
        return Customer.objects.select_related("home_dealer")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user, customer = self.request.user, self.object
        context["phone"] = customer.phone if can_see_phone(user) else customer.masked_phone
        context["purchases"] = scope(user, Sale).filter(customer=customer).select_related("stock_unit__model")
        context["visits"] = scope(user, ServiceVisit).filter(customer=customer).select_related("dealer")[:50]
        context["inquiries"] = scope(user, Inquiry).filter(customer=customer)[:50]
        context.update(history_context(self.request, customer))
        # Service visits have no page of their own: their history is the customer's, for the
        # visits at dealers the user may see.
        visit_events = AUDITED["customers.ServiceVisit"].event_model.objects.filter(
            customer_id=customer.pk, dealer_id__in=scope(user, Dealer).values("pk")
        )
        context["visit_history"] = events_history(user, "customers.ServiceVisit", visit_events, limit=HISTORY_PAGE)
        return context


class ServiceVisitCreateView(EntryView):
    model = ServiceVisit
    form_class = ServiceVisitForm
    title = _("Record a service visit")
    success_message = _("The service visit has been recorded.")

    def save(self, form) -> Customer:
        data = form.cleaned_data
        visit = service_visit_record(
            dealer=form.chosen_dealer(),
            customer=data["customer"],
            visited_on=data["visited_on"],
            kind=data["kind"],
            amount=data["amount"],
            satisfaction=data["satisfaction"],
        )
        return visit.customer


class CustomerOptionsView(ScopedOptionsView):
    """Customers for the entry forms' picker: by name, or by phone digits for the roles that
    may read phones (the others could otherwise find a masked number digit by digit)."""

    model = Customer

    def base_queryset(self):
        return Customer.objects.order_by("name", "pk")

    def for_dealer(self, rows, dealer_id):
        return rows.filter(home_dealer_id=dealer_id)

    def search(self, rows, query):
        found = Q(name__icontains=query)
        digits = "".join(char for char in query if char.isdigit())
        if len(digits) >= 3 and can_see_phone(self.request.user):
            found |= Q(phone__contains=digits)
        return rows.filter(found)

    def option(self, customer):
        # The phone as the user's lists show it: whole to the dealer and head office, else masked.
        phone = customer.phone if can_see_phone(self.request.user) else mask_phone(customer.phone)
        return {"value": str(customer.pk), "label": f"{customer.name} · {phone}", "detail": customer.city}
