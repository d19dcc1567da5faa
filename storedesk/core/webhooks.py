"""Signed outbound HTTP calls to URLs that admins configure (webhooks).

The body is signed with HMAC-SHA256 over ``"<timestamp>.<body>"`` (header
``X-Storedesk-Signature: t=<unix>,v1=<hex>``), so receivers can verify it and reject replays.
Destinations that resolve to private, loopback or link-local addresses are refused unless
``WEBHOOK_ALLOW_PRIVATE_ADDRESSES`` is set, and redirects are never followed (SSRF).
"""

import hashlib
import hmac
import ipaddress
import json
import socket
import time
from urllib.parse import urlsplit

import httpx
from django.conf import settings


class WebhookError(Exception):
    def __init__(self, reason: str, *, permanent: bool = False):
        super().__init__(reason)
        self.reason = reason
        self.permanent = permanent


def sign(secret: str, timestamp: int, body: bytes) -> str:
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={mac.hexdigest()}"


def _check_destination(url: str) -> None:
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise WebhookError(f"Unsupported webhook URL {url!r}.", permanent=True)
    if settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES:
        return
    try:
        infos = socket.getaddrinfo(parts.hostname, parts.port or 443, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise WebhookError(f"Cannot resolve {parts.hostname}: {exc}") from exc
    for info in infos:
        address = ipaddress.ip_address(info[4][0])
        if not address.is_global:
            raise WebhookError(
                f"{parts.hostname} resolves to a non-public address; refused.", permanent=True
            )


def post_signed(url: str, secret: str, payload: dict, *, timeout: float = 10.0) -> httpx.Response:
    """POST ``payload`` as JSON to ``url``, signed with ``secret``. Raises :class:`WebhookError`
    on refusal, network failure or a non-2xx answer (4xx other than 408/429 is permanent)."""
    _check_destination(url)
    body = json.dumps(payload, separators=(",", ":"), sort_keys=True).encode()
    headers = {
        "Content-Type": "application/json",
        "User-Agent": f"storedesk/{settings.VERSION}",
        "X-Storedesk-Signature": sign(secret, int(time.time()), body),
    }
    try:
        response = httpx.post(
            url, content=body, headers=headers, timeout=timeout, follow_redirects=False
        )
    except httpx.HTTPError as exc:
        raise WebhookError(f"Webhook request failed: {exc}") from exc
    if response.is_success:
        return response
    permanent = 400 <= response.status_code < 500 and response.status_code not in {408, 429}
    raise WebhookError(f"Webhook answered HTTP {response.status_code}.", permanent=permanent)
