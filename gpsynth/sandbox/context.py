"""What an interaction handler receives (a checked, parsed request) and what it returns."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field

import orjson

from gpsynth.sandbox.headers import SspHeaders
from gpsynth.sandbox.interactions import Interaction
from gpsynth.sandbox.jwt import JwtClaims
from gpsynth.sandbox.negotiation import Format
from gpsynth.sandbox.representation import Prefer


@dataclass(frozen=True)
class GpcRequest:
    """A request that passed the SSP header, interaction, JWT and content checks."""

    interaction: Interaction
    path_params: Mapping[str, str]
    query: tuple[tuple[str, str], ...]
    practice_ods_code: str
    service_root: str
    ssp: SspHeaders
    claims: JwtClaims
    body: Mapping | None
    response_format: Format
    prefer: Prefer
    if_match: str | None
    now: float

    @property
    def sent_resource(self) -> Mapping:
        """The resource a POST or PUT interaction sent: the request checks parse a body for every one of them."""
        if self.body is None:
            raise LookupError(f"{self.interaction.name} ({self.interaction.method}) carries no request body")
        return self.body

    def query_values(self, name: str) -> list[str]:
        """Every value of query parameter `name` (exact, case-sensitive name), in request order."""
        return [value for key, value in self.query if key == name]


@dataclass(frozen=True)
class GpcResponse:
    """A handler's answer: the resource to send (None for no body), HTTP status and extra headers; and for a
    free-slot search, the ids of the slots it offered."""

    resource: Mapping | orjson.Fragment | None       # a Fragment: stored JSON sent as it is (JSON answers only)
    status: int = 200
    headers: Mapping[str, str] = field(default_factory=dict)
    offered: tuple[str, ...] = ()


Handler = Callable[[GpcRequest], Awaitable[GpcResponse]]
