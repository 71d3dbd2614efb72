"""Reads of transfers."""

from django.db.models import QuerySet

from inventory.models import StockUnit
from inventory.transfers.models import Transfer


def unit_transfers(unit: StockUnit) -> QuerySet[Transfer]:
    """A unit's transfers, newest first: the unit's page shows its moves between dealers."""
    return Transfer.objects.filter(stock_unit=unit).select_related("from_dealer", "to_dealer")
