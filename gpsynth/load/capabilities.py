"""Looking before loading: what the server's CapabilityStatement says, and the choices made from it.

`GET [base]/metadata` tells the server's FHIR version (STU3 data goes to an R4 server converted) and
whether it takes transaction or batch Bundles or single updates. A choice the user made on the command
line wins; anything chosen here is said in the report's notes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import httpx
import orjson

from ..errors import GpsynthError
from .client import FhirClient, Reply, ServerUnreachable, retryable
from .outcome import outcome_text

ADMIN_ROOT = "/_gpsynth/fhir"  # gpsynth.sandbox.admin.ADMIN_ROOT, without importing the sandbox
SERVICE_ROOT = re.compile(r"/[A-Za-z0-9]+/STU3/1/gpconnect$")

SANDBOX_HINT = ("this is a gpsynth sandbox serving GP Connect only: restart it with `gpsynth serve STORE --admin` "
                "and load into http://HOST:PORT/_gpsynth/fhir (the whole store) or a practice's root")


@dataclass(frozen=True)
class ServerFacts:
    """What the CapabilityStatement said; None where it said nothing (or there was none)."""

    fhir_version: str | None = None   # as reported, e.g. "4.0.1"
    software: str | None = None
    transaction: bool | None = None
    batch: bool | None = None
    update: bool | None = None

    @property
    def release(self) -> str | None:
        """STU3 or R4 (R4B and R5 servers are sent R4); None when the version is unknown."""
        if not self.fhir_version:
            return None
        major = self.fhir_version.split(".")[0]
        return "STU3" if major == "3" else "R4" if major in ("4", "5") else None


async def server_facts(client: FhirClient) -> ServerFacts:
    """Read `GET metadata`; refuse a server that wants credentials or is a sandbox without --admin."""
    try:
        reply = await _first_answer(client, "metadata")
    except ServerUnreachable as exc:
        raise GpsynthError(f"cannot reach the FHIR server at {client.base}: {exc.reason}; "
                           "is it running, and is --server right?") from None
    body = _json(reply.body)
    if reply.status == 401:
        raise GpsynthError(f"the FHIR server at {client.base} answered 401 Unauthorized to GET metadata; "
                           "pass credentials with --header 'Authorization: Bearer TOKEN'")
    said = outcome_text(body)
    if "Ssp-" in said:  # a gpsynth sandbox's practice root, where metadata is a GP Connect interaction
        return await _sandbox_administration(client)
    if "administration surface is off" in said:
        raise GpsynthError(f"{client.base}: {SANDBOX_HINT}")
    return _facts(reply.status, body)


async def _first_answer(client: FhirClient, path: str) -> Reply:
    """GET `path`: a refused connection fails at once (nothing is listening there), other faults are retried."""
    try:
        response = await client.http.get(path)
    except httpx.ConnectError as exc:
        raise ServerUnreachable(str(exc), f"connection failed ({exc})") from None
    except httpx.TransportError:
        return await client.request("GET", path)
    if retryable(response.status_code):
        return await client.request("GET", path)
    return Reply(response.status_code, response.content)


async def _sandbox_administration(client: FhirClient) -> ServerFacts:
    """The facts of the sandbox's administration surface, which answers beside the practice roots when it is on."""
    root = SERVICE_ROOT.search(client.base)
    if root is None:
        raise GpsynthError(f"{client.base}: {SANDBOX_HINT}")
    reply = await client.request("GET", client.base[:root.start()] + ADMIN_ROOT + "/metadata")
    facts = _facts(reply.status, _json(reply.body))
    if facts.software != "gpsynth":
        raise GpsynthError(f"{client.base}: {SANDBOX_HINT}")
    return facts


def _json(body: bytes) -> object:
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError:
        return None


def _facts(status: int, body: object) -> ServerFacts:
    if status != 200 or not isinstance(body, dict) or body.get("resourceType") != "CapabilityStatement":
        return ServerFacts()
    rest = next((r for r in body.get("rest") or () if isinstance(r, dict) and r.get("mode") == "server"), {})
    system = {i.get("code") for i in rest.get("interaction") or () if isinstance(i, dict)}
    resources = [r for r in rest.get("resource") or () if isinstance(r, dict)]
    updates = {i.get("code") for r in resources for i in r.get("interaction") or () if isinstance(i, dict)}
    software = body["software"] if isinstance(body.get("software"), dict) else {}
    return ServerFacts(body.get("fhirVersion"), software.get("name"),
                       "transaction" in system if rest else None, "batch" in system if rest else None,
                       "update" in updates if resources else None)


def choose_version(facts: ServerFacts, asked: str | None) -> tuple[str, str | None]:
    """(the FHIR version to send, a note saying why) — `asked` (--fhir-version) wins."""
    if asked:
        return asked, None
    if facts.release is None:
        return "STU3", "the server did not state its FHIR version: sending STU3 as generated (--fhir-version R4 converts)"
    if facts.release == "R4":
        return "R4", f"the server speaks FHIR {facts.fhir_version}: converting the STU3 resources to R4"
    return "STU3", None


def choose_mode(facts: ServerFacts, asked: str | None) -> tuple[str, str | None]:
    """(transaction, batch or individual PUTs, a note saying why) — `asked` (--mode) wins."""
    if asked:
        return asked, None
    if facts.transaction is not False:
        return "transaction", None
    if facts.batch:
        return "batch", "the server takes no transaction Bundles: sending batch Bundles"
    if facts.update is not False:
        return "individual", "the server takes neither transaction nor batch Bundles: sending one PUT per resource"
    raise GpsynthError("the server's CapabilityStatement lists no transaction, batch or update interaction, and "
                       "gpsynth load writes with PUT Type/id (client-assigned ids, so a rerun never duplicates); "
                       "load into a server that accepts updates, or pass --mode to try anyway")
