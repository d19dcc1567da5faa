"""Settings for administrators: stores, inboxes, agents, teams and canned replies."""

from __future__ import annotations

import json
from functools import wraps

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods, require_POST

from storedesk.accounts.enums import Role
from storedesk.accounts.models import Agent, Team
from storedesk.accounts.services import agent_create, agent_update, team_create, team_update
from storedesk.core.errors import DomainError
from storedesk.inboxes.adapters import REGISTRY
from storedesk.inboxes.models import Inbox
from storedesk.inboxes.services import inbox_create, inbox_rotate_public_token, inbox_update
from storedesk.routing.canned import VARIABLES
from storedesk.routing.models import CannedReply
from storedesk.routing.services import canned_reply_delete, canned_reply_save
from storedesk.stores.models import Store
from storedesk.stores.services import store_create, store_update

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


def _apply_error(form, exc: DomainError) -> None:
    field = (exc.field or "").split(".")[-1]
    form.add_error(field if field in form.fields else None, exc.message)


@admin_required
def settings_home(request):
    return redirect("settings-stores")


# --- Stores ---------------------------------------------------------------------------------


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


@admin_required
@require_http_methods(["GET", "POST"])
def settings_stores(request, store_id: int | None = None):
    store = Store.objects.filter(pk=store_id).first() if store_id else None
    if store_id and store is None:
        raise Http404
    initial = {}
    if store:
        initial = {
            f: getattr(store, f)
            for f in ("name", "default_locale", "supported_locales", "time_zone", "brand_color")
        }
    form = StoreForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            if store:
                store_update(store=store, actor=request.user, **form.cleaned_data)
            else:
                store_create(actor=request.user, **form.cleaned_data)
        except DomainError as exc:
            _apply_error(form, exc)
        else:
            messages.success(request, _("Store saved."))
            return redirect("settings-stores")
    return render(
        request,
        "web/settings/stores.html",
        {
            "nav": "settings",
            "section": "stores",
            "form": form,
            "editing": store,
            "stores": Store.objects.all(),
        },
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
    inbox = Inbox.objects.select_related("store").filter(pk=inbox_id).first() if inbox_id else None
    if inbox_id and inbox is None:
        raise Http404
    if inbox:
        form = InboxEditForm(
            request.POST or None,
            initial={
                "name": inbox.name,
                "is_active": inbox.is_active,
                "reopen_window_days": inbox.reopen_window_days,
                "default_team": inbox.default_team,
                "config": json.dumps(inbox.config, indent=2, ensure_ascii=False),
            },
        )
    else:
        form = InboxCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            if inbox:
                inbox_update(inbox=inbox, actor=request.user, **form.cleaned_data)
            else:
                inbox = inbox_create(actor=request.user, **form.cleaned_data)
        except DomainError as exc:
            _apply_error(form, exc)
        else:
            messages.success(request, _("Inbox saved."))
            return redirect("settings-inbox", inbox_id=inbox.pk)
    return render(
        request,
        "web/settings/inboxes.html",
        {
            "nav": "settings",
            "section": "inboxes",
            "form": form,
            "editing": inbox,
            "inboxes": Inbox.objects.select_related("store").order_by("store__name", "name"),
            "site": request.build_absolute_uri("/").rstrip("/"),
        },
    )


@admin_required
@require_POST
def settings_inbox_rotate(request, inbox_id: int):
    inbox = Inbox.objects.filter(pk=inbox_id).first()
    if inbox is None:
        raise Http404
    inbox_rotate_public_token(inbox=inbox, actor=request.user)
    messages.success(request, _("A new public address was issued; the old one stops working."))
    return redirect("settings-inbox", inbox_id=inbox.pk)


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
    agent = Agent.objects.filter(pk=agent_id).first() if agent_id else None
    if agent_id and agent is None:
        raise Http404
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
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            if agent:
                agent_update(
                    agent=agent,
                    actor=request.user,
                    role=data["role"],
                    stores=data["stores"],
                    teams=data["teams"],
                    is_active=data["is_active"],
                    display_name=data["display_name"],
                    email=data["email"],
                )
            else:
                if data["role"] == Role.RESTRICTED and not data["stores"]:
                    raise DomainError(
                        _("A restricted agent needs at least one store."), field="stores"
                    )
                agent_create(
                    username=data["username"],
                    password=data["password"] or None,
                    role=data["role"],
                    email=data["email"],
                    display_name=data["display_name"],
                    stores=data["stores"],
                    teams=data["teams"],
                    actor=request.user,
                )
        except DomainError as exc:
            _apply_error(form, exc)
        else:
            messages.success(request, _("Agent saved."))
            return redirect("settings-agents")
    return render(
        request,
        "web/settings/agents.html",
        {
            "nav": "settings",
            "section": "agents",
            "form": form,
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
    team = Team.objects.filter(pk=team_id).first() if team_id else None
    if team_id and team is None:
        raise Http404
    initial = {"name": team.name, "members": list(team.members.all())} if team else {}
    form = TeamForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            if team:
                team_update(team=team, actor=request.user, **form.cleaned_data)
            else:
                team_create(**form.cleaned_data)
        except DomainError as exc:
            _apply_error(form, exc)
        else:
            messages.success(request, _("Team saved."))
            return redirect("settings-teams")
    return render(
        request,
        "web/settings/teams.html",
        {
            "nav": "settings",
            "section": "teams",
            "form": form,
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
    reply = CannedReply.objects.filter(pk=reply_id).first() if reply_id else None
    if reply_id and reply is None:
        raise Http404
    if request.method == "POST" and reply and "delete" in request.POST:
        canned_reply_delete(actor=request.user, reply=reply)
        messages.success(request, _("Canned reply deleted."))
        return redirect("settings-canned")
    initial = {"title": reply.title, "store": reply.store, "body": reply.body} if reply else {}
    form = CannedReplyForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            canned_reply_save(actor=request.user, reply=reply, **form.cleaned_data)
        except DomainError as exc:
            _apply_error(form, exc)
        else:
            messages.success(request, _("Canned reply saved."))
            return redirect("settings-canned")
    return render(
        request,
        "web/settings/canned.html",
        {
            "nav": "settings",
            "section": "canned",
            "form": form,
            "editing": reply,
            "variables": VARIABLES,
            "replies": CannedReply.objects.select_related("store"),
        },
    )
