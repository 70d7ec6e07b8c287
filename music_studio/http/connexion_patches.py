"""The only place that patches Connexion internals: per-request work Connexion 3.3.0 redoes.

Pinned to Connexion 3.3.0: `apply()` refuses (raises `RuntimeError`) on any other version, and
tests/unit/test_connexion_patches.py fails if an upgrade moves what is patched. On an upgrade,
re-read the patched methods (listed below) in the new version; drop a patch if the version fixed it.

What Connexion 3.3.0 does on every request, and what is patched (figures: docs/performance.md,
from bench/http.py and bench/levers.py). The fast paths (7-9) are decided per operation on its
first request and answer as Connexion's own code would: tests/unit/test_connexion_fast_paths.py
serves a contract both ways and compares, and tests/unit/test_connexion_patches.py fails if GET
job stops taking one.

1. `connexion.utils.inspect_function_arguments(fn)` runs `inspect.signature()`: three times per
   request (twice from the security handler's `_accepts_kwarg`, once from the parameter
   decorator). Functions do not change signature, so the answer is cached per function.
2. `AsyncOperation.fn` is a property that builds a new `StarletteDecorator` on every request,
   and `ASGIDecorator.__call__`'s wrapper runs `self.decorate(function)` (building the
   parameter and response decorators) on every request. The decorated function depends only on
   the operation, so it is built once per operation. The request itself (`get_request`, URI
   parsing, parameters, response serialisation) still runs per request, unchanged.

3. The URI parser (`operation.uri_parser_class(parameters, body_definition)`) is built per
   request twice: by the request-validation middleware and by the parameter decorator; the
   request-validation middleware also builds a new `ParameterValidator` per request. Both hold
   only the operation's definitions (no per-request state), so they are built once per operation.
4. The response-validation middleware rebuilds, per response, a `MediaTypeDict` of the
   operation's `produces`, looks the response definition up twice and computes the required
   headers. Those depend only on (operation, status, mime type) and are memoised per operation;
   the body validator itself still runs on every response, unchanged.
5. The parameter decorator maps every parameter name to a Python name with `sanitized` (three
   `re.sub` per name, about 15 calls per request); the mapping is a pure function of the name, so
   it is memoised (bounded: with strict validation only names from the contract get this far).
6. `connexion.utils.extract_content_type` builds a `typing.Collection[typing.Tuple[...]]` alias
   on every call (three calls per request); the replacement is the same loop without it.
7. `AsyncOperation.__call__` runs the handler through the parameter decorator (a
   `ConnexionRequest`, form/files parsing even for a GET, query and body lookups, coercion) and
   the response decorator. For an operation whose handler is `async def`, which has no request
   body and whose only parameters are string path parameters (GET job), the arguments are bound
   directly: the path parameters as routed (already validated by the request-validation
   middleware, and a string needs no coercion) plus the security context, exactly the arguments
   the decorator would pass. A `(dict, status, headers)` answer whose Content-Type is a JSON type
   the operation produces becomes the Response Connexion's response decorator would build (the
   jsonified body, the headers as given); any other answer goes through that decorator.
   Any other operation keeps Connexion's decorators unchanged.
8. `SwaggerUIMiddleware` runs every request through its Starlette router (the spec and UI
   routes, a static mount, then the trailing-slash retry) before handing it on. Its routes are
   fixed paths with no parameters, so a request whose path (with or without a trailing slash)
   is none of them and lies under no mount is handed on directly, as the router's default would
   (a copy of the scope taken before routing). If a route with parameters ever appears, every
   request goes through the router again.
9. `SecurityOperation.__call__` wraps the request in a `ConnexionRequest` and runs the generic
   verification chain (a list of alternatives, each a dict of schemes, each wrapped twice, the
   user function's signature inspected twice). For an operation whose security is exactly one
   API key in a header, checked by Connexion's own `ApiKeySecurityHandler` with a function that
   takes no `request`, a request that carries the header calls that function directly with what
   the chain would pass (the key, and `required_scopes` if accepted) and stores the same context
   (`user`, `token_info`). Its exceptions propagate as the chain would re-raise them; `None` is
   the chain's 401 "Provided apikey is not valid". A request without the header, and every other
   security set-up, runs Connexion's chain.

All caches are keyed by objects that live as long as the app (handler functions, operations) or
by names from the contract.
"""

from __future__ import annotations

import asyncio
import functools
import importlib.metadata
import inspect
import typing as t

import connexion.decorators.parameter
import connexion.middleware.main
import connexion.security
import connexion.utils
from connexion import utils
from connexion.apps.asynchronous import AsyncOperation
from connexion.context import _context, _operation, receive, scope
from connexion.datastructures import MediaTypeDict
from connexion.decorators.main import ASGIDecorator, StarletteDecorator
from connexion.decorators.parameter import CONTEXT_NAME, unwrap_decorators
from connexion.decorators.response import AsyncResponseDecorator
from connexion.exceptions import NonConformingResponseHeaders, OAuthProblem, OAuthResponseProblem
from connexion.frameworks.starlette import Starlette as StarletteFramework
from connexion.middleware.request_validation import RequestValidationOperation
from connexion.middleware.response_validation import ResponseValidationOperation
from connexion.middleware.security import SecurityOperation
from connexion.middleware.swagger_ui import SwaggerUIMiddleware
from connexion.security import NO_VALUE, ApiKeySecurityHandler
from starlette._utils import get_route_path
from starlette.responses import Response as StarletteResponse
from starlette.routing import BaseRoute, Mount, Route, Router
from starlette.types import Receive, Scope, Send

from music_studio.http.compiled_validation import only_string_path_parameters

CONNEXION_VERSION = "3.3.0"
# Connexion's own versions of what is replaced below (tests compare against them).
_EXTRACT_CONTENT_TYPE = connexion.utils.extract_content_type
_SWAGGER_UI_CALL = SwaggerUIMiddleware.__call__
_SECURITY_CALL = SecurityOperation.__call__
_INSPECT_USERS = (connexion.utils, connexion.security, connexion.decorators.parameter, connexion.middleware.main)
_applied = False
_parameter_module = connexion.decorators.parameter


def _version() -> str:
    return importlib.metadata.version("connexion")


def apply() -> None:
    """Apply the patches once; raise RuntimeError on a Connexion other than 3.3.0."""
    global _applied
    if _applied:
        return
    found = _version()
    if found != CONNEXION_VERSION:
        raise RuntimeError(
            f"music_studio.http.connexion_patches is written for Connexion {CONNEXION_VERSION}, found {found}: "
            "re-check the patched internals (see the module docstring) before changing the pin"
        )
    original = connexion.utils.inspect_function_arguments
    cached = functools.lru_cache(maxsize=1024)(original)
    for module in _INSPECT_USERS:
        if getattr(module, "inspect_function_arguments", None) is not original:
            raise RuntimeError(f"{module.__name__}.inspect_function_arguments is not Connexion's: cannot patch")
        module.inspect_function_arguments = cached
    if not isinstance(AsyncOperation.__dict__.get("fn"), property):
        raise RuntimeError("connexion AsyncOperation.fn is no longer a property: cannot patch")
    AsyncOperation.fn = property(_operation_fn)
    AsyncOperation.__call__ = _operation_call
    if connexion.utils.extract_content_type.__code__.co_argcount != 1:
        raise RuntimeError("connexion.utils.extract_content_type changed its signature: cannot patch")
    connexion.utils.extract_content_type = _extract_content_type
    SwaggerUIMiddleware.__call__ = _swagger_ui_call
    SecurityOperation.__call__ = _security_call
    ASGIDecorator.__call__ = _decorator_call
    RequestValidationOperation.__call__ = _request_validation_call
    ResponseValidationOperation.__call__ = _response_validation_call
    for name in ("sanitized", "pythonic"):  # `pythonic` calls the module's `sanitized`: both cached
        setattr(_parameter_module, name, functools.lru_cache(maxsize=1024)(getattr(_parameter_module, name)))
    _applied = True


T = t.TypeVar("T")


def _kept(owner: t.Any, name: str, make: t.Callable[[t.Any], T]) -> T:
    """make(owner), worked out on first use and kept on the object (None included): a per-operation plan."""
    plans = owner.__dict__
    if name not in plans:
        plans[name] = make(owner)
    kept: T = plans[name]
    return kept


def _decorated(self: AsyncOperation) -> t.Callable[..., t.Any]:
    decorator = StarletteDecorator(pythonic_params=self.pythonic_params, jsonifier=self.jsonifier)
    return decorator(self._fn)  # type: ignore[no-any-return]


def _operation_fn(self: AsyncOperation) -> t.Callable[..., t.Any]:
    """AsyncOperation.fn, built once per operation instead of once per request."""
    return _kept(self, "_music_studio_fn", _decorated)


def _decorator_call(self: ASGIDecorator, function: t.Callable[..., t.Any]) -> t.Callable[..., t.Any]:
    """ASGIDecorator.__call__ with `self.decorate(function)` run on the first request only."""
    decorated: t.Callable[..., t.Any] | None = None
    uri_parser: t.Any = None

    @functools.wraps(function)
    async def wrapper(*args: t.Any, **kwargs: t.Any) -> t.Any:
        nonlocal decorated, uri_parser
        if uri_parser is None:  # the operation's (this wrapper serves one operation, see _operation_fn)
            uri_parser = self.uri_parser
        request = self.framework.get_request(uri_parser=uri_parser, scope=scope, receive=receive)
        if decorated is None:
            decorated = self.decorate(function)
        return await decorated(request)

    return wrapper


def _request_validators(self: RequestValidationOperation) -> tuple[t.Any, t.Any]:
    """The operation's URI parser and parameter validator (they hold no per-request state)."""
    uri_parser = self._operation._uri_parser_class(self._operation.parameters, self._operation.body_definition())
    parameter_validator = self._validator_map["parameter"](
        self._operation.parameters,
        uri_parser=uri_parser,
        strict_validation=self.strict_validation,
        security_query_params=self.security_query_params,
    )
    return uri_parser, parameter_validator


async def _request_validation_call(
    self: RequestValidationOperation, scope: Scope, receive: Receive, send: Send
) -> None:
    """RequestValidationOperation.__call__ of 3.3.0 with the URI parser and parameter validator built once."""
    _kept(self, "_music_studio_validators", _request_validators)[1].validate(scope)

    # From here on, Connexion 3.3.0's code unchanged (content type, then the body if the operation has one).
    headers = scope["headers"]
    mime_type, encoding = self.extract_content_type(headers)
    self.validate_mime_type(mime_type)
    schema = self._operation.body_schema(mime_type)
    if schema:
        try:
            body_validator = self._validator_map["body"][mime_type]
        except KeyError:
            pass  # Connexion logs "Skipping validation" at INFO and goes on
        else:
            validator = body_validator(
                schema=schema,
                required=self._operation.request_body.get("required", False),
                nullable=utils.is_nullable(self._operation.body_definition(mime_type)),
                encoding=encoding,
                strict_validation=self.strict_validation,
                uri_parser=self._operation.uri_parser_class(
                    self._operation.parameters, self._operation.body_definition()
                ),
            )
            receive, scope = await validator.wrap_receive(receive, scope=scope)
    await self.next_app(scope, receive, send)


class _ResponsePlan(t.NamedTuple):
    required_headers: frozenset[str]
    validator: t.Any  # the body validator class, or None when none is registered for the mime type
    schema: t.Any
    nullable: bool


def _response_plan(self: ResponseValidationOperation, status: str, mime_type: str) -> _ResponsePlan:
    plans: dict[tuple[str, str], _ResponsePlan] = self.__dict__.setdefault("_music_studio_plans", {})
    plan = plans.get((status, mime_type))
    if plan is None:
        definition = self._operation.response_definition(status, mime_type)
        required = frozenset(k.lower() for k, v in definition.get("headers", {}).items() if v.get("required", False))
        try:
            validator = self._validator_map["response"][mime_type]
        except KeyError:
            validator = None
        schema = self._operation.response_schema(status, mime_type) if validator is not None else None
        plan = plans[(status, mime_type)] = _ResponsePlan(required, validator, schema, utils.is_nullable(definition))
    return plan


def _produced(self: ResponseValidationOperation) -> MediaTypeDict:
    return MediaTypeDict([(p.lower(), None) for p in self._operation.produces])


def _validate_produced(self: ResponseValidationOperation, mime_type: str) -> None:
    """validate_mime_type of 3.3.0 with the MediaTypeDict of `produces` built once."""
    produces = self._operation.produces
    if not produces:
        return
    if mime_type.lower() not in _kept(self, "_music_studio_produces", _produced):
        raise NonConformingResponseHeaders(detail=f"Invalid Response Content-type ({mime_type}), expected {produces}")


async def _response_validation_call(
    self: ResponseValidationOperation, scope: Scope, receive: Receive, send: Send
) -> None:
    """ResponseValidationOperation.__call__ of 3.3.0 with per-(status, mime type) lookups memoised."""

    async def wrapped_send(message: t.MutableMapping[str, t.Any]) -> None:
        nonlocal send
        if message["type"] == "http.response.start":
            headers = message["headers"]
            mime_type, encoding = self.extract_content_type(headers)
            if message["status"] < 400:
                _validate_produced(self, mime_type)
            plan = _response_plan(self, str(message["status"]), mime_type)
            if plan.required_headers:
                present = {name.decode("latin-1").lower() for name, _ in headers}
                missing = plan.required_headers - present
                if missing:
                    raise NonConformingResponseHeaders(
                        detail="Keys in response header don't match response specification. "
                        f"Difference: {', '.join(missing)}"
                    )
            if plan.validator is not None:
                validator = plan.validator(scope, schema=plan.schema, nullable=plan.nullable, encoding=encoding)
                send = validator.wrap_send(send)
        await send(message)

    await self.next_app(scope, receive, wrapped_send)


def _extract_content_type(headers: t.Any) -> str | None:
    """connexion.utils.extract_content_type of 3.3.0 without the typing alias built per call."""
    for key, value in headers.items() if isinstance(headers, dict) else headers:
        name = key.decode("latin-1") if isinstance(key, bytes) else key
        if name.lower() == "content-type":
            return value.decode("latin-1") if isinstance(value, bytes) else t.cast(str, value)
    return None


class _DirectCall:
    """An async handler called with the arguments Connexion's parameter decorator would bind.

    Only for operations with no request body whose parameters are all string path parameters
    (see `_direct_call_for`): the parameter decorator would pass each path parameter as routed
    (strings are not coerced) and, from the security context, the keys the handler accepts.
    """

    def __init__(self, operation: AsyncOperation, path_names: dict[str, str], produces: t.Sequence[str]) -> None:
        function = operation._fn
        self.function = function
        self.path_names = path_names  # routed name -> argument name
        arguments, self.has_kwargs = connexion.utils.inspect_function_arguments(unwrap_decorators(function))
        self.arguments = frozenset(arguments)
        self.respond = AsyncResponseDecorator(framework=StarletteFramework, jsonifier=operation.jsonifier)
        self.jsonifier = operation.jsonifier
        self.json_produces = frozenset(m for m in produces if utils.is_json_mimetype(utils.split_content_type(m)[0]))

    async def __call__(self, scope: Scope) -> t.Any:
        routed = scope.get("path_params", {})
        kwargs = {argument: routed[name] for name, argument in self.path_names.items()}
        context = _context.get()
        for key, value in context.items():
            if self.has_kwargs or key in self.arguments:
                kwargs[key] = value
        if CONTEXT_NAME in self.arguments:
            kwargs[CONTEXT_NAME] = context
        handler_response = await self.function(**kwargs)
        if StarletteFramework.is_framework_response(handler_response):
            return handler_response
        if type(handler_response) is tuple and len(handler_response) == 3:
            data, status, headers = handler_response
            content_type = headers.get("Content-Type") if type(headers) is dict else None
            if type(data) is dict and type(status) is int and content_type in self.json_produces:
                # What build_framework_response makes of (dict, status, headers naming a JSON type
                # the operation produces): the jsonified text with the headers as given.
                return StarletteResponse(
                    self.jsonifier.dumps(data), status_code=status, media_type=content_type, headers=headers
                )
        return self.respond.build_framework_response(handler_response)


def _direct_call_for(operation: AsyncOperation) -> _DirectCall | None:
    """A _DirectCall when the operation qualifies (see the module docstring, 7), else None."""
    spec = _operation.get()
    if not inspect.iscoroutinefunction(unwrap_decorators(operation._fn)) or spec.request_body:
        return None
    if not only_string_path_parameters(spec.parameters):
        return None
    to_argument = _parameter_module.pythonic if operation.pythonic_params else _parameter_module.sanitized
    names = {parameter["name"]: to_argument(parameter["name"]) for parameter in spec.parameters}
    return _DirectCall(operation, names, spec.produces)


async def _operation_call(self: AsyncOperation, scope: Scope, receive: Receive, send: Send) -> None:
    """AsyncOperation.__call__ of 3.3.0, with arguments bound directly where that is exact."""
    direct = _kept(self, "_music_studio_direct", _direct_call_for)
    response = await (direct(scope) if direct is not None else self.fn())
    await response(scope, receive, send)


class _FixedPaths(t.NamedTuple):
    exact: frozenset[str]
    prefixes: tuple[str, ...]

    def may_match(self, path: str) -> bool:
        """Whether the router could match this path, directly or by its trailing-slash redirect."""
        if path in self.exact or path.rstrip("/") in self.exact or path + "/" in self.exact:
            return True
        return any(path.startswith(prefix) for prefix in self.prefixes)


def _fixed_paths(routes: t.Sequence[BaseRoute], prefix: str = "") -> _FixedPaths | None:
    """The full paths of parameterless routes and mounts, or None if any route has parameters."""
    exact: set[str] = set()
    prefixes: list[str] = []
    for route in routes:
        if not isinstance(route, Mount | Route) or "{" in route.path:
            return None
        if isinstance(route, Route):
            exact.add(prefix + route.path)
        elif isinstance(route.app, Router):
            inner = _fixed_paths(route.app.routes, prefix + route.path)
            if inner is None:
                return None
            exact |= inner.exact
            prefixes += inner.prefixes
        else:
            prefixes.append(prefix + route.path)
    return _FixedPaths(frozenset(exact), tuple(prefixes))


def _swagger_paths(self: SwaggerUIMiddleware) -> _FixedPaths | None:
    return _fixed_paths(self.router.routes)  # every route is added before the first request


async def _swagger_ui_call(self: SwaggerUIMiddleware, scope: Scope, receive: Receive, send: Send) -> None:
    """SwaggerUIMiddleware.__call__ of 3.3.0, routing only requests its routes could match."""
    if scope["type"] == "http":
        paths = _kept(self, "_music_studio_paths", _swagger_paths)
        if paths is not None and not paths.may_match(get_route_path(scope)):
            original = dict(scope)
            scope.setdefault("router", self.router)
            await self.app(original, receive, send)
            return
    await _SWAGGER_UI_CALL(self, scope, receive, send)


class _HeaderKeyCheck(t.NamedTuple):
    header: bytes  # lower-case, as in the ASGI scope
    function: t.Callable[..., t.Any]
    scopes: dict[str, t.Any]  # {"required_scopes": [...]} when the function accepts it, else {}


def _header_key_check(operation: SecurityOperation) -> _HeaderKeyCheck | None:
    """The direct check for an operation secured by one header API key (module docstring, 9), else None."""
    factory = operation.security_handler_factory
    if not operation.security or len(operation.security) != 1 or len(operation.security[0]) != 1:
        return None
    ((name, required_scopes),) = operation.security[0].items()
    scheme = operation.security_schemes.get(name) or {}
    if scheme.get("type") != "apiKey" or scheme.get("in") != "header":
        return None
    if factory.security_handlers.get("apiKey") is not ApiKeySecurityHandler:
        return None
    handler = ApiKeySecurityHandler()
    function = handler._resolve_func(scheme)
    if function is None or handler._accepts_kwarg(function, handler.request_kw):
        return None
    scopes = (
        {handler.required_scopes_kw: required_scopes}
        if handler._accepts_kwarg(function, handler.required_scopes_kw)
        else {}
    )
    return _HeaderKeyCheck(scheme["name"].lower().encode("latin-1"), function, scopes)


async def _security_call(self: SecurityOperation, scope: Scope, receive: Receive, send: Send) -> None:
    """SecurityOperation.__call__ of 3.3.0, checking a lone header API key directly (module docstring, 9)."""
    check = _kept(self, "_music_studio_check", _header_key_check)
    key = None
    if check is not None:
        for name, value in scope["headers"]:
            if name == check.header:
                key = value.decode("latin-1")
                break
    if check is None or key is None:
        await _SECURITY_CALL(self, scope, receive, send)
        return
    token_info = check.function(key, **check.scopes)
    while asyncio.iscoroutine(token_info):
        token_info = await token_info
    if token_info is NO_VALUE:
        raise OAuthProblem(detail="No authorization token provided")
    if token_info is None:
        raise OAuthResponseProblem(detail="Provided apikey is not valid")
    context = scope.setdefault("extensions", {}).setdefault("connexion_context", {})
    context.update({"user": token_info.get("sub", token_info.get("uid")), "token_info": token_info})
    await self.next_app(scope, receive, send)
