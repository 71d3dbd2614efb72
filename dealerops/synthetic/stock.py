"""The stock-alert side of a generated network: head office's demo rules (thresholds a
carmaker's network team would start from) and the alerts the nightly run opens on the
generated stock as of the data's last day."""

from decimal import Decimal

from dealerops.synthetic.spec import NetworkSpec
from inventory.alerts import stock_alerts_run
from inventory.models import AlertKind, Powertrain, StockAlertRule

# (name, kind, threshold, segment): the association's warning line, two to three months of
# supply, a week of supply for models in demand, any unit over 90 days, a third of the mix.
DEMO_RULES = [
    ("库存系数超警戒线", AlertKind.OVERSTOCK_COEFFICIENT, "1.5", {}),
    ("库存超过 90 天销量", AlertKind.OVERSTOCK_DAYS_SUPPLY, "90", {}),
    ("高端车型库存超过 60 天销量", AlertKind.OVERSTOCK_DAYS_SUPPLY, "60", {"msrp_from": Decimal("300000")}),
    ("断货风险（不足 7 天）", AlertKind.STOCKOUT_RISK, "7", {}),
    ("纯电车型断货风险（不足 14 天）", AlertKind.STOCKOUT_RISK, "14", {"powertrain": Powertrain.BEV}),
    ("库龄超过 90 天", AlertKind.AGED_UNITS, "0", {}),
    ("车型结构偏离区域销量", AlertKind.MIX_DEVIATION, "0.35", {}),
    ("在途车辆超过预计到店日", AlertKind.OVERDUE_IN_TRANSIT, "0", {}),
]


def stock_alerts_build(spec: NetworkSpec) -> int:
    """Ensure the demo rules and run the alerts as of the data's last day; the alerts opened."""
    for name, kind, threshold, segment in DEMO_RULES:
        StockAlertRule.objects.update_or_create(
            name=name, defaults={"kind": kind, "threshold": Decimal(threshold), **segment}
        )
    return stock_alerts_run(as_of=spec.end_date).rows
