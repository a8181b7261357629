"""Load speed: `gpsynth load`, with its default options, into two real FHIR servers, next to each server's own
ceiling measured in the same run.

    python benchmarks/load_bench.py [--practices N]

The dataset is the `pcn` preset (about 137,000 resources; --practices N scales it, same rules). Printed:
- the loader's ceiling: a null FHIR endpoint that acknowledges every entry without storing it (reading,
  converting, bundling, HTTP and outcome checks, on the same machine);
- Medplum's FHIR router (R4, in memory, every resource validated against the R4 definitions; from
  tests/servers/medplum, so run `npm ci --prefix tests/servers/medplum` first): its ceiling is the same
  R4 transaction Bundles of 50 (Medplum's limit) fed to the router in-process by tests/servers/medplum/
  ceiling.cjs, one after another; then `gpsynth load` over HTTP with no tuning options, as a ratio of that
  ceiling (target: at least 60 %);
- gpsynth's own sandbox (`gpsynth serve --admin` over an empty store): its ceiling is the administration
  surface's upsert called in-process on transaction Bundles of 1000 (parsing included), one after another;
  then `gpsynth load` over HTTP into /_gpsynth/fhir with no tuning options (target: 40,000 resources/s).
Each load is read back with --verify.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from datetime import date
from functools import partial
from pathlib import Path

import httpx
import orjson
import uvicorn
import yaml

from gpsynth.dataset import OutputOptions, generate
from gpsynth.fhir.constants import RESOURCE_TYPES
from gpsynth.load import LoadOptions, LoadReport, load
from gpsynth.load.bundles import Chunk, bundle_body, entries
from gpsynth.load.r4 import to_r4
from gpsynth.load.sizing import AUTO_START
from gpsynth.renditions import open_rendition
from gpsynth.sandbox.admin import AdminApi
from gpsynth.sandbox.app import Sandbox, SandboxOptions
from gpsynth.sandbox.representation import Prefer
from gpsynth.scenario import parse_scenario, preset_text

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "load"))
from medplum_server import MedplumServer, ServerUnavailable  # noqa: E402 - the test servers' launchers
from sandbox_target import SandboxServer, empty_store  # noqa: E402

AS_OF = date(2026, 11, 25)
SANDBOX_TARGET = 40_000    # resources/s into gpsynth's own sandbox on 2 cores
MEDPLUM_SHARE_TARGET = 0.6  # of Medplum's in-process ceiling, over HTTP
MEDPLUM_BUNDLE = 50         # Medplum's most updates per transaction


def pcn(practices: int | None):
    rules = yaml.safe_load(preset_text("pcn"))
    if practices:
        rules["practices"]["count"] = practices
    return parse_scenario(rules, f"pcn with {rules['practices']['count']} practices")


def bundles(dataset: Path, size: int, convert=None):
    """The transaction Bundles a load sends, type by type, `size` resources each."""
    source = open_rendition(dataset)
    for resource_type in RESOURCE_TYPES:
        resources = list(source.resources(resource_type))
        for first in range(0, len(resources), size):
            chunk = Chunk(resource_type, first, tuple(resources[first:first + size]))
            yield bundle_body("transaction", entries(chunk, source.description, convert))


def print_load(name: str, report: LoadReport, ceiling: float | None = None) -> None:
    checked = report.verification and all(v.ok for v in report.verification)
    share = f"; {report.resources_per_second / ceiling:.0%} of the ceiling" if ceiling else ""
    print(f"{name}: {report.sent:,} resources in {report.seconds:.1f} s = {report.resources_per_second:,.0f} resources/s"
          f"{share} ({report.mode}, FHIR {report.fhir_version}; {report.retries} retries, {report.failed} failed; "
          f"read back: {'every id present' if checked else 'MISMATCH'})")
    for note in report.notes:
        print(f"    {note}")


def medplum_ceiling(dataset: Path, work: Path) -> tuple[float, int]:
    """(resources/s, failed) of R4 transaction Bundles of 50 fed to Medplum's router in-process."""
    path = work / "medplum-bundles.ndjson"
    with path.open("wb") as out:
        for body in bundles(dataset, MEDPLUM_BUNDLE, partial(to_r4, changes=Counter())):
            out.write(body + b"\n")
    answer = subprocess.run(["node", str(ROOT / "tests" / "servers" / "medplum" / "ceiling.cjs"), str(path)],
                            capture_output=True, text=True, check=True, timeout=3600)
    figures = json.loads(answer.stdout)
    return figures["resources"] / figures["seconds"], figures["failed"]


def sandbox_ceiling(dataset: Path, work: Path) -> float:
    """Resources/s of the administration surface's upsert, called in-process on transaction Bundles of AUTO_START."""
    folder = work / "sandbox-ceiling"
    folder.mkdir()
    sandbox = Sandbox(empty_store(folder), SandboxOptions(admin=True))
    admin = AdminApi(sandbox.provider, time.time)
    bodies = list(bundles(dataset, AUTO_START))

    async def run() -> int:
        stored = 0
        for body in bodies:
            bundle = orjson.loads(body)
            await admin.bundle(None, bundle, Prefer.MINIMAL)
            stored += len(bundle["entry"])
        return stored

    started = time.perf_counter()
    stored = asyncio.run(run())
    seconds = time.perf_counter() - started
    sandbox.store.close()
    return stored / seconds


async def null_fhir_endpoint(scope, receive, send):
    """ASGI: a Bundle POST is answered `201` for every entry; a GET with an empty searchset."""
    if scope["type"] != "http":
        return
    body = b""
    while True:
        message = await receive()
        body += message.get("body", b"")
        if not message.get("more_body"):
            break
    entries_sent = body.count(b'"request":{"method":"PUT"')
    answer = (b'{"resourceType":"Bundle","type":"batch-response","entry":['
              + b",".join([b'{"response":{"status":"201"}}'] * entries_sent) + b"]}")
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"application/fhir+json")]})
    await send({"type": "http.response.body", "body": answer})


def start_null_endpoint() -> tuple[multiprocessing.Process, str]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    process = multiprocessing.Process(target=uvicorn.run, args=(null_fhir_endpoint,),
                                      kwargs={"host": "127.0.0.1", "port": port, "log_level": "warning"}, daemon=True)
    process.start()
    base = f"http://127.0.0.1:{port}"
    for _ in range(200):
        try:
            httpx.get(base + "/metadata")
            return process, base
        except httpx.TransportError:
            time.sleep(0.05)
    raise RuntimeError("the null FHIR endpoint did not start")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--practices", type=int, default=None, help="Scale the pcn preset to N practices (default: as is, 5).")
    args = parser.parse_args()
    print(f"{time.strftime('%Y-%m-%d %H:%M')}, load average {os.getloadavg()[0]:.2f}, {os.cpu_count()} cores")

    with tempfile.TemporaryDirectory(prefix="gpsynth-load-bench-") as tmp:
        work = Path(tmp)
        dataset = work / "pcn"
        summary = generate(pcn(args.practices), 1, AS_OF, dataset, options=OutputOptions(formats=("ndjson",)))
        print(f"dataset: pcn, {summary.counts.total():,} resources "
              f"({', '.join(f'{t} {n:,}' for t, n in summary.counts.items())})")

        null, base = start_null_endpoint()
        try:
            for version in ("STU3", "R4"):
                report = load(dataset, base, LoadOptions(fhir_version=version, checkpoint=work / "null.checkpoint.json"))
                print(f"loader ceiling, {version}{' (converted)' if version == 'R4' else ''}: {report.sent:,} resources "
                      f"in {report.seconds:.1f} s = {report.resources_per_second:,.0f} resources/s (null endpoint)")
        finally:
            null.terminate()

        try:
            medplum = MedplumServer()
        except ServerUnavailable as exc:
            print(f"Medplum: not measured: {exc}")
        else:
            try:
                ceiling, failed = medplum_ceiling(dataset, work)
                print(f"Medplum ceiling (router in-process, R4 transactions of {MEDPLUM_BUNDLE}): {ceiling:,.0f} resources/s"
                      f" ({failed} refused)")
                report = load(dataset, medplum.base, LoadOptions(checkpoint=work / "medplum.checkpoint.json", verify=True))
                print_load(f"gpsynth load → Medplum over HTTP, default options (target {MEDPLUM_SHARE_TARGET:.0%} of the "
                           "ceiling)", report, ceiling)
            finally:
                medplum.stop()

        ceiling = sandbox_ceiling(dataset, work)
        print(f"sandbox ceiling (administration upsert in-process, transactions of {AUTO_START}): {ceiling:,.0f} resources/s")
        (work / "sandbox").mkdir()
        with SandboxServer(empty_store(work / "sandbox")) as sandbox:
            report = load(dataset, sandbox.base, LoadOptions(checkpoint=work / "sandbox.checkpoint.json", verify=True))
        print_load(f"gpsynth load → sandbox over HTTP, default options (target {SANDBOX_TARGET:,} resources/s)", report, ceiling)


if __name__ == "__main__":
    main()
