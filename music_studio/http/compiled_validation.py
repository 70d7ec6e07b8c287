"""Contract validation compiled once per schema, plugged in through Connexion's `validator_map`.

Connexion 3.3 builds a new jsonschema validator for every response body and deep-copies each
parameter's schema into a new validator on every request. Here every schema is compiled once,
with the Rust validator `jsonschema_rs` (JSON Schema Draft 4, formats checked), and kept for
the life of the process. Semantics are Connexion's:

- OpenAPI 3.0 `nullable: true` admits `null` for `type` and `enum`, exactly what Connexion's
  own Draft 4 extension does; the schema is rewritten to the equivalent type/enum lists.
- A schema this translation does not cover (`writeOnly` in responses, a `$ref` left in place)
  is validated by Connexion's stock validator instead, so nothing is ever validated less.
- A document the compiled validator rejects is re-checked by the stock validator to produce
  Connexion's usual error message; the compiled verdict stands either way (it is never more
  lenient: it checks the same keywords, and formats at least as strictly).
"""

from __future__ import annotations

import copy
import typing as t

import jsonschema_rs
import orjson
from connexion.exceptions import BadRequestProblem, NonConformingResponseBody
from connexion.utils import is_null, is_nullable
from connexion.validators import JSONResponseBodyValidator, ParameterValidator
from connexion.validators.parameter import draft4_format_checker
from jsonschema import Draft4Validator, ValidationError

Check = t.Callable[[t.Any], bool]

_UNSUPPORTED = frozenset({"$ref", "writeOnly", "x-writeOnly", "x-nullable"})


_SCHEMA_MAPS = ("properties", "patternProperties", "definitions")
_SCHEMA_LISTS = ("allOf", "anyOf", "oneOf")
_SCHEMA_ONE = ("not", "additionalProperties", "items", "additionalItems")


def oas30_to_draft4(schema: t.Any) -> t.Any:
    """A copy of an OpenAPI 3.0 schema with `nullable` spelled as Draft 4 type/enum lists.

    Raises ValueError for keywords whose OpenAPI meaning this translation does not cover.
    """
    if not isinstance(schema, dict):
        return schema  # `true`/`false` for additionalProperties
    found = _UNSUPPORTED.intersection(schema)
    if found:
        raise ValueError(f"cannot compile schema with {sorted(found)}")
    out = {key: value for key, value in schema.items() if key != "nullable"}
    for key in _SCHEMA_MAPS:
        if key in out:
            out[key] = {name: oas30_to_draft4(sub) for name, sub in out[key].items()}
    for key in _SCHEMA_LISTS:
        if key in out:
            out[key] = [oas30_to_draft4(sub) for sub in out[key]]
    for key in _SCHEMA_ONE:
        if key in out:
            sub = out[key]
            out[key] = [oas30_to_draft4(s) for s in sub] if isinstance(sub, list) else oas30_to_draft4(sub)
    if schema.get("nullable") is True:
        if "type" in out:
            types = out["type"] if isinstance(out["type"], list) else [out["type"]]
            out["type"] = types if "null" in types else [*types, "null"]
        if "enum" in out and None not in out["enum"]:
            out["enum"] = [*out["enum"], None]
    return out


class _Compiled:
    """One compiled check per schema object (Connexion keeps its schemas alive for the app's life)."""

    def __init__(self) -> None:
        self._checks: dict[int, tuple[t.Any, Check | None]] = {}

    def get(self, schema: t.Any) -> Check | None:
        entry = self._checks.get(id(schema))
        if entry is not None and entry[0] is schema:
            return entry[1]
        try:
            check: Check | None = jsonschema_rs.Draft4Validator(oas30_to_draft4(schema), validate_formats=True).is_valid
        except (ValueError, jsonschema_rs.ValidationError):
            check = None
        self._checks[id(schema)] = (schema, check)
        return check


_responses = _Compiled()
_parameters = _Compiled()


class CompiledJSONResponseBodyValidator(JSONResponseBodyValidator):  # type: ignore[misc]
    def _parse(self, stream: t.Generator[bytes, None, None]) -> t.Any:
        body = b"".join(stream)
        if not body:
            return None
        try:
            return orjson.loads(body)
        except orjson.JSONDecodeError as error:
            raise NonConformingResponseBody(str(error)) from None

    def _validate(self, body: t.Any) -> None:
        check = _responses.get(self._schema)
        if check is not None and check(body):
            return
        super()._validate(body)  # Connexion's own message (or its verdict where we did not compile)
        if check is not None:
            raise NonConformingResponseBody(detail="Response body does not conform to specification.")


def only_string_path_parameters(parameters: t.Iterable[dict[str, t.Any]]) -> bool:
    """Whether every parameter is a string in the path whose routed value is its value as given.

    Connexion coerces non-string types, splits arrays and renames `-` to `_` when routing; a
    string path parameter goes from the route to validation and to the handler untouched.
    """
    for param in parameters:
        schema = param.get("schema", param)
        if param.get("in") != "path" or schema.get("type") != "string" or "-" in param["name"]:
            return False
    return True


class CompiledParameterValidator(ParameterValidator):  # type: ignore[misc]
    """Connexion's ParameterValidator with compiled schemas, and a direct path for path-only operations.

    Connexion's `validate(scope)` builds a ConnexionRequest and resolves the query string and
    path through the URI parser (a dict of every parameter's schema rebuilt per lookup). For an
    operation whose parameters are all string path parameters and a request with no query
    string, that resolution is the identity: there is nothing in the query to refuse or check,
    and a string path value is not coerced. Such requests check each routed value directly;
    every other request takes Connexion's path.
    """

    def __init__(self, parameters: t.Any, *args: t.Any, **kwargs: t.Any) -> None:
        super().__init__(parameters, *args, **kwargs)
        self._path_only = list(parameters) if only_string_path_parameters(parameters) else None

    def validate(self, scope: t.MutableMapping[str, t.Any]) -> None:
        if self._path_only is None or scope.get("query_string"):
            super().validate(scope)
            return
        routed = scope.get("path_params", {})
        for param in self._path_only:
            error = self.validate_parameter("path", routed.get(param["name"]), param)
            if error:
                raise BadRequestProblem(detail=error)

    @staticmethod
    def validate_parameter(
        parameter_type: str, value: t.Any, param: dict[str, t.Any], param_name: str | None = None
    ) -> str | None:
        if value is not None and not (is_nullable(param) and is_null(value)):
            schema = param.get("schema", param)
            check = _parameters.get(schema)
            if check is not None and check(value):
                return None
            try:
                Draft4Validator(copy.deepcopy(schema), format_checker=draft4_format_checker).validate(value)
            except ValidationError as exception:
                return str(exception)
            if check is not None:
                return f"{value!r} is not valid under the schema of {parameter_type} parameter {param['name']!r}"
            return None
        return ParameterValidator.validate_parameter(parameter_type, value, param, param_name)  # type: ignore[no-any-return]
