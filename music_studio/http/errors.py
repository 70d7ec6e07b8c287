"""Render every failure, ours or Connexion's or Starlette's, as the platform's error envelope."""

from __future__ import annotations

import logging
from typing import Any

import orjson
from connexion.exceptions import (
    BadRequestProblem,
    NonConformingResponse,
    ProblemException,
    UnsupportedMediaTypeProblem,
)
from connexion.lifecycle import ConnexionRequest, ConnexionResponse
from starlette.exceptions import HTTPException

from music_studio import errors
from music_studio.http.middleware import trace_id_var
from music_studio.http.routes import allowed_methods

logger = logging.getLogger("music_studio.errors")

_BY_STATUS: dict[int, type[errors.ApiError]] = {
    400: errors.MalformedRequest,
    401: errors.AuthenticationRequired,
    404: errors.NotFound,
    405: errors.MethodNotAllowed,
    413: errors.PayloadTooLarge,
    415: errors.UnsupportedMediaType,
    403: errors.Forbidden,
    416: errors.RangeNotSatisfiable,
    422: errors.ValidationFailed,
}


def render(error: errors.ApiError) -> ConnexionResponse:
    headers = dict(error.headers)
    return ConnexionResponse(
        status_code=error.status,
        content_type="application/json",
        body=orjson.dumps(errors.envelope(error, trace_id_var.get())),
        headers=headers,
    )


def _generic(status: int, detail: str, headers: dict[str, str] | None = None) -> errors.ApiError:
    cls = _BY_STATUS.get(status, errors.ApiError)
    if cls is errors.ValidationFailed:
        return errors.ValidationFailed(None, _clip(detail), headers=headers)
    error = cls(_clip(detail) if status < 500 else None, headers=headers)
    if status >= 500 or cls is errors.ApiError:
        error.status = status if status >= 400 else 500
    return error


def _clip(text: str, limit: int = 300) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def handle_api_error(_request: ConnexionRequest, exc: Exception) -> ConnexionResponse:
    assert isinstance(exc, errors.ApiError)
    return render(exc)


def _allow_headers(request: ConnexionRequest, status: int) -> dict[str, str]:
    allow = allowed_methods().for_path(request.url.path) if status == 405 else None
    return {"Allow": allow} if allow else {}


def handle_problem(request: ConnexionRequest, exc: Exception) -> ConnexionResponse:
    assert isinstance(exc, ProblemException)
    headers = _allow_headers(request, exc.status or 500)
    if isinstance(exc, NonConformingResponse):
        logger.error("response did not conform to the contract: %s", exc.detail)
        return render(errors.ApiError())
    if isinstance(exc, UnsupportedMediaTypeProblem):
        return render(errors.UnsupportedMediaType(_clip(str(exc.detail))))
    if exc.status == 401:
        # One body for missing, unknown and revoked keys: nothing to tell them apart.
        return render(errors.AuthenticationRequired("Missing or invalid API key"))
    if isinstance(exc, BadRequestProblem):
        return render(errors.ValidationFailed(None, _clip(str(exc.detail))))
    return render(_generic(exc.status or 500, str(exc.detail or exc.title), headers))


def handle_http_exception(request: ConnexionRequest, exc: Exception) -> ConnexionResponse:
    assert isinstance(exc, HTTPException)
    headers = _allow_headers(request, exc.status_code)
    if exc.status_code == 401:
        return render(errors.AuthenticationRequired("Missing or invalid API key"))
    return render(_generic(exc.status_code, str(exc.detail), headers))


def handle_unicode_error(_request: ConnexionRequest, _exc: Exception) -> ConnexionResponse:
    return render(errors.MalformedRequest("request is not valid UTF-8"))


def handle_unexpected(_request: ConnexionRequest, exc: Exception) -> ConnexionResponse:
    logger.exception("unhandled error", exc_info=exc)
    return render(errors.ApiError())


HANDLERS: list[tuple[Any, Any]] = [
    (errors.ApiError, handle_api_error),
    (NonConformingResponse, handle_problem),
    (ProblemException, handle_problem),
    (HTTPException, handle_http_exception),
    (UnicodeDecodeError, handle_unicode_error),
    (Exception, handle_unexpected),
]
