"""Reading a load back: the server's count per type (`_summary=count`) and a sample of resources by id."""

from __future__ import annotations

import orjson

from .client import FhirClient
from .report import TypeVerification


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
            total = orjson.loads(reply.body).get("total")
            if isinstance(total, int):
                return total
    return None


async def is_stored(client: FhirClient, resource_type: str, resource_id: str) -> bool:
    reply = await client.request("GET", f"{resource_type}/{resource_id}")
    return reply.status == 200 and orjson.loads(reply.body).get("id") == resource_id


async def verify(client: FhirClient, expected: dict[str, int], samples: dict[str, list[str]]) -> tuple[TypeVerification, ...]:
    checked = []
    for resource_type, count in expected.items():
        sampled = samples.get(resource_type, [])
        missing = [i for i in sampled if not await is_stored(client, resource_type, i)]
        checked.append(TypeVerification(resource_type, count, await server_total(client, resource_type),
                                        tuple(sampled), tuple(missing)))
    return tuple(checked)
