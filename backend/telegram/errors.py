"""Domain errors of the Telegram link, in the one hierarchy of ``backend.core.errors``."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from backend.core.errors import Conflict, DomainError


class InvalidLinkCode(DomainError):
    code = "invalid_link_code"
    default_detail = _("This link code is not valid, was already used or has expired.")
    status = 400


class ChatAlreadyLinked(Conflict):
    code = "chat_already_linked"
    default_detail = _(
        "This Telegram chat already belongs to another Inzet account. "
        "Delete that account's data first (/settings)."
    )
