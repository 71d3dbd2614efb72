"""The four SOP checklists a network starts with (version 1 of each), as head office's
standards describe the showroom, the test drive, the delivery and the after-sales reception.
Head office revises them as new versions (``checklist_template_publish``)."""

from decimal import Decimal

from channels.inspections.models import ChecklistKind

# kind: (title, days to correct, pass mark, [(item, pass criterion, weight)])
DEFAULT_CHECKLISTS: dict[str, tuple[str, int, Decimal, list[tuple[str, str, Decimal]]]] = {
    ChecklistKind.SHOWROOM: (
        "展厅接待标准检查表",
        14,
        Decimal("80"),
        [
            ("门头与品牌标识", "门头灯箱完好、夜间点亮，标识符合最新品牌形象手册", Decimal("1.0")),
            ("展厅环境整洁", "地面、玻璃、展台无污渍灰尘，洽谈区桌面无杂物", Decimal("1.5")),
            ("展车状态", "展车清洁、电量或油量充足，车门未锁，价格牌与配置单齐全", Decimal("2.0")),
            ("客户到店迎接", "客户进店 30 秒内有顾问主动问候并递送名片", Decimal("2.0")),
            ("需求分析", "顾问按需求分析表询问用途、预算、家庭成员与关注点", Decimal("1.5")),
            ("价格与金融方案公示", "指导价、现行促销与金融方案在展厅醒目位置公示，与系统一致", Decimal("1.5")),
            ("客户信息录入", "来店客户当日录入 CRM，来源与意向车型填写完整", Decimal("1.0")),
            ("休息区服务", "饮品、充电设备、儿童区可用，卫生间清洁并有巡检记录", Decimal("0.5")),
        ],
    ),
    ChecklistKind.TEST_DRIVE: (
        "试乘试驾标准检查表",
        14,
        Decimal("80"),
        [
            ("试驾车配置", "每款主销车型至少一台试驾车，保险、年检有效，车况良好", Decimal("2.0")),
            ("驾驶证核验与协议", "试驾前核验驾驶证原件并签署试驾协议，复印件存档", Decimal("2.0")),
            ("试驾路线", "使用备案的固定路线，含直线加速、弯道与减速带路段，路线图张贴", Decimal("1.0")),
            ("试驾前讲解", "上车前讲解座椅调整、主要功能与安全注意事项", Decimal("1.5")),
            ("顾问陪同", "全程有持证顾问陪同，先试乘后试驾", Decimal("1.5")),
            ("新能源车型体验", "新能源车型演示充电口、能量回收与智能驾驶辅助功能", Decimal("1.0")),
            ("试驾后回访", "试驾结束后填写试驾反馈表，24 小时内电话回访", Decimal("1.0")),
        ],
    ),
    ChecklistKind.DELIVERY: (
        "新车交付标准检查表",
        10,
        Decimal("85"),
        [
            ("交车区布置", "专用交车区清洁，有品牌背景板与交车仪式用品", Decimal("1.0")),
            ("交车前检查（PDI）", "PDI 检查表逐项签字，车辆外观内饰无瑕疵，随车工具齐全", Decimal("2.0")),
            ("车辆与单据核对", "VIN、合格证、发票、保险单信息一致，当面交付客户核对", Decimal("2.0")),
            ("功能讲解", "按交车讲解清单逐项演示，含手机 App 绑定与远程控制", Decimal("1.5")),
            ("费用透明", "全部费用明细书面告知，无捆绑收费，客户签字确认", Decimal("2.0")),
            ("售后引荐", "交车时引荐服务顾问，告知首保时间与救援电话", Decimal("1.0")),
            ("交车回访", "交车后 3 日内完成满意度回访并记录", Decimal("1.0")),
        ],
    ),
    ChecklistKind.AFTER_SALES: (
        "售后接待标准检查表",
        14,
        Decimal("80"),
        [
            ("预约与接车", "预约客户到店 5 分钟内接待，环车检查并当面记录外观", Decimal("1.5")),
            ("三件套与防护", "接车即铺座椅套、方向盘套、脚垫，工位有翼子板护垫", Decimal("1.0")),
            ("维修估价", "开工前书面告知项目、工时费与配件价，客户签字", Decimal("2.0")),
            ("增项确认", "维修中增加项目须再次取得客户同意并留存记录", Decimal("2.0")),
            ("原厂配件", "使用原厂配件，旧件按客户意愿返还或展示", Decimal("1.5")),
            ("车间 5S", "工具归位、地面无油污，危险废弃物分类存放并有台账", Decimal("1.0")),
            ("完工检验与交车", "完工质检签字，结算单与估价一致，按时交车", Decimal("1.5")),
            ("服务回访", "交车后 3 日内回访，投诉 24 小时内响应", Decimal("1.0")),
        ],
    ),
}
