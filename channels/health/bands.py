"""Rating bands: the versions head office sets, the SQL that rates a month's dealers with them,
and re-rating open months when head office asks.

A month's dealers are rated when the month is computed (``services.UPSERT_SCORES``), with
the bands in force then, and the month records which version rated it. A new version changes
nothing by itself: months computed from then on use it, and head office may re-rate the open
months already computed (``health_months_rerate``). *A closed (final) month is never
re-rated*: it keeps the ratings and probation flags it was closed with, and the database's
triggers refuse any write to its scores.

Ratings are shares of the peer group: within each dealer kind, nationwide, the dealers with a
composite are ranked best first and rated by the middle of their place (see ``RATING``).
"""

from datetime import date
from decimal import Decimal

from dateutil.relativedelta import relativedelta
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from channels.models import DEFAULT_SHARES, LEGACY_FLOORS, SHARE_FIELDS, HealthMonth, RatingBands, RatingMethod
from dealerops.jobs import task_start, tracked_run
from dealerops.models import JobRun, User

RERATE_JOB = "channels.rerate_health"
RERATE_TASK = "channels.tasks.rerate_health"

# Over rows with ``kind`` and ``composite``: each dealer's place among its peers (same kind,
# with a composite), best first: ``better`` peers have a higher composite, ``ties`` share its
# composite (itself included), out of ``peers``.
PLACES = """
  rank() OVER (PARTITION BY kind ORDER BY composite DESC NULLS LAST) - 1 AS better,
  count(*) OVER (PARTITION BY kind, composite) AS ties,
  count(composite) OVER (PARTITION BY kind) AS peers
"""

# A dealer is rated by the middle of its place: 100 x (better + ties / 2) / peers percent of
# its peers stand above it, compared with the bands' cumulative shares (``upto_a`` = A's share,
# ``upto_b`` = A's and B's, ``upto_c`` = A's to C's), in exact arithmetic. So tied dealers
# share a rating whatever order they are read in, and each band's count is its cumulative share
# of the peers rounded half up (20 peers at 15/35/35/15 %: 3 A, 7 B, 7 C, 3 D). No composite:
# unrated.
RATING = """
CASE WHEN composite IS NULL THEN ''
     WHEN 50 * (2 * better + ties) <= peers * %(upto_a)s THEN 'A'
     WHEN 50 * (2 * better + ties) <= peers * %(upto_b)s THEN 'B'
     WHEN 50 * (2 * better + ties) <= peers * %(upto_c)s THEN 'C'
     ELSE 'D' END
"""

# Over rated rows ``r`` (``dealer_id``, ``rating``): the dealer's rating of the previous month,
# under the newest weights version up to this one; probation is D now and then.
PREVIOUS_RATING = """
LEFT JOIN LATERAL (
  SELECT p.rating FROM channels_healthscore p JOIN channels_healthweights pw ON pw.id = p.weights_id
  WHERE p.dealer_id = r.dealer_id AND p.month = %(previous_month)s AND pw.version <= %(version)s
  ORDER BY pw.version DESC LIMIT 1
) previous ON true
"""
PROBATION = "(r.rating = 'D' AND COALESCE(previous.rating = 'D', false))"

# One stored month (``month``, ``weights``) re-rated with the bands ``bands`` from its stored
# composites; only the rows whose rating, probation or bands change are written.
RERATE = f"""
WITH scores AS (
  SELECT id, dealer_id, dealer_kind AS kind, composite FROM channels_healthscore
  WHERE month = %(month)s AND weights_id = %(weights)s
),
rated AS (
  SELECT placed.*, {RATING} AS rating FROM (SELECT scores.*, {PLACES} FROM scores) placed
),
judged AS (SELECT r.id, r.rating, {PROBATION} AS probation FROM rated r {PREVIOUS_RATING})
UPDATE channels_healthscore h SET rating = j.rating, probation = j.probation, rating_bands_id = %(bands)s
FROM judged j
WHERE h.id = j.id AND (h.rating, h.probation, h.rating_bands_id) IS DISTINCT FROM (j.rating, j.probation, %(bands)s)
"""  # noqa: S608 - only the constant fragments above are interpolated; values are parameters

# A later open month of a re-rated one keeps its ratings; its probation flags follow the
# re-rated month before it.
REFLAG = f"""
WITH judged AS (
  SELECT r.id, {PROBATION} AS probation
  FROM (SELECT id, dealer_id, rating FROM channels_healthscore WHERE month = %(month)s AND weights_id = %(weights)s) r
  {PREVIOUS_RATING}
)
UPDATE channels_healthscore h SET probation = j.probation FROM judged j
WHERE h.id = j.id AND h.probation IS DISTINCT FROM j.probation
"""  # noqa: S608 - only the constant fragments above are interpolated; values are parameters


def rating_params(bands: RatingBands) -> dict[str, Decimal | int]:
    """The parameters of ``RATING`` (and the bands' id, ``bands``)."""
    if bands.method != RatingMethod.SHARES:
        # Only version 1 has floors, and a later version is always in force (see the model).
        raise ValidationError(_("Only rating bands by shares of the peer group can rate a month."))
    upto_a, upto_b, upto_c = bands.cumulative_shares()
    return {"bands": bands.pk, "upto_a": upto_a, "upto_b": upto_b, "upto_c": upto_c}


def rating_bands_in_force() -> RatingBands:
    """The newest bands version. The migration creates version 1 (the legacy floors) and 2 (the
    default shares); a database emptied since (a test's flush) gets them back the same way."""
    bands = RatingBands.objects.order_by("-version").first()
    if bands is None:
        RatingBands.objects.get_or_create(version=1, defaults={"method": RatingMethod.FLOORS, **LEGACY_FLOORS})
        bands, _created = RatingBands.objects.get_or_create(
            version=2, defaults={"method": RatingMethod.SHARES, **DEFAULT_SHARES}
        )
    return bands


@transaction.atomic
def rating_bands_create(*, shares: dict[str, Decimal], created_by: User | None, note: str = "") -> RatingBands:
    """A new bands version of four shares (``a_share`` … ``d_share``, percent, adding up to 100).
    Months computed from now on are rated with it; open months already computed only when
    head office re-rates them; closed months never."""
    missing = [name for name in SHARE_FIELDS if shares.get(name) is None]
    if missing:
        raise ValidationError({name: _("Give this band's share of the peer group.") for name in missing})
    unknown = set(shares) - set(SHARE_FIELDS)
    if unknown:
        raise ValidationError({name: _("Not a rating band.") for name in sorted(unknown)})
    errors = {name: _("A share lies between 0 and 100 %.") for name in SHARE_FIELDS if not 0 <= shares[name] <= 100}
    errors |= {
        name: _("A share has at most two decimals.")
        for name in SHARE_FIELDS
        if name not in errors and shares[name] != shares[name].quantize(Decimal("0.01"))
    }
    if errors:
        raise ValidationError(errors)
    total = sum(shares[name] for name in SHARE_FIELDS)
    if total != 100:
        raise ValidationError(
            _("The shares of A, B, C and D add up to %(total)s %%; they must add up to 100 %%.")
            % {"total": f"{total.normalize():f}"}
        )
    version = RatingBands.objects.select_for_update().aggregate(top=Max("version"))["top"] or 0
    record = RatingBands(version=version + 1, method=RatingMethod.SHARES, note=note, created_by=created_by, **shares)
    record.full_clean()
    record.save()
    return record


def health_rerate_start(*, months: list[date], started_by: User) -> None:
    """Start re-rating ``months`` (open months with scores) with the bands in force, in the
    background once the caller's transaction commits."""
    if not months:
        raise ValidationError({"months": _("Choose at least one open month.")})
    open_months = set(HealthMonth.objects.filter(final=False).values_list("month", flat=True))
    refused = sorted(month for month in months if month not in open_months)
    if refused:
        raise ValidationError(
            {
                "months": _(
                    "%(months)s: not an open month with scores (a closed month keeps the ratings it was closed with)."
                )
                % {"months": ", ".join(f"{month:%Y-%m}" for month in refused)}
            }
        )
    kwargs = {"months": [month.isoformat() for month in sorted(set(months))], "started_by_id": started_by.pk}
    task_start(RERATE_TASK, kwargs)


def health_months_rerate(*, months: list[date], started_by_id: int | None = None) -> JobRun:
    """Re-rate the open ``months`` with the bands in force, in one transaction; the JobRun
    counts the scores written (0 on a second run: re-rating is idempotent). Closed months are
    skipped: they keep the ratings they were closed with."""
    chosen = sorted(set(months))
    with tracked_run(
        RERATE_JOB, period=", ".join(f"{month:%Y-%m}" for month in chosen), started_by_id=started_by_id
    ) as run:
        run.rows = _months_rerate(chosen) if chosen else 0
    return run


@transaction.atomic
def _months_rerate(months: list[date]) -> int:
    bands = rating_bands_in_force()
    # The open months from the first chosen one on, oldest first (one computation of a month at
    # a time, as ``services._month_compute`` takes them): the chosen ones are re-rated, the
    # later ones get their probation flags from the re-rated month before them.
    states = list(
        HealthMonth.objects.select_for_update(of=("self",))
        .filter(month__gte=months[0], final=False)
        .select_related("weights")
        .order_by("month", "weights__version")
    )
    written = 0
    now = timezone.now()
    with connection.cursor() as cursor:
        for state in states:
            params = {
                **rating_params(bands),
                "month": state.month,
                "previous_month": state.month - relativedelta(months=1),
                "weights": state.weights_id,
                "version": state.weights.version,
            }
            rerated = state.month in months
            cursor.execute(RERATE if rerated else REFLAG, params)
            changed = cursor.rowcount
            if changed or (rerated and state.rating_bands_id != bands.pk):
                if rerated:
                    state.rating_bands = bands
                state.computed_at = now  # the pages' cache follows the month's writes
                state.save(update_fields=["rating_bands", "computed_at"])
            written += changed
    return written
