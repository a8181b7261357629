"""The one place the consumer test harness meets the request path: an ASGI wrapper around the sandbox app.

It answers the live page (`/`, gpsynth.sandbox.conformance.live_page) and the chaos rules endpoint
(`/_gpsynth/chaos`, with --admin: GET the rules in force, PUT new ones as YAML or JSON, DELETE them), and
for every GP Connect request draws its chaos fault, applies it, and writes its journal line from what the
request path noted (gpsynth.sandbox.observed).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from hmac import compare_digest

import orjson
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .. import observed
from ..admin import AdminApi, outcome
from ..errors import DUPLICATE_REJECTED, INTERNAL_SERVER_ERROR, SpineError
from ..interactions import BY_ID
from ..middleware import SERVICE_ROOT, SINGLE_ROOT, render_error
from ..negotiation import Format
from .chaos import Chaos, ChaosError, Fault, parse_chaos_text
from .journal import ConsumerJournal, entry
from .live_page import LIVE_PATH, LivePage

log = logging.getLogger(__name__)

CHAOS_PATH = "/_gpsynth/chaos"
FAULT_ERRORS = {500: INTERNAL_SERVER_ERROR, 503: SpineError(503, "transient", "INTERNAL_SERVER_ERROR"),
                429: SpineError(429, "throttled", "INTERNAL_SERVER_ERROR")}


def drop_connection(receive: Receive) -> bool:
    """Close the client's connection at once, with no answer; False when the server gives no way to."""
    # uvicorn's `receive` is a method of the request cycle that holds the connection's transport.
    transport = getattr(getattr(receive, "__self__", None), "transport", None)
    if transport is None:
        return False
    transport.abort()
    return True


def is_gp_connect(scope: Scope) -> bool:
    """A request below a service root, or one with SSP headers; not a browser asking for /favicon.ico."""
    path = scope["path"]
    return (SERVICE_ROOT.match(path) is not None or path.startswith(SINGLE_ROOT)
            or any(name.startswith(b"ssp-") for name, _ in scope["headers"]))


def no_store(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-store"
    return response


class Harness:
    def __init__(self, app: ASGIApp, gpc_app: ASGIApp, journal: ConsumerJournal, chaos: Chaos, live: LivePage,
                 admin: bool, admin_token: str | None, clock: Callable[[], float] = time.time):
        """`app` answers everything; `gpc_app`, the same answers to GP Connect requests by a shorter way."""
        self.app, self.gpc_app, self.journal, self.chaos, self.live = app, gpc_app, journal, chaos, live
        self.admin, self.admin_token, self.clock = admin, admin_token, clock

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if scope["type"] != "http":
            await self.app(scope, receive, send)
        elif path in ("/", LIVE_PATH):
            await (await self.live.response(Request(scope), self.journal.latest))(scope, receive, send)
        elif path == CHAOS_PATH:
            await no_store(await self.chaos_endpoint(Request(scope, receive)))(scope, receive, send)
        elif path.startswith("/_gpsynth/") or (self.admin and AdminApi.handles(scope)) or not is_gp_connect(scope):
            await self.app(scope, receive, send)
        else:
            await self.observe(scope, receive, send)

    async def chaos_endpoint(self, request: Request) -> Response:
        if not self.admin:
            return outcome(404, "not-found", "chaos rules are set at run time with --admin; or start the sandbox "
                                             "with --chaos FILE")
        if self.admin_token is not None and not compare_digest(request.headers.get("authorization", ""),
                                                               f"Bearer {self.admin_token}"):
            return outcome(401, "security", "chaos rules need the header 'Authorization: Bearer <--admin-token>'")
        if request.method == "PUT":
            try:
                self.chaos.set(parse_chaos_text((await request.body()).decode("utf-8", "replace"), f"PUT {CHAOS_PATH}"))
            except ChaosError as exc:
                return outcome(422, "invalid", str(exc))
        elif request.method == "DELETE":
            self.chaos.set(Chaos().rules)
        elif request.method != "GET":
            return outcome(405, "not-supported", f"{request.method} {CHAOS_PATH}: use GET, PUT (YAML rules) or DELETE")
        return Response(orjson.dumps(self.chaos.describe()), media_type="application/json")

    async def observe(self, scope: Scope, receive: Receive, send: Send) -> None:
        wall, started = self.clock(), time.monotonic()
        headers = {name.decode("latin-1").lower(): value.decode("latin-1") for name, value in scope["headers"]
                   if name.startswith(b"ssp-") or name == b"if-match"}
        root = SERVICE_ROOT.match(scope["path"])
        known = BY_ID.get(headers.get("ssp-interactionid", ""))
        fault = self.chaos.decide(known.name if known else None, root["ods"] if root else None)
        status: int | None = None
        delivered = True
        held: list[Message] = []

        async def send_noting(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            if fault is not None and fault.kind == "drop-after-commit":
                held.append(message)
            else:
                await send(message)

        try:
            if fault is None or fault.kind in ("latency", "drop-after-commit"):
                if fault is not None and fault.kind == "latency":
                    await asyncio.sleep(fault.duration)
                await self.gpc_app(scope, receive, send_noting)
                if held and status is not None and 200 <= status < 300 and drop_connection(receive):
                    delivered = False
                    await asyncio.sleep(0)           # the server sees the connection is gone
                else:
                    for message in held:
                        await send(message)
            elif fault.kind == "hang":
                await asyncio.sleep(fault.duration)
                delivered = not drop_connection(receive)
                if delivered:
                    await no_store(render_error(FAULT_ERRORS[500](self._said(fault)), Format.JSON))(scope, receive,
                                                                                                  send_noting)
            else:
                await no_store(self.fault_response(fault))(scope, receive, send_noting)
        finally:
            request = observed.seen(scope, observed.REQUEST)
            practice = request.practice_ods_code if request else (root["ods"] if root else None)
            interaction = request.interaction.name if request else (known.name if known else None)
            advisories = self.journal.advisories(headers, request, observed.seen(scope, observed.OFFERED) or ())
            self.journal.record(entry(
                wall=wall, practice=practice, interaction=interaction, headers=headers, method=scope["method"],
                path=scope["path"], status=status, delivered=delivered,
                latency=time.monotonic() - started, refusal=observed.seen(scope, observed.REFUSAL),
                advisories=advisories, chaos=fault.journal() if fault else None))

    @staticmethod
    def _said(fault: Fault) -> str:
        return f"Injected by the sandbox's chaos rule {fault.rule!r} ({fault.kind})"

    def fault_response(self, fault: Fault) -> Response:
        if fault.kind == "slot-taken":
            return render_error(DUPLICATE_REJECTED("The slot is no longer free: another consumer has just booked it "
                                                   f"({self._said(fault)})"), Format.JSON)
        headers = {"Retry-After": str(fault.retry_after)} if fault.retry_after is not None else None
        return render_error(FAULT_ERRORS[fault.error_status](self._said(fault), headers), Format.JSON)
