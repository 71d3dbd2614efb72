"""Car loans, upserted by their reference (the lender's contract number). A loan names the
sale it finances by the unit's VIN; the rules are the loan table's own constraints and
triggers (finance/models/loans.py), checked here first so each refusal names its cell.

The commission ledger reads loans: a status an import moves (paid off early, defaulted) is
picked up by the nightly posting like one entered on the loan's page. As there, a dealer
user's move that moves money (``finance.services.loans.loan_move_needs_confirmation``) is
written as a report awaiting finance's confirmation: the loan keeps its status (a new one is
written as approved) until finance confirms.
"""

import re
from collections import defaultdict
from datetime import date
from typing import Any

from dateutil.relativedelta import relativedelta
from django.db.models import F
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from datahub.kinds.base import CheckedRow, Field, ImportSpec, choice_reader, optional
from datahub.kinds.stock import VIN
from datahub.models import ImportKind, RowAction
from dealerops.bulk import bulk_upsert
from dealerops.tabular import cell_amount, cell_date, cell_integer, cell_rate, cell_text, normalise_header
from finance.models import (
    CLOSED_STATUSES,
    DISBURSED_STATUSES,
    MAX_TERM_MONTHS,
    MIN_TERM_MONTHS,
    CreditGrade,
    Lender,
    Loan,
    LoanStatus,
    LoanStatusReport,
    ReportDecision,
)
from finance.services.loans import loan_buy_rate_refusal, loan_move_needs_confirmation, loan_transition_refusal
from inventory.models import Payment, Sale

STATUSES = {
    "applied": LoanStatus.APPLIED, "申请中": LoanStatus.APPLIED, "已申请": LoanStatus.APPLIED,
    "审批中": LoanStatus.APPLIED, "审核中": LoanStatus.APPLIED, "待审批": LoanStatus.APPLIED,
    "approved": LoanStatus.APPROVED, "已审批": LoanStatus.APPROVED, "审批通过": LoanStatus.APPROVED,
    "已批准": LoanStatus.APPROVED, "已通过": LoanStatus.APPROVED,
    "rejected": LoanStatus.REJECTED, "已拒绝": LoanStatus.REJECTED, "拒绝": LoanStatus.REJECTED,
    "审批拒绝": LoanStatus.REJECTED, "审批未通过": LoanStatus.REJECTED,
    "disbursed": LoanStatus.DISBURSED, "已放款": LoanStatus.DISBURSED, "放款": LoanStatus.DISBURSED,
    "还款中": LoanStatus.DISBURSED, "正常还款": LoanStatus.DISBURSED,
    "paid_off_early": LoanStatus.PAID_OFF_EARLY, "paid off early": LoanStatus.PAID_OFF_EARLY,
    "提前结清": LoanStatus.PAID_OFF_EARLY, "提前还款": LoanStatus.PAID_OFF_EARLY,
    "defaulted": LoanStatus.DEFAULTED, "逾期违约": LoanStatus.DEFAULTED, "违约": LoanStatus.DEFAULTED,
    "matured": LoanStatus.MATURED, "到期结清": LoanStatus.MATURED, "正常结清": LoanStatus.MATURED,
    "到期": LoanStatus.MATURED,
}  # fmt: skip
STATUS_HINT = "申请中 / 已审批 / 已拒绝 / 已放款 / 提前结清 / 逾期违约 / 到期结清"

GRADES = {grade: grade for grade in CreditGrade.values} | {f"{grade}级": grade for grade in CreditGrade.values}


def read_reference(cell: Any) -> str:
    return cell_text(cell, max_length=32)


def read_lender(cell: Any) -> str:
    return cell_text(cell, max_length=64)


def read_principal(cell: Any):
    amount = cell_amount(cell)
    if amount <= 0:
        raise ValueError(_("the principal must be positive."))
    return amount


def read_down_payment(cell: Any):
    amount = cell_amount(cell)
    if amount < 0:
        raise ValueError(_("the down payment cannot be negative."))
    return amount


def read_term(cell: Any) -> int:
    """Months: 36, 36期 or 36个月."""
    if isinstance(cell, str):
        cell = re.sub(r"\s*(?:期|个月|月)$", "", cell.strip())
    return cell_integer(cell, minimum=MIN_TERM_MONTHS, maximum=MAX_TERM_MONTHS)


# The values a loan row carries that are compared with, and written to, the loan.
LOAN_FIELDS = (
    "principal", "down_payment", "annual_rate", "buy_rate", "term_months", "credit_grade", "status",
    "applied_on", "disbursed_on", "closed_on",
)  # fmt: skip

OPTIONAL_COLUMNS = ("buy_rate", "disbursed_on", "closed_on")


class LoanImport(ImportSpec):
    kind = ImportKind.LOANS
    example = {
        "reference": "LN2025060001", "vin": "LFV2A21K8N3000001", "lender": "ICBC", "principal": "120000.00",
        "down_payment": "69800.00", "annual_rate": "4.95%", "buy_rate": "3.20%", "term_months": "36",
        "credit_grade": "A", "status": "已放款", "applied_on": "2025-06-10", "disbursed_on": "2025-06-20",
        "closed_on": "",
    }  # fmt: skip
    natural_key = "reference"
    audited_in_bulk = (Loan,)
    fields = (
        Field(
            "reference",
            gettext_lazy("loan reference"),
            read_reference,
            ("reference", "loanno", "contractno", "贷款编号", "贷款合同号", "合同号", "合同编号", "贷款单号"),
        ),
        VIN,
        Field(
            "lender",
            gettext_lazy("lender"),
            read_lender,
            ("lendercode", "贷款机构", "金融机构", "放款机构", "资方", "银行", "机构代码"),
        ),
        Field(
            "principal",
            gettext_lazy("principal"),
            read_principal,
            kind="money",
            aliases=("loanamount", "贷款金额", "贷款本金", "本金", "融资金额", "放款金额"),
        ),
        Field(
            "down_payment",
            gettext_lazy("down payment"),
            read_down_payment,
            kind="money",
            aliases=("首付", "首付款", "首付金额"),
        ),
        Field(
            "annual_rate",
            gettext_lazy("annual rate"),
            cell_rate,
            kind="rate",
            aliases=("rate", "customerrate", "年利率", "贷款利率", "客户利率", "利率"),
        ),
        Field(
            "buy_rate",
            gettext_lazy("lender buy rate"),
            optional(cell_rate),
            kind="rate",
            aliases=("buyrate", "结算利率", "资方利率", "银行利率", "成本利率"),
            required=False,
        ),
        Field(
            "term_months",
            gettext_lazy("term (months)"),
            read_term,
            ("term", "termmonths", "期数", "贷款期数", "贷款期限", "期限", "期限月"),
        ),
        Field(
            "credit_grade",
            gettext_lazy("credit grade"),
            choice_reader(GRADES, "A / B / C / D / E"),
            ("grade", "信用等级", "客户评级", "评级", "风险等级"),
        ),
        Field(
            "status",
            gettext_lazy("status"),
            choice_reader(STATUSES, STATUS_HINT),
            ("loanstatus", "贷款状态", "状态", "合同状态"),
        ),
        Field("applied_on", gettext_lazy("applied on"), cell_date, ("申请日期", "进件日期", "申请时间")),
        Field(
            "disbursed_on",
            gettext_lazy("disbursed on"),
            optional(cell_date),
            ("放款日期", "放款时间"),
            required=False,
        ),
        Field(
            "closed_on",
            gettext_lazy("closed on"),
            optional(cell_date),
            ("结清日期", "关闭日期", "结束日期", "结清时间"),
            required=False,
        ),
    )

    def resolve(self, rows: list[CheckedRow]) -> None:
        lenders: dict[str, dict[str, Any]] = {}
        for lender in Lender.objects.values("id", "code", "name"):
            lenders[normalise_header(lender["code"])] = lender
            lenders[normalise_header(lender["name"])] = lender
        sales = {
            sale["vin"]: sale
            for sale in Sale.objects.filter(stock_unit__vin__any=[row.values["vin"] for row in rows]).values(
                "id", "dealer_id", "payment", "transaction_price", vin=F("stock_unit__vin")
            )
        }
        loans = {
            loan["reference"]: loan
            for loan in Loan.objects.filter(reference__any=[row.values["reference"] for row in rows]).values(
                "id",
                "reference",
                "dealer_id",
                "sale_id",
                "lender_id",
                *LOAN_FIELDS,
                lender_name=F("lender__name"),
                sale_vin=F("sale__stock_unit__vin"),
            )
        }
        own = []
        for row in rows:
            values = row.values
            existing = loans.get(values["reference"])
            if existing is not None and existing["dealer_id"] != self.dealer.pk:
                # Nothing more is said about another dealer's loan.
                row.error(self.column("reference"), _("this reference is another dealer's loan."))
                continue
            own.append(row)
            for name in OPTIONAL_COLUMNS:
                # A column the file lacks keeps the loan's value (none for a new loan).
                if name not in self.headers:
                    values[name] = existing[name] if existing else None
            self._check_lender(row, lenders, existing)
            self._check_sale(row, sales.get(values["vin"]), existing)
        live = self._live_loans(own)
        pending = dict(
            LoanStatusReport.objects.filter(
                loan__reference__any=[row.values["reference"] for row in own], decision=ReportDecision.PENDING
            ).values_list("loan__reference", "status")
        )
        for row in own:
            existing = loans.get(row.values["reference"])
            self._check_one_live_loan(row, live)
            reported = pending.get(row.values["reference"])
            if reported and row.values["status"] not in (reported, existing["status"]):
                row.error(
                    self.column("status"),
                    _("the loan's move to %(status)s awaits finance's confirmation: import this status afterwards.")
                    % {"status": LoanStatus(reported).label.lower()},
                )
            # The dates follow the status: checked only for a status the loan may have (or
            # has been reported to have: the same file imported again).
            if existing is None or reported == row.values["status"] or self._check_status(row, existing):
                self._check_dates(row)
            self._check_rates(row)
            self.decide(row, existing, LOAN_FIELDS)
            self._note_reported_move(row, existing, reported)

    @staticmethod
    def _live_loans(rows: list[CheckedRow]) -> dict[int, set[str]]:
        """The live (not rejected) loans of each sale once the file is written: the database's
        loans the file does not name, then the file's own rows."""
        live: dict[int, set[str]] = defaultdict(set)
        in_file = {row.values["reference"] for row in rows}
        sale_ids = {row.values["sale_id"] for row in rows if row.values.get("sale_id")}
        live_loans = Loan.objects.filter(sale_id__any=sale_ids).exclude(status=LoanStatus.REJECTED)
        for sale_id, reference in live_loans.values_list("sale_id", "reference"):
            if reference not in in_file:
                live[sale_id].add(reference)
        for row in rows:
            if row.values.get("sale_id") and row.values["status"] != LoanStatus.REJECTED:
                live[row.values["sale_id"]].add(row.values["reference"])
        return live

    def _check_one_live_loan(self, row: CheckedRow, live: dict[int, set[str]]) -> None:
        sale_id = row.values.get("sale_id")
        if not sale_id or row.values["status"] == LoanStatus.REJECTED:
            return
        others = sorted(live[sale_id] - {row.values["reference"]})
        if others:
            row.error(
                self.column("vin"),
                _("the sale already has a loan (%(references)s): only a rejected one may be followed by another.")
                % {"references": ", ".join(others)},
            )

    def _check_lender(self, row: CheckedRow, lenders: dict[str, dict[str, Any]], existing: dict | None) -> None:
        lender = lenders.get(normalise_header(row.values["lender"]))
        if lender is None:
            row.error(
                self.column("lender"),
                _("no lender has the code or name “%(lender)s”.") % {"lender": row.values["lender"]},
            )
            return
        row.values["lender_id"] = lender["id"]
        if existing is not None and existing["lender_id"] != lender["id"]:
            row.error(
                self.column("lender"),
                _("the loan is with %(lender)s: its lender cannot change.") % {"lender": existing["lender_name"]},
            )

    def _check_sale(self, row: CheckedRow, sale: dict[str, Any] | None, existing: dict | None) -> None:
        values = row.values
        column = self.column("vin")
        if sale is None:
            row.error(column, _("no sale has this VIN: import the sale first."))
            return
        if sale["dealer_id"] != self.dealer.pk:
            row.error(column, _("this VIN was sold by another dealer."))
            return
        if existing is not None and existing["sale_id"] != sale["id"]:
            row.error(
                column,
                _("the loan finances the sale of %(vin)s: its sale cannot change.") % {"vin": existing["sale_vin"]},
            )
            return
        values["sale_id"] = sale["id"]
        if sale["payment"] != Payment.LOAN:
            row.error(
                column,
                _("the sale of this VIN is paid by %(payment)s, not by loan.")
                % {"payment": Payment(sale["payment"]).label.lower()},
            )
        # The database checks this for every loan but a rejected application.
        total = values["principal"] + values["down_payment"]
        if values["status"] != LoanStatus.REJECTED and total != sale["transaction_price"]:
            row.error(
                self.column("principal"),
                _("principal + down payment come to %(total)s; the sale's price is %(price)s.")
                % {"total": total, "price": sale["transaction_price"]},
            )

    def _check_dates(self, row: CheckedRow) -> None:
        values = row.values
        status = values["status"]
        label = LoanStatus(status).label.lower()
        self.refuse_future(row, "applied_on", "disbursed_on", "closed_on")
        disbursed_on: date | None = values["disbursed_on"]
        closed_on: date | None = values["closed_on"]
        if status in DISBURSED_STATUSES and disbursed_on is None:
            row.error(
                self.column("disbursed_on"), _("a %(status)s loan needs its disbursement date.") % {"status": label}
            )
        elif status not in DISBURSED_STATUSES and disbursed_on is not None:
            row.error(
                self.column("disbursed_on"),
                _("a loan that is %(status)s has not been disbursed: leave this cell empty.") % {"status": label},
            )
        if status in CLOSED_STATUSES and closed_on is None:
            row.error(self.column("closed_on"), _("a %(status)s loan needs its closing date.") % {"status": label})
        elif status not in CLOSED_STATUSES and closed_on is not None:
            row.error(
                self.column("closed_on"),
                _("a loan that is %(status)s is not closed: leave this cell empty.") % {"status": label},
            )
        if disbursed_on is not None and disbursed_on < values["applied_on"]:
            row.error(
                self.column("disbursed_on"),
                _("the loan is disbursed before it was applied for (%(date)s).") % {"date": values["applied_on"]},
            )
        if closed_on is not None and disbursed_on is not None and closed_on < disbursed_on:
            row.error(
                self.column("closed_on"),
                _("the loan closes before it was disbursed (%(date)s).") % {"date": disbursed_on},
            )
        if status == LoanStatus.MATURED and closed_on is not None and disbursed_on is not None:
            matures_on = disbursed_on + relativedelta(months=values["term_months"])
            if closed_on < matures_on:
                row.error(
                    self.column("status"),
                    _("the loan's term ends on %(date)s: closed before then, it was paid off early.")
                    % {"date": matures_on},
                )

    def _check_rates(self, row: CheckedRow) -> None:
        values = row.values
        refusal = loan_buy_rate_refusal(annual_rate=values.get("annual_rate"), buy_rate=values.get("buy_rate"))
        if refusal:
            # A file without the column keeps the loan's buy rate: then the annual rate is the mistake.
            row.error(self.column("buy_rate" if "buy_rate" in self.headers else "annual_rate"), refusal)

    def _note_reported_move(self, row: CheckedRow, existing: dict[str, Any] | None, reported: str | None) -> None:
        """Tell the clerk that the row's move will be reported for finance's confirmation
        rather than applied (the same rule ``write`` follows, for the user who writes)."""
        if row.action not in (RowAction.CREATE, RowAction.UPDATE) or self.written_by is None:
            return
        old, new = existing and existing["status"], row.values["status"]
        if old == new or not loan_move_needs_confirmation(user=self.written_by, old=old, new=new):
            return
        label = LoanStatus(new).label.lower()
        if reported == new:
            row.notes.append(_("its move to %(status)s already awaits finance's confirmation.") % {"status": label})
        elif existing is None:
            row.notes.append(
                _("the loan is written as approved; its move to %(status)s is reported for finance's confirmation.")
                % {"status": label}
            )
        else:
            row.notes.append(
                _("the move to %(status)s is reported for finance's confirmation; until then the loan stays as it is.")
                % {"status": label}
            )

    def _check_status(self, row: CheckedRow, existing: dict[str, Any]) -> bool:
        """Whether the loan's status may become the row's (it may also stay as it is)."""
        old, new = existing["status"], row.values["status"]
        refusal = loan_transition_refusal(old=old, new=new) if old != new else None
        if refusal:
            row.error(self.column("status"), refusal)
        return refusal is None

    def write(self, rows: list[CheckedRow]) -> None:
        # Rejections first: a sale's rejected application must leave the one-live-loan index
        # before the sale's next application is inserted in the same statement.
        rows = sorted(rows, key=lambda row: row.values["status"] != LoanStatus.REJECTED)
        written, reports = self._reported_moves(rows)
        ids = bulk_upsert(
            Loan,
            [
                {
                    "reference": row.values["reference"],
                    "sale_id": row.values["sale_id"],
                    "dealer_id": self.dealer.pk,
                    "lender_id": row.values["lender_id"],
                    **{name: written[row.values["reference"]][name] for name in LOAN_FIELDS},
                }
                for row in rows
            ],
            unique=["reference"],
            update=LOAN_FIELDS,
        )
        self.record_history(Loan, rows, ids)
        if reports:
            loan_ids = dict(Loan.objects.filter(reference__any=list(reports)).values_list("reference", "id"))
            already = set(
                LoanStatusReport.objects.filter(
                    loan_id__any=list(loan_ids.values()), decision=ReportDecision.PENDING
                ).values_list("loan_id", flat=True)
            )
            LoanStatusReport.objects.bulk_create(
                LoanStatusReport(loan_id=loan_ids[reference], reported_by=self.written_by, **report)
                for reference, report in reports.items()
                if loan_ids[reference] not in already  # the same file imported again
            )

    def _reported_moves(self, rows: list[CheckedRow]) -> tuple[dict[str, dict[str, Any]], dict[str, dict[str, Any]]]:
        """The values each row's loan is written with, and the moves reported instead of
        written (by reference): a move that needs confirmation leaves the loan's status and
        dates as they are, or, for a new loan, writes it as approved."""
        recorded = {
            reference: {"status": status, "disbursed_on": disbursed_on, "closed_on": closed_on}
            for reference, status, disbursed_on, closed_on in Loan.objects.filter(
                reference__any=[row.values["reference"] for row in rows]
            ).values_list("reference", "status", "disbursed_on", "closed_on")
        }
        written: dict[str, dict[str, Any]] = {}
        reports: dict[str, dict[str, Any]] = {}
        for row in rows:
            values, reference = row.values, row.values["reference"]
            old = recorded.get(reference)
            written[reference] = values
            if self.written_by is None or not loan_move_needs_confirmation(
                user=self.written_by, old=old and old["status"], new=values["status"]
            ):
                continue
            status = values["status"]
            kept = old or {"status": LoanStatus.APPROVED, "disbursed_on": None, "closed_on": None}
            written[reference] = {**values, **kept}
            reports[reference] = {
                "status": status,
                "on": values["closed_on"] if status in CLOSED_STATUSES else values["disbursed_on"],
                # A loan closing here before it was disbursed here: its disbursement is confirmed too.
                "disbursed_on": values["disbursed_on"]
                if status in CLOSED_STATUSES and kept["disbursed_on"] is None
                else None,
            }
        return written, reports
