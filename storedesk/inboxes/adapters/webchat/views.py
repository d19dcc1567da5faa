"""The widget's HTTP side: the loader script, the chat frame, uploads, the offline form and
the visitor's file downloads. The conversation itself runs over the websocket."""

from __future__ import annotations

import json
import secrets
from pathlib import Path

from django.conf import settings
from django.contrib.staticfiles import finders
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from storedesk.conversations.views import attachment_response
from storedesk.core.api import error_body
from storedesk.core.errors import DomainError
from storedesk.core.ratelimit import rate_allow
from storedesk.helpcenter.selectors import suggest_path
from storedesk.inboxes.adapters import adapter_for
from storedesk.inboxes.adapters.webchat import service

OFFLINE_PER_IP_PER_HOUR = 10
UPLOADS_PER_VISITOR_PER_MINUTE = 6
PRECHAT_FIELDS = {
    "name": ("text", "name"),
    "email": ("email", "email"),
    "order_number": ("text", "off"),
}


def _inbox_or_404(public_token: str):
    inbox = service.chat_inbox(public_token)
    if inbox is None:
        raise Http404
    return inbox


def _error(status: int, message: str, field: str | None = None, code: str = "invalid"):
    return JsonResponse(error_body(code, message, field), status=status)


def _locale(store, requested: str) -> str:
    """The widget's language: the page's or browser's when storedesk speaks it, else the
    store's default."""
    for candidate in (requested, requested.split("-")[0], store.default_locale):
        code = translation.get_supported_language_variant(candidate) if candidate else None
        if code:
            return code
    return settings.LANGUAGE_CODE


@require_GET
def widget_script(request):
    """``/widget.js``: the loader shops embed (same for every inbox; cached briefly)."""
    path = finders.find("storedesk/widget.js")
    response = HttpResponse(Path(path).read_bytes(), content_type="text/javascript")
    response["Cache-Control"] = "public, max-age=300"
    response["X-Content-Type-Options"] = "nosniff"
    return response


PRECHAT_LABELS = {
    "name": lambda: _("Name"),
    "email": lambda: _("Email"),
    "order_number": lambda: _("Order number"),
}


@require_GET
@xframe_options_exempt
def chat_frame(request, public_token: str):
    """The chat window the loader places on the shop's page, embeddable only by the
    inbox's allowed origins (and storedesk's own pages)."""
    inbox = _inbox_or_404(public_token)
    config = adapter_for(inbox).config
    locale = _locale(inbox.store, request.GET.get("lang", "")[:16])
    translation.activate(locale)
    scheme = "wss" if request.is_secure() else "ws"
    nonce = secrets.token_urlsafe(16)
    strings = {
        "open": _("Open the chat"),
        "open_unread": _("Open the chat (%s unread)"),
        "sending": _("Sending…"),
        "online": _("We are online"),
        "away": _("We are away"),
        "typing": _("%s is typing…"),
        "too_long": _("The message is too long."),
        "file_too_big": _("The file is too large."),
        "write_first": _("Write a message first, then attach files."),
        "upload_failed": _("The file could not be sent."),
        "offline_retry": _("No connection. Trying again…"),
        "failed": _("Something went wrong. Please try again."),
        "unavailable": _("The chat is not available."),
        "assistant": _("Assistant"),
        "yes": _("Yes"),
        "no": _("No"),
        "thanks_feedback": _("Thanks for telling us."),
        "open_article": _("Open the article"),
    }
    context = {
        "store": inbox.store,
        "locale": locale,
        "nonce": nonce,
        "colour": config.colour or inbox.store.brand_color,
        "max_length": service.MAX_TEXT,
        "prechat_fields": [
            {
                "name": name,
                "label": PRECHAT_LABELS[name](),
                "type": PRECHAT_FIELDS[name][0],
                "autocomplete": PRECHAT_FIELDS[name][1],
                "required": name in config.prechat_required,
            }
            for name in config.prechat_fields
        ],
        "config": {
            "inbox": inbox.public_token,
            "locale": locale,
            "ws_url": f"{scheme}://{request.get_host()}/ws/chat/{inbox.public_token}/",
            "upload_url": reverse("chat-upload", args=[inbox.public_token]),
            "offline_url": reverse("chat-offline", args=[inbox.public_token]),
            "max_length": service.MAX_TEXT,
            "max_upload_bytes": config.max_upload_bytes,
            "prechat": {"fields": config.prechat_fields, "required": config.prechat_required},
            "strings": strings,
            # Help-center articles suggested while the visitor types a first question.
            "suggest_url": suggest_path(inbox.store),
        },
    }
    response = render(request, "web/chat/frame.html", context)
    ancestors = " ".join(["'self'", *config.allowed_origins])
    response["Content-Security-Policy"] = (
        f"default-src 'none'; script-src 'self'; style-src 'self' 'nonce-{nonce}'; "
        f"img-src 'self' data:; connect-src 'self' {scheme}://{request.get_host()}; "
        f"form-action 'none'; base-uri 'none'; frame-ancestors {ancestors}"
    )
    response["Referrer-Policy"] = "no-referrer"
    return response


def _visitor(request, inbox):
    return service.visitor_authenticate(
        inbox=inbox, token=request.headers.get("X-Visitor-Token", "")
    )


@csrf_exempt  # authenticated by the visitor token header, which a cross-site form cannot send
@require_POST
def chat_upload(request, public_token: str):
    inbox = _inbox_or_404(public_token)
    visitor = _visitor(request, inbox)
    if visitor is None:
        return _error(401, _("Start the chat first."), code="unauthenticated")
    upload = request.FILES.get("file")
    if upload is None:
        return _error(422, _("Choose a file."), field="file")
    if not rate_allow(f"chat-upload:{visitor.pk}", limit=UPLOADS_PER_VISITOR_PER_MINUTE, window=60):
        return _error(429, _("Too many files. Wait a moment."), code="rate_limited")
    config = adapter_for(inbox).config
    try:
        message, _new = service.visitor_upload(
            visitor=visitor,
            upload=upload,
            client_key=request.POST.get("client_key", "")[:64],
            max_bytes=config.max_upload_bytes,
        )
    except DomainError as exc:
        return _error(exc.status_code, exc.message, field=exc.field, code=exc.code)
    item = service.chat_item(message)
    service.publish(
        service.visitor_group(visitor.pk),
        {"event": "message", "item": item, "client_key": request.POST.get("client_key", "")},
    )
    return JsonResponse({"item": item}, status=201)


@csrf_exempt  # a public form with no session; limited per address instead
@require_POST
def chat_offline(request, public_token: str):
    inbox = _inbox_or_404(public_token)
    ip = request.META.get("REMOTE_ADDR")
    try:
        fields = json.loads(request.body or b"{}")
    except ValueError:
        return _error(400, _("Not valid JSON."))
    if not isinstance(fields, dict):
        return _error(400, _("Not valid JSON."))
    if not rate_allow(f"chat-offline:{ip}", limit=OFFLINE_PER_IP_PER_HOUR, window=3600):
        return _error(429, _("Too many messages. Try again later."), code="rate_limited")
    try:
        message = service.offline_question(inbox=inbox, fields=fields)
    except DomainError as exc:
        return _error(exc.status_code, exc.message, field=exc.field, code=exc.code)
    return JsonResponse({"ok": True, "conversation_id": message.conversation_id}, status=201)


@require_GET
def chat_file(request, public_token: str, file_token: str):
    """A file of the visitor's conversation, by the signed URL the widget was given."""
    inbox = _inbox_or_404(public_token)
    attachment = service.file_from_token(inbox, file_token)
    if attachment is None:
        raise Http404
    return attachment_response(attachment, inline=True, cache="private, max-age=3600")


@require_GET
def demo_shop(request):
    """``/demo-shop/``: a small shop page with the widget embedded (the first chat inbox)."""
    from storedesk.inboxes.models import Inbox

    inbox = (
        Inbox.objects.select_related("store")
        .filter(kind="webchat", is_active=True)
        .order_by("id")
        .first()
    )
    if inbox is None:
        raise Http404
    return render(request, "web/chat/demo_shop.html", {"inbox": inbox, "store": inbox.store})
