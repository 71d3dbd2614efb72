"""The view behind every dealer entry form: role check, form, one service call, field errors."""

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Model
from django.shortcuts import redirect
from django.views.generic import FormView

from dealerops.access import can_write


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
