"""Generic list and detail pages that read only through ``dealerops.access.scope``.

A record outside the user's scope is simply not in the queryset, so its detail page answers
404 and it never appears in a list, filter choice or export built on these views.
"""

from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.views.generic import DetailView
from django_filters.views import FilterView

from dealerops.access import can_view, can_write, scope
from dealerops.exports import export_format, export_name
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

    def get(self, request, *args, **kwargs):
        fmt = export_format(request)
        if fmt is not None:
            filterset = self.get_filterset(self.get_filterset_class())
            rows = filterset.qs if filterset.is_valid() else self.get_queryset()
            title = self.export_title()
            name = export_name(title, today().isoformat())
            return export_response(fmt, name, self.columns, rows, request.user, request=request, sheet_title=str(title))
        return super().get(request, *args, **kwargs)

    def export_title(self):
        """The page's title (the model's plural name unless the view names it), lazily translated:
        the file is named in the UI language, its ASCII fallback in English."""
        return self.title or self.model._meta.verbose_name_plural

    def get_filterset_kwargs(self, filterset_class):
        kwargs = super().get_filterset_kwargs(filterset_class)
        kwargs["request"] = self.request
        return kwargs

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        query = self.request.GET.copy()
        query.pop("page", None)
        context["query_without_page"] = query.urlencode()
        export_query = self.request.GET.copy()
        export_query.pop("page", None)
        export_query.pop("export", None)
        context.update(
            summary=self.get_summary(context["filter"].qs if context["filter"].is_valid() else self.get_queryset()),
            columns=self.columns,
            title=self.title or self.model._meta.verbose_name_plural.capitalize(),
            export_query=export_query.urlencode(),
            create_label=self.create_label,
            default_ordering=self.default_ordering,
            create_url=reverse(self.create_url_name)
            if self.create_url_name and can_write(self.request.user, self.model)
            else None,
        )
        return context

    def get_summary(self, rows: QuerySet) -> list[tuple[str, str]]:
        """Figures over all filtered rows (not only this page) shown above the table."""
        return []


class ScopedDetailView(ScopedMixin, DetailView):
    pass
