import django_filters
from django.utils.translation import gettext_lazy as _

from channels.admission.models import ApplicationStatus, DealerApplication
from channels.models import Region
from dealerops.filters import OrderingFilter, ScopedModelChoiceFilter, SearchFilter


class ApplicationFilterSet(django_filters.FilterSet):
    q = SearchFilter(search_fields=["outlet_name", "company_name", "licence_number", "city"])
    status = django_filters.ChoiceFilter(choices=ApplicationStatus.choices, label=_("Status"))
    region = ScopedModelChoiceFilter(model=Region, field_name="parent__region", label=_("Region"))
    ordering = OrderingFilter(
        fields=(("created_at", "created_at"), ("submitted_at", "submitted_at")),
        field_labels={"created_at": _("Filed at"), "submitted_at": _("Submitted at")},
    )

    class Meta:
        model = DealerApplication
        fields = ["q", "status", "region", "ordering"]
