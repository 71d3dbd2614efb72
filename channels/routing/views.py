"""The routing's pages: a lead entered by hand, a lead's follow-up, the routing settings, the
lead pages with their QR codes, and the public lead page itself (no login)."""

from django.conf import settings
from django.contrib import messages
from django.core import signing
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views import View
from django.views.generic import FormView, TemplateView

from channels.models import Lead
from channels.routing.filtersets import LeadPageFilterSet
from channels.routing.forms import LeadFollowUpForm, LeadForm, LeadPageForm, PublicLeadForm, RoutingSettingsForm
from channels.routing.models import LeadPage, RoutingSettings
from channels.routing.qr import qr_png, qr_svg
from channels.routing.selectors import known_cities, lead_page_by_code
from channels.routing.services import (
    dealer_lead_pages_ensure,
    lead_create,
    lead_page_create,
    routing_settings_create,
    routing_settings_in_force,
)
from channels.services import lead_follow_up
from dealerops import ratelimit
from dealerops.access import can_view, can_write, scope
from dealerops.entry_views import EntryView
from dealerops.scoped_views import ScopedDetailView, ScopedListView, ScopedMixin
from dealerops.tables import Column

THANKS_SALT = "channels.public-lead-thanks"
THANKS_MAX_AGE = 3600  # the thank-you page's link works this long after the lead was left


class LeadCreateView(EntryView):
    """A lead entered by hand: head office's is routed at once, a dealer user's is its own."""

    model = Lead
    form_class = LeadForm
    title = _("New lead")

    def save(self, form) -> Lead:
        return lead_create(lead=form.new_lead())

    def get_success_message(self, lead: Lead) -> str:
        if lead.dealer is None:
            return gettext("Lead saved: no active dealer can take it yet; it is routed as soon as one can.")
        return gettext("Lead saved and assigned to %(dealer)s.") % {"dealer": lead.dealer.name}


class LeadFollowUpView(ScopedMixin, View):
    """POST on a lead's page: the dealer holding it records the first contact, the outcome
    or the sale it became. Out of scope 404, a reader's 403, bad input named by field."""

    model = Lead

    def post(self, request, pk: int):
        lead = get_object_or_404(self.get_queryset(), pk=pk)
        if not can_write(request.user, Lead):
            raise PermissionDenied
        form = LeadFollowUpForm(request.POST, lead=lead)
        if form.is_valid():
            try:
                lead_follow_up(lead=lead, **{key: value for key, value in form.cleaned_data.items() if value})
            except ValidationError as error:
                form.add_service_errors(error)
        if form.errors:
            for field, errors in form.errors.items():
                label = form.fields[field].label if field in form.fields else ""
                for error in errors:
                    messages.error(request, f"{label}：{error}" if label else error)
        else:
            messages.success(request, gettext("Follow-up recorded."))
        return redirect(lead.get_absolute_url())


class RoutingSettingsView(ScopedMixin, TemplateView):
    """The routing settings in force and every version before; head office adds a version."""

    model = RoutingSettings
    template_name = "channels/routing_settings.html"

    def get_context_data(self, form=None, **kwargs):
        current = routing_settings_in_force()
        can_edit = can_write(self.request.user, RoutingSettings)
        return super().get_context_data(
            current=current,
            versions=RoutingSettings.objects.select_related("created_by")[:20],
            form=(form or RoutingSettingsForm(current=current)) if can_edit else None,
            **kwargs,
        )

    def post(self, request, *args, **kwargs):
        if not can_write(request.user, RoutingSettings):
            raise PermissionDenied
        form = RoutingSettingsForm(request.POST, current=routing_settings_in_force())
        if form.is_valid():
            try:
                created = routing_settings_create(created_by=request.user, **form.cleaned_data)
            except ValidationError as error:
                form.add_service_errors(error)
            else:
                messages.success(
                    request,
                    gettext("Routing settings version %(version)s is in force for new leads.")
                    % {"version": created.version},
                )
                return redirect("channels:routing-settings")
        return self.render_to_response(self.get_context_data(form=form), status=400)


class LeadPageListView(ScopedListView):
    """The lead pages the user may see, each with its URL and QR code; head office adds a
    campaign's page, or gives every active dealer without one its page."""

    model = LeadPage
    filterset_class = LeadPageFilterSet
    template_name = "channels/lead_page_list.html"
    title = _("Lead pages")
    paginate_by = 24
    columns = [
        Column(_("Name"), "name", link=True),
        Column(_("Code"), "code"),
        Column(_("Dealer"), "dealer.name", export=("dealer__name",)),
        Column(_("Region"), "region.name", export=("region__name",)),
        Column(_("Model of interest"), "model_of_interest.series", export=("model_of_interest__series",)),
        Column(_("Active"), "active"),
    ]

    def base_queryset(self):
        return LeadPage.objects.select_related("dealer", "region", "model_of_interest")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        can_edit = can_write(self.request.user, LeadPage)
        context.update(
            cards=[(page, self.request.build_absolute_uri(page.public_path())) for page in context["object_list"]],
            qr_codes={
                page.pk: qr_svg(self.request.build_absolute_uri(page.public_path()), scale=2)
                for page in context["object_list"]
            },
            form=kwargs.get("form") or (LeadPageForm(user=self.request.user) if can_edit else None),
            can_edit=can_edit,
        )
        return context

    def post(self, request, *args, **kwargs):
        if not can_write(request.user, LeadPage):
            raise PermissionDenied
        if request.POST.get("action") == "dealer-pages":
            created = dealer_lead_pages_ensure(created_by=request.user)
            messages.success(request, gettext("%(count)s dealer pages created.") % {"count": created})
            return redirect("channels:lead-page-list")
        form = LeadPageForm(request.POST, user=request.user)
        if form.is_valid():
            try:
                page = lead_page_create(created_by=request.user, **form.cleaned_data)
            except ValidationError as error:
                form.add_service_errors(error)
            else:
                messages.success(request, gettext("Lead page “%(name)s” created.") % {"name": page.name})
                return redirect(page.get_absolute_url())
        for field, errors in form.errors.items():
            label = form.fields[field].label if field in form.fields else ""
            for error in errors:
                messages.error(request, f"{label}：{error}" if label else error)
        return redirect("channels:lead-page-list")


class LeadPageDetailView(ScopedDetailView):
    """One lead page: its URL, its QR code to print, its latest leads; head office switches
    it off (its URL then answers 404) or on again."""

    model = LeadPage
    template_name = "channels/lead_page_detail.html"

    def base_queryset(self):
        return LeadPage.objects.select_related("dealer", "region", "model_of_interest", "created_by")

    def get_context_data(self, **kwargs):
        page = self.object
        url = self.request.build_absolute_uri(page.public_path())
        return super().get_context_data(
            url=url,
            qr=qr_svg(url, scale=6),
            leads=scope(self.request.user, Lead).filter(lead_page=page).select_related("dealer")[:10],
            can_see_leads=can_view(self.request.user, Lead),
            can_edit=can_write(self.request.user, LeadPage),
            **kwargs,
        )

    def post(self, request, *args, **kwargs):
        page = self.get_object()  # 404 outside the scope
        if not can_write(request.user, LeadPage):
            raise PermissionDenied
        LeadPage.objects.filter(pk=page.pk).update(active=not page.active)
        messages.success(request, gettext("Page switched off.") if page.active else gettext("Page switched on."))
        return redirect(page.get_absolute_url())


class LeadPageQRView(ScopedDetailView):
    """The page's QR code as a PNG to print (a poster, a showroom stand)."""

    model = LeadPage

    def get(self, request, *args, **kwargs):
        page = self.get_object()
        response = HttpResponse(qr_png(request.build_absolute_uri(page.public_path())), content_type="image/png")
        response["Content-Disposition"] = f'attachment; filename="lead-page-{page.code}.png"'
        return response


# -- the public lead page (no login) -------------------------------------------------------------


class PublicLeadView(FormView):
    """Anyone who scans a lead page's QR code leaves their details here, without logging in:
    the lead is created and routed, and the thank-you page names the store that will call.
    Each client address (and each page) may post only so often (``dealerops.ratelimit``)."""

    form_class = PublicLeadForm
    template_name = "channels/public/lead_page.html"

    def dispatch(self, request, *args, **kwargs):
        self.page = lead_page_by_code(kwargs["code"])
        if self.page is None:
            raise Http404
        return super().dispatch(request, *args, **kwargs)

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "page": self.page}

    def get_context_data(self, **kwargs):
        return super().get_context_data(page=self.page, cities=known_cities(), **kwargs)

    def post(self, request, *args, **kwargs):
        window = settings.LEAD_PAGE_WINDOW_MINUTES * 60
        wait = ratelimit.hit(
            f"lead-page:address:{ratelimit.client_address(request)}",
            limit=settings.LEAD_PAGE_POSTS_PER_ADDRESS,
            seconds=window,
        ) or ratelimit.hit(f"lead-page:page:{self.page.code}", limit=settings.LEAD_PAGE_POSTS_PER_PAGE, seconds=window)
        if wait is not None:
            response = render(
                request,
                "channels/public/refused.html",
                {"page": self.page, "minutes": max(1, round(wait / 60))},
                status=429,
            )
            response["Retry-After"] = str(wait)
            return response
        return super().post(request, *args, **kwargs)

    def form_valid(self, form):
        try:
            lead = lead_create(lead=form.new_lead(self.page))
        except ValidationError as error:
            for field, errors in error.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
            return self.form_invalid(form)
        token = signing.dumps(lead.pk, salt=THANKS_SALT)
        return redirect("channels:public-lead-thanks", code=self.page.code, token=token)


class PublicThanksView(TemplateView):
    """The thank-you page: which store will call and by when. Its link is signed and expires,
    so it names the store of that lead alone."""

    template_name = "channels/public/thanks.html"

    def get_context_data(self, **kwargs):
        page = lead_page_by_code(kwargs["code"])
        try:
            lead_id = signing.loads(kwargs["token"], salt=THANKS_SALT, max_age=THANKS_MAX_AGE)
        except signing.BadSignature:
            raise Http404 from None
        lead = Lead.objects.filter(pk=lead_id, lead_page=page).select_related("dealer").first()
        if page is None or lead is None:
            raise Http404
        due = timezone.localtime(lead.sla_due_at) if lead.sla_due_at else None
        return super().get_context_data(page=page, dealer=lead.dealer, due=due, **kwargs)
