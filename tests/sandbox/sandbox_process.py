"""A real `gpsynth serve` in a subprocess on a free loopback port, and a GP Connect client for it."""

from __future__ import annotations

import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path

import httpx
from gpc_requests import default_claims, gpc_headers

from ports import free_port

from gpsynth.sandbox.interactions import BY_NAME
from gpsynth.sandbox.times import london_today

ODS = "A20047"
SD = "https://fhir.nhs.uk/STU3/StructureDefinition/"
FHIR_JSON = "application/fhir+json;charset=utf-8"
FHIR_XML = "application/fhir+xml;charset=utf-8"


class SandboxServer:
    """`gpsynth serve STORE` on 127.0.0.1; start, stop and start again on the same port."""

    def __init__(self, store: Path, log: Path, *options: str):
        self.store, self.log, self.options = store, log, options
        self.port = free_port()
        self.process: subprocess.Popen | None = None

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def base(self, ods: str = ODS) -> str:
        return f"{self.origin}/{ods}/STU3/1/gpconnect"

    def start(self) -> SandboxServer:
        with self.log.open("a") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "gpsynth", "serve", str(self.store), "--port", str(self.port), *self.options],
                stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 60
        while True:
            try:
                httpx.get(self.origin + "/", timeout=1)
                return self
            except httpx.TransportError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    self.stop()
                    raise RuntimeError(f"gpsynth serve did not start:\n{self.log.read_text()}") from None
                time.sleep(0.1)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=20)
        self.process = None


class GpcClient:
    """Requests as a GP Connect consumer makes them: SSP headers, the suite's JWT for the interaction's scope."""

    def __init__(self, base: str, http: httpx.Client):
        self.base, self.http = base, http

    def headers(self, interaction: str, claims: dict | None = None, **extra: str) -> dict[str, str]:
        spec = BY_NAME[interaction]
        claims = claims or default_claims(int(time.time()), spec.scope)
        return {**gpc_headers(spec.interaction_id, claims), **extra}

    def call(self, interaction: str, path: str, params=None, json=None, content: bytes | None = None,
             headers: dict | None = None, claims: dict | None = None) -> httpx.Response:
        spec = BY_NAME[interaction]
        sent = self.headers(interaction, claims, **(headers or {}))
        if json is not None or content is not None:
            sent.setdefault("Content-Type", "application/fhir+json")
        return self.http.request(spec.method, self.base + path, params=params, json=json, content=content,
                                 headers=sent)

    def free_slots(self, first: date, last: date, **params) -> httpx.Response:
        query = {"status": "free", "start": f"ge{first}", "end": f"le{last}", "_include": "Slot:schedule", **params}
        return self.call("search_free_slots", "/Slot", params=query)


def outcome_code(response: httpx.Response) -> str:
    """The Spine error code of an OperationOutcome answer (JSON), after checking its shape."""
    assert response.headers["cache-control"] == "no-store"
    outcome = response.json()
    assert outcome["resourceType"] == "OperationOutcome"
    (coding,) = outcome["issue"][0]["details"]["coding"]
    assert coding["system"] == "https://fhir.nhs.uk/STU3/CodeSystem/Spine-ErrorOrWarningCode-1" and coding["display"]
    assert outcome["issue"][0]["diagnostics"]
    return coding["code"]


def entries(bundle: dict, resource_type: str | None = None) -> list[dict]:
    found = [entry["resource"] for entry in bundle.get("entry", ())]
    return [r for r in found if resource_type is None or r["resourceType"] == resource_type]


def days_ahead(n: int) -> date:
    """The London calendar day n days from today, as the server counts days."""
    return london_today(time.time()) + timedelta(days=n)


def booking(for_slot: dict, schedule: dict, patient_id: str = "1", booking_ods: str = "A20047", **changes) -> dict:
    """An Appointment for one slot, built the way the assurance suite's DefaultAppointmentBuilder builds it."""
    location = next(a["reference"] for a in schedule["actor"] if a["reference"].startswith("Location/"))
    channel = next(e for e in for_slot["extension"] if e["url"].endswith("DeliveryChannel-2"))
    appointment = {
        "resourceType": "Appointment",
        "meta": {"profile": [SD + "GPConnect-Appointment-1"]},
        "contained": [{
            "resourceType": "Organization", "id": "1",
            "meta": {"profile": [SD + "CareConnect-GPC-Organization-1"]},
            "identifier": [{"system": "https://fhir.nhs.uk/Id/ods-organization-code", "value": booking_ods}],
            "name": "Test Suite Validator",
            "telecom": [{"system": "phone", "value": "01823938938", "use": "temp"}],
        }],
        "extension": [{"url": SD + "Extension-GPConnect-BookingOrganisation-1", "valueReference": {"reference": "#1"}},
                      {"url": SD + "Extension-GPConnect-DeliveryChannel-2", "valueCode": channel["valueCode"]}],
        "status": "booked",
        "serviceCategory": {"text": schedule["serviceCategory"]["text"]},
        "serviceType": [{"text": for_slot["serviceType"][0]["text"]}],
        "description": "Default Description",
        "start": for_slot["start"],
        "end": for_slot["end"],
        "slot": [{"reference": f"Slot/{for_slot['id']}"}],
        "created": "2026-01-01T09:00:00+00:00",
        "participant": [
            {"actor": {"reference": f"Patient/{patient_id}"}, "status": "accepted",
             "type": [{"coding": [{"system": "http://hl7.org/fhir/v3/ParticipationType", "code": "PART"}]}]},
            {"actor": {"reference": location}, "status": "accepted"},
        ],
    }
    appointment.update(changes)
    return appointment
