"""Push messages to app devices: Web Push (VAPID, RFC 8030/8291/8292, through ``pywebpush``)
and Firebase Cloud Messaging HTTP v1 (the service account's OAuth token through
``google-auth``). The worker calls :func:`push` for a person without Telegram.

Each message carries a TTL that ends at the shift's start (a reminder is never shown after the
shift began) and a collapse key per shift (a newer message about the shift replaces an older
one that was not shown yet). The service's answer decides what happens next: delivered; gone
(404/410, FCM's ``UNREGISTERED``: the device is forgotten); try again later (429, 5xx, a
network error; with the service's Retry-After when it gives one); refused (any other 4xx:
logged, not retried).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import threading
from dataclasses import dataclass
from enum import Enum
from typing import Any

import requests
from django.conf import settings

from backend.notifications.models import Device, DeviceKind

logger = logging.getLogger(__name__)

TIMEOUT_SECONDS = 10
FCM_SCOPE = "https://www.googleapis.com/auth/firebase.messaging"
# FCM keeps a message at most 4 weeks; Web Push services cap the TTL too.
MAX_TTL_SECONDS = 28 * 24 * 3600


class Result(Enum):
    DELIVERED = "delivered"
    GONE = "gone"
    RETRY = "retry"
    REFUSED = "refused"


@dataclass(frozen=True)
class Outcome:
    result: Result
    retry_after: float | None = None
    detail: str = ""


def webpush_enabled() -> bool:
    return bool(settings.VAPID_PRIVATE_KEY)


def fcm_enabled() -> bool:
    return bool(settings.FCM_CREDENTIALS_FILE)


def enabled_kinds() -> list[str]:
    return [
        kind
        for kind, on in ((DeviceKind.WEBPUSH, webpush_enabled()), (DeviceKind.FCM, fcm_enabled()))
        if on
    ]


def ttl_until(starts_at: dt.datetime, now: dt.datetime) -> int:
    """Seconds until the shift starts (0 once it has), at most what services keep."""
    return max(0, min(MAX_TTL_SECONDS, int((starts_at - now).total_seconds())))


_local = threading.local()


def _session() -> requests.Session:
    session = getattr(_local, "session", None)
    if session is None:
        session = _local.session = requests.Session()
    return session


def _retry_after(response: requests.Response) -> float | None:
    value = response.headers.get("Retry-After", "")
    try:
        return max(0.0, float(value))
    except ValueError:
        return None


def _by_status(response: requests.Response, gone: bool) -> Outcome:
    code = response.status_code
    if code < 300:
        return Outcome(Result.DELIVERED)
    if gone:
        return Outcome(Result.GONE, detail=f"{code}")
    if code == 429 or code >= 500:
        return Outcome(Result.RETRY, _retry_after(response), f"{code}")
    return Outcome(Result.REFUSED, detail=f"{code} {response.text[:200]}")


# --- Web Push --------------------------------------------------------------------------------

_vapid_lock = threading.Lock()
_vapid: dict[str, Any] = {}


def vapid() -> Any:
    """The VAPID key (``py_vapid.Vapid``) of ``VAPID_PRIVATE_KEY``: PEM, DER in base64, or the
    raw 32-byte key in base64url."""
    from py_vapid import Vapid

    text = settings.VAPID_PRIVATE_KEY.strip()
    with _vapid_lock:
        if text not in _vapid:
            if text.startswith("-----BEGIN"):
                text_der = "".join(line for line in text.splitlines() if "-----" not in line)
                _vapid[text] = Vapid.from_string(private_key=text_der)
            else:
                _vapid[text] = Vapid.from_string(private_key=text)
        return _vapid[text]


def vapid_public_key() -> str | None:
    """The applicationServerKey an app subscribes with (base64url, uncompressed point)."""
    if not webpush_enabled():
        return None
    import base64

    from cryptography.hazmat.primitives import serialization

    raw = vapid().public_key.public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _webpush(device: Device, payload: dict[str, Any], *, ttl: int, topic: str) -> Outcome:
    from pywebpush import WebPushException, webpush

    try:
        response = webpush(
            subscription_info={
                "endpoint": device.address,
                "keys": {"p256dh": device.p256dh, "auth": device.auth},
            },
            data=json.dumps(payload),
            vapid_private_key=vapid(),
            # A fresh dict each time: pywebpush writes the audience and expiry into it.
            vapid_claims={"sub": settings.VAPID_SUBJECT},
            ttl=ttl,
            headers={"Topic": topic, "Urgency": "high"},
            timeout=TIMEOUT_SECONDS,
            requests_session=_session(),
        )
    except WebPushException as error:
        if error.response is None:
            return Outcome(Result.RETRY, detail=str(error)[:200])
        response = error.response
    except requests.RequestException as error:
        return Outcome(Result.RETRY, detail=type(error).__name__)
    return _by_status(response, gone=response.status_code in (404, 410))


# --- FCM HTTP v1 -----------------------------------------------------------------------------

_fcm_lock = threading.Lock()
_fcm_credentials: Any = None


def _fcm_access() -> tuple[str, str]:
    """The project id and a valid OAuth access token (refreshed by google-auth, shared by the
    worker's threads)."""
    global _fcm_credentials
    import google.auth.transport.requests
    from google.oauth2 import service_account

    with _fcm_lock:
        if _fcm_credentials is None:
            _fcm_credentials = service_account.Credentials.from_service_account_file(
                settings.FCM_CREDENTIALS_FILE, scopes=[FCM_SCOPE]
            )
        if not _fcm_credentials.valid:
            _fcm_credentials.refresh(google.auth.transport.requests.Request(_session()))
        return _fcm_credentials.project_id, _fcm_credentials.token


def fcm_forget_credentials() -> None:
    """Read the credentials file again at the next push (tests; a rotated key)."""
    global _fcm_credentials
    with _fcm_lock:
        _fcm_credentials = None


def _fcm_message(token: str, payload: dict[str, Any], *, ttl: int, topic: str) -> dict[str, Any]:
    data = {key: str(value) for key, value in payload.items() if value is not None}
    expires = int(dt.datetime.now(dt.UTC).timestamp()) + ttl
    return {
        "message": {
            "token": token,
            "notification": {"title": payload["title"], "body": payload["body"]},
            "data": data,
            "android": {"ttl": f"{ttl}s", "collapse_key": topic, "priority": "high"},
            "apns": {
                "headers": {
                    "apns-expiration": str(expires),
                    "apns-collapse-id": topic,
                    "apns-priority": "10",
                }
            },
        }
    }


def _fcm(device: Device, payload: dict[str, Any], *, ttl: int, topic: str) -> Outcome:
    import google.auth.exceptions

    try:
        project, access = _fcm_access()
        response = _session().post(
            f"{settings.FCM_BASE_URL}/v1/projects/{project}/messages:send",
            json=_fcm_message(device.address, payload, ttl=ttl, topic=topic),
            headers={"Authorization": f"Bearer {access}"},
            timeout=TIMEOUT_SECONDS,
        )
    except google.auth.exceptions.GoogleAuthError as error:
        return Outcome(Result.RETRY, detail=f"OAuth: {type(error).__name__}")
    except requests.RequestException as error:
        return Outcome(Result.RETRY, detail=type(error).__name__)
    if response.status_code == 401:  # the token was revoked early: a new one next time
        fcm_forget_credentials()
        return Outcome(Result.RETRY, detail="401")
    codes = {
        detail.get("errorCode")
        for detail in _json(response).get("error", {}).get("details", [])
        if isinstance(detail, dict)
    }
    return _by_status(response, gone=response.status_code == 404 or "UNREGISTERED" in codes)


def _json(response: requests.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def push(device: Device, payload: dict[str, Any], *, ttl: int, topic: str) -> Outcome:
    """Send ``payload`` (``title``, ``body`` and ids) to one device."""
    if device.kind == DeviceKind.WEBPUSH:
        return _webpush(device, payload, ttl=ttl, topic=topic)
    return _fcm(device, payload, ttl=ttl, topic=topic)
