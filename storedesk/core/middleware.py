"""Project middleware. Each one works in both of Django's modes.

Under ASGI, Django runs a synchronous-only middleware by hopping threads: into a worker
thread for it, back onto the event loop for the async middleware below it, and into a thread
again for the view. Three hops per request cost a third of an API request's CPU, so every
middleware here is async-capable, keeping one hop (the view's) per request.
"""

import json

from asgiref.sync import iscoroutinefunction, markcoroutinefunction, sync_to_async
from django.http import HttpResponse
from whitenoise.middleware import WhiteNoiseMiddleware

API_PREFIX = "/api/"
_MESSAGES = {404: ("not_found", "Not found."), 405: ("method_not_allowed", "Method not allowed.")}


class HybridMiddleware:
    """Base of a middleware that runs synchronously or asynchronously, like the rest of the
    chain below it. Subclasses implement :meth:`process` for the sync chain and
    :meth:`aprocess` for the async one."""

    sync_capable = True
    async_capable = True

    def __init__(self, get_response):
        self.get_response = get_response
        self.is_async = iscoroutinefunction(get_response)
        if self.is_async:
            markcoroutinefunction(self)

    def __call__(self, request):
        if self.is_async:
            return self.aprocess(request)
        return self.process(request)

    def process(self, request):
        raise NotImplementedError

    async def aprocess(self, request):
        raise NotImplementedError


class ApiJsonErrorsMiddleware(HybridMiddleware):
    """Every response under ``/api/`` is JSON, including Django's own 404 and 405 pages."""

    def process(self, request):
        return _json_error(request, self.get_response(request))

    async def aprocess(self, request):
        return _json_error(request, await self.get_response(request))


def _json_error(request, response):
    if (
        request.path.startswith(API_PREFIX)
        and response.status_code in _MESSAGES
        and not response.get("Content-Type", "").startswith("application/json")
    ):
        code, message = _MESSAGES[response.status_code]
        body = {"error": {"code": code, "message": message, "field": None}}
        replacement = HttpResponse(
            json.dumps(body), status=response.status_code, content_type="application/json"
        )
        if response.has_header("Allow"):
            replacement["Allow"] = response["Allow"]
        return replacement
    return response


class StaticFilesMiddleware(HybridMiddleware, WhiteNoiseMiddleware):
    """WhiteNoise's static files, async-capable: other requests pass straight through to the
    async chain, and a static file is opened in a worker thread."""

    def __init__(self, get_response=None, **kwargs):
        WhiteNoiseMiddleware.__init__(self, get_response, **kwargs)
        HybridMiddleware.__init__(self, get_response)

    def process(self, request):
        return WhiteNoiseMiddleware.__call__(self, request)

    async def aprocess(self, request):
        # Without autorefresh (DEBUG off) this is a lookup in a dict built at start-up.
        path = request.path_info
        static_file = self.find_file(path) if self.autorefresh else self.files.get(path)
        if static_file is not None:
            return await sync_to_async(self.serve, thread_sensitive=False)(static_file, request)
        return await self.get_response(request)
