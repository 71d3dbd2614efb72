"""The inspection forms: scheduling, the check-in, the checklist as filled on a phone, a
checklist's new version, and a follow-up's correction and review. They check the input's
shape; the services (``channels.inspections.services``) decide, and their refusals are shown
beside the fields they name."""

from datetime import timedelta
from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from channels.inspections.models import ChecklistKind, ChecklistTemplate, Inspection, Outcome
from channels.inspections.services import Answer, Decision, ItemSpec, answer_field, checklist_templates_in_force
from channels.models import Dealer, DealerStatus
from dealerops.access import scope
from dealerops.entry_forms import DATE_INPUT, PickerInput, ServiceForm, dealer_typed
from dealerops.validation import today

PHOTO_INPUT = forms.FileInput(attrs={"accept": "image/jpeg,image/png,image/webp,image/heic,image/heif"})


class TemplateChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, template: ChecklistTemplate) -> str:
        return f"{template.get_kind_display()} · {template}"


class ScheduleForm(ServiceForm):
    """A regional manager's (or head office's) new inspection; the dealers offered are those of
    the user's regions."""

    dealer = forms.ModelChoiceField(label=_("Dealer"), queryset=Dealer.objects.none())
    template = TemplateChoiceField(label=_("Checklist"), queryset=ChecklistTemplate.objects.none())
    due_on = forms.DateField(label=_("Due on"), widget=DATE_INPUT)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["dealer"].widget = PickerInput("channels:dealer-options", label=str, find=dealer_typed)
        self.fields["dealer"].queryset = scope(user, Dealer).exclude(status=DealerStatus.EXITED)
        in_force = checklist_templates_in_force()
        self.fields["template"].queryset = ChecklistTemplate.objects.filter(pk__in=[t.pk for t in in_force])
        self.fields["template"].help_text = _("The version in force of each checklist.")


class CheckInForm(forms.Form):
    """The position the page's script reads from the browser (``navigator.geolocation``)."""

    latitude = forms.DecimalField(label=_("Latitude"), max_digits=12, decimal_places=8)
    longitude = forms.DecimalField(label=_("Longitude"), max_digits=12, decimal_places=8)
    accuracy = forms.IntegerField(label=_("Accuracy (m)"), min_value=0, required=False)


class FillForm(ServiceForm):
    """The checklist of an inspection: for each item its outcome, a note and a photo, named
    ``item-<id>-outcome`` / ``-note`` / ``-photo`` (the API takes the same names)."""

    def __init__(self, *args, inspection: Inspection, saved: dict | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.items = list(inspection.template.items.order_by("position"))
        saved = saved or {}
        for item in self.items:
            result = saved.get(item.pk)
            self.fields[answer_field(item.pk, "outcome")] = forms.ChoiceField(
                label=item.text,
                choices=Outcome.choices,
                required=False,
                widget=forms.RadioSelect,
                initial=result.outcome if result else "",
            )
            self.fields[answer_field(item.pk, "note")] = forms.CharField(
                label=_("Note"),
                required=False,
                max_length=1000,
                widget=forms.Textarea(attrs={"rows": 2}),
                initial=result.note if result else "",
            )
            self.fields[answer_field(item.pk, "photo")] = forms.FileField(
                label=_("Photo"), required=False, widget=PHOTO_INPUT
            )

    def answers(self) -> dict[int, Answer]:
        data = self.cleaned_data
        return {
            item.pk: Answer(
                outcome=data.get(answer_field(item.pk, "outcome")) or "",
                note=data.get(answer_field(item.pk, "note")) or "",
                photo=data.get(answer_field(item.pk, "photo")) or None,
            )
            for item in self.items
        }

    def fields_of(self, item) -> tuple:
        """The item's outcome, note and photo fields, bound."""
        return tuple(self[answer_field(item.pk, part)] for part in ("outcome", "note", "photo"))


class TemplateForm(ServiceForm):
    """A checklist's new version: its title, deadline and pass mark (its items are a formset)."""

    kind = forms.ChoiceField(label=_("Checklist"), choices=ChecklistKind.choices)
    title = forms.CharField(label=_("Title"), max_length=120)
    follow_up_days = forms.IntegerField(
        label=_("Days to correct"),
        min_value=1,
        max_value=90,
        initial=14,
        help_text=_("A failed item's follow-up is due this many days after the inspection is submitted."),
    )
    pass_mark = forms.DecimalField(
        label=_("Pass mark"), min_value=0, max_value=100, max_digits=5, decimal_places=2, initial=Decimal(80)
    )
    note = forms.CharField(label=_("What changed"), max_length=200, required=False)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)  # the user: EntryView's forms all take one


class ItemForm(forms.Form):
    text = forms.CharField(label=_("Item"), max_length=200)
    criterion = forms.CharField(label=_("Pass criterion"), max_length=300)
    # No initial weight: a row left empty must stay unchanged, to be skipped.
    weight = forms.DecimalField(label=_("Weight"), min_value=Decimal("0.01"), max_digits=5, decimal_places=2)


ItemFormSet = forms.formset_factory(ItemForm, extra=2, can_delete=True, min_num=1, validate_min=True)


def item_specs(formset) -> tuple[list[int], list[ItemSpec]]:
    """The formset's items in order, without the rows left empty or marked for deletion, and
    the index of each one's row (the service's errors name an item by its place in the list)."""
    kept = [
        index for index, form in enumerate(formset.forms) if form.cleaned_data and not form.cleaned_data.get("DELETE")
    ]
    rows = [formset.forms[index].cleaned_data for index in kept]
    return kept, [ItemSpec(text=row["text"], criterion=row["criterion"], weight=row["weight"]) for row in rows]


class CorrectForm(ServiceForm):
    """The dealer's correction of a follow-up: what was done, and a photo that shows it."""

    note = forms.CharField(label=_("What was corrected"), max_length=1000, widget=forms.Textarea(attrs={"rows": 3}))
    photo = forms.FileField(label=_("Photo of the correction"), widget=PHOTO_INPUT)


class ReviewForm(ServiceForm):
    """The manager's review of a correction: accepted, or reopened with why and a new deadline."""

    decision = forms.ChoiceField(
        label=_("Review decision"),
        choices=[(Decision.ACCEPT, _("Accept the correction")), (Decision.REOPEN, _("Reopen: not corrected"))],
        widget=forms.RadioSelect,
    )
    note = forms.CharField(
        label=_("Note"),
        max_length=1000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Required when reopening: say what is still wrong."),
    )
    deadline = forms.DateField(
        label=_("New deadline"), required=False, widget=DATE_INPUT, help_text=_("When reopening.")
    )

    def __init__(self, *args, follow_up_days: int = 14, **kwargs):
        kwargs.setdefault("initial", {}).setdefault("deadline", today() + timedelta(days=follow_up_days))
        super().__init__(*args, **kwargs)
