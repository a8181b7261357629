"""The sandbox under a consumer's load test: every interaction's requests per second and p50/p99 latency.

`gpsynth serve` runs in its own process over an `england-1pct` store (63 practices, generated as of
today unless --store is given); this process drives it over loopback with concurrent asyncio
clients, each on its own keep-alive connection, sending GP Connect requests (SSP headers, JWT) back
to back. The clients speak HTTP/1.1 themselves: an httpx client spends about 4 ms of CPU per request
here, more than the server does, and on a 2-core machine that would measure the client.

    python benchmarks/sandbox_bench.py [--clients 20] [--seconds 10] [--store england-1pct/gpsynth.duckdb]

Each phase counts only the status codes its requests must get: any other status fails the phase and
is printed. Slot searches ask for days on which the practice holds clinics. Bookings, amends and
cancels each change a different appointment; registrations register new NHS numbers. The consumer
journey is search, book, read, amend, cancel, each client at its own practices. Also printed: how
long the server takes to start answering, when it has read the rows it holds in memory (the phases
start then: until that moment, reads of patients and appointments go to the store), and its peak RSS
over the run.

Targets on 2 cores at 20 clients: changes (book, amend, cancel, register) >= 1,000/s with p99 < 50 ms;
reads >= 2,000/s with p99 < 50 ms; slot search over one day >= 1,500/s (what it did before the live book),
over seven days no slower than before (466/s); start <= 5 s; peak RSS <= 1 GB.
"""

from __future__ import annotations

import argparse
import asyncio
import copy
import gc
import random
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from urllib.parse import urlencode

import httpx
import orjson

from gpsynth.identifiers import nhs_numbers
from gpsynth.sandbox.interactions import BY_NAME
from gpsynth.sandbox.times import london_today, seconds
from gpsynth.sandbox.tokens import consumer_token
from gpsynth.store import open_store

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from ports import free_port  # noqa: E402 - the tests' helper for servers on loopback

SD = "https://fhir.nhs.uk/STU3/StructureDefinition/"
REASON = SD + "Extension-GPConnect-AppointmentCancellationReason-1"
NHS = "https://fhir.nhs.uk/Id/nhs-number"
ODS = "https://fhir.nhs.uk/Id/ods-organization-code"
WRITES, READS, SEARCHES = (1000, 50.0), (2000, 50.0), (1500, 50.0)     # (per second, p99 ms)
# A week's search answers seven times the slots of a day's: its target is to be no slower than before the live
# book, 466/s over england-1pct on this machine (2026-12-04), with a p99 under 100 ms.
WEEK_SEARCHES = (466, 100.0)
START_SECONDS, PEAK_RSS_MB = 5.0, 1024
HELD_WAIT_SECONDS = 300

# (method, path, query, body, interaction, expected statuses): each request gets fresh headers, as GP Connect
# asks of consumers (a new trace id and a new JWT every time).
Request = tuple[str, str, dict | list | None, bytes | None, str, tuple[int, ...]]


@dataclass
class Phase:
    name: str
    target: tuple[int, float]
    latencies: list[float] = field(default_factory=list)
    statuses: dict[int, int] = field(default_factory=dict)
    unexpected: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def rate(self) -> float:
        return len(self.latencies) / self.seconds if self.seconds else 0.0

    def percentile(self, share: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(len(ordered) * share))] * 1000 if ordered else 0.0

    @property
    def met(self) -> bool:
        rate, p99 = self.target
        return not self.unexpected and self.rate >= rate and self.percentile(0.99) < p99

    def row(self) -> str:
        codes = ", ".join(f"{code}: {count}" for code, count in sorted(self.statuses.items()))
        rate, p99 = self.target
        verdict = "met" if self.met else "MISSED"
        return (f"{self.name:30} {self.rate:7.0f} {self.percentile(0.5):7.1f} {self.percentile(0.99):7.1f} "
                f"{len(self.latencies):8}  >= {rate}/s, p99 < {p99:.0f} ms: {verdict}  ({codes})")


def generated_store(folder: Path, scenario: str) -> Path:
    out = folder / scenario
    done = subprocess.run([sys.executable, "-m", "gpsynth", "generate", "--scenario", scenario, "--format", "duckdb",
                           "--as-of", london_today(time.time()).isoformat(), "--out", str(out)], capture_output=True)
    if done.returncode:
        sys.exit(f"generating the {scenario} store failed:\n{done.stderr.decode()}")
    return out / "gpsynth.duckdb"


@dataclass
class Workload:
    """What the phases ask for, read from the store before it is served."""

    clinic_days: dict[str, list[date]]                 # ODS -> days with free slots in the next 14
    bookings: dict[str, list[dict]]                    # ODS -> an Appointment for each free, unrestricted slot
    appointments: list[tuple[str, dict]]               # (ODS, future booked Appointment as stored)
    patients: list[tuple[str, str, str]]               # (ODS, patient id, NHS number), findable
    practitioners: list[tuple[str, str]]               # (ODS, practitioner id)
    fresh_nhs_numbers: Iterator[str] = field(default_factory=lambda: iter(()))


def workload(store: Path) -> Workload:
    con = open_store(store)
    today = london_today(time.time())
    clinic_days: dict[str, list[date]] = {}
    for ods, day in con.execute(
            "SELECT ods_code, day FROM free_slots_by_day WHERE day BETWEEN ? AND ? ORDER BY ods_code, day",
            [today, today + timedelta(days=13)]).fetchall():
        clinic_days.setdefault(ods, []).append(day)
    patients = con.execute(
        "SELECT o.ods_code, p.id, p.nhs_number FROM patient p JOIN organization o ON o.id = p.organization_id "
        "WHERE p.state = 'normal' ORDER BY p.shard, p.seq").fetchall()
    by_practice: dict[str, list[str]] = {}
    for ods, patient_id, _ in patients:
        by_practice.setdefault(ods, []).append(patient_id)
    rng = random.Random(1)
    bookings: dict[str, list[dict]] = {}
    for ods, text, location_id in con.execute(
            "SELECT o.ods_code, s.resource, sc.location_id FROM slot s JOIN schedule sc ON sc.id = s.schedule_id "
            "JOIN organization o ON o.id = sc.organization_id WHERE s.status = 'free' AND s.bookable "
            "AND len(s.restrict_org_types) = 0 AND len(s.restrict_ods_codes) = 0 "
            "AND s.start > now() + INTERVAL 1 HOUR ORDER BY s.start").fetchall():
        if ods in by_practice:
            bookings.setdefault(ods, []).append(appointment_for(orjson.loads(text), location_id,
                                                                rng.choice(by_practice[ods])))
    appointments = [(ods, orjson.loads(text)) for ods, text in con.execute(
        "SELECT o.ods_code, a.resource FROM appointment a JOIN organization o ON o.id = a.organization_id "
        "WHERE a.status = 'booked' AND a.start > now() + INTERVAL 1 HOUR").fetchall()]
    practitioners = con.execute("SELECT o.ods_code, p.id FROM practitioner p "
                                "JOIN organization o ON o.id = p.organization_id").fetchall()
    held = {row[0] for row in con.execute("SELECT nhs_number FROM patient").fetchall()}
    con.close()
    for slots in bookings.values():
        rng.shuffle(slots)
    rng.shuffle(appointments)
    rng.shuffle(patients)
    fresh = (n for n in nhs_numbers("999", 800_000) if n not in held)
    return Workload(clinic_days, bookings, appointments, patients, practitioners, fresh)


def appointment_for(slot: dict, location_id: str, patient_id: str) -> dict:
    return {
        "resourceType": "Appointment", "meta": {"profile": [SD + "GPConnect-Appointment-1"]},
        "contained": [{"resourceType": "Organization", "id": "1",
                       "identifier": [{"system": ODS, "value": "GPSU01"}],
                       "name": "Synthetic NHS 111 Service", "telecom": [{"system": "phone", "value": "0300 000 0111"}]}],
        "extension": [{"url": SD + "Extension-GPConnect-BookingOrganisation-1", "valueReference": {"reference": "#1"}}],
        "status": "booked", "description": "Benchmark booking", "start": slot["start"], "end": slot["end"],
        "slot": [{"reference": f"Slot/{slot['id']}"}], "created": slot["start"],
        "participant": [{"actor": {"reference": f"Patient/{patient_id}"}, "status": "accepted"},
                        {"actor": {"reference": f"Location/{location_id}"}, "status": "accepted"}]}


def headers(interaction: str) -> dict[str, str]:
    spec = BY_NAME[interaction]
    return {"Ssp-TraceID": str(uuid.uuid4()), "Ssp-From": "200000000359",
            "Ssp-To": "918999198993", "Ssp-InteractionID": spec.interaction_id, "Accept": "application/fhir+json",
            "Content-Type": "application/fhir+json", "Connection": "keep-alive",
            "Authorization": f"Bearer {consumer_token(int(time.time()), spec.scope, 'https://authorize.fhir.nhs.net/token')}"}


def root(ods: str) -> str:
    return f"/{ods}/STU3/1/gpconnect"


class Connection:
    """One keep-alive HTTP/1.1 connection: send a request, read the whole answer; its status and body."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter):
        self.reader, self.writer = reader, writer

    @classmethod
    async def open(cls, port: int) -> Connection:
        return cls(*await asyncio.open_connection("127.0.0.1", port))

    async def request(self, method: str, target: str, headers: dict[str, str], body: bytes) -> tuple[int, bytes]:
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
            return status, await self.reader.readexactly(length)
        parts = []
        while size := int((await self.reader.readline()).strip(), 16):
            parts.append((await self.reader.readexactly(size + 2))[:-2])
        await self.reader.readline()
        return status, b"".join(parts)

    def close(self) -> None:
        self.writer.close()


async def send(connection: Connection, phase: Phase, request: Request) -> bytes:
    method, path, params, body, interaction, expected = request
    target = f"{path}?{urlencode(params, doseq=True)}" if params else path
    sent = headers(interaction)
    started = time.perf_counter()
    status, answer = await connection.request(method, target, sent, body or b"")
    phase.latencies.append(time.perf_counter() - started)
    phase.statuses[status] = phase.statuses.get(status, 0) + 1
    if status not in expected and len(phase.unexpected) < 3:
        phase.unexpected.append(f"{method} {path} -> {status}: {answer[:300].decode(errors='replace')}")
    return answer


async def run_phase(phase: Phase, port: int, clients: int, seconds: float,
                    client_work: Callable[[int, Connection, Phase, float], object]) -> Phase:
    """`clients` connections, each running client_work(n, connection, phase, deadline) until time or work runs out."""
    connections = [await Connection.open(port) for _ in range(clients)]
    started = time.perf_counter()
    await asyncio.gather(*(client_work(n, c, phase, started + seconds) for n, c in enumerate(connections)))
    phase.seconds = time.perf_counter() - started
    for connection in connections:
        connection.close()
    return phase


def each(next_request: Callable[[int], Request | None]):
    """Client work sending next_request(client) back to back."""
    async def work(n: int, connection: Connection, phase: Phase, deadline: float) -> None:
        while time.perf_counter() < deadline and (request := next_request(n)) is not None:
            await send(connection, phase, request)
    return work


def slot_search(work: Workload, days: int):
    rng, practices = random.Random(2), list(work.clinic_days)

    def request(_: int) -> Request:
        ods = rng.choice(practices)
        first = rng.choice(work.clinic_days[ods])
        params = {"status": "free", "start": f"ge{first}", "end": f"le{first + timedelta(days=days - 1)}",
                  "_include": "Slot:schedule", "searchFilter": f"{ODS}|GPSU01"}
        return "GET", f"{root(ods)}/Slot", params, None, "search_free_slots", (200,)
    return request


def bookings(queue: Iterator[tuple[str, dict]]):
    def request(_: int) -> Request | None:
        ods, body = next(queue, (None, None))
        return None if ods is None else ("POST", f"{root(ods)}/Appointment", None, orjson.dumps(body),
                                         "book_appointment", (201,))
    return request


def spread(work: Workload) -> Iterator[tuple[str, dict]]:
    """Bookings taking turns over every practice."""
    queues = [iter([(ods, b) for b in slots]) for ods, slots in work.bookings.items()]
    while queues:
        for queue in list(queues):
            item = next(queue, None)
            if item is None:
                queues.remove(queue)
            else:
                yield item


def reads(interaction: str, target: Callable[[random.Random], tuple[str, dict | list | None]]):
    rng = random.Random(3)

    def request(_: int) -> Request:
        url, params = target(rng)
        return "GET", url, params, None, interaction, (200,)
    return request


def appointment_read(work: Workload):
    def target(rng: random.Random) -> tuple[str, None]:
        ods, appointment = rng.choice(work.appointments)
        return f"{root(ods)}/Appointment/{appointment['id']}", None
    return target


def appointments_retrieval(work: Workload):
    today = london_today(time.time())
    window = [("start", f"ge{today}"), ("start", f"le{today + timedelta(days=13)}")]

    def target(rng: random.Random) -> tuple[str, list]:
        ods, appointment = rng.choice(work.appointments)
        patient = appointment["participant"][0]["actor"]["reference"].split("/")[1]
        return f"{root(ods)}/Patient/{patient}/Appointment", window
    return target


def patient_search(work: Workload):
    def target(rng: random.Random) -> tuple[str, dict]:
        ods, _, nhs_number = rng.choice(work.patients)
        return f"{root(ods)}/Patient", {"identifier": f"{NHS}|{nhs_number}"}
    return target


def patient_read(work: Workload):
    def target(rng: random.Random) -> tuple[str, None]:
        ods, patient_id, _ = rng.choice(work.patients)
        return f"{root(ods)}/Patient/{patient_id}", None
    return target


def practitioner_read(work: Workload):
    def target(rng: random.Random) -> tuple[str, None]:
        ods, practitioner_id = rng.choice(work.practitioners)
        return f"{root(ods)}/Practitioner/{practitioner_id}", None
    return target


def organisation_search(work: Workload):
    def target(rng: random.Random) -> tuple[str, dict]:
        ods = rng.choice(list(work.clinic_days))
        return f"{root(ods)}/Organization", {"identifier": f"{ODS}|{ods}"}
    return target


def changes(queue: Iterator[tuple[str, dict]], interaction: str, change: Callable[[dict], dict]):
    def request(_: int) -> Request | None:
        ods, appointment = next(queue, (None, None))
        if ods is None:
            return None
        return ("PUT", f"{root(ods)}/Appointment/{appointment['id']}", None, orjson.dumps(change(appointment)),
                interaction, (200,))
    return request


def amended(appointment: dict) -> dict:
    return {**appointment, "description": "Amended by the benchmark"}


def cancelled(appointment: dict) -> dict:
    body = copy.deepcopy(appointment)
    body.update(status="cancelled", extension=[*body["extension"], {"url": REASON, "valueString": "Benchmark"}])
    return body


def registrations(work: Workload):
    rng, practices = random.Random(4), list(work.clinic_days)

    def request(_: int) -> Request:
        patient = {"resourceType": "Patient", "identifier": [{"system": NHS, "value": next(work.fresh_nhs_numbers)}],
                   "name": [{"use": "official", "family": "Benchmark", "given": ["Pat"]}],
                   "gender": "female", "birthDate": "1980-05-17"}
        body = {"resourceType": "Parameters", "parameter": [{"name": "registerPatient", "resource": patient}]}
        return ("POST", f"{root(rng.choice(practices))}/Patient/$gpc.registerpatient", None, orjson.dumps(body),
                "register_patient", (200,))
    return request


def journey(work: Workload, clients: int):
    """Each client at its own practices: search a clinic day, book its first free slot, read, amend, cancel."""
    practices = list(work.bookings)
    patients = {}
    for ods, patient_id, _ in work.patients:
        patients.setdefault(ods, patient_id)

    async def client(n: int, connection: Connection, phase: Phase, deadline: float) -> None:
        mine = practices[n::clients]
        turn = 0
        while time.perf_counter() < deadline and mine:
            ods = mine[turn % len(mine)]
            turn += 1
            days = work.clinic_days.get(ods)
            if not days or ods not in patients:
                continue
            day = days[turn % len(days)]
            params = {"status": "free", "start": f"ge{day}", "end": f"le{day}", "_include": "Slot:schedule",
                      "searchFilter": f"{ODS}|GPSU01"}
            bundle = orjson.loads(await send(connection, phase, ("GET", f"{root(ods)}/Slot", params, None, "search_free_slots",
                                                                 (200,))))
            resources = [e["resource"] for e in bundle.get("entry", ())]
            soon = time.time() + 3600
            slots = [r for r in resources if r["resourceType"] == "Slot" and seconds(r["start"]) > soon]
            schedules = {r["id"]: r for r in resources if r["resourceType"] == "Schedule"}
            if not slots:
                continue
            slot = slots[0]
            schedule = schedules[slot["schedule"]["reference"].split("/")[1]]
            location = next(a["reference"] for a in schedule["actor"] if a["reference"].startswith("Location/"))
            body = appointment_for(slot, location.split("/")[1], patients[ods])
            made = orjson.loads(await send(connection, phase, ("POST", f"{root(ods)}/Appointment", None,
                                                               orjson.dumps(body), "book_appointment", (201,))))
            if made.get("resourceType") != "Appointment":
                continue
            url = f"{root(ods)}/Appointment/{made['id']}"
            await send(connection, phase, ("GET", url, None, None, "read_appointment", (200,)))
            changed = orjson.loads(await send(connection, phase, ("PUT", url, None, orjson.dumps(amended(made)),
                                                                  "amend_appointment", (200,))))
            if changed.get("resourceType") == "Appointment":
                await send(connection, phase, ("PUT", url, None, orjson.dumps(cancelled(changed)),
                                                "cancel_appointment", (200,)))
    return client


async def drive(port: int, work: Workload, clients: int, seconds: float) -> list[Phase]:
    busiest = max(work.bookings, key=lambda ods: len(work.bookings[ods]))
    one_practice = iter([(busiest, body) for body in work.bookings.pop(busiest)])
    half = len(work.appointments) // 2
    to_amend, to_cancel = iter(work.appointments[:half]), iter(work.appointments[half:])
    phases = [
        ("slot search, 1 day", SEARCHES, each(slot_search(work, 1))),
        ("slot search, 7 days", WEEK_SEARCHES, each(slot_search(work, 7))),
        ("read an appointment", READS, each(reads("read_appointment", appointment_read(work)))),
        ("retrieve patient appointments", READS, each(reads("retrieve_appointments", appointments_retrieval(work)))),
        ("find a patient", READS, each(reads("find_patient", patient_search(work)))),
        ("read a patient", READS, each(reads("read_patient", patient_read(work)))),
        ("read a practitioner", READS, each(reads("read_practitioner", practitioner_read(work)))),
        ("find an organisation", READS, each(reads("find_organisation", organisation_search(work)))),
        ("book, spread over practices", WRITES, each(bookings(spread(work)))),
        ("book, all at one practice", WRITES, each(bookings(one_practice))),
        ("amend an appointment", WRITES, each(changes(to_amend, "amend_appointment", amended))),
        ("cancel an appointment", WRITES, each(changes(to_cancel, "cancel_appointment", cancelled))),
        ("register a patient", WRITES, each(registrations(work))),
        ("journey: search, book, read, amend, cancel", WRITES, journey(work, clients)),
    ]
    await run_phase(Phase("warm-up", SEARCHES), port, clients, 2, each(slot_search(work, 1)))
    return [await run_phase(Phase(name, target), port, clients, seconds, work_) for name, target, work_ in phases]


def watch_output(server: subprocess.Popen, held: threading.Event) -> None:
    """Read the server's output to its end (so it never blocks writing), and set `held` at its "held in memory" line."""
    assert server.stdout is not None
    for line in server.stdout:
        if line.startswith("held in memory"):
            held.set()


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--store", type=Path, help="a store to serve (default: generate england-1pct as of today)")
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=10.0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        source = args.store or generated_store(folder, "england-1pct")
        store = folder / "served" / "gpsynth.duckdb"
        store.parent.mkdir()
        shutil.copyfile(source, store)
        work = workload(store)
        # The workload is millions of objects: keep the client's collector off them, or its full collections
        # stall every client for seconds in the middle of a phase.
        gc.collect()
        gc.freeze()
        port = free_port()
        started = time.perf_counter()
        server = subprocess.Popen([sys.executable, "-m", "gpsynth", "serve", str(store), "--port", str(port)],
                                  stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        held = threading.Event()
        threading.Thread(target=watch_output, args=(server, held), daemon=True).start()
        try:
            while True:
                try:
                    httpx.get(f"http://127.0.0.1:{port}/", timeout=1)
                    break
                except httpx.TransportError:
                    if server.poll() is not None:
                        sys.exit("gpsynth serve stopped before answering")
                    time.sleep(0.05)
            start_seconds = time.perf_counter() - started
            if not held.wait(HELD_WAIT_SECONDS):
                sys.exit(f"gpsynth serve did not say it held its rows within {HELD_WAIT_SECONDS} s")
            held_seconds = time.perf_counter() - started
            phases = asyncio.run(drive(port, work, args.clients, args.seconds))
            rss = peak_rss_mb(server.pid)
        finally:
            server.terminate()
            server.wait(timeout=60)
    print(f"gpsynth serve over {source} ({len(work.clinic_days)} practices with clinics), {args.clients} clients, "
          f"{args.seconds:.0f} s per phase")
    print(f"{'phase':30} {'req/s':>7} {'p50 ms':>7} {'p99 ms':>7} {'requests':>8}  target")
    for phase in phases:
        print(phase.row())
        for problem in phase.unexpected:
            print(f"    unexpected: {problem}")
    print(f"start: {start_seconds:.1f} s (target <= {START_SECONDS:.0f} s: "
          f"{'met' if start_seconds <= START_SECONDS else 'MISSED'}); rows held in memory after {held_seconds:.1f} s; "
          f"peak RSS {rss:.0f} MB "
          f"(target <= {PEAK_RSS_MB} MB: {'met' if rss <= PEAK_RSS_MB else 'MISSED'})")
    missed = [phase.name for phase in phases if not phase.met]
    print(f"targets missed: {', '.join(missed)}" if missed else "every phase met its target")


if __name__ == "__main__":
    main()
