"""Every response under ``/api/`` is JSON, including Django's own 404 and 405 pages."""

import json

from django.http import HttpResponse

API_PREFIX = "/api/"
_MESSAGES = {404: ("not_found", "Not found."), 405: ("method_not_allowed", "Method not allowed.")}


class ApiJsonErrorsMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
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
