"""The layers every sandbox request goes through, wired into a Starlette app around the interaction handlers.

Order per request: response format (`_format`/Accept/Content-Type) -> service root `/<ODS>/STU3/1/gpconnect`
-> SSP headers -> interaction (verb, path, Ssp-InteractionID) -> JWT -> request body -> handler. Any
GpcError on the way becomes an OperationOutcome in the negotiated format; every response, error or not,
carries `Cache-Control: no-store`, and large bodies are gzipped when the client accepts it.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable, Mapping

from starlette.applications import Starlette
from starlette.datastructures import MutableHeaders
from starlette.middleware import Middleware
from starlette.middleware.gzip import GZipMiddleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gpsynth.sandbox import observed
from gpsynth.sandbox.context import GpcRequest, GpcResponse, Handler
from gpsynth.sandbox.errors import INTERNAL_SERVER_ERROR, NO_RECORD_FOUND, NOT_IMPLEMENTED, GpcError, operation_outcome
from gpsynth.sandbox.headers import check_ssp_headers
from gpsynth.sandbox.interactions import BY_NAME, resolve
from gpsynth.sandbox.jwt import check_authorization
from gpsynth.sandbox.negotiation import Format, parse_body, response_format, serialise
from gpsynth.sandbox.representation import Prefer, parse_if_match, parse_prefer

log = logging.getLogger(__name__)

# `/<ODS code>/STU3/1/gpconnect`: the Foundations + Appointment Management service root of one practice.
SERVICE_ROOT = re.compile(r"/(?P<ods>[A-Za-z0-9]+)/STU3/1/gpconnect(?=/|$)")
SINGLE_ROOT = "/STU3/1/gpconnect"      # the service root of a store's only practice
_BODY_METHODS = ("POST", "PUT")


class NoStoreMiddleware:
    """ASGI middleware that sets `Cache-Control: no-store` on every HTTP response."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_no_store(message: Message) -> None:
            if message["type"] == "http.response.start":
                MutableHeaders(scope=message)["Cache-Control"] = "no-store"
            await send(message)

        await self.app(scope, receive, send_no_store)


class GpcGateway:
    """ASGI app: checks and parses each request, calls its interaction's handler, renders the result or error."""

    def __init__(self, handlers: Mapping[str, Handler], provider_asid: str, clock: Callable[[], float] = time.time,
                 public_url: str = "http://127.0.0.1:8080"):
        unknown = sorted(set(handlers) - set(BY_NAME))
        if unknown:
            raise ValueError(f"no GP Connect interaction is named {unknown[0]!r}; known: {', '.join(BY_NAME)}")
        self.handlers = dict(handlers)
        self.provider_asid = provider_asid
        self.clock = clock
        self.public_url = public_url.rstrip("/")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = await self.handle(Request(scope, receive))
        await response(scope, receive, send)

    async def handle(self, request: Request) -> Response:
        """The HTTP response to one request: the handler's result, or an OperationOutcome."""
        fmt = Format.JSON
        try:
            fmt = response_format(
                request.query_params.get("_format"),
                request.headers.get("accept"),
                request.headers.get("content-type"),
            )
            gpc_request = await self.parse(request, fmt)
            observed.note(request.scope, observed.REQUEST, gpc_request)
            handler = self.handlers.get(gpc_request.interaction.name)
            if handler is None:
                raise NOT_IMPLEMENTED(f"{gpc_request.interaction.interaction_id} is not implemented by this provider")
            result = await handler(gpc_request)
            if result.offered:
                observed.note(request.scope, observed.OFFERED, result.offered)
            return _render(result, fmt, gpc_request.prefer)
        except GpcError as err:
            observed.note(request.scope, observed.REFUSAL, err)
            return render_error(err, fmt)
        except Exception:
            log.exception("unexpected error in %s %s", request.method, request.url.path)
            return render_error(INTERNAL_SERVER_ERROR("Unexpected internal server error"), fmt)

    async def parse(self, request: Request, fmt: Format) -> GpcRequest:
        """Apply the header, interaction, JWT and body checks; the parsed request, or a GpcError."""
        path = request.url.path
        root = SERVICE_ROOT.match(path)
        if root is None:
            raise NO_RECORD_FOUND(f"{path} is not below a GP Connect service root /<ODS code>/STU3/1/gpconnect")
        ssp = check_ssp_headers(request.headers, self.provider_asid)
        resolved = resolve(request.method, path[root.end() :] or "/", ssp.interaction_id)
        interaction = resolved.interaction
        now = self.clock()
        claims = check_authorization(request.headers.get("authorization"), interaction.scope, now)
        writes = interaction.method in _BODY_METHODS
        body = parse_body(request.headers.get("content-type"), await request.body()) if writes else None
        return GpcRequest(
            interaction=interaction,
            path_params=resolved.path_params,
            query=tuple(request.query_params.multi_items()),
            practice_ods_code=root["ods"],
            service_root=f"{self.public_url}{root[0]}",
            ssp=ssp,
            claims=claims,
            body=body,
            response_format=fmt,
            prefer=parse_prefer(request.headers.get("prefer")) if writes else Prefer.REPRESENTATION,
            if_match=parse_if_match(request.headers.get("if-match")) if interaction.method == "PUT" else None,
            now=now,
        )


def _render(result: GpcResponse, fmt: Format, prefer: Prefer) -> Response:
    minimal = prefer is Prefer.MINIMAL and 200 <= result.status < 300
    if result.resource is None or minimal:
        return Response(status_code=result.status, headers=dict(result.headers))
    body = serialise(result.resource, fmt)
    return Response(body, status_code=result.status, headers=dict(result.headers), media_type=fmt.content_type)


def render_error(err: GpcError, fmt: Format) -> Response:
    body = serialise(operation_outcome(err), fmt)
    return Response(body, status_code=err.status, headers=err.headers, media_type=fmt.content_type)


def build_app(handlers: Mapping[str, Handler], provider_asid: str, clock: Callable[[], float] = time.time) -> Starlette:
    """A Starlette app serving `handlers` (interaction name -> handler) behind every GP Connect layer."""
    return Starlette(
        routes=[Route("/{path:path}", GpcGateway(handlers, provider_asid, clock))],
        middleware=[Middleware(NoStoreMiddleware), Middleware(GZipMiddleware)],
    )
