"""Words the generator draws from: people's names, outlet names, the vehicle range, lenders,
inquiry texts, and the Chinese New Year calendar."""

from datetime import date

SURNAMES = list("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈")
GIVEN_NAMES = list("伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍鹏辉红建宇浩凯鑫晨欣怡子涵梓轩")

# The car maker's name on every outlet; its vehicles are sold under three brands.
MAKER = "晟驰"
# Generic district words, so outlet names read like "杭州城东晟驰4S店".
AREAS = [
    "城东", "城西", "城南", "城北", "高新", "经开", "滨江", "新区", "中心", "东城",
    "西城", "南湖", "北湖", "江北", "河西", "东站", "空港", "临港", "科技城", "湖滨",
]  # fmt: skip
KIND_SUFFIXES = {"4s": "4S店", "secondary": "汽车销售服务部", "showroom": "城市展厅"}
BRANCH_NUMERALS = "二三四五六七八九十"

# Each brand: (name, code letter, share of series, powertrain mix ICE/HEV/PHEV/BEV, MSRP range in yuan).
BRANDS = [
    ("晟驰", "S", 0.45, (0.45, 0.25, 0.30, 0.00), (100_000, 200_000)),
    ("驰光", "E", 0.35, (0.00, 0.00, 0.25, 0.75), (130_000, 290_000)),
    ("御晟", "Y", 0.20, (0.30, 0.00, 0.35, 0.35), (260_000, 420_000)),
]
POWERTRAINS = ["ice", "hev", "phev", "bev"]
TRIMS = {
    "ice": ["1.5T 舒适版", "2.0T 豪华版", "2.0T 旗舰版"],
    "hev": ["双擎舒适版", "双擎豪华版", "双擎旗舰版"],
    "phev": ["插混畅享版", "插混豪华版", "插混旗舰版"],
    "bev": ["标准续航版", "长续航版", "四驱性能版"],
}
SERIES_NUMBERS = [3, 5, 6, 7, 8, 9]

# Exterior colours and their shares of units, for combustion and hybrid cars and for BEVs
# (white and black lead in China; electric buyers choose grey and blue more often).
COLOURS = [
    ("珍珠白", 0.36, 0.30),
    ("曜石黑", 0.22, 0.16),
    ("星空灰", 0.16, 0.22),
    ("极光银", 0.08, 0.06),
    ("冰川蓝", 0.08, 0.14),
    ("宝石红", 0.06, 0.05),
    ("松石绿", 0.04, 0.07),
]
SERIES_SUFFIXES = ["", " Pro", " L", " Max", " GT", " Plus"]

# (code, name, kind, market share among loans). Ordered so that any first six mix all kinds.
LENDERS = [
    ("ICBC", "中国工商银行", "bank", 0.18),
    ("SAICGMAC", "上汽通用汽车金融", "auto_finance", 0.16),
    ("CCB", "中国建设银行", "bank", 0.14),
    ("TMFC", "丰田汽车金融", "auto_finance", 0.11),
    ("CMB", "招商银行", "bank", 0.12),
    ("FELH", "远东宏信融资租赁", "insurer_leasing", 0.07),
    ("PAB", "平安银行", "bank", 0.10),
    ("VWFS", "大众汽车金融", "auto_finance", 0.12),
]

INQUIRY_TEXTS = {
    ("inquiry", "sales"): ["请问新款车型何时到店，能否预约试驾？", "想了解现车颜色和交车时间。"],
    ("inquiry", "finance"): ["贷款购车首付最低多少，有没有低息方案？", "想咨询提前还款需要什么手续。"],
    ("inquiry", "service"): ["首保需要提前几天预约？", "请问保养套餐包含哪些项目？"],
    ("inquiry", "product"): ["车机系统如何升级？", "冬季续航大概能跑多少公里？"],
    ("inquiry", "other"): ["上牌可以代办吗？", "旧车置换补贴怎么申请？"],
    ("complaint", "sales"): ["交车时间一再推迟，销售顾问不回电话。", "成交价与合同约定不一致。"],
    ("complaint", "finance"): ["贷款利率与销售承诺不符，多收了服务费。", "放款太慢，影响提车。"],
    ("complaint", "service"): ["到店保养等待时间过长，希望改进预约安排。", "维修后问题仍未解决，需要再次返厂。"],
    ("complaint", "product"): ["车辆异响多次检修未解决。", "新车漆面有划痕，要求处理。"],
    ("complaint", "other"): ["展厅停车不便，服务态度一般。", "发票开具错误，迟迟未更正。"],
}

# The Chinese New Year's Day; the month it falls in sells least (dealers close for the holiday).
CHINESE_NEW_YEAR = {
    2022: date(2022, 2, 1),
    2023: date(2023, 1, 22),
    2024: date(2024, 2, 10),
    2025: date(2025, 1, 29),
    2026: date(2026, 2, 17),
    2027: date(2027, 2, 6),
    2028: date(2028, 1, 26),
    2029: date(2029, 2, 13),
    2030: date(2030, 2, 3),
}
