"""Bounded request bodies: a body past its limit is refused with 413 before it is read whole.

The largest legitimate GP Connect request (a booking with its contained organisation, or a registration) is
a few kilobytes, so the default limit of 1 MB leaves two orders of magnitude of margin while keeping one
client from making the server read, hold and parse megabytes; the administration surface takes Bundles of
thousands of resources and has its own, larger limit.
"""

from __future__ import annotations

from starlette.types import Message, Receive, Scope

from .errors import SpineError

GPC_MAX_BODY = 1024 * 1024          # bytes, for GP Connect interactions (--max-body)
ADMIN_MAX_BODY = 256 * 1024 * 1024  # bytes, for administration Bundles
# The catalogue has no Spine code for an oversized body; BAD_REQUEST is the nearest.
PAYLOAD_TOO_LARGE = SpineError(413, "too-costly", "BAD_REQUEST")


def declared_length(scope: Scope) -> int | None:
    for name, value in scope["headers"]:
        if name == b"content-length":
            return int(value) if value.isdigit() else None
    return None


def bounded(receive: Receive, scope: Scope, limit: int) -> Receive:
    """`receive`, refusing (413) a body whose Content-Length or whose bytes so far pass `limit`."""
    declared = declared_length(scope)
    if declared is not None and declared > limit:
        raise PAYLOAD_TOO_LARGE(f"The request body has {declared:,} bytes; this server takes at most {limit:,}")
    seen = 0

    async def receive_bounded() -> Message:
        nonlocal seen
        message = await receive()
        seen += len(message.get("body", b""))
        if seen > limit:
            raise PAYLOAD_TOO_LARGE(f"The request body passed {limit:,} bytes, the most this server takes")
        return message

    return receive_bounded
