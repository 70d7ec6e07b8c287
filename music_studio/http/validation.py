"""Request body validation: malformed JSON is a 400, a schema violation a 422 naming the field."""

from __future__ import annotations

import typing as t

import orjson
from connexion.datastructures import MediaTypeDict
from connexion.validators import VALIDATOR_MAP, JSONRequestBodyValidator
from jsonschema import ValidationError
from starlette.types import Scope

from music_studio.errors import MalformedRequest, ValidationFailed
from music_studio.http.compiled_validation import CompiledJSONResponseBodyValidator, CompiledParameterValidator


class StrictJSONBodyValidator(JSONRequestBodyValidator):  # type: ignore[misc]
    async def _parse(self, stream: t.AsyncGenerator[bytes, None], scope: Scope) -> t.Any:
        raw = b"".join([message async for message in stream])
        if not raw:
            return None
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
