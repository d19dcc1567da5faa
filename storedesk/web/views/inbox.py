"""The inbox: standard views, filters, sorting, search, live counts and bulk actions."""

from __future__ import annotations

import dataclasses

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from storedesk.accounts.selectors import agent_list, team_list
from storedesk.conversations import selectors, services
from storedesk.conversations.enums import ConversationStatus, Priority
from storedesk.core.errors import DomainError
from storedesk.inboxes.adapters import REGISTRY
from storedesk.inboxes.selectors import inbox_list
from storedesk.stores.selectors import store_list


@dataclasses.dataclass(frozen=True)
class InboxView:
    key: str
    label: str
    status: tuple[str, ...] = ()
    mine: bool = False
    unassigned: bool = False


VIEWS = [
    InboxView("mine", _("Mine"), ("open", "pending"), mine=True),
    InboxView("unassigned", _("Unassigned"), ("open",), unassigned=True),
    InboxView("open", _("All open"), ("open",)),
    InboxView("pending", _("Pending"), ("pending",)),
    InboxView("snoozed", _("Snoozed"), ("snoozed",)),
    InboxView("resolved", _("Resolved"), ("resolved",)),
    InboxView("all", _("All conversations")),
]
VIEWS_BY_KEY = {view.key: view for view in VIEWS}
SORTS = [("waiting", _("Waiting longest")), ("newest", _("Newest")), ("priority", _("Priority"))]
PAGE_SIZE = 50


def _int(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _filters_from(request) -> tuple[InboxView, selectors.ConversationFilters, dict]:
    """The view and the filters chosen in the query string (unknown values are ignored)."""
    params = request.GET
    view = VIEWS_BY_KEY.get(params.get("view", ""), VIEWS_BY_KEY["open"])
    status = tuple(s for s in params.getlist("status") if s in ConversationStatus.values)
    assignee = params.get("assignee", "")
    filters = selectors.ConversationFilters(
        status=status or view.status,
        assignee_id=request.user.pk if view.mine else _int(assignee),
        unassigned=view.unassigned or assignee == "none",
        team_id=_int(params.get("team")),
        inbox_id=_int(params.get("inbox")),
        inbox_kind=params.get("channel", "") if params.get("channel") in REGISTRY else "",
        store_id=_int(params.get("store")),
        tag=params.get("tag", "")[:60],
        language=params.get("language", "")[:16],
        priority=_int(params.get("priority")),
        q=params.get("q", "").strip()[:200],
    )
    chosen = {
        key: value
        for key, value in params.items()
        if key not in {"cursor", "view"} and value and key in FILTER_KEYS
    }
    return view, filters, chosen


FILTER_KEYS = {
    "status",
    "assignee",
    "team",
    "inbox",
    "channel",
    "store",
    "tag",
    "language",
    "priority",
    "q",
    "sort",
}


def _page(request):
    view, filters, chosen = _filters_from(request)
    sort = request.GET.get("sort", "waiting")
    if sort not in dict(SORTS):
        sort = "waiting"
    try:
        rows, next_cursor = selectors.conversation_list(
            actor=request.user,
            filters=filters,
            sort=sort,
            cursor=request.GET.get("cursor"),
            limit=PAGE_SIZE,
        )
    except DomainError:  # a stale or edited cursor: start from the top
        rows, next_cursor = selectors.conversation_list(
            actor=request.user, filters=filters, sort=sort, limit=PAGE_SIZE
        )
    return view, chosen, sort, rows, next_cursor


def _base_query(request) -> str:
    query = request.GET.copy()
    query.pop("cursor", None)
    return query.urlencode()


@login_required
def inbox(request):
    view, chosen, sort, rows, next_cursor = _page(request)
    if request.htmx and request.GET.get("cursor"):
        return render(
            request,
            "web/inbox/_rows.html",
            {
                "rows": rows,
                "next_cursor": next_cursor,
                "view": view,
                "chosen": chosen,
                "base_query": _base_query(request),
            },
        )
    context = {
        "views": VIEWS,
        "view": view,
        "chosen": chosen,
        "sort": sort,
        "sorts": SORTS,
        "rows": rows,
        "next_cursor": next_cursor,
        "base_query": _base_query(request),
        "nav": "inbox",
        "counts": selectors.conversation_counts(actor=request.user),
        "teams": list(team_list()),
        "inboxes": list(inbox_list(actor=request.user)),
        "stores": list(store_list(actor=request.user)),
        "agents": list(agent_list(actor=request.user)),
        "channels": sorted((kind, cls.label) for kind, cls in REGISTRY.items()),
        "statuses": ConversationStatus.choices,
        "priorities": Priority.choices,
        "languages": [("en", "English"), ("zh-hans", "中文"), ("hr", "Hrvatski")],
    }
    if request.htmx and request.htmx.target == "inbox-main":
        return render(request, "web/inbox/_main.html", context)
    return render(request, "web/inbox/inbox.html", context)


@login_required
def inbox_counts(request):
    """The navigation with fresh counts (polled and pushed by live events)."""
    view, chosen, *_ = _filters_from(request)
    context = {
        "views": VIEWS,
        "view": view,
        "counts": selectors.conversation_counts(actor=request.user),
        "teams": list(team_list()),
        "inboxes": list(inbox_list(actor=request.user)),
        "stores": list(store_list(actor=request.user)),
        "chosen": chosen,
    }
    return render(request, "web/inbox/_nav.html", context)


BULK_ACTIONS = {"assign", "status", "tag"}


@login_required
@require_POST
def inbox_bulk(request):
    """Apply one action to the selected conversations. Each conversation is access-checked
    and changed through the usual service; failures are counted, not fatal."""
    action = request.POST.get("action", "")
    ids = [i for i in (_int(v) for v in request.POST.getlist("ids")) if i is not None][:200]
    if action not in BULK_ACTIONS or not ids:
        return HttpResponse(_("Choose conversations and an action."), status=400)
    assignee = None
    if action == "assign" and request.POST.get("assignee"):
        assignee = agent_list(actor=request.user).filter(pk=_int(request.POST["assignee"])).first()
        if assignee is None:
            return HttpResponse(_("No such agent."), status=400)
    done, failed = 0, 0
    for conversation_id in ids:
        try:
            conversation = selectors.access_conversation(actor=request.user, id=conversation_id)
            if action == "assign":
                services.conversation_assign(
                    conversation=conversation, actor=request.user, assignee=assignee
                )
            elif action == "status":
                services.conversation_set_status(
                    conversation=conversation,
                    status=request.POST.get("status", ""),
                    actor=request.user,
                )
            else:
                services.conversation_tag(
                    conversation=conversation,
                    actor=request.user,
                    add=[request.POST.get("tag", "")],
                )
            done += 1
        except DomainError:
            failed += 1
    if failed:
        messages.warning(
            request,
            _("%(done)d changed, %(failed)d could not be changed.")
            % {"done": done, "failed": failed},
        )
    else:
        messages.success(request, _("%(done)d conversations changed.") % {"done": done})
    return redirect(
        request.POST.get("next_query") and f"/inbox/?{request.POST['next_query']}" or "inbox"
    )
