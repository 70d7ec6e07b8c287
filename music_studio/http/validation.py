"""Request body validation: malformed JSON is a 400, a schema violation a 422 naming the field, no type a 415."""

from __future__ import annotations

import typing as t

import orjson
from connexion.datastructures import MediaTypeDict
from connexion.validators import VALIDATOR_MAP, JSONRequestBodyValidator
from jsonschema import ValidationError
from starlette.types import Message, Receive, Scope

from music_studio.errors import MalformedRequest, UnsupportedMediaType, ValidationFailed
from music_studio.http.compiled_validation import CompiledJSONResponseBodyValidator, CompiledParameterValidator


class StrictJSONBodyValidator(JSONRequestBodyValidator):  # type: ignore[misc]
    async def wrap_receive(self, receive: Receive, *, scope: Scope) -> tuple[Receive, Scope]:
        headers = dict(scope["headers"])
        if b"content-length" not in headers and b"transfer-encoding" in headers:
            # Connexion takes a body without Content-Length for no body at all, so a chunked
            # JSON body would be a 422 "RequestBody is required". Buffer it (BodyLimitMiddleware
            # bounds it) and give it its length.
            messages: list[Message] = []
            more_body = True
            while more_body:
                message = await receive()
                messages.append(message)
                more_body = message.get("more_body", False)
            length = sum(len(message.get("body", b"")) for message in messages)
            scope["headers"] = [(name, value) for name, value in scope["headers"] if name != b"transfer-encoding"] + [
                (b"content-length", str(length).encode())
            ]
            receive = self._insert_messages(receive, messages=messages)
        wrapped: tuple[Receive, Scope] = await super().wrap_receive(receive, scope=scope)
        return wrapped

    async def _parse(self, stream: t.AsyncGenerator[bytes, None], scope: Scope) -> t.Any:
        raw = b"".join([message async for message in stream])
        if not raw:
            return None
        if not any(name == b"content-type" for name, _ in scope["headers"]):
            # Connexion validates an untyped body as JSON but then hands the handler raw bytes.
            raise UnsupportedMediaType("Content-Type is missing, expected application/json")
        try:
            # orjson rejects invalid UTF-8, NaN/Infinity and nesting deeper than 1024.
            return orjson.loads(raw)
        except orjson.JSONDecodeError:
            raise MalformedRequest("request body is not valid UTF-8 JSON") from None

    def _validate(self, body: t.Any) -> dict[str, t.Any] | None:
        if body is None:
            raise ValidationFailed(None, "request body must not be empty")
        try:
            return self._validator.validate(body)  # type: ignore[no-any-return]
        except ValidationError as error:
            field = ".".join(str(part) for part in error.absolute_path) or None
            reason = error.message if len(error.message) <= 200 else error.message[:199] + "…"
            raise ValidationFailed(field, reason) from None


VALIDATORS: dict[str, t.Any] = {
    **VALIDATOR_MAP,
    "body": MediaTypeDict({"*/*json": StrictJSONBodyValidator}),
    "parameter": CompiledParameterValidator,
    "response": MediaTypeDict(
        {"*/*json": CompiledJSONResponseBodyValidator, "text/plain": VALIDATOR_MAP["response"]["text/plain"]}
    ),
}
