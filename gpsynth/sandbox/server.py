"""Running the sandbox: uvicorn on a host and port, after printing the base URL of every practice."""

from __future__ import annotations

import gc
from collections.abc import Callable
from pathlib import Path

import uvicorn

from ..store import DEFAULT_STORE_NAME
from .app import Sandbox, SandboxOptions


def store_path(store: Path) -> Path:
    """A store file, or the folder `gpsynth generate --format duckdb --out` wrote it into."""
    return store / DEFAULT_STORE_NAME if store.is_dir() else store


def serve(store: Path, host: str = "127.0.0.1", port: int = 8080, options: SandboxOptions = SandboxOptions(),
          access_log: bool = False, echo: Callable[[str], None] = print) -> None:
    """Serve the store until interrupted."""
    sandbox = Sandbox(store_path(store), options)
    if sandbox.rolled is not None:
        echo(f"horizon: {sandbox.rolled.summary()}")
    origin = f"http://{host}:{port}"
    echo(f"GP Connect 1.2.7 sandbox provider (ASID {options.provider_asid}) serving {store_path(store)}:")
    for url in sandbox.base_urls(origin):
        echo(f"  {url}")
    if not sandbox.base_urls(origin):
        echo(f"  no practice yet: load one at {origin}/<ODS>/STU3/1/gpconnect (--admin)")
    if options.admin:
        echo("administration: POST transaction/batch Bundles of PUTs at a base URL (no SSP headers needed)")
    gc.collect()
    gc.freeze()     # the start-up state (directory, free-slot index) lives all run: spare the collector walking it
    uvicorn.run(sandbox.app, host=host, port=port, log_level="info" if access_log else "warning",
                access_log=access_log)
