"""Load speed: a `pcn` dataset sent by `gpsynth load` into FHIR servers, in resources/s.

    python benchmarks/load_bench.py [--practices 5] [--mode batch] [--bundle-size 500] [--concurrency 2]   (Medplum settings)

Targets:
- a null FHIR endpoint that acknowledges every entry without storing it: the loader's own ceiling
  (reading, converting, bundling, HTTP and outcome checks), here on the same machine;
- the Medplum FHIR router (R4, in memory, every resource validated against the R4 definitions; started
  from tests/servers/medplum, so run `npm ci --prefix tests/servers/medplum` first), loaded with
  --fhir-version R4. Medplum caps a transaction at 50 updates, so batch Bundles are the default here.
- gpsynth's own sandbox (`gpsynth serve --admin` over an empty store), loaded as STU3 transaction
  Bundles of 1000, 4 at a time (its best measured setting), at a practice's service root; the figure
  is compared with the target of 5,000 resources/s.

The default is the full pcn preset (about 137,000 resources); --practices N scales it (same rules).
Prints, per target: resources sent, seconds, resources/s, retries, failures and the read-back check.
"""

from __future__ import annotations

import argparse
import multiprocessing
import socket
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

import httpx
import uvicorn
import yaml

from gpsynth.dataset import OutputOptions, generate
from gpsynth.load import LoadOptions, load
from gpsynth.scenario import parse_scenario, preset_text

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "load"))
from medplum_server import MedplumServer, ServerUnavailable  # noqa: E402 - the test servers' launchers
from sandbox_server import SandboxServer, empty_store  # noqa: E402

AS_OF = date(2026, 11, 25)
SANDBOX_TARGET = 5_000  # resources/s into gpsynth's own sandbox on 2 cores
SANDBOX_BUNDLE_SIZE, SANDBOX_CONCURRENCY = 1000, 4


def pcn(practices: int | None):
    rules = yaml.safe_load(preset_text("pcn"))
    if practices:
        rules["practices"]["count"] = practices
    return parse_scenario(rules, f"pcn with {rules['practices']['count']} practices")


def measure(name: str, base_url: str, dataset: Path, options: LoadOptions) -> None:
    """Load `dataset` into the server at `base_url` and print the figures."""
    report = load(dataset, base_url, options)
    checked = all(v.ok and v.found == v.expected for v in report.verification)
    print(f"{name}: {report.sent:,} resources in {report.seconds:.1f} s = {report.resources_per_second:,.0f} resources/s "
          f"({report.mode} Bundles of {options.bundle_size}, concurrency {options.concurrency}, FHIR {report.fhir_version}); "
          f"{report.retries} retries, {report.failed} failed; read back: {'all present' if checked else 'MISMATCH'}")


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
    entries = body.count(b'"request":{"method":"PUT"')
    answer = (b'{"resourceType":"Bundle","type":"batch-response","entry":['
              + b",".join([b'{"response":{"status":"201"}}'] * entries) + b"]}")
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
    parser.add_argument("--mode", default="batch", choices=("transaction", "batch", "individual"), help="For Medplum.")
    parser.add_argument("--bundle-size", type=int, default=500, help="For Medplum.")
    parser.add_argument("--concurrency", type=int, default=2, help="For Medplum.")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="gpsynth-load-bench-") as work:
        dataset = Path(work) / "pcn"
        summary = generate(pcn(args.practices), 1, AS_OF, dataset, OutputOptions(formats=("ndjson",)))
        print(f"dataset: pcn, {summary.counts.total():,} resources "
              f"({', '.join(f'{t} {n:,}' for t, n in summary.counts.items())})")

        null, base = start_null_endpoint()
        try:
            for version in ("STU3", "R4"):
                report = load(dataset, base, LoadOptions(mode="batch", bundle_size=1000, concurrency=4, fhir_version=version,
                                                         checkpoint=Path(work) / "null.checkpoint.json"))
                print(f"loader ceiling, {version}{' (converted)' if version == 'R4' else ''}: {report.sent:,} resources "
                      f"in {report.seconds:.1f} s = {report.resources_per_second:,.0f} resources/s (null endpoint, "
                      f"batch Bundles of 1000, concurrency 4)")
        finally:
            null.terminate()

        try:
            medplum = MedplumServer()
        except ServerUnavailable as exc:
            print(f"Medplum: not measured: {exc}")
        else:
            try:
                measure("Medplum FHIR router (R4, validating)", medplum.base, dataset,
                        LoadOptions(mode=args.mode, bundle_size=args.bundle_size, concurrency=args.concurrency,
                                    fhir_version="R4", checkpoint=Path(work) / "medplum.checkpoint.json", verify=True))
            finally:
                medplum.stop()

        sandbox = SandboxServer(empty_store(Path(work)))
        try:
            measure(f"gpsynth sandbox (STU3, target {SANDBOX_TARGET:,} resources/s)", sandbox.base("GPS0001"), dataset,
                    LoadOptions(mode="transaction", bundle_size=SANDBOX_BUNDLE_SIZE, concurrency=SANDBOX_CONCURRENCY,
                                checkpoint=Path(work) / "sandbox.checkpoint.json", verify=True))
        finally:
            sandbox.stop()


if __name__ == "__main__":
    main()
