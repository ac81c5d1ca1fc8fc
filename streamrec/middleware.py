"""Refuse a request body larger than any form or upload of the site before anything reads it; send the
Permissions-Policy header (Django sends Referrer-Policy, django-csp the Content-Security-Policy)."""
from django.conf import settings
from django.http import HttpResponse, JsonResponse
from django.template import loader


class RequestBodyLimitMiddleware:
    """413 for a declared ``Content-Length`` above ``REQUEST_BODY_MAX_BYTES``.

    Django's own limits apply once a view parses the body, after the CSRF check has already spooled
    an upload to a temporary file; this answers from the header alone. It renders without the
    request context: a refusal needs no session or database."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        limit = settings.REQUEST_BODY_MAX_BYTES
        if length > limit:
            detail = f"The request body is {length} bytes; at most {limit} are accepted."
            if request.path.startswith("/api/"):
                return JsonResponse({"status": 413, "code": "request_too_large", "detail": detail}, status=413)
            return HttpResponse(loader.render_to_string("413.html", {"detail": detail}), status=413)
        return self.get_response(request)


class PermissionsPolicyMiddleware:
    """``Permissions-Policy`` from the setting of that name on every response."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response.setdefault("Permissions-Policy", settings.PERMISSIONS_POLICY)
        return response
