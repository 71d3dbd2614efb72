"""Portal users and their role. The role decides what `dealerops.access` lets them see."""

from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from dealerops.leases import Leased
from dealerops.schedules import job_label


class Role(models.TextChoices):
    REGIONAL_MANAGER = "regional_manager", _("Regional manager")
    DEALER_USER = "dealer_user", _("Dealer user")
    FINANCE = "finance", _("Finance staff")
    HEAD_OFFICE = "head_office", _("Head office")


class PortalUserManager(UserManager):
    def create_superuser(self, username, email=None, password=None, **extra_fields):
        extra_fields.setdefault("role", Role.HEAD_OFFICE)
        return super().create_superuser(username, email, password, **extra_fields)


class User(AbstractUser):
    """A portal user. A dealer user belongs to exactly one dealer; a regional manager runs
    one or more regions; finance and head office see the whole network."""

    # The default is the safest role: a regional manager with no regions sees nothing.
    role = models.CharField(_("role"), max_length=20, choices=Role.choices, default=Role.REGIONAL_MANAGER)
    dealer = models.ForeignKey(
        "channels.Dealer",
        verbose_name=_("dealer"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="users",
    )
    regions = models.ManyToManyField("channels.Region", verbose_name=_("regions"), blank=True, related_name="managers")

    objects = PortalUserManager()

    class Meta:
        ordering = ["username"]
        constraints = [
            models.CheckConstraint(
                name="user_dealer_iff_dealer_user",
                condition=(
                    Q(role="dealer_user", dealer__isnull=False) | (~Q(role="dealer_user") & Q(dealer__isnull=True))
                ),
                violation_error_message=_("A dealer user needs a dealer, and only dealer users have one."),
            )
        ]

    @property
    def is_head_office(self) -> bool:
        return self.is_superuser or self.role == Role.HEAD_OFFICE


class JobStatus(models.TextChoices):
    RUNNING = "running", _("Running")
    SUCCEEDED = "succeeded", _("Succeeded")
    FAILED = "failed", _("Failed")


class JobRun(Leased):
    """One run of a background job (nightly or started by hand), shown on the operations page.
    Its process renews its lease while it runs (``dealerops.leases``)."""

    job = models.CharField(_("job"), max_length=64)
    period = models.CharField(_("period"), max_length=32, blank=True, help_text=_("The date or month the run covered."))
    status = models.CharField(_("status"), max_length=16, choices=JobStatus.choices, default=JobStatus.RUNNING)
    started_at = models.DateTimeField(_("started at"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    rows = models.PositiveBigIntegerField(_("rows written"), default=0)
    amount = models.DecimalField(
        _("amount"), max_digits=16, decimal_places=2, null=True, blank=True, help_text=_("The money the run posted.")
    )
    error = models.TextField(_("error"), blank=True)
    started_by = models.ForeignKey(
        "dealerops.User", verbose_name=_("started by"), null=True, blank=True, on_delete=models.SET_NULL
    )

    class Meta:
        ordering = ["-started_at", "-id"]
        verbose_name = _("job run")
        verbose_name_plural = _("job runs")
        indexes = [models.Index(fields=["job", "-started_at"])]

    def __str__(self) -> str:
        return f"{self.job} {self.period} {self.status}"

    @property
    def label(self) -> str:
        """The job's name as the operations page shows it."""
        return job_label(self.job)

    @property
    def duration_seconds(self) -> float | None:
        if self.finished_at is None:
            return None
        return (self.finished_at - self.started_at).total_seconds()


class ExportStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    SUCCEEDED = "succeeded", _("Ready")
    FAILED = "failed", _("Failed")


class ExportJob(Leased):
    """A large CSV/XLSX export written in the background (``dealerops.export_jobs``). The rows are
    those of the page at ``path``?``query`` as ``owner`` sees them; only the owner sees the job
    and downloads its file, until ``expires_at``. Its worker renews its lease while it writes
    (``dealerops.leases``); a queued job's lease is the time it may wait for a worker."""

    owner = models.ForeignKey(
        "dealerops.User", verbose_name=_("started by"), on_delete=models.CASCADE, related_name="export_jobs"
    )
    title = models.CharField(_("title"), max_length=200)
    fmt = models.CharField(_("format"), max_length=4, choices=[("csv", "CSV"), ("xlsx", "XLSX")])
    path = models.CharField(_("page"), max_length=500)
    query = models.TextField(_("query"), blank=True)
    language = models.CharField(_("language"), max_length=16)
    file_name = models.CharField(_("file name"), max_length=255)
    ascii_file_name = models.CharField(_("ASCII file name"), max_length=255)
    status = models.CharField(_("status"), max_length=16, choices=ExportStatus.choices, default=ExportStatus.QUEUED)
    rows_done = models.PositiveBigIntegerField(_("rows written"), default=0)
    rows_total = models.PositiveBigIntegerField(_("rows in all"), null=True, blank=True)
    stored_as = models.CharField(_("stored as"), max_length=255, blank=True, help_text=_("Under EXPORT_ROOT."))
    error = models.TextField(_("error"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    expires_at = models.DateTimeField(_("expires at"))

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("export")
        verbose_name_plural = _("exports")
        indexes = [
            models.Index(fields=["owner", "-created_at"]),
            models.Index(fields=["status", "lease_expires_at"]),
            models.Index(fields=["expires_at"]),
        ]
        constraints = [
            models.CheckConstraint(
                name="exportjob_ready_has_file",
                condition=~Q(status="succeeded") | ~Q(stored_as=""),
                violation_error_message=_("A finished export has its file."),
            )
        ]

    def __str__(self) -> str:
        return self.file_name

    def get_absolute_url(self) -> str:
        return reverse("export-detail", args=[self.pk])

    @property
    def running(self) -> bool:
        return self.status in (ExportStatus.QUEUED, ExportStatus.RUNNING)
