"""Writes of dealer admission, each in one transaction and refused by field:

- an applicant (the parent store's dealer user, the region's manager, head office) files a
  draft under a parent and adds its documents, then submits it when the required ones are in;
- a reviewer (a manager of the parent's region or head office, never the one who filed it)
  approves or rejects it with a reason. An approval creates the secondary dealer, active
  under its parent, and its first account, which has no password until its holder sets one
  through the invite link (``account_invite``)."""

import hashlib
import re
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from channels.admission.files import DOCUMENT_TYPES, PHOTO_TYPES, document_type
from channels.admission.licence import licence_normalised, licence_refusal
from channels.admission.models import (
    PHONE_PATTERN,
    AdmissionDecision,
    AdmissionOutcome,
    ApplicationDocument,
    ApplicationStatus,
    DealerApplication,
    DocumentKind,
)
from channels.admission.selectors import missing_documents, parent_choices
from channels.models import CHINA_LATITUDES, CHINA_LONGITUDES, Dealer, DealerKind, DealerStatus
from dealerops.access import can_write, scope
from dealerops.models import Role, User
from dealerops.validation import today

MAX_FILES_PER_KIND = 6  # an ID card's two sides, a lease's pages, the site from several sides
LICENCE_TAKEN = "dealer_application_one_live_per_licence"


@dataclass(frozen=True)
class ApplicationInput:
    parent: Dealer | None
    company_name: str
    licence_number: str
    legal_representative: str
    outlet_name: str
    province: str
    city: str
    address: str
    latitude: Decimal
    longitude: Decimal
    sales_headcount: int
    monthly_sales_target: int
    contact_name: str
    contact_phone: str
    contact_email: str
    note: str = ""

    def cleaned(self) -> dict:
        """The values as stored: text stripped, the code and the phone normalised."""
        values = {name: value.strip() if isinstance(value, str) else value for name, value in self.__dict__.items()}
        values["licence_number"] = licence_normalised(self.licence_number)
        values["contact_phone"] = "".join(self.contact_phone.split()).replace("-", "").removeprefix("+86")
        return values


def application_save(
    *, user: User, data: ApplicationInput, application: DealerApplication | None = None
) -> DealerApplication:
    """File a new draft, or change a draft; refused by field, nothing written on a refusal."""
    if application is not None:
        application = _locked(user, application.pk)
        if not application.is_draft:
            raise ValidationError(_("This application has been submitted: it is no longer changed."))
    values = data.cleaned()
    _check(user, values, application)
    if application is None:
        application = DealerApplication(applied_by=user)
    for name, value in values.items():
        setattr(application, name, value)
    try:
        with transaction.atomic():  # a savepoint: the refusal below leaves the caller's transaction usable
            application.save()
    except IntegrityError as error:
        # Two applicants typing one code at the same moment: the second is told by field.
        if LICENCE_TAKEN in str(error):
            raise ValidationError({"licence_number": _licence_taken_message(user, None)}) from None
        raise
    return application


def _check(user: User, values: dict, application: DealerApplication | None) -> None:
    errors: dict[str, str] = {}
    if values["parent"] is None:
        errors["parent"] = _("Choose the 4S store or showroom the dealer would sell under.")
    elif not parent_choices(user).filter(pk=values["parent"].pk).exists():
        errors["parent"] = _(
            "%(dealer)s cannot take a secondary dealer from you: an active 4S store or showroom you work for."
        ) % {"dealer": values["parent"]}
    for name, label in (
        ("company_name", _("Give the company's name as on its business licence.")),
        ("legal_representative", _("Give the legal representative's name.")),
        ("outlet_name", _("Name the outlet.")),
        ("province", _("Give the province.")),
        ("city", _("Give the city.")),
        ("address", _("Give the outlet's address.")),
        ("contact_name", _("Name the contact person.")),
    ):
        if not values[name]:
            errors[name] = label
    code = values["licence_number"]
    if refusal := licence_refusal(code):
        errors["licence_number"] = refusal
    else:
        others = DealerApplication.objects.filter(licence_number=code).exclude(status=ApplicationStatus.REJECTED)
        if application is not None:
            others = others.exclude(pk=application.pk)
        if other := others.first():
            errors["licence_number"] = _licence_taken_message(user, other)
    latitude, longitude = values["latitude"], values["longitude"]
    if not (
        CHINA_LATITUDES[0] <= latitude <= CHINA_LATITUDES[1] and CHINA_LONGITUDES[0] <= longitude <= CHINA_LONGITUDES[1]
    ):
        errors["latitude"] = _("The point (%(lat)s, %(lon)s) lies outside China.") % {"lat": latitude, "lon": longitude}
    if values["sales_headcount"] < 1:
        errors["sales_headcount"] = _("An outlet has at least one salesperson.")
    if not _is_mobile(values["contact_phone"]):
        errors["contact_phone"] = _("Enter an 11-digit mainland mobile number, e.g. 13812341234.")
    try:
        validate_email(values["contact_email"])
    except ValidationError:
        errors["contact_email"] = _("Enter the contact's email address, e.g. li.ming@example.cn.")
    if errors:
        raise ValidationError(errors)


def _is_mobile(phone: str) -> bool:
    return re.fullmatch(PHONE_PATTERN, phone) is not None


def _licence_taken_message(user: User, other: DealerApplication | None) -> str:
    """The refusal of a code already on file, naming the other application to a reader who may
    open it (an applicant from another region learns only that the code is taken)."""
    if other is not None and scope(user, DealerApplication).filter(pk=other.pk).exists():
        return _("Application %(number)s (%(outlet)s, %(status)s) already holds this unified social credit code.") % {
            "number": f"#{other.pk}",
            "outlet": other.outlet_name,
            "status": other.get_status_display(),
        }
    return _("An application with this unified social credit code is already on file.")


def _locked(user: User, application_id: int, model=DealerApplication) -> DealerApplication:
    """The application read locked, if ``user`` may act on it as ``model``'s writer: outside
    their scope it does not exist for them, as on its page."""
    if not can_write(user, model):
        raise PermissionDenied
    try:
        return scope(user, DealerApplication).select_for_update(of=("self",)).get(pk=application_id)
    except DealerApplication.DoesNotExist:
        raise PermissionDenied from None


def document_add(
    *, user: User, application: DealerApplication, kind: str, content: bytes, file_name: str
) -> ApplicationDocument:
    """Store one file of the checklist; refused by field (``kind``, ``file``), and nothing
    kept on a refusal."""
    application = _locked(user, application.pk)
    errors: dict[str, str] = {}
    if not application.is_draft:
        raise ValidationError(_("This application has been submitted: its documents are kept as they were."))
    if kind not in DocumentKind.values:
        errors["kind"] = _("Choose which document this is.")
    elif application.documents.filter(kind=kind).count() >= MAX_FILES_PER_KIND:
        errors["kind"] = _("An application holds at most %(count)s files of one document: remove one first.") % {
            "count": MAX_FILES_PER_KIND
        }
    try:
        file_type = document_type(content, PHOTO_TYPES if kind == DocumentKind.SITE_PHOTO else DOCUMENT_TYPES)
    except ValidationError as error:
        errors.update({field: messages[0] for field, messages in error.message_dict.items()})
    if errors:
        raise ValidationError(errors)
    document = ApplicationDocument(
        application=application,
        kind=kind,
        original_name=(file_name.rsplit("/", 1)[-1].rsplit("\\", 1)[-1] or "-")[:200],
        content_type=file_type.content_type,
        size=len(content),
        sha256=hashlib.sha256(content).hexdigest(),
        uploaded_by=user,
        uploaded_at=timezone.now(),
    )
    # The name given here carries the type's extension only (files.document_path).
    document.file.save(f"document.{file_type.extension}", ContentFile(content), save=False)
    try:
        with transaction.atomic():
            document.save()
    except BaseException:
        document.file.delete(save=False)  # no file without its row
        raise
    return document


def document_remove(*, user: User, document: ApplicationDocument) -> None:
    """Remove a file from a draft (its file goes once the removal is committed)."""
    application = _locked(user, document.application_id)
    if not application.is_draft:
        raise ValidationError(_("This application has been submitted: its documents are kept as they were."))
    storage, name = document.file.storage, document.file.name
    document.delete()
    transaction.on_commit(lambda: storage.delete(name))


def application_submit(*, user: User, application: DealerApplication) -> DealerApplication:
    """Send a draft for review once every required document is in."""
    application = _locked(user, application.pk)
    if not application.is_draft:
        raise ValidationError(_("This application has been submitted already."))
    if missing := missing_documents(application):
        separator = pgettext("between the items of a list", ", ")
        raise ValidationError(
            {"documents": _("Add these documents first: %(kinds)s.") % {"kinds": separator.join(missing)}}
        )
    application.status = ApplicationStatus.SUBMITTED
    application.submitted_at = timezone.now()
    application.save(update_fields=["status", "submitted_at", "updated_at"])
    return application


def application_decide(*, user: User, application: DealerApplication, outcome: str, reason: str) -> AdmissionDecision:
    """Approve or reject a submitted application with the reason. An approval creates the
    dealer (secondary, active, under the parent, coded after it) and its first account, in
    the decision's transaction; the application is read locked, so two decisions cannot cross."""
    if not can_write(user, AdmissionDecision):
        raise ValidationError(_("The region's manager or head office decides on an application."))
    application = _locked(user, application.pk, AdmissionDecision)
    errors: dict[str, str] = {}
    if application.status != ApplicationStatus.SUBMITTED:
        raise ValidationError(
            _("This application is %(status)s: only one awaiting review is decided.")
            % {"status": application.get_status_display()}
        )
    if application.applied_by_id == user.pk:
        raise ValidationError(_("You filed this application: another manager of the region or head office decides it."))
    if outcome not in AdmissionOutcome.values:
        errors["outcome"] = _("Choose approve or reject.")
    elif outcome == AdmissionOutcome.APPROVED and application.parent.status != DealerStatus.ACTIVE:
        errors["outcome"] = _("%(dealer)s is %(status)s: a secondary dealer is admitted under an active store.") % {
            "dealer": application.parent,
            "status": application.parent.get_status_display(),
        }
    if not reason.strip():
        errors["reason"] = _("Give the reason for the decision.")
    if errors:
        raise ValidationError(errors)
    account = None
    if outcome == AdmissionOutcome.APPROVED:
        application.dealer = _dealer_from(application)
        account = _first_account(application)
    application.status = outcome
    application.save(update_fields=["status", "dealer", "updated_at"])
    return AdmissionDecision.objects.create(
        application=application,
        outcome=outcome,
        reason=reason.strip()[:500],
        account=account,
        decided_by=user,
        decided_at=timezone.now(),
    )


def _dealer_from(application: DealerApplication) -> Dealer:
    parent = application.parent
    return Dealer.objects.create(
        code=_free_code(parent),
        name=application.outlet_name,
        kind=DealerKind.SECONDARY,
        parent=parent,
        status=DealerStatus.ACTIVE,
        region_id=parent.region_id,
        province=application.province,
        city=application.city,
        latitude=application.latitude,
        longitude=application.longitude,
        opened_on=today(),
        sales_headcount=application.sales_headcount,
        monthly_sales_target=application.monthly_sales_target,
    )


def _free_code(parent: Dealer) -> str:
    """The parent's code, S and the next free number: DL00012S01, DL00012S02 …"""
    prefix = f"{parent.code[:12]}S"
    taken = set(Dealer.objects.filter(code__startswith=prefix).values_list("code", flat=True))
    number = 1
    while f"{prefix}{number:02d}" in taken:
        number += 1
    return f"{prefix}{number:02d}"


def _first_account(application: DealerApplication) -> User:
    """The new dealer's first user, named after its code, with no password yet."""
    base = application.dealer.code.lower()
    username, suffix = base, 1
    while User.objects.filter(username=username).exists():
        suffix += 1
        username = f"{base}-{suffix}"
    account = User(
        username=username,
        role=Role.DEALER_USER,
        dealer=application.dealer,
        first_name=application.contact_name[:150],
        email=application.contact_email,
    )
    account.set_unusable_password()
    account.save()
    return account


@dataclass(frozen=True)
class Invite:
    account: User
    path: str  # the set-password page, to be made absolute by the page that shows it
    hours: int


def account_invite(*, user: User, application: DealerApplication) -> Invite:
    """A set-password link for the approved dealer's first account, for a reviewer to hand
    over. Not stored: shown once per asking; it works until its holder sets a password (which
    spends it) or PASSWORD_RESET_TIMEOUT passes."""
    if not can_write(user, AdmissionDecision):
        raise ValidationError(_("The region's manager or head office hands the new dealer its account."))
    decision = scope(user, AdmissionDecision).select_related("account").filter(application_id=application.pk).first()
    if decision is None or decision.account is None:
        raise ValidationError(_("Only an approved application has an account to hand over."))
    account = decision.account
    if account.has_usable_password() or not account.is_active:
        raise ValidationError(
            _("The account %(username)s has set its password already: head office resets it in the admin if needed.")
            % {"username": account.username}
        )
    token = default_token_generator.make_token(account)
    path = reverse("account-invite", args=[urlsafe_base64_encode(force_bytes(account.pk)), token])
    return Invite(account=account, path=path, hours=settings.PASSWORD_RESET_TIMEOUT // 3600)
