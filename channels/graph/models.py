"""The dealer graph's tables: each run of the graph job as it was computed (the ties, the
clusters, every outlet's centrality and next month's risk) and the evaluation of the risk
model on its time-based hold-out, so the pages read stored figures.

Imported by ``channels.models``: they are the channels app's models."""

from decimal import Decimal

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from channels.models import Dealer, Rating, Region
from channels.planning.models import PlanningRun
from dealerops.formats import format_number, format_signed, rounded

PROBABILITY = {"max_digits": 5, "decimal_places": 4, "validators": [MinValueValidator(0), MaxValueValidator(1)]}
AUC = {"max_digits": 5, "decimal_places": 4, "null": True, "blank": True}


class TieKind(models.TextChoices):
    """What links two outlets. Stock transfers between dealers are the next kind, once the
    transfers are recorded (they are not yet: no tie of that kind exists)."""

    PARENT = "parent", _("Parent and secondary dealer")
    OVERLAP = "overlap", _("Overlapping trade areas")


class GraphRun(models.Model):
    """One computation of the dealer graph: its ties (parent–secondary, and the overlapping
    pairs of the plan run named), clusters and centrality, with the risk model's evaluation.
    Its rows are written in the run's transaction: a run is there whole or not at all."""

    job_run = models.OneToOneField("dealerops.JobRun", verbose_name=_("job run"), on_delete=models.CASCADE)
    plan_run = models.ForeignKey(
        PlanningRun,
        verbose_name=_("plan run of the overlaps"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    as_of = models.DateField(_("as of"))
    outlets = models.PositiveIntegerField(_("outlets"), default=0)
    parent_ties = models.PositiveIntegerField(_("parent–secondary ties"), default=0)
    overlap_ties = models.PositiveIntegerField(_("trade-area overlap ties"), default=0)
    tied_outlets = models.PositiveIntegerField(_("outlets with a tie"), default=0)
    clusters = models.PositiveIntegerField(_("clusters"), default=0)
    modularity = models.FloatField(_("modularity"), null=True, blank=True)
    # None: exact betweenness; otherwise the number of source outlets it was estimated from.
    betweenness_sources = models.PositiveIntegerField(_("betweenness sampled from"), null=True, blank=True)
    computed_at = models.DateTimeField(_("computed at"))

    class Meta:
        ordering = ["-computed_at", "-id"]
        verbose_name = _("dealer graph run")
        verbose_name_plural = _("dealer graph runs")

    def __str__(self) -> str:
        return f"#{self.pk} {self.as_of}"

    @property
    def ties(self) -> int:
        return self.parent_ties + self.overlap_ties


class GraphCluster(models.Model):
    """A community of tied outlets (greedy modularity on the weighted graph), numbered from
    the largest; an outlet with no tie is in none. ``region`` is its outlets' region when they
    share one; a cluster across a region border has none and is head office's."""

    run = models.ForeignKey(GraphRun, verbose_name=_("run"), on_delete=models.CASCADE, related_name="cluster_rows")
    number = models.PositiveIntegerField(_("cluster"))
    region = models.ForeignKey(
        Region, verbose_name=_("region"), null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    hub = models.ForeignKey(Dealer, verbose_name=_("hub outlet"), on_delete=models.CASCADE, related_name="+")
    outlets = models.PositiveIntegerField(_("outlets"))
    ties = models.PositiveIntegerField(_("ties inside"))
    regions = models.PositiveSmallIntegerField(_("regions"))
    composite = models.DecimalField(_("mean composite"), max_digits=5, decimal_places=2, null=True, blank=True)
    rated_d = models.PositiveIntegerField(_("outlets rated D"))
    risk = models.DecimalField(_("mean risk of D next month"), null=True, blank=True, **PROBABILITY)

    class Meta:
        ordering = ["number"]
        verbose_name = _("outlet cluster")
        verbose_name_plural = _("outlet clusters")
        constraints = [
            models.UniqueConstraint(fields=["run", "number"], name="graph_cluster_number_unique_per_run"),
            models.CheckConstraint(
                name="graph_cluster_has_two_outlets",
                condition=Q(outlets__gte=2),
                violation_error_message=_("A cluster holds at least two outlets."),
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.number}"


class GraphNode(models.Model):
    """An outlet in a run: its cluster, its centrality on the weighted graph, its latest
    complete month's score and the model's risk of its being rated D next month."""

    run = models.ForeignKey(GraphRun, verbose_name=_("run"), on_delete=models.CASCADE, related_name="nodes")
    dealer = models.ForeignKey(Dealer, verbose_name=_("dealer"), on_delete=models.CASCADE, related_name="+")
    cluster = models.ForeignKey(
        GraphCluster, verbose_name=_("cluster"), null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    ties = models.PositiveIntegerField(_("tied outlets"))
    strength = models.DecimalField(
        _("tie strength"),
        max_digits=8,
        decimal_places=3,
        help_text=_("Its ties' weights summed: 1 a parent tie, the larger shared share an overlap."),
    )
    # Betweenness, not normalised: a count a reader can check on a small cluster (the hub of a
    # parent with four secondaries links their 6 pairs).
    betweenness = models.DecimalField(
        _("pairs linked through it"),
        max_digits=12,
        decimal_places=1,
        help_text=_(
            "Pairs of other outlets whose shortest tie path runs through it (betweenness; estimated from a "
            "sample of outlets on a large network)."
        ),
    )
    composite = models.DecimalField(_("composite"), max_digits=5, decimal_places=2, null=True, blank=True)
    rating = models.CharField(_("rating"), max_length=1, choices=Rating.choices, blank=True)
    neighbours_rated_d = models.DecimalField(
        _("neighbours rated D"),
        null=True,
        blank=True,
        help_text=_("Tie-weighted share of its scored neighbours rated D in the month."),
        **PROBABILITY,
    )
    risk = models.DecimalField(
        _("risk of D next month"),
        null=True,
        blank=True,
        help_text=_("From the model that did better on the hold-out."),
        **PROBABILITY,
    )
    risk_without_graph = models.DecimalField(_("risk, own history"), null=True, blank=True, **PROBABILITY)
    risk_with_graph = models.DecimalField(_("risk, with the graph"), null=True, blank=True, **PROBABILITY)

    class Meta:
        ordering = [F("risk").desc(nulls_last=True), "dealer_id"]
        verbose_name = _("outlet in the graph")
        verbose_name_plural = _("outlets in the graph")
        constraints = [models.UniqueConstraint(fields=["run", "dealer"], name="graph_node_one_per_run_dealer")]
        indexes = [models.Index(fields=["run", "betweenness"])]

    def __str__(self) -> str:
        return f"{self.dealer_id} · {self.run_id}"


class GraphTie(models.Model):
    """A tie of a run between two outlets (``first`` the lower key). ``region`` is the two's
    region when they share one; a tie across a region border has none and is head office's."""

    run = models.ForeignKey(GraphRun, verbose_name=_("run"), on_delete=models.CASCADE, related_name="tie_rows")
    kind = models.CharField(_("tie"), max_length=16, choices=TieKind.choices)
    region = models.ForeignKey(
        Region, verbose_name=_("region"), null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    first = models.ForeignKey(Dealer, verbose_name=_("outlet"), on_delete=models.CASCADE, related_name="+")
    second = models.ForeignKey(Dealer, verbose_name=_("other outlet"), on_delete=models.CASCADE, related_name="+")
    weight = models.DecimalField(_("weight"), max_digits=5, decimal_places=4)

    class Meta:
        ordering = ["run", "kind", "first", "second"]
        verbose_name = _("dealer tie")
        verbose_name_plural = _("dealer ties")
        constraints = [
            models.UniqueConstraint(fields=["run", "kind", "first", "second"], name="graph_tie_one_per_run_kind_pair"),
            models.CheckConstraint(
                name="graph_tie_first_is_lower",
                condition=Q(first__lt=F("second")),
                violation_error_message=_("A tie names its outlets in key order."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.first_id} – {self.second_id}"


class RiskOutcome(models.TextChoices):
    EVALUATED = "evaluated", _("Evaluated")
    FEW_MONTHS = "few_months", _("Not enough scored months")
    ONE_CLASS = "one_class", _("No D rating to learn from")


class RiskEvaluation(models.Model):
    """The risk model of a run judged on its time-based hold-out: trained on the label months
    up to ``train_to``, tested on ``test_from``..``test_to`` (months it never saw), with and
    without the graph, beside the persistence baseline (rated D now, rated D next month).
    ``difference_low``..``difference_high`` is the 95 % interval of the graph's AUC gain from a
    bootstrap over dealers. ``coefficients`` are those of both models refitted on every month,
    per standard deviation of each feature."""

    run = models.OneToOneField(GraphRun, verbose_name=_("run"), on_delete=models.CASCADE, related_name="evaluation")
    outcome = models.CharField(_("outcome"), max_length=16, choices=RiskOutcome.choices)
    months = models.PositiveIntegerField(_("complete months scored"))
    train_from = models.DateField(_("trained from"), null=True, blank=True)
    train_to = models.DateField(_("trained to"), null=True, blank=True)
    test_from = models.DateField(_("tested from"), null=True, blank=True)
    test_to = models.DateField(_("tested to"), null=True, blank=True)
    train_rows = models.PositiveIntegerField(_("training dealer-months"), default=0)
    train_positives = models.PositiveIntegerField(_("of them rated D the next month"), default=0)
    test_rows = models.PositiveIntegerField(_("hold-out dealer-months"), default=0)
    test_positives = models.PositiveIntegerField(_("of them rated D the next month"), default=0)
    auc_with_graph = models.DecimalField(_("AUC with the graph"), **AUC)
    auc_without_graph = models.DecimalField(_("AUC, own history only"), **AUC)
    auc_persistence = models.DecimalField(_("AUC, persistence baseline"), **AUC)
    difference_low = models.DecimalField(_("gain, interval from"), **AUC)
    difference_high = models.DecimalField(_("gain, interval to"), **AUC)
    uses_graph = models.BooleanField(_("risk from the model with the graph"), default=False)
    predicted_month = models.DateField(_("month predicted"), null=True, blank=True)
    coefficients = models.JSONField(_("coefficients"), default=dict)

    class Meta:
        verbose_name = _("risk model evaluation")
        verbose_name_plural = _("risk model evaluations")
        constraints = [
            models.CheckConstraint(
                name="risk_evaluation_trained_before_tested",
                condition=Q(train_to__isnull=True) | Q(train_to__lt=F("test_from")),
                violation_error_message=_("The model is trained on months before those it is tested on."),
            ),
            models.CheckConstraint(
                name="risk_evaluation_evaluated_has_aucs",
                condition=~Q(outcome="evaluated")
                | Q(auc_with_graph__isnull=False, auc_without_graph__isnull=False, auc_persistence__isnull=False),
                violation_error_message=_("An evaluated model has its three AUCs."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.run_id} · {self.get_outcome_display()}"

    @property
    def evaluated(self) -> bool:
        return self.outcome == RiskOutcome.EVALUATED

    @property
    def gain(self) -> Decimal | None:
        """AUC with the graph − without, of the AUCs as the pages write them (three decimals),
        so the figures the reader sees add up."""
        if self.auc_with_graph is None or self.auc_without_graph is None:
            return None
        return rounded(self.auc_with_graph, 3) - rounded(self.auc_without_graph, 3)

    @property
    def train_base_rate(self) -> Decimal | None:
        return Decimal(self.train_positives) / self.train_rows if self.train_rows else None

    @property
    def test_base_rate(self) -> Decimal | None:
        return Decimal(self.test_positives) / self.test_rows if self.test_rows else None

    @property
    def best_model_auc(self) -> Decimal | None:
        return self.auc_with_graph if self.uses_graph else self.auc_without_graph

    @property
    def verdict(self) -> str:
        """What the graph adds, in words and the reader's language."""
        if not self.evaluated:
            return ""
        figures = {
            "gain": format_signed(self.gain, 3),
            "low": format_signed(self.difference_low, 3),
            "high": format_signed(self.difference_high, 3),
            "with": format_number(self.auc_with_graph, 3),
            "without": format_number(self.auc_without_graph, 3),
        }
        if self.uses_graph:
            return (
                gettext(
                    "The graph adds %(gain)s AUC on this hold-out (%(with)s with it against %(without)s without; "
                    "95 %% interval %(low)s to %(high)s): the neighbours' health tells something the dealer's own "
                    "history does not."
                )
                % figures
            )
        if self.difference_low is None:
            return (
                gettext(
                    "The graph adds nothing shown on this hold-out: AUC %(with)s with it against %(without)s without "
                    "(%(gain)s), too few rated D to tell a difference."
                )
                % figures
            )
        return (
            gettext(
                "The graph adds nothing on this hold-out: AUC %(with)s with it against %(without)s without "
                "(%(gain)s; 95 %% interval %(low)s to %(high)s, which includes zero). Next month's risk comes "
                "from the model without the graph."
            )
            % figures
        )

    @property
    def baseline_verdict(self) -> str:
        """Whether the model the risk comes from beats the persistence baseline."""
        if not self.evaluated:
            return ""
        best, baseline = self.best_model_auc, self.auc_persistence
        figures = {"model": format_number(best, 3), "baseline": format_number(baseline, 3)}
        if best > baseline:
            return (
                gettext(
                    "The model beats the persistence baseline (rated D now, rated D next month): AUC %(model)s "
                    "against %(baseline)s."
                )
                % figures
            )
        return (
            gettext(
                "The model does not beat the persistence baseline (rated D now, rated D next month): AUC %(model)s "
                "against %(baseline)s; read its risk as no better than this month's rating."
            )
            % figures
        )
