"""The import pages: list, upload, preview (mapping, rows, errors), confirm and progress.

Thin: every write is one call of ``datahub.services``; every read goes through
``dealerops.access.scope`` (a foreign dealer's import is not in the queryset: 404)."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.http import Http404, JsonResponse
from django.shortcuts import redirect
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from django.views import View
from django.views.generic import FormView
from django.views.generic.detail import SingleObjectMixin

from datahub.dispatch import import_check_start, import_write_start
from datahub.filtersets import ImportBatchFilterSet
from datahub.forms import HELD_FIELD, SYSTEM_NAMES_LIST, ColumnMappingForm, ImportReplaceForm, ImportUploadForm
from datahub.kinds import SPECS, kind_template
from datahub.models import ImportBatch, ImportKind, ImportRow, ImportStatus, RowAction, SourceKind
from datahub.services import (
    column_mapping_save,
    held_upload_keep,
    import_batch_cancel,
    import_batch_confirm,
    import_batch_remap,
    import_batch_replace,
    import_batch_upload,
    import_batches_fail_abandoned,
    import_upload_refusal,
    importable_kinds,
)
from dealerops.access import can_view, can_write, scope
from dealerops.exports import bounded_count, export_format, export_name, neutralise, tabular_response
from dealerops.scoped_views import ScopedDetailView, ScopedListView, ScopedMixin
from dealerops.tables import Column

RUNNING = (ImportStatus.VALIDATING, ImportStatus.IMPORTING)
MAPPABLE = (ImportStatus.READY, ImportStatus.INVALID)


class ImportBatchListView(ScopedListView):
    model = ImportBatch
    filterset_class = ImportBatchFilterSet
    title = _("Imports")
    create_url_name = "datahub:import-create"
    create_label = _("Import a file")
    columns = [
        Column(_("File name"), "file_name", link=True),
        Column(_("Dealer"), "dealer.name", export=("dealer__name",), empty=_("The whole network")),
        Column(_("File kind"), "kind", kind="choice"),
        Column(_("Source system"), "system_name"),
        Column(_("Status"), "status", kind="choice", order="status"),
        Column(_("Rows"), "rows_total", kind="number", order="rows"),
        Column(_("To create"), "rows_create", kind="number"),
        Column(_("To update"), "rows_update", kind="number"),
        Column(_("Unchanged"), "rows_unchanged", kind="number"),
        Column(_("Rows with errors"), "rows_error", kind="number", order="errors"),
        Column(_("Uploaded at"), "created_at", order="uploaded"),
        Column(_("Uploaded by"), "created_by.username", export=("created_by__username",)),
    ]

    def base_queryset(self):
        # The file and its headers are never needed by a list: do not read them from the database.
        return ImportBatch.objects.select_related("dealer", "created_by").defer("content", "file_headers")

    def get(self, request, *args, **kwargs):
        # An import whose worker died is released, not listed "importing" for ever.
        import_batches_fail_abandoned(batches=self.get_queryset())
        return super().get(request, *args, **kwargs)


class ImportUploadView(ScopedMixin, FormView):
    """Upload a file; it is checked (now, or in the background) and its preview opens."""

    model = ImportBatch
    form_class = ImportUploadForm
    template_name = "datahub/import_upload.html"

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not can_write(request.user, ImportBatch):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get(self, request, *args, **kwargs):
        # ?template=<kind>&export=csv|xlsx: an empty file of the kind, headed and with one example row.
        fmt, kind = export_format(request), request.GET.get("template")
        if fmt is None or kind is None:
            return super().get(request, *args, **kwargs)
        if kind not in importable_kinds(request.user):
            raise Http404
        headers, example = kind_template(kind)
        return tabular_response(
            fmt=fmt,
            # Named like every export: "导入模板-销售.csv", "import-template-sales.csv" as the fallback.
            filename=export_name(format_lazy("{} {}", _("Import template"), ImportKind(kind).label)),
            headers=headers,
            rows=[example],
            sheet_title=str(ImportKind(kind).label),
        )

    def post(self, request, *args, **kwargs):
        # Refuse an oversize body before Django spools it to disk.
        if refusal := import_upload_refusal(request):
            return self.render_to_response(self.get_context_data(refusal=refusal), status=413)
        return super().post(request, *args, **kwargs)

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "user": self.request.user}

    def get_initial(self):
        # ?kind=city_markets: the market table's page links here with its kind chosen (a
        # network table comes from a spreadsheet, not a dealer's DMS).
        kind = self.request.GET.get("kind")
        if kind not in importable_kinds(self.request.user):
            return {}
        return {"kind": kind, **({"source": SourceKind.SPREADSHEET} if SPECS[kind].network_model else {})}

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        form = context["form"]
        kinds = importable_kinds(self.request.user)
        context.update(
            system_names_list=SYSTEM_NAMES_LIST,
            held_field=HELD_FIELD,
            held_upload=getattr(form, "held", None),
            # Each kind's columns, from its own field definitions: what the check reads is what is
            # shown; a network kind is marked (its file names no dealer: the dealer field hides).
            kinds=[
                (
                    kind,
                    ImportKind(kind).label,
                    [(field, SPECS[kind].example[field.name]) for field in SPECS[kind].fields],
                    SPECS[kind].network_model is not None,
                )
                for kind in kinds
            ],
            chosen_kind=form["kind"].value() or kinds[0],
        )
        return context

    def form_invalid(self, form):
        # Keep a file that was read: the clerk corrects the other fields without choosing it again.
        upload = form.cleaned_data.get("file") if "file" not in form.errors else None
        if upload is not None and form.held is None:
            upload.seek(0)
            form.held = held_upload_keep(user=self.request.user, file_name=upload.name, content=upload.read())
        return super().form_invalid(form)

    def form_valid(self, form):
        upload = form.cleaned_data["file"]
        upload.seek(0)
        try:
            with transaction.atomic():
                batch = import_batch_upload(
                    user=self.request.user,
                    dealer=form.chosen_dealer(),
                    kind=form.cleaned_data["kind"],
                    source=form.cleaned_data["source"],
                    system_name=form.cleaned_data["system_name"],
                    file_name=upload.name,
                    content=upload.read(),
                )
                import_check_start(batch)
        except ValidationError as error:
            form.add_service_errors(error)
            return self.form_invalid(form)
        return redirect(batch)


class ImportBatchDetailView(ScopedDetailView):
    """The preview: counts, file errors, the column mapping, the rows by action; ``?export=``
    downloads the rows' errors (row, column, message)."""

    model = ImportBatch
    template_name = "datahub/import_detail.html"
    paginate_by = 50

    def base_queryset(self):
        return ImportBatch.objects.select_related("dealer", "created_by", "confirmed_by").defer("content")

    def rows(self):
        return scope(self.request.user, ImportRow).filter(batch=self.object)

    def get(self, request, *args, **kwargs):
        import_batches_fail_abandoned(batches=self.get_queryset().filter(pk=kwargs["pk"]))
        fmt = export_format(request)
        if fmt is None:
            return super().get(request, *args, **kwargs)
        self.object = self.get_object()
        errors = self.rows().filter(action=RowAction.ERROR).order_by("row_number")
        return tabular_response(
            fmt=fmt,
            filename=export_name(_("Import errors"), str(self.object.pk)),
            # The row's own cells beside each error, under the file's headers: fix them there.
            headers=[str(_("Row")), str(_("Column")), str(_("Message")), *self.cell_headers()],
            rows=_error_cells(self.object, errors),
            sheet_title=str(_("Errors")),
            request=request,
            # A row may carry several errors, each an export row: the rows decide, no progress total.
            reads=bounded_count(errors),
        )

    def cell_headers(self) -> list[str]:
        """The file's headers above the rows' cells, for a user who may read the rows."""
        # A header is the dealer's text like any cell: neutralised, as the export does cells.
        return (
            [neutralise(header) for header in self.object.file_headers]
            if can_view(self.request.user, ImportRow)
            else []
        )

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        batch, user = self.object, self.request.user
        action = self.request.GET.get("action")
        if action not in RowAction.values:
            action = ""
        rows = self.rows().order_by("row_number")
        if action:
            rows = rows.filter(action=action)
        page = Paginator(rows, self.paginate_by).get_page(self.request.GET.get("page"))
        query = self.request.GET.copy()
        query.pop("page", None)
        writer = can_write(user, ImportBatch)
        spec = SPECS.get(batch.kind)
        # The fields the file has (by its mapping), in the kind's order: the preview's columns.
        shown = [field for field in spec.fields if field.name in batch.columns] if spec else []
        context.update(
            shown_fields=shown,
            rows_shown=[(row, _shown_cells(batch, shown, row)) for row in page.object_list],
            replace_form=ImportReplaceForm() if writer and batch.status in MAPPABLE else None,
            action=action,
            rows_visible=can_view(user, ImportRow),
            # Rows with a note (a loan move reported for finance's confirmation), said above the
            # table too: on a desktop the notes' column may be scrolled out of sight.
            rows_noted=self.rows().exclude(notes=[]).count() if batch.kind == ImportKind.LOANS else 0,
            actions=[
                (RowAction.CREATE, RowAction.CREATE.label, batch.rows_create),
                (RowAction.UPDATE, RowAction.UPDATE.label, batch.rows_update),
                (RowAction.UNCHANGED, RowAction.UNCHANGED.label, batch.rows_unchanged),
                (RowAction.ERROR, RowAction.ERROR.label, batch.rows_error),
            ],
            page_obj=page,
            is_paginated=page.has_other_pages(),
            paginator=page.paginator,
            query_without_page=query.urlencode(),
            running=batch.status in RUNNING,
            can_write=writer,
            can_confirm=writer and batch.status == ImportStatus.READY,
            can_cancel=writer and batch.status in MAPPABLE,
            # Also after the import: the columns that worked are worth keeping for the next file.
            # A network file's columns are not saved (mappings are a dealer's system's).
            can_save_mapping=writer and batch.status not in RUNNING and bool(batch.columns) and not batch.is_network,
            mapping_form=ColumnMappingForm(batch=batch)
            if writer and spec is not None and batch.status in MAPPABLE and batch.file_headers
            else None,
        )
        return context


def _shown_cells(batch: ImportBatch, fields, row: ImportRow) -> list[tuple]:
    """(field, value, refused) for each shown field of a row: refused when an error names its column."""
    refused = {column for column, _message in row.errors}
    return [(field, row.values.get(field.name, ""), batch.columns.get(field.name) in refused) for field in fields]


def _error_cells(batch: ImportBatch, rows):
    for row_number, errors, cells in rows.values_list("row_number", "errors", "cells").iterator(chunk_size=2000):
        for column, message in errors:
            yield (row_number, column, message, *cells)


class ImportProgressView(ScopedMixin, SingleObjectMixin, View):
    """A small JSON the preview polls while a file is checked or written."""

    model = ImportBatch

    def get_queryset(self):
        return super().get_queryset().defer("content")

    def get(self, request, *args, **kwargs):
        import_batches_fail_abandoned(batches=self.get_queryset().filter(pk=kwargs["pk"]))
        batch = self.get_object()
        return JsonResponse(
            {
                "status": batch.status,
                "status_label": str(batch.get_status_display()),
                "rows_total": batch.rows_total,
                "rows_checked": batch.rows_checked,
                "running": batch.status in RUNNING,
            }
        )


class ImportActionView(ScopedMixin, SingleObjectMixin, View):
    """POST-only action on an import the user may see and write; a service's refusal becomes
    a message on the preview."""

    model = ImportBatch
    http_method_names = ["post"]

    def get_queryset(self):
        return super().get_queryset().select_related("dealer")

    def post(self, request, *args, **kwargs):
        if not can_write(request.user, ImportBatch):
            raise PermissionDenied
        batch = self.get_object()
        try:
            with transaction.atomic():
                self.act(batch)
        except ValidationError as error:
            for message in error.messages:
                messages.error(request, message)
        return redirect(batch)

    def act(self, batch: ImportBatch) -> None:
        """The action's one service call; each subclass names its own."""
        raise NotImplementedError


class ImportRemapView(ImportActionView):
    def act(self, batch):
        form = ColumnMappingForm(self.request.POST, batch=batch)
        if not form.is_valid():
            raise ValidationError(_("Choose a column for every field marked *."))
        import_check_start(import_batch_remap(batch=batch, user=self.request.user, columns=form.columns()))
        messages.success(self.request, _("The file is checked again with these columns."))


class ImportReplaceView(ImportActionView):
    """A corrected file onto the same import: replaces the file, keeps the mapping, checks again."""

    def post(self, request, *args, **kwargs):
        if refusal := import_upload_refusal(request):
            messages.error(request, refusal)
            return redirect(self.get_object())
        return super().post(request, *args, **kwargs)

    def act(self, batch):
        form = ImportReplaceForm(self.request.POST, self.request.FILES)
        if not form.is_valid():
            raise ValidationError(_("Choose the corrected file."))
        upload = form.cleaned_data["file"]
        batch = import_batch_replace(batch=batch, user=self.request.user, file_name=upload.name, content=upload.read())
        import_check_start(batch)
        messages.success(self.request, _("The corrected file is checked with the same columns."))


class ImportMappingSaveView(ImportActionView):
    def act(self, batch):
        mapping = column_mapping_save(batch=batch, user=self.request.user)
        messages.success(
            self.request,
            _("The columns are saved for %(system)s: its next file maps itself.") % {"system": mapping.system_name},
        )


class ImportConfirmView(ImportActionView):
    def act(self, batch):
        batch = import_batch_confirm(batch=batch, user=self.request.user)
        import_write_start(batch)


class ImportCancelView(ImportActionView):
    def act(self, batch):
        import_batch_cancel(batch=batch, user=self.request.user)
        messages.info(self.request, _("The import is cancelled; nothing was written."))
