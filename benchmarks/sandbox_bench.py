"""The sandbox under load: slot searches, appointment reads and bookings per second, with p50/p99 latency.

`gpsynth serve` runs in its own process over a `pcn` store (five practices, generated as of today
unless --store is given); this process drives it over loopback with concurrent asyncio clients, each
on its own keep-alive connection, sending GP Connect requests (SSP headers, JWT) back to back. The
clients speak HTTP/1.1 themselves: an httpx client spends about 4 ms of CPU per request here, three
times what the server spends, and on a 2-core machine that would measure the client.

    python benchmarks/sandbox_bench.py [--clients 20] [--seconds 10] [--store pcn/gpsynth.duckdb]

Phases: slot search (one practice, a one-day window within the next two weeks, as a consumer looks
for an appointment), the same over the full 14 days, read an appointment, book an appointment (each
booking a different free slot). Target on 2 cores: at least 500 slot searches/s with p99 under
100 ms at 20 clients.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from urllib.parse import urlencode
from datetime import timedelta
from pathlib import Path

import httpx
import orjson

from gpsynth.sandbox.interactions import BY_NAME
from gpsynth.sandbox.times import london_today
from gpsynth.sandbox.tokens import consumer_token
from gpsynth.store import open_store

SD = "https://fhir.nhs.uk/STU3/StructureDefinition/"
TARGET_SEARCHES, TARGET_P99_MS = 500, 100


@dataclass
class Phase:
    name: str
    latencies: list[float]
    statuses: dict[int, int]
    seconds: float

    def row(self) -> str:
        ordered = sorted(self.latencies)
        n = len(ordered)
        p50, p99 = ordered[n // 2] * 1000, ordered[min(n - 1, int(n * 0.99))] * 1000
        codes = ", ".join(f"{code}: {count}" for code, count in sorted(self.statuses.items()))
        return f"{self.name:28} {n / self.seconds:8.0f} {p50:8.1f} {p99:8.1f}   {n:7}  ({codes})"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def pcn_store(folder: Path) -> Path:
    out = folder / "pcn"
    done = subprocess.run([sys.executable, "-m", "gpsynth", "generate", "--scenario", "pcn", "--format", "duckdb",
                           "--as-of", london_today(time.time()).isoformat(), "--out", str(out)], capture_output=True)
    if done.returncode:
        sys.exit(f"generating the pcn store failed:\n{done.stderr.decode()}")
    return out / "gpsynth.duckdb"


@dataclass(frozen=True)
class Workload:
    practices: list[str]
    appointments: list[tuple[str, str]]          # (ODS, appointment id), future and booked
    bookings: list[tuple[str, dict]]             # (ODS, Appointment body), one per free slot


def workload(store: Path) -> Workload:
    """Practices, future appointments to read and a booking for every free, unrestricted slot, from the store."""
    con = open_store(store)
    practices = [row[0] for row in con.execute("SELECT practice_ods FROM shard WHERE shard > 0 ORDER BY shard").fetchall()]
    appointments = con.execute(
        "SELECT o.ods_code, a.id FROM appointment a JOIN organization o ON o.id = a.organization_id "
        "WHERE a.status = 'booked' AND a.start > now() + INTERVAL 1 DAY").fetchall()
    patients = {}
    for ods, patient_id in con.execute("SELECT o.ods_code, p.id FROM patient p JOIN organization o ON o.id = p.organization_id "
                                       "WHERE p.state = 'normal'").fetchall():
        patients.setdefault(ods, []).append(patient_id)
    rows = con.execute(
        "SELECT o.ods_code, s.resource, sc.location_id FROM slot s JOIN schedule sc ON sc.id = s.schedule_id "
        "JOIN organization o ON o.id = sc.organization_id WHERE s.status = 'free' AND s.bookable "
        "AND len(s.restrict_org_types) = 0 AND len(s.restrict_ods_codes) = 0 AND s.start > now() + INTERVAL 1 HOUR").fetchall()
    con.close()
    rng = random.Random(1)
    bookings = []
    for ods, text, location_id in rows:
        slot = orjson.loads(text)
        bookings.append((ods, {
            "resourceType": "Appointment", "meta": {"profile": [SD + "GPConnect-Appointment-1"]},
            "contained": [{"resourceType": "Organization", "id": "1",
                           "identifier": [{"system": "https://fhir.nhs.uk/Id/ods-organization-code", "value": "GPSU01"}],
                           "name": "Synthetic NHS 111 Service", "telecom": [{"system": "phone", "value": "0300 000 0111"}]}],
            "extension": [{"url": SD + "Extension-GPConnect-BookingOrganisation-1", "valueReference": {"reference": "#1"}}],
            "status": "booked", "description": "Benchmark booking", "start": slot["start"], "end": slot["end"],
            "slot": [{"reference": f"Slot/{slot['id']}"}], "created": slot["start"],
            "participant": [{"actor": {"reference": f"Patient/{rng.choice(patients[ods])}"}, "status": "accepted"},
                            {"actor": {"reference": f"Location/{location_id}"}, "status": "accepted"}]}))
    rng.shuffle(bookings)
    rng.shuffle(appointments)
    return Workload(practices, appointments, bookings)


def headers(interaction: str) -> dict[str, str]:
    spec = BY_NAME[interaction]
    return {"Ssp-TraceID": "5f6a4e0b-5d4b-4a5e-9d2f-0c1f2b3a4d5e", "Ssp-From": "200000000359",
            "Ssp-To": "918999198993", "Ssp-InteractionID": spec.interaction_id, "Accept": "application/fhir+json",
            "Content-Type": "application/fhir+json", "Connection": "keep-alive",
            "Authorization": f"Bearer {consumer_token(int(time.time()), spec.scope, 'https://authorize.fhir.nhs.net/token')}"}


class Connection:
    """One keep-alive HTTP/1.1 connection: send a request, read the whole answer, return its status."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter):
        self.reader, self.writer = reader, writer

    @classmethod
    async def open(cls, port: int) -> Connection:
        return cls(*await asyncio.open_connection("127.0.0.1", port))

    async def request(self, method: str, target: str, headers: dict[str, str], body: bytes) -> int:
        head = "".join(f"{name}: {value}\r\n" for name, value in headers.items())
        self.writer.write(f"{method} {target} HTTP/1.1\r\nHost: 127.0.0.1\r\n{head}Content-Length: {len(body)}\r\n\r\n"
                          .encode() + body)
        status = int((await self.reader.readline()).split()[1])
        length, chunked = 0, False
        while (line := await self.reader.readline()) not in (b"\r\n", b""):
            name, _, value = line.partition(b":")
            if name.lower() == b"content-length":
                length = int(value)
            elif name.lower() == b"transfer-encoding":
                chunked = b"chunked" in value.lower()
        if not chunked:
            await self.reader.readexactly(length)
            return status
        while size := int((await self.reader.readline()).strip(), 16):
            await self.reader.readexactly(size + 2)
        await self.reader.readline()
        return status

    def close(self) -> None:
        self.writer.close()


async def run_phase(name: str, port: int, clients: int, seconds: float, next_request) -> Phase:
    """`clients` connections sending next_request() -> (method, path, params, body, headers) until time or work runs out."""
    latencies, statuses = [], {}
    connections = [await Connection.open(port) for _ in range(clients)]
    started = time.perf_counter()
    deadline = started + seconds

    async def client(connection: Connection):
        while time.perf_counter() < deadline:
            request = next_request()
            if request is None:
                return
            method, path, params, body, sent = request
            target = f"{path}?{urlencode(params)}" if params else path
            t0 = time.perf_counter()
            status = await connection.request(method, target, sent, body or b"")
            latencies.append(time.perf_counter() - t0)
            statuses[status] = statuses.get(status, 0) + 1

    await asyncio.gather(*(client(connection) for connection in connections))
    elapsed = time.perf_counter() - started
    for connection in connections:
        connection.close()
    return Phase(name, latencies, statuses, elapsed)


def slot_search(work: Workload, days: int):
    today, rng, sent = london_today(time.time()), random.Random(2), headers("search_free_slots")

    def request():
        first = today + timedelta(days=rng.randint(1, 14 - days + 1))
        params = {"status": "free", "start": f"ge{first}", "end": f"le{first + timedelta(days=days - 1)}",
                  "_include": "Slot:schedule", "searchFilter": "https://fhir.nhs.uk/Id/ods-organization-code|GPSU01"}
        return "GET", f"/{rng.choice(work.practices)}/STU3/1/gpconnect/Slot", params, None, sent
    return request


def read_appointment(work: Workload):
    rng, sent = random.Random(3), headers("read_appointment")

    def request():
        ods, appointment_id = rng.choice(work.appointments)
        return "GET", f"/{ods}/STU3/1/gpconnect/Appointment/{appointment_id}", None, None, sent
    return request


def book_appointment(work: Workload):
    queue, sent = iter(work.bookings), headers("book_appointment")

    def request():
        ods, body = next(queue, (None, None))
        return None if ods is None else ("POST", f"/{ods}/STU3/1/gpconnect/Appointment", None, orjson.dumps(body), sent)
    return request


async def drive(port: int, work: Workload, clients: int, seconds: float) -> list[Phase]:
    phases = [
        ("slot search, 1 day", slot_search(work, 1)),
        ("slot search, 14 days", slot_search(work, 14)),
        ("read an appointment", read_appointment(work)),
        ("book an appointment", book_appointment(work)),
    ]
    await run_phase("warm-up", port, clients, 2, slot_search(work, 1))
    return [await run_phase(name, port, clients, seconds, request) for name, request in phases]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--store", type=Path, help="a pcn store (default: generate one as of today)")
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=10.0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        source = args.store or pcn_store(folder)
        store = folder / "served.duckdb"
        shutil.copyfile(source, store)
        work = workload(store)
        port = free_port()
        server = subprocess.Popen([sys.executable, "-m", "gpsynth", "serve", str(store), "--port", str(port)],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
        origin = f"http://127.0.0.1:{port}"
        try:
            for _ in range(300):
                try:
                    httpx.get(origin + "/", timeout=1)
                    break
                except httpx.TransportError:
                    time.sleep(0.1)
            phases = asyncio.run(drive(port, work, args.clients, args.seconds))
        finally:
            server.terminate()
            server.wait(timeout=30)
    print(f"gpsynth serve, pcn store ({len(work.practices)} practices), {args.clients} concurrent clients, "
          f"{args.seconds:.0f} s per phase")
    print(f"{'interaction':28} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8}   {'requests':>7}")
    for phase in phases:
        print(phase.row())
    search = phases[0]
    rate = len(search.latencies) / search.seconds
    p99 = sorted(search.latencies)[int(len(search.latencies) * 0.99)] * 1000
    verdict = "met" if rate >= TARGET_SEARCHES and p99 < TARGET_P99_MS else "missed"
    print(f"target (>= {TARGET_SEARCHES} slot searches/s, p99 < {TARGET_P99_MS} ms): {verdict} "
          f"({rate:.0f}/s, p99 {p99:.1f} ms)")


if __name__ == "__main__":
    main()
