"""The cockpit's Django forms, one module per area (see backend/board/views/)."""

from __future__ import annotations

from collections.abc import Mapping

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS

from backend.core.errors import DomainError


def show_domain_error(
    form: forms.Form,
    error: DomainError,
    *,
    service_fields: Mapping[str, str] | None = None,
    code_fields: Mapping[str, str] | None = None,
) -> None:
    """A service's refusal on ``form``: field errors next to their field (or at the top when
    the form has no such field), anything else at the top.

    ``service_fields`` maps a service's field name to the form's field that stands for it;
    ``code_fields`` maps the code of an error that names no field to the field it is about
    (a capacity below the confirmed count goes next to the capacity)."""
    service_fields = service_fields or {}
    code_fields = code_fields or {}
    if not error.fields:
        about = code_fields.get(error.code)
        form.add_error(about if about in form.fields else NON_FIELD_ERRORS, str(error.detail))
        return
    for name, messages in error.fields.items():
        target = service_fields.get(name, name)
        for message in messages:
            form.add_error(target if target in form.fields else NON_FIELD_ERRORS, message)
