"""The kinds of file the data hub imports, by ``ImportKind``."""

from datahub.kinds.base import ImportSpec
from datahub.kinds.city_markets import CityMarketImport
from datahub.kinds.customers import CustomerImport
from datahub.kinds.leads import LeadImport
from datahub.kinds.loans import LoanImport
from datahub.kinds.network_leads import NetworkLeadImport
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
    ImportKind.CITY_MARKETS: CityMarketImport,
    ImportKind.NETWORK_LEADS: NetworkLeadImport,
}


def kind_template(kind: str) -> tuple[list[str], list[str]]:
    """A kind's template file: its fields' labels (in the UI language) as the header row, and
    the kind's example row; a file headed so maps itself (the labels are accepted spellings)."""
    spec = SPECS[kind]
    return [str(field.label) for field in spec.fields], [spec.example[field.name] for field in spec.fields]
