import django_filters
from django.utils.translation import gettext_lazy as _

from channels.models import Dealer
from datahub.models import ImportBatch
from dealerops.access import role_of
from dealerops.filters import OrderingFilter, ScopedModelChoiceFilter, SearchFilter
from dealerops.models import Role


class ImportBatchFilterSet(django_filters.FilterSet):
    """Shared by the imports page and /api/v1/imports/."""

    q = SearchFilter(search_fields=["file_name", "system_name"])
    dealer = ScopedModelChoiceFilter(model=Dealer, label=_("Dealer"))
    ordering = OrderingFilter(
        fields=(("created_at", "uploaded"), ("rows_total", "rows"), ("rows_error", "errors"), ("status", "status"))
    )

    class Meta:
        model = ImportBatch
        fields = ["q", "status", "kind", "source", "dealer"]

    def __init__(self, *args, request=None, **kwargs):
        super().__init__(*args, request=request, **kwargs)
        # A dealer user sees only its own dealer's imports: a dealer choice would say nothing.
        user = getattr(request, "user", None)
        if user is not None and role_of(user) == Role.DEALER_USER:
            del self.filters["dealer"]
