"""What handling a request tells an observer of it (the consumer conformance journal): the request as checked,
the refusal, the slots a search offered. Noted in the ASGI scope's state, so the request path only records them."""

from __future__ import annotations

from typing import Any

from starlette.types import Scope

REQUEST = "gpsynth.request"      # the GpcRequest that passed every check
REFUSAL = "gpsynth.refusal"      # the GpcError the request was answered with
OFFERED = "gpsynth.offered"      # the slot ids a free-slot search answered with


def note(scope: Scope, key: str, value: Any) -> None:
    scope.setdefault("state", {})[key] = value


def seen(scope: Scope, key: str) -> Any:
    return scope.get("state", {}).get(key)
