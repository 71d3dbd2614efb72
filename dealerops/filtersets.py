import django_filters

from dealerops.models import JobRun
from dealerops.schedules import NIGHTLY_JOBS


class JobRunFilterSet(django_filters.FilterSet):
    job = django_filters.ChoiceFilter(choices=[(job.name, job.label) for job in NIGHTLY_JOBS])

    class Meta:
        model = JobRun
        fields = ["job", "status"]
