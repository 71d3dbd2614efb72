"""OpenAPI schema pieces of the project's own (drf-spectacular extensions, registered on import
by ``DealeropsConfig.ready``)."""

from drf_spectacular.contrib.django_filters import DjangoFilterExtension
from drf_spectacular.drainage import add_trace_message
from drf_spectacular.plumbing import get_manager, get_view_model


class FilterSetCopyExtension(DjangoFilterExtension):
    """The API's filter parameters, read from a FilterSet instance instead of the class.

    drf-spectacular's own extension reads each filter's form field from ``base_filters``;
    django-filter caches that field on the filter, and every later FilterSet copies it. A
    filter named after its model field (``payment``, ``status``) was then built without its
    model, so after the first look at /api/schema/ or /api/docs/ the list pages labelled it
    with the bare field name in English (Payment, Status) in every language."""

    priority = 1  # ahead of drf-spectacular's extension for the same backend

    def get_schema_operation_parameters(self, auto_schema, *args, **kwargs):
        model = get_view_model(auto_schema.view)
        if not model:
            return []
        filterset_class = self.target.get_filterset_class(auto_schema.view, get_manager(model).none())
        if not filterset_class:
            return []
        filterset = filterset_class(queryset=get_manager(model).none())
        result = []
        with add_trace_message(filterset_class):
            for field_name, filter_field in filterset.filters.items():
                result += self.resolve_filter_field(auto_schema, model, filterset_class, field_name, filter_field)
        return result
