"""Error handlers that must work while the database is down."""
import sys

from django.db import InterfaceError, OperationalError
from django.http import HttpResponse, JsonResponse
from django.template import loader


def server_error(request):
    """500 handler. A database outage answers 503 with a retry hint; API paths answer JSON.

    Renders without the request context: context processors would query the failing database.
    """
    error = sys.exc_info()[1]
    unavailable = isinstance(error, (OperationalError, InterfaceError))
    status = 503 if unavailable else 500
    headers = {"Retry-After": "30"} if unavailable else {}
    if request.path.startswith("/api/"):
        detail = "The service is temporarily unavailable; retry shortly." if unavailable else "Internal server error."
        code = "service_unavailable" if unavailable else "server_error"
        return JsonResponse({"detail": detail, "code": code}, status=status, headers=headers)
    return HttpResponse(loader.render_to_string(f"{status}.html"), status=status, headers=headers)
