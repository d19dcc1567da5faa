"""The REST API root (``/api/v1/``): authentication, error format, routers.

Authentication: ``Authorization: Bearer <token>`` (personal API tokens), or the browser
session with CSRF protection. Every error is JSON::

    {"error": {"code": "validation_error", "message": "...", "field": "body.text"}}
"""

from django.http import Http404, HttpRequest
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.security import HttpBearer, SessionAuth

from storedesk import __version__
from storedesk.accounts.services import api_token_authenticate
from storedesk.core.errors import DomainError


class BearerTokenAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str):
        if not (token.isascii() and token.isprintable()):
            return None  # never a token of ours; keep control characters away from the database
        agent = api_token_authenticate(token)
        if agent is not None:
            request.user = agent
        return agent


class ActiveSessionAuth(SessionAuth):
    """The browser session of an active agent, with Django's CSRF check on unsafe methods.

    Requests without such a session are simply not authenticated by this scheme (401), so
    API clients with a missing or bad token never see a CSRF failure instead.
    """

    def __call__(self, request: HttpRequest):
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated or not user.is_active:
            return None
        return super().__call__(request)

    def authenticate(self, request: HttpRequest, key):
        user = super().authenticate(request, key)
        return user if user is not None and user.is_active else None


api = NinjaAPI(
    title="storedesk API",
    version="1",
    description=f"storedesk {__version__}: conversations, contacts, inboxes and stores.",
    auth=[BearerTokenAuth(), ActiveSessionAuth()],
    urls_namespace="api-v1",
)


def error_body(code: str, message: str, field: str | None = None, **extra) -> dict:
    return {"error": {"code": code, "message": message, "field": field, **extra}}


@api.exception_handler(DomainError)
def _domain_error(request, exc: DomainError):
    return api.create_response(
        request, error_body(exc.code, exc.message, exc.field), status=exc.status_code
    )


# Names of the view arguments that carry whole bodies or query schemas; not client fields.
_ARGUMENT_NAMES = {"payload", "params"}


def _field_of(location) -> str:
    parts = [str(part) for part in location]
    if len(parts) >= 2 and parts[1] in _ARGUMENT_NAMES:
        del parts[1]
    return ".".join(parts)


@api.exception_handler(NinjaValidationError)
def _validation_error(request, exc: NinjaValidationError):
    details = [
        {"field": _field_of(error.get("loc", ())), "message": error.get("msg", "")}
        for error in exc.errors
    ]
    first = details[0] if details else {"field": None, "message": "Invalid input."}
    body = error_body("validation_error", first["message"], first["field"], details=details)
    return api.create_response(request, body, status=422)


@api.exception_handler(AuthenticationError)
def _auth_error(request, exc):
    body = error_body("unauthorized", "Authentication required: a Bearer token or a session.")
    return api.create_response(request, body, status=401)


@api.exception_handler(Http404)
def _not_found(request, exc):
    return api.create_response(request, error_body("not_found", "Not found."), status=404)


@api.exception_handler(HttpError)
def _http_error(request, exc: HttpError):
    return api.create_response(
        request, error_body("http_error", str(exc.message)), status=exc.status_code
    )


def register_routers() -> None:
    from storedesk.analytics.api import router as reports_router
    from storedesk.contacts.api import router as contacts_router
    from storedesk.conversations.api import router as conversations_router
    from storedesk.inboxes.api import public_router
    from storedesk.inboxes.api import router as inboxes_router
    from storedesk.stores.api import router as stores_router

    api.add_router("/conversations", conversations_router)
    api.add_router("/contacts", contacts_router)
    api.add_router("/inboxes", inboxes_router)
    api.add_router("/stores", stores_router)
    api.add_router("/public", public_router)
    api.add_router("/reports", reports_router)


register_routers()
