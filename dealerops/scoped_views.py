"""Generic list and detail pages that read only through ``dealerops.access.scope``.

A record outside the user's scope is simply not in the queryset, so its detail page answers
404 and it never appears in a list, filter choice or export built on these views.
"""

from dataclasses import replace

from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.db.models import Model, QuerySet
from django.http import JsonResponse
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.views import View
from django.views.generic import DetailView
from django_filters.views import FilterView

from channels.models import Dealer, Region
from dealerops.access import can_view, can_write, role_of, scope
from dealerops.exports import export_format, export_name
from dealerops.filters import OrderingFilter, ScopedModelChoiceFilter
from dealerops.models import Role
from dealerops.pagination import Listing
from dealerops.tables import Column, export_response
from dealerops.validation import today


class ScopedMixin(LoginRequiredMixin):
    """Refuses roles that may not open the model at all, scopes everything else."""

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not can_view(request.user, self.model):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def base_queryset(self) -> QuerySet:
        """Override to add select_related/annotations; scoping is applied on top."""
        return self.model._default_manager.all()

    def get_queryset(self) -> QuerySet:
        return scope(self.request.user, self.base_queryset())


class ScopedListView(ScopedMixin, FilterView):
    """A filtered, sorted, paginated list; ``?export=csv`` or ``?export=xlsx`` downloads the same rows."""

    paginate_by = 50
    strict = False  # an invalid filter shows its error next to the field, not an empty page
    template_name = "includes/object_list.html"
    columns: list[Column] = []
    title = ""
    create_url_name: str | None = None  # the entry form, offered to users who may write
    create_label = _("New")
    # The ?ordering= value the base queryset's own order matches, marked on its column.
    default_ordering = ""
    # Columns (by accessor) only the page shows (e.g. a sentence written from the row's
    # figures) or only the export has (e.g. coordinates).
    export_hidden: tuple[str, ...] = ()
    page_hidden: tuple[str, ...] = ()

    def get(self, request, *args, **kwargs):
        fmt = export_format(request)
        if fmt is not None:
            filterset = self.get_filterset(self.get_filterset_class())
            rows = filterset.qs if filterset.is_valid() else self.get_queryset()
            title = self.export_title()
            name = export_name(title, today().isoformat())
            columns = self.export_columns()
            return export_response(fmt, name, columns, rows, request.user, request=request, sheet_title=str(title))
        return super().get(request, *args, **kwargs)

    def export_columns(self) -> list[Column]:
        return [column for column in self.columns if column.accessor not in self.export_hidden]

    def export_title(self):
        """The page's title (the model's plural name unless the view names it), lazily translated:
        the file is named in the UI language, its ASCII fallback in English."""
        return self.title or self.model._meta.verbose_name_plural

    def paginate_queryset(self, queryset, page_size):
        """A page whose cost does not grow with the list (``dealerops.pagination``)."""
        self.listing = Listing(queryset, self.request.GET, page_size)
        return None, None, self.listing.rows, self.listing.has_other_pages

    def get_filterset(self, filterset_class):
        filterset = super().get_filterset(filterset_class)
        if role_of(self.request.user) == Role.DEALER_USER:
            # A dealer user's own dealer and region are no choice: leave them off the filter form.
            for name, each in filterset.filters.items():
                if isinstance(each, ScopedModelChoiceFilter) and each.choice_model in (Dealer, Region):
                    filterset.form.fields.pop(name, None)
        return filterset

    def get_filterset_kwargs(self, filterset_class):
        kwargs = super().get_filterset_kwargs(filterset_class)
        kwargs["request"] = self.request
        return kwargs

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        export_query = self.request.GET.copy()
        export_query.pop("page", None)
        export_query.pop("export", None)
        context.update(
            listing=self.listing,
            summary=self.get_summary(context["filter"].qs if context["filter"].is_valid() else self.get_queryset()),
            columns=self.page_columns(),
            title=self.title or self.model._meta.verbose_name_plural.capitalize(),
            export_query=export_query.urlencode(),
            create_label=self.create_label,
            default_ordering=self.default_ordering,
            create_url=reverse(self.create_url_name)
            if self.create_url_name and can_write(self.request.user, self.model)
            else None,
        )
        return context

    def page_columns(self) -> list[Column]:
        """The page's columns: a dealer user's rows are all their own dealer's, so a column
        naming the dealer says nothing and costs a phone's width (exports keep it)."""
        columns = [column for column in self.columns if column.accessor not in self.page_hidden]
        if role_of(self.request.user) == Role.DEALER_USER:
            # A column that opens the row stays: on a list of dealers' scores it is the row's name.
            columns = [column for column in columns if column.link or not column.shows_dealer]
        ordering = self.filterset.filters.get("ordering")
        if isinstance(ordering, OrderingFilter):
            columns = [
                column
                if not column.order or ordering.offers(self.request.user, column.order)
                else replace(column, order=None)
                for column in columns
            ]
        return columns

    def get_summary(self, rows: QuerySet) -> list[tuple[str, str]]:
        """Figures over all filtered rows (not only this page) shown above the table."""
        return []


class ScopedDetailView(ScopedMixin, DetailView):
    pass


class ScopedOptionsView(ScopedMixin, View):
    """The options of a searchable picker (``dealerops.entry_forms.PickerInput``) as JSON:
    ``?q=`` what the user typed, ``?dealer=`` the dealer the form is for; at most ``limit``
    records of the user's scope, best first. Subclasses implement ``search`` and ``option``."""

    limit = 20

    def search(self, rows: QuerySet, query: str) -> QuerySet:
        raise NotImplementedError

    def option(self, record: Model) -> dict[str, str]:
        """{"value": what the form submits, "label": what the box shows, "detail": a hint, its
        parts joined by " · " (the picker shows it under the label, each part kept whole)}."""
        raise NotImplementedError

    def for_dealer(self, rows: QuerySet, dealer_id: int) -> QuerySet:
        return rows.filter(dealer_id=dealer_id)

    def get(self, request, *args, **kwargs):
        rows = self.get_queryset()
        dealer = request.GET.get("dealer", "")
        if dealer.isdigit():
            rows = self.for_dealer(rows, int(dealer))
        query = request.GET.get("q", "").strip()[:64]
        if query:
            rows = self.search(rows, query)
        return JsonResponse({"results": [self.option(record) for record in rows[: self.limit]]})
