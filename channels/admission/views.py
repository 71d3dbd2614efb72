"""Dealer admission pages: the list of applications, the application form, the application's
page (its checklist, the market it would trade in, the decision), its actions, and the
documents, read through their page only (a FileResponse to whoever may see the application).

Every page looks the application up in the user's scope first (404 outside it), then checks
the role (403)."""

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from channels.admission.files import document_upload_refusal
from channels.admission.filtersets import ApplicationFilterSet
from channels.admission.forms import ApplicationForm, DecisionForm, DocumentForm
from channels.admission.models import (
    AdmissionDecision,
    AdmissionOutcome,
    ApplicationDocument,
    ApplicationStatus,
    DealerApplication,
)
from channels.admission.selectors import application_checklist, market_context, parent_choices
from channels.admission.services import (
    account_invite,
    application_decide,
    application_save,
    application_submit,
    document_add,
    document_remove,
)
from channels.views import DealerOptionsView
from dealerops.access import can_write
from dealerops.entry_views import EntryView, RecordEntryView
from dealerops.scoped_views import ScopedDetailView, ScopedListView
from dealerops.tables import Column


class ApplicationListView(ScopedListView):
    """Applications of the user's scope, newest first: a dealer user's own store's, a
    manager's regions', all for head office; the status filter finds those awaiting review."""

    model = DealerApplication
    filterset_class = ApplicationFilterSet
    title = _("Dealer applications")
    create_url_name = "channels:admission-create"
    create_label = _("New application")
    default_ordering = "-created_at"
    columns = [
        Column(_("Outlet"), "outlet_name", link=True),
        Column(_("Company"), "company_name"),
        Column(_("Unified social credit code"), "licence_number"),
        Column(_("Parent dealer"), "parent.name", export=("parent__name",)),
        Column(_("Region"), "parent.region.name", export=("parent__region__name",)),
        Column(_("City"), "city"),
        Column(_("Status"), "status", kind="choice"),
        Column(_("Filed by"), "applied_by.username", export=("applied_by__username",)),
        Column(_("Filed at"), "created_at", order="created_at"),
        Column(_("Submitted at"), "submitted_at", order="submitted_at"),
    ]

    def base_queryset(self):
        return DealerApplication.objects.select_related("parent__region", "applied_by")


class ParentOptionsView(DealerOptionsView):
    """The application form's parent picker: the stores the user may file under only."""

    def get_queryset(self):
        return parent_choices(self.request.user).select_related("region").order_by("code")


class ApplicationSaving:
    model = DealerApplication
    form_class = ApplicationForm
    template_name = "channels/admission/application_form.html"

    def save(self, form) -> DealerApplication:
        return application_save(user=self.request.user, data=form.values(), application=getattr(self, "object", None))

    def get_success_message(self, record: DealerApplication) -> str:
        return gettext("The draft is saved: add its documents below, then submit it for review.")


class ApplicationCreateView(ApplicationSaving, EntryView):
    title = _("New dealer application")


class ApplicationEditView(ApplicationSaving, RecordEntryView):
    """A draft's data, changed by whoever may file it; a submitted one is refused by the service."""

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "application": self.object}

    def get_context_data(self, **kwargs):
        title = gettext("Change application %(number)s") % {"number": f"#{self.object.pk}"}
        return {**super().get_context_data(**kwargs), "title": title, "locked": not self.object.is_draft}


class ApplicationDetailView(ScopedDetailView):
    """The application's page: what it proposes, its checklist (upload and submit while a
    draft), the market it would trade in (for the managers and head office), and the
    decision, recorded here by a reviewer (POST ``decide``), with the new dealer's invite
    link afterwards (POST ``invite``)."""

    model = DealerApplication
    template_name = "channels/admission/application_detail.html"
    context_object_name = "application"

    def base_queryset(self):
        return DealerApplication.objects.select_related("parent__region", "applied_by", "dealer")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user, application = self.request.user, self.object
        decision = AdmissionDecision.objects.select_related("decided_by", "account").filter(application=application)
        may_file = can_write(user, DealerApplication) and application.is_draft
        may_review = can_write(user, AdmissionDecision)
        context.update(
            checklist=application_checklist(application),
            market=market_context(user, application),
            decision=decision.first(),
            may_file=may_file,
            upload_form=kwargs.get("upload_form") or (DocumentForm() if may_file else None),
            upload_refusal=kwargs.get("upload_refusal", ""),
            may_decide=may_review
            and application.status == ApplicationStatus.SUBMITTED
            and application.applied_by_id != user.pk,
            decision_form=kwargs.get("decision_form") or DecisionForm(),
            may_invite=may_review and application.status == ApplicationStatus.APPROVED,
        )
        return context

    def post(self, request, *args, **kwargs) -> HttpResponse:
        self.object = self.get_object()
        if not can_write(request.user, AdmissionDecision):
            raise PermissionDenied
        action = request.POST.get("action")
        if action == "invite":
            return self.invite()
        if action != "decide":
            return self.refused(gettext("Choose approve or reject."))
        form = DecisionForm(request.POST)
        if form.is_valid():
            try:
                with transaction.atomic():
                    decision = application_decide(
                        user=request.user,
                        application=self.object,
                        outcome=form.cleaned_data["outcome"],
                        reason=form.cleaned_data["reason"],
                    )
            except ValidationError as error:
                form.add_service_errors(error)
            else:
                messages.success(request, decided_message(decision))
                return redirect(self.object)
        return self.render_to_response(self.get_context_data(decision_form=form), status=400)

    def invite(self) -> HttpResponse:
        try:
            invite = account_invite(user=self.request.user, application=self.object)
        except ValidationError as error:
            return self.refused(" ".join(error.messages))
        context = {
            "application": self.object,
            "invite": invite,
            "link": self.request.build_absolute_uri(invite.path),
        }
        response = render(self.request, "channels/admission/invite.html", context)
        add_never_cache_headers(response)  # a key to the account: shown in this answer only
        return response

    def refused(self, message: str) -> HttpResponse:
        messages.error(self.request, message)
        return self.render_to_response(self.get_context_data(), status=400)


def decided_message(decision: AdmissionDecision) -> str:
    if decision.outcome == AdmissionOutcome.REJECTED:
        return gettext("The application is rejected; the applicant sees why on this page.")
    return gettext(
        "Approved: %(dealer)s is an active secondary dealer, with the account %(username)s. "
        "Hand its holder the invite link (below) to set a password."
    ) % {"dealer": decision.application.dealer, "username": decision.account.username}


class ApplicationActionView(ApplicationDetailView):
    """A POST of an applicant on their application (a document, the submission): 404 outside
    the scope, 403 to a role that does not file applications; a refusal shows the page again
    with the errors (400)."""

    http_method_names = ["post"]

    def post(self, request, *args, **kwargs) -> HttpResponse:
        self.object = self.get_object()
        if not can_write(request.user, DealerApplication):
            raise PermissionDenied
        return self.act()

    def act(self) -> HttpResponse:
        raise NotImplementedError


class DocumentUploadView(ApplicationActionView):
    def post(self, request, *args, **kwargs) -> HttpResponse:
        # An oversize body is refused before Django spools it to disk.
        if refusal := document_upload_refusal(request):
            self.object = self.get_object()
            return self.render_to_response(self.get_context_data(upload_refusal=refusal), status=413)
        return super().post(request, *args, **kwargs)

    def act(self) -> HttpResponse:
        form = DocumentForm(self.request.POST, self.request.FILES)
        if form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                with transaction.atomic():
                    document = document_add(
                        user=self.request.user,
                        application=self.object,
                        kind=form.cleaned_data["kind"],
                        content=upload.read(),
                        file_name=upload.name,
                    )
            except ValidationError as error:
                form.add_service_errors(error)
            else:
                messages.success(
                    self.request,
                    gettext("%(document)s is added: %(name)s.")
                    % {"document": document.get_kind_display(), "name": document.original_name},
                )
                return redirect(self.object)
        return self.render_to_response(self.get_context_data(upload_form=form), status=400)


class ApplicationSubmitView(ApplicationActionView):
    def act(self) -> HttpResponse:
        try:
            with transaction.atomic():
                application_submit(user=self.request.user, application=self.object)
        except ValidationError as error:
            return self.refused(" ".join(error.messages))
        messages.success(self.request, gettext("The application is submitted: the region's manager reviews it."))
        return redirect(self.object)


class DocumentMixin:
    model = ApplicationDocument

    def base_queryset(self):
        return ApplicationDocument.objects.select_related("application")


class DocumentView(DocumentMixin, ScopedDetailView):
    """The file itself, shown in the browser (a PDF or an image, of the type its content was
    checked to be), to whoever may see its application; never cached by a shared cache."""

    def get(self, request, *args, **kwargs) -> FileResponse:
        document = self.get_object()
        try:
            file = document.file.open("rb")
        except FileNotFoundError:
            raise Http404 from None
        # Named as uploaded, with the extension of the type its content is.
        extension = document.file.name.rsplit(".", 1)[-1]
        name = f"{document.original_name.rsplit('.', 1)[0]}.{extension}"
        response = FileResponse(file, content_type=document.content_type, filename=name)
        response["Cache-Control"] = "private, no-store"
        return response


class DocumentRemoveView(DocumentMixin, ScopedDetailView):
    """POST: take a file off a draft's checklist."""

    http_method_names = ["post"]

    def post(self, request, *args, **kwargs) -> HttpResponse:
        document = self.get_object()
        if not can_write(request.user, ApplicationDocument):
            raise PermissionDenied
        try:
            with transaction.atomic():
                document_remove(user=request.user, document=document)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
            return redirect(document.application)
        messages.success(request, gettext("%(document)s is removed.") % {"document": document})
        return redirect(document.application)


class AccountInviteView(auth_views.PasswordResetConfirmView):
    """The new dealer's first account sets its password here, through the link a reviewer
    handed over (Django's password-reset token: spent once the password is set)."""

    template_name = "channels/admission/set_password.html"
    success_url = reverse_lazy("login")

    def form_valid(self, form):
        response = super().form_valid(form)
        messages.success(self.request, gettext("Your password is set: log in with your user name and it."))
        return response
