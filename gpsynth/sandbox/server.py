"""Running the sandbox: bind the address, open the store, print a banner, then uvicorn until interrupted.

Everything that can fail at start (the address in use, the store unreadable or held) fails before the
banner, as one line."""

from __future__ import annotations

import errno
import ipaddress
import gc
import socket
import sys
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit

import uvicorn

from ..errors import GpsynthError

from .app import Sandbox, SandboxOptions
from .limits import HTTP_LAYER_HEADER_LIMIT


def check_public_url(url: str) -> str:
    """An http(s) origin without a path or trailing slash; GpsynthError saying what is expected."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.path.strip("/") or parts.query:
        raise GpsynthError(f"--public-url {url!r}: expected an http(s) origin such as https://sandbox.example.org:8443")
    return url.rstrip("/")


def is_loopback(host: str) -> bool:
    """Whether `host` names only this machine (localhost, 127.0.0.0/8, ::1)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


GIL_SWITCH_SECONDS = 0.0005
BANNER_PRACTICES = 3  # practices the start-up banner names, unless asked for every one


def listening_socket(host: str, port: int) -> socket.socket:
    """A socket bound to host:port, before anything is printed; GpsynthError when the address cannot be had."""
    try:
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        reason = "it is in use by another program" if exc.errno == errno.EADDRINUSE else exc.strerror or str(exc)
        raise GpsynthError(f"cannot listen on {host}:{port}: {reason}; pick another with --port (or --host)") from None
    return sock


def serve(store: Path, host: str = "127.0.0.1", port: int = 8080, options: SandboxOptions = SandboxOptions(),
          access_log: bool = False, echo: Callable[[str], None] = print, list_all: bool = False) -> None:
    """Serve the store until interrupted."""
    sock = listening_socket(host, port)
    try:
        sandbox = Sandbox(store, options, announce=echo)
    except BaseException:
        sock.close()
        raise
    if sandbox.rolled is not None:
        echo(f"horizon: {sandbox.rolled.summary()}")
    urls = sandbox.base_urls(options.public_url)
    practices = len(sandbox.provider.directory.practices)
    echo(f"GP Connect 1.2.7 sandbox provider (ASID {options.provider_asid}) serving {sandbox.path}: "
         f"{practices:,} practice{'' if practices == 1 else 's'}")
    shown = urls if list_all else urls[:BANNER_PRACTICES]
    for url in shown:
        echo(f"  {url}")
    if len(urls) > len(shown):
        echo(f"  … and {len(urls) - len(shown):,} more (--list names them all)")
    if not urls:
        echo(f"  no practice yet: load one at {options.public_url}/_gpsynth/fhir (--admin)")
    echo(f"live page: {options.public_url}/" + (f"; conformance journal: {options.journal}" if options.journal else "")
         + (f"; chaos rules: {len(options.chaos.rules)}" if options.chaos.rules else ""))
    if options.admin:
        guard = "with the --admin-token bearer token" if options.admin_token else "no SSP headers or token needed"
        echo(f"administration: plain FHIR at {options.public_url}/_gpsynth/fhir and each base URL ({guard})")
        if not is_loopback(host):
            risk = ("only requests with the token can write" if options.admin_token
                    else "anyone who can reach it can overwrite the store: pass --admin-token")
            echo(f"WARNING: --admin on {host}, not a loopback address: {risk}")
    gc.collect()
    gc.freeze()     # the start-up state (directory, free-slot index) lives all run: spare the collector walking it
    # Store lookups and journal writes finish on other threads and need the GIL for a moment to hand their result
    # back; at the default 5 ms switch interval they wait behind the busy event loop for that long each.
    sys.setswitchinterval(GIL_SWITCH_SECONDS)
    config = uvicorn.Config(sandbox.app, log_level="info" if access_log else "warning", access_log=access_log,
                            h11_max_incomplete_event_size=HTTP_LAYER_HEADER_LIMIT)
    uvicorn.Server(config).run(sockets=[sock])
