"""Reads of data quality for the pages, over querysets the caller has already scoped
(``dealerops.access.scope``)."""

from contextlib import suppress
from dataclasses import dataclass
from datetime import date

from django.apps import apps
from django.db.models import Count, QuerySet
from django.urls import NoReverseMatch

from datahub.models import DataIssue, DataQualityAlert, DataQualityScore, QualityRule
from dealerops.access import can_view, can_write, scope


def latest_month(scores: QuerySet[DataQualityScore], *, today: date) -> date | None:
    """The month a page shows by default: the newest complete month with scores in ``scores``
    (the month in progress has only its first days checked), or the month in progress when
    it is the only one. One query."""
    months = scores.order_by("-month").values_list("month", flat=True).distinct()[:2]
    months = list(months)
    complete = [month for month in months if month < today.replace(day=1)]
    return complete[0] if complete else (months[0] if months else None)


def open_alerts(alerts: QuerySet[DataQualityAlert], limit: int = 20) -> QuerySet[DataQualityAlert]:
    """Alerts not yet acknowledged, newest first."""
    return alerts.filter(acknowledged_at__isnull=True).select_related("dealer").order_by("-created_at", "-id")[:limit]


def issue_counts(issues: QuerySet[DataIssue]) -> list[dict]:
    """Issues per dimension and rule, with the rule's label. One query."""
    rows = issues.order_by().values("dimension", "rule").annotate(count=Count("id")).order_by("dimension", "rule")
    return [{**row, "label": QualityRule(row["rule"]).label} for row in rows]


@dataclass(frozen=True)
class IssueLine:
    issue: DataIssue
    label: str  # "sale #123"
    url: str | None  # the record's page, when it still exists, the user may see it and it has one


def issue_lines(user, issues: list[DataIssue]) -> list[IssueLine]:
    """``issues`` (one page) with a link to each record: one query per record type on the page."""
    ids_by_type: dict[str, set[int]] = {}
    for issue in issues:
        ids_by_type.setdefault(issue.record_type, set()).add(issue.record_id)
    urls: dict[tuple[str, int], str] = {}
    for label, ids in ids_by_type.items():
        model = apps.get_model(label)
        if not hasattr(model, "get_absolute_url"):
            continue
        for record in scope(user, model).filter(pk__in=ids):
            with suppress(NoReverseMatch):  # a page not installed (yet)
                urls[(label, record.pk)] = record.get_absolute_url()
    return [
        IssueLine(
            issue,
            f"{_verbose_name(issue.record_type)} #{issue.record_id}",
            urls.get((issue.record_type, issue.record_id)),
        )
        for issue in issues
    ]


def _verbose_name(label: str) -> str:
    try:
        return str(apps.get_model(label)._meta.verbose_name)
    except LookupError:
        return label


def alerts_context(user, alerts: QuerySet[DataQualityAlert] | None = None) -> dict:
    """The open-alerts panel of a page: the alerts of ``user``'s scope (of ``alerts``, default
    all) for the roles that may see alerts, and whether the user may acknowledge them."""
    if not can_view(user, DataQualityAlert):
        return {"quality_alerts": None}
    alerts = scope(user, alerts if alerts is not None else DataQualityAlert.objects.all())
    return {"quality_alerts": list(open_alerts(alerts)), "can_acknowledge": can_write(user, DataQualityAlert)}
