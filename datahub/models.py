"""The data hub: files imported from dealers' DMS and CRM systems, the column mappings saved
for each source system, and every row's validation result."""

from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from channels.models import Dealer, TimeStamped


class ImportKind(models.TextChoices):
    CUSTOMERS = "customers", _("Customers")
    STOCK_ARRIVALS = "stock_arrivals", _("Stock arrivals")
    SALES = "sales", _("Sales")
    LOANS = "loans", _("Loans")
    LEADS = "leads", _("Leads")
    SERVICE_VISITS = "service_visits", _("Service visits")


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


class ImportBatch(TimeStamped):
    """One uploaded file for one dealer: checked first (nothing written), then, when confirmed
    and free of errors, written whole in one transaction."""

    dealer = models.ForeignKey(Dealer, verbose_name=_("dealer"), on_delete=models.PROTECT, related_name="imports")
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
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.file_name}"

    def get_absolute_url(self) -> str:
        return reverse("datahub:import-detail", args=[self.pk])

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
