"""Local fakes of the push services, checking the real wire format.

- :class:`FakeWebPush`: a Web Push service (RFC 8030). It checks the VAPID authorisation (RFC
  8292: an ES256 JWT whose audience is the service's origin, with a ``sub`` contact, signed by
  the key in ``k=``) and decrypts the ``aes128gcm`` payload (RFC 8291) with the private key of
  the subscription it handed out, as the browser would.
- :class:`FakeFCM`: Google's OAuth token endpoint (it checks the service account's RS256 JWT
  assertion, signed by the key of the credentials file it wrote) and FCM's HTTP v1
  ``messages:send`` (it checks the bearer token and keeps the message JSON).

Answers can be set per endpoint or token (``answers``), e.g. ``(410, {})`` for a subscription
that has expired or ``(429, {"Retry-After": "30"})``.
"""

from __future__ import annotations

import base64
import json
import os
import secrets
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import http_ece
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from google.auth import jwt as google_jwt


def b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def vapid_private_key_pem() -> tuple[str, bytes]:
    """A VAPID key pair: the private key as PEM (for ``VAPID_PRIVATE_KEY``) and the public key
    as an uncompressed point."""
    key = ec.generate_private_key(ec.SECP256R1())
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    public = key.public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    return pem, public


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    payload: dict[str, Any]
    claims: dict[str, Any]


@dataclass
class _Subscription:
    private_key: ec.EllipticCurvePrivateKey
    auth: bytes


@dataclass
class FakeWebPush:
    base: str
    vapid_public: bytes
    received: list[Received] = field(default_factory=list)
    rejected: list[str] = field(default_factory=list)
    answers: dict[str, tuple[int, dict[str, str]]] = field(default_factory=dict)
    subscriptions: dict[str, _Subscription] = field(default_factory=dict)

    def subscription(self) -> dict[str, Any]:
        """A new subscription as ``PushSubscription.toJSON()`` gives it."""
        key = ec.generate_private_key(ec.SECP256R1())
        auth = secrets.token_bytes(16)
        name = secrets.token_hex(8)
        self.subscriptions[name] = _Subscription(key, auth)
        public = key.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )
        return {
            "endpoint": f"{self.base}/push/{name}",
            "keys": {"p256dh": b64url(public), "auth": b64url(auth)},
        }

    def handle(self, path: str, headers: dict[str, str], body: bytes) -> tuple[int, dict[str, str]]:
        name = path.rsplit("/", 1)[-1]
        subscription = self.subscriptions.get(name)
        if subscription is None:
            return 404, {}
        problem = self._check_vapid(headers)
        if problem:
            self.rejected.append(problem)
            return 401, {}
        if headers.get("content-encoding") != "aes128gcm" or "ttl" not in headers:
            self.rejected.append("not aes128gcm, or no TTL")
            return 400, {}
        answer = self.answers.get(name)
        if answer is not None and answer[0] >= 300:
            return answer
        plain = http_ece.decrypt(
            body,
            private_key=subscription.private_key,
            auth_secret=subscription.auth,
            version="aes128gcm",
        )
        token = headers["authorization"].split("t=", 1)[1].split(",")[0].strip()
        claims = json.loads(unb64url(token.split(".")[1]))
        self.received.append(Received(path, headers, json.loads(plain), claims))
        return 201, {}

    def _check_vapid(self, headers: dict[str, str]) -> str:
        value = headers.get("authorization", "")
        if not value.startswith("vapid "):
            return "no VAPID authorization"
        parts = dict(p.strip().split("=", 1) for p in value[len("vapid ") :].split(","))
        if unb64url(parts.get("k", "")) != self.vapid_public:
            return "k= is not the server's VAPID key"
        header_b64, claims_b64, signature_b64 = parts["t"].split(".")
        header = json.loads(unb64url(header_b64))
        if header.get("alg") != "ES256":
            return "not ES256"
        signature = unb64url(signature_b64)
        der = encode_dss_signature(
            int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big")
        )
        public = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), self.vapid_public)
        try:
            public.verify(der, f"{header_b64}.{claims_b64}".encode(), ec.ECDSA(hashes.SHA256()))
        except Exception:
            return "bad signature"
        claims = json.loads(unb64url(claims_b64))
        origin = self.base
        if claims.get("aud") != origin:
            return f"aud {claims.get('aud')!r} is not {origin!r}"
        if not 0 < claims.get("exp", 0) - time.time() <= 24 * 3600:
            return "exp not within 24 hours"
        if not str(claims.get("sub", "")).startswith(("mailto:", "https:")):
            return "no mailto: or https: sub"
        return ""


@dataclass
class FakeFCM:
    base: str
    credentials_file: Path
    project: str
    client_email: str
    public_pem: str
    messages: list[dict[str, Any]] = field(default_factory=list)
    token_requests: int = 0
    rejected: list[str] = field(default_factory=list)
    answers: dict[str, tuple[int, dict[str, str]]] = field(default_factory=dict)
    access_tokens: set[str] = field(default_factory=set)

    def handle(
        self, path: str, headers: dict[str, str], body: bytes
    ) -> tuple[int, dict[str, str], bytes]:
        if path == "/token":
            return self._token(body)
        if path == f"/v1/projects/{self.project}/messages:send":
            bearer = headers.get("authorization", "").removeprefix("Bearer ")
            if bearer not in self.access_tokens:
                self.rejected.append("unknown bearer token")
                return 401, {}, b"{}"
            message = json.loads(body)["message"]
            answer = self.answers.get(message["token"])
            if answer is not None:
                status, extra = answer
                error = {
                    "error": {
                        "code": status,
                        "status": "UNREGISTERED" if status == 404 else "UNAVAILABLE",
                        "details": [
                            {
                                "@type": "type.googleapis.com/google.firebase.fcm.v1.FcmError",
                                "errorCode": "UNREGISTERED" if status == 404 else "UNAVAILABLE",
                            }
                        ],
                    }
                }
                return status, extra, json.dumps(error).encode()
            self.messages.append(message)
            name = f"projects/{self.project}/messages/{len(self.messages)}"
            return 200, {}, json.dumps({"name": name}).encode()
        return 404, {}, b"{}"

    def _token(self, body: bytes) -> tuple[int, dict[str, str], bytes]:
        form = {k: v[0] for k, v in parse_qs(body.decode()).items()}
        if form.get("grant_type") != "urn:ietf:params:oauth:grant-type:jwt-bearer":
            self.rejected.append("grant_type")
            return 400, {}, b'{"error": "unsupported_grant_type"}'
        try:
            claims = google_jwt.decode(
                form["assertion"],
                certs=self.public_pem,
                # google-auth signs for Google's token endpoint, wherever the file points.
                audience=[f"{self.base}/token", "https://oauth2.googleapis.com/token"],
            )
        except Exception as error:
            self.rejected.append(f"assertion: {error}")
            return 400, {}, b'{"error": "invalid_grant"}'
        if claims.get("iss") != self.client_email or "firebase.messaging" not in claims.get(
            "scope", ""
        ):
            self.rejected.append("iss or scope")
            return 400, {}, b'{"error": "invalid_scope"}'
        self.token_requests += 1
        access = secrets.token_urlsafe(24)
        self.access_tokens.add(access)
        answer = {"access_token": access, "expires_in": 3600, "token_type": "Bearer"}
        return 200, {}, json.dumps(answer).encode()


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        headers = {k.lower(): v for k, v in self.headers.items()}
        path = urlsplit(self.path).path
        fake = self.server.fake
        if isinstance(fake, FakeWebPush):
            status, extra = fake.handle(path, headers, body)
            content = b""
        else:
            status, extra, content = fake.handle(path, headers, body)
        self.send_response(status)
        for key, value in extra.items():
            self.send_header(key, value)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(content)))
        self.end_headers()
        self.wfile.write(content)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    fake: FakeWebPush | FakeFCM


@contextmanager
def _serving(make: Any) -> Iterator[Any]:
    server = _Server(("127.0.0.1", 0), _Handler)
    base = f"http://127.0.0.1:{server.server_address[1]}"
    server.fake = make(base)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.fake
    finally:
        server.shutdown()
        server.server_close()


@contextmanager
def fake_webpush(vapid_public: bytes) -> Iterator[FakeWebPush]:
    with _serving(lambda base: FakeWebPush(base, vapid_public)) as fake:
        yield fake


@contextmanager
def fake_fcm(folder: Path) -> Iterator[FakeFCM]:
    """The fake, and a service-account credentials file for it (``FCM_CREDENTIALS_FILE``)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    public_pem = (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    path = folder / "service-account.json"

    def make(base: str) -> FakeFCM:
        email = "inzet-push@inzet-test.iam.gserviceaccount.com"
        path.write_text(
            json.dumps(
                {
                    "type": "service_account",
                    "project_id": "inzet-test",
                    "private_key_id": secrets.token_hex(8),
                    "private_key": private_pem,
                    "client_email": email,
                    "client_id": "1",
                    "token_uri": f"{base}/token",
                }
            )
        )
        os.chmod(path, 0o600)
        return FakeFCM(base, path, "inzet-test", email, public_pem)

    with _serving(make) as fake:
        yield fake
