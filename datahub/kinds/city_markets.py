"""Head office's city market table (statistical bulletins: population, households, income, car
ownership, the new-energy share), upserted by city and year. A network file, of no dealer:
the writers of ``channels.CityMarket`` import it. Each row is checked by the market's own rules
(``channels.planning.markets.city_market_refusals``) and stored with the capacity
``market_capacity`` computes from it, as the market form stores it."""

import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from channels.models import CityMarket, Region
from channels.planning.markets import city_market_capacity_columns, city_market_refusals
from datahub.kinds.base import CheckedRow, Field, ImportSpec, optional
from datahub.models import ImportKind
from dealerops.bulk import bulk_upsert
from dealerops.tabular import cell_amount, cell_integer, cell_text, normalise_header

COORDINATE_PLACES = Decimal("0.000001")
VEHICLE_PLACES = Decimal("0.01")
SHARE_PLACES = Decimal("0.0001")  # as the table stores a share: 45.25 %
TEN_THOUSAND = re.compile(r"^(?P<number>\d+(?:\.\d+)?)\s*万(?:人|户)?$")
PER_CENT = ("%", "％")


def read_name(cell: Any) -> str:
    return cell_text(cell, max_length=32)


def read_year(cell: Any) -> int:
    return cell_integer(cell, minimum=2000, maximum=2100)


def _decimal(cell: Any, hint: str) -> Decimal:
    """A plain number of a cell (a float as its shortest spelling: 30.2741 stays 30.2741)."""
    if isinstance(cell, bool):
        raise ValueError(hint % {"value": cell})
    text = repr(cell) if isinstance(cell, float) else ("" if cell is None else str(cell).strip().replace(",", ""))
    if not text:
        raise ValueError(_("this cell is empty."))
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise ValueError(hint % {"value": text[:40]}) from None
    if not value.is_finite():
        raise ValueError(hint % {"value": text[:40]})
    return value


def read_coordinate(cell: Any) -> Decimal:
    """Degrees to six places (about 0.1 m); the country's box is the market's rule, checked with the row."""
    value = _decimal(cell, _("“%(value)s” is not a coordinate."))
    if abs(value) > 180:
        raise ValueError(_("%(value)s lies outside ±180.") % {"value": value})
    return value.quantize(COORDINATE_PLACES, ROUND_HALF_UP)


def read_count(cell: Any) -> int:
    """People or households: 12520000, 12,520,000 or 1252万 (a bulletin's unit of ten thousand)."""
    if isinstance(cell, str) and (match := TEN_THOUSAND.fullmatch(cell.strip().replace(",", ""))):
        number = Decimal(match["number"]) * 10_000
        if number != number.to_integral_value():
            raise ValueError(_("“%(value)s” is not a whole number.") % {"value": cell.strip()[:40]})
        return int(number)
    return cell_integer(cell)


def read_income(cell: Any) -> Decimal:
    """Yuan per person a year, to the fen: 73797, 73,797.00, ¥73797 or 73797元."""
    return cell_amount(cell)


def read_vehicles(cell: Any) -> Decimal:
    """Vehicles per 1,000 people, to two places."""
    return _decimal(cell, _("“%(value)s” is not a number.")).quantize(VEHICLE_PLACES, ROUND_HALF_UP)


def read_share(cell: Any) -> Decimal:
    """The new-energy share as a fraction: 0.45, 45% and 45 % are the same (a percentage cell
    of a workbook arrives as 0.45). A bare number is a fraction, so 45 is refused, not guessed;
    kept to four places (45.25 %), as the table stores it."""
    if isinstance(cell, str) and cell.strip().endswith(PER_CENT):
        value = _decimal(cell.strip().rstrip("".join(PER_CENT)), _("“%(value)s” is not a share.")) / 100
    else:
        value = _decimal(cell, _("“%(value)s” is not a share (write 0.45 or 45%%)."))
    if not Decimal(0) <= value <= Decimal(1):
        text = str(cell).strip()[:40]
        raise ValueError(_("%(value)s is not a share between 0 and 1: write 0.45 or 45%%.") % {"value": text})
    return value.quantize(SHARE_PLACES, ROUND_HALF_UP)


def read_region(cell: Any) -> str:
    return cell_text(cell, max_length=64)


# The market's values a row is compared with, and written to (besides its city and year).
MARKET_FIELDS = (
    "region_id",
    "province",
    "latitude",
    "longitude",
    "population",
    "households",
    "disposable_income",
    "vehicles_per_1000",
    "nev_share",
)
# Those the market's rules read (``city_market_refusals``), and its capacity (``market_capacity``).
RULE_FIELDS = MARKET_FIELDS[2:]
CAPACITY_FIELDS = ("households", "disposable_income", "vehicles_per_1000", "nev_share")


class CityMarketImport(ImportSpec):
    kind = ImportKind.CITY_MARKETS
    network_model = CityMarket
    example = {
        "province": "浙江", "city": "杭州", "year": "2025", "latitude": "30.274084", "longitude": "120.155070",
        "population": "12520000", "households": "5327660", "disposable_income": "73797.00",
        "vehicles_per_1000": "352.00", "nev_share": "50%", "region": "EAST",
    }  # fmt: skip
    natural_key = "city"  # with the year: see ``key``
    audited_in_bulk = (CityMarket,)
    fields = (
        Field(
            "province",
            gettext_lazy("province"),
            read_name,
            ("省", "省份名称", "所在省份", "省/直辖市", "省（区、市）", "state"),
        ),
        Field("city", gettext_lazy("city"), read_name, ("城市名称", "地级市", "市", "城市（地级市）", "city name")),
        Field("year", gettext_lazy("year"), read_year, ("年度", "统计年度", "数据年份", "年")),
        Field("latitude", gettext_lazy("latitude"), read_coordinate, ("lat", "中心纬度")),
        Field("longitude", gettext_lazy("longitude"), read_coordinate, ("lng", "lon", "long", "中心经度")),
        Field(
            "population",
            gettext_lazy("population"),
            read_count,
            ("常住人口", "常住人口数", "总人口", "人口数", "resident population"),
        ),
        Field(
            "households",
            gettext_lazy("households"),
            read_count,
            ("户数", "家庭户数", "常住户数", "住户数", "household count", "number of households"),
        ),
        Field(
            "disposable_income",
            gettext_lazy("disposable income per capita (yuan)"),
            read_income,
            (
                "人均可支配收入",
                "居民人均可支配收入",
                "人均可支配收入（元）",
                "人均收入",
                "disposable income per capita",
                "disposable income",
                "income per capita",
            ),
            kind="money",
        ),
        Field(
            "vehicles_per_1000",
            gettext_lazy("vehicles per 1,000 people"),
            read_vehicles,
            (
                "千人汽车保有量",
                "千人保有量",
                "每千人汽车保有量",
                "汽车千人保有量",
                "vehicles per 1000",
                "cars per 1000",
            ),
        ),
        Field(
            "nev_share",
            gettext_lazy("new-energy share of new-car sales"),
            read_share,
            (
                "新能源渗透率",
                "新能源汽车渗透率",
                "新能源占比",
                "新能源销量占比",
                "新车销量新能源占比",
                "NEV share",
                "NEV penetration",
                "new-energy share",
            ),
            kind="rate",
        ),
        Field(
            "region",
            gettext_lazy("region (code or name)"),
            optional(read_region),
            ("大区", "销售大区", "所属大区", "大区代码", "区域", "region code"),
            required=False,
        ),
    )

    def key(self, values: dict[str, Any]) -> str:
        return f"{values['city']} {values['year']}"

    def resolve(self, rows: list[CheckedRow]) -> None:
        # Every year of the file's cities: a row without a region keeps its city's latest one.
        markets: dict[tuple[str, int], dict[str, Any]] = {}
        latest_region: dict[str, int] = {}
        for market in (
            CityMarket.objects.filter(city__in={row.values["city"] for row in rows})
            .order_by("city", "year")
            .values("id", "city", "year", *MARKET_FIELDS)
        ):
            markets[(market["city"], market["year"])] = market
            latest_region[market["city"]] = market["region_id"]
        regions: dict[str, int] = {}
        codes = []
        for pk, code, name in Region.objects.order_by("code").values_list("pk", "code", "name"):
            regions.setdefault(normalise_header(code), pk)
            regions.setdefault(normalise_header(name), pk)
            codes.append(code)
        known = " / ".join(codes[:8])
        for row in rows:
            values = row.values
            for name, message in city_market_refusals(**{name: values[name] for name in RULE_FIELDS}).items():
                row.error(self.column(name), message)
            existing = markets.get((values["city"], values["year"]))
            named = values.get("region")
            if named:
                values["region_id"] = regions.get(normalise_header(named))
                if values["region_id"] is None:
                    row.error(
                        self.column("region"),
                        _("“%(value)s” is no region: name it by its code or name (%(known)s).")
                        % {"value": named[:40], "known": known},
                    )
            else:
                values["region_id"] = latest_region.get(values["city"])
                if values["region_id"] is None:
                    message = _("%(city)s has no market yet: name the sales region it belongs to.")
                    row.error(self.column("region"), message % {"city": values["city"]})
            self.decide(row, existing, MARKET_FIELDS)

    def write(self, rows: list[CheckedRow]) -> None:
        ids = bulk_upsert(
            CityMarket,
            [
                {
                    "city": row.values["city"],
                    "year": row.values["year"],
                    **{name: row.values[name] for name in MARKET_FIELDS},
                    **city_market_capacity_columns(**{name: row.values[name] for name in CAPACITY_FIELDS}),
                }
                for row in rows
            ],
            unique=["city", "year"],
            update=(*MARKET_FIELDS, "capacity_units", "nev_capacity_units"),
        )
        self.record_history(CityMarket, rows, ids)
