"""The sandbox app: every practice of a store behind the GP Connect layers, and the administration endpoint.

Each practice is served at `/{ODS}/STU3/1/gpconnect`; while the store holds one practice, it is also
served at `/STU3/1/gpconnect`. With `admin`, plain FHIR administration requests (gpsynth.sandbox.admin)
are answered beside the GP Connect ones. With `roll`, the horizon is moved to today on start and again
after every midnight (gpsynth.roll). What the interactions change lives in the live book
(gpsynth.sandbox.live_book) and its journal until a checkpoint folds it into the store; other gpsynth
commands reach the running sandbox through its control port (gpsynth.sandbox.control).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import date
from functools import partial
from pathlib import Path

import orjson
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.gzip import GZipMiddleware
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from ..spine import PROVIDER_ASID as DEFAULT_PROVIDER_ASID
from ..store import store_info
from ..store.database import store_file
from ..store.schema import RESOURCE_TABLES
from ..store.served import ServerLock, fold_journal, journal_folder
from . import observed
from .admin import ADMIN_ROOT, AdminApi, outcome
from .conformance.chaos import Chaos, ChaosRules
from .conformance.harness import Harness
from .conformance.journal import ConsumerJournal
from .conformance.live_page import LivePage, ProviderBook
from .control import ControlPort
from .errors import GpcError
from .handlers import bound_handlers
from .limits import ADMIN_MAX_BODY, GPC_MAX_BODY, bounded, check_header_size
from .live_book import LiveBook
from .middleware import SINGLE_ROOT, GpcGateway, NoStoreMiddleware, render_error
from ..fhir.model_check import warm_up
from .negotiation import Format
from .provider import Provider
from ..roll import apply_roll, regenerate, roll_store, seconds_to_midnight
from .store_access import StoreAccess
from .times import london_today

log = logging.getLogger(__name__)

# The provider ASID the GP Connect provider assurance suite sends in Ssp-To.
# Fast gzip: on a bundle of slots level 1 costs a fifth of level 9 for a few per cent more bytes.
GZIP_LEVEL = 1


@dataclass(frozen=True)
class SandboxOptions:
    provider_asid: str = DEFAULT_PROVIDER_ASID
    admin: bool = False
    roll: bool = False
    # The origin every absolute URL the sandbox writes starts with (Location, fullUrl), never the Host header.
    public_url: str = "http://127.0.0.1:8080"
    max_body: int = GPC_MAX_BODY  # bytes a GP Connect request body may have
    admin_token: str | None = None  # when set, administration requests need `Authorization: Bearer <token>`
    journal: Path | None = None     # the consumer conformance journal, one JSON line per GP Connect request
    chaos: ChaosRules = field(default_factory=ChaosRules)  # faults to inject from the start (more can be set at /_gpsynth/chaos)


class Dispatcher:
    """ASGI app sending each request to the administration endpoint or the GP Connect gateway."""

    def __init__(self, provider: Provider, gateway: GpcGateway, admin: AdminApi | None, max_body: int):
        self.provider, self.gateway, self.admin, self.max_body = provider, gateway, admin, max_body

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            check_header_size(scope)
            await self.dispatch(scope, receive, send)
        except GpcError as refused:  # headers or a body past their limits, refused before the request is read
            observed.note(scope, observed.REFUSAL, refused)
            await render_error(refused, Format.JSON)(scope, receive, send)

    async def dispatch(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope["path"]
        if path == SINGLE_ROOT or path.startswith(SINGLE_ROOT + "/"):
            practices = self.provider.directory.practices
            if len(practices) == 1:
                path = f"/{next(iter(practices))}{path}"
                scope = {**scope, "path": path, "raw_path": path.encode()}
        if self.admin is not None and self.admin.handles(scope):
            await self.admin(scope, bounded(receive, scope, ADMIN_MAX_BODY), send)
        elif path == ADMIN_ROOT or path.startswith(ADMIN_ROOT + "/"):
            await outcome(404, "not-found", "the administration surface is off: start the sandbox with "
                                            "`gpsynth serve STORE --admin` to load resources here")(scope, receive, send)
        else:
            await self.gateway(scope, bounded(receive, scope, self.max_body), send)


def stored_examples(con) -> list[tuple[str, dict]]:
    """A stored resource of each type consumers send (an Appointment, a Patient, and the JWT's claim resources)."""
    examples = []
    for resource_type in ("Appointment", "Patient", "Organization", "Practitioner"):
        found = con.execute(f"SELECT resource FROM {RESOURCE_TABLES[resource_type].name} LIMIT 1").fetchall()
        examples += [(resource_type, orjson.loads(text)) for (text,) in found]
    return examples


class Sandbox:
    """The provider over one store, and the app serving it."""

    def __init__(self, store: Path | str, options: SandboxOptions = SandboxOptions(),
                 clock: Callable[[], float] = time.time, announce: Callable[[str], None] = lambda line: None):
        self.options, self.clock, self.announce = options, clock, announce
        self.path = store_file(store)
        self.lock = ServerLock(self.path)
        try:
            fold_journal(self.path)                  # what a server that died had acknowledged
            self.store = StoreAccess(self.path)
        except BaseException:
            self.lock.release()
            raise
        self.rolled = self.store.write_now(lambda con: roll_store(con, london_today(clock()))) if options.roll else None
        self.book = LiveBook(self.store, journal_folder(self.path), clock)
        self.provider = Provider(self.store, self.book, clock())
        warm_up(self.store.read_now(stored_examples))
        self.store.serving()
        self.control = ControlPort(self.book, self.lock.token, self.roll_to)
        gateway = GpcGateway(bound_handlers(self.provider), options.provider_asid, clock, options.public_url)
        admin = AdminApi(self.provider, clock, options.admin_token) if options.admin else None
        dispatcher = Dispatcher(self.provider, gateway, admin, options.max_body)
        sandbox = Starlette(routes=[Route("/{path:path}", dispatcher)],
                           middleware=[Middleware(NoStoreMiddleware), Middleware(GZipMiddleware, compresslevel=GZIP_LEVEL)],
                           lifespan=self.lifespan)
        # GP Connect requests, the ones a load test sends, skip Starlette's routing and exception layers:
        # the gateway answers every error itself.
        gpc_app = NoStoreMiddleware(GZipMiddleware(dispatcher, compresslevel=GZIP_LEVEL))
        self.journal, self.chaos = ConsumerJournal(options.journal), Chaos()
        self.chaos.set(options.chaos)
        self.app = Harness(sandbox, gpc_app, self.journal, self.chaos, LivePage(ProviderBook(self.provider), clock),
                           options.admin, options.admin_token, clock)

    def base_urls(self, origin: str) -> list[str]:
        """The service root of every practice served, for `origin` (e.g. http://127.0.0.1:8080)."""
        practices = list(self.provider.directory.practices)
        urls = [f"{origin}/{ods}/STU3/1/gpconnect" for ods in practices]
        return urls + ([f"{origin}{SINGLE_ROOT}"] if len(practices) == 1 else [])

    async def hold_rows(self) -> None:
        """Read the rows held in memory, and say when the sandbox runs at full speed."""
        started = time.monotonic()
        await self.book.hold_upcoming()
        self.announce(f"held in memory after {time.monotonic() - started:.1f} s: {self.book.held.summary()}")

    async def roll_to(self, today: date) -> str:
        """Move the horizon to `today`, keeping every booking; what changed."""
        info = await self.store.read(store_info)
        regenerated = await asyncio.get_running_loop().run_in_executor(None, regenerate, info, today)
        async with self.book.exclusive():
            rolled = await self.store.write_locked(partial(apply_roll, regenerated=regenerated),
                                                   lambda _: self.provider.reload(self.clock()))
        return rolled.summary()

    async def roll_daily(self) -> None:
        """Roll the horizon after every London midnight."""
        while True:
            await asyncio.sleep(seconds_to_midnight(self.clock()) + 60)
            today = london_today(self.clock())
            try:
                log.warning("rolled the horizon to %s: %s", today, await self.roll_to(today))
            except Exception:
                log.exception("rolling the horizon to %s failed; the store is unchanged", today)

    @contextlib.asynccontextmanager
    async def lifespan(self, app: Starlette) -> AsyncIterator[None]:
        self.lock.publish(self.options.public_url, await self.control.start())
        tasks = [asyncio.create_task(self.book.run_checkpoints()), asyncio.create_task(self.hold_rows())]
        if self.options.roll:
            tasks.append(asyncio.create_task(self.roll_daily()))
        try:
            yield
        finally:
            self.control.close()
            for task in tasks:
                task.cancel()
            await self.book.close()
            self.journal.close()
            self.store.close()
            self.lock.release()
