"""Dealer admission: a prospective secondary dealer's application under a parent 4S store or
showroom, its documents, and the review's decision. An approved application names the dealer
it became.

Imported by ``channels.models``: they are the channels app's models."""

import pgtrigger
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from channels.admission.files import document_path
from channels.models import LATITUDE_VALIDATORS, LONGITUDE_VALIDATORS, Dealer, coordinates_valid
from dealerops.indexes import sort_indexes

# The code's alphabet (channels.admission.licence): the service explains a wrong one by field.
LICENCE_PATTERN = r"^[0-9A-HJ-NPQRTUWXY]{18}$"
PHONE_PATTERN = r"^1[3-9][0-9]{9}$"


class ApplicationStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Awaiting review")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")


class DocumentKind(models.TextChoices):
    BUSINESS_LICENCE = "business_licence", _("Business licence")
    REPRESENTATIVE_ID = "representative_id", _("ID card of the legal representative")
    SHOWROOM_LEASE = "showroom_lease", _("Showroom lease")
    SITE_PHOTO = "site_photo", _("Photo of the site")
    BANK_LETTER = "bank_letter", _("Bank reference letter")


# What an application must hold before it is submitted; the bank letter is asked for, not required.
REQUIRED_DOCUMENTS = (
    DocumentKind.BUSINESS_LICENCE,
    DocumentKind.REPRESENTATIVE_ID,
    DocumentKind.SHOWROOM_LEASE,
    DocumentKind.SITE_PHOTO,
)


class AdmissionOutcome(models.TextChoices):
    APPROVED = "approved", _("Approve")
    REJECTED = "rejected", _("Reject")


class DealerApplication(models.Model):
    """A company's application to trade as a secondary dealer under ``parent``: the company,
    the outlet it proposes and whom to reach. Filed as a draft, submitted with its documents,
    decided once (``AdmissionDecision``). A code stays with one live application at a time: a
    rejected company may apply again."""

    parent = models.ForeignKey(
        Dealer, verbose_name=_("parent dealer"), on_delete=models.PROTECT, related_name="admission_applications"
    )
    company_name = models.CharField(_("company name"), max_length=128)
    licence_number = models.CharField(_("unified social credit code"), max_length=18)
    legal_representative = models.CharField(_("legal representative"), max_length=32)
    outlet_name = models.CharField(_("outlet name"), max_length=128)
    province = models.CharField(_("province"), max_length=32)
    city = models.CharField(_("city"), max_length=32)
    address = models.CharField(_("address"), max_length=200)
    latitude = models.DecimalField(_("latitude"), max_digits=9, decimal_places=6, validators=LATITUDE_VALIDATORS)
    longitude = models.DecimalField(_("longitude"), max_digits=9, decimal_places=6, validators=LONGITUDE_VALIDATORS)
    sales_headcount = models.PositiveIntegerField(_("sales headcount"), validators=[MinValueValidator(1)])
    monthly_sales_target = models.PositiveIntegerField(_("monthly sales target"))
    contact_name = models.CharField(_("contact person"), max_length=32)
    contact_phone = models.CharField(_("contact phone"), max_length=11)
    contact_email = models.EmailField(_("contact email"))
    note = models.TextField(_("business plan"), max_length=2000, blank=True)
    status = models.CharField(
        _("status"), max_length=16, choices=ApplicationStatus.choices, default=ApplicationStatus.DRAFT
    )
    applied_by = models.ForeignKey(
        "dealerops.User", verbose_name=_("filed by"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    dealer = models.OneToOneField(
        Dealer,
        verbose_name=_("admitted dealer"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="admission",
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("dealer application")
        verbose_name_plural = _("dealer applications")
        indexes = sort_indexes("parent", "created_at", "submitted_at")
        constraints = [
            models.UniqueConstraint(
                fields=["licence_number"],
                condition=~Q(status="rejected"),
                name="dealer_application_one_live_per_licence",
                violation_error_message=_("An application with this unified social credit code is already on file."),
            ),
            models.CheckConstraint(
                name="dealer_application_licence_format",
                condition=Q(licence_number__regex=LICENCE_PATTERN),
                violation_error_message=_("A unified social credit code has 18 digits and capitals."),
            ),
            models.CheckConstraint(
                name="dealer_application_phone_format",
                condition=Q(contact_phone__regex=PHONE_PATTERN),
                violation_error_message=_("Enter an 11-digit mainland mobile number, e.g. 13812341234."),
            ),
            models.CheckConstraint(
                name="dealer_application_has_staff",
                condition=Q(sales_headcount__gte=1),
                violation_error_message=_("An outlet has at least one salesperson."),
            ),
            models.CheckConstraint(
                name="dealer_application_submitted_when",
                condition=Q(status="draft", submitted_at__isnull=True)
                | (~Q(status="draft") & Q(submitted_at__isnull=False)),
                violation_error_message=_("A submitted application keeps when it was submitted; a draft has no date."),
            ),
            models.CheckConstraint(
                name="dealer_application_approved_has_dealer",
                condition=Q(status="approved", dealer__isnull=False) | (~Q(status="approved") & Q(dealer__isnull=True)),
                violation_error_message=_("An approved application names the dealer it became, and only it does."),
            ),
            coordinates_valid("dealer_application"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.outlet_name}"

    def get_absolute_url(self) -> str:
        return reverse("channels:admission-detail", args=[self.pk])

    @property
    def is_draft(self) -> bool:
        return self.status == ApplicationStatus.DRAFT


class ApplicationDocument(models.Model):
    """One file of an application's checklist, stored under MEDIA_ROOT and read through its
    scoped page only. Never edited; removed only while its application is a draft, so the
    reviewer decides on what the applicant submitted."""

    application = models.ForeignKey(
        DealerApplication, verbose_name=_("application"), on_delete=models.CASCADE, related_name="documents"
    )
    kind = models.CharField(_("document"), max_length=32, choices=DocumentKind.choices)
    file = models.FileField(_("file"), upload_to=document_path, max_length=200)
    original_name = models.CharField(_("file name"), max_length=200)
    content_type = models.CharField(_("file type"), max_length=32)
    size = models.PositiveIntegerField(_("size (bytes)"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    uploaded_by = models.ForeignKey(
        "dealerops.User", verbose_name=_("uploaded by"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    uploaded_at = models.DateTimeField(_("uploaded at"))

    class Meta:
        ordering = ["application", "kind", "uploaded_at", "id"]
        verbose_name = _("application document")
        verbose_name_plural = _("application documents")
        triggers = [
            pgtrigger.Protect(name="application_document_never_edited", operation=pgtrigger.Update),
            pgtrigger.Trigger(
                name="application_document_kept_once_submitted",
                when=pgtrigger.Before,
                operation=pgtrigger.Delete,
                func=pgtrigger.Func(
                    """
                    IF (SELECT status FROM channels_dealerapplication WHERE id = OLD.application_id) <> 'draft' THEN
                      RAISE EXCEPTION 'document %: its application is submitted, its documents are kept', OLD.id
                        USING ERRCODE = '23514';
                    END IF;
                    RETURN OLD;
                    """
                ),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.original_name}"

    def get_absolute_url(self) -> str:
        return reverse("channels:admission-document", args=[self.pk])


class AdmissionDecision(models.Model):
    """The review's decision on a submitted application, with its reason, who and when; an
    approval names the first account it created (the dealer is the application's). Never edited."""

    application = models.OneToOneField(
        DealerApplication, verbose_name=_("application"), on_delete=models.PROTECT, related_name="decision"
    )
    outcome = models.CharField(_("decision"), max_length=16, choices=AdmissionOutcome.choices)
    reason = models.CharField(_("reason"), max_length=500)
    account = models.ForeignKey(
        "dealerops.User",
        verbose_name=_("account created"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    decided_by = models.ForeignKey(
        "dealerops.User", verbose_name=_("decided by"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(_("decided at"))

    class Meta:
        ordering = ["-decided_at", "-id"]
        verbose_name = _("admission decision")
        verbose_name_plural = _("admission decisions")
        constraints = [
            models.CheckConstraint(
                name="admission_decision_has_a_reason",
                condition=~Q(reason=""),
                violation_error_message=_("A decision gives its reason."),
            ),
        ]
        triggers = [
            pgtrigger.Protect(name="admission_decisions_are_history", operation=pgtrigger.Update | pgtrigger.Delete)
        ]

    def __str__(self) -> str:
        return f"{self.application} · {self.get_outcome_display()}"
