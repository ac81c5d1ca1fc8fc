"""One error format for every 4xx answer of the API.

Every error body is a JSON object with

- ``status``: the HTTP status code, repeated;
- ``code``: a machine-readable code (``invalid``, ``not_authenticated``, ``not_found``, ``throttled``, …);
- ``detail``: one human-readable sentence;
- for validation errors, one key per invalid field (the field's name; nested fields joined with dots,
  e.g. ``items.2.score``; errors not tied to a field under ``non_field_errors``), each a list of messages.

Field keys stay at the top level so clients of the first API version keep working
(``{"score": ["…"]}``).
"""
from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from drf_spectacular.utils import OpenApiResponse, inline_serializer
from rest_framework import exceptions, serializers
from rest_framework.settings import api_settings
from rest_framework.views import exception_handler as drf_exception_handler

RESERVED = {"status", "code", "detail"}


def flatten(errors, prefix: str = "") -> dict[str, list[str]]:
    """DRF's nested error structure as ``{"dotted.field": [messages]}``."""
    flat: dict[str, list[str]] = {}
    if isinstance(errors, dict):
        for key, value in errors.items():
            if key == api_settings.NON_FIELD_ERRORS_KEY and prefix:
                name = prefix  # a list's or a nested object's own error belongs to its field
            else:
                name = f"{prefix}.{key}" if prefix else str(key)
            for sub_key, messages in flatten(value, name).items():
                flat.setdefault(sub_key, []).extend(messages)
    elif isinstance(errors, list):
        if all(not isinstance(item, dict | list) for item in errors):
            flat[prefix or api_settings.NON_FIELD_ERRORS_KEY] = [str(item) for item in errors]
        else:
            for index, item in enumerate(errors):
                if item:
                    for sub_key, messages in flatten(item, f"{prefix}.{index}" if prefix else str(index)).items():
                        flat.setdefault(sub_key, []).extend(messages)
    else:
        flat[prefix or api_settings.NON_FIELD_ERRORS_KEY] = [str(errors)]
    return flat


def first_code(codes) -> str:
    if isinstance(codes, dict):
        for value in codes.values():
            return first_code(value)
        return "invalid"
    if isinstance(codes, list):
        for value in codes:
            return first_code(value)
        return "invalid"
    return str(codes or "invalid")


def error_body(status: int, code: str, detail: str, fields: dict[str, list[str]] | None = None) -> dict:
    body: dict = {"status": status, "code": code, "detail": detail}
    for name, messages in (fields or {}).items():
        body[f"{name}_" if name in RESERVED else name] = messages
    return body


def exception_handler(exc, context):
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(exc.message_dict if hasattr(exc, "error_dict") else {api_settings.NON_FIELD_ERRORS_KEY: exc.messages})
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound(str(exc) if str(exc) else None)
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    status = response.status_code
    if isinstance(exc, exceptions.ValidationError):
        fields = flatten(exc.detail)
        code = first_code(exc.get_codes())
        if list(fields) == [api_settings.NON_FIELD_ERRORS_KEY]:
            detail = fields[api_settings.NON_FIELD_ERRORS_KEY][0]
        else:
            detail = "; ".join(f"{name}: {messages[0]}" for name, messages in fields.items()) or "Invalid input."
        response.data = error_body(status, code, detail, fields)
    elif isinstance(exc, exceptions.APIException):
        codes = exc.get_codes()
        code = codes if isinstance(codes, str) else first_code(codes)
        detail = exc.detail if isinstance(exc.detail, str) else "; ".join(
            f"{k}: {v[0]}" for k, v in flatten(exc.detail).items()
        )
        response.data = error_body(status, code, str(detail))
    return response


# --- Schema: the error object, and the responses every operation documents --------------------------------

ErrorSerializer = inline_serializer(
    name="Error",
    fields={
        "status": serializers.IntegerField(help_text="HTTP status code"),
        "code": serializers.CharField(help_text="machine-readable error code"),
        "detail": serializers.CharField(help_text="human-readable message"),
    },
)


def error(description: str) -> OpenApiResponse:
    return OpenApiResponse(ErrorSerializer, description=description)


THROTTLED = {429: error("Too many requests; retry after the number of seconds in the Retry-After header.")}
UNAUTHENTICATED = {401: error("Authentication credentials were missing or invalid."), **THROTTLED}
INVALID = {400: error("Invalid input: one key per invalid field, each a list of messages.")}
NOT_FOUND = {404: error("Not found.")}


def error_schema_hook(result, generator, request, public):
    """Postprocessing hook: field errors are extra keys of the Error object, each a list of messages."""
    schemas = result.get("components", {}).get("schemas", {})
    if "Error" in schemas:
        schemas["Error"]["additionalProperties"] = {"type": "array", "items": {"type": "string"}}
        error = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
        for item in result.get("paths", {}).values():
            for operation in item.values():
                if isinstance(operation, dict) and "requestBody" in operation:
                    operation["responses"].setdefault(
                        "415", {"content": error, "description": "The body is not JSON, form data or multipart (or is malformed)."}
                    )
    return result
