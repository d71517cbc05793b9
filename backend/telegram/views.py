"""HTTP entry points: Telegram's webhook, and the API that hands out link codes."""

from __future__ import annotations

import hmac
import json
import logging
from typing import TypeGuard

from channels.db import database_sync_to_async
from django.conf import settings
from django.db.models import BigIntegerField
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, HttpResponseForbidden
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from backend.telegram.services import LINK_CODE_LIFETIME, deep_link, link_code_create, update_seen

logger = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


@csrf_exempt
@require_POST
async def webhook(request: HttpRequest) -> HttpResponse:
    """Telegram posts updates here. Only with our secret; each ``update_id`` has one effect."""
    secret = settings.TELEGRAM_WEBHOOK_SECRET
    given = request.headers.get(SECRET_HEADER, "")
    # No secret configured means webhook mode is off: refuse everything.
    if not secret or not hmac.compare_digest(given.encode(), secret.encode()):
        return HttpResponseForbidden()
    if not settings.TELEGRAM_BOT_TOKEN:
        logger.error("webhook called but TELEGRAM_BOT_TOKEN is not set: the bot is off")
        return HttpResponse(status=503)
    try:
        data = json.loads(request.body)
    except (ValueError, RecursionError):  # not JSON; nested past the recursion limit
        return HttpResponseBadRequest()
    update_id = data.get("update_id") if isinstance(data, dict) else None
    if not _valid_update_id(update_id):
        return HttpResponseBadRequest()
    # Taken before processing: a re-delivery while the first is still running is skipped too.
    # If processing then fails the update is lost rather than done twice (the volunteer can
    # press the button again; a double claim or cancel would be worse).
    if await database_sync_to_async(update_seen, thread_sensitive=False)(update_id=update_id):
        logger.info("update %s already processed, ignoring re-delivery", update_id)
        return HttpResponse(status=200)
    # The bot's one door for backend/ (bots/webhook.py; tests/test_layering.py allows only
    # this). Imported on first use: web processes in polling mode never load the bot.
    from bots import webhook as bot_webhook

    await bot_webhook.process(data)
    return HttpResponse(status=200)


def _valid_update_id(update_id: object) -> TypeGuard[int]:
    """Telegram's update ids are positive integers; ours are stored in a bigint column, so a
    larger one (or 1e999, or "7") is no update of Telegram's."""
    return (
        isinstance(update_id, int)
        and not isinstance(update_id, bool)
        and 0 <= update_id <= BigIntegerField.MAX_BIGINT
    )


class TelegramLinkView(APIView):
    """A one-time code to link a Telegram chat to the signed-in account."""

    @extend_schema(
        request=None,
        responses={
            201: inline_serializer(
                "TelegramLinkCode",
                {
                    "code": serializers.CharField(),
                    "expires_at": serializers.DateTimeField(),
                    "command": serializers.CharField(),
                    "deep_link_payload": serializers.CharField(),
                    "bot_username": serializers.CharField(
                        allow_null=True, help_text="null while the server has none configured"
                    ),
                    "deep_link": serializers.URLField(
                        allow_null=True,
                        help_text="https://t.me/<bot>?start=link-CODE; null without a username",
                    ),
                },
            )
        },
        description=(
            "Send `/link CODE` to the bot (or open the deep link `t.me/<bot>?start=link-CODE`). "
            f"The code works once and expires after {LINK_CODE_LIFETIME.seconds // 60} minutes."
        ),
    )
    def post(self, request: Request) -> Response:
        link = link_code_create(user=request.user)  # type: ignore[arg-type]
        return Response(
            {
                "code": link.code,
                "expires_at": link.expires_at.isoformat(),
                "command": f"/link {link.code}",
                "deep_link_payload": f"link-{link.code}",
                "bot_username": settings.TELEGRAM_BOT_USERNAME or None,
                "deep_link": deep_link(f"link-{link.code}"),
            },
            status=status.HTTP_201_CREATED,
        )
