"""Domain exceptions and the platform's error envelope.

The domain raises these without knowing about HTTP; the app maps each to a status through
`ApiError.status` and renders `envelope()`.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any


class ApiError(Exception):
    """Base for every error that reaches a client; subclasses fix status and code."""

    status = 500
    code = "INTERNAL_ERROR"
    message = "Something went wrong on our side. Please try again later."

    def __init__(
        self,
        system_message: str | None = None,
        *,
        message: str | None = None,
        details: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(system_message or self.message)
        self.system_message = system_message or self.message
        if message is not None:
            self.message = message
        self.details = details or {}
        self.headers = headers or {}


class MalformedRequest(ApiError):
    status, code = 400, "INVALID_REQUEST"
    message = "The request could not be read."


class AuthenticationRequired(ApiError):
    status, code = 401, "AUTHENTICATION_REQUIRED"
    message = "Authentication required. Please provide a valid API key."


class OrganizationAccessDenied(ApiError):
    status, code = 403, "ORGANIZATION_ACCESS_DENIED"
    message = "You don't have access to this organization."


class Forbidden(ApiError):
    status, code = 403, "FORBIDDEN"
    message = "You are not allowed to do this."


class SignatureInvalid(ApiError):
    status, code = 403, "SIGNATURE_INVALID"
    message = "The media URL signature is not valid."


class SignatureExpired(ApiError):
    status, code = 403, "SIGNATURE_EXPIRED"
    message = "The media URL has expired. Fetch the job or track again for a fresh URL."


class NotFound(ApiError):
    status, code = 404, "NOT_FOUND"
    message = "The requested resource was not found."


class MethodNotAllowed(ApiError):
    status, code = 405, "METHOD_NOT_ALLOWED"
    message = "This method is not allowed on this resource."


class PayloadTooLarge(ApiError):
    status, code = 413, "PAYLOAD_TOO_LARGE"
    message = "The request body is too large."


class UnsupportedMediaType(ApiError):
    status, code = 415, "UNSUPPORTED_MEDIA_TYPE"
    message = "The request body must be JSON (Content-Type: application/json)."


class RangeNotSatisfiable(ApiError):
    status, code = 416, "RANGE_NOT_SATISFIABLE"
    message = "The requested byte range is not satisfiable."


class ValidationFailed(ApiError):
    status, code = 422, "VALIDATION_ERROR"
    message = "The request is invalid."

    def __init__(self, field: str | None, reason: str, **kwargs: Any) -> None:
        details = {"field": field, "reason": reason} if field else {"reason": reason}
        super().__init__(reason, message=f"Invalid {field}: {reason}" if field else reason, details=details, **kwargs)


class IdempotencyKeyReused(ApiError):
    status, code = 422, "IDEMPOTENCY_KEY_REUSED"
    message = "This Idempotency-Key was already used with a different request body."


class RateLimited(ApiError):
    status, code = 429, "RATE_LIMITED"
    message = "Too many requests. Slow down and retry after the number of seconds in Retry-After."


class ServiceUnavailable(ApiError):
    status, code = 503, "SERVICE_UNAVAILABLE"
    message = "The service is not ready."


def envelope(error: ApiError, trace_id: str) -> dict[str, Any]:
    return {
        "success": False,
        "error": {
            "code": error.code,
            "message": error.message,
            "system_message": error.system_message,
            "type": "client_error" if error.status < 500 else "server_error",
            "status": error.status,
            "details": error.details,
            "trace_id": trace_id,
            "timestamp": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        },
    }
