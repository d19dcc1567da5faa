"""Sign in, sign out, and the agent's own preferences (language, time zone, password)."""

import zoneinfo

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import PasswordChangeForm
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods

from storedesk.accounts.models import SIGNATURE_MAX_LENGTH
from storedesk.accounts.services import agent_set_availability, agent_update_preferences

COMMON_TIME_ZONES = sorted(zoneinfo.available_timezones() - {"localtime", "Factory"})


class SignInView(auth_views.LoginView):
    template_name = "web/auth/login.html"
    redirect_authenticated_user = True


class PreferencesForm(forms.Form):
    display_name = forms.CharField(label=_("Display name"), max_length=150, required=False)
    locale = forms.ChoiceField(
        label=_("Language"),
        choices=[("", _("Browser language"))] + list(settings.LANGUAGES),
        required=False,
    )
    time_zone = forms.ChoiceField(
        label=_("Time zone"),
        choices=[("", _("Server time zone"))] + [(tz, tz) for tz in COMMON_TIME_ZONES],
        required=False,
    )
    signature = forms.CharField(
        label=_("Email signature"),
        help_text=_("Added below your replies that go out by email."),
        max_length=SIGNATURE_MAX_LENGTH,
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
    )


@login_required
@require_http_methods(["GET", "POST"])
def preferences(request):
    agent = request.user
    form = PreferencesForm(
        request.POST if "save_preferences" in request.POST else None,
        initial={
            "display_name": agent.display_name,
            "locale": agent.locale,
            "time_zone": agent.time_zone,
            "signature": agent.signature,
        },
    )
    password_form = PasswordChangeForm(
        agent, request.POST if "change_password" in request.POST else None
    )
    if request.method == "POST" and "save_preferences" in request.POST and form.is_valid():
        agent_update_preferences(agent=agent, **form.cleaned_data)
        if form.cleaned_data["locale"]:
            translation.activate(form.cleaned_data["locale"])
        messages.success(request, _("Your preferences are saved."))
        response = redirect("preferences")
        response.set_cookie(
            settings.LANGUAGE_COOKIE_NAME,
            form.cleaned_data["locale"] or "",
            samesite="Lax",
            secure=settings.SESSION_COOKIE_SECURE,
        )
        return response
    if request.method == "POST" and "change_password" in request.POST and password_form.is_valid():
        password_form.save()
        update_session_auth_hash(request, password_form.user)
        messages.success(request, _("Your password is changed."))
        return redirect("preferences")
    return render(
        request, "web/auth/preferences.html", {"form": form, "password_form": password_form}
    )


@login_required
@require_http_methods(["POST"])
def availability(request):
    """Toggle the agent's chat availability (the top bar's switch); answers with the
    switch for htmx, or goes back for a plain form post."""
    agent = agent_set_availability(agent=request.user, available=not request.user.available)
    if request.headers.get("HX-Request"):
        return render(request, "web/_availability.html", {"user": agent})
    return redirect(request.META.get("HTTP_REFERER") or "inbox")
