"""Forms of the import pages: the upload, and the column mapping of a checked file."""

from django import forms
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils.translation import gettext_lazy as _

from datahub.kinds import SPECS
from datahub.models import NETWORK_KINDS, ColumnMapping, HeldUpload, ImportBatch, ImportKind, SourceKind
from datahub.services import held_upload_find, importable_kinds
from dealerops.access import scope
from dealerops.entry_forms import DealerEntryForm

SYSTEM_NAMES_LIST = "system-names"  # id of the <datalist> of saved mappings' system names
HELD_FIELD = "held"  # the token of a file kept from a refused submit (datahub.models.HeldUpload)


class ImportUploadForm(DealerEntryForm):
    """A file for one dealer (a dealer user's own, fixed; head office picks any), or head
    office's file of the whole network (city markets), for no dealer."""

    kind = forms.ChoiceField(
        label=_("What the file holds"),
        choices=ImportKind.choices,
        error_messages={"invalid_choice": _("You cannot import this kind of file.")},
    )
    source = forms.ChoiceField(label=_("Source"), choices=SourceKind.choices)
    system_name = forms.CharField(
        label=_("Source system"),
        max_length=64,
        help_text=_("The system the file was exported from (e.g. DMS 9); its saved column mapping is applied."),
        widget=forms.TextInput(attrs={"list": SYSTEM_NAMES_LIST, "autocomplete": "off"}),
    )
    file = forms.FileField(
        label=_("File"),
        help_text=_("CSV (UTF-8 or GBK) or XLSX, with a header row."),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.xlsx,text/csv"}),
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, user=user, **kwargs)
        # The kinds the user may import (another kind lands when its spec does).
        kinds = importable_kinds(user)
        self.fields["kind"].choices = [(value, label) for value, label in ImportKind.choices if value in kinds]
        if "dealer" in self.fields and set(kinds) & set(NETWORK_KINDS):
            self.fields["dealer"].help_text = _("None for a file of the whole network (city markets).")
            if self.is_bound and self.data.get("kind") in NETWORK_KINDS:
                self.fields["dealer"].required = False
        # A file kept from the last refused submit stands in for the file until another is chosen.
        token = self.data.get(HELD_FIELD, "") if self.is_bound else ""
        self.held: HeldUpload | None = held_upload_find(user=user, token=token) if token else None
        if self.held is not None:
            self.initial["file"] = SimpleUploadedFile(self.held.file_name, bytes(self.held.content))

    def chosen_dealer(self):
        """The file's dealer: None for a file of the whole network."""
        return None if self.cleaned_data["kind"] in NETWORK_KINDS else super().chosen_dealer()

    def system_names(self) -> list[str]:
        """The saved mappings' system names the user may see, offered in a datalist."""
        mappings = scope(self.user, ColumnMapping).order_by("system_name")
        return list(mappings.values_list("system_name", flat=True).distinct())

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > settings.IMPORT_MAX_BYTES:
            raise forms.ValidationError(
                _("The file is %(size)s KB; imports up to %(limit)s KB are accepted.")
                % {"size": upload.size // 1024, "limit": settings.IMPORT_MAX_BYTES // 1024}
            )
        return upload


class ImportReplaceForm(forms.Form):
    """A corrected file for an import already checked: it replaces the file, same mapping."""

    file = forms.FileField(
        label=_("Corrected file"),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.xlsx,text/csv"}),
    )


class ColumnMappingForm(forms.Form):
    """One select per field of the batch's kind; the options are the file's own headers."""

    def __init__(self, *args, batch: ImportBatch, **kwargs):
        super().__init__(*args, **kwargs)
        # Bounded whatever the batch holds (files stored before the upload limits existed).
        headers = batch.file_headers[: settings.UPLOAD_MAX_COLUMNS]
        choices = [("", "—"), *((header, header) for header in headers)]
        for field in SPECS[batch.kind].fields:
            self.fields[field.name] = forms.ChoiceField(
                label=field.label,
                choices=choices,
                required=field.required,
                initial=batch.columns.get(field.name, ""),
            )

    def columns(self) -> dict[str, str]:
        return {name: header for name, header in self.cleaned_data.items() if header}
