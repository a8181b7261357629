"""The HTTP side of a load: one pooled httpx client, retries with backoff and jitter, Retry-After honoured.

A request is retried on 408, 429 and 5xx answers (not 501 or 505), on timeouts and on connections
that drop or are refused. Every write is an idempotent PUT, so re-sending after an unknown outcome
is safe. When transport errors outlast the retries, ServerUnreachable stops the load; an HTTP error
that outlasts them is returned for the caller to record.
"""

from __future__ import annotations

import asyncio
import random
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

import httpx

from ..errors import GpsynthError
from .options import RetryPolicy

NOT_RETRIED_5XX = (501, 505)  # Not Implemented, HTTP Version Not Supported: the same request fails again
MAX_RETRY_AFTER = 300.0  # seconds; a longer Retry-After is waited for this long, then retried
FHIR_JSON = "application/fhir+json"


def retryable(status: int) -> bool:
    """408 Request Timeout, 429 Too Many Requests, and 5xx but 501 and 505."""
    return status in (408, 429) or (500 <= status < 600 and status not in NOT_RETRIED_5XX)


class ServerUnreachable(GpsynthError):
    """The server stopped answering for longer than the retry policy allows."""

    def __init__(self, message: str, reason: str):
        super().__init__(message)
        self.reason = reason  # what happened, e.g. "connection failed ([Errno 111] Connection refused)"


@dataclass(frozen=True)
class Reply:
    status: int
    body: bytes


def backoff(policy: RetryPolicy, retry: int, retry_after: float | None, rng: random.Random) -> float:
    """Seconds to wait before retry number `retry` (1-based): full jitter, at least Retry-After."""
    jittered = rng.uniform(0, min(policy.cap, policy.base * 2 ** (retry - 1)))
    return max(jittered, min(retry_after, MAX_RETRY_AFTER)) if retry_after is not None else jittered


def retry_after_seconds(value: str | None, now: datetime | None = None) -> float | None:
    """Retry-After as seconds: a number of seconds or an HTTP date; None when absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


class FhirClient:
    """Requests against a FHIR base URL; counts the retries it makes and why."""

    def __init__(self, base: str, headers: tuple[tuple[str, str], ...], policy: RetryPolicy, connections: int):
        self.base, self.policy = base, policy
        merged = {"Content-Type": FHIR_JSON, "Accept": FHIR_JSON, "Prefer": "return=minimal"}
        merged.update(dict(headers))
        self.http = httpx.AsyncClient(
            base_url=base + "/", headers=merged, timeout=httpx.Timeout(policy.timeout),
            limits=httpx.Limits(max_connections=connections, max_keepalive_connections=connections))
        self.retries: Counter[str] = Counter()  # reason → retries
        self.rng = random.Random()

    async def __aenter__(self) -> FhirClient:
        return self

    async def __aexit__(self, *exc) -> None:
        await self.http.aclose()

    async def request(self, method: str, path: str, body: bytes | None = None, params: dict | None = None,
                      retries: int | None = None) -> Reply:
        """Send with retries (the policy's, or `retries` of them); ServerUnreachable when transport errors outlast them."""
        retries = self.policy.retries if retries is None else retries
        retry = 0
        while True:
            try:
                response = await self.http.request(method, path, content=body, params=params)
            except httpx.TransportError as exc:
                reason, detail = _describe(exc)
                if retry >= retries:
                    raise ServerUnreachable(f"{method} {self.base}/{path}: {reason} ({detail}), still after {retry} retries; "
                                            "the checkpoint holds what was loaded: rerun with --resume", f"{reason} ({detail})") from exc
                wait = backoff(self.policy, retry + 1, None, self.rng)
            else:
                if not retryable(response.status_code) or retry >= retries:
                    return Reply(response.status_code, response.content)
                reason = f"HTTP {response.status_code}"
                wait = backoff(self.policy, retry + 1, retry_after_seconds(response.headers.get("Retry-After")), self.rng)
            retry += 1
            self.retries[reason] += 1
            await asyncio.sleep(wait)


def _describe(exc: httpx.TransportError) -> tuple[str, str]:
    """(what happened, httpx's detail): timeout, connection failed or connection dropped."""
    detail = str(exc) or exc.__class__.__name__
    if isinstance(exc, httpx.TimeoutException):
        return "timeout", detail
    if isinstance(exc, httpx.ConnectError):
        return "connection failed", detail
    return "connection dropped", detail
