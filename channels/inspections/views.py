"""The inspection pages: lists (inspections, follow-ups, checklists), the inspection a manager
checks in to and fills on a phone, a follow-up the dealer corrects and the manager reviews, the
checklists' versions, and the photos (served only through the user's scope).

Views are thin: a scoped lookup (404 outside the scope, then 403 for a role that may not
write), a form, one service call, the refusals beside their fields."""

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views import View

from channels.inspections.filtersets import ChecklistTemplateFilterSet, FollowUpFilterSet, InspectionFilterSet
from channels.inspections.forms import (
    CheckInForm,
    CorrectForm,
    FillForm,
    ItemFormSet,
    ReviewForm,
    ScheduleForm,
    TemplateForm,
    item_specs,
)
from channels.inspections.models import (
    ChecklistTemplate,
    EvidencePhoto,
    FollowUp,
    FollowUpEvent,
    FollowUpStatus,
    Inspection,
    InspectionStatus,
)
from channels.inspections.photos import photo_path
from channels.inspections.selectors import dealer_inspections, follow_up_rows, inspection_items, inspection_rows
from channels.inspections.services import (
    ON_SITE_KM,
    checklist_template_publish,
    checklist_templates_in_force,
    follow_up_correct,
    follow_up_review,
    inspection_check_in,
    inspection_fill,
    inspection_schedule,
)
from channels.models import Dealer
from dealerops.access import can_write, role_of, scope
from dealerops.entry_views import EntryView
from dealerops.formats import format_number
from dealerops.models import Role
from dealerops.scoped_views import ScopedDetailView, ScopedListView, ScopedMixin
from dealerops.tables import Column
from dealerops.tabular import upload_refusal


def upload_too_large(request) -> str | None:
    """Why an inspection's upload is refused before it is read (its photos together too large)."""
    return upload_refusal(
        request,
        file_limit=settings.INSPECTION_UPLOAD_MAX_BYTES,
        message=gettext("The photos are larger than %(limit)s KB together: send fewer at a time (save a draft)."),
    )


class InspectionPagesMixin:
    """The inspection pages' own sub-menu: the lists by state, the follow-ups, the checklists."""

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), "state": self.request.GET.get("state", "")}


class InspectionListView(InspectionPagesMixin, ScopedListView):
    model = Inspection
    filterset_class = InspectionFilterSet
    template_name = "channels/inspections/inspection_list.html"
    title = _("Field inspections")
    create_url_name = "channels:inspection-create"
    create_label = _("Schedule an inspection")
    default_ordering = "-due_on"
    columns = [
        Column(_("Due on"), "due_on", order="due_on", link=True, badge=("is_overdue", _("Overdue"))),
        Column(_("Dealer"), "dealer.name", link="dealer", export=("dealer__name",)),
        Column(_("City"), "dealer.city", export=("dealer__city",)),
        Column(_("Checklist"), "template.title", export=("template__title",)),
        Column(_("Version"), "template.version", kind="number", export=("template__version",)),
        Column(_("Status"), "status", kind="choice"),
        Column(_("Submitted at"), "submitted_at", order="submitted_at"),
        Column(_("Score"), "score", kind="number", order="score"),
        Column(_("Failed items"), "failed_items", kind="number"),
        Column(_("Check-in distance (km)"), "check_in_distance_km", kind="number"),
    ]

    def base_queryset(self):
        return inspection_rows()


class InspectionCreateView(EntryView):
    """Schedule an inspection (``?dealer=`` from a dealer's page picks the dealer)."""

    model = Inspection
    form_class = ScheduleForm
    title = _("Schedule an inspection")

    def get_initial(self):
        initial = super().get_initial()
        dealer = self.request.GET.get("dealer", "")
        if dealer.isdigit() and scope(self.request.user, Dealer).filter(pk=dealer).exists():
            initial["dealer"] = int(dealer)
        return initial

    def save(self, form) -> Inspection:
        data = form.cleaned_data
        return inspection_schedule(
            user=self.request.user, dealer=data["dealer"], template=data["template"], due_on=data["due_on"]
        )

    def get_success_message(self, record: Inspection) -> str:
        return gettext("The inspection of %(dealer)s is scheduled, due on %(due)s.") % {
            "dealer": record.dealer.name,
            "due": record.due_on.isoformat(),
        }


class InspectionDetailView(ScopedDetailView):
    """An inspection: for its inspector, while scheduled, the check-in and the checklist to
    fill (draft or submit); afterwards its score, items, photos and follow-ups."""

    model = Inspection
    template_name = "channels/inspections/inspection_detail.html"
    context_object_name = "inspection"

    def base_queryset(self):
        return inspection_rows().select_related("scheduled_by", "submitted_by", "dealer__region")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        inspection, user = self.object, self.request.user
        rows = inspection_items(user, inspection)
        fillable = can_write(user, Inspection) and inspection.status == InspectionStatus.SCHEDULED
        form = kwargs.get("fill_form")
        if fillable and form is None:
            form = FillForm(inspection=inspection, saved={row.item.pk: row.result for row in rows if row.result})
        context.update(
            rows=rows,
            fillable=fillable,
            fill_form=form,
            fill_rows=[(row, *form.fields_of(row.item)) for row in rows] if fillable else [],
            check_in_form=kwargs.get("check_in_form"),
            on_site_km=ON_SITE_KM,
            far=inspection.check_in_distance_km is not None and inspection.check_in_distance_km > ON_SITE_KM,
        )
        return context

    def post(self, request, *args, **kwargs):
        self.object = self.get_object()  # 404 outside the scope
        if not can_write(request.user, Inspection):
            raise PermissionDenied
        if refusal := upload_too_large(request):
            messages.error(request, refusal)
            return redirect(self.object)
        action = request.POST.get("action", "")
        if action not in ("save", "submit", "check_in"):
            messages.error(request, gettext("Choose what to do: check in, save a draft or submit."))
            return redirect(self.object)
        form = FillForm(request.POST, request.FILES, inspection=self.object)
        check_in = CheckInForm(request.POST) if action == "check_in" else None
        if not form.is_valid() or (check_in is not None and not check_in.is_valid()):
            return self._render_errors(form, check_in)
        try:
            # The answers typed before the check-in are kept: the check-in saves them as a draft.
            inspection_fill(
                inspection_id=self.object.pk, user=request.user, answers=form.answers(), submit=action == "submit"
            )
            if check_in is not None:
                data = check_in.cleaned_data
                inspection_check_in(
                    inspection_id=self.object.pk,
                    user=request.user,
                    latitude=data["latitude"],
                    longitude=data["longitude"],
                    accuracy_m=data["accuracy"],
                )
        except ValidationError as error:
            form.add_service_errors(error)
            return self._render_errors(form, check_in)
        self.object = self.get_object()
        messages.success(request, self._done_message(action))
        return redirect(self.object)

    def _done_message(self, action: str) -> str:
        inspection = self.object
        if action == "check_in":
            return gettext("Checked in at %(time)s, %(km)s km from the dealer.") % {
                "time": timezone.localtime(inspection.checked_in_at).strftime("%H:%M"),
                "km": format_number(inspection.check_in_distance_km),
            }
        if action == "save":
            return gettext("The draft is saved.")
        return gettext("The inspection is submitted: score %(score)s, %(failed)s item(s) failed.") % {
            "score": format_number(inspection.score),
            "failed": inspection.failed_items,
        }

    def _render_errors(self, form, check_in):
        self.object = self.get_object()  # as it is now (a second submit finds it submitted)
        if check_in is not None:
            for field, errors in check_in.errors.items():
                for error in errors:
                    form.add_error(
                        None, f"{check_in.fields[field].label}: {error}" if field in check_in.fields else error
                    )
        if self.object.status != InspectionStatus.SCHEDULED:
            # Nothing to fill any more: its errors (a second submit) are shown above the results.
            for error in form.errors.values():
                for message in error:
                    messages.error(self.request, message)
            form = None
        context = self.get_context_data(object=self.object, fill_form=form)
        return self.render_to_response(context, status=400)


class FollowUpListView(InspectionPagesMixin, ScopedListView):
    model = FollowUp
    filterset_class = FollowUpFilterSet
    template_name = "channels/inspections/inspection_list.html"
    title = _("Follow-ups")
    default_ordering = "deadline"
    columns = [
        Column(_("Deadline"), "deadline", order="deadline", link=True, badge=("is_overdue", _("Overdue"))),
        Column(_("Dealer"), "dealer.name", link="dealer", export=("dealer__name",)),
        Column(_("Item"), "result.item.text", export=("result__item__text",)),
        Column(_("Checklist"), "inspection.template.title", export=("inspection__template__title",)),
        Column(_("Status"), "status", kind="choice"),
        Column(_("Corrected at"), "closed_at"),
        Column(_("Accepted at"), "accepted_at"),
    ]

    def base_queryset(self):
        return follow_up_rows()


class FollowUpDetailView(ScopedDetailView):
    """A follow-up: the failed item and what was found, the deadline, its history; the dealer
    corrects it here (note and photo), the manager accepts or reopens it."""

    model = FollowUp
    template_name = "channels/inspections/follow_up_detail.html"
    context_object_name = "follow_up"

    def base_queryset(self):
        return follow_up_rows().select_related("inspection__dealer", "result__photo", "closing_photo")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        follow_up, user = self.object, self.request.user
        role = role_of(user)
        can_correct = role in (Role.DEALER_USER, Role.HEAD_OFFICE) and follow_up.status == FollowUpStatus.OPEN
        can_review = (
            role in (Role.REGIONAL_MANAGER, Role.HEAD_OFFICE) and follow_up.status == FollowUpStatus.AWAITING_REVIEW
        )
        days = follow_up.inspection.template.follow_up_days
        context.update(
            events=scope(user, FollowUpEvent).filter(follow_up=follow_up).select_related("by", "photo"),
            correct_form=(kwargs.get("correct_form") or CorrectForm()) if can_correct else None,
            review_form=(kwargs.get("review_form") or ReviewForm(follow_up_days=days)) if can_review else None,
        )
        return context

    def post(self, request, *args, **kwargs):
        self.object = self.get_object()  # 404 outside the scope
        if not can_write(request.user, FollowUp):
            raise PermissionDenied
        if refusal := upload_too_large(request):
            messages.error(request, refusal)
            return redirect(self.object)
        action = request.POST.get("action", "")
        if action == "correct":
            form = CorrectForm(request.POST, request.FILES)
            context_name = "correct_form"
        elif action == "review":
            form = ReviewForm(request.POST, follow_up_days=self.object.inspection.template.follow_up_days)
            context_name = "review_form"
        else:
            messages.error(request, gettext("Choose what to do: correct or review."))
            return redirect(self.object)
        if form.is_valid():
            data = form.cleaned_data
            try:
                if action == "correct":
                    follow_up_correct(
                        follow_up_id=self.object.pk, user=request.user, note=data["note"], photo=data["photo"]
                    )
                    message = gettext("The correction is sent for review.")
                else:
                    follow_up_review(
                        follow_up_id=self.object.pk,
                        user=request.user,
                        decision=data["decision"],
                        note=data["note"],
                        deadline=data["deadline"],
                    )
                    message = gettext("The review is recorded.")
            except ValidationError as error:
                form.add_service_errors(error)
            else:
                messages.success(request, message)
                return redirect(self.object)
        self.object = self.get_object()
        return self.render_to_response(self.get_context_data(object=self.object, **{context_name: form}), status=400)


class EvidencePhotoView(ScopedMixin, View):
    """A photo, to whoever may see its dealer's inspections: another dealer's is not found.
    Sent with the type its bytes were found to be, never sniffed, never run."""

    model = EvidencePhoto

    def get(self, request, pk: int):
        photo = get_object_or_404(self.get_queryset(), pk=pk)
        path = photo_path(photo.stored_as)
        if not path.is_file():
            raise Http404
        response = FileResponse(path.open("rb"), content_type=photo.content_type)
        extension = photo.stored_as.rsplit(".", 1)[-1]
        response["Content-Disposition"] = f'inline; filename="photo-{photo.pk}.{extension}"'
        response["X-Content-Type-Options"] = "nosniff"
        response["Content-Security-Policy"] = "default-src 'none'; sandbox"
        response["Cache-Control"] = "private, max-age=3600"
        return response


class ChecklistTemplateListView(InspectionPagesMixin, ScopedListView):
    model = ChecklistTemplate
    filterset_class = ChecklistTemplateFilterSet
    template_name = "channels/inspections/inspection_list.html"
    title = _("Checklists")
    create_url_name = "channels:inspection-template-create"
    create_label = _("New checklist version")
    columns = [
        Column(_("Checklist"), "kind", kind="choice"),
        Column(_("Title"), "title", link=True),
        Column(_("Version"), "version", kind="number"),
        Column(_("Days to correct"), "follow_up_days", kind="number"),
        Column(_("Pass mark"), "pass_mark", kind="number"),
        Column(_("What changed"), "note"),
        Column(_("Created at"), "created_at"),
    ]

    def get(self, request, *args, **kwargs):
        checklist_templates_in_force()  # a network without checklists gets the default SOPs
        return super().get(request, *args, **kwargs)


class ChecklistTemplateDetailView(ScopedDetailView):
    model = ChecklistTemplate
    template_name = "channels/inspections/template_detail.html"
    context_object_name = "template"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        template = self.object
        versions = scope(self.request.user, ChecklistTemplate).filter(kind=template.kind).order_by("-version")
        context.update(
            items=template.items.order_by("position"),
            versions=versions,
            in_force=versions.first() == template,
            can_publish=can_write(self.request.user, ChecklistTemplate),
            inspections=scope(self.request.user, Inspection).filter(template=template).count(),
        )
        return context


class ChecklistTemplateCreateView(EntryView):
    """Head office publishes a new version of a checklist, from ``?from=<version>`` or afresh."""

    model = ChecklistTemplate
    form_class = TemplateForm
    template_name = "channels/inspections/template_form.html"
    title = _("New checklist version")

    def source(self) -> ChecklistTemplate | None:
        chosen = self.request.GET.get("from", "")
        if not chosen.isdigit():
            return None
        return scope(self.request.user, ChecklistTemplate).filter(pk=chosen).first()

    def get_initial(self):
        source = self.source()
        if source is None:
            return super().get_initial()
        return {
            "kind": source.kind,
            "title": source.title,
            "follow_up_days": source.follow_up_days,
            "pass_mark": source.pass_mark,
        }

    def get_formset(self):
        if self.request.method == "POST":
            return ItemFormSet(self.request.POST, prefix="items")
        source = self.source()
        initial = (
            [{"text": i.text, "criterion": i.criterion, "weight": i.weight} for i in source.items.order_by("position")]
            if source is not None
            else []
        )
        return ItemFormSet(prefix="items", initial=initial)

    def get_context_data(self, **kwargs):
        kwargs.setdefault("formset", self.get_formset())
        return super().get_context_data(**kwargs)

    def post(self, request, *args, **kwargs):
        form, formset = self.get_form(), self.get_formset()
        if not (form.is_valid() and formset.is_valid()):
            return self.render_to_response(self.get_context_data(form=form, formset=formset), status=400)
        kept, specs = item_specs(formset)
        data = form.cleaned_data
        try:
            template = checklist_template_publish(
                kind=data["kind"],
                title=data["title"],
                follow_up_days=data["follow_up_days"],
                pass_mark=data["pass_mark"],
                items=specs,
                note=data["note"],
                created_by=request.user,
            )
        except ValidationError as error:
            for key, errors in error.message_dict.items():
                parts = key.split("-")
                if len(parts) == 3 and parts[0] == "items" and parts[1].isdigit() and int(parts[1]) < len(kept):
                    formset.forms[kept[int(parts[1])]].add_error(parts[2], errors)
                else:
                    form.add_field_errors(key, [ValidationError(errors)])
            return self.render_to_response(self.get_context_data(form=form, formset=formset), status=400)
        messages.success(
            request,
            gettext("Version %(version)s of “%(title)s” is published.")
            % {
                "version": template.version,
                "title": template.title,
            },
        )
        return redirect(template)


def dealer_inspection_context(request, dealer: Dealer) -> dict:
    """What the dealer page adds about its inspections (nothing for a role that sees none)."""
    summary = dealer_inspections(request.user, dealer)
    return {"inspections": summary, "can_schedule": summary is not None and can_write(request.user, Inspection)}
