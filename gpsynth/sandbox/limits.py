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
# Headers: a GP Connect request's (SSP headers and a JWT of a few KB) fit in 4 KB. Past 16 KB the HTTP layer
# refuses a request itself, in plain text; it is told to read up to 64 KB so this server can refuse
# anything past 16 KB as an OperationOutcome.
MAX_HEADER_BYTES = 16 * 1024
HTTP_LAYER_HEADER_LIMIT = 64 * 1024
ADMIN_MAX_BODY = 256 * 1024 * 1024  # bytes, for administration Bundles
# The catalogue has no Spine code for an oversized body; BAD_REQUEST is the nearest.
PAYLOAD_TOO_LARGE = SpineError(413, "too-costly", "BAD_REQUEST")
HEADERS_TOO_LARGE = SpineError(431, "too-costly", "BAD_REQUEST")


def check_header_size(scope: Scope) -> None:
    size = sum(len(name) + len(value) + 4 for name, value in scope["headers"])
    if size > MAX_HEADER_BYTES:
        raise HEADERS_TOO_LARGE(f"The request's headers have {size:,} bytes; this server takes at most {MAX_HEADER_BYTES:,}",
                                rule="request-size")


def declared_length(scope: Scope) -> int | None:
    for name, value in scope["headers"]:
        if name == b"content-length":
            return int(value) if value.isdigit() else None
    return None


def bounded(receive: Receive, scope: Scope, limit: int) -> Receive:
    """`receive`, refusing (413) a body whose Content-Length or whose bytes so far pass `limit`."""
    declared = declared_length(scope)
    if declared is not None and declared > limit:
        raise PAYLOAD_TOO_LARGE(f"The request body has {declared:,} bytes; this server takes at most {limit:,}", rule="request-size")
    seen = 0

    async def receive_bounded() -> Message:
        nonlocal seen
        message = await receive()
        seen += len(message.get("body", b""))
        if seen > limit:
            raise PAYLOAD_TOO_LARGE(f"The request body passed {limit:,} bytes, the most this server takes", rule="request-size")
        return message

    return receive_bounded
