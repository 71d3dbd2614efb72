from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from dealerops.access import scope
from finance.models import Lender


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

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > settings.LENDER_STATEMENT_MAX_BYTES:
            raise forms.ValidationError(
                _("The file is %(size)s KB; statements up to %(limit)s KB are accepted.")
                % {"size": upload.size // 1024, "limit": settings.LENDER_STATEMENT_MAX_BYTES // 1024}
            )
        return upload
