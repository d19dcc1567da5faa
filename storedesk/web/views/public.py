"""Public pages of the foundation: the landing page, the hosted contact form and the page
where a customer closes a request the assistant's suggestions answered."""

from django.conf import settings
from django.shortcuts import redirect, render
from django.utils import translation
from django.views.decorators.http import require_http_methods
from django.views.i18n import JavaScriptCatalog

from storedesk.conversations.services import message_receive
from storedesk.core.errors import DomainError, NotFound
from storedesk.helpcenter.selectors import suggest_path
from storedesk.inboxes.adapters import adapter_for
from storedesk.inboxes.adapters.base import InboundRejected
from storedesk.inboxes.selectors import inbox_by_public_token

FORM_FIELDS = ("name", "email", "subject", "message", "order_number")


def home(request):
    """Signed-in agents go to their inbox; everyone else sees the landing page."""
    if request.user.is_authenticated:
        return redirect("inbox")
    return render(request, "web/home.html")


@require_http_methods(["GET", "POST"])
def webform_page(request, token: str):
    """The store's hosted contact form. Errors are shown next to their field and the
    customer's input is kept."""
    try:
        inbox = inbox_by_public_token(token, kind="webform")
    except NotFound:
        return render(request, "web/not_found.html", status=404)
    adapter = adapter_for(inbox)
    values = {field: request.POST.get(field, "") for field in FORM_FIELDS}
    errors: dict[str, str] = {}
    if request.method == "POST":
        try:
            message_receive(inbox=inbox, inbound=adapter.parse(values))
        except InboundRejected as exc:
            errors[exc.field or "message"] = exc.message
        except DomainError as exc:
            errors[(exc.field or "message").split(".")[-1]] = exc.message
        else:
            context = {"store": inbox.store, "message": adapter.config.success_message}
            return render(request, "web/webform_done.html", context, status=201)
    context = {
        "store": inbox.store,
        "values": values,
        "errors": errors,
        "suggest_url": suggest_path(inbox.store),
    }
    return render(request, "web/webform.html", context, status=422 if errors else 200)


@require_http_methods(["GET", "POST"])
def request_solved(request, token: str):
    """The closing link of the assistant's suggestions (email, web form): GET asks "Did
    this answer your question?" (mail scanners open links, so only the button closes),
    POST closes the request. In the language the assistant wrote in."""
    from storedesk.assistant.suggestion_services import solved_link, suggestion_solved

    try:
        outcome = suggestion_solved(token=token) if request.method == "POST" else ""
        link = solved_link(token)
    except NotFound:
        return render(request, "web/not_found.html", status=404)
    context = {
        "store": link.conversation.store,
        "answer": link.answer,
        "closable": link.closable,
        "outcome": outcome,
    }
    with translation.override(link.session.language or link.conversation.store.default_locale):
        return render(request, "web/request_solved.html", context)


class TranslationCatalog(JavaScriptCatalog):
    """The workspace's JavaScript strings, from the compiled catalogs in LOCALE_PATHS (the
    project compiles its .po files into the home directory, not into the package)."""

    def get_paths(self, packages):
        return [str(path) for path in settings.LOCALE_PATHS]
