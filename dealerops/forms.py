from django import forms
from django.utils.translation import gettext_lazy as _

from dealerops.schedules import NIGHTLY_JOBS
from dealerops.validation import today


class RunJobForm(forms.Form):
    job = forms.ChoiceField(label=_("Job"), choices=[(job.name, job.label) for job in NIGHTLY_JOBS])
    as_of = forms.DateField(label=_("As of"), widget=forms.DateInput(attrs={"type": "date"}), initial=today)

    def clean_as_of(self):
        as_of = self.cleaned_data["as_of"]
        if as_of > today():
            raise forms.ValidationError(_("A job cannot run for a future date."))
        return as_of

    def task_name(self) -> str:
        return next(job.task for job in NIGHTLY_JOBS if job.name == self.cleaned_data["job"])
