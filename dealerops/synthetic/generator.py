"""Generate a dealer network with numpy and stream it into PostgreSQL with COPY.

Every rule the database enforces holds by construction (money in integer fen, dates in
order, one sale per unit, loans only on loan sales with principal + down payment equal to the
price), because for speed the row triggers are switched off while loading when the role may.
"""

import io
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime

import numpy as np
import pandas as pd
from django.apps import apps
from django.db import connection, transaction

from dealerops.synthetic.cities import (
    CHINESE_NEW_YEAR,
    CITIES,
    DEALER_GROUPS,
    GIVEN_NAMES,
    LENDERS,
    REGIONS,
    SURNAMES,
)

EPOCH = np.datetime64("1970-01-01")
VIN_ALPHABET = np.frombuffer(b"0123456789ABCDEFGHJKLMNPRSTUVWXYZ", dtype=np.uint8)  # no I, O, Q
CHUNK = 500_000


@dataclass(frozen=True)
class NetworkSpec:
    """How big a network to build. ``end_date`` is the last day with data."""

    end_date: date
    dealers: int = 200
    models: int = 30
    months: int = 24
    sales: int = 100_000
    loan_share: float = 0.60
    lease_share: float = 0.05
    leads_per_sale: float = 3.0
    customers: int = 60_000
    stock_on_hand: int = 15_000
    service_visits_per_sale: float = 0.8
    inquiries_per_sale: float = 0.05
    seed: int = 2026
    counts: dict = field(default_factory=dict, compare=False)

    @classmethod
    def national(cls, scale: float, end_date: date, seed: int = 2026) -> "NetworkSpec":
        """The design card's national size (3,000 dealers, 4 million sales a year ...) times ``scale``."""
        return cls(
            end_date=end_date,
            dealers=max(16, round(3000 * scale)),
            models=120,
            months=12,
            sales=round(4_000_000 * scale),
            customers=round(2_000_000 * scale),
            stock_on_hand=round(600_000 * scale),
            seed=seed,
        )


@dataclass
class Timings:
    rows: dict[str, int] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)


def _days(values: np.ndarray) -> np.ndarray:
    """numpy datetime64[D] -> ISO strings."""
    return np.datetime_as_string(values.astype("datetime64[D]"), unit="D")


def _optional_days(values: np.ndarray) -> np.ndarray:
    """Dates with NaT as empty strings (NULL in the COPY)."""
    missing = np.isnat(values)
    return np.where(missing, "", _days(np.where(missing, np.datetime64("2000-01-01"), values)))


def _timestamps(values: np.ndarray) -> np.ndarray:
    """numpy datetime64[s] in Shanghai time -> timestamptz strings."""
    return np.char.add(np.datetime_as_string(values.astype("datetime64[s]"), unit="s"), "+08:00")


def _yuan(fen: np.ndarray) -> pd.Series:
    """Integer fen -> exact decimal strings ("188888.88")."""
    fen = pd.Series(fen, dtype="int64")
    return (fen // 100).astype(str) + "." + (fen % 100).astype(str).str.zfill(2)


def _rate(micros: np.ndarray) -> pd.Series:
    """Integer millionths -> "0.049500"."""
    micros = pd.Series(micros, dtype="int64")
    return "0." + micros.astype(str).str.zfill(6)


def _vins(ids: np.ndarray, prefix: bytes) -> np.ndarray:
    """Unique 17-character VINs: a 2-letter maker prefix and the id in base 33 (no I, O, Q)."""
    digits = np.empty((len(ids), 15), dtype=np.uint8)
    remaining = ids.astype(np.int64).copy()
    for position in range(14, -1, -1):
        digits[:, position] = VIN_ALPHABET[remaining % 33]
        remaining //= 33
    body = digits.view("S15").ravel()
    return np.char.add(prefix, body).astype("U17")


class Loader:
    """COPY DataFrames into tables and remember row counts and time per table."""

    def __init__(self, cursor, timings: Timings):
        self.cursor = cursor
        self.timings = timings

    def copy(self, table: str, frame: pd.DataFrame) -> None:
        started = time.perf_counter()
        columns = ", ".join(frame.columns)
        with self.cursor.copy(f"COPY {table} ({columns}) FROM STDIN WITH (FORMAT csv, NULL '')") as copy:
            for start in range(0, len(frame), CHUNK):
                buffer = io.StringIO()
                frame.iloc[start : start + CHUNK].to_csv(buffer, header=False, index=False)
                copy.write(buffer.getvalue())
        self.timings.rows[table] = self.timings.rows.get(table, 0) + len(frame)
        self.timings.seconds[table] = self.timings.seconds.get(table, 0.0) + time.perf_counter() - started


def domain_tables() -> list[str]:
    """Every table the generator owns (truncated before a run), audit events included."""
    labels = ["channels", "inventory", "customers", "finance"]
    tables = [model._meta.db_table for label in labels for model in apps.get_app_config(label).get_models()]
    tables += ["dealerops_jobrun", "pghistory_context", "dealerops_user_regions", "dealerops_user"]
    return tables


def truncate_network() -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {', '.join(domain_tables())} RESTART IDENTITY CASCADE")


def generate_network(spec: NetworkSpec, progress: Callable[[str], None] = lambda message: None) -> Timings:
    """Truncate the domain tables and write a network of ``spec``'s size, in one transaction."""
    timings = Timings()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
        if cursor.fetchone()[0]:
            # Skip row triggers (audit events, deferred consistency checks) while bulk loading.
            cursor.execute("SET LOCAL session_replication_role = replica")
        cursor.execute(f"TRUNCATE {', '.join(domain_tables())} RESTART IDENTITY CASCADE")
        _Network(spec, Loader(cursor.cursor, timings), progress).build()
        for table in timings.rows:
            cursor.execute(
                # Table names come from the models' metadata, not from input.
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), GREATEST((SELECT MAX(id) FROM {table}), 1))"  # noqa: S608
            )
    with connection.cursor() as cursor:
        for table in timings.rows:
            cursor.execute(f"ANALYZE {table}")
    return timings


class _Network:
    def __init__(self, spec: NetworkSpec, loader: Loader, progress: Callable[[str], None]):
        self.spec = spec
        self.load = loader
        self.progress = progress
        self.rng = np.random.default_rng(spec.seed)
        self.end = np.datetime64(spec.end_date)
        self.now = _timestamps(np.array([np.datetime64(datetime.combine(spec.end_date, datetime.min.time()))]))[0]

    def build(self) -> None:
        self.regions()
        self.dealers()
        self.vehicle_models()
        self.lenders()
        self.customers()
        self.sales()
        self.loans()
        self.stock_on_hand()
        self.leads()
        self.service_visits()
        self.inquiries()

    # -- the network ---------------------------------------------------------------------
    def regions(self) -> None:
        frame = pd.DataFrame(
            {
                "id": np.arange(1, len(REGIONS) + 1),
                "code": [code for code, _ in REGIONS],
                "name": [name for _, name in REGIONS],
            }
        )
        self._stamp(frame)
        self.load.copy("channels_region", frame)

    def dealers(self) -> None:
        n, rng = self.spec.dealers, self.rng
        weights = np.array([city[5] for city in CITIES], dtype=float)
        city = rng.choice(len(CITIES), size=n, p=weights / weights.sum())
        kind = rng.choice(np.array(["4s", "secondary", "showroom"]), size=n, p=[0.75, 0.2, 0.05])
        region = np.array([CITIES[c][2] for c in city])
        # Every region needs 4S stores for its secondary dealers to hang under.
        for r in range(len(REGIONS)):
            members = np.flatnonzero(region == r)
            if len(members) and not (kind[members] == "4s").any():
                kind[members[0]] = "4s"
        ids = np.arange(1, n + 1)
        parent = np.full(n, -1)
        for r in range(len(REGIONS)):
            stores = ids[(region == r) & (kind == "4s")]
            children = np.flatnonzero((region == r) & (kind == "secondary"))
            if len(stores) == 0:
                kind[children] = "showroom"
            else:
                parent[children] = rng.choice(stores, size=len(children))
        self.dealer_weight = rng.lognormal(0.0, 0.6, size=n) * np.where(kind == "4s", 1.0, 0.35)
        status = rng.choice(np.array(["active", "probation", "applying", "exited"]), size=n, p=[0.9, 0.05, 0.02, 0.03])
        # Dealers applying to join have no sales yet.
        self.dealer_weight[status == "applying"] = 0.0
        self.dealer_weight /= self.dealer_weight.sum()
        expected_monthly = self.dealer_weight * self.spec.sales / self.spec.months
        names = [
            f"{CITIES[c][0]}{DEALER_GROUPS[i % len(DEALER_GROUPS)]}"
            f"{ {'4s': '4S店', 'secondary': '二级网点', 'showroom': '城市展厅'}[k] }{i:04d}"
            for i, (c, k) in enumerate(zip(city, kind, strict=True), start=1)
        ]
        frame = pd.DataFrame(
            {
                "id": ids,
                "code": [f"DL{i:05d}" for i in ids],
                "name": names,
                "kind": kind,
                "parent_id": pd.array(np.where(parent > 0, parent, 0), dtype="Int64"),
                "status": status,
                "region_id": region + 1,
                "province": [CITIES[c][1] for c in city],
                "city": [CITIES[c][0] for c in city],
                "latitude": np.round([CITIES[c][3] for c in city] + rng.normal(0, 0.04, n), 6),
                "longitude": np.round([CITIES[c][4] for c in city] + rng.normal(0, 0.04, n), 6),
                "opened_on": _days(self.end - rng.integers(365, 365 * 15, n).astype("timedelta64[D]")),
                "sales_headcount": np.maximum(2, np.round(expected_monthly / 6 + rng.normal(0, 1, n))).astype(int),
                "monthly_sales_target": (np.round(expected_monthly * rng.uniform(1.0, 1.2, n) / 5) * 5).astype(int),
            }
        )
        frame.loc[frame["parent_id"] == 0, "parent_id"] = pd.NA
        self._stamp(frame)
        self.dealer_city = city
        self.dealer_region = region
        self.load.copy("channels_dealer", frame)
        self.progress(f"{n} dealers")

    def vehicle_models(self) -> None:
        n, rng = self.spec.models, self.rng
        brands = np.array(["华擎", "云途", "锐行"])
        trims = ["标准版", "豪华版", "旗舰版", "长续航版"]
        series_index = np.arange(n) // 3
        brand = brands[series_index % 3]
        powertrain = rng.choice(
            np.array(["ice", "hev", "phev", "bev"]), size=series_index.max() + 1, p=[0.4, 0.1, 0.2, 0.3]
        )
        base_price = rng.uniform(100_000, 380_000, size=series_index.max() + 1)
        msrp_yuan = np.round(base_price[series_index] * (1 + 0.12 * (np.arange(n) % 3)) / 100) * 100
        self.msrp_fen = (msrp_yuan * 100).astype(np.int64)
        self.floor_fen = (np.round(msrp_yuan * rng.uniform(0.90, 0.95, n) / 100) * 10_000).astype(np.int64)
        self.model_powertrain = powertrain[series_index]
        frame = pd.DataFrame(
            {
                "id": np.arange(1, n + 1),
                "code": [f"VM{i:04d}" for i in range(1, n + 1)],
                "brand": brand,
                "series": [f"{b}{'S' if s % 2 else 'X'}{s + 3}" for b, s in zip(brand, series_index, strict=True)],
                "trim": [
                    trims[i % 3 + (1 if self.model_powertrain[i] == "bev" and i % 3 == 2 else 0)] for i in range(n)
                ],
                "powertrain": self.model_powertrain,
                "msrp": _yuan(self.msrp_fen),
                "guide_price_floor": _yuan(self.floor_fen),
                "dealer_invoice_cost": _yuan((self.floor_fen * 0.95).astype(np.int64)),
                "launch_date": _days(self.end - rng.integers(200, 365 * 5, n).astype("timedelta64[D]")),
            }
        )
        self._stamp(frame)
        self.load.copy("inventory_vehiclemodel", frame)

    def lenders(self) -> None:
        frame = pd.DataFrame(
            {
                "id": np.arange(1, len(LENDERS) + 1),
                "code": [lender[0] for lender in LENDERS],
                "name": [lender[1] for lender in LENDERS],
                "kind": [lender[2] for lender in LENDERS],
            }
        )
        self._stamp(frame)
        self.load.copy("finance_lender", frame)

    def customers(self) -> None:
        n, rng = self.spec.customers, self.rng
        # Customers belong to dealers in proportion to their sales.
        per_dealer = np.maximum(1, np.round(self.dealer_weight * n)).astype(np.int64)
        self.customer_start = np.concatenate([[0], np.cumsum(per_dealer)[:-1]]) + 1
        self.customer_count = per_dealer
        total = int(per_dealer.sum())
        home = np.repeat(np.arange(1, self.spec.dealers + 1), per_dealer)
        ids = np.arange(1, total + 1)
        city = self.dealer_city[home - 1]
        surname = np.array(SURNAMES)[rng.integers(0, len(SURNAMES), total)]
        given = np.char.add(
            np.array(GIVEN_NAMES)[rng.integers(0, len(GIVEN_NAMES), total)],
            np.where(rng.random(total) < 0.6, np.array(GIVEN_NAMES)[rng.integers(0, len(GIVEN_NAMES), total)], ""),
        )
        # 1[3-9] + nine digits of the id: unique, and valid mainland mobile numbers.
        phone = pd.Series(ids).map(lambda i: f"1{3 + i % 7}{i:09d}")
        frame = pd.DataFrame(
            {
                "id": ids,
                "home_dealer_id": home,
                "name": np.char.add(surname, given),
                "phone": phone,
                "city": [CITIES[c][0] for c in city],
                "latitude": np.round(np.array([CITIES[c][3] for c in city]) + rng.normal(0, 0.08, total), 6),
                "longitude": np.round(np.array([CITIES[c][4] for c in city]) + rng.normal(0, 0.08, total), 6),
                "marketing_consent": rng.random(total) < 0.55,
            }
        )
        self._stamp(frame)
        self.load.copy("customers_customer", frame)
        self.progress(f"{total} customers")

    # -- sales, with their stock units ------------------------------------------------------
    def _month_starts(self) -> np.ndarray:
        last = self.end.astype("datetime64[M]")
        return np.arange(last - (self.spec.months - 1), last + 1).astype("datetime64[M]")

    def _seasonality(self, months: np.ndarray) -> np.ndarray:
        factor = np.ones(len(months))
        for index, month in enumerate(months.astype(object)):
            year, number = month.year, month.month
            if CHINESE_NEW_YEAR.get(year, (2, 1))[0] == number:
                factor[index] = 0.62
            elif number in (3, 9, 10):
                factor[index] = 1.12  # spring push, "golden September, silver October"
            elif number in (11, 12):
                factor[index] = 1.2  # year-end push
        growth = np.linspace(0.9, 1.1, len(months))
        return factor * growth

    def sales(self) -> None:
        spec, rng = self.spec, self.rng
        months = self._month_starts()
        month_days = (months + 1).astype("datetime64[D]") - months.astype("datetime64[D]")
        # The current month only runs to end_date.
        month_days[-1] = (self.end - months[-1].astype("datetime64[D]")).astype(int) + 1
        weight = self._seasonality(months) * month_days.astype(float) / 30.0
        lam = np.outer(self.dealer_weight, weight / weight.sum()) * spec.sales
        counts = rng.poisson(lam)
        dealer = np.repeat(np.repeat(np.arange(1, spec.dealers + 1), len(months)), counts.ravel())
        month_index = np.repeat(np.tile(np.arange(len(months)), spec.dealers), counts.ravel())
        n = len(dealer)
        sold_on = months[month_index].astype("datetime64[D]") + (
            rng.random(n) * month_days[month_index].astype(int)
        ).astype("timedelta64[D]")
        order = np.argsort(sold_on, kind="stable")
        dealer, sold_on, month_index = dealer[order], sold_on[order], month_index[order]
        ids = np.arange(1, n + 1)

        # Model mix: battery-electric models gain share over the period.
        bev = self.model_powertrain == "bev"
        progress_share = month_index / max(1, len(months) - 1)
        model = np.empty(n, dtype=np.int64)
        for step in range(4):
            part = (progress_share >= step / 4) & (progress_share <= (step + 1) / 4)
            p = np.where(bev, 1.0 + step * 0.35, 1.0)
            model[part] = rng.choice(len(bev), size=int(part.sum()), p=p / p.sum())
        msrp, floor = self.msrp_fen[model], self.floor_fen[model]
        # Most deals between the floor and MSRP; about 3 % below the guide-price floor.
        below = rng.random(n) < 0.03
        price = np.where(
            below,
            floor * rng.uniform(0.94, 0.995, n),
            floor + (msrp - floor) * rng.beta(2.0, 2.5, n),
        )
        price_fen = (np.round(price / 10_000) * 10_000).astype(np.int64)  # whole hundreds of yuan
        price_fen = np.maximum(price_fen, 10_000)

        arrived = sold_on - (rng.exponential(35, n).astype(int) + 1).astype("timedelta64[D]")
        ordered = arrived - rng.integers(7, 45, n).astype("timedelta64[D]")
        no_eta = np.full(n, np.datetime64("NaT"), dtype="datetime64[D]")
        self._stock_units(ids, model, dealer, np.full(n, "sold"), ordered, arrived, no_eta)

        customer = self.customer_start[dealer - 1] + (rng.random(n) * self.customer_count[dealer - 1]).astype(np.int64)
        payment = rng.choice(
            np.array(["loan", "lease", "cash"]),
            size=n,
            p=[spec.loan_share, spec.lease_share, 1 - spec.loan_share - spec.lease_share],
        )
        # Most sales are entered within 48 hours; a few days or weeks late for some dealers.
        delay_hours = np.where(rng.random(n) < 0.93, rng.uniform(1, 47, n), rng.uniform(49, 24 * 20, n))
        recorded = sold_on.astype("datetime64[s]") + (9 * 3600 + delay_hours * 3600).astype("timedelta64[s]")
        recorded = np.minimum(recorded, (self.end + 1).astype("datetime64[s]") - np.timedelta64(1, "s"))
        staff = np.char.add(
            np.array(SURNAMES)[rng.integers(0, len(SURNAMES), n)], np.array(GIVEN_NAMES)[rng.integers(0, 12, n)]
        )
        frame = pd.DataFrame(
            {
                "id": ids,
                "stock_unit_id": ids,
                "dealer_id": dealer,
                "customer_id": customer,
                "salesperson": staff,
                "sold_on": _days(sold_on),
                "transaction_price": _yuan(price_fen),
                "payment": payment,
                "registered_city": [CITIES[c][0] for c in self.dealer_city[dealer - 1]],
                "recorded_at": _timestamps(recorded),
                "updated_at": _timestamps(recorded),
            }
        )
        self.load.copy("inventory_sale", frame)
        self.sale_dealer, self.sale_day, self.sale_price = dealer, sold_on, price_fen
        self.sale_payment, self.sale_customer, self.sale_model = payment, customer, model
        self.progress(f"{n} sales")

    def _stock_units(self, ids, model, dealer, status, ordered, arrived, eta) -> None:
        frame = pd.DataFrame(
            {
                "id": ids,
                "vin": _vins(ids, b"LS"),
                "model_id": model + 1,
                "dealer_id": dealer,
                "status": status,
                "ordered_on": _days(ordered),
                "eta": _optional_days(eta),
                "arrived_on": _optional_days(arrived),
            }
        )
        self._stamp(frame)
        self.load.copy("inventory_stockunit", frame)

    def loans(self) -> None:
        rng = self.rng
        sale = np.flatnonzero(self.sale_payment == "loan")
        n = len(sale)
        price = self.sale_price[sale]
        down = (np.round(price * rng.uniform(0.2, 0.5, n) / 10_000) * 10_000).astype(np.int64)
        principal = price - down
        lender_p = np.array([lender[3] for lender in LENDERS])
        lender = rng.choice(len(LENDERS), size=n, p=lender_p / lender_p.sum())
        kind = np.array([LENDERS[i][2] for i in lender])
        rate = np.where(
            kind == "bank",
            rng.uniform(0.030, 0.060, n),
            np.where(kind == "auto_finance", rng.uniform(0.040, 0.090, n), rng.uniform(0.060, 0.095, n)),
        )
        rate_micros = (np.round(rate * 10_000) * 100).astype(np.int64)  # whole basis points
        buy_micros = np.maximum(rate_micros - (rng.uniform(0.005, 0.02, n) * 1_000_000).astype(np.int64), 10_000)
        term = rng.choice(np.array([12, 24, 36, 48, 60]), size=n, p=[0.15, 0.25, 0.35, 0.1, 0.15])
        grade = rng.choice(np.array(list("ABCDE")), size=n, p=[0.35, 0.35, 0.18, 0.09, 0.03])
        sold = self.sale_day[sale]
        applied = sold - rng.integers(0, 6, n).astype("timedelta64[D]")
        disbursed = sold + rng.integers(1, 11, n).astype("timedelta64[D]")
        status = np.full(n, "disbursed", dtype="U16")
        pending = disbursed > self.end
        status[pending] = np.where(rng.random(int(pending.sum())) < 0.5, "approved", "applied")
        months_to_maturity = term.astype("timedelta64[M]")
        maturity = (disbursed.astype("datetime64[M]") + months_to_maturity).astype("datetime64[D]") + (
            disbursed - disbursed.astype("datetime64[M]").astype("datetime64[D]")
        )
        matured = ~pending & (maturity <= self.end)
        status[matured] = "matured"
        open_days = (self.end - disbursed).astype(int)
        risk = rng.random(n)
        # Defaults concentrate in weak credit grades; early payoffs are spread evenly.
        default_p = np.select([grade == "A", grade == "B", grade == "C", grade == "D"], [0.004, 0.008, 0.02, 0.05], 0.1)
        defaulted = ~pending & ~matured & (open_days > 60) & (risk < default_p)
        paid_off = ~pending & ~matured & ~defaulted & (open_days > 30) & (rng.random(n) < 0.05)
        status[defaulted] = "defaulted"
        status[paid_off] = "paid_off_early"
        closed = np.full(n, np.datetime64("NaT"), dtype="datetime64[D]")
        early = defaulted | paid_off
        closed[early] = disbursed[early] + (rng.random(int(early.sum())) * (open_days[early] - 1) + 1).astype(
            "timedelta64[D]"
        )
        closed[matured] = maturity[matured]
        disbursed_text = np.where(pending, "", _days(disbursed))
        frame = pd.DataFrame(
            {
                "id": np.arange(1, n + 1),
                "reference": [f"LN{i:09d}" for i in range(1, n + 1)],
                "sale_id": sale + 1,
                "dealer_id": self.sale_dealer[sale],
                "lender_id": lender + 1,
                "principal": _yuan(principal),
                "down_payment": _yuan(down),
                "annual_rate": _rate(rate_micros),
                "buy_rate": np.where(kind == "auto_finance", _rate(buy_micros), ""),
                "term_months": term,
                "credit_grade": grade,
                "status": status,
                "applied_on": _days(applied),
                "disbursed_on": disbursed_text,
                "closed_on": _optional_days(closed),
            }
        )
        self._stamp(frame)
        self.load.copy("finance_loan", frame)
        self.progress(f"{n} loans")

    def stock_on_hand(self) -> None:
        spec, rng = self.spec, self.rng
        on_hand = spec.stock_on_hand
        in_transit = on_hand // 5
        n = on_hand + in_transit
        dealer = rng.choice(spec.dealers, size=n, p=self.dealer_weight) + 1
        model = rng.choice(len(self.msrp_fen), size=n)
        ids = np.arange(1, n + 1) + len(self.sale_day)
        arrived = self.end - rng.exponential(45, n).astype(int).astype("timedelta64[D]")
        ordered = arrived - rng.integers(7, 45, n).astype("timedelta64[D]")
        status = np.where(np.arange(n) < on_hand, "in_stock", np.where(rng.random(n) < 0.6, "in_transit", "ordered"))
        waiting = status != "in_stock"
        ordered[waiting] = self.end - rng.integers(0, 30, int(waiting.sum())).astype("timedelta64[D]")
        eta = np.where(waiting, self.end + rng.integers(1, 25, n).astype("timedelta64[D]"), np.datetime64("NaT"))
        arrived = np.where(waiting, np.datetime64("NaT"), arrived)
        self._stock_units(
            ids, model, dealer, status, ordered, arrived.astype("datetime64[D]"), eta.astype("datetime64[D]")
        )
        self.progress(f"{n} units on hand or on the way")

    # -- leads, service and complaints ---------------------------------------------------------
    def leads(self) -> None:
        spec, rng = self.spec, self.rng
        n_sales = len(self.sale_day)
        n = int(n_sales * spec.leads_per_sale)
        # A third of sales started as a lead that was won.
        won_sales = np.flatnonzero(rng.random(n_sales) < 0.33)
        n_won = len(won_sales)
        n_other = max(0, n - n_won)
        start = self._month_starts()[0].astype("datetime64[D]")
        span = int((self.end - start).astype(int)) + 1
        created = np.empty(n_won + n_other, dtype="datetime64[s]")
        created[:n_won] = self.sale_day[won_sales].astype("datetime64[s]") - (
            rng.integers(2, 40, n_won) * 86400 - rng.integers(9 * 3600, 20 * 3600, n_won)
        ).astype("timedelta64[s]")
        created[n_won:] = start.astype("datetime64[s]") + (rng.random(n_other) * span * 86400).astype("timedelta64[s]")
        dealer = np.concatenate(
            [self.sale_dealer[won_sales], rng.choice(spec.dealers, size=n_other, p=self.dealer_weight) + 1]
        )
        total = len(created)
        assigned = created + (rng.exponential(20 * 60, total)).astype("timedelta64[s]")
        contacted = rng.random(total) < np.where(np.arange(total) < n_won, 1.0, 0.85)
        first_contact = assigned + (rng.lognormal(np.log(40 * 60), 1.2, total)).astype("timedelta64[s]")
        outcome = np.concatenate(
            [
                np.full(n_won, "won"),
                rng.choice(
                    np.array(["open", "contacted", "test_drive", "lost"]), size=n_other, p=[0.15, 0.3, 0.15, 0.4]
                ),
            ]
        )
        outcome[(~contacted) & (outcome != "won")] = "open"
        model = np.concatenate([self.sale_model[won_sales], rng.choice(len(self.msrp_fen), size=n_other)]) + 1
        city = self.dealer_city[dealer - 1]
        frame = pd.DataFrame(
            {
                "id": np.arange(1, total + 1),
                "source": rng.choice(
                    np.array(["website", "app", "phone", "walk_in", "partner"]),
                    size=total,
                    p=[0.3, 0.25, 0.15, 0.2, 0.1],
                ),
                "customer_city": [CITIES[c][0] for c in city],
                "customer_latitude": np.round(np.array([CITIES[c][3] for c in city]) + rng.normal(0, 0.1, total), 6),
                "customer_longitude": np.round(np.array([CITIES[c][4] for c in city]) + rng.normal(0, 0.1, total), 6),
                "model_of_interest_id": model,
                "created_at": _timestamps(created),
                "dealer_id": dealer,
                "assigned_at": _timestamps(assigned),
                "first_contact_at": np.where(contacted, _timestamps(first_contact), ""),
                "outcome": outcome,
                "converted_sale_id": pd.array(
                    np.concatenate([won_sales + 1, np.zeros(n_other, dtype=np.int64)]), dtype="Int64"
                ),
            }
        )
        frame.loc[frame["converted_sale_id"] == 0, "converted_sale_id"] = pd.NA
        self.load.copy("channels_lead", frame)
        self.progress(f"{total} leads")

    def service_visits(self) -> None:
        spec, rng = self.spec, self.rng
        old_enough = np.flatnonzero(self.sale_day < self.end - np.timedelta64(45, "D"))
        if len(old_enough) == 0:
            return
        n = int(len(self.sale_day) * spec.service_visits_per_sale)
        sale = rng.choice(old_enough, size=n)
        since = (self.end - self.sale_day[sale]).astype(int)
        visited = self.sale_day[sale] + (30 + rng.random(n) * (since - 30)).astype("timedelta64[D]")
        kind = rng.choice(
            np.array(["maintenance", "repair", "warranty", "bodywork", "inspection"]),
            size=n,
            p=[0.55, 0.15, 0.1, 0.1, 0.1],
        )
        amount = np.where(kind == "warranty", 0, np.round(rng.lognormal(np.log(900), 0.7, n) * 100)).astype(np.int64)
        satisfaction = rng.choice(np.array(["5", "4", "3", "2", "1", ""]), size=n, p=[0.48, 0.3, 0.08, 0.03, 0.01, 0.1])
        frame = pd.DataFrame(
            {
                "id": np.arange(1, n + 1),
                "customer_id": self.sale_customer[sale],
                "dealer_id": self.sale_dealer[sale],
                "visited_on": _days(visited),
                "kind": kind,
                "amount": _yuan(amount),
                "satisfaction": satisfaction,
            }
        )
        self._stamp(frame)
        self.load.copy("customers_servicevisit", frame)
        self.progress(f"{n} service visits")

    def inquiries(self) -> None:
        spec, rng = self.spec, self.rng
        n = int(len(self.sale_day) * spec.inquiries_per_sale)
        if n == 0:
            return
        sale = rng.choice(len(self.sale_day), size=n)
        opened = self.sale_day[sale].astype("datetime64[s]") + (rng.random(n) * 60 * 86400).astype("timedelta64[s]")
        opened = np.minimum(opened, self.end.astype("datetime64[s]") + np.timedelta64(10 * 3600, "s"))
        complaint = rng.random(n) < 0.3
        resolved = rng.random(n) < 0.7
        resolved_at = opened + (rng.exponential(3 * 86400, n)).astype("timedelta64[s]")
        status = np.where(
            resolved,
            np.where(rng.random(n) < 0.5, "resolved", "closed"),
            np.where(rng.random(n) < 0.5, "open", "in_progress"),
        )
        category = rng.choice(np.array(["sales", "service", "finance", "product", "other"]), size=n)
        texts = np.where(
            complaint, "到店保养等待时间过长，希望改进预约安排。", "请问新款车型何时到店，是否有金融优惠？"
        )
        frame = pd.DataFrame(
            {
                "id": np.arange(1, n + 1),
                "customer_id": self.sale_customer[sale],
                "dealer_id": self.sale_dealer[sale],
                "kind": np.where(complaint, "complaint", "inquiry"),
                "category": category,
                "text": texts,
                "opened_at": _timestamps(opened),
                "status": status,
                "resolved_at": np.where(resolved, _timestamps(resolved_at), ""),
                "satisfaction": np.where(
                    resolved, rng.choice(np.array(["5", "4", "3", "2", "1"]), size=n, p=[0.4, 0.3, 0.15, 0.1, 0.05]), ""
                ),
            }
        )
        self.load.copy("customers_inquiry", frame)
        self.progress(f"{n} inquiries")

    def _stamp(self, frame: pd.DataFrame) -> None:
        frame["created_at"] = self.now
        frame["updated_at"] = self.now
