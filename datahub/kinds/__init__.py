"""The kinds of file the data hub imports, by ``ImportKind``."""

from datahub.kinds.base import ImportSpec
from datahub.kinds.customers import CustomerImport
from datahub.kinds.sales import SaleImport
from datahub.kinds.stock import StockArrivalImport
from datahub.models import ImportKind

SPECS: dict[str, type[ImportSpec]] = {
    ImportKind.CUSTOMERS: CustomerImport,
    ImportKind.STOCK_ARRIVALS: StockArrivalImport,
    ImportKind.SALES: SaleImport,
}
