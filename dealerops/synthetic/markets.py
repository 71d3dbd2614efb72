"""The city market table the demo and the benchmark networks ship: one row a city of
``cities.CITIES`` for the last complete year of the network's data.

The figures are illustrative, of the right order for each city, not official statistics: the
resident population and the disposable income per capita are rounded from the cities' 2023–24
statistical bulletins, households from the province's average household size in the 2020
census, vehicles per 1,000 people from the cities' registered-car counts, and the new-energy
share of new-car sales from the 2024 retail figures (highest in the big southern and eastern
cities, lowest in the north-east and the north-west)."""

from decimal import Decimal
from types import SimpleNamespace

import numpy as np

from channels.planning.capacity import market_capacity
from dealerops.synthetic import columns as col
from dealerops.synthetic.cities import CITIES

# People per household, 2020 census, by province.
HOUSEHOLD_SIZE = {
    "上海": 2.32, "江苏": 2.60, "浙江": 2.35, "安徽": 2.61, "广东": 2.63, "广西": 3.04, "海南": 3.02,
    "福建": 2.61, "北京": 2.31, "天津": 2.40, "河北": 2.75, "山西": 2.54, "内蒙古": 2.33, "湖北": 2.64,
    "湖南": 2.64, "河南": 2.92, "江西": 2.91, "四川": 2.53, "重庆": 2.45, "云南": 2.88, "贵州": 2.82,
    "西藏": 3.19, "陕西": 2.56, "甘肃": 2.72, "宁夏": 2.60, "青海": 2.83, "新疆": 2.74, "辽宁": 2.27,
    "吉林": 2.31, "黑龙江": 2.22, "山东": 2.70,
}  # fmt: skip

# city: (resident population in 10,000s, disposable income per capita in yuan,
#        vehicles per 1,000 people, new-energy share of new-car sales)
MARKETS = {
    "上海": (2487, 84834, 215, 0.52), "南京": (954, 73593, 315, 0.45), "苏州": (1296, 74076, 378, 0.42),
    "无锡": (749, 68400, 370, 0.38), "常州": (537, 63000, 400, 0.38), "南通": (773, 55000, 320, 0.35),
    "徐州": (902, 40000, 230, 0.33), "扬州": (458, 49000, 300, 0.33), "盐城": (668, 43000, 260, 0.32),
    "泰州": (450, 50000, 300, 0.33), "镇江": (322, 57000, 320, 0.34), "连云港": (460, 38000, 220, 0.30),
    "淮安": (455, 40000, 230, 0.30), "杭州": (1252, 73797, 352, 0.50), "宁波": (969, 72000, 360, 0.42),
    "温州": (976, 63000, 300, 0.40), "嘉兴": (558, 66000, 380, 0.40), "绍兴": (535, 70000, 380, 0.40),
    "金华": (715, 60000, 330, 0.40), "台州": (669, 62000, 330, 0.38), "湖州": (344, 63000, 370, 0.40),
    "合肥": (985, 53000, 280, 0.48), "芜湖": (374, 47000, 240, 0.40), "蚌埠": (330, 35000, 180, 0.32),
    "阜阳": (815, 24000, 120, 0.28), "安庆": (414, 33000, 160, 0.30),
    "广州": (1883, 76849, 192, 0.55), "深圳": (1779, 76000, 220, 0.62), "东莞": (1049, 65000, 300, 0.45),
    "佛山": (962, 68000, 320, 0.45), "珠海": (249, 65000, 300, 0.48), "惠州": (607, 45000, 260, 0.40),
    "中山": (445, 60000, 300, 0.42), "江门": (482, 40000, 250, 0.35), "汕头": (553, 32000, 150, 0.33),
    "湛江": (699, 30000, 130, 0.30), "南宁": (894, 42000, 220, 0.45), "柳州": (417, 40000, 230, 0.55),
    "桂林": (495, 34000, 150, 0.40), "海口": (294, 45000, 300, 0.55), "三亚": (107, 45000, 280, 0.55),
    "福州": (845, 55000, 260, 0.40), "厦门": (532, 70000, 250, 0.42), "泉州": (888, 52000, 280, 0.35),
    "漳州": (507, 40000, 220, 0.32),
    "北京": (2186, 81752, 283, 0.45), "天津": (1364, 53000, 290, 0.40), "石家庄": (1123, 42000, 250, 0.30),
    "唐山": (770, 45000, 300, 0.28), "保定": (920, 32000, 220, 0.28), "邯郸": (925, 31000, 200, 0.27),
    "沧州": (730, 33000, 230, 0.27), "廊坊": (550, 45000, 280, 0.30), "太原": (545, 45000, 300, 0.33),
    "大同": (306, 32000, 200, 0.25), "呼和浩特": (355, 52000, 320, 0.25), "包头": (274, 52000, 330, 0.25),
    "鄂尔多斯": (220, 56000, 420, 0.22),
    "武汉": (1377, 58000, 315, 0.42), "宜昌": (390, 38000, 200, 0.33), "襄阳": (527, 35000, 190, 0.30),
    "荆州": (510, 30000, 150, 0.28), "长沙": (1051, 62000, 310, 0.42), "株洲": (385, 45000, 220, 0.32),
    "岳阳": (500, 33000, 170, 0.28), "衡阳": (650, 32000, 150, 0.28), "常德": (525, 32000, 160, 0.28),
    "郑州": (1300, 45000, 354, 0.40), "洛阳": (708, 36000, 220, 0.30), "南阳": (950, 26000, 140, 0.27),
    "新乡": (617, 30000, 170, 0.28), "南昌": (656, 52000, 240, 0.35), "赣州": (900, 28000, 120, 0.28),
    "九江": (456, 36000, 170, 0.30),
    "成都": (2140, 54000, 294, 0.40), "绵阳": (490, 38000, 180, 0.32), "宜宾": (462, 36000, 150, 0.32),
    "南充": (556, 28000, 110, 0.28), "泸州": (426, 33000, 140, 0.30), "重庆": (3191, 37000, 172, 0.38),
    "昆明": (868, 50000, 320, 0.35), "曲靖": (577, 30000, 140, 0.28), "大理": (333, 32000, 170, 0.28),
    "贵阳": (640, 46000, 300, 0.40), "遵义": (660, 34000, 160, 0.30), "拉萨": (87, 40000, 350, 0.20),
    "西安": (1307, 43000, 344, 0.45), "宝鸡": (330, 32000, 170, 0.28), "咸阳": (420, 30000, 170, 0.28),
    "榆林": (362, 37000, 250, 0.22), "兰州": (442, 40000, 260, 0.28), "天水": (295, 22000, 90, 0.22),
    "银川": (290, 42000, 320, 0.26), "西宁": (248, 38000, 290, 0.25), "乌鲁木齐": (408, 48000, 330, 0.25),
    "库尔勒": (70, 42000, 300, 0.20),
    "沈阳": (920, 50000, 260, 0.28), "大连": (753, 52000, 240, 0.28), "鞍山": (325, 40000, 180, 0.22),
    "锦州": (260, 30000, 160, 0.20), "长春": (907, 42000, 250, 0.25), "吉林": (360, 32000, 170, 0.20),
    "四平": (180, 25000, 130, 0.18), "哈尔滨": (940, 40000, 210, 0.22), "大庆": (273, 42000, 260, 0.20),
    "齐齐哈尔": (390, 26000, 120, 0.18), "牡丹江": (230, 30000, 150, 0.18),
    "济南": (944, 50000, 330, 0.35), "青岛": (1037, 58000, 330, 0.35), "烟台": (705, 48000, 300, 0.30),
    "潍坊": (938, 42000, 280, 0.30), "临沂": (1099, 32000, 200, 0.28), "淄博": (470, 46000, 320, 0.30),
    "济宁": (830, 35000, 230, 0.28), "泰安": (540, 37000, 230, 0.28), "威海": (292, 50000, 330, 0.32),
    "德州": (560, 30000, 220, 0.27), "聊城": (590, 28000, 200, 0.27),
}  # fmt: skip


def city_market_rows(regions: int, year: int) -> list[dict]:
    """The table as rows for the cities of the first ``regions`` sales regions, in the order
    of ``CITIES``."""
    rows = []
    for city in CITIES:
        if city.region >= regions:
            continue
        population, income, vehicles, nev_share = MARKETS[city.name]
        people = population * 10_000
        row = {
            "region_id": city.region + 1,  # the generator's region ids follow REGIONS
            "province": city.province,
            "city": city.name,
            "year": year,
            "latitude": city.latitude,
            "longitude": city.longitude,
            "population": people,
            "households": round(people / HOUSEHOLD_SIZE[city.province]),
            # As the table stores them, so the capacity is the one the city's page shows.
            "disposable_income": Decimal(income),
            "vehicles_per_1000": Decimal(vehicles),
            "nev_share": Decimal(str(nev_share)),
        }
        capacity = market_capacity(SimpleNamespace(**row))
        rows.append(row | {"capacity_units": capacity.units, "nev_capacity_units": capacity.nev_units})
    return rows


def city_market_columns(regions: int, year: int, created_second: int) -> dict[str, np.ndarray]:
    """The table as COPY columns, every row created at ``created_second``."""
    rows = city_market_rows(regions, year)
    column = {name: np.array([row[name] for row in rows]) for name in rows[0]}
    created = np.full(len(rows), created_second)
    return {
        "id": col.integers(np.arange(1, len(rows) + 1)),
        "region_id": col.integers(column["region_id"]),
        "province": col.words(list(column["province"]), np.arange(len(rows))),
        "city": col.words(list(column["city"]), np.arange(len(rows))),
        "year": col.integers(column["year"]),
        "latitude": col.coordinate(column["latitude"]),
        "longitude": col.coordinate(column["longitude"]),
        "population": col.integers(column["population"]),
        "households": col.integers(column["households"]),
        "disposable_income": col.money(np.array([int(row["disposable_income"] * 100) for row in rows])),
        "vehicles_per_1000": col.money(np.array([int(row["vehicles_per_1000"] * 100) for row in rows])),
        "nev_share": col.rate(np.array([int(row["nev_share"] * 1_000_000) for row in rows])),
        "capacity_units": col.integers(column["capacity_units"]),
        "nev_capacity_units": col.integers(column["nev_capacity_units"]),
        "units_sold": col.integers(np.zeros(len(rows), dtype=np.int64)),  # the first plan run counts them
        "created_at": col.timestamps(created),
        "updated_at": col.timestamps(created),
    }
