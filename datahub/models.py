"""The data hub: files imported from dealers' DMS and CRM systems (and head office's network
tables), the column mappings saved for each source system, and every row's validation result."""

import uuid

from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from channels.models import Dealer, TimeStamped
from dealerops.leases import Leased


class ImportKind(models.TextChoices):
    CUSTOMERS = "customers", _("Customers")
    STOCK_ARRIVALS = "stock_arrivals", _("Stock arrivals")
    SALES = "sales", _("Sales")
    LOANS = "loans", _("Loans")
    LEADS = "leads", _("Leads")
    SERVICE_VISITS = "service_visits", _("Service visits")
    CITY_MARKETS = "city_markets", _("City markets")
    NETWORK_LEADS = "network_leads", _("Network leads")


# Kinds of file that are the network's, not a dealer's: head office imports them, for no
# dealer (``ImportBatch.dealer`` is empty exactly for these; ``datahub.kinds`` says who writes each).
NETWORK_KINDS = (ImportKind.CITY_MARKETS, ImportKind.NETWORK_LEADS)


class SourceKind(models.TextChoices):
    """Which kind of system a file comes from: the DMS→CRM sync lag is measured between them."""

    DMS = "dms", _("DMS (dealer management system)")
    CRM = "crm", _("CRM")
    ECOMMERCE = "ecommerce", _("E-commerce platform")
    SPREADSHEET = "spreadsheet", _("Spreadsheet kept by hand")


class ImportStatus(models.TextChoices):
    VALIDATING = "validating", _("Checking")
    INVALID = "invalid", _("Has errors")
    READY = "ready", _("Ready to import")
    IMPORTING = "importing", _("Importing")
    IMPORTED = "imported", _("Imported")
    FAILED = "failed", _("Failed")
    CANCELLED = "cancelled", _("Cancelled")


class RowAction(models.TextChoices):
    CREATE = "create", _("Create")
    UPDATE = "update", _("Update")
    UNCHANGED = "unchanged", _("Unchanged")
    ERROR = "error", _("Error")


class ColumnMapping(TimeStamped):
    """Which file column holds which field, saved for a dealer's source system and file kind,
    so the next export from the same system maps itself."""

    dealer = models.ForeignKey(Dealer, verbose_name=_("dealer"), on_delete=models.CASCADE, related_name="+")
    system_name = models.CharField(_("source system"), max_length=64)
    kind = models.CharField(_("file kind"), max_length=16, choices=ImportKind.choices)
    columns = models.JSONField(_("columns"), help_text=_("Field name to the header text of the file."))

    class Meta:
        ordering = ["system_name", "kind"]
        verbose_name = _("column mapping")
        verbose_name_plural = _("column mappings")
        constraints = [
            models.UniqueConstraint(fields=["dealer", "system_name", "kind"], name="column_mapping_unique_per_system"),
        ]

    def __str__(self) -> str:
        return f"{self.system_name} · {self.get_kind_display()}"


class ImportBatch(TimeStamped, Leased):
    """One uploaded file for one dealer (or, for a network kind, for none: head office's table
    of the whole network): checked first (nothing written), then, when confirmed and free of
    errors, written whole in one transaction. The process checking or writing it renews its
    lease (``dealerops.leases``). Scoped by its dealer, so a dealer-less import is head office's
    alone (``dealerops.access``: a dealer's or a region's filter never matches an empty dealer)."""

    dealer = models.ForeignKey(
        Dealer, verbose_name=_("dealer"), null=True, blank=True, on_delete=models.PROTECT, related_name="imports"
    )
    kind = models.CharField(_("file kind"), max_length=16, choices=ImportKind.choices)
    source = models.CharField(_("source"), max_length=16, choices=SourceKind.choices)
    system_name = models.CharField(_("source system"), max_length=64)
    file_name = models.CharField(_("file name"), max_length=255)
    content = models.BinaryField(_("file content"))
    file_sha256 = models.CharField(_("file checksum"), max_length=64)
    columns = models.JSONField(_("column mapping"), default=dict, blank=True)
    file_headers = models.JSONField(_("file headers"), default=list, blank=True)
    status = models.CharField(_("status"), max_length=16, choices=ImportStatus.choices, default=ImportStatus.VALIDATING)
    rows_total = models.PositiveIntegerField(_("rows"), default=0)
    rows_checked = models.PositiveIntegerField(_("rows checked"), default=0)
    rows_create = models.PositiveIntegerField(_("to create"), default=0)
    rows_update = models.PositiveIntegerField(_("to update"), default=0)
    rows_unchanged = models.PositiveIntegerField(_("unchanged"), default=0)
    rows_error = models.PositiveIntegerField(_("rows with errors"), default=0)
    file_errors = models.JSONField(_("file errors"), default=list, blank=True)
    error = models.TextField(_("error"), blank=True)
    created_by = models.ForeignKey(
        "dealerops.User", verbose_name=_("uploaded by"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    confirmed_by = models.ForeignKey(
        "dealerops.User",
        verbose_name=_("confirmed by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    confirmed_at = models.DateTimeField(_("confirmed at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("import")
        verbose_name_plural = _("imports")
        indexes = [models.Index(fields=["dealer", "created_at"])]
        constraints = [
            models.CheckConstraint(
                name="import_batch_counts_add_up",
                condition=Q(rows_checked__lte=models.F("rows_total")),
                violation_error_message=_("More rows checked than the file has."),
            ),
            models.CheckConstraint(
                name="import_batch_dealer_unless_network_kind",
                condition=Q(kind__in=NETWORK_KINDS, dealer__isnull=True)
                | (~Q(kind__in=NETWORK_KINDS) & Q(dealer__isnull=False)),
                violation_error_message=_("A dealer's file names its dealer; a file of the whole network names none."),
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.file_name}"

    def get_absolute_url(self) -> str:
        return reverse("datahub:import-detail", args=[self.pk])

    @property
    def is_network(self) -> bool:
        """A file of the whole network (head office's), not of one dealer."""
        return self.kind in NETWORK_KINDS

    @property
    def is_finished(self) -> bool:
        return self.status in (ImportStatus.IMPORTED, ImportStatus.FAILED, ImportStatus.CANCELLED)


class ImportRow(models.Model):
    """A data row of an imported file as checked: what it does, which record it names, and
    its errors by column. Written by the check, read by the preview and the error download."""

    batch = models.ForeignKey(ImportBatch, verbose_name=_("import"), on_delete=models.CASCADE, related_name="rows")
    row_number = models.PositiveIntegerField(_("row"))
    action = models.CharField(_("action"), max_length=16, choices=RowAction.choices)
    natural_key = models.CharField(_("key"), max_length=64, blank=True)
    object_id = models.BigIntegerField(_("record id"), null=True, blank=True)
    errors = models.JSONField(_("errors"), default=list, blank=True, help_text=_("[column, message] pairs."))
    values = models.JSONField(
        _("values"),
        default=dict,
        blank=True,
        help_text=_("Field name to the value as it will be written (the cell's text where it cannot be read)."),
    )
    notes = models.JSONField(
        _("notes"),
        default=list,
        blank=True,
        help_text=_("What the clerk should know of a valid row (a loan move reported for confirmation)."),
    )
    cells = models.JSONField(
        _("cells"),
        default=list,
        blank=True,
        help_text=_("A row with errors: the file's own cells, in the order of the file's headers."),
    )

    class Meta:
        ordering = ["batch", "row_number"]
        verbose_name = _("import row")
        verbose_name_plural = _("import rows")
        constraints = [
            models.UniqueConstraint(fields=["batch", "row_number"], name="import_row_unique_number"),
        ]
        indexes = [models.Index(fields=["batch", "action", "row_number"])]

    def __str__(self) -> str:
        return f"{self.batch_id}:{self.row_number}"


class HeldUpload(TimeStamped):
    """A file chosen on the upload form when another field was refused: kept, by a token only
    its user can redeem, so the clerk need not choose the file again. A user holds one."""

    token = models.UUIDField(_("token"), default=uuid.uuid4, unique=True, editable=False)
    user = models.ForeignKey("dealerops.User", verbose_name=_("user"), on_delete=models.CASCADE, related_name="+")
    file_name = models.CharField(_("file name"), max_length=255)
    content = models.BinaryField(_("file content"))

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("held upload")
        verbose_name_plural = _("held uploads")

    def __str__(self) -> str:
        return self.file_name


# -- data quality ------------------------------------------------------------------------------
# Computed nightly per dealer and month by ``datahub.quality.services``; the rules and their
# definitions are documented in ``datahub/quality/rules.py``.


class QualityDimension(models.TextChoices):
    COMPLETENESS = "completeness", _("Completeness")
    VALIDITY = "validity", _("Validity")
    CONSISTENCY = "consistency", _("Consistency")
    TIMELINESS = "timeliness", _("Timeliness")
    INTEGRITY = "integrity", _("Integrity")


class QualityRule(models.TextChoices):
    """Every rule a data issue can break; its dimension is ``RULE_DIMENSIONS[rule]``."""

    CUSTOMER_NO_COORDINATES = "customer_no_coordinates", _("Customer without coordinates")
    VISIT_NO_SATISFACTION = "visit_no_satisfaction", _("Service visit without satisfaction")
    LOAN_NO_BUY_RATE = "loan_no_buy_rate", _("Loan without the lender's buy rate")
    LEAD_NO_FIRST_CONTACT = "lead_no_first_contact", _("Worked lead without its first contact time")
    IMPORT_ROWS_REFUSED = "import_rows_refused", _("Import rows refused")
    CUSTOMER_COORDINATES_OUTSIDE_CHINA = "customer_coordinates_outside_china", _("Customer located outside China")
    SALE_DATED_AFTER_ENTRY = "sale_dated_after_entry", _("Sale dated after it was entered")
    SALE_BEFORE_ARRIVAL = "sale_before_arrival", _("Sale dated before its unit arrived")
    SALE_UNIT_NOT_SOLD = "sale_unit_not_sold", _("Sold unit not marked sold")
    LOAN_SALE_WITHOUT_LOAN = "loan_sale_without_loan", _("Loan sale without a loan")
    LEAD_SALE_OF_OTHER_DEALER = "lead_sale_of_other_dealer", _("Lead converted into another dealer's sale")
    SALE_LATE = "sale_late", _("Sale not recorded on time")
    IMPORT_LAG = "import_lag", _("Import arrived late")
    SALE_BACKDATED = "sale_backdated", _("Back-dated sale")
    SALE_MOVED_MONTH = "sale_moved_month", _("Sale moved across a month end")
    SALE_EDITED_AFTER_CUTOFF = "sale_edited_after_cutoff", _("Sale edited after the reporting cut-off")
    SALE_DELETED_REENTERED = "sale_deleted_reentered", _("Sale deleted and entered again")
    LOAN_EDITED_AFTER_CLOSE = "loan_edited_after_close", _("Loan edited after its month closed")
    LOAN_MOVED_MONTH = "loan_moved_month", _("Loan disbursement moved across a month end")
    LOAN_DELETED_REENTERED = "loan_deleted_reentered", _("Loan deleted and entered again")
    STOCK_ARRIVAL_MOVED_MONTH = "stock_arrival_moved_month", _("Arrival moved across a month end after the cut-off")
    STOCK_UNIT_DELETED_REENTERED = "stock_unit_deleted_reentered", _("Stock unit deleted and entered again")
    CUSTOMER_DELETED_REENTERED = "customer_deleted_reentered", _("Customer deleted and entered again")


class DataQualityScore(models.Model):
    """One dealer's data quality in one month: five 0-100 dimension scores, each with the
    checks it passed out of those made, and the overall score (their plain mean, over the
    dimensions with at least one check; empty, "insufficient data", when fewer than
    ``datahub.quality.definitions.MIN_MEASURABLE_DIMENSIONS`` have one). ``source_lag_hours``:
    the median hours from the event to its arrival in the hub, per import source
    (e.g. ``{"dms": 20.5, "crm": 61.0}``)."""

    dealer = models.ForeignKey(Dealer, verbose_name=_("dealer"), on_delete=models.CASCADE, related_name="+")
    month = models.DateField(_("month"))
    completeness = models.DecimalField(_("completeness"), max_digits=5, decimal_places=2, null=True)
    completeness_passed = models.PositiveIntegerField(default=0)
    completeness_checked = models.PositiveIntegerField(default=0)
    validity = models.DecimalField(_("validity"), max_digits=5, decimal_places=2, null=True)
    validity_passed = models.PositiveIntegerField(default=0)
    validity_checked = models.PositiveIntegerField(default=0)
    consistency = models.DecimalField(_("consistency"), max_digits=5, decimal_places=2, null=True)
    consistency_passed = models.PositiveIntegerField(default=0)
    consistency_checked = models.PositiveIntegerField(default=0)
    timeliness = models.DecimalField(_("timeliness"), max_digits=5, decimal_places=2, null=True)
    timeliness_passed = models.PositiveIntegerField(default=0)
    timeliness_checked = models.PositiveIntegerField(default=0)
    integrity = models.DecimalField(_("integrity"), max_digits=5, decimal_places=2, null=True)
    integrity_passed = models.PositiveIntegerField(default=0)
    integrity_checked = models.PositiveIntegerField(default=0)
    overall = models.DecimalField(_("overall"), max_digits=5, decimal_places=2, null=True)
    issues = models.PositiveIntegerField(_("issues"), default=0)
    source_lag_hours = models.JSONField(_("median lag by source (hours)"), default=dict, blank=True)
    computed_at = models.DateTimeField(_("computed at"))

    class Meta:
        ordering = ["-month", "dealer__code"]
        verbose_name = _("data quality score")
        verbose_name_plural = _("data quality scores")
        constraints = [
            models.UniqueConstraint(fields=["dealer", "month"], name="data_quality_score_unique_month"),
        ]
        indexes = [models.Index(fields=["month", "overall"])]

    def __str__(self) -> str:
        return f"{self.dealer_id} {self.month:%Y-%m}"

    def get_absolute_url(self) -> str:
        return reverse("data_quality:dealer", args=[self.dealer_id]) + f"?month={self.month:%Y-%m}"


class DataIssue(models.Model):
    """One record breaking one rule in one month. ``record_type`` is the record's model label
    (``inventory.Sale``); a re-run finds the same (rule, record, month) and keeps the row."""

    dealer = models.ForeignKey(Dealer, verbose_name=_("dealer"), on_delete=models.CASCADE, related_name="+")
    month = models.DateField(_("month"))
    dimension = models.CharField(_("dimension"), max_length=16, choices=QualityDimension.choices)
    rule = models.CharField(_("rule"), max_length=40, choices=QualityRule.choices)
    record_type = models.CharField(_("record type"), max_length=64)
    record_id = models.BigIntegerField(_("record id"))
    detail = models.TextField(_("detail"), blank=True)
    detected_at = models.DateTimeField(_("detected at"))

    class Meta:
        ordering = ["dimension", "rule", "record_id"]
        verbose_name = _("data issue")
        verbose_name_plural = _("data issues")
        constraints = [
            models.UniqueConstraint(
                fields=["rule", "record_type", "record_id", "month"], name="data_issue_unique_per_record_month"
            ),
        ]
        indexes = [models.Index(fields=["dealer", "month", "dimension", "rule"])]

    def __str__(self) -> str:
        return f"{self.get_rule_display()} · {self.record_type} #{self.record_id}"


class DataQualityAlert(models.Model):
    """A suspicious pattern in a dealer's month for the regional manager to look into: raised
    once per (dealer, month, rule), kept when acknowledged."""

    class Rule(models.TextChoices):
        REPEATED_BACKDATING = "repeated_backdating", _("Several back-dated or moved sales")
        DELETED_REENTERED = "deleted_reentered", _("Records deleted and entered again")
        EDITED_AFTER_CLOSE = "edited_after_close", _("Several records changed after their month closed")
        SCORE_DROP = "score_drop", _("Sudden drop of the data-quality score")

    dealer = models.ForeignKey(Dealer, verbose_name=_("dealer"), on_delete=models.CASCADE, related_name="+")
    month = models.DateField(_("month"))
    rule = models.CharField(_("rule"), max_length=32, choices=Rule.choices)
    message = models.TextField(_("message"))
    created_at = models.DateTimeField(_("raised at"))
    acknowledged_by = models.ForeignKey(
        "dealerops.User",
        verbose_name=_("acknowledged by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    acknowledged_at = models.DateTimeField(_("acknowledged at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("data-quality alert")
        verbose_name_plural = _("data-quality alerts")
        constraints = [
            models.UniqueConstraint(fields=["dealer", "month", "rule"], name="data_quality_alert_once_per_month"),
        ]

    def __str__(self) -> str:
        return f"{self.get_rule_display()} · {self.month:%Y-%m}"
