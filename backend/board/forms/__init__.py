"""The cockpit's Django forms, one module per area (see backend/board/views/)."""

from __future__ import annotations

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS

from backend.core.errors import DomainError


def show_domain_error(form: forms.Form, error: DomainError) -> None:
    """A service's refusal on ``form``: field errors next to their field (or at the top when
    the form has no such field), anything else at the top."""
    if not error.fields:
        form.add_error(None, str(error.detail))
        return
    for name, messages in error.fields.items():
        for message in messages:
            form.add_error(name if name in form.fields else NON_FIELD_ERRORS, message)
