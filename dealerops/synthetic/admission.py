"""Demo dealer applications on a generated network, filed and decided through the admission
services as the demo users would: two awaiting the first region's manager, a draft still
missing documents, one awaiting the second manager, one approved (an active secondary dealer
with its account) and one rejected. Their documents are tiny generated PDFs and PNGs, so the
review pages show a checklist that opens. No random numbers: the network's streams are untouched."""

import shutil
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from django.conf import settings
from django.db import transaction

from channels.admission.licence import check_character
from channels.admission.models import REQUIRED_DOCUMENTS
from channels.admission.selectors import PARENT_KINDS
from channels.admission.services import (
    ApplicationInput,
    application_decide,
    application_save,
    application_submit,
    document_add,
)
from channels.models import Dealer, DealerApplication, DealerStatus, DocumentKind, Region
from dealerops.models import User
from dealerops.synthetic.images import png_image

# The folder under MEDIA_ROOT the documents are kept in (channels.admission.files).
DOCUMENTS_FOLDER = "admission"


@dataclass(frozen=True)
class DemoApplication:
    name: str  # the company's trade name
    representative: str
    contact: str
    filed_by: str  # a demo user name
    region: int  # the parent's region, by the regions' order
    documents: tuple[str, ...]
    submitted: bool = True
    decision: tuple[str, str, str] | None = None  # (reviewer, outcome, reason)


ALL_DOCUMENTS = tuple(DocumentKind.values)
REQUIRED_ONLY = REQUIRED_DOCUMENTS
APPLICATIONS = [
    DemoApplication("恒通", "王建国", "李海燕", "dealer", 0, ALL_DOCUMENTS),
    DemoApplication("瑞丰", "赵志强", "孙丽", "admin", 0, REQUIRED_ONLY),
    DemoApplication("华远", "陈明", "周婷", "dealer", 0, (DocumentKind.BUSINESS_LICENCE,), submitted=False),
    DemoApplication("金诚", "刘洋", "吴静", "admin", 1, ALL_DOCUMENTS),
    DemoApplication(
        "鼎盛",
        "黄伟",
        "郑欣",
        "admin",
        0,
        ALL_DOCUMENTS,
        decision=("manager", "approved", "县城空白市场，资料齐全，选址距母店 12 公里。"),
    ),
    DemoApplication(
        "宏达",
        "林峰",
        "何雪",
        "admin",
        2,
        REQUIRED_ONLY,
        decision=("manager2", "rejected", "选址与两家现有网点重叠过多。"),
    ),
]


def admission_build() -> int:
    """File the demo applications; returns how many. The documents of a network replaced
    before (their rows are gone) are removed first."""
    shutil.rmtree(Path(settings.MEDIA_ROOT) / DOCUMENTS_FOLDER, ignore_errors=True)
    users = {
        user.username: user for user in User.objects.filter(username__in=["admin", "dealer", "manager", "manager2"])
    }
    regions = list(Region.objects.order_by("id"))
    flagship = users["dealer"].dealer
    parents = {
        index: list(
            Dealer.objects.filter(region=region, kind__in=PARENT_KINDS, status=DealerStatus.ACTIVE)
            .exclude(pk=flagship.pk)
            .order_by("code")
        )
        for index, region in enumerate(regions[:3])
    }
    made = 0
    for number, demo in enumerate(APPLICATIONS, start=1):
        filer = users[demo.filed_by]
        if demo.filed_by == "dealer" and flagship.status == DealerStatus.ACTIVE:
            parent = flagship
        elif candidates := parents.get(demo.region):
            parent = candidates[number % len(candidates)]
            if demo.filed_by == "dealer":
                filer = users["manager"]  # the dealer user's store takes none now (on probation)
        else:
            continue  # a small network without a store there
        with transaction.atomic():
            _file(demo, number, filer, parent, users)
        made += 1
    return made


def _file(demo: DemoApplication, number: int, filer: User, parent: Dealer, users: dict[str, User]) -> DealerApplication:
    # About 12 km north-east of the parent: near enough to share some of its customers.
    latitude = (parent.latitude + Decimal("0.080000")).quantize(Decimal("0.000001"))
    longitude = (parent.longitude + Decimal("0.090000")).quantize(Decimal("0.000001"))
    body = f"91{330100 + number * 7:06d}MA{number:07d}"
    application = application_save(
        user=filer,
        data=ApplicationInput(
            parent=parent,
            company_name=f"{parent.city}{demo.name}汽车销售服务有限公司",
            licence_number=body + check_character(body),
            legal_representative=demo.representative,
            outlet_name=f"{parent.city}{demo.name}汽车（二级网点）",
            province=parent.province,
            city=parent.city,
            address=f"{parent.city}经济开发区汽贸路 {number * 18} 号",
            latitude=latitude,
            longitude=longitude,
            sales_headcount=3 + number % 4,
            monthly_sales_target=15 + number * 3,
            contact_name=demo.contact,
            contact_phone=f"1390000{number:04d}",
            contact_email=f"contact{number}@example.cn",
            note="展厅面积约 600 平方米，可停放展车 8 台；计划配置销售顾问与售后接待各若干名。",
        ),
    )
    for kind in demo.documents:
        content, extension = (_png(number), "png") if kind == DocumentKind.SITE_PHOTO else (_pdf(kind), "pdf")
        document_add(user=filer, application=application, kind=kind, content=content, file_name=f"{kind}.{extension}")
    if demo.submitted:
        application_submit(user=filer, application=application)
    if demo.decision:
        reviewer, outcome, reason = demo.decision
        application_decide(user=users[reviewer], application=application, outcome=outcome, reason=reason)
    return application


def _pdf(title: str) -> bytes:
    """A one-page PDF that says which document it stands for (ASCII: no font to embed)."""
    text = f"BT /F1 24 Tf 72 720 Td (Demo document: {title}) Tj ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R"
        b" /Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n%s\nendstream" % (len(text), text),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out, offsets = bytearray(b"%PDF-1.4\n"), []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def _png(seed: int, width: int = 160, height: int = 90) -> bytes:
    """A small PNG of a sky over a grey forecourt: a stand-in for a photo of the site."""
    sky, ground = (120 + seed * 10 % 60, 170, 220), (150, 150, 150)
    return png_image(width, height, lambda x, y: sky if y < height * 0.6 else ground)
