"""Settings for administrators: stores, inboxes, agents, teams, canned replies and the
assistant's shop intents."""

from __future__ import annotations

import json
from functools import wraps

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from storedesk.accounts.enums import Role
from storedesk.accounts.models import Agent, Team
from storedesk.accounts.services import agent_create, agent_update, team_create, team_update
from storedesk.assistant.intent_services import shop_intent_delete, shop_intent_save
from storedesk.assistant.intents import INTENTS
from storedesk.assistant.models import IntentAction, ShopIntent
from storedesk.core.errors import DomainError
from storedesk.inboxes import review
from storedesk.inboxes.adapters import REGISTRY
from storedesk.inboxes.models import InboundPayload, Inbox
from storedesk.inboxes.selectors import config_without_secrets, mailbox_status
from storedesk.inboxes.services import inbox_create, inbox_rotate_public_token, inbox_update
from storedesk.routing.canned import VARIABLES
from storedesk.routing.models import CannedReply
from storedesk.routing.services import canned_reply_delete, canned_reply_save
from storedesk.stores.models import Store
from storedesk.stores.services import store_create, store_update
from storedesk.web.views.downloads import raw_payload_response

LOCALE_CHOICES = [("en", "English"), ("zh-hans", "简体中文"), ("hr", "Hrvatski")]


def admin_required(view):
    """Only administrators; everyone else gets 403 (they know the page exists)."""

    @wraps(view)
    @login_required
    def wrapper(request, *args, **kwargs):
        if not request.user.is_admin:
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapper


# Domain field paths whose form field has another name.
_FORM_FIELDS = {"closed": "closed_dates"}


def _apply_error(form, exc: DomainError) -> None:
    """Put a domain error on the form field it names (the innermost one the form has)."""
    for part in reversed((exc.field or "").split(".")):
        name = _FORM_FIELDS.get(part, part)
        if name in form.fields:
            form.add_error(name, exc.message)
            return
    form.add_error(None, exc.message)


def _editing(model, pk: int | None, **related):
    """The row being edited (``None`` when creating); 404 for an unknown id."""
    if pk is None:
        return None
    row = model.objects.filter(pk=pk).select_related(*related.get("select", ())).first()
    if row is None:
        raise Http404
    return row


def _save_or_render(request, form, save, *, saved: str, then, template: str, context: dict):
    """On a valid POST call ``save(cleaned_data)``; a ``DomainError`` goes back onto the form,
    success redirects to ``then(result)`` with the ``saved`` message. Otherwise render."""
    if request.method == "POST" and form.is_valid():
        try:
            result = save(form.cleaned_data)
        except DomainError as exc:
            _apply_error(form, exc)
        else:
            messages.success(request, saved)
            return redirect(then(result))
    return render(request, template, {"nav": "settings", "form": form, **context})


@admin_required
def settings_home(request):
    return redirect("settings-stores")


# --- Stores ---------------------------------------------------------------------------------


WEEKDAY_LABELS = {
    "mon": _("Monday"),
    "tue": _("Tuesday"),
    "wed": _("Wednesday"),
    "thu": _("Thursday"),
    "fri": _("Friday"),
    "sat": _("Saturday"),
    "sun": _("Sunday"),
}


class StoreForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)
    default_locale = forms.ChoiceField(label=_("Default language"), choices=LOCALE_CHOICES)
    supported_locales = forms.MultipleChoiceField(
        label=_("Other languages"),
        choices=LOCALE_CHOICES,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    time_zone = forms.CharField(label=_("Time zone"), max_length=64, initial="UTC")
    brand_color = forms.CharField(label=_("Brand colour"), max_length=7, initial="#1f6feb")
    always_open = forms.BooleanField(
        label=_("Always open (no business hours)"), required=False, initial=True
    )
    closed_dates = forms.CharField(
        label=_("Closed on (one date per line, YYYY-MM-DD)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "class": "mono"}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for day, label in WEEKDAY_LABELS.items():
            self.fields[f"hours_{day}"] = forms.CharField(
                label=label,
                required=False,
                help_text=_("e.g. 09:00-12:00, 13:00-17:00; empty: closed"),
                widget=forms.TextInput(attrs={"class": "mono", "placeholder": "09:00-17:00"}),
            )

    @staticmethod
    def initial_for(store) -> dict:
        fields = ("name", "default_locale", "supported_locales", "time_zone", "brand_color")
        initial = {f: getattr(store, f) for f in fields}
        hours = store.business_hours or {}
        initial["always_open"] = not hours
        initial["closed_dates"] = "\n".join(hours.get("closed", []))
        for day in WEEKDAY_LABELS:
            intervals = hours.get("week", {}).get(day, [])
            initial[f"hours_{day}"] = ", ".join(f"{a}-{b}" for a, b in intervals)
        return initial

    def clean(self):
        data = super().clean()
        week = {}
        for day in WEEKDAY_LABELS:
            text = data.pop(f"hours_{day}", "") or ""
            intervals = []
            for part in filter(None, (p.strip() for p in text.split(","))):
                start, dash, end = part.partition("-")
                if not dash:
                    self.add_error(f"hours_{day}", _("Write intervals as 09:00-17:00."))
                    break
                intervals.append([start.strip(), end.strip()])
            week[day] = intervals
        closed = [line.strip() for line in data.pop("closed_dates", "").splitlines()]
        if data.pop("always_open", False):
            data["business_hours"] = {}
        else:
            data["business_hours"] = {"week": week, "closed": [d for d in closed if d]}
        return data


@admin_required
@require_http_methods(["GET", "POST"])
def settings_stores(request, store_id: int | None = None):
    store = _editing(Store, store_id)
    form = StoreForm(request.POST or None, initial=StoreForm.initial_for(store) if store else {})

    def save(data):
        if store:
            return store_update(store=store, actor=request.user, **data)
        return store_create(actor=request.user, **data)

    return _save_or_render(
        request,
        form,
        save,
        saved=_("Store saved."),
        then=lambda _: "settings-stores",
        template="web/settings/stores.html",
        context={"section": "stores", "editing": store, "stores": Store.objects.all()},
    )


# --- Inboxes --------------------------------------------------------------------------------


class InboxCreateForm(forms.Form):
    store = forms.ModelChoiceField(label=_("Store"), queryset=Store.objects.all())
    kind = forms.ChoiceField(label=_("Channel"), choices=[])
    name = forms.CharField(label=_("Name"), max_length=120)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = sorted((k, c.label) for k, c in REGISTRY.items())


class InboxEditForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=120)
    is_active = forms.BooleanField(label=_("Active"), required=False)
    reopen_window_days = forms.IntegerField(
        label=_("Reopen a resolved conversation within (days)"), min_value=0, max_value=365
    )
    default_team = forms.ModelChoiceField(
        label=_("Default team"), queryset=Team.objects.all(), required=False
    )
    config = forms.CharField(
        label=_("Channel settings (JSON)"),
        widget=forms.Textarea(attrs={"rows": 8, "class": "mono"}),
    )

    def clean_config(self):
        try:
            value = json.loads(self.cleaned_data["config"])
        except json.JSONDecodeError as exc:
            raise forms.ValidationError(_("Not valid JSON: %(error)s") % {"error": exc}) from None
        if not isinstance(value, dict):
            raise forms.ValidationError(_("Settings must be a JSON object."))
        return value


@admin_required
@require_http_methods(["GET", "POST"])
def settings_inboxes(request, inbox_id: int | None = None):
    inbox = _editing(Inbox, inbox_id, select=("store",))
    if inbox:
        form = InboxEditForm(
            request.POST or None,
            initial={
                "name": inbox.name,
                "is_active": inbox.is_active,
                "reopen_window_days": inbox.reopen_window_days,
                "default_team": inbox.default_team,
                # Passwords and tokens are never shown; left out, the stored ones stay.
                "config": json.dumps(config_without_secrets(inbox), indent=2, ensure_ascii=False),
            },
        )
    else:
        form = InboxCreateForm(request.POST or None)

    def save(data):
        if inbox:
            return inbox_update(inbox=inbox, actor=request.user, **data)
        return inbox_create(actor=request.user, **data)

    return _save_or_render(
        request,
        form,
        save,
        saved=_("Inbox saved."),
        then=lambda saved: reverse("settings-inbox", args=[saved.pk]),
        template="web/settings/inboxes.html",
        context={
            "section": "inboxes",
            "editing": inbox,
            "inboxes": Inbox.objects.select_related("store").order_by("store__name", "name"),
            "site": request.build_absolute_uri("/").rstrip("/"),
            "mailbox": mailbox_status(inbox) if inbox else None,
        },
    )


@admin_required
@require_POST
def settings_inbox_rotate(request, inbox_id: int):
    inbox = _editing(Inbox, inbox_id)
    inbox_rotate_public_token(inbox=inbox, actor=request.user)
    messages.success(request, _("A new public address was issued; the old one stops working."))
    return redirect("settings-inbox", inbox_id=inbox.pk)


@admin_required
@require_GET
def settings_inbox_received(request, inbox_id: int):
    """What the inbox received that needs a look: input that could not become a message,
    input ignored as automatic mail, and messages read with problems; raw source for each."""
    inbox = _editing(Inbox, inbox_id, select=("store",))
    view = request.GET.get("view", "attention")
    if view not in review.PAYLOAD_FILTERS:
        view = "attention"
    payloads = list(review.payload_list(inbox=inbox, view=view))
    context = {
        "section": "inboxes",
        "editing": inbox,
        "inboxes": Inbox.objects.select_related("store").order_by("store__name", "name"),
        "view": view,
        "views": review.PAYLOAD_FILTERS,
        "payloads": [(p, review.payload_sender_guess(p)) for p in payloads],
        "counts": review.payload_counts(inbox=inbox),
    }
    return render(request, "web/settings/received.html", context)


def _payload(inbox_id: int, payload_id: int):
    payload = (
        InboundPayload.objects.select_related("inbox")
        .filter(pk=payload_id, inbox_id=inbox_id)
        .first()
    )
    if payload is None:
        raise Http404
    return payload


@admin_required
@require_GET
def settings_payload_raw(request, inbox_id: int, payload_id: int):
    return raw_payload_response(_payload(inbox_id, payload_id))


@admin_required
@require_POST
def settings_payload_reprocess(request, inbox_id: int, payload_id: int):
    try:
        payload = review.payload_reprocess(
            payload=_payload(inbox_id, payload_id), actor=request.user
        )
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request, _("Processed again: %(status)s.") % {"status": payload.get_status_display()}
        )
    return redirect(reverse("settings-inbox-received", args=[inbox_id]) + "?view=all")


# --- Agents and teams -----------------------------------------------------------------------


class AgentForm(forms.Form):
    username = forms.CharField(label=_("Username"), max_length=150)
    display_name = forms.CharField(label=_("Display name"), max_length=150, required=False)
    email = forms.EmailField(label=_("Email"), required=False)
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices)
    stores = forms.ModelMultipleChoiceField(
        label=_("Stores (restricted agents only)"),
        queryset=Store.objects.all(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    teams = forms.ModelMultipleChoiceField(
        label=_("Teams"),
        queryset=Team.objects.all(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)
    password = forms.CharField(
        label=_("Initial password"),
        required=False,
        widget=forms.PasswordInput,
        help_text=_("Only when creating; the agent changes it under Preferences."),
    )


@admin_required
@require_http_methods(["GET", "POST"])
def settings_agents(request, agent_id: int | None = None):
    agent = _editing(Agent, agent_id)
    initial = {"is_active": True, "role": Role.AGENT}
    if agent:
        initial = {
            "username": agent.username,
            "display_name": agent.display_name,
            "email": agent.email,
            "role": agent.role,
            "is_active": agent.is_active,
            "stores": list(agent.stores.all()),
            "teams": list(agent.teams.all()),
        }
    form = AgentForm(request.POST or None, initial=initial)
    if agent:
        form.fields["username"].disabled = True

    def save(data):
        if agent:
            return agent_update(
                agent=agent,
                actor=request.user,
                role=data["role"],
                stores=data["stores"],
                teams=data["teams"],
                is_active=data["is_active"],
                display_name=data["display_name"],
                email=data["email"],
            )
        if data["role"] == Role.RESTRICTED and not data["stores"]:
            raise DomainError(_("A restricted agent needs at least one store."), field="stores")
        return agent_create(
            username=data["username"],
            password=data["password"] or None,
            role=data["role"],
            email=data["email"],
            display_name=data["display_name"],
            stores=data["stores"],
            teams=data["teams"],
            actor=request.user,
        )

    return _save_or_render(
        request,
        form,
        save,
        saved=_("Agent saved."),
        then=lambda _: "settings-agents",
        template="web/settings/agents.html",
        context={
            "section": "agents",
            "editing": agent,
            "agents": Agent.objects.prefetch_related("teams", "stores").order_by("username"),
        },
    )


class TeamForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=120)
    members = forms.ModelMultipleChoiceField(
        label=_("Members"),
        queryset=Agent.objects.filter(is_active=True),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )


@admin_required
@require_http_methods(["GET", "POST"])
def settings_teams(request, team_id: int | None = None):
    team = _editing(Team, team_id)
    initial = {"name": team.name, "members": list(team.members.all())} if team else {}
    form = TeamForm(request.POST or None, initial=initial)

    def save(data):
        if team:
            return team_update(team=team, actor=request.user, **data)
        return team_create(**data)

    return _save_or_render(
        request,
        form,
        save,
        saved=_("Team saved."),
        then=lambda _: "settings-teams",
        template="web/settings/teams.html",
        context={
            "section": "teams",
            "editing": team,
            "teams": Team.objects.prefetch_related("members"),
        },
    )


# --- Canned replies -------------------------------------------------------------------------


class CannedReplyForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=120)
    store = forms.ModelChoiceField(
        label=_("Store"), queryset=Store.objects.all(), required=False, empty_label=_("Every store")
    )
    body = forms.CharField(label=_("Reply"), widget=forms.Textarea(attrs={"rows": 8}))


@admin_required
@require_http_methods(["GET", "POST"])
def settings_canned(request, reply_id: int | None = None):
    reply = _editing(CannedReply, reply_id)
    if request.method == "POST" and reply and "delete" in request.POST:
        canned_reply_delete(actor=request.user, reply=reply)
        messages.success(request, _("Canned reply deleted."))
        return redirect("settings-canned")
    initial = {"title": reply.title, "store": reply.store, "body": reply.body} if reply else {}
    form = CannedReplyForm(request.POST or None, initial=initial)
    return _save_or_render(
        request,
        form,
        lambda data: canned_reply_save(actor=request.user, reply=reply, **data),
        saved=_("Canned reply saved."),
        then=lambda _: "settings-canned",
        template="web/settings/canned.html",
        context={
            "section": "canned",
            "editing": reply,
            "variables": VARIABLES,
            "replies": CannedReply.objects.select_related("store"),
        },
    )


class ShopIntentForm(forms.Form):
    store = forms.ModelChoiceField(label=_("Store"), queryset=Store.objects.all())
    name = forms.CharField(
        label=_("Name"),
        max_length=40,
        help_text=_("e.g. wholesale or store_hours; a built-in name adds examples to it."),
    )
    description = forms.CharField(label=_("Description"), max_length=300, required=False)
    action = forms.ChoiceField(label=_("What the assistant does"), choices=IntentAction.choices)
    answer_en = forms.CharField(
        label=_("Answer (English)"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    answer_hr = forms.CharField(
        label=_("Answer (Croatian)"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    answer_zh_hans = forms.CharField(
        label=_("Answer (Chinese)"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    examples = forms.CharField(
        label=_("Examples"),
        help_text=_("What customers write, one message per line, in any language."),
        widget=forms.Textarea(attrs={"rows": 10}),
    )

    ANSWER_FIELDS = {"en": "answer_en", "hr": "answer_hr", "zh-hans": "answer_zh_hans"}

    @classmethod
    def initial_for(cls, intent: ShopIntent) -> dict:
        initial = {
            "store": intent.store,
            "name": intent.name,
            "description": intent.description,
            "action": intent.action,
            "examples": intent.examples,
        }
        for locale, field in cls.ANSWER_FIELDS.items():
            initial[field] = intent.answers.get(locale, "")
        return initial

    def service_arguments(self) -> dict:
        data = self.cleaned_data
        return {
            "store": data["store"],
            "name": data["name"],
            "description": data["description"],
            "action": data["action"],
            "examples": data["examples"],
            "answers": {locale: data[field] for locale, field in self.ANSWER_FIELDS.items()},
        }


@admin_required
@require_http_methods(["GET", "POST"])
def settings_assistant(request, intent_id: int | None = None):
    """The shop's own assistant intents (and examples added to built-in ones)."""
    intent = _editing(ShopIntent, intent_id, select=("store",))
    if request.method == "POST" and intent and "delete" in request.POST:
        shop_intent_delete(actor=request.user, intent=intent)
        messages.success(request, _("Intent deleted."))
        return redirect("settings-assistant")
    form = ShopIntentForm(
        request.POST or None, initial=ShopIntentForm.initial_for(intent) if intent else {}
    )
    return _save_or_render(
        request,
        form,
        lambda data: shop_intent_save(
            actor=request.user, intent=intent, **form.service_arguments()
        ),
        saved=_("Intent saved. The assistant learns it in a minute."),
        then=lambda _: "settings-assistant",
        template="web/settings/assistant.html",
        context={
            "section": "assistant",
            "editing": intent,
            "intents": ShopIntent.objects.select_related("store"),
            "built_in": INTENTS,
        },
    )
