"""What the consumer test harness adds to each GP Connect request: the journal line, advisories and the chaos draw.

In one process, the same GP Connect request (SSP headers, a suite JWT) is answered many times by the
sandbox's gateway alone (the baseline: the sandbox without the harness), and by the gateway inside the
harness with no journal file, with a journal file, and with five chaos rules that match but never fire.
Prints microseconds per request for each, the harness's extra cost and its ratio to the baseline.

    python benchmarks/harness_bench.py [--requests 20000]
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import os
import tempfile
import time
from pathlib import Path

from gpsynth.sandbox.conformance.chaos import Chaos, ChaosRule, ChaosRules
from gpsynth.sandbox.conformance.harness import Harness
from gpsynth.sandbox.conformance.journal import ConsumerJournal
from gpsynth.sandbox.conformance.live_page import LivePage
from gpsynth.sandbox.context import GpcResponse
from gpsynth.sandbox.interactions import BY_NAME
from gpsynth.sandbox.middleware import GpcGateway
from gpsynth.spine import CONSUMER_ASID, PROVIDER_ASID



def token(now: int) -> str:
    claims = {"iss": "https://consumer.example", "sub": "1", "aud": "https://authorize.fhir.nhs.net/token",
              "exp": now + 300, "iat": now, "reason_for_request": "directcare", "requested_scope": "organization/*.read",
              "requesting_device": {"resourceType": "Device", "identifier": [{"system": "https://consumer.example/device",
                                                                              "value": "1"}], "model": "m", "version": "1"},
              "requesting_organization": {"resourceType": "Organization", "name": "Consumer",
                                          "identifier": [{"system": "https://fhir.nhs.uk/Id/ods-organization-code",
                                                          "value": "GPCA0001"}]},
              "requesting_practitioner": {"resourceType": "Practitioner", "id": "1", "name": [{"family": "Smith"}],
                                          "identifier": [{"system": "https://fhir.nhs.uk/Id/sds-user-id", "value": "1"}]}}

    def part(value: dict) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()
    return f"{part({'alg': 'none', 'typ': 'JWT'})}.{part(claims)}."


def scope(n: int, bearer: str) -> dict:
    headers = {"ssp-traceid": f"trace-{n}", "ssp-from": CONSUMER_ASID, "ssp-to": PROVIDER_ASID,
               "ssp-interactionid": BY_NAME["get_capability_statement"].interaction_id,
               "authorization": f"Bearer {bearer}", "accept": "application/fhir+json"}
    return {"type": "http", "method": "GET", "path": "/A20047/STU3/1/gpconnect/metadata", "query_string": b"",
            "headers": [(k.encode(), v.encode()) for k, v in headers.items()], "state": {}}


async def run(app, requests: int, bearer: str) -> float:
    async def receive():
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message):
        pass

    started = time.perf_counter()
    for n in range(requests):
        await app(scope(n, bearer), receive, send)
    return (time.perf_counter() - started) / requests * 1e6


async def main(requests: int) -> None:
    async def metadata(request):
        return GpcResponse({"resourceType": "CapabilityStatement", "status": "active"})

    gateway = GpcGateway({"get_capability_statement": metadata}, PROVIDER_ASID)
    bearer = token(int(time.time()))
    folder = Path(tempfile.mkdtemp(prefix="harness-bench-"))
    never = ChaosRules(1, tuple(ChaosRule(f"r{i}", "error", status=500, share=0.0) for i in range(5)))
    chaos = Chaos()
    chaos.set(never)
    variants = {
        "gateway alone (baseline)": gateway,
        "harness, no journal file": Harness(gateway, ConsumerJournal(), Chaos(), LivePage(None, time.time), False, None),
        "harness, journal file": Harness(gateway, ConsumerJournal(folder / "j.jsonl"), Chaos(), LivePage(None, time.time),
                                         False, None),
        "harness, journal + 5 idle chaos rules": Harness(gateway, ConsumerJournal(folder / "k.jsonl"), chaos,
                                                         LivePage(None, time.time), False, None),
    }
    await run(gateway, 500, bearer)                 # warm caches (the JWT claim models)
    baseline = None
    print(f"load average: {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f} {os.getloadavg()[2]:.2f} "
          f"({os.cpu_count()} cores); {requests:,} requests each")
    for name, app in variants.items():
        per_request = min([await run(app, requests, bearer) for _ in range(3)])
        baseline = baseline or per_request
        extra = per_request - baseline
        print(f"{name:40} {per_request:8.1f} µs/request   +{extra:6.1f} µs   x{per_request / baseline:.2f}")
    print(f"journal: {(folder / 'j.jsonl').stat().st_size / (3 * requests):.0f} bytes per line")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=20_000)
    asyncio.run(main(parser.parse_args().requests))
