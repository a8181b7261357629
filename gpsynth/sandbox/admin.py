"""The administration endpoint (`gpsynth serve --admin`): plain FHIR writes that seed the store.

With --admin, the sandbox answers plain FHIR requests, with no SSP headers or JWT, at two kinds of base:

    /_gpsynth/fhir                    the whole store: seed an empty store, or load a whole dataset here
    /{ODS}/STU3/1/gpconnect           one practice (a request there carrying an Ssp-InteractionID is
                                      always a GP Connect request); writes there seed a new practice with
                                      that ODS code, reads at an ODS code the store does not hold answer 404

and at either of them:

    GET  [base]/metadata              a CapabilityStatement (FHIR 3.0.1; transaction, batch, update, read)
    POST [base]                       a transaction or batch Bundle of `PUT Type/id` entries
    PUT  [base]/Type/id               one resource
    GET  [base]/Type/id               read any resource of the store
    GET  [base]/Type?_summary=count   how many resources of a type the base holds (Bundle.total): the
                                      whole store, or the practice's own
    GET  [base]/Type?_id=a,b,…        the resources of the store with those ids (a searchset)

Each resource is stored by its id, created (201) or updated (200, version + 1), with its typed columns
derived from it (gpsynth.store.upsert), through the same one writer as bookings, so the GP Connect
interactions see it at once. A resource identical to the stored one is left alone: 200, the same
version (and, in a Bundle's answer, an informational OperationOutcome saying it is unchanged). Every
entry is checked before anything is stored: the type and id the URL names, the STU3 model, and the
elements behind the typed columns (a malformed Slot would otherwise be served, then break bookings).
A transaction is all or nothing: one bad entry rejects the Bundle with an OperationOutcome naming it. A batch
stores the good entries and answers each bad one with its own status and OperationOutcome. Answers
are FHIR JSON; `Prefer: return=minimal` is the natural mode.
"""

from __future__ import annotations

import logging
from hmac import compare_digest
from collections.abc import Mapping
from dataclasses import dataclass
from email.utils import formatdate
from functools import partial

import orjson
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from .. import __version__
from ..errors import GpsynthError
from ..fhir.constants import RESOURCE_ID, RESOURCE_TYPES
from ..store.columns import derive_columns
from ..store.schema import RESOURCE_TABLES
from ..store.upsert import Written, upsert_resources
from .directory import load_directory
from .errors import GpcError
from .headers import SSP_INTERACTION_ID
from .middleware import SERVICE_ROOT
from ..fhir.model_check import model_problem
from ..fhir.outcome import outcome_resource
from .negotiation import parse_body
from .nesting import MAX_NESTING, too_deep
from .provider import DAY, Provider
from .representation import Prefer, parse_prefer
from .slot_index import query_free_slots
from .store_access import StoreLeased
from .times import london_instant

log = logging.getLogger(__name__)

FHIR_JSON = "application/fhir+json;charset=utf-8"
BUNDLE_TYPES = {"transaction": "transaction-response", "batch": "batch-response"}
ADMIN_ROOT = "/_gpsynth/fhir"
MAX_IDS = 1000  # ids one `_id` search takes
LEASED_RETRY_AFTER = 2  # seconds: another gpsynth command is reading the store for a moment
UNCHANGED = outcome_resource("informational", "unchanged: identical to the stored version, which was kept", severity="information")
DIRECTORY_TYPES = ("Organization", "Location", "Practitioner", "Schedule")


def outcome(status: int, code: str, diagnostics: str) -> Response:
    return Response(orjson.dumps(outcome_resource(code, diagnostics)), status, media_type=FHIR_JSON)


class EntryError(Exception):
    def __init__(self, status: int, code: str, diagnostics: str):
        super().__init__(diagnostics)
        self.status, self.code, self.diagnostics = status, code, diagnostics


@dataclass(frozen=True)
class Put:
    """One `PUT Type/id` to store: its position in the request, type, resource and typed columns."""

    index: int
    resource_type: str
    resource: dict
    columns: dict


def checked_put(index: int, method: object, url: object, resource) -> Put:
    """One entry as a PUT to store, checked against the STU3 model and what the sandbox relies on; EntryError
    saying what is wrong with it."""
    where = f"entry {index + 1}"
    if method != "PUT":
        raise EntryError(400, "not-supported", f"{where}: only PUT Type/id is accepted here, not {method}")
    if not isinstance(url, str):
        raise EntryError(400, "invalid", f"{where}: request.url must be a string Type/id")
    resource_type, _, resource_id = url.split("?")[0].strip("/").partition("/")
    if resource_type not in RESOURCE_TYPES or not RESOURCE_ID.fullmatch(resource_id):
        raise EntryError(400, "invalid", f"{where}: request.url {url!r} must be Type/id with Type one of "
                                         f"{', '.join(RESOURCE_TYPES)}")
    if not isinstance(resource, dict) or resource.get("resourceType") != resource_type:
        raise EntryError(400, "invalid", f"{where}: the resource is not a {resource_type}")
    if resource.get("id") != resource_id:
        raise EntryError(400, "invalid", f"{where}: resource id {resource.get('id')} differs from the URL's {resource_id}")
    if too_deep(resource):
        raise EntryError(422, "structure", f"{where}: {resource_type}/{resource_id} nests more than {MAX_NESTING} levels")
    problem = model_problem(resource_type, resource)
    if problem:
        raise EntryError(422, "structure", f"{where}: {resource_type}/{resource_id} is not valid FHIR STU3: {problem}")
    try:
        columns = derive_columns(resource_type, resource)
    except (GpsynthError, AttributeError, TypeError, ValueError) as exc:
        raise EntryError(422, "structure", f"{where}: {resource_type}/{resource_id}: {exc}") from None
    return Put(index, resource_type, resource, columns)


def bundle_puts(bundle: Mapping) -> tuple[str, list[Put | EntryError]]:
    kind = bundle.get("type")
    if bundle.get("resourceType") != "Bundle" or not isinstance(kind, str) or kind not in BUNDLE_TYPES:
        raise EntryError(400, "invalid", "POST at the service root takes a Bundle of type transaction or batch")
    entries = bundle.get("entry") or []
    if not isinstance(entries, list):
        raise EntryError(400, "invalid", "Bundle.entry must be a list of entries")
    checked: list[Put | EntryError] = []
    for index, entry in enumerate(entries):
        request = entry.get("request") if isinstance(entry, dict) else None
        try:
            if not isinstance(request, dict):
                raise EntryError(400, "invalid", f"entry {index + 1}: needs a request object with method PUT and url Type/id")
            checked.append(checked_put(index, request.get("method"), request.get("url"), entry.get("resource")))
        except EntryError as error:
            checked.append(error)
    seen = set()
    for position, put in enumerate(checked):
        if isinstance(put, Put):
            key = (put.resource_type, put.resource["id"])
            if key in seen:
                checked[position] = EntryError(400, "duplicate", f"entry {put.index + 1}: {key[0]}/{key[1]} is "
                                                                 "written twice in one Bundle")
            seen.add(key)
    return bundle["type"], checked


class AdminApi:
    """The ASGI app answering administration requests (see the module docstring)."""

    def __init__(self, provider: Provider, clock, token: str | None = None):
        self.provider, self.clock, self.token = provider, clock, token

    @staticmethod
    def handles(scope: Scope) -> bool:
        """Whether a request is an administration request: anything under ADMIN_ROOT; at a practice's root,
        POST at the root or anything without an Ssp-InteractionID."""
        path = scope["path"]
        if path == ADMIN_ROOT or path.startswith(ADMIN_ROOT + "/"):
            return True
        root = SERVICE_ROOT.match(path)
        if root is None:
            return False
        below = path[root.end():].strip("/")
        if scope["method"] == "POST" and not below:
            return True
        interaction = SSP_INTERACTION_ID.lower().encode()
        return below != "metadata" and not any(name == interaction for name, _ in scope["headers"])

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope, receive)
        try:
            response = await self.handle(request)
        except EntryError as error:
            response = outcome(error.status, error.code, error.diagnostics)
        except StoreLeased as error:
            response = outcome(503, "transient", str(error))
            response.headers["Retry-After"] = str(LEASED_RETRY_AFTER)
        except GpcError as error:
            response = outcome(error.status, error.issue_code, error.diagnostics)
        except GpsynthError as error:
            response = outcome(422, "processing", str(error))
        except Exception:
            log.exception("unexpected error in administration request %s %s", scope["method"], scope["path"])
            response = outcome(500, "exception", "Unexpected error storing the resources; nothing was stored")
        await response(scope, receive, send)

    def _base(self, method: str, path: str) -> tuple[str | None, str]:
        """(the practice's ODS code, or None for the whole store; the path below the base)."""
        if path == ADMIN_ROOT or path.startswith(ADMIN_ROOT + "/"):
            return None, path[len(ADMIN_ROOT):].strip("/")
        root = SERVICE_ROOT.match(path)
        if root is None:  # `handles` lets through only the administration root and practices' service roots
            raise EntryError(404, "not-found", f"{path} is not an administration path")
        if method == "GET" and root["ods"] not in self.provider.directory.practices:
            raise EntryError(404, "not-found", f"this store holds no practice {root['ods']}; the whole store is at {ADMIN_ROOT}")
        return root["ods"], path[root.end():].strip("/")

    async def handle(self, request: Request) -> Response:
        if self.token is not None and not compare_digest(request.headers.get("authorization", ""), f"Bearer {self.token}"):
            raise EntryError(401, "security", "administration requests need the header 'Authorization: Bearer <token>' "
                                              "with the token `gpsynth serve --admin-token` was given")
        ods, below = self._base(request.method, request.url.path)
        resource_type, _, resource_id = below.partition("/")
        if request.method == "POST" and not below:
            body = parse_body(request.headers.get("content-type"), await request.body())
            return await self.bundle(ods, body, parse_prefer(request.headers.get("prefer")))
        if request.method == "GET" and below == "metadata":
            return Response(orjson.dumps(capabilities(london_instant(self.clock())[:10])), media_type=FHIR_JSON)
        if resource_type not in RESOURCE_TABLES:
            raise EntryError(404, "not-found", f"{below} is not an administration path; use Type/id with Type one of "
                                               f"{', '.join(RESOURCE_TYPES)}")
        if request.method == "PUT" and resource_id:
            body = parse_body(request.headers.get("content-type"), await request.body())
            return await self.put(ods, resource_type, resource_id, body,
                                  parse_prefer(request.headers.get("prefer")), request.url)
        if request.method == "GET" and resource_id:
            return await self.read(resource_type, resource_id)
        if request.method == "GET" and "_id" in request.query_params:
            ids = [i for i in request.query_params["_id"].split(",") if i][:MAX_IDS]
            await self.provider.book.checkpoint()       # searches read the store: fold the interactions' changes in
            found = await self.provider.store.read(partial(_with_ids, RESOURCE_TABLES[resource_type].name, ids))
            bundle = {"resourceType": "Bundle", "type": "searchset", "total": len(found),
                      "entry": [{"resource": orjson.Fragment(text)} for text in found]}
            return Response(orjson.dumps(bundle), media_type=FHIR_JSON)
        if request.method == "GET" and request.query_params.get("_summary") == "count":
            await self.provider.book.checkpoint()
            total = await self.provider.store.read(partial(_count, RESOURCE_TABLES[resource_type].name, ods))
            bundle = {"resourceType": "Bundle", "type": "searchset", "total": total}
            return Response(orjson.dumps(bundle), media_type=FHIR_JSON)
        raise EntryError(405, "not-supported", f"{request.method} {below}: use POST (a Bundle), PUT Type/id, "
                                               "GET Type/id, GET Type?_id=… or GET Type?_summary=count")

    async def read(self, resource_type: str, resource_id: str) -> Response:
        found = await self.provider.book.row(resource_type, resource_id)
        if found is None:
            raise EntryError(404, "not-found", f"{resource_type}/{resource_id} is not in the store")
        return Response(found.resource, media_type=FHIR_JSON, headers={"ETag": f'W/"{found.version_id}"'})

    async def put(self, ods: str | None, resource_type: str, resource_id: str, resource, prefer: Prefer, url) -> Response:
        put = checked_put(0, "PUT", f"{resource_type}/{resource_id}", resource)
        (written,) = await self.store(ods, [put])
        headers = {"ETag": f'W/"{written.version_id}"', "Last-Modified": formatdate(self.clock(), usegmt=True),
                   "Location": f"{str(url).split('?')[0]}/_history/{written.version_id}"}
        status = 201 if written.created else 200
        if prefer is Prefer.MINIMAL:
            return Response(status_code=status, headers=headers)
        return Response(written.resource, status, headers=headers, media_type=FHIR_JSON)

    async def bundle(self, ods: str | None, bundle: Mapping, prefer: Prefer) -> Response:
        bundle_type, checked = bundle_puts(bundle)
        errors = [entry for entry in checked if isinstance(entry, EntryError)]
        if bundle_type == "transaction" and errors:
            first = errors[0]
            raise EntryError(first.status, first.code, f"The transaction was not applied: {first.diagnostics}"
                                              + (f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""))
        written = await self.store(ods, [entry for entry in checked if isinstance(entry, Put)])
        by_key = {(w.resource_type, w.id): w for w in written}
        last_modified = london_instant(self.clock())
        entries: list[dict[str, object]] = []
        for entry in checked:
            if isinstance(entry, EntryError):
                entries.append({"response": {"status": str(entry.status),
                                             "outcome": outcome_resource(entry.code, entry.diagnostics)}})
                continue
            done = by_key[(entry.resource_type, entry.resource["id"])]
            stored: dict[str, object] = {"status": "201 Created" if done.created else "200 OK",
                                         "location": f"{done.resource_type}/{done.id}/_history/{done.version_id}",
                                         "etag": f'W/"{done.version_id}"', "lastModified": last_modified}
            if done.unchanged:
                stored["outcome"] = UNCHANGED
            answer: dict[str, object] = {"response": stored}
            if prefer is Prefer.REPRESENTATION:
                answer = {"resource": orjson.Fragment(done.resource), **answer}
            entries.append(answer)
        response: dict[str, object] = {"resourceType": "Bundle", "type": BUNDLE_TYPES[bundle_type]}
        if entries:
            response["entry"] = entries
        return Response(orjson.dumps(response), media_type=FHIR_JSON)

    async def store(self, ods: str | None, puts: list[Put]) -> list[Written]:
        """Write the resources in dependency order in one transaction; bring the in-memory state up to date."""
        if not puts:
            return []
        now = self.clock()
        last_updated = london_instant(now)
        by_type = {t: [p for p in puts if p.resource_type == t] for t in RESOURCE_TYPES}

        def write(con) -> list[Written]:
            return [w for t, group in by_type.items() if group
                    for w in upsert_resources(con, t, [p.resource for p in group], last_updated, ods,
                                              [p.columns for p in group])]

        def apply(written: list[Written]) -> None:
            provider = self.provider
            if any(by_type[t] for t in DIRECTORY_TYPES):
                provider.directory = provider.store.read_now(load_directory)
            touched = [w.id for w in written if w.resource_type == "Slot" and not w.unchanged]
            if touched:
                provider.slots.remove(touched)
                provider.slots.add(provider.store.read_now(lambda con: query_free_slots(con, now - DAY, touched)))
            if by_type["Patient"] or by_type["Appointment"]:
                provider.number_ids()

        async with self.provider.book.exclusive():
            return await self.provider.store.write_locked(write, apply)


def _with_ids(table: str, ids: list[str], con) -> list[str]:
    return [row[0] for row in con.execute(f"SELECT resource FROM {table} WHERE id IN (SELECT unnest($ids)) ORDER BY id",
                                          {"ids": ids}).fetchall()]


def _count(table: str, ods: str | None, con) -> int:
    """Rows of `table` in the whole store, or in one practice's shard."""
    if ods is None:
        return con.execute(f"SELECT count(*) FROM {table}").fetchall()[0][0]
    return con.execute(f"SELECT count(*) FROM {table} WHERE shard = (SELECT shard FROM shard WHERE practice_ods = ?)",
                       [ods]).fetchall()[0][0]


def capabilities(today: str) -> dict:
    """The administration surface's CapabilityStatement: what a loader needs to choose how to send."""
    return {
        "resourceType": "CapabilityStatement", "status": "active", "date": today, "kind": "instance",
        "software": {"name": "gpsynth", "version": __version__}, "fhirVersion": "3.0.1",
        "acceptUnknown": "no", "format": ["application/fhir+json"],
        "rest": [{"mode": "server", "interaction": [{"code": "transaction"}, {"code": "batch"}],
                  "resource": [{"type": t, "interaction": [{"code": "read"}, {"code": "update"}, {"code": "search-type"}],
                                "updateCreate": True} for t in RESOURCE_TYPES]}],
    }
