"""The views behind the entry forms: role check, form, one service call, field errors; and
the same on one record (its edit form), looked up in the user's scope first."""

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Model
from django.shortcuts import redirect
from django.views.generic import FormView
from django.views.generic.detail import SingleObjectMixin

from dealerops.access import can_write, scope


class EntryView(LoginRequiredMixin, FormView):
    """Subclasses set ``model``, ``form_class``, ``success_message`` and implement ``save``."""

    model: type[Model]
    template_name = "includes/entry_form.html"
    title = ""
    success_message = ""

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not can_write(request.user, self.model):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "user": self.request.user}

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), "title": self.title}

    def form_valid(self, form):
        try:
            with transaction.atomic():
                record = self.save(form)
        except ValidationError as error:
            form.add_service_errors(error)
            return self.form_invalid(form)
        messages.success(self.request, self.get_success_message(record))
        return redirect(record.get_absolute_url())

    def get_success_message(self, record: Model) -> str:
        return self.success_message


class RecordEntryView(SingleObjectMixin, EntryView):
    """An entry form on one record (``<pk>/edit/``). The record is looked up in the user's scope
    before the role is checked: one outside the scope answers 404 whatever the role, as its
    page does, and only then a role that may read but not write it answers 403. Subclasses
    receive the record as ``self.object``."""

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated:
            self.object = self.get_object()  # 404 outside the scope
        return super().dispatch(request, *args, **kwargs)

    def get_queryset(self):
        return scope(self.request.user, self.model)
