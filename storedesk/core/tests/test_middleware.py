"""The project's middleware in both of Django's modes: WSGI (test ``Client``) and ASGI
(``AsyncClient``, which runs the same handler chain as uvicorn)."""

from __future__ import annotations

import logging

import pytest
from asgiref.sync import async_to_sync
from django.conf import settings
from django.core.handlers.asgi import ASGIHandler
from django.http import HttpResponse
from django.test import AsyncClient, RequestFactory
from django.utils import timezone
from django.utils.module_loading import import_string

from storedesk.core.middleware import StaticFilesMiddleware
from storedesk.core.testing import bearer


def test_every_middleware_runs_in_the_async_chain():
    # A synchronous-only middleware makes Django hop threads around it on every request.
    sync_only = [
        path
        for path in settings.MIDDLEWARE
        if not getattr(import_string(path), "async_capable", False)
    ]
    assert sync_only == []


def test_the_asgi_handler_adapts_no_middleware(settings, caplog):
    # Django reports each adaptation (a thread hop per request) at debug level when DEBUG is on.
    settings.DEBUG = True
    with caplog.at_level(logging.DEBUG, logger="django.request"):
        ASGIHandler()
    adapted = [record.getMessage() for record in caplog.records if "adapted" in record.getMessage()]
    assert adapted == []


@pytest.mark.django_db(transaction=True)
def test_api_errors_are_json_under_asgi():
    client = AsyncClient()
    missing = async_to_sync(client.get)("/api/v1/no-such-thing")
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "not_found"
    wrong_method = async_to_sync(client.delete)("/api/v1/contacts")
    assert wrong_method.status_code == 405
    assert wrong_method.json()["error"]["code"] == "method_not_allowed"
    assert "GET" in wrong_method["Allow"]


@pytest.mark.django_db(transaction=True)
def test_bearer_requests_work_under_asgi(agent):
    authorization = bearer(agent)["HTTP_AUTHORIZATION"]
    response = async_to_sync(AsyncClient().get)(
        "/api/v1/stores", headers={"Authorization": authorization}
    )
    assert response.status_code == 200, response.content
    unauthenticated = async_to_sync(AsyncClient().get)("/api/v1/stores")
    assert unauthenticated.status_code == 401


@pytest.mark.django_db(transaction=True)
def test_signed_in_agent_gets_language_and_time_zone_under_asgi(agent):
    agent.locale, agent.time_zone = "hr", "Europe/Zagreb"
    agent.save(update_fields=["locale", "time_zone"])
    client = AsyncClient()
    async_to_sync(client.aforce_login)(agent)
    page = async_to_sync(client.get)("/preferences/")
    assert page.status_code == 200
    assert page["Content-Language"] == "hr"
    assert 'lang="hr"' in page.content.decode()
    # The agent's time zone ends with the request.
    assert timezone.get_current_timezone_name() == settings.TIME_ZONE


def test_static_files_are_served_in_both_modes(settings):
    settings.WHITENOISE_USE_FINDERS = True
    settings.WHITENOISE_AUTOREFRESH = False
    request = RequestFactory().get("/static/storedesk/storedesk.css")

    def sync_view(request):
        return HttpResponse("view")

    async def async_view(request):
        return HttpResponse("view")

    for response in (
        StaticFilesMiddleware(sync_view)(request),
        async_to_sync(StaticFilesMiddleware(async_view))(request),
    ):
        assert response.status_code == 200
        assert response["Content-Type"].startswith("text/css")
        body = b"".join(response.streaming_content if response.streaming else [response.content])
        assert b"{" in body
        response.close()
    other = RequestFactory().get("/inbox/")
    assert async_to_sync(StaticFilesMiddleware(async_view))(other).content == b"view"
    assert StaticFilesMiddleware(sync_view)(other).content == b"view"
