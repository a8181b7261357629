"""Loading a dataset into a FHIR server: types in dependency order, bundles in parallel, nothing twice.

For each type (organisations, locations, practitioners, schedules, slots, patients, appointments)
the source is cut into bundles; `concurrency` workers send them, check every entry's status and mark
confirmed bundles in the checkpoint. A type finishes before the next starts, so references always
point at resources already stored.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

import orjson

from ..errors import GpsynthError
from .bundles import Chunk, Entry, bundle_body, chunks, entries
from .checkpoint import Checkpoint, LoadIdentity
from .client import FhirClient, backoff, retryable
from .options import LoadOptions, check_server
from .outcome import EntryOutcome, bundle_outcomes, single_outcome
from .r4 import to_r4
from .report import MAX_FAILURES, Failure, LoadPlan, LoadReport, PlannedType, TypeTally
from .source import Source, open_source
from .verify import spread, verify

Progress = Callable[[str, int, int], None]  # (resource type, resources done, resources to send)


@dataclass
class Tally:
    """Running counts for one type while it loads."""

    resources: int
    skipped: int = 0
    sent: int = 0
    created: int = 0
    updated: int = 0
    failed: int = 0
    bundles: int = 0
    sample_ids: list[str] = field(default_factory=list)  # first and last id of every bundle, for --verify

    def frozen(self, resource_type: str) -> TypeTally:
        return TypeTally(resource_type, self.resources, self.skipped, self.sent, self.created, self.updated,
                         self.failed, self.bundles)


@dataclass(frozen=True)
class Prepared:
    source: Source
    server: str
    types: tuple[str, ...]
    counts: dict[str, int]
    checkpoint: Checkpoint | None


def _prepare(source: str | Path, server: str, options: LoadOptions) -> Prepared:
    base = check_server(server)
    opened = open_source(source)
    counts = opened.counts()
    types = tuple(t for t in options.resource_types if counts.get(t))
    if not types:
        raise GpsynthError(f"{opened.description}: no resources of the types asked for ({', '.join(options.resource_types)})")
    identity = LoadIdentity(opened.description, opened.fingerprint, base, options.fhir_version, options.keep_profiles,
                            options.bundle_size, types)
    checkpoint = None
    if options.checkpoint is not None:
        checkpoint = (Checkpoint.resume(options.checkpoint, identity) if options.resume
                      else Checkpoint(options.checkpoint, identity))
    return Prepared(opened, base, types, {t: counts[t] for t in types}, checkpoint)


def _bundles(count: int, size: int) -> int:
    return -(-count // size)


def _resources_done(prepared: Prepared, resource_type: str, size: int) -> int:
    """Resources in the bundles the checkpoint confirmed: every bundle is full but the last."""
    if prepared.checkpoint is None:
        return 0
    count = prepared.counts[resource_type]
    return sum(min(size, count - i * size) for i in prepared.checkpoint.done.get(resource_type, ()) if i * size < count)


def plan_load(source: str | Path, server: str, options: LoadOptions = LoadOptions()) -> LoadPlan:
    """What `load` would send, bundle counts per type; reads the source and the checkpoint, not the server."""
    prepared = _prepare(source, server, options)
    done = prepared.checkpoint.done if prepared.checkpoint else {}
    planned = tuple(PlannedType(t, n, _bundles(n, options.bundle_size), len(done.get(t, ())))
                    for t, n in prepared.counts.items())
    return LoadPlan(prepared.source.description, prepared.server, options.mode, options.bundle_size,
                    options.concurrency, options.fhir_version, planned)


def load(source: str | Path, server: str, options: LoadOptions = LoadOptions(),
         on_progress: Progress | None = None) -> LoadReport:
    """Load the dataset at `source` into the FHIR server at `server`; see LoadOptions for the choices.

    Raises GpsynthError when the load cannot start or the server stops answering; resources the server
    refuses are reported in LoadReport.failures and the load goes on.
    """
    prepared = _prepare(source, server, options)
    return asyncio.run(_Load(prepared, options, on_progress or (lambda *_: None)).run())


class _Load:
    def __init__(self, prepared: Prepared, options: LoadOptions, on_progress: Progress):
        self.prepared, self.options, self.on_progress = prepared, options, on_progress
        size = options.bundle_size
        self.tallies = {t: Tally(n, skipped=_resources_done(prepared, t, size)) for t, n in prepared.counts.items()}
        self.to_send = sum(t.resources - t.skipped for t in self.tallies.values())
        self.done = 0
        self.failures: list[Failure] = []
        self.r4_changes = Counter()
        self.convert = (partial(to_r4, changes=self.r4_changes, keep_profiles=options.keep_profiles)
                        if options.fhir_version == "R4" else None)

    async def run(self) -> LoadReport:
        started = time.perf_counter()
        options, checkpoint = self.options, self.prepared.checkpoint
        async with FhirClient(self.prepared.server, options.headers, options.retry, options.concurrency) as client:
            await client.check_reachable()
            if checkpoint:
                checkpoint.save()
            try:
                for resource_type in self.prepared.types:
                    await self._load_type(client, resource_type)
            finally:
                if checkpoint:
                    checkpoint.flush()
            seconds = time.perf_counter() - started
            verification = None
            if options.verify:
                samples = {t: spread(tally.sample_ids, options.verify_samples) for t, tally in self.tallies.items()}
                verification = await verify(client, self.prepared.counts, samples)
            retries = dict(client.retries)
        return LoadReport(self.prepared.source.description, self.prepared.server, options.mode, options.fhir_version,
                          tuple(tally.frozen(t) for t, tally in self.tallies.items()), retries,
                          seconds, tuple(self.failures), dict(self.r4_changes), verification,
                          checkpoint.path if checkpoint else None)

    async def _load_type(self, client: FhirClient, resource_type: str) -> None:
        queue: asyncio.Queue[Chunk | None] = asyncio.Queue(maxsize=2 * self.options.concurrency)
        try:
            async with asyncio.TaskGroup() as group:
                workers = [group.create_task(self._worker(client, queue)) for _ in range(self.options.concurrency)]
                await self._produce(resource_type, queue, len(workers))
        except BaseExceptionGroup as grouped:
            raise _first_gpsynth_error(grouped) from None

    async def _produce(self, resource_type: str, queue: asyncio.Queue, workers: int) -> None:
        tally, checkpoint = self.tallies[resource_type], self.prepared.checkpoint
        for chunk in chunks(self.prepared.source.resources(resource_type), resource_type, self.options.bundle_size):
            tally.sample_ids.extend(dict.fromkeys(orjson.loads(r)["id"] for r in (chunk.resources[0], chunk.resources[-1])))
            if checkpoint and checkpoint.is_done(resource_type, chunk.index):
                continue
            await queue.put(chunk)
        for _ in range(workers):
            await queue.put(None)

    async def _worker(self, client: FhirClient, queue: asyncio.Queue) -> None:
        while (chunk := await queue.get()) is not None:
            items = entries(chunk, self.prepared.source.description, self.convert)
            if self.options.mode == "individual":
                outcomes = [single_outcome(await client.request("PUT", e.url, e.body)) for e in items]
            else:
                outcomes = await self._send_bundle(client, items)
            self._record(chunk, items, outcomes)

    async def _send_bundle(self, client: FhirClient, items: tuple[Entry, ...]) -> list[EntryOutcome]:
        """POST a Bundle; in batch mode, entries answered 429/5xx are sent again on their own."""
        kind, policy = self.options.mode, self.options.retry
        outcomes: dict[int, EntryOutcome] = {}
        pending = list(range(len(items)))
        retry = 0
        while True:
            reply = await client.request("POST", "", bundle_body(kind, tuple(items[i] for i in pending)))
            answered = bundle_outcomes(reply, len(pending), kind)
            outcomes.update(zip(pending, answered))
            again = [i for i, o in zip(pending, answered) if kind == "batch" and retryable(o.status)]
            if not again or retry == policy.retries:
                return [outcomes[i] for i in range(len(items))]
            retry += 1
            client.retries["batch entry " + ", ".join(sorted({f"HTTP {outcomes[i].status}" for i in again}))] += 1
            pending = again
            await asyncio.sleep(backoff(policy, retry, None, client.rng))

    def _record(self, chunk: Chunk, items: tuple[Entry, ...], outcomes: list[EntryOutcome]) -> None:
        tally = self.tallies[chunk.resource_type]
        tally.bundles += 1
        tally.sent += len(items)
        for item, outcome in zip(items, outcomes):
            if outcome.status == 201:
                tally.created += 1
            elif outcome.ok:
                tally.updated += 1
            else:
                tally.failed += 1
                if len(self.failures) < MAX_FAILURES:
                    self.failures.append(Failure(item.resource_type, item.id, outcome.status, outcome.message))
        if all(o.ok for o in outcomes) and self.prepared.checkpoint:
            self.prepared.checkpoint.mark(chunk.resource_type, chunk.index)
        self.done += len(items)
        self.on_progress(chunk.resource_type, self.done, self.to_send)


def _first_gpsynth_error(grouped: BaseExceptionGroup) -> BaseException:
    """The error to show from a task group: the first GpsynthError, else the first error."""
    flat: list[BaseException] = []
    pending = [grouped]
    while pending:
        for exc in pending.pop().exceptions:
            (pending if isinstance(exc, BaseExceptionGroup) else flat).append(exc)
    return next((e for e in flat if isinstance(e, GpsynthError)), flat[0])
