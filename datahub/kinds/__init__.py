"""The kinds of file the data hub imports, by ``ImportKind``."""

from datahub.kinds.base import ImportSpec
from datahub.kinds.customers import CustomerImport
from datahub.kinds.leads import LeadImport
from datahub.kinds.loans import LoanImport
from datahub.kinds.sales import SaleImport
from datahub.kinds.stock import StockArrivalImport
from datahub.kinds.visits import ServiceVisitImport
from datahub.models import ImportKind

SPECS: dict[str, type[ImportSpec]] = {
    ImportKind.CUSTOMERS: CustomerImport,
    ImportKind.STOCK_ARRIVALS: StockArrivalImport,
    ImportKind.SALES: SaleImport,
    ImportKind.LOANS: LoanImport,
    ImportKind.LEADS: LeadImport,
    ImportKind.SERVICE_VISITS: ServiceVisitImport,
}
