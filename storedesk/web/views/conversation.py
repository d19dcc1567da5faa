"""One conversation: thread, composer, controls and the customer sidebar."""

from __future__ import annotations

import html
import re
import uuid
from datetime import datetime

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_GET, require_POST

from storedesk.accounts.selectors import agent_list, team_list
from storedesk.analytics.issue_selectors import conversation_repeat_links
from storedesk.commerce.selectors import order_list_for_contact
from storedesk.conversations import selectors, services
from storedesk.conversations.enums import ConversationStatus, Priority
from storedesk.conversations.models import Message
from storedesk.conversations.views import inline_image_url
from storedesk.core.errors import DomainError, NotFound
from storedesk.inboxes import review
from storedesk.routing.canned import VARIABLES, canned_context, canned_render
from storedesk.routing.selectors import access_canned_reply, canned_reply_list
from storedesk.web.views.downloads import raw_payload_response

THREAD_LIMIT = 500


def _conversation(request, conversation_id: int):
    try:
        return selectors.access_conversation(actor=request.user, id=conversation_id)
    except NotFound:
        raise Http404 from None


def _timeline(conversation, after_id: int | None = None) -> list[dict]:
    """Messages and activity interleaved by time (activity only on full renders)."""
    messages, _next = selectors.message_list(
        conversation=conversation, after_id=after_id, limit=THREAD_LIMIT
    )
    sources = review.message_sources(m.pk for m in messages if m.kind == "inbound")
    items = [
        {"type": "message", "at": m.created_at, "message": m, "source": sources.get(m.pk)}
        for m in messages
    ]
    if after_id is None:
        items += [
            {"type": "activity", "at": a.created_at, "activity": a}
            for a in selectors.activity_list(conversation=conversation)
            if a.kind != "created"
        ]
        items.sort(key=lambda item: (item["at"], item["type"] == "message"))
    return items


def _controls_context(request, conversation) -> dict:
    return {
        "conversation": conversation,
        "agents": list(agent_list(actor=request.user)),
        "teams": list(team_list()),
        "statuses": ConversationStatus.choices,
        "priorities": Priority.choices,
    }


@login_required
def conversation_page(request, conversation_id: int):
    conversation = _conversation(request, conversation_id)
    timeline = _timeline(conversation)
    last_id = max((i["message"].pk for i in timeline if i["type"] == "message"), default=0)
    context = {
        **_controls_context(request, conversation),
        "nav": "inbox",
        "timeline": timeline,
        "last_message_id": last_id,
        "orders": order_list_for_contact(contact=conversation.contact, limit=10),
        "other_conversations": selectors.contact_conversations(
            actor=request.user, contact_id=conversation.contact_id, exclude_id=conversation.pk
        ),
        "repeat_links": conversation_repeat_links(actor=request.user, conversation=conversation),
        "canned_replies": list(
            canned_reply_list(actor=request.user, store_id=conversation.store_id)
        ),
        "client_key": uuid.uuid4().hex,
        "variables": VARIABLES,
    }
    return render(request, "web/conversation/page.html", context)


@login_required
@require_GET
def conversation_thread(request, conversation_id: int):
    """New thread items after ``after`` (a message id), for live updates."""
    conversation = _conversation(request, conversation_id)
    try:
        after = int(request.GET.get("after", "0"))
    except ValueError:
        after = 0
    timeline = _timeline(conversation, after_id=after)
    return render(
        request,
        "web/conversation/_items.html",
        {"timeline": timeline, "conversation": conversation},
    )


@login_required
@require_POST
def conversation_compose(request, conversation_id: int):
    """Send a reply or add a note; answers with the new thread item."""
    conversation = _conversation(request, conversation_id)
    kind = request.POST.get("kind", "reply")
    text = request.POST.get("text", "")
    client_key = request.POST.get("client_key", "")[:100] or None
    try:
        if kind == "note":
            message = services.note_add(
                conversation=conversation, author=request.user, text=text, client_key=client_key
            )
        else:
            message = services.message_send(
                conversation=conversation, author=request.user, text=text, client_key=client_key
            )
    except DomainError as exc:
        return HttpResponse(exc.message, status=422)
    message = Message.objects.select_related("sender_agent").get(pk=message.pk)
    response = render(
        request,
        "web/conversation/_items.html",
        {
            "timeline": [{"type": "message", "at": message.created_at, "message": message}],
            "conversation": conversation,
        },
    )
    response["HX-Trigger"] = "composer-sent"
    return response


def _parse_datetime(value: str) -> datetime | None:
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return timezone.make_aware(parsed) if timezone.is_naive(parsed) else parsed


@login_required
@require_POST
def conversation_update(request, conversation_id: int):
    """Change one control (assignee, team, status, snooze, priority, tags); answers with the
    refreshed controls panel, or the panel with the error."""
    conversation = _conversation(request, conversation_id)
    field = request.POST.get("field", "")
    value = request.POST.get("value", "")
    error = ""
    try:
        if field == "assignee":
            agent = None
            if value:
                agent = agent_list(actor=request.user).filter(pk=value).first()
                if agent is None:
                    raise NotFound(_("No such agent."))
            services.conversation_assign(
                conversation=conversation, actor=request.user, assignee=agent
            )
        elif field == "team":
            team = team_list().filter(pk=value).first() if value else None
            services.conversation_assign(conversation=conversation, actor=request.user, team=team)
        elif field == "status":
            services.conversation_set_status(
                conversation=conversation,
                status=value,
                actor=request.user,
                snooze_until=_parse_datetime(request.POST.get("snooze_until", "")),
            )
        elif field == "priority":
            services.conversation_set_priority(
                conversation=conversation, actor=request.user, priority=int(value or 1)
            )
        elif field == "tags_add":
            services.conversation_tag(
                conversation=conversation, actor=request.user, add=value.split(",")
            )
        elif field == "tags_remove":
            services.conversation_tag(conversation=conversation, actor=request.user, remove=[value])
        else:
            error = _("Unknown change.")
    except (DomainError, ValueError) as exc:
        error = getattr(exc, "message", str(exc))
    conversation = _conversation(request, conversation_id)
    context = {**_controls_context(request, conversation), "error": error}
    response = render(
        request, "web/conversation/_controls.html", context, status=422 if error else 200
    )
    if not error:
        response["HX-Trigger"] = "conversation-changed"
    return response


@login_required
@require_GET
def canned_reply_text(request, conversation_id: int, reply_id: int):
    """A canned reply rendered for this conversation (variables filled in)."""
    conversation = _conversation(request, conversation_id)
    try:
        reply = access_canned_reply(actor=request.user, id=reply_id)
    except NotFound:
        raise Http404 from None
    if reply.store_id not in (None, conversation.store_id):
        raise Http404
    orders = order_list_for_contact(contact=conversation.contact, limit=1)
    context = canned_context(
        conversation=conversation, agent=request.user, order=orders[0] if orders else None
    )
    try:
        text = canned_render(reply.body, context)
    except DomainError as exc:
        return JsonResponse({"error": exc.message}, status=422)
    return JsonResponse({"text": text})


@login_required
@require_GET
def conversation_assist(request, conversation_id: int):
    """Agent assist for the open conversation: articles answering the customer's latest
    question and reply drafts (similar resolved conversations, canned replies, the best
    article), each one click from the composer."""
    from storedesk.assistant.assist import assistance_for

    conversation = _conversation(request, conversation_id)
    assistance = assistance_for(
        conversation, agent=request.user, base_url=request.build_absolute_uri("/")[:-1]
    )
    base = request.build_absolute_uri("/")[:-1]
    articles = [{"article": a, "url": base + a.path} for a in assistance.articles]
    return render(
        request,
        "web/conversation/_assist.html",
        {"conversation": conversation, "assistance": assistance, "articles": articles},
    )


BODY_CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src {images}; font-src 'none'; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'self'; "
    "sandbox allow-popups allow-popups-to-escape-sandbox"
)


_CID_SRC = re.compile(r'src="cid:([^"]{1,250})"', re.IGNORECASE)


def _with_inline_images(message) -> str:
    """The message's HTML with ``cid:`` references to its own inline images replaced by
    signed URLs (sanitised HTML always quotes attributes with ``"``); unknown ones stay."""
    if "cid:" not in message.html.lower():
        return message.html
    urls = {}
    for attachment in message.attachments.all():
        url = inline_image_url(attachment) if attachment.content_id else None
        if url:
            urls[attachment.content_id.strip("<>").lower()] = url

    def replace(match: re.Match) -> str:
        url = urls.get(html.unescape(match.group(1)).strip("<>").lower())
        return f'src="{url}"' if url else match.group(0)

    return _CID_SRC.sub(replace, message.html)


@login_required
@require_GET
@xframe_options_sameorigin
def message_body(request, conversation_id: int, message_id: int):
    """A message's (already sanitised) HTML as a document for a sandboxed frame.

    Scripts cannot run (sandbox without allow-scripts, CSP default-src 'none'). Inline
    (``cid:``) images load from signed URLs of this server only; remote images load only
    with ``?images=1``, after the agent asked for them.
    """
    conversation = _conversation(request, conversation_id)
    message = conversation.messages.filter(pk=message_id).first()
    if message is None or not message.html:
        raise Http404
    own = request.build_absolute_uri(reverse("attachment-inline", args=["x"])).rsplit("/", 1)[0]
    images = f"data: {own}/"
    if request.GET.get("images") == "1":
        images += " https: http:"
    document = (
        '<!doctype html><html><head><meta charset="utf-8"><base target="_blank">'
        "<style>body{font:14px/1.5 system-ui,sans-serif;margin:0;color:#1c2024;"
        "overflow-wrap:anywhere}img{max-width:100%;height:auto}</style></head><body>"
        f"{_with_inline_images(message)}</body></html>"
    )
    response = HttpResponse(document, content_type="text/html; charset=utf-8")
    response["Content-Security-Policy"] = BODY_CSP.format(images=images)
    response["X-Content-Type-Options"] = "nosniff"
    response["Referrer-Policy"] = "no-referrer"
    return response


def _message_payload(request, conversation_id: int, message_id: int):
    conversation = _conversation(request, conversation_id)
    message = conversation.messages.filter(pk=message_id).first()
    payload = review.message_payload(message=message) if message else None
    if payload is None:
        raise Http404
    return conversation, message, payload


@login_required
@require_GET
def message_original(request, conversation_id: int, message_id: int):
    """The full original of a received message: headers, the whole text with quotes and
    signature, what reading it found, and the raw source to download."""
    conversation, message, payload = _message_payload(request, conversation_id, message_id)
    context = {
        "nav": "inbox",
        "conversation": conversation,
        "message": message,
        "payload": payload,
        "original": review.payload_original(payload),
    }
    return render(request, "web/conversation/original.html", context)


@login_required
@require_GET
def message_raw(request, conversation_id: int, message_id: int):
    """The raw bytes a received message was read from, as a download (never rendered)."""
    _conversation_, _message, payload = _message_payload(request, conversation_id, message_id)
    return raw_payload_response(payload)
