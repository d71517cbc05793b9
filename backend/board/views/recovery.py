"""The pages that links in e-mails open: choosing a new password, confirming a new address;
and the log-in page's "Forgot your password?" form. The rules are the services'
(``backend.accounts.recovery``); the limits those of the API."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.contrib.auth import views as auth_views
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse_lazy
from django.utils.translation import gettext_lazy as _

from backend.accounts.guesses import account_key
from backend.accounts.recovery import email_change_confirm, password_reset_request
from backend.board.views.auth import client_address
from backend.core.errors import DomainError, InvalidLink, TooManyRequests
from backend.core.rate_limits import limit_require


class PasswordResetForm(forms.Form):
    email = forms.EmailField(label=_("E-mail address"), max_length=254)


def _site(request: HttpRequest) -> str:
    return settings.PUBLIC_URL or request.build_absolute_uri("/").rstrip("/")


def password_reset(request: HttpRequest) -> HttpResponse:
    template = "board/recovery/reset_request.html"
    if request.method != "POST":
        return render(request, template, {"form": PasswordResetForm()})
    form = PasswordResetForm(request.POST)
    if not form.is_valid():
        return render(request, template, {"form": form}, status=400)
    email = form.cleaned_data["email"]
    try:
        limit_require("password_reset_address", client_address(request))
        limit_require("password_reset_account", account_key(email))
    except TooManyRequests as error:
        form.add_error(None, str(error.detail))
        response = render(request, template, {"form": form}, status=429)
        response["Retry-After"] = str(error.retry_after or 1)
        return response
    password_reset_request(email=email, site=_site(request))
    return render(request, template, {"sent": True, "email": email})


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    """Django's page for a reset link (it checks the token and keeps it out of the address
    bar); the new password goes through the validators, and setting it ends every session."""

    template_name = "board/recovery/reset_confirm.html"
    success_url = reverse_lazy("password_reset_done")


def password_reset_done(request: HttpRequest) -> HttpResponse:
    return render(request, "board/recovery/reset_done.html")


def email_confirm(request: HttpRequest, value: str) -> HttpResponse:
    """GET shows what will change and a button (mail scanners follow links; only the person
    presses the button); POST confirms."""
    template = "board/recovery/email_confirm.html"
    if request.method != "POST":
        return render(request, template, {"value": value})
    try:
        user = email_change_confirm(value=value)
    except InvalidLink as error:
        return render(request, template, {"error": error.detail}, status=400)
    except DomainError as error:
        return render(request, template, {"error": error.detail}, status=error.status)
    context: dict[str, Any] = {"done": True, "email": user.email}
    return render(request, template, context)
