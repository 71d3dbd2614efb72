"""Entry forms of the finance pages: a commission policy version with its tiers and clawback
steps, a ledger adjustment, a loan's status change, and a lender statement's upload. They
check the input's shape (a number where a number goes, one row per window); the services own
the rules and their refusals are shown next to the field or row they concern."""

from decimal import Decimal

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from channels.models import Dealer
from dealerops.access import scope
from dealerops.entry_forms import DATE_INPUT, PickerInput, ServiceForm, dealer_typed, name_empty_choices
from finance.models import (
    LOAN_TRANSITIONS,
    AdjustmentReason,
    CommissionBasis,
    CommissionPeriod,
    CommissionPolicy,
    CreditGrade,
    Lender,
    Loan,
    LoanStatus,
    PeriodStatus,
    TermBand,
)
from finance.services.ledger import Adjustment
from finance.services.policies import PolicyTerms, TierTerms

MONEY = {"max_digits": 12, "decimal_places": 2}
CENT = Decimal("0.01")
# Which basis uses which figure; the page hides the others (all stay visible without JS).
RATIO_BASES = [CommissionBasis.RATE_BASED, CommissionBasis.PRINCIPAL_BASED, CommissionBasis.RESERVE]
FLAT_BASES = [CommissionBasis.FLAT]
RESERVE_BASES = [CommissionBasis.RESERVE]


def for_bases(field: forms.Field, bases: list[str]) -> forms.Field:
    field.widget.attrs["data-bases"] = " ".join(bases)
    return field


def as_percent(fraction: Decimal | None) -> Decimal | None:
    """0.012500 -> 1.25 and 0.012345 -> 1.2345: the stored fraction as the user types it."""
    if fraction is None:
        return None
    percent = fraction.scaleb(2)
    return percent.quantize(CENT) if percent == percent.quantize(CENT) else percent


class PercentField(forms.DecimalField):
    """A share typed in percent ("1.00" is 1 %), cleaned to the stored fraction (0.0100).
    Shifting the decimal point is exact: no rounding ever happens."""

    def __init__(self, **kwargs):
        # Four decimals in percent are the six of the stored fraction.
        super().__init__(max_digits=9, decimal_places=4, **kwargs)

    def clean(self, value) -> Decimal | None:
        percent = super().clean(value)
        return None if percent is None else percent.scaleb(-2)


class TierForm(forms.Form):
    credit_grade = forms.ChoiceField(
        label=_("Credit grade"), choices=[("", _("any")), *CreditGrade.choices], required=False
    )
    term_band = forms.ChoiceField(label=_("Term band"), choices=[("", _("any")), *TermBand.choices], required=False)
    ratio = for_bases(PercentField(label=_("Ratio (%)"), required=False), RATIO_BASES)
    amount = for_bases(forms.DecimalField(label=_("Amount per loan (CNY)"), **MONEY, required=False), FLAT_BASES)

    def terms(self) -> TierTerms:
        return TierTerms(**self.cleaned_data)


class ClawbackStepForm(forms.Form):
    within_days = forms.IntegerField(label=_("Within days of disbursement"), required=False)
    share = PercentField(label=_("Share clawed back (%)"), required=False)

    def clean(self):
        cleaned = super().clean()
        if not self.errors and (cleaned.get("within_days") is None) != (cleaned.get("share") is None):
            raise ValidationError(_("Give both the window in days and the share clawed back."))
        return cleaned


class BaseClawbackFormSet(forms.BaseFormSet):
    def clean(self):
        seen: set[int] = set()
        for form in self.forms:
            days = form.cleaned_data.get("within_days") if form.is_valid() else None
            if days is None:
                continue
            if days in seen:
                form.add_error("within_days", _("This window is already listed above."))
            seen.add(days)


TierFormSet = forms.formset_factory(TierForm, extra=5, max_num=40, validate_max=True)
ClawbackFormSet = forms.formset_factory(
    ClawbackStepForm, formset=BaseClawbackFormSet, extra=3, max_num=20, validate_max=True
)


class PolicyForm(ServiceForm):
    """A new version of a lender's commission policy, with its tiers and clawback steps."""

    lender = forms.ModelChoiceField(label=_("Lender"), queryset=None)
    basis = forms.ChoiceField(label=_("Basis"), choices=CommissionBasis.choices)
    ratio = for_bases(
        PercentField(
            label=_("Ratio (%)"),
            required=False,
            help_text=_("1.00 means 1 %. For a dealer reserve: the dealer's share of the reserve."),
        ),
        RATIO_BASES,
    )
    amount = for_bases(forms.DecimalField(label=_("Amount per loan (CNY)"), **MONEY, required=False), FLAT_BASES)
    max_markup = for_bases(
        PercentField(
            label=_("Maximum mark-up over the buy rate (%)"),
            required=False,
            help_text=_("2.00 caps the customer's rate at the buy rate plus 2 points."),
        ),
        RESERVE_BASES,
    )
    cap_per_loan = forms.DecimalField(label=_("Cap per loan (CNY)"), **MONEY, required=False)
    min_principal = forms.DecimalField(label=_("Minimum principal (CNY)"), **MONEY, required=False)
    effective_from = forms.DateField(label=_("Effective from"), widget=DATE_INPUT)
    effective_to = forms.DateField(
        label=_("Effective to"), widget=DATE_INPUT, required=False, help_text=_("Empty: until a later version.")
    )
    note = forms.CharField(label=_("Note"), widget=forms.Textarea(attrs={"rows": 2}), required=False)

    def __init__(self, *args, user, source: CommissionPolicy | None = None, **kwargs):
        """``source``: a version whose figures, tiers and clawback steps the new one starts from."""
        super().__init__(*args, **kwargs)
        self.fields["lender"].queryset = scope(user, Lender)
        tiers = steps = None
        if source is not None and not self.is_bound:
            self.initial.update(
                lender=source.lender_id,
                basis=source.basis,
                ratio=as_percent(source.ratio),
                amount=source.amount,
                max_markup=as_percent(source.max_markup),
                cap_per_loan=source.cap_per_loan,
                min_principal=source.min_principal,
            )
            tiers = [
                {
                    "credit_grade": tier.credit_grade,
                    "term_band": tier.term_band,
                    "ratio": as_percent(tier.ratio),
                    "amount": tier.amount,
                }
                for tier in source.tiers.all()
            ]
            steps = [
                {"within_days": step.within_days, "share": as_percent(step.share)}
                for step in source.clawback_steps.all()
            ]
        data = self.data if self.is_bound else None
        self.tiers = TierFormSet(data, prefix="tiers", initial=tiers)
        self.clawback = ClawbackFormSet(data, prefix="clawback", initial=steps)

    def is_valid(self) -> bool:
        return all([super().is_valid(), self.tiers.is_valid(), self.clawback.is_valid()])

    def _filled(self, formset: forms.BaseFormSet) -> list[forms.Form]:
        """The rows with something in them (a copied row left as it was counts; an emptied one not)."""
        return [form for form in formset.forms if any(value not in (None, "") for value in form.cleaned_data.values())]

    def terms(self) -> PolicyTerms:
        data = self.cleaned_data
        steps = [form.cleaned_data for form in self._filled(self.clawback)]
        return PolicyTerms(
            basis=data["basis"],
            effective_from=data["effective_from"],
            effective_to=data["effective_to"],
            ratio=data["ratio"],
            amount=data["amount"],
            max_markup=data["max_markup"],
            cap_per_loan=data["cap_per_loan"],
            min_principal=data["min_principal"],
            note=data["note"],
            tiers=[form.terms() for form in self._filled(self.tiers)],
            clawback={step["within_days"]: step["share"] for step in steps},
        )

    def add_field_errors(self, field: str, errors: list[ValidationError]) -> None:
        """A tier's error goes to its row (by its number), a clawback step's to the row of its window."""
        if field == "tiers":
            rows = self._filled(self.tiers)
            for error in errors:
                rows[error.params["number"] - 1].add_error(None, error.messages)
        elif field == "clawback":
            rows = {form.cleaned_data["within_days"]: form for form in self._filled(self.clawback)}
            for error in errors:
                rows[error.params["days"]].add_error(None, error.messages)
        else:
            super().add_field_errors(field, errors)


class AdjustmentForm(ServiceForm):
    """An adjustment on a loan (by its reference), or on a dealer and lender."""

    loan_reference = forms.CharField(
        label=_("Loan reference"),
        max_length=32,
        required=False,
        help_text=_("Or leave it empty and choose the dealer and the lender."),
    )
    dealer = forms.ModelChoiceField(
        label=_("Dealer"),
        queryset=None,
        required=False,
        # Thousands of dealers: typed and picked, not listed in a select.
        widget=PickerInput("channels:dealer-options", label=str, find=dealer_typed),
    )
    lender = forms.ModelChoiceField(label=_("Lender"), queryset=None, required=False)
    amount = forms.DecimalField(
        label=_("Amount (CNY)"), **MONEY, help_text=_("Negative to take commission back from the dealer.")
    )
    reason = forms.ChoiceField(label=_("Reason"), choices=[("", "---"), *AdjustmentReason.choices], required=False)
    note = forms.CharField(label=_("Explanation"), widget=forms.Textarea(attrs={"rows": 3}), required=False)
    event_on = forms.DateField(label=_("Event date"), widget=DATE_INPUT)
    period = forms.ModelChoiceField(
        label=_("Book in period"),
        queryset=None,
        required=False,
        help_text=_("Empty: the event's month, or the first open month after it."),
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["dealer"].queryset = scope(user, Dealer)
        self.fields["lender"].queryset = scope(user, Lender)
        # Only open periods are offered; a period closed since the page was shown still
        # validates here, so the service can say it is closed.
        periods = self.fields["period"]
        periods.queryset = scope(user, CommissionPeriod)
        periods.widget.choices = [
            ("", "---"),
            *((period.pk, str(period)) for period in periods.queryset.filter(status=PeriodStatus.OPEN)),
        ]

    def clean_loan_reference(self) -> Loan | None:
        reference = self.cleaned_data["loan_reference"].strip()
        if not reference:
            return None
        loan = scope(self.user, Loan).select_related("dealer", "lender").filter(reference=reference).first()
        if loan is None:
            raise ValidationError(_("No loan with reference %(reference)s."), params={"reference": reference})
        return loan

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("loan_reference") and (cleaned.get("dealer") or cleaned.get("lender")):
            self.add_error("dealer", _("Leave the dealer and lender empty for a loan: the loan's own are used."))
        return cleaned

    def adjustment(self) -> Adjustment:
        data = self.cleaned_data
        return Adjustment(
            amount=data["amount"],
            reason=data["reason"],
            note=data["note"],
            event_on=data["event_on"],
            loan=data["loan_reference"],
            dealer=data["dealer"],
            lender=data["lender"],
            period=data["period"],
        )


class LoanStatusForm(ServiceForm):
    """The loan's next status and the day it happened. Only the allowed next statuses are
    offered; any other still reaches the service, which says why it is refused."""

    status = forms.ChoiceField(label=_("New status"), choices=LoanStatus.choices)
    on = forms.DateField(
        label=_("On"), widget=DATE_INPUT, help_text=_("The disbursement day, or the day the loan closed.")
    )

    def __init__(self, *args, loan: Loan, **kwargs):
        super().__init__(*args, **kwargs)
        self.next_statuses = [(new.value, new.label) for old, new in LOAN_TRANSITIONS if old == loan.status]
        self.fields["status"].widget.choices = self.next_statuses


class LenderStatementUploadForm(forms.Form):
    lender = forms.ModelChoiceField(label=_("Lender"), queryset=Lender.objects.none())
    reference = forms.CharField(
        label=_("Statement reference"),
        max_length=64,
        help_text=_("As printed on the lender's statement; each reference is reconciled once."),
    )
    file = forms.FileField(
        label=_("Statement file"),
        help_text=_("CSV or XLSX with the columns loan reference, period and amount (贷款编号, 期间, 金额)."),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.xlsx,text/csv"}),
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["lender"].queryset = scope(user, Lender)
        name_empty_choices(self)

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > settings.LENDER_STATEMENT_MAX_BYTES:
            raise forms.ValidationError(
                _("The file is %(size)s KB; statements up to %(limit)s KB are accepted.")
                % {"size": upload.size // 1024, "limit": settings.LENDER_STATEMENT_MAX_BYTES // 1024}
            )
        return upload
