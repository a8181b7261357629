"""Loading a dataset into a FHIR server: types in dependency order, bundles in parallel, nothing twice.

The server's CapabilityStatement is read first (gpsynth.load.capabilities). Then, for each type
(organisations, locations, practitioners, schedules, slots, patients, appointments), the source is cut
into Bundles of the size the server takes (gpsynth.load.sizing); `concurrency` workers send them.
A Bundle the server refuses whole is split and its pieces sent again, down to single resources; a
single resource the server refuses is reported and written to `failed.ndjson` beside the checkpoint,
and the load goes on. Every stored resource's position is marked in the checkpoint. A type finishes
before the next starts, so references always point at resources already stored.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import BinaryIO

import orjson

from ..errors import GpsynthError
from ..renditions import Rendition, open_rendition
from .bundles import Chunk, Entry, bundle_body, entries
from .capabilities import choose_mode, choose_version, server_facts
from .checkpoint import Checkpoint, LoadIdentity
from .client import FhirClient, ServerUnreachable, backoff, retryable
from .options import LoadOptions, check_server
from .outcome import EntryOutcome, Refusal, bundle_outcomes, single_outcome
from .r4 import to_r4
from .report import MAX_FAILURES, Failure, LoadPlan, LoadReport, PlannedType, TypeTally, TypeVerification
from .sizing import AUTO_START, BundleSizer
from .verify import spread, verify_type

Progress = Callable[[str, int, int], None]  # (resource type, resources done, resources to send)
Note = Callable[[str], None]                # a choice or finding to tell the user once, as it happens
FAILED_FILE = "failed.ndjson"
SPLIT_STATUSES = (400, 413, 422)  # a whole Bundle refused with these may be too big: its pieces are sent again


@dataclass
class Tally:
    """Running counts for one type while it loads."""

    resources: int
    skipped: int = 0
    sent: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    failed: int = 0
    bundles: int = 0
    sample_ids: list[str] = field(default_factory=list)  # the first id of every bundle, for --verify

    def frozen(self, resource_type: str) -> TypeTally:
        return TypeTally(resource_type, self.resources, self.skipped, self.sent, self.created, self.updated,
                         self.unchanged, self.failed, self.bundles)


@dataclass(frozen=True)
class Prepared:
    source: Rendition
    server: str
    types: tuple[str, ...]
    counts: dict[str, int]


def _prepare(source: str | Path, server: str, options: LoadOptions) -> Prepared:
    base = check_server(server)
    opened = open_rendition(source)
    counts = opened.counts()
    types = tuple(t for t in options.resource_types if counts.get(t))
    if not types:
        raise GpsynthError(f"{opened.description}: no resources of the types asked for ({', '.join(options.resource_types)})")
    return Prepared(opened, base, types, {t: counts[t] for t in types})


def plan_load(source: str | Path, server: str, options: LoadOptions = LoadOptions()) -> LoadPlan:
    """What `load` would send per type; reads the source and the checkpoint, not the server."""
    prepared = _prepare(source, server, options)
    done = Checkpoint.confirmed_counts(options.checkpoint) if options.resume and options.checkpoint else {}
    planned = tuple(PlannedType(t, n, done.get(t, 0)) for t, n in prepared.counts.items())
    return LoadPlan(prepared.source.description, prepared.server, options.mode or "auto",
                    str(options.bundle_size or "auto"), options.concurrency, options.fhir_version or "auto", planned)


def load(source: str | Path, server: str, options: LoadOptions = LoadOptions(),
         on_progress: Progress | None = None, on_note: Note | None = None) -> LoadReport:
    """Load the dataset at `source` into the FHIR server at `server`; see LoadOptions for the choices.

    Raises GpsynthError when the load cannot start or the server stops answering; resources the server
    refuses are reported in LoadReport.failures (and LoadReport.failed_file) and the load goes on.
    """
    prepared = _prepare(source, server, options)
    return asyncio.run(_Load(prepared, options, on_progress or (lambda *_: None), on_note or (lambda _: None)).run())


class _Load:
    def __init__(self, prepared: Prepared, options: LoadOptions, on_progress: Progress, on_note: Note):
        self.prepared, self.options, self.on_progress, self.on_note = prepared, options, on_progress, on_note
        self.sizer = BundleSizer(options.bundle_size or AUTO_START)
        self.size_said = False
        self.notes: list[str] = []
        self.failures: list[Failure] = []
        self.r4_changes: Counter[str] = Counter()
        self.done = 0
        folder = options.checkpoint.parent if options.checkpoint else Path.cwd()
        self.failed_path = folder / FAILED_FILE
        self.failed_file: BinaryIO | None = None

    async def run(self) -> LoadReport:
        options = self.options
        async with FhirClient(self.prepared.server, options.headers, options.retry, options.concurrency) as client:
            facts = await server_facts(client)
            fhir_version, version_note = choose_version(facts, options.fhir_version)
            self.mode, mode_note = choose_mode(facts, options.mode)
            for note in (version_note, mode_note):
                if note:
                    self._note(note)
            self.convert = (partial(to_r4, changes=self.r4_changes, keep_profiles=options.keep_profiles)
                            if fhir_version == "R4" else None)
            self.checkpoint = self._checkpoint(fhir_version)
            self.tallies = {t: Tally(n, skipped=self.checkpoint.confirmed(t) if self.checkpoint else 0)
                            for t, n in self.prepared.counts.items()}
            self.to_send = sum(t.resources - t.skipped for t in self.tallies.values())
            self.failed_path.unlink(missing_ok=True)
            started = time.perf_counter()
            try:
                for resource_type in self.prepared.types:
                    await self._load_type(client, resource_type)
            finally:
                if self.checkpoint:
                    self.checkpoint.flush()
                if self.failed_file:
                    self.failed_file.close()
            seconds = time.perf_counter() - started
            verification = await self._verify(client) if options.verify else None
            retries = dict(client.retries)
        return LoadReport(self.prepared.source.description, self.prepared.server, self.mode, fhir_version,
                          tuple(tally.frozen(t) for t, tally in self.tallies.items()), retries,
                          seconds, tuple(self.failures), dict(self.r4_changes), verification,
                          self.checkpoint.path if self.checkpoint else None, tuple(self.notes),
                          self.failed_path if self.failed_file else None)

    def _checkpoint(self, fhir_version: str) -> Checkpoint | None:
        options, prepared = self.options, self.prepared
        if options.checkpoint is None:
            return None
        identity = LoadIdentity(prepared.source.description, prepared.source.fingerprint, prepared.server, fhir_version,
                                options.keep_profiles, prepared.types)
        checkpoint = (Checkpoint.resume(options.checkpoint, identity) if options.resume
                      else Checkpoint(options.checkpoint, identity))
        checkpoint.save()
        return checkpoint

    def _note(self, note: str) -> None:
        self.notes.append(note)
        self.on_note(note)

    async def _load_type(self, client: FhirClient, resource_type: str) -> None:
        queue: asyncio.Queue[Chunk | None] = asyncio.Queue(maxsize=2 * self.options.concurrency)
        try:
            async with asyncio.TaskGroup() as group:
                workers = [group.create_task(self._worker(client, queue)) for _ in range(self.options.concurrency)]
                await self._produce(resource_type, queue, len(workers))
        except BaseExceptionGroup as grouped:
            raise _first_gpsynth_error(grouped) from None

    async def _produce(self, resource_type: str, queue: asyncio.Queue, workers: int) -> None:
        """Cut the type's resources not yet confirmed into runs of consecutive positions, each at most the
        current bundle size."""
        checkpoint, first = self.checkpoint, 0
        batch: list[bytes] = []
        for position, resource in enumerate(self.prepared.source.resources(resource_type)):
            confirmed = checkpoint is not None and checkpoint.is_done(resource_type, position)
            if batch and (confirmed or len(batch) >= self.sizer.size):
                await queue.put(Chunk(resource_type, first, tuple(batch)))
                batch = []
            if confirmed:
                continue
            if not batch:
                first = position
            batch.append(resource)
        if batch:
            await queue.put(Chunk(resource_type, first, tuple(batch)))
        for _ in range(workers):
            await queue.put(None)

    async def _worker(self, client: FhirClient, queue: asyncio.Queue) -> None:
        while (chunk := await queue.get()) is not None:
            items = entries(chunk, self.prepared.source.description, self.convert)
            self.tallies[chunk.resource_type].sample_ids.append(items[0].id)
            if self.mode == "individual":
                outcomes = [single_outcome(await client.request("PUT", e.url, e.body)) for e in items]
                self._record(chunk.resource_type, chunk.first, items, outcomes)
            else:
                await self._deliver(client, chunk.resource_type, chunk.first, items)

    async def _deliver(self, client: FhirClient, resource_type: str, first: int, items: tuple[Entry, ...],
                       after_drop: bool = False) -> bool:
        """Send `items` (positions first, first + 1, …) as one Bundle; while the server refuses it whole,
        send it again in pieces. True when the server took the Bundle whole.

        Pieces of a Bundle whose connection kept dropping get one resend each before they are split in
        turn, so a server that has gone away is found within seconds, not a full retry cycle per level.
        """
        answered = await self._send_bundle(client, items, 1 if after_drop and len(items) > 1 else None)
        if isinstance(answered, Refusal) and len(items) > 1 and (answered.status in SPLIT_STATUSES or not answered.status):
            size = self.sizer.pieces(len(items))
            dropped = not answered.status
            taken = [await self._deliver(client, resource_type, first + at, items[at:at + size], dropped)
                     for at in range(0, len(items), size)]
            if all(taken) and answered.status:  # refused for its size, not for an entry nor a dropped connection
                self.sizer.too_big(len(items))
                self._say_size()
            return False
        if isinstance(answered, Refusal):
            self._record(resource_type, first, items, [EntryOutcome(answered.status, answered.message)] * len(items))
            return False
        self.sizer.accepted(len(items))
        self._say_size()
        self._record(resource_type, first, items, answered)
        return True

    def _say_size(self) -> None:
        """Once the server's limit is found, say so (once)."""
        if self.sizer.settled is not None and not self.size_said:
            self.size_said = True
            self._note(f"the server accepts at most ~{self.sizer.settled} entries per {self.mode} Bundle; "
                       f"using {self.sizer.settled}")

    async def _send_bundle(self, client: FhirClient, items: tuple[Entry, ...],
                           retries: int | None = None) -> list[EntryOutcome] | Refusal:
        """POST a Bundle (with `retries` retries, else the policy's); in batch mode, entries answered 429/5xx are
        sent again on their own. A Bundle whose connection keeps dropping is refused with status 0 (a proxy's
        body limit can look like that)."""
        kind, policy = self.mode, self.options.retry
        outcomes: dict[int, EntryOutcome] = {}
        pending = list(range(len(items)))
        retry = 0
        while True:
            try:
                reply = await client.request("POST", "", bundle_body(kind, tuple(items[i] for i in pending)), retries=retries)
            except ServerUnreachable as dropped:
                if len(pending) == 1:
                    raise
                return Refusal(0, str(dropped))
            answered = bundle_outcomes(reply, len(pending), kind)
            if isinstance(answered, Refusal):
                return answered
            outcomes.update(zip(pending, answered, strict=True))
            again = [i for i, o in zip(pending, answered, strict=True) if kind == "batch" and retryable(o.status)]
            if not again or retry == policy.retries:
                return [outcomes[i] for i in range(len(items))]
            retry += 1
            client.retries["batch entry " + ", ".join(sorted({f"HTTP {outcomes[i].status}" for i in again}))] += 1
            pending = again
            await asyncio.sleep(backoff(policy, retry, None, client.rng))

    def _record(self, resource_type: str, first: int, items: tuple[Entry, ...], outcomes: list[EntryOutcome]) -> None:
        tally = self.tallies[resource_type]
        tally.bundles += 1
        tally.sent += len(items)
        stored_from = None  # the start of the current run of stored positions, to mark in the checkpoint
        for position, (item, outcome) in enumerate(zip(items, outcomes, strict=True), start=first):
            if outcome.ok:
                if outcome.status == 201:
                    tally.created += 1
                elif outcome.unchanged:
                    tally.unchanged += 1
                else:
                    tally.updated += 1
                stored_from = position if stored_from is None else stored_from
                continue
            tally.failed += 1
            self._failed(item, outcome)
            if stored_from is not None and self.checkpoint:
                self.checkpoint.mark(resource_type, stored_from, position - stored_from)
            stored_from = None
        if stored_from is not None and self.checkpoint:
            self.checkpoint.mark(resource_type, stored_from, first + len(items) - stored_from)
        self.done += len(items)
        self.on_progress(resource_type, self.done, self.to_send)

    def _failed(self, item: Entry, outcome: EntryOutcome) -> None:
        """Keep the first failures for the report; write every one, with the resource sent, to failed.ndjson."""
        if len(self.failures) < MAX_FAILURES:
            self.failures.append(Failure(item.resource_type, item.id, outcome.status, outcome.message))
        if self.failed_file is None:
            self.failed_path.parent.mkdir(parents=True, exist_ok=True)
            self.failed_file = self.failed_path.open("wb")
        line = {"resourceType": item.resource_type, "id": item.id, "status": outcome.status,
                "outcome": outcome.message, "resource": orjson.Fragment(item.body)}
        self.failed_file.write(orjson.dumps(line) + b"\n")

    async def _verify(self, client: FhirClient) -> tuple[TypeVerification, ...]:
        """Every type read back (gpsynth.load.verify), its ids taken from the source again."""
        checked = []
        for resource_type, tally in self.tallies.items():
            ids = (orjson.loads(r)["id"] for r in self.prepared.source.resources(resource_type))
            samples = spread(tally.sample_ids, self.options.verify_samples)
            checked.append(await verify_type(client, resource_type, ids, tally.resources, samples))
        return tuple(checked)


def _first_gpsynth_error(grouped: BaseExceptionGroup) -> BaseException:
    """The error to show from a task group: the first GpsynthError, else the first error."""
    flat: list[BaseException] = []
    pending = [grouped]
    while pending:
        for exc in pending.pop().exceptions:
            if isinstance(exc, BaseExceptionGroup):
                pending.append(exc)
            else:
                flat.append(exc)
    return next((e for e in flat if isinstance(e, GpsynthError)), flat[0])
