"""Lender reconciliation: statement files in every accepted shape, the five match categories
to the fen on a hand-built ledger, malformed files refused whole, receipts booked once (also
when a loan appears on several statements), formula-safe exports, and who may open the pages."""

import csv
import datetime as dt
import io
import re
import zipfile
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import Workbook, load_workbook

from finance.models import CommissionEntry, EntryKind, LenderStatement, MatchStatus, StatementLine
from finance.selectors import statement_match_totals
from finance.services.ledger import Adjustment, adjustment_post, commissions_post
from finance.services.policies import PolicyTerms, policy_version_create
from finance.services.reconciliation import lender_statement_receipts_post, lender_statement_upload
from tests.factories import LenderFactory, LenderStatementFactory
from tests.finance.test_commission_posting import make_loan

D = Decimal
pytestmark = pytest.mark.django_db

HEADER = ["loan reference", "period", "amount"]


@pytest.fixture
def book(network):
    return build_book(network)


def build_book(network):
    """ICBC pays 1 % of principal × rate. March 2025 on our ledger:
    LNMATCH 150.00; LNDIFF 120.00 + a 5.55 adjustment = 125.55; LNMISS 100.00 (not on the
    statement); LNLATE 150.00, adjusted by -150.00 in April (after the statement's month);
    LNZERO 150.00 - 150.00 in March (nothing owed, so not missing); LNFEB accrued in February
    only (not the statement's month); LNOTHER is another lender's loan."""
    icbc = LenderFactory(code="ICBC", name="ICBC Auto")
    ccb = LenderFactory(code="CCB", name="CCB Auto")
    for lender in (icbc, ccb):
        policy_version_create(
            lender=lender, terms=PolicyTerms(basis="rate_based", effective_from=dt.date(2025, 1, 1), ratio=D("0.01"))
        )
    home, foreign = network.home_dealer, network.foreign_dealer
    loans = {
        "LNMATCH": make_loan(home, icbc, reference="LNMATCH"),
        "LNDIFF": make_loan(home, icbc, principal="240000.00", reference="LNDIFF"),
        "LNMISS": make_loan(foreign, icbc, principal="200000.00", reference="LNMISS"),
        "LNLATE": make_loan(home, icbc, reference="LNLATE"),
        "LNZERO": make_loan(home, icbc, reference="LNZERO"),
        "LNFEB": make_loan(home, icbc, disbursed=dt.date(2025, 2, 10), reference="LNFEB"),
        "LNOTHER": make_loan(home, ccb, reference="LNOTHER"),
    }
    commissions_post(as_of=dt.date(2025, 3, 31))
    finance = network.finance_user
    for reference, amount, day in (("LNDIFF", "5.55", 20), ("LNZERO", "-150.00", 25)):
        adjustment_post(
            adjustment=Adjustment(
                amount=D(amount),
                reason="lender_correction",
                note="Rate corrected",
                event_on=dt.date(2025, 3, day),
                loan=loans[reference],
            ),
            entered_by=finance,
        )
    adjustment_post(
        adjustment=Adjustment(
            amount=D("-150.00"),
            reason="data_error",
            note="Cancelled",
            event_on=dt.date(2025, 4, 3),
            loan=loans["LNLATE"],
        ),
        entered_by=finance,
    )
    return icbc, loans


def csv_bytes(rows, header=HEADER, encoding="utf-8-sig") -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode(encoding)


def xlsx_bytes(rows, header=HEADER) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


MARCH = [
    ("LNMATCH", "2025-03", "150.00"),
    ("LNDIFF", "2025-03", "120.00"),
    ("LNLATE", "2025-03", "150.00"),
    ("LNOTHER", "2025-03", "88.88"),
    ("LNNOWHERE", "2025-03", "12.34"),
]


def upload(client, lender, content, *, name="statement.csv", reference="ICBC-2025-03", follow=True):
    return client.post(
        "/commissions/statements/upload/",
        {"lender": lender.pk, "reference": reference, "file": SimpleUploadedFile(name, content)},
        follow=follow,
    )


def totals_of(statement):
    categories, overall = statement_match_totals(statement.lines.all())
    return {c.status: (c.lines, c.statement_amount, c.ledger_amount, c.difference) for c in categories}, overall


def statuses(statement) -> dict[str, str]:
    return dict(statement.lines.values_list("loan_reference", "status"))


class TestMatching:
    def test_each_line_falls_in_its_category_with_totals_to_the_fen(self, network, book, client_for):
        icbc, _ = book
        response = upload(client_for(network.finance_user), icbc, csv_bytes(MARCH))

        statement = LenderStatement.objects.get()
        assert response.redirect_chain[-1][0] == f"/commissions/statements/{statement.pk}/"
        assert statuses(statement) == {
            "LNMATCH": "matched",
            "LNLATE": "matched",  # April's -150.00 came after the statement's month
            "LNDIFF": "differs",
            "LNMISS": "missing",
            "LNOTHER": "unknown",  # a loan of another lender
            "LNNOWHERE": "unknown",
        }
        by_category, overall = totals_of(statement)
        assert by_category == {
            "matched": (2, D("300.00"), D("300.00"), D("0.00")),
            "differs": (1, D("120.00"), D("125.55"), D("-5.55")),
            "received": (0, D("0.00"), D("0.00"), D("0.00")),  # nothing was received on other statements
            "missing": (1, D("0.00"), D("100.00"), D("-100.00")),
            "unknown": (2, D("101.22"), D("0.00"), D("101.22")),
        }
        assert overall.statement_amount == statement.total_amount == D("521.22")
        assert overall.ledger_amount == D("525.55")
        assert overall.difference == D("-4.33")

    def test_the_result_page_shows_both_amounts_and_the_difference(self, network, book, client_for):
        icbc, loans = book
        client = client_for(network.finance_user)
        statement_url = upload(client, icbc, csv_bytes(MARCH)).redirect_chain[-1][0]

        page = client.get(statement_url, {"category": "differs"}).content.decode()

        assert "¥120.00" in page and "¥125.55" in page and "-¥5.55" in page
        assert f'href="/loans/{loans["LNDIFF"].pk}/"' in page
        assert f"?loan={loans['LNDIFF'].pk}&amp;lender={icbc.pk}" in page
        assert "¥521.22" in page and "¥525.55" in page and "-¥4.33" in page  # the totals that tie

    def test_missing_lines_sort_and_page_like_any_list(self, network, book, client_for):
        icbc, _ = book
        client = client_for(network.finance_user)
        statement_url = upload(client, icbc, csv_bytes(MARCH)).redirect_chain[-1][0]

        page = client.get(statement_url, {"category": "missing", "ordering": "-ledger"}).content.decode()

        assert "LNMISS" in page and "LNMATCH" not in page
        assert "Chengdu Jinjiang 4S" in page  # finance sees every dealer's loans

    def test_a_statement_over_two_months_compares_each_line_with_its_own_month(self, network, book, client_for):
        icbc, _ = book
        rows = [("LNFEB", "2025-02", "150.00"), ("LNLATE", "2025-04", "150.00")]

        upload(client_for(network.finance_user), icbc, csv_bytes(rows), reference="ICBC-Q1")

        statement = LenderStatement.objects.get()
        assert (statement.first_month, statement.last_month) == (dt.date(2025, 2, 1), dt.date(2025, 4, 1))
        lines = {line.loan_reference: line for line in statement.lines.all()}
        assert lines["LNFEB"].status == MatchStatus.MATCHED
        assert (lines["LNLATE"].status, lines["LNLATE"].ledger_amount) == (MatchStatus.DIFFERS, D("0.00"))
        # March is not among its months: March's loans are not "missing" from it.
        assert not statement.lines.filter(status=MatchStatus.MISSING).exists()


class TestFiles:
    def test_a_utf8_bom_csv_with_chinese_headers_and_every_period_spelling(self, network, book, client_for):
        icbc, _ = book
        rows = [
            ("LNMATCH", "2025年3月", "¥150.00"),
            ("LNDIFF", "202503", "￥120.00"),
            ("LNLATE", "2025/3", "150"),
            ("LNOTHER", "2025-03-31", "88.88元"),
            ("LNNOWHERE", "2025/03/01", " 12.34 "),
        ]
        content = csv_bytes(rows, header=["贷款编号", "期间", "金额"], encoding="utf-8-sig")
        assert content.startswith(b"\xef\xbb\xbf")

        upload(client_for(network.finance_user), icbc, content)

        statement = LenderStatement.objects.get()
        assert statement.total_amount == D("521.22")
        assert set(statement.lines.values_list("month", flat=True)) == {dt.date(2025, 3, 1)}
        assert statuses(statement)["LNMATCH"] == "matched"

    def test_a_gbk_csv_with_thousands_separators_is_read(self, network, book, client_for):
        icbc, _ = book
        rows = [("LNMATCH", "2025年03月", "￥1,150.00"), ("LNDIFF", "2025-03", "120.00")]
        content = csv_bytes(rows, header=["贷款合同号", "结算期间", "佣金金额"], encoding="gbk")
        with pytest.raises(UnicodeDecodeError):
            content.decode("utf-8")

        upload(client_for(network.finance_user), icbc, content)

        line = StatementLine.objects.get(loan_reference="LNMATCH")
        assert (line.amount, line.status, line.difference) == (D("1150.00"), "differs", D("1000.00"))

    def test_an_xlsx_with_dates_and_numbers_is_read(self, network, book, client_for):
        icbc, _ = book
        rows = [
            ("LNMATCH", dt.datetime(2025, 3, 31), 150),
            ("LNDIFF", "2025-03", 120.0),
            ("LNLATE", 202503, D("150.00")),
        ]

        upload(client_for(network.finance_user), icbc, xlsx_bytes(rows), name="icbc.xlsx")

        statement = LenderStatement.objects.get()
        assert statement.total_amount == D("420.00")
        assert statuses(statement) == {
            "LNMATCH": "matched",
            "LNDIFF": "differs",
            "LNLATE": "matched",
            "LNMISS": "missing",
        }

    def test_title_rows_above_the_header_and_a_total_row_that_ties_are_accepted(self, network, book, client_for):
        icbc, _ = book
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerows([["中国工商银行 汽车贷款佣金对账单"], ["账期：2025年3月"], []])
        writer.writerow(["序号", "贷款编号", "期间", "金额"])
        writer.writerows([(n, *row) for n, row in enumerate(MARCH, start=1)])
        writer.writerow(["", "合计", "", "521.22"])

        upload(client_for(network.finance_user), icbc, out.getvalue().encode("utf-8"))

        statement = LenderStatement.objects.get()
        assert (statement.line_count, statement.total_amount) == (5, D("521.22"))
        assert statement.lines.get(loan_reference="LNMATCH").row_number == 5  # rows as the file numbers them

    def test_a_total_row_that_does_not_tie_refuses_the_file(self, network, book, client_for):
        icbc, _ = book
        content = csv_bytes([*MARCH[:2], ("合计", "", "¥999.00")])

        response = upload(client_for(network.finance_user), icbc, content)

        assert "Row 4, column “amount”: the total row says 999.00 but the lines add up to 270.00." in (
            response.content.decode()
        )
        assert not LenderStatement.objects.exists()

    def test_an_xlsx_total_row_with_a_sum_formula_is_skipped(self, network, book, client_for):
        icbc, _ = book
        rows = [("LNMATCH", "2025-03", 150), ("LNDIFF", "2025-03", 120), ("Total", None, "=SUM(C2:C3)")]

        upload(client_for(network.finance_user), icbc, xlsx_bytes(rows), name="icbc.xlsx")

        assert LenderStatement.objects.get().total_amount == D("270.00")

    def test_a_file_with_a_bad_amount_and_a_bad_period_is_refused_whole(self, network, book, client_for):
        icbc, _ = book
        rows = [(f"LNX{n}", "2025-03", "10.00") for n in range(2, 12)]  # file rows 2..11
        rows[5] = ("LNMATCH", "2025-03", "12,3a.00")  # file row 7
        rows[7] = ("LNDIFF", "2025-13", "120.00")  # file row 9

        response = upload(client_for(network.finance_user), icbc, csv_bytes(rows, header=["贷款编号", "期间", "金额"]))

        page = response.content.decode()
        assert response.status_code == 200
        assert "Row 7, column “金额”: “12,3a.00” is not an amount." in page
        assert "Row 9, column “期间”: “2025-13” is not a month" in page
        assert not LenderStatement.objects.exists() and not StatementLine.objects.exists()

    def test_formula_cells_in_an_xlsx_are_refused_as_values(self, network, book, client_for):
        icbc, _ = book
        rows = [("LNMATCH", "2025-03", 150), ("LNDIFF", "2025-03", "=SUM(C2:C2)")]

        response = upload(client_for(network.finance_user), icbc, xlsx_bytes(rows), name="icbc.xlsx")

        assert "Row 3, column “amount”: a formula (=SUM(C2:C2)) is not a value" in response.content.decode()
        assert not LenderStatement.objects.exists()

    def test_an_oversize_file_is_refused(self, network, book, client_for, settings):
        icbc, _ = book
        settings.LENDER_STATEMENT_MAX_BYTES = 1024
        client = client_for(network.finance_user)
        rows = [(f"LN{n:08d}", "2025-03", "1.00") for n in range(200)]  # about 4 KB

        over_limit = upload(client, icbc, csv_bytes(rows))
        far_over = upload(client, icbc, csv_bytes(rows * 30))  # the body is refused before it is read

        assert "statements up to 1 KB are accepted" in over_limit.content.decode()
        assert far_over.status_code == 413
        assert "the limit for a statement" in far_over.content.decode()
        assert not LenderStatement.objects.exists()

    def test_an_xlsx_that_unpacks_too_large_is_refused_before_parsing(self, network, book, client_for, settings):
        icbc, _ = book
        settings.LENDER_STATEMENT_MAX_XLSX_UNCOMPRESSED_BYTES = 4096
        content = xlsx_bytes([(f"LN{n:08d}", "2025-03", 1) for n in range(500)])
        assert sum(member.file_size for member in zipfile.ZipFile(io.BytesIO(content)).infolist()) > 4096

        response = upload(client_for(network.finance_user), icbc, content, name="big.xlsx")

        assert "The workbook unpacks to" in response.content.decode()
        assert not LenderStatement.objects.exists()

    @pytest.mark.parametrize(
        "damage",
        [
            # Entity expansion ("billion laughs"): defusedxml refuses the DTD.
            lambda sheet: (
                b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
                b'<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>'
                + (sheet.split(b"?>", 1)[1] if sheet.startswith(b"<?xml") else sheet)
            ),
            # Cut off half-way: noticed only while the rows are read.
            lambda sheet: sheet[: len(sheet) // 2],
        ],
        ids=["entity-expansion", "truncated-sheet"],
    )
    def test_a_hostile_or_damaged_xlsx_is_refused(self, network, book, client_for, damage):
        icbc, _ = book
        source = zipfile.ZipFile(io.BytesIO(xlsx_bytes([(f"LN{n:08d}", "2025-03", 1) for n in range(300)])))
        damaged = io.BytesIO()
        with zipfile.ZipFile(damaged, "w") as target:
            for member in source.infolist():
                data = source.read(member)
                target.writestr(member, damage(data) if member.filename == "xl/worksheets/sheet1.xml" else data)

        response = upload(client_for(network.finance_user), icbc, damaged.getvalue(), name="damaged.xlsx")

        assert "The file is not a valid XLSX workbook." in response.content.decode()
        assert not LenderStatement.objects.exists()

    @pytest.mark.parametrize(
        ("content", "message"),
        [
            (csv_bytes([("LNMATCH", "2025-03", "1")], header=["loan", "month", "sum"]), "names no column for"),
            (csv_bytes([]), "a header but no lines"),
            (
                csv_bytes([("LNMATCH", "2025-03", "1.00"), ("LNMATCH", "2025-03", "2.00")]),
                "Row 3, column “loan reference”: loan LNMATCH is already on row 2.",
            ),
            (csv_bytes([("LNMATCH", "2025-03", "1.005")]), "has more than two decimals"),
            (b"\xff\xfe\x00\x00binary", "neither UTF-8 nor GBK"),
        ],
    )
    def test_other_malformed_files_say_why(self, network, book, client_for, content, message):
        icbc, _ = book

        response = upload(client_for(network.finance_user), icbc, content)

        assert message in response.content.decode()
        assert not LenderStatement.objects.exists()

    def test_a_reference_on_two_lines_is_refused(self, network, book, client_for):
        icbc, _ = book

        response = upload(client_for(network.finance_user), icbc, csv_bytes(MARCH), reference="ICBC\n2025")

        assert "A statement reference is one line of text." in response.content.decode()
        assert not LenderStatement.objects.exists()

    def test_the_same_statement_cannot_be_uploaded_twice(self, network, book, client_for):
        icbc, _ = book
        client = client_for(network.finance_user)
        upload(client, icbc, csv_bytes(MARCH))

        again = upload(client, icbc, csv_bytes(MARCH[:2]))

        assert "Statement ICBC-2025-03 of ICBC Auto was already uploaded." in again.content.decode()
        assert LenderStatement.objects.count() == 1
        assert LenderStatement.objects.get().line_count == 5


class TestReceipts:
    def test_matched_lines_are_booked_once_even_if_the_button_is_pressed_twice(self, network, book, client_for):
        icbc, loans = book
        client = client_for(network.finance_user)
        rows = [*MARCH, ("LNZERO", "2025-03", "0.00")]  # matched, but nothing to receive
        statement_url = upload(client, icbc, csv_bytes(rows)).redirect_chain[-1][0]
        assert StatementLine.objects.get(loan_reference="LNZERO").status == MatchStatus.MATCHED

        first = client.post(statement_url + "receipts/", follow=True)
        second = client.post(statement_url + "receipts/", follow=True)

        receipts = CommissionEntry.objects.filter(kind=EntryKind.RECEIPT)
        assert sorted(receipts.values_list("loan__reference", "amount")) == [
            ("LNLATE", D("150.00")),
            ("LNMATCH", D("150.00")),
        ]
        assert set(receipts.values_list("statement_reference", flat=True)) == {"ICBC-2025-03"}
        assert all(entry.period.is_open for entry in receipts)
        assert "2 receipts totalling ¥300.00 booked into period" in first.content.decode()
        assert "Nothing new to book" in second.content.decode()
        assert "2 receipts, ¥300.00" in second.content.decode()

    def test_differing_lines_can_be_booked_at_the_lenders_amount(self, network, book, client_for):
        icbc, _ = book
        client = client_for(network.finance_user)
        statement_url = upload(client, icbc, csv_bytes(MARCH)).redirect_chain[-1][0]
        client.post(statement_url + "receipts/")

        response = client.post(statement_url + "receipts/", {"include_differing": "on"}, follow=True)

        assert "1 receipt of ¥120.00 booked" in response.content.decode()
        assert CommissionEntry.objects.get(kind=EntryKind.RECEIPT, loan__reference="LNDIFF").amount == D("120.00")
        assert CommissionEntry.objects.filter(kind=EntryKind.RECEIPT).count() == 3


def received_for(loan) -> list[tuple[str, Decimal]]:
    """The loan's receipts as (statement, amount), in booking order."""
    return list(
        CommissionEntry.objects.filter(kind=EntryKind.RECEIPT, loan=loan)
        .order_by("id")
        .values_list("statement_reference", "amount")
    )


def result_tables(response) -> list[str]:
    """The result page's facts, totals and lines tables (the page also carries fresh CSRF tokens)."""
    page = response.content.decode()
    return re.findall(
        r'<dl class="facts card">.*?</dl>|<table class="(?:match-totals|statement-lines) cards">.*?</table>', page, re.S
    )


def line_of(statement, reference):
    line = statement.lines.get(loan_reference=reference)
    return line.status, line.amount, line.ledger_amount, line.received_elsewhere, line.difference


class TestTheSameLoanOnSeveralStatements:
    """A line is compared with what is still owed: net commission less what the lender paid
    for the loan on its other statements. LNMATCH accrued 150.00 in March 2025."""

    def test_a_loan_paid_in_march_and_listed_again_in_april_is_received_once(self, network, book, client_for):
        icbc, loans = book
        client = client_for(network.finance_user)
        march_url = upload(client, icbc, csv_bytes([("LNMATCH", "2025-03", "150.00")]), reference="ICBC-03")
        client.post(march_url.redirect_chain[-1][0] + "receipts/")

        april_url = upload(client, icbc, csv_bytes([("LNMATCH", "2025-04", "150.00")]), reference="ICBC-04")
        april_url = april_url.redirect_chain[-1][0]
        posted = client.post(april_url + "receipts/", {"include_differing": "on"}, follow=True)

        april = LenderStatement.objects.get(reference="ICBC-04")
        # Nothing is owed any more: the line is "already received", its whole amount a difference.
        assert line_of(april, "LNMATCH") == ("received", D("150.00"), D("0.00"), D("150.00"), D("150.00"))
        assert received_for(loans["LNMATCH"]) == [("ICBC-03", D("150.00"))]
        assert "Nothing new to book" in posted.content.decode()
        by_category, overall = totals_of(april)
        assert by_category["received"] == (1, D("150.00"), D("0.00"), D("150.00"))
        assert by_category["matched"] == (0, D("0.00"), D("0.00"), D("0.00"))
        page = client.get(april_url, {"category": "received"}).content.decode()
        assert "Already received" in page and "LNMATCH" in page
        exported = client.get(april_url, {"export": "csv"})
        rows = list(csv.DictReader(io.StringIO(b"".join(exported.streaming_content).decode("utf-8-sig"))))
        assert [(r["Result"], r["Ledger amount"], r["Difference"], r["Received elsewhere"]) for r in rows] == [
            ("Already received", "0.00", "150.00", "150.00")
        ]

    def test_a_part_payment_then_the_remainder_add_up_to_the_accrual(self, network, book, client_for):
        icbc, loans = book
        client = client_for(network.finance_user)
        first = upload(client, icbc, csv_bytes([("LNMATCH", "2025-03", "100.00")]), reference="ICBC-03")
        # Nothing says 100.00 is a first instalment: it differs from the 150.00 owed, and finance
        # books it at the lender's amount.
        client.post(first.redirect_chain[-1][0] + "receipts/", {"include_differing": "on"})

        second = upload(client, icbc, csv_bytes([("LNMATCH", "2025-04", "50.00")]), reference="ICBC-04")
        posted = client.post(second.redirect_chain[-1][0] + "receipts/", follow=True)

        march, april = (
            LenderStatement.objects.get(reference="ICBC-03"),
            LenderStatement.objects.get(reference="ICBC-04"),
        )
        assert line_of(march, "LNMATCH") == ("differs", D("100.00"), D("150.00"), D("0.00"), D("-50.00"))
        assert line_of(april, "LNMATCH") == ("matched", D("50.00"), D("50.00"), D("100.00"), D("0.00"))
        assert "1 receipt of ¥50.00 booked" in posted.content.decode()
        assert received_for(loans["LNMATCH"]) == [("ICBC-03", D("100.00")), ("ICBC-04", D("50.00"))]
        assert sum(amount for _, amount in received_for(loans["LNMATCH"])) == D("150.00")
        accrual = CommissionEntry.objects.get(kind=EntryKind.ACCRUAL, loan=loans["LNMATCH"]).amount
        assert accrual == D("150.00")

    def test_a_later_adjustment_paid_on_the_next_statement_matches_there(self, network, book):
        icbc, loans = book
        finance = network.finance_user
        adjustment_post(
            adjustment=Adjustment(
                amount=D("30.00"),
                reason="lender_correction",
                note="Rate corrected",
                event_on=dt.date(2025, 4, 10),
                loan=loans["LNMATCH"],
            ),
            entered_by=finance,
        )
        march = upload_statement(icbc, "ICBC-03", [("LNMATCH", "2025-03", "150.00")], finance)
        lender_statement_receipts_post(statement=march, posted_by=finance)

        april = upload_statement(icbc, "ICBC-04", [("LNMATCH", "2025-04", "30.00")], finance)
        posting = lender_statement_receipts_post(statement=april, posted_by=finance)

        assert line_of(march, "LNMATCH") == ("matched", D("150.00"), D("150.00"), D("0.00"), D("0.00"))
        assert line_of(april, "LNMATCH") == ("matched", D("30.00"), D("30.00"), D("150.00"), D("0.00"))
        assert (posting.booked, posting.amount, posting.over_owed) == (1, D("30.00"), 0)
        assert sum(amount for _, amount in received_for(loans["LNMATCH"])) == D("180.00")

    def test_reopening_and_reposting_the_first_statement_after_the_second_changes_nothing(
        self, network, book, client_for
    ):
        icbc, loans = book
        client = client_for(network.finance_user)
        march_url = upload(client, icbc, csv_bytes(MARCH)).redirect_chain[-1][0]
        client.post(march_url + "receipts/")
        march = LenderStatement.objects.get(reference="ICBC-2025-03")
        lines_before = list(march.lines.order_by("loan_reference").values())
        totals_before = totals_of(march)
        page_before = result_tables(client.get(march_url, {"category": "matched"}))

        april_rows = [("LNMATCH", "2025-04", "150.00"), ("LNDIFF", "2025-04", "125.55")]
        april_url = upload(client, icbc, csv_bytes(april_rows), reference="ICBC-2025-04").redirect_chain[-1][0]
        client.post(april_url + "receipts/")
        again = client.post(march_url + "receipts/", follow=True)

        assert list(march.lines.order_by("loan_reference").values()) == lines_before
        assert totals_of(march) == totals_before
        assert totals_before[1].statement_amount == D("521.22") and totals_before[1].ledger_amount == D("525.55")
        assert result_tables(client.get(march_url, {"category": "matched"})) == page_before
        assert "2 receipts, ¥300.00" in page_before[0]
        assert "Nothing new to book" in again.content.decode()
        assert statuses(LenderStatement.objects.get(reference="ICBC-2025-04")) == {
            "LNMATCH": "received",  # paid on the March statement
            "LNDIFF": "matched",  # March's 120.00 line was not received: 125.55 is still owed
            "LNLATE": "missing",  # cancelled in April after March paid it: the lender should take 150.00 back
        }
        april = LenderStatement.objects.get(reference="ICBC-2025-04")
        assert line_of(april, "LNLATE") == ("missing", None, D("-150.00"), D("150.00"), D("150.00"))
        assert sorted(
            CommissionEntry.objects.filter(kind=EntryKind.RECEIPT).values_list(
                "statement_reference", "loan__reference", "amount"
            )
        ) == [
            ("ICBC-2025-03", "LNLATE", D("150.00")),
            ("ICBC-2025-03", "LNMATCH", D("150.00")),
            ("ICBC-2025-04", "LNDIFF", D("125.55")),
        ]

    def test_two_statements_matched_before_either_is_received_book_the_loan_once(self, network, book, client_for):
        icbc, loans = book
        client = client_for(network.finance_user)
        first_url = upload(client, icbc, csv_bytes([("LNMATCH", "2025-03", "150.00")]), reference="A").redirect_chain[
            -1
        ][0]
        second_url = upload(client, icbc, csv_bytes([("LNMATCH", "2025-04", "150.00")]), reference="B").redirect_chain[
            -1
        ][0]
        assert StatementLine.objects.filter(status="matched").count() == 2  # nothing was received yet

        client.post(first_url + "receipts/")
        second = client.post(second_url + "receipts/", follow=True).content.decode()

        assert received_for(loans["LNMATCH"]) == [("A", D("150.00"))]
        assert "1 line was not booked: its amount is more than is still owed on the loan." in second

    def test_a_loan_paid_in_full_on_another_statement_is_not_missing(self, network, book):
        icbc, loans = book
        finance = network.finance_user
        early = upload_statement(icbc, "ICBC-EARLY", [("LNMISS", "2025-03", "100.00")], finance)
        lender_statement_receipts_post(statement=early, posted_by=finance)

        march = upload_statement(icbc, "ICBC-2025-03", MARCH, finance)

        assert "LNMISS" not in statuses(march)
        assert not march.lines.filter(status=MatchStatus.MISSING).exists()
        assert received_for(loans["LNMISS"]) == [("ICBC-EARLY", D("100.00"))]

    def test_a_loan_part_paid_on_another_statement_is_missing_for_the_rest(self, network, book):
        icbc, loans = book
        finance = network.finance_user
        early = upload_statement(icbc, "ICBC-EARLY", [("LNMISS", "2025-03", "60.00")], finance)
        lender_statement_receipts_post(statement=early, posted_by=finance, include_differing=True)

        march = upload_statement(icbc, "ICBC-2025-03", MARCH, finance)

        assert line_of(march, "LNMISS") == ("missing", None, D("40.00"), D("60.00"), D("-40.00"))

    def test_the_api_shows_what_was_received_elsewhere_and_what_was_left_out(self, network, book):
        from rest_framework.test import APIClient

        icbc, _ = book
        client = APIClient()
        client.force_authenticate(network.finance_user)
        ids = []
        for reference, month in (("A", "2025-03"), ("B", "2025-04")):
            created = client.post(
                "/api/v1/lender-statements/",
                {
                    "lender": icbc.pk,
                    "reference": reference,
                    "file": SimpleUploadedFile("s.csv", csv_bytes([("LNMATCH", month, "150.00")])),
                },
                format="multipart",
            )
            ids.append(created.json()["id"])

        first = client.post(f"/api/v1/lender-statements/{ids[0]}/receipts/", {}, format="json").json()
        second = client.post(f"/api/v1/lender-statements/{ids[1]}/receipts/", {}, format="json").json()
        third = client.post(
            "/api/v1/lender-statements/",
            {
                "lender": icbc.pk,
                "reference": "C",
                "file": SimpleUploadedFile("s.csv", csv_bytes([("LNMATCH", "2025-05", "150.00")])),
            },
            format="multipart",
        ).json()
        lines = client.get(f"/api/v1/lender-statements/{third['id']}/lines/").json()["results"]

        assert (first["booked"], first["amount"], first["over_owed"]) == (1, "150.00", 0)
        assert (second["booked"], second["amount"], second["over_owed"]) == (0, "0.00", 1)
        assert {c["status"]: c["statement_amount"] for c in third["categories"]}["received"] == "150.00"
        assert [(line["status"], line["ledger_amount"], line["received_elsewhere"]) for line in lines] == [
            ("received", "0.00", "150.00")
        ]


def upload_statement(lender, reference, rows, user) -> LenderStatement:
    return lender_statement_upload(
        lender=lender, reference=reference, content=csv_bytes(rows), file_name="s.csv", uploaded_by=user
    )


class TestExport:
    def test_the_result_exports_as_csv_and_xlsx_with_formulas_neutralised(self, network, book, client_for):
        icbc, _ = book
        client = client_for(network.finance_user)
        rows = [*MARCH, ("=HYPERLINK(1)", "2025-03", "1.00")]
        statement_url = upload(client, icbc, csv_bytes(rows), reference='ICBC "03"/2025').redirect_chain[-1][0]

        as_csv = client.get(statement_url, {"export": "csv"})
        as_xlsx = client.get(statement_url, {"export": "xlsx", "category": "unknown"})

        assert as_csv["Content-Disposition"] == 'attachment; filename="statement-ICBC-ICBC-03-2025.csv"'
        lines = list(csv.DictReader(io.StringIO(b"".join(as_csv.streaming_content).decode("utf-8-sig"))))
        assert len(lines) == 7
        differs = next(line for line in lines if line["Loan reference"] == "LNDIFF")
        assert (differs["Result"], differs["Statement amount"], differs["Ledger amount"], differs["Difference"]) == (
            "Amount differs",
            "120.00",
            "125.55",
            "-5.55",
        )
        assert "'=HYPERLINK(1)" in {line["Loan reference"] for line in lines}
        sheet = load_workbook(io.BytesIO(b"".join(as_xlsx.streaming_content)), read_only=True).worksheets[0]
        cells = list(sheet.iter_rows(values_only=True))
        assert cells[0][:3] == ("Result", "Row in file", "Loan reference")
        assert {row[2] for row in cells[1:]} == {"LNOTHER", "LNNOWHERE", "'=HYPERLINK(1)"}
        assert sum(row[5] for row in cells[1:]) == pytest.approx(102.22)  # amounts stay numbers


class TestAccess:
    @pytest.mark.parametrize("role", ["dealer_user", "regional_manager"])
    def test_field_roles_are_refused_every_statement_page(self, network, client_for, role):
        statement = LenderStatementFactory()
        client = client_for(network.users()[role])

        for url in ("/commissions/statements/", "/commissions/statements/upload/", statement.get_absolute_url()):
            assert client.get(url).status_code == 403, url
        assert client.post(statement.get_absolute_url() + "receipts/").status_code == 403
        assert not CommissionEntry.objects.exists()

    @pytest.mark.parametrize("role", ["finance", "head_office"])
    def test_finance_and_head_office_open_them(self, network, client_for, role):
        statement = LenderStatementFactory(reference="ST-SEEN")
        client = client_for(network.users()[role])

        listing = client.get("/commissions/statements/")
        assert listing.status_code == 200 and "ST-SEEN" in listing.content.decode()
        assert client.get("/commissions/statements/upload/").status_code == 200
        assert client.get(statement.get_absolute_url()).status_code == 200

    def test_the_menu_offers_statements_to_finance_only(self, network, client_for):
        statements_page = client_for(network.finance_user).get("/commissions/statements/").content.decode()
        assert '<a href="/commissions/statements/" class="active">' in statements_page
        assert statements_page.count('class="active"') == 1  # not "Commissions" as well
        assert "/commissions/statements/" not in client_for(network.dealer_user).get("/").content.decode()


class TestStatementList:
    def test_it_filters_by_lender_and_month(self, network, client_for):
        icbc, ccb = LenderFactory(code="ICBC"), LenderFactory(code="CCB")
        LenderStatementFactory(lender=icbc, reference="ICBC-MAR")
        LenderStatementFactory(
            lender=icbc, reference="ICBC-Q2", first_month=dt.date(2025, 4, 1), last_month=dt.date(2025, 6, 1)
        )
        LenderStatementFactory(lender=ccb, reference="CCB-MAR")
        client = client_for(network.finance_user)

        by_lender = client.get("/commissions/statements/", {"lender": icbc.pk}).content.decode()
        by_month = client.get("/commissions/statements/", {"period": "2025年5月"}).content.decode()
        bad = client.get("/commissions/statements/", {"period": "May"}).content.decode()

        assert "ICBC-MAR" in by_lender and "ICBC-Q2" in by_lender and "CCB-MAR" not in by_lender
        assert "ICBC-Q2" in by_month and "ICBC-MAR" not in by_month and "CCB-MAR" not in by_month
        assert "Enter a month such as 2026-10." in bad

    def test_the_list_and_result_pages_take_a_fixed_number_of_queries(
        self, network, book, client_for, django_assert_max_num_queries
    ):
        icbc, _ = book
        client = client_for(network.finance_user)
        statement_url = upload(client, icbc, csv_bytes(MARCH)).redirect_chain[-1][0]
        LenderStatementFactory.create_batch(30)

        with django_assert_max_num_queries(12):
            assert client.get("/commissions/statements/").status_code == 200
        with django_assert_max_num_queries(12):
            assert client.get(statement_url, {"category": "unknown"}).status_code == 200


class TestApi:
    @pytest.fixture
    def api(self):
        from rest_framework.test import APIClient

        def as_user(user):
            client = APIClient()
            client.force_authenticate(user)
            return client

        return as_user

    def test_finance_uploads_reads_the_result_and_books_receipts(self, network, book, api):
        icbc, _ = book
        client = api(network.finance_user)

        created = client.post(
            "/api/v1/lender-statements/",
            {"lender": icbc.pk, "reference": "API-1", "file": SimpleUploadedFile("s.csv", csv_bytes(MARCH))},
            format="multipart",
        )
        statement_id = created.json()["id"]
        shown = client.get(f"/api/v1/lender-statements/{statement_id}/").json()
        missing = client.get(f"/api/v1/lender-statements/{statement_id}/lines/", {"status": "missing"}).json()
        first = client.post(f"/api/v1/lender-statements/{statement_id}/receipts/", {}, format="json").json()
        again = client.post(f"/api/v1/lender-statements/{statement_id}/receipts/", {}, format="json").json()

        assert created.status_code == 201
        assert shown["total"]["statement_amount"] == "521.22" and shown["total"]["difference"] == "-4.33"
        assert {c["status"]: c["difference"] for c in shown["categories"]} == {
            "matched": "0.00",
            "differs": "-5.55",
            "received": "0.00",
            "missing": "-100.00",
            "unknown": "101.22",
        }
        assert [(line["loan_reference"], line["ledger_amount"]) for line in missing["results"]] == [
            ("LNMISS", "100.00")
        ]
        assert (first["booked"], first["amount"], again["booked"]) == (2, "300.00", 0)

    def test_a_malformed_file_answers_400_by_row_and_writes_nothing(self, network, book, api):
        icbc, _ = book
        rows = [*MARCH[:2], ("LNLATE", "2025-03", "x")]

        response = api(network.finance_user).post(
            "/api/v1/lender-statements/",
            {"lender": icbc.pk, "reference": "API-BAD", "file": SimpleUploadedFile("s.csv", csv_bytes(rows))},
            format="multipart",
        )

        assert response.status_code == 400
        assert response.json()["file"] == ["Row 4, column “amount”: “x” is not an amount."]
        assert not LenderStatement.objects.exists()

    def test_an_oversize_upload_is_refused_before_it_is_read(self, network, book, api, settings):
        icbc, _ = book
        settings.LENDER_STATEMENT_MAX_BYTES = 1024
        rows = [(f"LN{n:08d}", "2025-03", "1.00") for n in range(4000)]  # about 80 KB

        response = api(network.finance_user).post(
            "/api/v1/lender-statements/",
            {"lender": icbc.pk, "reference": "API-BIG", "file": SimpleUploadedFile("s.csv", csv_bytes(rows))},
            format="multipart",
        )

        assert response.status_code == 413
        assert response.json()["file"] == ["The file is larger than 1 KB, the limit for a statement."]
        assert not LenderStatement.objects.exists()

    @pytest.mark.parametrize("role", ["dealer_user", "regional_manager"])
    def test_field_roles_are_refused(self, network, api, role):
        statement = LenderStatementFactory()
        client = api(network.users()[role])

        assert client.get("/api/v1/lender-statements/").status_code == 403
        assert client.get(f"/api/v1/lender-statements/{statement.pk}/").status_code == 403
        assert client.post(f"/api/v1/lender-statements/{statement.pk}/receipts/").status_code == 403

    def test_the_list_takes_a_fixed_number_of_queries(self, network, api, django_assert_max_num_queries):
        LenderStatementFactory.create_batch(10)
        with django_assert_max_num_queries(6):
            assert api(network.head_office).get("/api/v1/lender-statements/").json()["count"] == 10
