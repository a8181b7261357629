"""Reading a load back: is every loaded id on the server? By count where the count is exact, else by id.

For each type the server is first asked for its total (`_summary=count`). When it equals the number of
resources loaded, the server holds exactly those (ids are client-assigned, so each one loaded is one
stored) and a sample is read back by id. Otherwise (the base holds other resources too, or gives no
total) every loaded id is searched for with `_id`, a page of ids at a time; a server that does not
search by `_id` gets a sample read back by id, and the report says that is all it got.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from itertools import islice

import orjson

from .client import FhirClient
from .report import TypeVerification

ID_PAGE = 100  # ids per `_id` search


def spread(ids: list[str], k: int) -> list[str]:
    """Up to k ids spread evenly over `ids`, first and last included."""
    if len(ids) <= k:
        return list(ids)
    if k == 1:
        return [ids[0]]
    return [ids[round(i * (len(ids) - 1) / (k - 1))] for i in range(k)]


async def server_total(client: FhirClient, resource_type: str) -> int | None:
    """Bundle.total of a count-only search; servers without `_summary=count` are asked for `_total`."""
    for params in ({"_summary": "count"}, {"_count": "0", "_total": "accurate"}):
        reply = await client.request("GET", resource_type, params=params)
        if reply.status == 200:
            total = _json(reply.body).get("total")
            if isinstance(total, int):
                return total
    return None


async def is_stored(client: FhirClient, resource_type: str, resource_id: str) -> bool:
    reply = await client.request("GET", f"{resource_type}/{resource_id}")
    return reply.status == 200 and _json(reply.body).get("id") == resource_id


async def found_by_id(client: FhirClient, resource_type: str, ids: list[str]) -> set[str] | None:
    """Which of `ids` a `_id` search finds; None when the server does not search by `_id`."""
    reply = await client.request("GET", resource_type, params={"_id": ",".join(ids), "_count": str(len(ids)),
                                                                "_elements": "id"})
    answer = _json(reply.body) if reply.status == 200 else {}
    if answer.get("resourceType") != "Bundle":
        return None
    return {e["resource"].get("id") for e in answer.get("entry") or () if isinstance(e.get("resource"), dict)}


async def verify_type(client: FhirClient, resource_type: str, ids: Iterable[str], expected: int,
                      samples: list[str]) -> TypeVerification:
    total = await server_total(client, resource_type)
    if total == expected:
        missing = [i for i in samples if not await is_stored(client, resource_type, i)]
        return TypeVerification(resource_type, expected, total, "count", len(samples), tuple(missing))
    missing, checked = [], 0
    for page in _pages(ids, ID_PAGE):
        found = await found_by_id(client, resource_type, page)
        if found is None:
            missing = [i for i in samples if not await is_stored(client, resource_type, i)]
            return TypeVerification(resource_type, expected, total, "sampled reads", len(samples), tuple(missing))
        missing.extend(i for i in page if i not in found)
        checked += len(page)
    return TypeVerification(resource_type, expected, total, "id search", checked, tuple(missing))


def _pages(ids: Iterable[str], size: int) -> Iterator[list[str]]:
    it = iter(ids)
    while page := list(islice(it, size)):
        yield page


def _json(body: bytes) -> dict:
    try:
        value = orjson.loads(body)
    except orjson.JSONDecodeError:
        return {}
    return value if isinstance(value, dict) else {}
